import numpy as np
import pytest

from fastgrad.data.paths import data_dir as _data_dir


@pytest.fixture
def data_dir():
    """The shared data folder; tests that need it skip, saying why, when it is absent."""
    path = _data_dir()
    if not path.is_dir():
        pytest.skip(f"data folder {path} not found (set FASTGRAD_DATA)")
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
