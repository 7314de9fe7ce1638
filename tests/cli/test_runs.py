"""What every training command shares: --threads, --resume and --max-minutes, one epoch-line format, short
progress output when stderr is not a terminal, --plot's rules."""
import json
import re

import numpy as np
import pytest

import fastgrad
from fastgrad.cli import EXIT_USAGE, build_parser
from fastgrad.train.directory import model_files

EPOCH_LINE = re.compile(r"^epoch (\d+)/(\d+): (.+), (\d+\.\d) s, ([\d,]+) (tokens|sentences|words)/s$")


def leaf_parsers():
    """(command, parser) of every runnable command: `eval`, `train rnnlm`, ..."""
    found = []

    def visit(parser, path):
        subs = [a for a in parser._actions if isinstance(a.choices, dict)]
        if not subs:
            found.append((path, parser))
        for action in subs:
            for name, sub in action.choices.items():
                visit(sub, f"{path} {name}".strip())
    visit(build_parser(), "")
    return found


def options(parser):
    return {s for action in parser._actions for s in action.option_strings}


def test_every_command_has_threads():
    missing = [name for name, parser in leaf_parsers() if "--threads" not in options(parser)]
    assert not missing


def test_every_epoch_trainer_has_resume_and_a_time_budget():
    trainers = {name: parser for name, parser in leaf_parsers() if name.startswith("train ")}
    assert set(trainers) == {"train nbow", "train ner", "train ngram", "train fflm", "train rnnlm", "train word2vec"}
    for name, parser in trainers.items():
        if name != "train ngram":  # fitted in one pass: nothing to resume or to cut short
            assert {"--resume", "--max-minutes", "--plot"} <= options(parser), name


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    words = ["the", "a", "cat", "dog", "sat", "ran", "on", "to", "mat", "log"]
    text = {split: "".join(" ".join(rng.choice(words, size=6)) + "\n" for _ in range(n))
            for split, n in (("train", 120), ("valid", 20), ("test", 20))}
    paths = {}
    for split, content in text.items():
        paths[split] = tmp_path / f"{split}.txt"
        paths[split].write_text(content)
    sst = [f"{i % 2} " + " ".join(rng.choice(["good", "bad", "film", "plot", "the", "dull", "witty"], size=5))
           for i in range(80)]
    paths["sst"] = tmp_path / "sst.txt"
    paths["sst"].write_text("\n".join(sst) + "\n")
    conll = "\n\n".join("\n".join(f"{w} X {t}" for w, t in [("in", "O"), (str(rng.choice(["Paris", "Rome", "Oslo"])), "B-LOC"),
                                                           ("said", "O"), ("Mr", "O"), (str(rng.choice(["Ito", "Smith"])), "B-PER")])
                        for _ in range(40))
    paths["conll"] = tmp_path / "ner.conll"
    paths["conll"].write_text(conll + "\n")
    return paths


def commands(files):
    lm = ["--train", files["train"], "--valid", files["valid"], "--test", files["test"], "--threads", "1"]
    return {
        "nbow": ["train", "nbow", "--train", files["sst"], "--dev", files["sst"], "--test", files["sst"], "--dim", "8",
                 "--hidden", "8", "--threads", "1"],
        "ner": ["train", "ner", "--train", files["conll"], "--dev", files["conll"], "--dim", "8", "--hidden", "8",
                "--min-count", "1", "--threads", "1"],
        "fflm": ["train", "fflm", *lm, "--context", "2", "--embedding-dim", "4", "--hidden", "4"],
        "rnnlm": ["train", "rnnlm", *lm, "--embedding-dim", "4", "--hidden", "4", "--batch-size", "4", "--bptt", "5"],
        "word2vec": ["train", "word2vec", "--corpus", files["train"], "--dim", "8", "--min-count", "1", "--workers", "1",
                     "--threads", "1"],
    }


