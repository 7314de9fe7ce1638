"""The *_copy functions against PyTorch 2.13: values, dtypes, shapes, strides (contiguous), gradients, requires_grad,
memory of their own, and the exception type of each bad call."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad

torch = pytest.importorskip("torch")

from tests.ops.conftest import compare_with_torch  # noqa: E402  (after the skip: it needs no torch itself)

ARRAY = np.random.default_rng(0).standard_normal((3, 4, 5))

# call(lib, x) -> a tensor or a tuple of tensors, for lib = fastgrad and torch, on x = ARRAY as a tensor
CALLS = {
    "alias_copy": lambda lib, x: lib.alias_copy(x),
    "alias_copy of a transpose": lambda lib, x: lib.alias_copy(x.transpose(0, 2)),
    "as_strided_copy": lambda lib, x: lib.as_strided_copy(x, (2, 2), (1, 2), 1),
    "as_strided_copy overlapping": lambda lib, x: lib.as_strided_copy(x, (3, 3), (1, 1)),
    "diagonal_copy": lambda lib, x: lib.diagonal_copy(x),
    "diagonal_copy offset, dims": lambda lib, x: lib.diagonal_copy(x, offset=1, dim1=-1, dim2=0),
    "expand_copy": lambda lib, x: lib.expand_copy(x[:, :1], (2, 3, 4, 5)),
    "expand_copy implicit": lambda lib, x: lib.expand_copy(x[:1], [3, -1, 5], implicit=True),
    "permute_copy": lambda lib, x: lib.permute_copy(x, (2, 0, 1)),
    "permute_copy keyword": lambda lib, x: lib.permute_copy(x, dims=[1, 0, 2]),
    "select_copy": lambda lib, x: lib.select_copy(x, 1, -1),
    "select_copy keywords": lambda lib, x: lib.select_copy(x, dim=2, index=0),
    "slice_copy": lambda lib, x: lib.slice_copy(x, 2, 1, 100, 2),
    "slice_copy defaults": lambda lib, x: lib.slice_copy(x),
    "slice_copy negative bounds": lambda lib, x: lib.slice_copy(x, -1, -3, -1),
    "slice_copy empty": lambda lib, x: lib.slice_copy(x, 1, 3, 1),
    "split_copy": lambda lib, x: lib.split_copy(x, 2, 2),
    "split_with_sizes_copy": lambda lib, x: lib.split_with_sizes_copy(x, [1, 3], 1),
    "squeeze_copy": lambda lib, x: lib.squeeze_copy(x[:1, :, :1]),
    "squeeze_copy dim": lambda lib, x: lib.squeeze_copy(x[:1, :, :1], -1),
    "squeeze_copy dims": lambda lib, x: lib.squeeze_copy(x[:1, :, :1], (0, 1, 2)),
    "t_copy": lambda lib, x: lib.t_copy(x[0]),
    "t_copy 1-d": lambda lib, x: lib.t_copy(x[0, 0]),
    "transpose_copy": lambda lib, x: lib.transpose_copy(x, 0, -1),
    "unbind_copy": lambda lib, x: lib.unbind_copy(x, 1),
    "unfold_copy": lambda lib, x: lib.unfold_copy(x, 2, 2, 1),
    "unsqueeze_copy": lambda lib, x: lib.unsqueeze_copy(x, -1),
    "view_copy": lambda lib, x: lib.view_copy(x, (4, 15)),
    "view_copy of a transpose": lambda lib, x: lib.view_copy(x.transpose(0, 1), (12, 5)),
    "view_copy size keyword": lambda lib, x: lib.view_copy(x, size=[-1]),
}


def pieces(result):
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_values_and_gradients_match_torch(name):
    compare_with_torch(torch, lambda x: CALLS[name](fastgrad, x), lambda x: CALLS[name](torch, x), ARRAY)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_copies_are_contiguous_new_memory_like_torch(name):
    ours, theirs = fastgrad.tensor(ARRAY), torch.tensor(ARRAY)
    for mine, reference in zip(pieces(CALLS[name](fastgrad, ours)), pieces(CALLS[name](torch, theirs))):
        assert mine.storage_offset() == reference.storage_offset() == 0
        # (NumPy gives empty arrays strides of its own: fastgrad.zeros(3, 0).stride() is (0, 0), PyTorch's (1, 1))
        assert mine.stride() == reference.stride() or reference.numel() == 0
        with fastgrad.no_grad(), torch.no_grad():
            mine.add_(1.0)
            reference.add_(1.0)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())  # neither input changed


def test_view_copy_as_a_dtype_matches_torch():
    for target in ("int32", "int64", "float32"):
        ours = fastgrad.view_copy(fastgrad.tensor(ARRAY), np.dtype(target))
        theirs = torch.view_copy(torch.tensor(ARRAY), getattr(torch, target))
        assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_detach_copy_requires_grad_and_refuses_backward_like_torch():
    for lib in (fastgrad, torch):
        copy = lib.detach_copy(lib.ones(2, 3, requires_grad=True).t())
        assert copy.requires_grad and copy.stride() == (2, 1)
        with pytest.raises(RuntimeError, match="derivative for .*detach_copy is not implemented"):
            copy.sum().backward()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4), data=st.data())
def test_slice_copy_matches_torch(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    bound = st.one_of(st.none(), st.integers(-6, 6))
    start, end, step = data.draw(bound), data.draw(bound), data.draw(st.integers(1, 3))
    array = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    compare_with_torch(torch, lambda x: fastgrad.slice_copy(x, dim, start, end, step),
                       lambda x: torch.slice_copy(x, dim, start, end, step), array)


BAD_CALLS = {
    "alias_copy of a list": lambda lib, x: lib.alias_copy([1.0]),
    "as_strided_copy out of bounds": lambda lib, x: lib.as_strided_copy(x, (2, 2), (1, 2), 57),
    "as_strided_copy negative size": lambda lib, x: lib.as_strided_copy(x, (-1,), (1,)),
    "diagonal_copy same dims": lambda lib, x: lib.diagonal_copy(x, 0, 1, 1),
    "diagonal_copy dim out of range": lambda lib, x: lib.diagonal_copy(x, 0, 0, 3),
    "expand_copy bad size": lambda lib, x: lib.expand_copy(x, (3, 5, 5)),
    "expand_copy fewer dims": lambda lib, x: lib.expand_copy(x, (4, 5)),
    "permute_copy not a permutation": lambda lib, x: lib.permute_copy(x, (0, 0, 1)),
    "permute_copy too few dims": lambda lib, x: lib.permute_copy(x, (0, 1)),
    "select_copy index out of range": lambda lib, x: lib.select_copy(x, 1, 4),
    "select_copy dim out of range": lambda lib, x: lib.select_copy(x, 3, 0),
    "slice_copy step 0": lambda lib, x: lib.slice_copy(x, 0, 0, 2, 0),
    "slice_copy negative step": lambda lib, x: lib.slice_copy(x, 0, 0, 2, -1),
    "slice_copy float start": lambda lib, x: lib.slice_copy(x, 0, 0.5),
    "split_copy list": lambda lib, x: lib.split_copy(x, [1, 2]),
    "split_copy negative": lambda lib, x: lib.split_copy(x, -1),
    "split_with_sizes_copy wrong sum": lambda lib, x: lib.split_with_sizes_copy(x, [1, 1], 1),
    "squeeze_copy dim out of range": lambda lib, x: lib.squeeze_copy(x, 3),
    "t_copy 3-d": lambda lib, x: lib.t_copy(x),
    "transpose_copy dim out of range": lambda lib, x: lib.transpose_copy(x, 0, 3),
    "unbind_copy 0-d": lambda lib, x: lib.unbind_copy(x[0, 0, 0]),
    "unfold_copy size too large": lambda lib, x: lib.unfold_copy(x, 0, 4, 1),
    "unfold_copy step 0": lambda lib, x: lib.unfold_copy(x, 0, 2, 0),
    "unsqueeze_copy dim out of range": lambda lib, x: lib.unsqueeze_copy(x, 4),
    "view_copy wrong count": lambda lib, x: lib.view_copy(x, (7, 9)),
    "view_copy two free dims": lambda lib, x: lib.view_copy(x, (-1, -1)),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_calls_raise_torchs_exception_type(name):
    call = BAD_CALLS[name]
    with pytest.raises(Exception) as theirs:
        call(torch, torch.tensor(ARRAY))
    with pytest.raises(theirs.type):
        call(fastgrad, fastgrad.tensor(ARRAY))
