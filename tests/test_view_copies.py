"""The *_copy functions: gradcheck (float64 central differences) over hypothesis shapes on every backend, and
the copy's own rules (new contiguous memory; detach_copy's gradient refused, as PyTorch's)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# name -> call(x) for x of at least 2 dims of sizes 2..4 (each *_copy but detach_copy, which has no derivative)
CALLS = {
    "alias_copy": lambda x: fastgrad.alias_copy(x.transpose(0, -1)),
    "as_strided_copy": lambda x: fastgrad.as_strided_copy(x, (2, 2), (1, 2), 0),
    "diagonal_copy": lambda x: fastgrad.diagonal_copy(x, 1, -1, 0),
    "expand_copy": lambda x: fastgrad.expand_copy(x[..., :1], x.shape[:-1] + (3,)),
    "permute_copy": lambda x: fastgrad.permute_copy(x, tuple(reversed(range(x.ndim)))),
    "select_copy": lambda x: fastgrad.select_copy(x, 1, -1),
    "slice_copy": lambda x: fastgrad.slice_copy(x, -1, 1, None, 2),
    "split_copy": lambda x: fastgrad.split_copy(x, 1, 0),
    "split_with_sizes_copy": lambda x: fastgrad.split_with_sizes_copy(x, [1, x.shape[-1] - 1], -1),
    "squeeze_copy": lambda x: fastgrad.squeeze_copy(x[:1, ..., :1], (0, -1)),
    "t_copy": lambda x: fastgrad.t_copy(x[0] if x.ndim > 2 else x),
    "transpose_copy": lambda x: fastgrad.transpose_copy(x, 0, 1),
    "unbind_copy": lambda x: fastgrad.unbind_copy(x, -1),
    "unfold_copy": lambda x: fastgrad.unfold_copy(x, 0, 2, 1),
    "unsqueeze_copy": lambda x: fastgrad.unsqueeze_copy(x, 1),
    "view_copy": lambda x: fastgrad.view_copy(x.transpose(0, 1), (-1,)),
}


def test_every_copy_function_is_covered():
    exported = {name for name in dir(fastgrad) if name.endswith("_copy")} - {"narrow_copy", "index_copy"}
    assert exported == set(CALLS) | {"detach_copy"}


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("name", sorted(CALLS))
@SETTINGS
@given(shape=array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=4), seed=st.integers(0, 2**16))
def test_copies_gradcheck(backend_name, name, shape, seed):
    check(backend_name, CALLS[name], leaf(shape, seed))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_copies_are_contiguous_and_share_no_memory(name):
    x = fastgrad.arange(24.0).reshape(2, 3, 4)
    result = CALLS[name](x)
    for piece in result if isinstance(result, tuple) else (result,):
        assert piece.is_contiguous() and piece._base is None
        assert not np.shares_memory(piece.numpy(), x.numpy())


def test_detach_copy_requires_grad_but_its_backward_raises_as_torchs():
    x = fastgrad.ones(2, 3, requires_grad=True)
    copy = fastgrad.detach_copy(x.t())
    assert copy.requires_grad and copy.is_contiguous() and copy.tolist() == [[1.0, 1.0]] * 3
    with pytest.raises(RuntimeError, match="derivative for detach_copy is not implemented"):
        copy.sum().backward()
    assert not fastgrad.detach_copy(x.detach()).requires_grad