@pytest.mark.parametrize("model", ["nbow", "ner", "fflm", "rnnlm", "word2vec"])
def test_one_epoch_line_format_and_progress_lines_without_a_terminal(cli, files, model):
    result = cli(*commands(files)[model], "--epochs", "2")
    assert result.code == 0, result.err
    lines = [line for line in result.out.splitlines() if line.startswith("epoch ")]
    assert len(lines) == 2 and all(EPOCH_LINE.match(line) for line in lines), lines
    assert "\r" not in result.err
    for epoch in (1, 2):  # at most one progress line per tenth of the epoch
        assert 1 <= sum(line.startswith(f"epoch {epoch}: ") for line in result.err.splitlines()) <= 10


@pytest.mark.parametrize("model", ["nbow", "ner", "fflm", "rnnlm", "word2vec"])
def test_resume_continues_as_if_never_stopped(cli, files, tmp_path, model):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    command = commands(files)[model]
    assert cli(*command, "--epochs", "3", "--out", straight).code == 0
    # stopped by its time budget after epoch 1 (word2vec's learning rate falls over the planned epochs)
    assert cli(*command, "--epochs", "3", "--out", resumed, "--max-minutes", "1e-9").code == 0
    result = cli(*command, "--epochs", "3", "--out", resumed, "--resume")
    assert result.code == 0 and "resuming after epoch 1" in result.out
    assert "is not the saved run's" not in result.out  # the same --epochs: nothing to say

    def epochs(out):
        records = (model_files(out) / "metrics.jsonl").read_text().splitlines()
        return [{k: v for k, v in json.loads(r).items() if k not in ("seconds",) and not k.endswith("_per_s")}
                for r in records]
    assert epochs(resumed) == epochs(straight)
    weights = "vectors.bin" if model == "word2vec" else "model.npz"
    assert (model_files(resumed) / weights).read_bytes() == (model_files(straight) / weights).read_bytes()


@pytest.mark.parametrize("epochs", ["4", "2"])
def test_word2vec_resumed_with_other_epochs_says_its_learning_rate_schedule_changed(cli, files, tmp_path, epochs):
    """Its learning rate falls over all the epochs (the other models' schedules do not depend on their number)."""
    command, out = commands(files)["word2vec"], tmp_path / "out"
    assert cli(*command, "--epochs", "3", "--out", out, "--max-minutes", "1e-9").code == 0
    result = cli(*command, "--epochs", epochs, "--out", out, "--resume")
    assert result.code == 0, result.err
    direction = "higher" if epochs == "4" else "lower"
    assert (f"--epochs {epochs} is not the saved run's 3: the learning rate falls linearly from --alpha to --min-alpha "
            f"over all {epochs} epochs, so it goes on from where a {epochs}-epoch run is after epoch 1 ({direction} "
            f"than where the saved run stopped); the vectors differ from those of a direct {epochs}-epoch run"
            ) in result.out.splitlines()


def test_resume_without_a_saved_run_says_why(cli, files, tmp_path):
    result = cli(*commands(files)["nbow"], "--out", tmp_path / "nothing", "--resume")
    assert result.code == 5 and f"{tmp_path / 'nothing'}: no such model directory" in result.err
    assert not (tmp_path / "nothing").exists()


@pytest.mark.parametrize("saved, resumed", [("nbow", "ner"), ("ner", "nbow"), ("fflm", "rnnlm"), ("nbow", "word2vec")])
def test_resume_of_another_kind_of_model_names_both_kinds(cli, files, tmp_path, saved, resumed):
    out = tmp_path / "out"
    assert cli(*commands(files)[saved], "--epochs", "1", "--out", out).code == 0
    result = cli(*commands(files)[resumed], "--epochs", "2", "--out", out, "--resume")
    assert result.code == EXIT_USAGE
    assert result.err.strip() == f"fastgrad: --resume: {out} holds a {saved} model, not a {resumed} one"


def test_a_time_budget_ends_the_run_cleanly_after_the_current_epoch(cli, files, tmp_path):
    out = tmp_path / "rnn"
    result = cli(*commands(files)["rnnlm"], "--epochs", "5", "--max-minutes", "1e-9", "--out", out)
    assert result.code == 0
    assert "time budget of 1e-09 min used up after epoch 1; stopping (continue with --resume)" in result.out
    assert "best epoch 1: test ppl" in result.out
    assert json.loads((model_files(out) / "config.json").read_text())["epochs_trained"] == 1


