"""What a training run shows: curve plots with and without the optional matplotlib."""
import sys

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
