"""tensor_split, hsplit/vsplit/dsplit, split_with_sizes, ravel, narrow_copy, adjoint, real/imag, view(dtype),
as_strided and unfold's writes against PyTorch: values, dtypes and gradients, and for views stride(),
storage_offset() and writes reaching the original as in PyTorch."""
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

# (same_as_torch is a stateless function: sharing it across examples is safe)
SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
ARRAY = np.arange(60.0).reshape(3, 4, 5)

# call(lib, x) -> a tensor or a tuple of tensors, for lib = fastgrad and torch
VIEWS = {
    "tensor_split sections": lambda lib, x: x.tensor_split(3, 2),
    "tensor_split more sections than elements": lambda lib, x: x.tensor_split(5, 0),
    "tensor_split indices": lambda lib, x: lib.tensor_split(x, [1, -1, 9], -1),
    "tensor_split unsorted indices": lambda lib, x: x.tensor_split((3, 1), dim=1),
    "tensor_split tensor sections": lambda lib, x: x.tensor_split(lib.tensor(2), 1),
    "tensor_split tensor indices": lambda lib, x: x.tensor_split(lib.tensor([0, 2]), 1),
    "tensor_split keyword": lambda lib, x: x.tensor_split(sections=2, dim=1),
    "hsplit": lambda lib, x: x.hsplit(2),
    "hsplit indices": lambda lib, x: lib.hsplit(x, [1, 3]),
    "hsplit 1-d": lambda lib, x: x[0, 0].hsplit(5),
    "vsplit": lambda lib, x: lib.vsplit(x, 3),
    "vsplit indices of a view": lambda lib, x: x.transpose(0, 2).vsplit([2]),
    "dsplit": lambda lib, x: x.dsplit(5),
    "dsplit indices": lambda lib, x: lib.dsplit(x, (1, 4)),
    "split_with_sizes": lambda lib, x: x.split_with_sizes([1, 0, 3], 1),
    "split_with_sizes function": lambda lib, x: lib.split_with_sizes(x, [2, 1], dim=0),
    "ravel contiguous": lambda lib, x: x.ravel(),
    "ravel of a row": lambda lib, x: x[1].ravel(),
    "ravel of a transpose (a copy)": lambda lib, x: lib.ravel(x.transpose(0, 1)),
    "ravel of a slice (a copy)": lambda lib, x: x[:, 1:2].ravel(),
    "narrow_copy": lambda lib, x: x.narrow_copy(1, 1, 2),
    "narrow_copy function": lambda lib, x: lib.narrow_copy(x.transpose(0, 2), 0, 3, 2),  # (torch: no grad for start < 0)
    "adjoint": lambda lib, x: x.adjoint(),
    "adjoint function": lambda lib, x: lib.adjoint(x[1]),
    "real": lambda lib, x: x.real,
    "real function": lambda lib, x: lib.real(x[:, 1]),
    "as_strided": lambda lib, x: x.as_strided((2, 3), (5, 1)),
    "as_strided of a slice, offset outside it": lambda lib, x: x[1:].as_strided((4, 2), (3, 1), 2),
    "as_strided overlapping": lambda lib, x: lib.as_strided(x[0, 1], (3, 3), (1, 1)),
    "as_strided expanded": lambda lib, x: x[:, :1].expand(3, 4, 5).as_strided((4, 2), (0, 7), 3),
    "unfold without overlap": lambda lib, x: x.unfold(2, 2, 3),
    # PyTorch's strides for the size-1 dims an expand keeps or adds (fastgrad's were 0, NumPy's broadcast_to's)
    "expand keeping a size-1 dim": lambda lib, x: x[:, 1:2].expand(3, 1, 5),
    "expand adding a dim of size 1": lambda lib, x: x[0].expand(1, 4, 5),
    "expand of a 0-d tensor to size-1 dims": lambda lib, x: x[1, 2, 3].expand(1, 1),
}


def as_tuple(result):
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_match_torch_in_values_and_gradients(name, same_as_torch):
    same_as_torch(VIEWS[name], ARRAY)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_match_torch_in_layout_and_writes(name):
    call = VIEWS[name]
    bases = fastgrad.tensor(ARRAY), torch.tensor(ARRAY)
    ours, theirs = as_tuple(call(fastgrad, bases[0])), as_tuple(call(torch, bases[1]))
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert mine.shape == tuple(reference.shape) and mine.stride() == reference.stride()
        # (NumPy keeps no place in memory for an empty slice: its storage_offset is 0 here)
        assert mine.storage_offset() == (reference.storage_offset() if reference.numel() else 0)
    # each piece changed in place: the change reaches the original exactly where PyTorch's does
    with fastgrad.no_grad():
        for i, piece in enumerate(ours):
            if piece._data.flags.writeable:
                piece.add_(1000.0 * (i + 1))
    with torch.no_grad():
        for i, (piece, mine) in enumerate(zip(theirs, ours)):
            if mine._data.flags.writeable:
                piece.add_(1000.0 * (i + 1))
    np.testing.assert_array_equal(bases[0].numpy(), bases[1].numpy())
    for mine, reference in zip(ours, theirs):
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())


