"""Shape ops (repeat, repeat_interleave, unfold, chunk, split, split_with_sizes, tensor_split, hsplit, vsplit,
dsplit, unbind, narrow, narrow_copy, ravel, adjoint, unflatten, view_as, reshape_as, flatten) and matrix products (mm, bmm, outer, einsum): gradcheck over hypothesis shapes on every backend, views,
and errors for bad arguments."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf
from fastgrad import ops

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
nonscalar_shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


# -- shape ops: gradients --------------------------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), extra=st.integers(0, 2),
       data=st.data(), seed=st.integers(0, 2**16))
def test_repeat_gradients(backend_name, shape, extra, data, seed):
    sizes = tuple(data.draw(st.lists(st.integers(0, 3), min_size=len(shape) + extra, max_size=len(shape) + extra)))
    if not sizes:
        sizes = (2,)
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.repeat(*sizes), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=nonscalar_shapes, data=st.data(), seed=st.integers(0, 2**16))
def test_unfold_gradients(backend_name, shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    size = data.draw(st.integers(0, shape[dim]))
    step = data.draw(st.integers(1, 3))
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.unfold(dim, size, step) * 1.5, x)


def test_unfold_windows_overlap_and_their_gradients_add_up():
    x = fastgrad.arange(5, dtype=fastgrad.float64).requires_grad_()
    windows = x.unfold(0, 3, 1)
    assert windows.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    windows.sum().backward()
    assert x.grad.tolist() == [1, 2, 3, 2, 1]  # each element counted once per window that holds it
    assert fastgrad.arange(6).view(2, 3).unfold(1, 2, 2).tolist() == [[[0, 1]], [[3, 4]]]
    assert fastgrad.tensor(3.0).unfold(0, 1, 1).tolist() == [3.0]


def test_unfold_refuses_bad_windows():
    x = fastgrad.zeros(2, 5)
    with pytest.raises(RuntimeError, match="unfold: size 6 is larger than dimension 1 of size 5"):
        x.unfold(1, 6, 1)
    with pytest.raises(RuntimeError, match="unfold: step must be > 0, got 0"):
        x.unfold(1, 2, 0)
    with pytest.raises(RuntimeError, match="unfold: size must be >= 0, got -1"):
        x.unfold(1, -1, 1)
    with pytest.raises(IndexError, match="dimension out of range"):
        x.unfold(2, 2, 1)
    with pytest.raises(TypeError, match="unfold: size must be an int, got float"):
        x.unfold(1, 2.0, 1)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=nonscalar_shapes, data=st.data(), seed=st.integers(0, 2**16))
def test_repeat_interleave_gradients(backend_name, shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    counts = data.draw(st.lists(st.integers(0, 3), min_size=shape[dim], max_size=shape[dim]))
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.repeat_interleave(2), x)
    check(backend_name, lambda x: x.repeat_interleave(fastgrad.tensor(counts), dim=dim) * 1.5, x)
    check(backend_name, lambda x: fastgrad.repeat_interleave(x, fastgrad.tensor([2]), dim), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=nonscalar_shapes, data=st.data(), seed=st.integers(0, 2**16))
def test_pieces_and_views_gradients(backend_name, shape, data, seed):
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    size = shape[dim]
    chunks = data.draw(st.integers(1, 5))
    split_size = data.draw(st.integers(1, 4))
    cut = data.draw(st.integers(0, size))
    start = data.draw(st.integers(-size, size - 1))
    length = data.draw(st.integers(0, size - start % size))
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.chunk(chunks, dim), x)  # tuple outputs: every piece is projected
    check(backend_name, lambda x: fastgrad.split(x, split_size, dim), x)
    check(backend_name, lambda x: x.split([cut, size - cut], dim), x)
    check(backend_name, lambda x: [piece * (i + 1) for i, piece in enumerate(x.unbind(dim))], x)
    check(backend_name, lambda x: fastgrad.narrow(x, dim, start, length), x)
    check(backend_name, lambda x: x.unflatten(dim, (1, size, 1)), x)
    check(backend_name, lambda x: x.flatten().view_as(x).reshape_as(x.flatten()), x)
    check(backend_name, lambda x: x.flatten(dim), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5), data=st.data(), seed=st.integers(0, 2**16))
def test_tensor_split_family_gradients(backend_name, shape, data, seed):
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    size = shape[dim]
    sections = data.draw(st.integers(1, 6))
    indices = data.draw(st.lists(st.integers(-size - 2, size + 2), max_size=3))
    sizes = data.draw(st.lists(st.integers(0, size), min_size=1, max_size=3).filter(lambda s: sum(s) <= size))
    sizes[-1] += size - sum(sizes)
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.tensor_split(sections, dim), x)  # tuple outputs: every piece is projected
    check(backend_name, lambda x: fastgrad.tensor_split(x, indices, dim=dim), x)
    check(backend_name, lambda x: x.split_with_sizes(sizes, dim), x)
    axis = 1 if ndim > 1 else 0  # hsplit's; vsplit and dsplit split along 0 and 2
    divisor = next(n for n in (3, 2, 1) if shape[axis] % n == 0)
    check(backend_name, lambda x: x.hsplit(divisor), x)
    if ndim >= 2:
        check(backend_name, lambda x: fastgrad.vsplit(x, [1]), x)
    if ndim == 3:
        check(backend_name, lambda x: x.dsplit([1, -1]), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), data=st.data(), seed=st.integers(0, 2**16))
def test_ravel_narrow_copy_and_adjoint_gradients(backend_name, shape, data, seed):
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.ravel() * 1.5, x)
    check(backend_name, lambda x: fastgrad.ravel(x.permute(tuple(reversed(range(x.ndim))))), x)
    if shape:
        dim = data.draw(st.integers(-len(shape), len(shape) - 1))
        start = data.draw(st.integers(-shape[dim], shape[dim]))
        length = data.draw(st.integers(0, -start if start < 0 else shape[dim] - start))
        check(backend_name, lambda x: x.narrow_copy(dim, start, length) * 2.0, x)
    if len(shape) >= 2:
        check(backend_name, lambda x: x.adjoint() * 1.5, x)
        check(backend_name, lambda x: fastgrad.adjoint(x), x)


def test_tensor_split_pieces_follow_pytorch():
    x = fastgrad.arange(10)
    assert [p.tolist() for p in x.tensor_split(3)] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert [p.shape[0] for p in x.tensor_split(11)] == [1] * 10 + [0]
    # indices clip as slice bounds do; a piece that ends before it starts is empty
    assert [p.tolist() for p in x.tensor_split((7, 2, 12))] == [list(range(7)), [], list(range(2, 10)), []]
    assert [p.shape[0] for p in x.tensor_split([-30, 30])] == [0, 10, 0]
    assert [p.tolist() for p in x.tensor_split([-3, -1])] == [list(range(7)), [7, 8], [9]]
    assert [p.tolist() for p in x.tensor_split([])] == [list(range(10))]
    assert [p.shape[0] for p in x.tensor_split(fastgrad.tensor(3))] == [4, 3, 3]  # a 0-dim tensor: sections
    assert [p.shape[0] for p in fastgrad.tensor_split(x, fastgrad.tensor([2, 5]))] == [2, 3, 5]
    assert [p.shape[0] for p in x.tensor_split(sections=2)] == [5, 5]
    assert [p.shape[0] for p in x.tensor_split(indices=[4])] == [4, 6]
    assert [p.shape for p in fastgrad.arange(0).tensor_split(3)] == [(0,)] * 3
    m = fastgrad.arange(24).reshape(2, 3, 4)
    assert [p.shape for p in m.hsplit(3)] == [(2, 1, 4)] * 3 and [p.shape for p in m.vsplit([1])] == [(1, 3, 4)] * 2
    assert [p.shape for p in fastgrad.dsplit(m, 2)] == [(2, 3, 2)] * 2
    assert [p.tolist() for p in fastgrad.arange(6).hsplit(3)] == [[0, 1], [2, 3], [4, 5]]
    assert [p.shape for p in m.split_with_sizes([1, 3], -1)] == [(2, 3, 1), (2, 3, 3)]
    assert fastgrad.arange(0).split([]) == () and fastgrad.split_with_sizes(fastgrad.arange(0), []) == ()
    assert [p.shape for p in fastgrad.arange(0).split(2)] == [(0,)]


def test_ravel_is_a_view_only_of_a_contiguous_tensor_and_narrow_copy_never():
    x = fastgrad.arange(6.0).reshape(2, 3)
    flat, transposed = x.ravel(), x.T.ravel()
    assert flat.tolist() == list(range(6)) and transposed.tolist() == [0, 3, 1, 4, 2, 5]
    assert np.shares_memory(flat.detach().numpy(), x.detach().numpy())
    assert not np.shares_memory(transposed.detach().numpy(), x.detach().numpy())
    copy = x.narrow_copy(1, 1, 2)
    assert copy.tolist() == [[1, 2], [4, 5]] and copy.is_contiguous()
    assert not np.shares_memory(copy.detach().numpy(), x.detach().numpy())
    assert fastgrad.narrow_copy(x, -1, -1, 1).tolist() == [[2], [5]] and fastgrad.tensor(2.0).ravel().shape == (1,)


def test_adjoint_real_and_imag_of_real_tensors():
    x = fastgrad.arange(24.0).reshape(2, 3, 4)
    assert x.adjoint().shape == (2, 4, 3) and x.adjoint().stride() == (12, 1, 4)
    assert np.shares_memory(x.adjoint().detach().numpy(), x.detach().numpy())
    scalar = fastgrad.tensor(2.0)
    with pytest.warns(UserWarning, match="adjoint.. is deprecated on 0-D tensors"):
        assert scalar.adjoint() is scalar
    assert x.real is x and fastgrad.real(x) is x
    y = fastgrad.zeros(2)
    y.real = fastgrad.tensor([1.0, 2.0])  # copies into y, as PyTorch's setter
    assert y.tolist() == [1.0, 2.0] and y._version == 1


def test_split_chunk_and_unbind_pieces_follow_pytorch():
    x = fastgrad.arange(5)
    assert [p.tolist() for p in x.split(2)] == [[0, 1], [2, 3], [4]]
    assert [p.tolist() for p in x.split([1, 4])] == [[0], [1, 2, 3, 4]]
    assert [p.shape for p in x.chunk(3)] == [(2,), (2,), (1,)]
    assert [p.shape for p in fastgrad.arange(6).chunk(4)] == [(2,), (2,), (2,)]  # fewer pieces than asked for
    assert [p.shape for p in fastgrad.arange(0).chunk(2)] == [(0,), (0,)]
    assert [p.shape for p in fastgrad.arange(0).split(0)] == [(0,)]
    m = fastgrad.arange(6).reshape(2, 3)
    assert [p.tolist() for p in fastgrad.unbind(m, dim=-1)] == [[0, 3], [1, 4], [2, 5]]
    assert m.narrow(1, -2, 2).tolist() == [[1, 2], [4, 5]] and m.narrow(1, 3, 0).shape == (2, 0)
    assert m.narrow(1, fastgrad.tensor(1), 1).tolist() == [[1], [4]]
    assert fastgrad.arange(12).unflatten(0, (-1, 4)).shape == (3, 4)
    assert fastgrad.unflatten(fastgrad.ones(2, 6), -1, [2, 3]).shape == (2, 2, 3)
    assert fastgrad.ones(2, 3, 4).flatten(1, 1).shape == (2, 3, 4) and fastgrad.ones(2, 3, 4).flatten(-2).shape == (2, 12)


def test_pieces_share_memory_with_the_input():
    x = fastgrad.arange(12.0).reshape(3, 4)
    for piece in x.chunk(2, 1) + x.split([1, 2]) + x.unbind(1) + (x.narrow(0, 1, 2),):
        assert np.shares_memory(piece.detach().numpy(), x.detach().numpy())
    assert ops.Einsum.returns_view  # "ij->ji" is a NumPy view


def test_repeat_interleave_values_follow_pytorch():
    x = fastgrad.tensor([[1, 2], [3, 4]])
    assert x.repeat_interleave(2).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert x.repeat_interleave(fastgrad.tensor([1, 2]), dim=0).tolist() == [[1, 2], [3, 4], [3, 4]]
    assert x.repeat_interleave(fastgrad.tensor([0, 3]), dim=1).tolist() == [[2, 2, 2], [4, 4, 4]]
    assert fastgrad.repeat_interleave(fastgrad.tensor([1, 2, 3])).tolist() == [0, 1, 1, 2, 2, 2]
    assert fastgrad.tensor(5.0).repeat_interleave(3).tolist() == [5.0, 5.0, 5.0]
    assert x.repeat(2, 1, 2).shape == (2, 2, 4) and fastgrad.tensor(3.0).repeat(2, 3).tolist() == [[3.0] * 3] * 2


# -- matrix products: gradients --------------------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(b=st.integers(1, 3), n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_matrix_product_gradients(backend_name, b, n, k, m, seed):
    a, c = leaf((n, k), seed), leaf((k, m), seed + 1)
    check(backend_name, lambda a, c: a.mm(c), a, c)
    check(backend_name, lambda a, c: fastgrad.mm(c.T, a.T), a, c)
    batch_a, batch_c = leaf((b, n, k), seed + 2), leaf((b, k, m), seed + 3)
    check(backend_name, lambda a, c: fastgrad.bmm(a, c), batch_a, batch_c)
    u, v = leaf((n,), seed + 4), leaf((m,), seed + 5)
    check(backend_name, lambda u, v: u.outer(v), u, v)
    check(backend_name, lambda u, v: fastgrad.outer(u, v * v), u, v)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("i,j->ij", [(3,), (2,)]),
    ("bi,bi->b", [(3, 4), (3, 4)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ij->j", [(2, 3)]),
    ("ij,jk", [(2, 3), (3, 4)]), ("ij,kj->ik", [(2, 3), (1, 3)]), ("ij,j->i", [(2, 3), (1,)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]), ("bn,nd->d", [(2, 3), (3, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i,i->", [(4,), (4,)]), ("i j , j k -> k i", [(2, 3), (3, 4)]), ("bA,c", [(3, 2), (4,)]),
], ids=lambda value: value if isinstance(value, str) else "")
@SETTINGS
@given(seed=st.integers(0, 2**16))
def test_einsum_gradients_and_values(backend_name, equation, shapes, seed):
    operands = [leaf(shape, seed + i) for i, shape in enumerate(shapes)]
    check(backend_name, lambda *t: fastgrad.einsum(equation, *t), *operands)
    arrays = [t.detach().numpy() for t in operands]
    np.testing.assert_allclose(fastgrad.einsum(equation, operands).detach().numpy(),
                               np.einsum(equation.replace(" ", ""), *arrays))


def test_mm_and_bmm_values_match_numpy():
    a, b = fastgrad.randn(2, 3), fastgrad.randn(3, 4)
    np.testing.assert_allclose(fastgrad.mm(a, b).detach().numpy(), a.detach().numpy() @ b.detach().numpy(), rtol=1e-6)
    ints = fastgrad.tensor([[1, 2], [3, 4]])
    assert ints.mm(ints).tolist() == [[7, 10], [15, 22]]
    assert fastgrad.outer(fastgrad.tensor([1.0, 2.0]), fastgrad.tensor([1.0, 0.0, -1.0])).tolist() == [
        [1.0, 0.0, -1.0], [2.0, 0.0, -2.0]]


# -- errors ----------------------------------------------------------------------------------------
def test_bad_shape_op_arguments_name_the_argument_and_value():
    x = fastgrad.ones(2, 3)
    cases = [
        (lambda: x.repeat(2), RuntimeError, r"repeat: expected at least 2 non-negative sizes .* got \(2,\)"),
        (lambda: x.repeat(-1, 2), RuntimeError, r"got \(-1, 2\)"),
        (lambda: fastgrad.tensor(1.0).repeat(), TypeError, "missing 1 required positional argument"),
        (lambda: x.repeat(2.5, 1), TypeError, "repeat: sizes must be an int, got float 2.5"),
        (lambda: x.repeat_interleave(fastgrad.tensor([1, 2]), dim=1), RuntimeError,
         r"repeats must be an int or a 0-dim/1-dim tensor of 1 or 3 counts .* got shape \(2,\)"),
        (lambda: x.repeat_interleave(fastgrad.tensor([1, -2]), dim=0), RuntimeError, r"non-negative, got \[1, -2\]"),
        (lambda: x.repeat_interleave(-1), RuntimeError, "non-negative"),
        (lambda: x.repeat_interleave(fastgrad.tensor([1.0, 2.0]), dim=0), NotImplementedError,
         "integer tensor, got dtype float32"),
        (lambda: x.repeat_interleave(2, dim=1, output_size=5), RuntimeError, "output_size is 5, but the repeats give 6"),
        (lambda: fastgrad.repeat_interleave(x), RuntimeError, "1-D integer tensor of counts"),
        (lambda: x.chunk(0), RuntimeError, "chunks must be a positive int, got 0"),
        (lambda: x.chunk(2.0), TypeError, "chunk: chunks must be an int, got float 2.0"),
        (lambda: x.split([1.0, 2.0], 1), TypeError, "split: split_size must be an int, got float 1.0"),
        (lambda: x.narrow(0, 0, 1.5), TypeError, "narrow: length must be an int, got float 1.5"),
        (lambda: x.unflatten(1, (3.0,)), TypeError, "unflatten: sizes must be an int, got float 3.0"),
        (lambda: x.unbind(0.5), TypeError, "dim must be an int or a tuple of ints, got 0.5"),
        (lambda: fastgrad.tensor(1.0).chunk(2), RuntimeError, "at least 1 dim, got a 0-dim tensor"),
        (lambda: x.split(0, 1), RuntimeError, "split_size can be 0 only for a dim of size 0, got 0 for dim 1 of size 3"),
        (lambda: x.split(-1, 1), RuntimeError, "split: split_size must be non-negative, got -1"),
        (lambda: x.split([1, 3], 1), RuntimeError, r"split_sizes \[1, 3\] must add up to 3, the size of dim 1, got 4"),
        (lambda: x.split([-1, 4], 1), RuntimeError, r"split_sizes must be non-negative, got \[-1, 4\]"),
        (lambda: x.split(2, 1.0), TypeError, "split: dim must be an int, got float 1.0"),
        (lambda: x.split(fastgrad.tensor([1, 2]), 1), TypeError, "split_size must be an int or a list of ints"),
        (lambda: fastgrad.tensor(1.0).unbind(), IndexError, "no dimensions"),
        (lambda: x.unbind(2), IndexError, "dimension out of range"),
        (lambda: x.narrow(1, 2, 2), RuntimeError, r"length 2 from start 2 does not fit dim 1 of size 3"),
        (lambda: x.narrow(1, 4, 0), IndexError, r"start 4 is out of range for dim 1 of size 3 \(expected in \[-3, 3\]\)"),
        (lambda: x.narrow(1, 0, -1), RuntimeError, "length must be non-negative, got -1"),
        (lambda: fastgrad.tensor(1.0).narrow(0, 0, 1), RuntimeError, "0-dim"),
        (lambda: fastgrad.arange(12).unflatten(0, (5, -1)), RuntimeError, r"sizes \[5, -1\] do not multiply up to the size 12"),
        (lambda: fastgrad.arange(12).unflatten(0, (-1, -1)), RuntimeError, "at most one -1"),
        (lambda: fastgrad.arange(12).unflatten(0, ()), RuntimeError, "non-empty"),
        (lambda: fastgrad.ones(2, 3, 4).flatten(2, 1), RuntimeError, "start_dim 2 comes after end_dim 1"),
        (lambda: x.tensor_split(0), RuntimeError, "tensor_split: number of sections must be larger than 0, got 0"),
        (lambda: x.tensor_split(2.0), TypeError, "tensor_split: sections must be an int, got float 2.0"),
        (lambda: x.tensor_split([1.5]), TypeError, "tensor_split: indices must be an int, got float 1.5"),
        (lambda: x.tensor_split(True), TypeError, "tensor_split: sections must be an int, got bool"),
        (lambda: x.tensor_split(fastgrad.tensor([1.0])), RuntimeError, "dtype int64, but got float32"),
        (lambda: x.tensor_split(fastgrad.tensor([1], dtype=fastgrad.int32)), RuntimeError, "dtype int64, but got int32"),
        (lambda: x.tensor_split(fastgrad.tensor([[1]])), RuntimeError, "one-dimensional tensor, but got a tensor with 2"),
        (lambda: x.tensor_split(2, dim=2), IndexError, "dimension out of range"),
        (lambda: x.tensor_split(), TypeError, "expected one of indices_or_sections, sections or indices, got 0"),
        (lambda: x.tensor_split(2, sections=2), TypeError, "expected one of .* got 2"),
        (lambda: fastgrad.tensor(1.0).tensor_split(2), RuntimeError, "at least a 1-dimensional tensor, .* 0 dims"),
        (lambda: x.hsplit(2), RuntimeError, "hsplit: attempted to split along dimension 1, but the size of the dimension "
                                            "3 is not divisible by the split_size 2"),
        (lambda: x.hsplit(0), RuntimeError, "not divisible by the split_size 0"),
        (lambda: x.hsplit(-1), RuntimeError, "number of sections must be larger than 0, got -1"),
        (lambda: fastgrad.tensor(1.0).hsplit(1), RuntimeError, "hsplit: requires a tensor with at least 1 dim"),
        (lambda: fastgrad.ones(3).vsplit(1), RuntimeError, "vsplit: requires a tensor with at least 2 dim.* got a tensor "
                                                          "with 1 dim"),
        (lambda: x.dsplit([1]), RuntimeError, "dsplit: requires a tensor with at least 3 dim"),
        (lambda: x.split_with_sizes([1, 1], 1), RuntimeError, r"split_with_sizes: split_sizes \[1, 1\] must add up to 3"),
        (lambda: x.split_with_sizes([-1, 4], 1), RuntimeError, "non-negative"),
        (lambda: x.unsafe_split_with_sizes([-1, 4], 1), RuntimeError, "unsafe_split_with_sizes: split_sizes must be"),
        (lambda: x.unsafe_split(0, 1), RuntimeError, "unsafe_split: split_size can be 0 only for a dim of size 0"),
        (lambda: x.split_with_sizes(3, 1), TypeError, "split_with_sizes: split_sizes must be a list of ints, got int"),
        (lambda: x.split_with_sizes([1.0, 2.0], 1), TypeError, "split_with_sizes: split_size must be an int, got float"),
        (lambda: x.narrow_copy(1, 2, 2), RuntimeError, r"narrow_copy: length 2 from start 2 does not fit dim 1 of size 3"),
        (lambda: x.narrow_copy(1, -4, 1), IndexError, r"narrow_copy: start -4 is out of range for dim 1 of size 3"),
        (lambda: x.narrow_copy(1, 1.0, 1), TypeError, "narrow_copy: start must be an int, got float"),
        (lambda: fastgrad.tensor(1.0).narrow_copy(0, 0, 1), RuntimeError, "narrow_copy: cannot be applied to a 0-dim"),
        (lambda: fastgrad.ones(3).adjoint(), RuntimeError, "only supported on matrices or batches of matrices. Got 1-D"),
        (lambda: x.imag, RuntimeError, "imag is not implemented for tensors with non-complex dtypes"),
        (lambda: fastgrad.imag(x), RuntimeError, "imag is not implemented"),
        (lambda: setattr(x, "imag", x), RuntimeError, "imag is not implemented"),
        (lambda: x.view_as(fastgrad.ones(3, 3)), RuntimeError, r"cannot reshape a tensor of shape \(2, 3\)"),
    ]
    for fn, error, message in cases:
        with pytest.raises(error, match=message):
            fn()


def test_bad_matrix_product_arguments_name_shapes_and_dtypes():
    a, b = fastgrad.ones(2, 3), fastgrad.ones(3, 4)
    cases = [
        (lambda: a.mm(fastgrad.ones(4, 3)), RuntimeError, r"mm: shapes \(2, 3\) and \(4, 3\) cannot be multiplied"),
        (lambda: a.mm(fastgrad.ones(3)), RuntimeError, r"mm: mat2 must be a 2-D tensor, got shape \(3,\)"),
        (lambda: fastgrad.mm(fastgrad.ones(2, 2, 3), b), RuntimeError, r"mm: self must be a 2-D tensor, got shape \(2, 2, 3\)"),
        (lambda: a.mm(b.double()), RuntimeError, "mm: expected self and mat2 to have the same dtype, but got float32 != float64"),
        (lambda: a.mm(3), TypeError, "mm: mat2 must be a Tensor, got int"),
        (lambda: fastgrad.bmm(a, b), RuntimeError, r"bmm: self must be a 3-D tensor, got shape \(2, 3\)"),
        (lambda: fastgrad.bmm(fastgrad.ones(2, 2, 3), fastgrad.ones(1, 3, 4)), RuntimeError,
         r"expected mat2 of shape \(2, 3, p\)"),
        (lambda: fastgrad.bmm(fastgrad.ones(2, 2, 3), fastgrad.ones(2, 3, 4).long()), RuntimeError, "float32 != int64"),
        (lambda: fastgrad.outer(a, fastgrad.ones(3)), RuntimeError, "outer: expected self to be a 1-D tensor, got a 2-D tensor"),
        (lambda: fastgrad.einsum("ii->i", fastgrad.ones(3, 2)), RuntimeError,
         "subscript 'i' is repeated for operand 0 but the sizes don't match, 3 != 2"),
        (lambda: fastgrad.einsum("ij,jk->ik", a), RuntimeError, r"subscripts for 2 operand\(s\), got 1 tensor"),
        (lambda: fastgrad.einsum("ij,jk->ik", a, b.double()), RuntimeError,
         r"one dtype, got float32 \(operands 0 to 0\) and float64 \(operand 1\)"),
        (lambda: fastgrad.einsum("ij,jk->ik", a, fastgrad.ones(4, 4)), RuntimeError,
         "subscript 'j' has size 4 in operand 1 but size 3"),
        (lambda: fastgrad.einsum("i1,jk->ik", a, b), RuntimeError, "invalid subscript '1'"),
        (lambda: fastgrad.einsum("i.j->i", a), RuntimeError, "invalid subscript '.'"),
        (lambda: fastgrad.einsum("i->", a), RuntimeError, r"operand 0 has 2 dims but 1 subscripts \('i'\) and no '...'"),
        (lambda: fastgrad.einsum("ij,jk->iz", a, b), RuntimeError, "output subscript 'z' .* is in no operand"),
        (lambda: fastgrad.einsum("ij,jk->ikk", a, b), RuntimeError, "appears more than once"),
        (lambda: fastgrad.einsum("ij"), ValueError, "at least one operand"),
        (lambda: fastgrad.einsum("ij", [[1.0]]), TypeError, "operand 0 must be a Tensor, got list"),
    ]
    for fn, error, message in cases:
        with pytest.raises(error, match=message):
            fn()
