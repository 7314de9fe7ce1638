"""Ops PyTorch refuses for a dtype are refused whatever the form, with its exception type: nanmean of integers even
with a floating dtype= to cast them to, and abs_ (absolute_) of a bool tensor, empty or not; the ops on floats only
(RuntimeError, or NotImplementedError where PyTorch has no kernel for the dtype) and those without a bool kernel."""
import pytest

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

REFUSED = {
    "int nanmean(dtype=float32)": lambda lib: lib.tensor([1, 2]).nanmean(dtype=lib.float32),
    "uint8 nanmean(dim, dtype=float64)": lambda lib: lib.nanmean(lib.tensor([[1, 2]], dtype=lib.uint8), 0,
                                                                 dtype=lib.float64),
    "float nanmean(dtype=int32)": lambda lib: lib.tensor([1.0, 2.0]).nanmean(dtype=lib.int32),
    "bool abs_": lambda lib: lib.tensor([True, False]).abs_(),
    "bool absolute_": lambda lib: lib.tensor([True]).absolute_(),
    "empty bool abs_": lambda lib: lib.zeros(3, 0, dtype=lib.bool).abs_(),
}
INTS = {"int64": lambda lib: lib.tensor([1, 2, 3]), "int32": lambda lib: lib.tensor([1, 2, 3], dtype=lib.int32),
        "uint8": lambda lib: lib.tensor([1, 2, 3], dtype=lib.uint8), "bool": lambda lib: lib.tensor([True, False, True])}
FLOATING_ONLY = {
    "std": lambda x: x.std(), "var": lambda x: x.var(), "mean": lambda x: x.mean(), "nanmean": lambda x: x.nanmean(),
    "norm": lambda x: x.norm(), "logcumsumexp": lambda x: x.logcumsumexp(0), "frac": lambda x: x.frac(),
    "histc": lambda x: x.histc(), "softmax": lambda x: x.softmax(0), "log_softmax": lambda x: x.log_softmax(0),
    "lerp": lambda x: x.lerp(x, 0.5), "round(decimals=1)": lambda x: x.round(decimals=1)}
NO_BOOL_KERNEL = {
    "abs": lambda b: b.abs(), "floor_divide": lambda b: b // b, "remainder": lambda b: b % b, "pow": lambda b: b ** b,
    "median": lambda b: b.median(), "nanmedian": lambda b: b.nanmedian(), "kthvalue": lambda b: b.kthvalue(1),
    "topk": lambda b: b.topk(1), "argmax": lambda b: b.argmax(), "argmin": lambda b: b.argmin(0),
    "trace": lambda b: b.reshape(1, 3).trace(), "matmul": lambda b: b @ b, "cov": lambda b: b.reshape(1, 3).cov(),
    "floor": lambda b: b.floor(), "round": lambda b: b.round(), "trunc": lambda b: b.trunc(), "positive": lambda b: +b,
    "negative": lambda b: -b}


@pytest.mark.parametrize("case", REFUSED)
def test_refused_as_in_torch(case):
    ours, theirs = outcome(lambda: REFUSED[case](fastgrad)), outcome(lambda: REFUSED[case](torch))
    assert isinstance(theirs, Raised) and same_exception_type(ours, theirs), (ours, theirs)


def test_the_accepted_forms_still_work():
    for lib in (torch, fastgrad):
        assert lib.tensor([1.0, float("nan"), 2.0]).nanmean(dtype=lib.float64).item() == 1.5
        assert lib.tensor([-1, 2], dtype=lib.int8).abs_().tolist() == [1, 2]


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name", FLOATING_ONLY)
def test_ops_on_floats_only_refuse_integers_with_torchs_exception_type(name, dtype):
    # fastgrad raised TypeError for all; PyTorch raises RuntimeError, or NotImplementedError where it has no kernel
    ours = outcome(lambda: FLOATING_ONLY[name](INTS[dtype](fastgrad)))
    theirs = outcome(lambda: FLOATING_ONLY[name](INTS[dtype](torch)))
    if isinstance(theirs, Raised):
        assert same_exception_type(ours, theirs), (ours, theirs)
    else:  # (PyTorch rounds integers to no decimals as they are)
        assert not isinstance(ours, Raised), (ours, theirs)


@pytest.mark.parametrize("name", NO_BOOL_KERNEL)
def test_ops_without_a_bool_kernel_refuse_bools_with_torchs_exception_type(name):
    ours = outcome(lambda: NO_BOOL_KERNEL[name](INTS["bool"](fastgrad)))
    theirs = outcome(lambda: NO_BOOL_KERNEL[name](INTS["bool"](torch)))
    assert isinstance(theirs, Raised) and same_exception_type(ours, theirs), (ours, theirs)
