"""What a training run shows: curve plots with and without the optional matplotlib."""
import sys
from pathlib import Path

import pytest

from fastgrad.train.report import plot_curves
from fastgrad.train.errors import ConfigError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plot_curves_writes_a_png_against_the_chosen_axis(tmp_path):
    pytest.importorskip("matplotlib", reason="needs the plot extra: pip install -e '.[plot]'")
    png = tmp_path / "sub" / "curve.png"
    plot_curves([{"seconds": 0.0, "valid_ppl": 900.0}, {"seconds": 1.5, "valid_ppl": 400.0}], png, x="seconds")
    assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_plot_curves_without_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    png = tmp_path / "curve.png"
    with pytest.raises(ConfigError, match=r"--plot needs matplotlib: pip install 'fastgrad\[plot\]'"):
        plot_curves([{"epoch": 1, "loss": 1.0}], png)
    assert not png.exists()


def test_quality_and_throughput_are_separate_figures_with_log_perplexity_and_the_best_epoch():
    from fastgrad.train.report import plan_curves

    records = [{"epoch": e, "train_loss": 5.0 / e, "valid_ppl": 300.0 / e, "lr": 4.0, "seconds": 2.0,
                "tokens_per_s": 1000 * e} for e in (1, 2, 3)]
    quality, throughput = plan_curves(records, Path("runs/curves.svg"), best_x=2).figures
    assert quality.path == Path("runs/curves.svg") and throughput.path == Path("runs/curves-throughput.svg")
    assert [p.key for p in quality.panels] == ["train_loss", "valid_ppl"]
    assert [p.key for p in throughput.panels] == ["lr", "seconds", "tokens_per_s"]
    assert [p.log_scale for p in quality.panels] == [False, True]
    assert quality.integer_ticks and quality.best_x == 2 and throughput.best_x is None
    assert quality.panels[1].x == [1, 2, 3] and quality.panels[1].y == [300.0, 150.0, 100.0]


def test_non_finite_points_are_left_out_and_a_curve_against_time_has_no_integer_ticks():
    from fastgrad.train.report import plan_curves

    [figure] = plan_curves([{"seconds": 0.0, "valid_ppl": 900.0}, {"seconds": 1.5, "valid_ppl": float("inf")}],
                           Path("c.png"), x="seconds").figures
    assert figure.panels[0].y == [900.0] and not figure.integer_ticks


def test_plot_refuses_formats_matplotlib_cannot_write(tmp_path):
    pytest.importorskip("matplotlib", reason="needs the plot extra: pip install -e '.[plot]'")
    from fastgrad.train.errors import ConfigError
    from fastgrad.train.report import check_plot_format

    assert check_plot_format(tmp_path / "curves") == "png"
    assert check_plot_format(tmp_path / "curves.PDF") == "pdf"
    with pytest.raises(ConfigError, match=r"cannot write 'docx' files"):
        check_plot_format(tmp_path / "curves.docx")


def test_progress_without_a_terminal_prints_one_line_per_tenth(capsys):
    import io

    from fastgrad.train.report import Progress

    stream = io.StringIO()
    progress = Progress(1000, "tokens", desc="epoch 1", stream=stream)
    for _ in range(1000):
        progress.update(1, loss=2.5)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10 and "\r" not in stream.getvalue()
    assert lines[0].startswith("epoch 1: 10% (100/1,000 tokens, ") and lines[0].endswith(" tokens/s, loss 2.5)")
    assert lines[-1].startswith("epoch 1: 100% (1,000/1,000 tokens")


def test_progress_shows_100_percent_only_at_the_end():
    """The share was rounded, so 995 of 1,000 tokens showed as 100%."""
    import io

    from fastgrad.train.report import Progress

    progress = Progress(1000, "tokens", desc="epoch 1", stream=io.StringIO())
    progress.update(995)
    assert progress.line().startswith("epoch 1: 99% (995/1,000 tokens")
    progress.update(5)
    assert progress.line().startswith("epoch 1: 100% (1,000/1,000 tokens")


def test_plural_and_the_epoch_line():
    from fastgrad.train.report import epoch_line, plural

    assert [plural(n, "epoch") for n in (0, 1, 2, 1000)] == ["0 epochs", "1 epoch", "2 epochs", "1,000 epochs"]
    assert epoch_line(3, 20, [("train loss", "0.4123"), ("dev f1", "0.8123")], 12.34, 123_456, "tokens",
                      best="dev f1") == "epoch 3/20: train loss 0.4123, dev f1 0.8123 (best), 12.3 s, 10,005 tokens/s"


def test_records_without_quality_curves_draw_throughput_at_the_given_path():
    from fastgrad.train.report import plan_curves

    [figure] = plan_curves([{"epoch": 1, "alpha": 0.02, "words_per_s": 9e5}], Path("w2v.png")).figures
    assert figure.path == Path("w2v.png") and [p.key for p in figure.panels] == ["alpha", "words_per_s"]


def test_time_while_paused_does_not_count_toward_the_rate(monkeypatch):
    import io

    from fastgrad.train import report

    clock = [100.0]
    monkeypatch.setattr(report.time, "perf_counter", lambda: clock[0])
    progress = report.Progress(None, "tokens", stream=io.StringIO())
    clock[0] += 2.0
    progress.update(1000)
    with progress.paused():  # an evaluation of 8 s
        clock[0] += 8.0
    assert progress.rate == 500.0  # 1,000 tokens in 2 s of training, not in 10 s


def test_describe_inputs_names_roles_given_the_same_content(tmp_path):
    """A dev or test score on the training file is a plausible held-out score; a copy under another name showed
    nothing but equal sha256 lines."""
    import hashlib
    import io

    from fastgrad.train.report import describe_inputs

    train, copy, other = tmp_path / "train.txt", tmp_path / "copy.txt", tmp_path / "other.txt"
    train.write_text("1 good\n", encoding="utf-8")
    copy.write_text("1 good\n", encoding="utf-8")
    other.write_text("0 bad\n", encoding="utf-8")
    printed = io.StringIO()
    describe_inputs({"train": train, "dev": other, "test": copy}, printed)
    digest = hashlib.sha256(b"1 good\n").hexdigest()
    assert printed.getvalue().splitlines()[3:] == [
        f"same content: the train and test files are one text (sha256 {digest[:16]}...); a score on one is a score "
        "on the other"]
    printed = io.StringIO()
    describe_inputs({"train": train, "dev": other, "test": None}, printed)
    assert len(printed.getvalue().splitlines()) == 2


@pytest.mark.parametrize("count, total, shown", [(0, 10, "0.00%"), (1, 100_000, "<0.01%"), (1, 200, "0.50%"),
                                                 (99_999, 100_000, ">99.99%"), (5, 5, "100.00%"), (0, 0, "0.00%")])
def test_percent_never_rounds_to_none_or_all(count, total, shown):
    """'0.00% words outside the vocabulary' was printed for 1 such word in 100,000 tokens: read as none."""
    from fastgrad.train.report import percent

    assert percent(count, total) == shown
