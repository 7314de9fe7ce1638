import re

import pytest

from fastgrad.cli import demo, main


def test_demo_runs_every_step_with_a_tiny_budget(tmp_path, capsys, monkeypatch):
    # matplotlib is an optional extra: record what would be drawn (plot_curves has its own tests).
    plotted = []
    monkeypatch.setattr(demo, "plot_curves", lambda records, png, x: plotted.append((list(records), png, x)) or [png])
    monkeypatch.setattr("fastgrad.train.report.check_plot_format", lambda path, name="--plot": "png")
    png = tmp_path / "curve.png"
    assert main(["demo", "--seconds", "1", "--threads", "1", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    rates = {name: float(rate.replace(",", "")) for name, rate in
             re.findall(r"^\s+(python|numpy|compiled)\s+([\d,.]+) tokens/s", out, flags=re.M)}
    assert set(rates) == {"python", "numpy", "compiled"} and min(rates.values()) > 0
    assert "LinearCrossEntropy" in out and "RNN" in out  # the profile table (the LM's fused output layer)
    untrained = float(re.search(r"untrained: validation perplexity ([\d,]+)", out).group(1).replace(",", ""))
    trained = [float(p) for p in re.findall(r"validation perplexity\s+([\d.]+)$", out, flags=re.M)]
    assert 5000 < untrained < 20000  # about the vocabulary size before training
    assert trained and trained[-1] < 0.9 * untrained
    assert "4. a sample" in out and "fastgrad bench" in out and "fastgrad train rnnlm" in out
    [(curve, plotted_png, x)] = plotted
    assert plotted_png == png and x == "seconds"
    assert curve[0]["seconds"] == 0 and curve[-1]["valid_ppl"] == pytest.approx(trained[-1], abs=0.05)  # printed to 0.1
    assert f"validation curve written to {png}" in out