def test_only_overlapping_views_are_read_only():
    """The read-only views of VIEWS (skipped by the write check above) are exactly those whose positions
    share elements, where PyTorch's in-place arithmetic depends on its loop order."""
    x = fastgrad.tensor(ARRAY)
    read_only = sorted(name for name, call in VIEWS.items()
                       if any(not piece._data.flags.writeable for piece in as_tuple(call(fastgrad, x))))
    assert read_only == ["as_strided expanded", "as_strided overlapping"]


def test_overlapping_unfold_windows_refuse_writes_that_torch_applies_once_per_window():
    theirs = torch.arange(6.0)
    theirs.unfold(0, 3, 1).add_(1)  # each element gains 1 per window holding it, in PyTorch's loop order
    assert theirs.tolist() != (torch.arange(6.0) + 1).tolist()
    ours = fastgrad.arange(6.0)
    with pytest.raises(RuntimeError, match="read-only"):
        ours.unfold(0, 3, 1).add_(1)
    assert ours.tolist() == list(range(6))


@st.composite
def strided_calls(draw):
    """A slice of a 24-element tensor and an as_strided window of its memory (offset given or not)."""
    start = draw(st.integers(0, 6))
    size = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
    stride = tuple(draw(st.lists(st.integers(0, 4), min_size=len(size), max_size=len(size))))
    offset = draw(st.one_of(st.none(), st.integers(0, 23)))
    last = (start if offset is None else offset) + sum((n - 1) * step for n, step in zip(size, stride))
    assume(0 in size or last < 24)
    return start, size, stride, offset


@SETTINGS
@given(call=strided_calls())
def test_as_strided_matches_torch(call, same_as_torch):
    start, size, stride, offset = call
    same_as_torch(lambda lib, x: x[start:].as_strided(size, stride, offset) * 1.0, np.arange(24.0))
    bases = fastgrad.arange(24.0), torch.arange(24.0)
    ours, theirs = (base[start:].as_strided(size, stride, offset) for base in bases)
    assert ours.stride() == theirs.stride() and ours.storage_offset() == theirs.storage_offset()
    if ours._data.flags.writeable:
        ours.mul_(-1)
        theirs.mul_(-1)
        np.testing.assert_array_equal(bases[0].numpy(), bases[1].numpy())


@pytest.mark.parametrize("source", ["float32", "float64", "int32", "int64", "bool"])
@pytest.mark.parametrize("target", ["float32", "float64", "int32", "int64", "int16", "int8", "uint8", "bool"])
@pytest.mark.parametrize("layout", [lambda x: x, lambda x: x.transpose(0, 1), lambda x: x[:, 1:3], lambda x: x[::2, :4],
                                    lambda x: x[1, 2:], lambda x: x[:1].expand(3, 8)],
                         ids=["contiguous", "transposed", "offset", "row-strided", "row", "expanded"])
def test_view_as_dtype_matches_torch_or_both_refuse(source, target, layout):
    array = np.random.default_rng(0).uniform(-3, 3, (3, 8)).astype(source)
    ours, theirs = layout(fastgrad.tensor(array)), layout(torch.tensor(array))
    try:
        expected = theirs.view(getattr(torch, target))
    except RuntimeError as error:
        with pytest.raises(RuntimeError, match=re.escape(str(error).split(" to view")[0])):  # the same rule
            ours.view(np.dtype(target))
        return
    got = ours.view(np.dtype(target))
    assert got.shape == tuple(expected.shape) and str(got.dtype) == target
    assert got.stride() == expected.stride() and got.storage_offset() == expected.storage_offset()
    if target == "bool":  # bytes other than 0 and 1: compared as bytes
        np.testing.assert_array_equal(got.numpy().view(np.uint8), expected.view(torch.uint8).numpy())
    else:
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    assert not got.requires_grad and got.is_leaf


def test_view_as_dtype_of_a_tensor_that_requires_grad_is_outside_autograd_like_torch():
    for lib in (fastgrad, torch):
        x = lib.arange(4.0).requires_grad_()
        for result in (x.view(lib.float32), (x * 2).view(lib.int32), x.view(dtype=lib.float64)):
            assert not result.requires_grad and result.grad_fn is None
        bits = x.detach().view(lib.int32)
        bits.add_(1)  # a change through the view is a change of x's memory
        assert x._version == 1


def test_adjoint_of_a_scalar_warns_and_real_assignment_copies_like_torch():
    for lib in (fastgrad, torch):
        scalar = lib.tensor(2.0)
        with pytest.warns(UserWarning, match="adjoint.. is deprecated on 0-D tensors"):
            assert scalar.adjoint() is scalar
        target = lib.zeros(3)
        target.real = lib.tensor([1.0, 2.0, 3.0])
        assert target.tolist() == [1.0, 2.0, 3.0]
        assert lib.real(target) is target
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastgrad.zeros(2, 2).adjoint()  # no warning for matrices


