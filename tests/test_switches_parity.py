"""The start-up switches and the conjugation bits against PyTorch: the values they report, and the errors of bad
arguments (the same exception types)."""
import warnings

import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def torch_switches_restored():
    """(fastgrad's are restored by tests/conftest.py)"""
    theirs = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
              torch.get_float32_matmul_precision(), torch.is_warn_always_enabled())
    yield
    torch.use_deterministic_algorithms(theirs[0], warn_only=theirs[1])
    torch.set_float32_matmul_precision(theirs[2])
    torch.set_warn_always(theirs[3])


def outcome(call, lib):
    """What call(lib) returns, or the type of the exception (or warning) it raises."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = call(lib)
    except (TypeError, RuntimeError, UserWarning) as error:
        return type(error)
    return result


SEQUENCES = {
    "deterministic": lambda lib: (lib.use_deterministic_algorithms(True), lib.get_deterministic_debug_mode(),
                                  lib.are_deterministic_algorithms_enabled()),
    "warn only": lambda lib: (lib.use_deterministic_algorithms(True, warn_only=True),
                              lib.get_deterministic_debug_mode(), lib.is_deterministic_algorithms_warn_only_enabled()),
    "debug mode by name": lambda lib: (lib.set_deterministic_debug_mode("warn"),
                                       lib.are_deterministic_algorithms_enabled(),
                                       lib.is_deterministic_algorithms_warn_only_enabled()),
    "debug mode by number": lambda lib: (lib.set_deterministic_debug_mode(2), lib.get_deterministic_debug_mode()),
    "debug mode by bool": lambda lib: (lib.set_deterministic_debug_mode(True), lib.get_deterministic_debug_mode()),
    "off": lambda lib: (lib.set_deterministic_debug_mode("default"), lib.are_deterministic_algorithms_enabled()),
    "bad mode": lambda lib: lib.use_deterministic_algorithms(1),
    "bad warn_only": lambda lib: lib.use_deterministic_algorithms(False, warn_only="yes"),
    "bad debug name": lambda lib: lib.set_deterministic_debug_mode("foo"),
    "bad debug number": lambda lib: lib.set_deterministic_debug_mode(-1),
    "bad debug type": lambda lib: lib.set_deterministic_debug_mode(1.0),
    "precision": lambda lib: (lib.set_float32_matmul_precision("high"), lib.get_float32_matmul_precision()),
    "precision default": lambda lib: lib.get_float32_matmul_precision(),
    "unknown precision": lambda lib: lib.set_float32_matmul_precision("HIGH"),
    "precision type": lambda lib: lib.set_float32_matmul_precision(1),
    "cpu": lambda lib: (lib.set_default_device("cpu"), lib.get_default_device().type, lib.set_default_device(None)),
    "device index": lambda lib: lib.set_default_device(0),
    "device type": lambda lib: lib.set_default_device(1.5),
    "device name": lambda lib: lib.set_default_device("nonsense"),
    "interop zero": lambda lib: lib.set_num_interop_threads(0),
    "interop negative": lambda lib: lib.set_num_interop_threads(-1),
    "interop type": lambda lib: lib.set_num_interop_threads("2"),
    "flush type": lambda lib: lib.set_flush_denormal(1),
    "warn always": lambda lib: (lib.set_warn_always(True), lib.is_warn_always_enabled(), lib.set_warn_always(False),
                                lib.is_warn_always_enabled()),
    "warn always type": lambda lib: lib.set_warn_always(1),
    "inference mode": lambda lib: lib.is_inference_mode_enabled(),
    "anomaly": lambda lib: lib.is_anomaly_enabled(),
}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_switches_match_torch(name):
    call = SEQUENCES[name]
    assert outcome(call, fastgrad) == outcome(call, torch)


CONJUGATION = {
    "is_conj": lambda lib, x: (x.is_conj(), lib.is_conj(x)),
    "is_neg": lambda lib, x: (x.is_neg(), lib.is_neg(x)),
    "conj": lambda lib, x: (x.conj() is x, lib.conj(x) is x),
    "resolve_conj": lambda lib, x: (x.resolve_conj() is x, lib.resolve_conj(x) is x),
    "resolve_neg": lambda lib, x: (x.resolve_neg() is x, lib.resolve_neg(x) is x),
    "conj_physical": lambda lib, x: x.conj_physical() is x,
    "not a tensor": lambda lib, x: lib.is_conj(1.0),
    "resolve not a tensor": lambda lib, x: lib.resolve_neg([1.0]),
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("name", sorted(CONJUGATION))
def test_conjugation_of_real_tensors_matches_torch(name, dtype):
    call = CONJUGATION[name]
    values = [1, 0, 1] if dtype == "bool" else [1, -2, 3]
    assert outcome(lambda lib: call(lib, lib.tensor(values, dtype=getattr(lib, dtype))), fastgrad) == \
        outcome(lambda lib: call(lib, lib.tensor(values, dtype=getattr(lib, dtype))), torch)
