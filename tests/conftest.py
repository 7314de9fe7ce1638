import sys

import numpy as np
import pytest

import fastgrad
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


@pytest.fixture(autouse=True)
def default_dtype_restored():
    """A test that calls set_default_dtype (fastgrad's, or torch's in a parity test) leaves the next test the
    default it found: the setting is global to the process, as PyTorch's."""
    torch = sys.modules.get("torch")  # (not imported here: the tests without PyTorch must run without it)
    ours, theirs = fastgrad.get_default_dtype(), torch.get_default_dtype() if torch else None
    yield
    fastgrad.set_default_dtype(ours)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_default_dtype(theirs if theirs is not None else torch.float32)


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