BAD_CALLS = {
    "tensor_split 0 sections": lambda lib, x: x.tensor_split(0),
    "tensor_split float": lambda lib, x: x.tensor_split(2.0),
    "tensor_split float indices": lambda lib, x: x.tensor_split([1.0]),
    "tensor_split bool": lambda lib, x: x.tensor_split(True),
    "tensor_split float tensor": lambda lib, x: x.tensor_split(lib.tensor([1.0])),
    "tensor_split int32 tensor": lambda lib, x: x.tensor_split(lib.tensor([1], dtype=lib.int32)),
    "tensor_split 2-d tensor": lambda lib, x: x.tensor_split(lib.tensor([[1]])),
    "tensor_split bad dim": lambda lib, x: x.tensor_split(2, 3),
    "tensor_split 0-d": lambda lib, x: x[0, 0, 0].tensor_split(2),
    "tensor_split keyword indices_or_sections": lambda lib, x: x.tensor_split(indices_or_sections=2),
    "hsplit not divisible": lambda lib, x: x.hsplit(3),
    "hsplit 0": lambda lib, x: x.hsplit(0),
    "hsplit negative": lambda lib, x: x.hsplit(-1),
    "hsplit 0-d": lambda lib, x: x[0, 0, 0].hsplit(1),
    "vsplit 1-d": lambda lib, x: x[0, 0].vsplit(1),
    "dsplit 2-d": lambda lib, x: x[0].dsplit(1),
    "dsplit float": lambda lib, x: x.dsplit(5.0),
    "split_with_sizes wrong sum": lambda lib, x: x.split_with_sizes([1, 1], 1),
    "split_with_sizes negative": lambda lib, x: x.split_with_sizes([-1, 5], 1),
    "split_with_sizes int": lambda lib, x: x.split_with_sizes(4, 1),
    "split_with_sizes floats": lambda lib, x: x.split_with_sizes([1.0, 3.0], 1),
    "split_with_sizes 0-d": lambda lib, x: x[0, 0, 0].split_with_sizes([1]),
    "narrow_copy too long": lambda lib, x: x.narrow_copy(1, 2, 3),
    "narrow_copy start out of range": lambda lib, x: x.narrow_copy(1, -5, 1),
    "narrow_copy negative length": lambda lib, x: x.narrow_copy(1, 0, -1),
    "narrow_copy float": lambda lib, x: x.narrow_copy(1, 1.0, 1),
    "narrow_copy 0-d": lambda lib, x: x[0, 0, 0].narrow_copy(0, 0, 1),
    "adjoint 1-d": lambda lib, x: x[0, 0].adjoint(),
    "imag": lambda lib, x: x.imag,
    "imag function": lambda lib, x: lib.imag(x),
    "as_strided out of bounds": lambda lib, x: x.as_strided((2, 2), (1, 2), 57),
    "as_strided negative offset": lambda lib, x: x.as_strided((2,), (1,), -1),
    "as_strided negative stride": lambda lib, x: x.as_strided((2,), (-1,), 3),
    "as_strided negative size": lambda lib, x: x.as_strided((-1,), (1,)),
    "as_strided length mismatch": lambda lib, x: x.as_strided((2,), (1, 2)),
    "as_strided int size": lambda lib, x: x.as_strided(2, 1),
    "as_strided float offset": lambda lib, x: x.as_strided((2,), (1,), 3.0),
    "view dtype of 0-d": lambda lib, x: x[0, 0, 0].view(lib.float32),
    "view dtype odd last dim": lambda lib, x: x.float().view(lib.float64),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_rejected_by_both(name):
    call = BAD_CALLS[name]
    with pytest.raises(Exception):
        call(torch, torch.tensor(ARRAY))
    with pytest.raises((TypeError, ValueError, IndexError, RuntimeError)):
        call(fastgrad, fastgrad.tensor(ARRAY))


SPLIT_ARGUMENTS = [0, -1, 2, 5, 1.5, True, np.int64(2), None, "a", [1, 2], [2, 2], [-1, 4], [], (1, 2), [1.0, 2.0],
                   [0, 3], [3]]


@pytest.mark.parametrize("name", ["split", "unsafe_split", "split_with_sizes", "unsafe_split_with_sizes", "chunk",
                                  "tensor_split"])
@pytest.mark.parametrize("form", ["method", "function"])
def test_split_family_refuses_with_torchs_exception_types(name, form):
    # fastgrad raised ValueError where PyTorch raises RuntimeError (a 0-dim tensor, sizes that do not add up, a
    # negative split_size, chunks of 0), and checked the dims before the arguments' types
    for argument in SPLIT_ARGUMENTS:
        for dim in [0, 1, 2, -3, 1.0]:
            for shape in [(3, 4), (0,), ()]:
                def call(m):
                    x = m.zeros(shape)
                    return getattr(x, name)(argument, dim) if form == "method" else getattr(m, name)(x, argument, dim)

                if form == "function" and not hasattr(torch, name):
                    continue
                ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
                where = f"{name}({argument!r}, dim={dim!r}) of shape {shape}: fastgrad {ours!r}, PyTorch {theirs!r}"
                if isinstance(theirs, Raised):
                    assert same_exception_type(ours, theirs), where
                else:
                    assert not isinstance(ours, Raised), where
                    assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs], where