def test_plurals(cli, files):
    result = cli(*commands(files)["nbow"], "--epochs", "5", "--patience", "1", "--lr", "0")
    assert "early stop: no better dev accuracy for 1 epoch\n" in result.out


def test_plot_refuses_a_directory_before_training(cli, files, tmp_path):
    result = cli(*commands(files)["nbow"], "--plot", tmp_path)
    assert result.code == EXIT_USAGE and f"argument --plot: {tmp_path} is a directory" in result.err
    assert "epoch" not in result.out


def test_ngram_says_it_has_nothing_to_plot(cli, files, tmp_path):
    result = cli("train", "ngram", "--train", files["train"], "--valid", files["valid"], "--test", files["test"],
                 "--plot", tmp_path / "curves.png")
    assert result.code == EXIT_USAGE and "there are no epochs to plot" in result.err


def test_plot_path_is_used_as_given_and_both_figures_are_named(cli, files, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib", reason="needs the plot extra: pip install -e '.[plot]'")
    plot = tmp_path / "curves"  # no suffix: a PNG under exactly this name
    result = cli(*commands(files)["rnnlm"], "--epochs", "2", "--plot", plot)
    assert result.code == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and not (tmp_path / "curves.png").exists()
    assert f"plot: {plot}, {tmp_path / 'curves-throughput'}" in result.out


def test_the_python_entry_point_is_what_the_command_runs(cli, files, tmp_path):
    command = commands(files)["rnnlm"]
    assert cli(*command, "--epochs", "2", "--out", tmp_path / "cli").code == 0
    result = fastgrad.train.rnnlm(train=files["train"], valid=files["valid"], test=files["test"], threads=1,
                                  embedding_dim=4, hidden=4, batch_size=4, bptt=5, epochs=2, out=tmp_path / "py")
    assert (model_files(tmp_path / "cli") / "model.npz").read_bytes() == \
           (model_files(tmp_path / "py") / "model.npz").read_bytes()
    assert result.out == tmp_path / "py" / "current" and result.best_epoch in (1, 2) and result.test["ppl"] > 1
    assert isinstance(result.model, fastgrad.nn.Module)
    with pytest.raises(fastgrad.train.ConfigError, match="--bptt must be an integer >= 1, got 0"):
        fastgrad.train.RNNLMConfig(train=files["train"], valid=files["valid"], test=files["test"], bptt=0)


@pytest.mark.parametrize("model", ["nbow", "ner", "fflm", "rnnlm"])  # (word2vec's every epoch is its best)
def test_resume_after_a_run_whose_last_epoch_was_not_the_best(cli, files, tmp_path, model, monkeypatch):
    """The finished run's model is its best epoch, but --resume must go on from its last epoch."""
    from fastgrad.train import loop
    monkeypatch.setattr(loop._Progress, "improves", lambda self, score, maximize: self.best_epoch == 0)
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    command = commands(files)[model]
    assert cli(*command, "--epochs", "3", "--out", straight).code == 0
    assert cli(*command, "--epochs", "2", "--out", resumed).code == 0
    assert cli(*command, "--epochs", "3", "--out", resumed, "--resume").code == 0

    def epochs(out):
        records = [json.loads(r) for r in (model_files(out) / "metrics.jsonl").read_text().splitlines()]
        return [{k: v for k, v in r.items() if k != "seconds" and not k.endswith("_per_s")} for r in records]
    assert epochs(resumed) == epochs(straight)
    _assert_same_state(*(fastgrad.load(model_files(out) / "resume.npz") for out in (straight, resumed)))


def _assert_same_state(a, b):
    """Nested dicts and lists of tensors, arrays and plain values, equal to the bit."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same_state(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_state(x, y)
    elif isinstance(a, (fastgrad.Tensor, np.ndarray)):
        np.testing.assert_array_equal(np.asarray(a.numpy() if isinstance(a, fastgrad.Tensor) else a),
                                      np.asarray(b.numpy() if isinstance(b, fastgrad.Tensor) else b))
    else:
        assert a == b
