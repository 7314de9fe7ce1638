"""Anomaly mode against PyTorch: which backward steps raise, with which message, and the argument errors."""
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def torch_anomaly_restored():
    """(fastgrad's is restored by tests/conftest.py)"""
    enabled, check_nan = torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()
    yield
    torch.set_anomaly_enabled(enabled, check_nan)


def failure(lib, fn, check_nan=True):
    """The message of the error fn's backward raises under lib's anomaly mode (None if none), and the gradient."""
    x = lib.tensor(np.array([0.0, 1.0, -1.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly(check_nan=check_nan):
            try:
                fn(x).sum().backward()
            except RuntimeError as error:
                return str(error).splitlines()[0].replace("Backward0", "Backward"), None
    return None, x.grad.numpy()


@pytest.mark.parametrize("check_nan", [True, False])
@pytest.mark.parametrize("fn", [
    lambda x: x.sqrt() * 0, lambda x: x.log() * 0, lambda x: x * x, lambda x: (x * x).sqrt(),
    lambda x: x.abs().pow(0.5) * 0, lambda x: x.clamp(min=0).sqrt() + x.exp(),
    lambda x: x * x.new_tensor([float("nan"), 1.0, 2.0]),
], ids=["sqrt", "log", "square", "sqrt of square", "pow", "clamp", "second input"])
def test_nan_checks_match_torch(fn, check_nan):
    ours, theirs = failure(fastgrad, fn, check_nan), failure(torch, fn, check_nan)
    assert ours[0] == theirs[0]
    if theirs[1] is not None:
        np.testing.assert_allclose(ours[1], theirs[1], equal_nan=True)


def test_set_anomaly_enabled_matches_torch():
    for lib in (fastgrad, torch):
        lib.set_anomaly_enabled(True, False)
    assert (fastgrad.is_anomaly_enabled(), fastgrad.is_anomaly_check_nan_enabled()) == \
        (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
    for lib in (fastgrad, torch):
        with pytest.raises(TypeError):
            lib.set_anomaly_enabled(1)
        with lib.autograd.set_detect_anomaly(False):
            assert not lib.is_anomaly_enabled()
        assert lib.is_anomaly_enabled()
