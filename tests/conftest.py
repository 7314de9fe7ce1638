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
def global_settings_restored():
    """A test that calls set_default_dtype or set_printoptions (fastgrad's, or torch's in a parity test) leaves
    the next test the settings it found: they are global to the process, as PyTorch's."""
    ours = fastgrad.get_default_dtype(), fastgrad.get_printoptions()
    theirs = _torch_settings()
    yield
    fastgrad.set_default_dtype(ours[0])
    fastgrad.set_printoptions(**ours[1])
    torch = sys.modules.get("torch")  # (never imported here: the tests without PyTorch must run without it)
    if torch is not None:
        dtype, printoptions = theirs or (torch.float32, {"profile": "default"})
        torch.set_default_dtype(dtype)
        torch.set_printoptions(**printoptions)


def _torch_settings():
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    from torch._tensor_str import get_printoptions  # (PyTorch keeps it private)

    return torch.get_default_dtype(), get_printoptions()


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


@pytest.fixture(autouse=True)
def switches_restored():
    """A test that sets fastgrad's start-up switches (use_deterministic_algorithms, ...) or its anomaly mode
    leaves the next test the ones it found: they are global to the process, as PyTorch's."""
    from fastgrad.autograd.anomaly_mode import ANOMALY_MODE
    from fastgrad.switches import SWITCHES

    saved = [(state, dict(vars(state))) for state in (SWITCHES, ANOMALY_MODE)]
    yield
    for state, values in saved:
        vars(state).clear()
        vars(state).update(values)


@pytest.fixture
def counted_splits(monkeypatch):
    """The number of parts of every split of work across threads (`split_across_threads`) during the test, which
    may set Numba's thread count freely (restored after); skipped without 2 Numba threads and OpenBLAS."""
    import numba

    from fastgrad.kernels import parallel
    from fastgrad.ops import nn as nn_ops
    if numba.config.NUMBA_NUM_THREADS < 2 or not fastgrad.threads.can_pause_blas_threads():
        pytest.skip("needs 2 Numba threads and OpenBLAS")
    parts = []
    split = parallel.split_across_threads
    for module in (parallel, nn_ops):
        monkeypatch.setattr(module, "split_across_threads", lambda tasks: parts.append(len(tasks)) or split(tasks))
    before = numba.get_num_threads()
    yield parts
    numba.set_num_threads(before)
