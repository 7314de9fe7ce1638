"""Reductions, sorts and counts refuse what PyTorch refuses, with the built-in type of PyTorch's exception, and
check their arguments in PyTorch's order (a dim out of range before the dtype), as the reduction fuzz found."""
import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import assert_raised_alike, outcome

torch = pytest.importorskip("torch")

NAN = float("nan")


@pytest.mark.parametrize("call", [
    pytest.param(lambda m: m.ones(2, 3).sum((0, -2)), id="sum of a dim named twice"),
    pytest.param(lambda m: m.ones(2, 3).amax((1, -1)), id="amax of a dim named twice"),
    pytest.param(lambda m: m.ones(2, 3).permute(0, 0), id="permute of a dim named twice"),
    pytest.param(lambda m: m.histc(m.tensor([1.0, 2.0]), 3, 2.0, -1.0), id="histc min > max"),
    pytest.param(lambda m: m.histc(m.tensor([1.0, 2.0]), 0), id="histc of no bins"),
    pytest.param(lambda m: m.histc(m.tensor([1.0, NAN]), 2), id="histc of a NaN's range"),
    pytest.param(lambda m: m.histc(m.tensor([1.0, float("inf")]), 2), id="histc of an infinite range"),
    pytest.param(lambda m: m.kthvalue(m.ones(1, 4), 5, dim=0), id="kthvalue k past the dim"),
    pytest.param(lambda m: m.kthvalue(m.ones(3), 0), id="kthvalue k = 0"),
    pytest.param(lambda m: m.kthvalue(m.ones(2, 0, dtype=m.bool), 1), id="kthvalue of bools along an empty dim"),
    pytest.param(lambda m: m.kthvalue(m.ones(2, 1, dtype=m.bool), 1, dim=2), id="kthvalue of bools out of range"),
    pytest.param(lambda m: m.median(m.ones(0, dtype=m.bool), -1), id="median of bools along an empty dim"),
    pytest.param(lambda m: m.nanmedian(m.ones(2, 1, dtype=m.bool), 3), id="nanmedian of bools out of range"),
    pytest.param(lambda m: m.topk(m.ones(1, 0), 2, dim=-2), id="topk k past the dim"),
    pytest.param(lambda m: m.topk(m.ones(3, dtype=m.bool), 4), id="topk of bools k past the dim"),
    pytest.param(lambda m: m.mean(m.ones(2, 3), 0, dtype=m.int32), id="mean to an integer dtype"),
    pytest.param(lambda m: m.bincount(m.tensor([1.0, 2.0])), id="bincount of floats"),
    pytest.param(lambda m: m.bincount(m.tensor([True, False])), id="bincount of bools"),
    pytest.param(lambda m: m.bincount(m.ones(2, 2, dtype=m.int64)), id="bincount of a matrix"),
    pytest.param(lambda m: m.logsumexp(m.ones(3), ()), id="logsumexp over () without keepdim"),
    pytest.param(lambda m: m.ones(2, requires_grad=True).sum(1, dtype=m.int64), id="sum's dim before its dtype"),
    pytest.param(lambda m: m.ones(2, requires_grad=True).prod(1, dtype=m.int64), id="prod's dim before its dtype"),
    pytest.param(lambda m: m.ones(2, dtype=m.int64).mean(3), id="mean's dtype before its dim"),
    pytest.param(lambda m: m.ones(2, requires_grad=True).cumsum(1, dtype=m.int64), id="cumsum's dim before its dtype"),
    pytest.param(lambda m: m.ones(2, requires_grad=True).cumprod(-2, dtype=m.int64), id="cumprod's dim before dtype"),
])
def test_refused_with_torchs_exception_type(call):
    assert_raised_alike(outcome(lambda: call(fastgrad)), outcome(lambda: call(torch)))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (0,), (2, 0)])
