"""nn.utils' gradient clipping against torch.nn.utils: the total norm returned and the gradients left."""
import warnings

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
from fastgrad.nn.utils import clip_grad_norm_, clip_grad_value_

from tests.parity_outcomes import same_exception_type

torch = pytest.importorskip("torch")

GRADS = [np.array([[0.5, -3.0], [2.0, 0.25]]), np.array([4.0, -0.125, 1.0]), np.array(-6.0)]


def clipped(library, grads, clip, **kwargs):
    params = []
    for g in grads:
        param = library.tensor(np.zeros(np.shape(g)), requires_grad=True)
        param.grad = library.tensor(np.array(g, dtype=np.float64))
        params.append(param)
    total = clip(params, **kwargs)
    return (None if total is None else float(total)), [param.grad.numpy() for param in params]


def assert_same_clipping(clip_pair, grads, **kwargs):
    (fastgrad_total, fastgrad_grads), (torch_total, torch_grads) = (
        clipped(library, grads, clip, **kwargs) for library, clip in zip((fastgrad, torch), clip_pair))
    assert (fastgrad_total is None) == (torch_total is None)
    if torch_total is not None:
        np.testing.assert_allclose(fastgrad_total, torch_total, rtol=1e-12)
    for mine, theirs in zip(fastgrad_grads, torch_grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


@pytest.mark.parametrize("foreach", [None, False, True])
def test_clip_grad_norm_and_value_accept_foreach(foreach):
    assert_same_clipping((clip_grad_norm_, torch.nn.utils.clip_grad_norm_), GRADS, max_norm=1.0, foreach=foreach)
    assert_same_clipping((clip_grad_value_, torch.nn.utils.clip_grad_value_), GRADS, clip_value=1.0, foreach=foreach)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [1.0, 1e6])
def test_clip_grad_norm_of_a_nan_gradient_is_nan_and_spreads_as_pytorchs(norm_type, max_norm):
    # the NaN stands after a finite gradient, where Python's max would skip it
    grads = GRADS[:2] + [np.array([np.nan, 1.0])]
    assert_same_clipping((clip_grad_norm_, torch.nn.utils.clip_grad_norm_), grads, max_norm=max_norm,
                         norm_type=norm_type)


@pytest.mark.parametrize("norm_type", [0, 0.5, -1.0, -2.5, float("-inf"), 1.0, 3.0, float("inf")])
def test_clip_grad_norm_of_every_order(norm_type):
    grads = GRADS + [np.zeros(2)]  # order 0 counts the gradients with a nonzero element: 3, not 10
    for max_norm in (0.5, 1e6):
        assert_same_clipping((clip_grad_norm_, torch.nn.utils.clip_grad_norm_), grads, max_norm=max_norm,
                             norm_type=norm_type)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 0.5, float("inf"), float("-inf"), 0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_get_total_norm_and_clip_grads_with_norm(norm_type, dtype):
    results = {}
    for library, get_norm, clip in ((fastgrad, nn.utils.get_total_norm, nn.utils.clip_grads_with_norm_),
                                    (torch, torch.nn.utils.get_total_norm, torch.nn.utils.clip_grads_with_norm_)):
        params = []
        for g in GRADS:
            param = library.tensor(np.zeros(np.shape(g), dtype=dtype), requires_grad=True)
            param.grad = library.tensor(np.array(g, dtype=dtype))
            params.append(param)
        total = get_norm([p.grad for p in params], norm_type)
        clip(params, 1.0, total)
        results[library.__name__] = total.numpy(), [p.grad.numpy() for p in params]
    (total, grads), (torch_total, torch_grads) = results["fastgrad"], results["torch"]
    assert total.dtype == torch_total.dtype and total.shape == ()
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(total, torch_total, rtol=rtol)
    for mine, theirs in zip(grads, torch_grads):
        np.testing.assert_allclose(mine, theirs, rtol=rtol)


