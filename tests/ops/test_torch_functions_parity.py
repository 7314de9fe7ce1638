"""concatenate, detach, rsub, fill, unravel_index, broadcast_shapes, bitwise_left_shift, bitwise_right_shift and
get_device (torch's top-level functions over existing ops) against PyTorch: values, dtypes, gradients and refusals;
and fill_/full refusing values their dtype cannot hold."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

A = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]])
B = np.array([[2.0, 1.0, -1.0], [0.5, -0.5, 3.0]])


@pytest.mark.parametrize("call", [
    lambda m, a, b: m.concatenate([a, b], axis=1), lambda m, a, b: m.concatenate((a, b)),
    lambda m, a, b: m.concatenate([a, b], 1), lambda m, a, b: m.concatenate([a, b], dim=-1),
    lambda m, a, b: m.rsub(a, b), lambda m, a, b: m.rsub(a, b, alpha=3), lambda m, a, b: m.rsub(a, 5),
    lambda m, a, b: m.rsub(a, 5, 2), lambda m, a, b: m.rsub(input=a, other=b), lambda m, a, b: m.fill(a * b, 3),
    lambda m, a, b: m.fill(a, b.sum()), lambda m, a, b: m.detach(a) * b, lambda m, a, b: m.detach(input=a * b),
])
def test_values_and_gradients_as_torch(same_as_torch, call):
    same_as_torch(call, A, B)


@pytest.mark.parametrize("call", [
    lambda m: m.rsub(m.tensor([1, 2]), 5), lambda m: m.rsub(m.tensor([1, 2]), 2.5),
    lambda m: m.rsub(m.tensor([1, 2]), m.tensor([1.5])), lambda m: m.fill(m.zeros(2, dtype=m.int64), 2.7),
    lambda m: m.fill(m.zeros(2, dtype=m.bool), 3), lambda m: m.concatenate([m.ones(2, dtype=m.int64), m.ones(1)]),
    lambda m: m.bitwise_left_shift(m.tensor([1, 2, 3], dtype=m.int32), 2),
    lambda m: m.bitwise_left_shift(3, m.tensor([1, 2, 3], dtype=m.int32)),
    lambda m: m.bitwise_right_shift(m.tensor([1, 2, 3], dtype=m.int32), m.tensor([1])),
    lambda m: m.bitwise_right_shift(m.tensor([-8, 8], dtype=m.int16), m.tensor([1, 2], dtype=m.int16)),
    lambda m: m.tensor(m.get_device(m.ones(2))),
])
def test_dtypes_as_torch(call):
    ours, theirs = call(fastgrad), call(torch)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_fill_is_a_new_tensor_and_detach_shares_memory_as_torch():
    for lib in (fastgrad, torch):
        x = lib.zeros(2)
        assert lib.fill(x, 3) is not x and x.tolist() == [0.0, 0.0]
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        detached = lib.detach(x)
        assert not detached.requires_grad and detached.is_leaf
        with lib.no_grad():
            x[0] = 5.0
        assert detached.tolist() == [5.0, 2.0]
        assert lib.fill(x, 2.0).requires_grad  # out of place: allowed on a leaf that requires grad


@pytest.mark.parametrize("call, error", [
    (lambda m: m.concatenate([m.ones(1, 2), m.zeros(1, 2)], axis=2), (IndexError, ValueError)),
    (lambda m: m.rsub(5, m.tensor([1.0])), TypeError),
    (lambda m: m.rsub(m.tensor([True]), m.tensor([True])), RuntimeError),
    (lambda m: m.rsub(m.tensor([1, 2]), 5, alpha=1.5), RuntimeError),
    (lambda m: m.detach(3), TypeError), (lambda m: m.fill(3, 2), TypeError),
    (lambda m: m.fill(m.zeros(2), m.tensor([3.0])), RuntimeError),
    (lambda m: m.fill(m.zeros(2, dtype=m.uint8), 300), (RuntimeError, ValueError)),
    (lambda m: m.zeros(2, dtype=m.int64).fill_(float("nan")), (RuntimeError, ValueError)),
    (lambda m: m.zeros(2).fill_(1e300), (RuntimeError, ValueError)),
    (lambda m: m.full((2,), float("nan"), dtype=m.int64), (RuntimeError, ValueError)),
    (lambda m: m.full((2,), 300, dtype=m.uint8), (RuntimeError, ValueError)),
    (lambda m: m.bitwise_left_shift(m.ones(2), 1), (NotImplementedError, TypeError)),
    (lambda m: m.bitwise_left_shift(2, 3), TypeError), (lambda m: m.get_device(3), TypeError),
])
def test_refuses_what_torch_refuses(call, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            call(lib)


def test_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"rsub\(\): input must be a Tensor, got int"):
        fastgrad.rsub(5, fastgrad.ones(1))
    with pytest.raises(RuntimeError, match="fill_: value nan cannot be converted to type int64"):
        fastgrad.fill(fastgrad.zeros(2, dtype=fastgrad.int64), float("nan"))
    with pytest.raises(RuntimeError, match="full: value 300 cannot be converted to type uint8"):
        fastgrad.full((2,), 300, dtype=fastgrad.uint8)
    with pytest.raises(TypeError, match="concatenate: got both axis=1 and dim=1"):
        fastgrad.concatenate([fastgrad.ones(1)], axis=1, dim=1)
    with pytest.raises(TypeError, match="concatenate: got both axis=0 and dim=1"):  # (axis 0 is the default)
        fastgrad.concatenate([fastgrad.ones(1)], axis=0, dim=1)


@pytest.mark.parametrize("indices, shape", [
    ([4, 1], (2, 3)), (4, (2, 3)), (4, 5), ([[4, 1], [0, 5]], fastgrad.Size([2, 3])), ([], (2, 0)), ([0], ()),
    (1, (2**40, 2**40)), ([5, 0, 3], [True, 6]), ([7], (2, 1, 4, 1)),
])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_unravel_index_as_torch(indices, shape, dtype):
    ours = fastgrad.unravel_index(fastgrad.tensor(indices, dtype=getattr(fastgrad, dtype)), shape)
    theirs = torch.unravel_index(torch.tensor(indices, dtype=getattr(torch, dtype)),
                                 tuple(shape) if isinstance(shape, fastgrad.Size) else shape)
    assert len(ours) == len(theirs)
    for got, expected in zip(ours, theirs):
        assert got.shape == tuple(expected.shape) and got.dtype == fastgrad.int64 and expected.dtype == torch.int64
        assert got.tolist() == expected.tolist()


@pytest.mark.parametrize("call, error", [
    (lambda m: m.unravel_index(m.tensor([1.0]), (2, 3)), TypeError),
    (lambda m: m.unravel_index(m.tensor([True]), (2, 3)), TypeError),
    (lambda m: m.unravel_index([1], (2, 3)), (TypeError, AttributeError)),
    (lambda m: m.unravel_index(m.tensor([1]), (2, -3)), ValueError),
    (lambda m: m.unravel_index(m.tensor([1]), (2.0, 3)), TypeError),
    (lambda m: m.unravel_index(m.tensor([1]), m.tensor([2, 3])), TypeError),
    (lambda m: m.unravel_index(m.tensor([0]), (2, 0)), (RuntimeError, ValueError)),
])
def test_unravel_index_refuses_what_torch_refuses(call, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            call(lib)
    with pytest.raises(error, match="unravel_index: (indices|shape)"):
        call(fastgrad)


@pytest.mark.parametrize("index", [-1, 6])
def test_unravel_index_refuses_indices_outside_the_shape(index):
    """PyTorch wraps them around ((1, 2) for -1, (0, 0) for 6 in shape (2, 3)); its documentation requires them
    in [0, 5]."""
    with pytest.raises(ValueError, match=r"unravel_index: indices must be in \[0, 5\]"):
        fastgrad.unravel_index(fastgrad.tensor([index]), (2, 3))


@pytest.mark.parametrize("shapes", [((2, 1), (3,)), ((2,), (3, 1), (1, 1, 1)), (), ((0,), (1,)), (2, (3, 1)),
                                    ([2], [3, 1]), (fastgrad.Size([4, 1]), (5,)), ((), (2, 3)), (None, (2,)),
                                    ((True, 2),)])
def test_broadcast_shapes_as_torch(shapes):
    got = fastgrad.broadcast_shapes(*shapes)
    assert isinstance(got, fastgrad.Size) and got == tuple(torch.broadcast_shapes(*shapes))


@pytest.mark.parametrize("shapes, error", [(((2,), (3,)), RuntimeError), (((0,), (2,)), RuntimeError),
                                           (((1, 2), (-1, 2)), ValueError), (((2.0,),), TypeError)])
def test_broadcast_shapes_refuses_what_torch_refuses(shapes, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            lib.broadcast_shapes(*shapes)
    with pytest.raises(error, match="shape|broadcast"):
        fastgrad.broadcast_shapes(*shapes)
