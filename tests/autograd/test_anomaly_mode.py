"""Anomaly mode (fastgrad/autograd/anomaly_mode.py): NaN gradients raise naming the op, in both backward walks,
and the switches' arguments are checked."""
import numpy as np
import pytest

import fastgrad


def test_a_nan_gradient_raises_naming_the_op():
    x = fastgrad.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = fastgrad.autograd.detect_anomaly()
    with mode:
        assert fastgrad.is_anomaly_enabled() and fastgrad.is_anomaly_check_nan_enabled()
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward' returned nan values in its 0th output"):
            (x.sqrt() * 0).sum().backward()
    assert not fastgrad.is_anomaly_enabled()
    (x.sqrt() * 0).sum().backward()  # off: the NaN reaches .grad, as in PyTorch
    assert np.isnan(x.grad.numpy()[0])


def test_the_position_is_the_input_of_the_op():
    x, y = fastgrad.tensor([float("nan")]), fastgrad.tensor([1.0], requires_grad=True)
    fastgrad.set_anomaly_enabled(True)
    with pytest.raises(RuntimeError, match="'MulBackward' returned nan values in its 1th output"):
        (x * y).sum().backward()


def test_recorded_backward_is_checked_too():
    x = fastgrad.tensor([0.0, 1.0], requires_grad=True)
    with fastgrad.autograd.set_detect_anomaly(True):
        (g,) = fastgrad.autograd.grad((x ** 1.5).sum(), x, create_graph=True)
        with pytest.raises(RuntimeError, match="returned nan values"):
            (g.sqrt() * 0).sum().backward()
    assert not fastgrad.is_anomaly_enabled()


def test_without_the_nan_check_nothing_raises():
    x = fastgrad.tensor([0.0, 1.0], requires_grad=True)
    fastgrad.set_anomaly_enabled(True, check_nan=False)
    (x.sqrt() * 0).sum().backward()
    assert np.isnan(x.grad.numpy()[0])


@pytest.mark.parametrize("call", [
    lambda: fastgrad.set_anomaly_enabled(1), lambda: fastgrad.set_anomaly_enabled(True, check_nan=None),
    lambda: fastgrad.autograd.set_detect_anomaly("yes"), lambda: fastgrad.autograd.detect_anomaly(check_nan=1),
], ids=["enabled", "check_nan", "set_detect_anomaly", "detect_anomaly"])
def test_flags_must_be_bools(call):
    with pytest.raises(TypeError, match="must be bool"):
        call()
