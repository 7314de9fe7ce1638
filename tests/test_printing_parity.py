"""repr(tensor) and set_printoptions against torch's: the same text for the same values and options, but for
the spelling of a named dtype (`dtype=float64` where PyTorch writes `dtype=torch.float64`) and of grad_fn
(`MulBackward`, PyTorch's `MulBackward0`); lines break where PyTorch's do all the same."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import fastgrad

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values that pick each format: whole numbers, decimals, tiny and huge magnitudes, zeros and non-finite ones.
FLOATS = st.one_of(st.integers(-2000, 2000).map(float), st.floats(-10, 10, width=32),
                   st.sampled_from([0.0, -0.0, 1e-6, 3e9, -7.5e-5, math.inf, -math.inf, math.nan]))
OPTIONS = st.fixed_dictionaries({}, optional={
    "precision": st.integers(0, 8), "threshold": st.sampled_from([0, 5, 20, 1000, math.inf]),
    "edgeitems": st.integers(0, 4), "linewidth": st.integers(10, 120),
    "profile": st.sampled_from(["default", "short", "full"]), "sci_mode": st.sampled_from([None, True, False])})


def both_reprs(array: np.ndarray, **tensor_args) -> tuple[str, str]:
    if array.dtype.kind == "f":
        fastgrad.set_default_dtype(getattr(fastgrad, str(array.dtype)))
        torch.set_default_dtype(getattr(torch, str(array.dtype)))
    return repr(fastgrad.tensor(array, **tensor_args)), repr(torch.tensor(array, **tensor_args))


def set_both(options: dict) -> None:
    """The same print options in both libraries, from the default profile (the conftest fixture restores them)."""
    for lib in (fastgrad, torch):
        lib.set_printoptions(profile="default")
        lib.set_printoptions(**options)


@SETTINGS
@given(array=st.sampled_from(["float32", "float64"]).flatmap(
    lambda dtype: arrays(dtype, array_shapes(min_dims=0, max_dims=3, max_side=7), elements=FLOATS)),
    options=OPTIONS)
def test_float_tensors_print_as_torch_prints_them(array, options):
    set_both(options)
    ours, theirs = both_reprs(array)
    assert ours == theirs


@SETTINGS
@given(array=st.sampled_from(["int64", "int32", "bool"]).flatmap(
    lambda dtype: arrays(dtype, array_shapes(min_dims=0, max_dims=3, max_side=7))),
    options=OPTIONS)
def test_integer_and_bool_tensors_print_as_torch_prints_them(array, options):
    set_both(options)
    ours, theirs = both_reprs(array)
    assert ours == theirs.replace("torch.", "")


@SETTINGS
@given(array=arrays("float64", array_shapes(min_dims=0, max_dims=3, max_side=7), elements=FLOATS),
       options=OPTIONS, requires_grad=st.booleans())
def test_named_dtypes_and_grad_fns_break_lines_as_torchs(array, options, requires_grad):
    set_both(options)
    ours, theirs = (repr(lib.tensor(array, requires_grad=requires_grad) * 2) for lib in (fastgrad, torch))
    assert ours == theirs.replace("torch.", "").replace("MulBackward0", "MulBackward")


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([-10000000] * 5, dtype=lib.int32),  # the suffix fits fastgrad's spelling only
    lambda lib: lib.zeros(0, 3),
    lambda lib: lib.zeros(0, dtype=lib.int64),
    lambda lib: lib.ones(2, dtype=lib.float64),
    lambda lib: lib.ones(2, dtype=lib.int32),
    lambda lib: lib.ones(2, requires_grad=True),
    lambda lib: lib.tensor(2.5, requires_grad=True) * 2,
    lambda lib: lib.arange(100.0).reshape(4, 25) * 1e-3,
])
def test_suffixes_match_torch(make):
    ours, theirs = repr(make(fastgrad)), repr(make(torch))
    assert ours == theirs.replace("torch.", "").replace("MulBackward0", "MulBackward")


def test_get_printoptions_matches_torch():
    from torch._tensor_str import get_printoptions  # private in PyTorch

    assert fastgrad.get_printoptions() == get_printoptions()
    for options in ({"profile": "short"}, {"precision": 6, "sci_mode": True}, {"linewidth": 40}, {"profile": "full"}):
        set_both(options)
        assert fastgrad.get_printoptions() == get_printoptions()
