"""The start-up switches (fastgrad/switches.py): their values, argument checks, and that each is kept."""
import warnings

import pytest

import fastgrad


def test_deterministic_algorithms_and_the_debug_mode_are_one_setting():
    assert not fastgrad.are_deterministic_algorithms_enabled() and fastgrad.get_deterministic_debug_mode() == 0
    fastgrad.use_deterministic_algorithms(True)
    assert fastgrad.are_deterministic_algorithms_enabled() and fastgrad.get_deterministic_debug_mode() == 2
    fastgrad.use_deterministic_algorithms(True, warn_only=True)
    assert fastgrad.is_deterministic_algorithms_warn_only_enabled() and fastgrad.get_deterministic_debug_mode() == 1
    fastgrad.set_deterministic_debug_mode("error")
    assert not fastgrad.is_deterministic_algorithms_warn_only_enabled()
    fastgrad.set_deterministic_debug_mode(0)
    assert not fastgrad.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("call,error,message", [
    (lambda: fastgrad.use_deterministic_algorithms(1), TypeError, "'mode' must be bool, not int"),
    (lambda: fastgrad.use_deterministic_algorithms(True, warn_only=None), TypeError, "'warn_only' must be bool"),
    (lambda: fastgrad.set_deterministic_debug_mode("WARN"), RuntimeError, "expected one of `default`"),
    (lambda: fastgrad.set_deterministic_debug_mode(3), RuntimeError, "expected 0, 1, or 2, but got 3"),
    (lambda: fastgrad.set_deterministic_debug_mode(1.0), TypeError, "must be str or int, but got float"),
    (lambda: fastgrad.set_float32_matmul_precision(1), RuntimeError, "expects a str, but got int"),
    (lambda: fastgrad.set_default_device("cuda"), RuntimeError, "CPU only"),
    (lambda: fastgrad.set_default_device(0), RuntimeError, "CPU only"),
    (lambda: fastgrad.set_default_device(1.5), TypeError, "got float"),
    (lambda: fastgrad.set_num_interop_threads(0), RuntimeError, "positive integer, got 0"),
    (lambda: fastgrad.set_num_interop_threads("2"), RuntimeError, "expects an int, but got str"),
    (lambda: fastgrad.set_flush_denormal(1), RuntimeError, "expects a bool, but got int"),
    (lambda: fastgrad.set_warn_always(1), RuntimeError, "expects a bool, but got int"),
], ids=["mode", "warn_only", "debug name", "debug number", "debug type", "precision type", "cuda", "device index",
        "device type", "interop zero", "interop type", "flush type", "warn type"])
def test_bad_arguments_raise(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_float32_matmul_precision_is_kept_and_unknown_ones_warn():
    fastgrad.set_float32_matmul_precision("medium")
    assert fastgrad.get_float32_matmul_precision() == "medium"
    with pytest.warns(UserWarning, match="low is not one of"):
        fastgrad.set_float32_matmul_precision("low")
    assert fastgrad.get_float32_matmul_precision() == "medium"


def test_the_default_device_is_the_cpu():
    fastgrad.set_default_device("cpu")
    fastgrad.set_default_device(fastgrad.device("cpu"))
    fastgrad.set_default_device(None)
    assert fastgrad.get_default_device() == fastgrad.device("cpu")


def test_interop_threads_flush_denormal_and_warn_always():
    assert fastgrad.get_num_interop_threads() == 1  # ops run one after another in the calling thread
    fastgrad.set_num_interop_threads(3)
    assert fastgrad.get_num_interop_threads() == 3
    assert fastgrad.set_flush_denormal(True) is False  # not supported: denormals stay
    assert fastgrad.tensor(1e-310, dtype=fastgrad.float64).item() == 1e-310
    fastgrad.set_warn_always(True)
    assert fastgrad.is_warn_always_enabled()


def test_real_tensors_have_no_conjugate_or_negative_bit():
    x = fastgrad.tensor([1.0, -2.0], requires_grad=True)
    assert not fastgrad.is_conj(x) and not x.is_neg()
    for same in (x.conj(), fastgrad.conj(x), x.resolve_conj(), fastgrad.resolve_neg(x), x.conj_physical()):
        assert same is x
    with pytest.raises(TypeError, match="input must be a Tensor, got int"):
        fastgrad.is_conj(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastgrad.conj(fastgrad.tensor([1, 2]))