@pytest.mark.parametrize("keepdim", [True, False])
def test_logsumexp_over_no_dims_reduces_every_dim_or_refuses_as_torch(shape, keepdim):
    ours, theirs = (outcome(lambda m=m: m.logsumexp(m.arange(6.0)[:m.ones(shape).numel()].reshape(shape), (),
                                                    keepdim=keepdim)) for m in (fastgrad, torch))
    assert_raised_alike(ours, theirs)
    if not hasattr(theirs, "error"):
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


# PyTorch's overloads decide by what is given: sum's and mean's keepdim needs a dim (None too); prod's, max's, min's,
# median's and nanmedian's dim is an int (none of all elements), their keepdim needs one; std's and var's unbiased with
# keepdim needs a dim, and a bool first argument (unbiased) takes no other
ARGUMENT_FORMS = {
    "keepdim": ((), {"keepdim": True}), "keepdim=False": ((), {"keepdim": False}),
    "dim=None": ((), {"dim": None}), "dim=None, keepdim": ((), {"dim": None, "keepdim": True}),
    "None, True": ((None, True), {}), "None": ((None,), {}), "0, True": ((0, True), {}),
    "dtype, keepdim": ((), {"dtype": "float64", "keepdim": True}),
    "unbiased": ((), {"unbiased": False}), "unbiased, keepdim": ((), {"unbiased": False, "keepdim": True}),
    "dim=None, unbiased, keepdim": ((), {"dim": None, "unbiased": False, "keepdim": True}),
    "False, True": ((False, True), {}), "False": ((False,), {}), "True, keepdim": ((True,), {"keepdim": True}),
    "correction, keepdim": ((), {"correction": 0, "keepdim": True}),
}
TAKES = {"sum": ("dtype",), "mean": ("dtype",), "prod": ("dtype",), "max": (), "min": (), "median": (),
         "nanmedian": (), "std": ("unbiased", "correction"), "var": ("unbiased", "correction"),
         "std_mean": ("unbiased", "correction"), "var_mean": ("unbiased", "correction")}


def _reduction_call(lib, name, form, as_method):
    args, kwargs = ARGUMENT_FORMS[form]
    kwargs = {key: getattr(lib, value) if key == "dtype" else value for key, value in kwargs.items()}
    x = lib.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    return getattr(x, name)(*args, **kwargs) if as_method else getattr(lib, name)(x, *args, **kwargs)


def _forms_taken(takes: tuple) -> list[str]:
    """The argument forms of a reduction taking dim, keepdim and `takes` (a bool first argument is std's and var's)."""
    left_out = {"dtype", "unbiased", "correction"} - set(takes)
    unbiased_first = ("False, True", "False", "True, keepdim")
    return [form for form in ARGUMENT_FORMS if not left_out & set(form.split(", "))
            and (form not in unbiased_first or "unbiased" in takes)]


@pytest.mark.parametrize("as_method", [True, False], ids=["method", "function"])
@pytest.mark.parametrize("name, form", [(name, form) for name, takes in TAKES.items() for form in _forms_taken(takes)])
def test_a_reduction_takes_dim_and_keepdim_as_pytorch_s_overloads_do(name, form, as_method):
    if as_method and name.endswith("_mean"):
        pytest.skip("std_mean and var_mean are functions only")
    theirs = outcome(lambda: _reduction_call(torch, name, form, as_method))
    ours = outcome(lambda: _reduction_call(fastgrad, name, form, as_method))
    assert_raised_alike(ours, theirs, f"{name}({form})")
    if not hasattr(theirs, "error"):
        for our, their in zip(*((result,) if hasattr(result, "shape") else result for result in (ours, theirs))):
            assert our.shape == tuple(their.shape)
            np.testing.assert_allclose(our.numpy(), their.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dim", [(), [], (1,)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_takes_one_int_dim_as_pytorch(name, dim):
    ours, theirs = (outcome(lambda m=m: getattr(m.ones(2, 3), name)(dim)) for m in (fastgrad, torch))
    assert_raised_alike(ours, theirs, f"{name}({dim})")
