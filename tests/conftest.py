import numpy as np
import pytest

from fastgrad.data.paths import data_dir as _data_dir


def pytest_collection_modifyitems(config, items):
    """Mark every test of a module that compares with PyTorch, so `-m torch` runs just those."""
    compares = {}
    for item in items:
        path = str(item.path)
        if path not in compares:
            compares[path] = 'importorskip("torch")' in item.path.read_text()
        if compares[path]:
            item.add_marker(pytest.mark.torch)


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