@pytest.mark.parametrize("norm_type", [float("-inf"), -2.0, -1.0, -0.5, 0, 0.5, 1.0, 2.0, float("inf")])
@pytest.mark.parametrize("indices", [[1, 1, 3], [0, 1, 2, 3, 4], []], ids=["some rows", "every row", "no row"])
def test_norms_of_a_sparse_gradient_are_those_of_its_dense_form(norm_type, indices):
    # The rows a sparse gradient does not store are zeros: the smallest magnitude (-inf) and the negative
    # orders are 0 with them, where the stored rows alone gave a positive norm. PyTorch 2.13 has no norm of
    # a sparse gradient, so the reference is its norm and clipping of the densified gradient.
    embedding = nn.Embedding(5, 2, sparse=True).double()
    (embedding(fastgrad.tensor(indices, dtype=fastgrad.int64)) * 1.5).sum().backward()
    dense = torch.tensor(embedding.weight.grad.to_dense_array())
    ours = float(nn.utils.get_total_norm([embedding.weight.grad], norm_type))
    theirs = float(torch.nn.utils.get_total_norm([dense], norm_type))
    assert ours == pytest.approx(theirs, rel=1e-12)
    param = torch.zeros(5, 2, dtype=torch.float64, requires_grad=True)
    param.grad = dense.clone()
    theirs_total = float(torch.nn.utils.clip_grad_norm_([param], 0.5, norm_type))
    ours_total = float(clip_grad_norm_(embedding.parameters(), 0.5, norm_type))
    assert ours_total == pytest.approx(theirs_total, rel=1e-12)
    np.testing.assert_allclose(embedding.weight.grad.to_dense_array(), param.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("clip", ["clip_grad_norm_", "get_total_norm"])
def test_the_max_norm_with_an_empty_gradient_raises_as_pytorchs(clip):
    # the largest magnitude of no element is undefined (PyTorch: "cannot compute the infinity norm on an
    # empty tensor"); leaving the empty gradient out gave the others' max as the total
    for library in (fastgrad, torch):
        params = [library.zeros(0, requires_grad=True), library.zeros(3, requires_grad=True)]
        for param, grad in zip(params, ([], [1.0, -4.0, 2.0])):
            param.grad = library.tensor(grad)
        arguments = (params, 1.0) if clip == "clip_grad_norm_" else ([p.grad for p in params],)
        with pytest.raises(RuntimeError, match="empty tensor"):
            getattr(library.nn.utils, clip)(*arguments, norm_type=float("inf"))


def test_get_total_norm_of_one_tensor_of_none_and_its_error():
    for tensors in ([], GRADS[0]):
        ours = nn.utils.get_total_norm([fastgrad.tensor(g) for g in tensors] if isinstance(tensors, list)
                                       else fastgrad.tensor(tensors))
        theirs = torch.nn.utils.get_total_norm([torch.tensor(g) for g in tensors] if isinstance(tensors, list)
                                               else torch.tensor(tensors))
        assert ours.numpy().dtype == theirs.numpy().dtype
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    errors = []
    for library, get_norm in ((fastgrad, nn.utils.get_total_norm), (torch, torch.nn.utils.get_total_norm)):
        with pytest.raises(RuntimeError) as info:
            get_norm([library.tensor([1.0, np.inf])], error_if_nonfinite=True)
        errors.append(str(info.value))
    assert errors[0] == errors[1].replace("is non-finite,", "is non-finite (inf),")


def test_skip_init_builds_the_module_and_needs_a_device_argument():
    layer = nn.utils.skip_init(nn.Linear, 4, 3, bias=False, dtype=fastgrad.float64)
    theirs = torch.nn.utils.skip_init(torch.nn.Linear, 4, 3, bias=False, dtype=torch.float64)
    assert repr(layer) == repr(theirs)
    assert layer.weight.shape == tuple(theirs.weight.shape) and layer.weight.dtype == np.float64
    errors = []
    for library, module_cls in ((nn, nn.ReLU), (torch.nn, torch.nn.ReLU)):
        with pytest.raises(RuntimeError) as info:
            library.utils.skip_init(module_cls)
        errors.append(str(info.value))
    assert errors[0] == errors[1] == "Module must support a 'device' arg to skip initialization"


def test_deprecated_clip_grad_norm_and_an_empty_generator_warn_as_pytorchs():
    caught = {}
    for library in (fastgrad, torch):
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            library.nn.utils.clip_grad_norm_((p for p in []), 1.0)
            param = library.tensor([3.0, 4.0], requires_grad=True)
            param.grad = library.tensor([3.0, 4.0])
            total = library.nn.utils.clip_grad_norm([param], 1.0)
        caught[library.__name__] = [(r.category, str(r.message)) for r in records], float(total)
    assert caught["fastgrad"] == caught["torch"] and len(caught["torch"][0]) == 2


def _error_of(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 (the exception is what is compared)
        return error
    return None


def _parameters(library, with_grad):
    param = library.tensor([3.0, -4.0], requires_grad=True)
    if with_grad:
        param.grad = library.tensor([3.0, -4.0])
    return [param, library.tensor([1.0], requires_grad=True)]


@pytest.mark.parametrize("foreach", [None, False])
def test_clip_grad_value_with_no_gradient_raises_as_pytorchs(foreach):
    # PyTorch 2.13 fails an internal check ("Expected !nested_tensorlist[0].empty()"); fastgrad says what is missing
    for parameters in (lambda library: _parameters(library, False), lambda library: []):
        ours = _error_of(lambda: clip_grad_value_(parameters(fastgrad), 1.0, foreach))
        theirs = _error_of(lambda: torch.nn.utils.clip_grad_value_(parameters(torch), 1.0, foreach))
        assert isinstance(theirs, RuntimeError) and isinstance(ours, RuntimeError), (ours, theirs)
        assert "clip_grad_value_" in str(ours) and "gradient" in str(ours)


@pytest.mark.parametrize("total_norm", [2.5, 3, None, "2.5"])
def test_clip_grads_with_norm_refuses_a_total_norm_that_is_not_a_tensor_as_pytorch(total_norm):
    ours_params, their_params = _parameters(fastgrad, True), _parameters(torch, True)
    ours = _error_of(lambda: nn.utils.clip_grads_with_norm_(ours_params, 1.0, total_norm))
    theirs = _error_of(lambda: torch.nn.utils.clip_grads_with_norm_(their_params, 1.0, total_norm))
    assert same_exception_type(ours, theirs) and isinstance(theirs, TypeError), (ours, theirs)
    assert "total_norm" in str(ours) and type(total_norm).__name__ in str(ours)
    np.testing.assert_array_equal(ours_params[0].grad.numpy(), [3.0, -4.0])  # left as they were
    # with no gradient to scale both do nothing
    assert nn.utils.clip_grads_with_norm_(_parameters(fastgrad, False), 1.0, total_norm) is None
    assert torch.nn.utils.clip_grads_with_norm_(_parameters(torch, False), 1.0, total_norm) is None


@pytest.mark.parametrize("max_norm, norm_type, error_if_nonfinite", [
    ("a", "x", False), (None, "x", False), ([1.0], None, False), (None, 2.0, True), ("a", 2.0, False)])
def test_clip_grad_norm_checks_its_arguments_in_pytorchs_order(max_norm, norm_type, error_if_nonfinite):
    # norm_type first, then the norm (a non-finite one refused), then max_norm, as PyTorch's
    errors = []
    for library, clip in ((fastgrad, clip_grad_norm_), (torch, torch.nn.utils.clip_grad_norm_)):
        params = _parameters(library, True)
        params[0].grad[0] = float("inf")
        errors.append(_error_of(lambda: clip(params, max_norm, norm_type, error_if_nonfinite)))
    ours, theirs = errors
    assert theirs is not None and same_exception_type(ours, theirs), (ours, theirs)
    named = "norm_type" if norm_type != 2.0 else "max_norm" if not error_if_nonfinite else "non-finite"
    assert named in str(ours)
