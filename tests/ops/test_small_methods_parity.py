"""Small tensor methods and their functions against PyTorch: where (method), broadcast_to, dot, vdot, mv, ger,
diagflat, cov, corrcoef, sum_to_size, index_put, fill_diagonal_, the dtype conversions byte/char/short, and the
questions (is_nonzero, is_signed, is_same_size, is_complex, is_cpu, layout, get_device, data_ptr, pinning)."""
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def uniform(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).uniform(-2, 2, shape).astype(dtype)


def test_where_method_matches_torch(matches_torch):
    condition = np.array([[True, False, True], [False, False, True]])
    matches_torch(lambda x, y: x.where(fastgrad.tensor(condition), y), lambda x, y: x.where(torch.tensor(condition), y),
                  uniform((2, 3)), uniform((3,), 1))
    matches_torch(lambda x: x.where(fastgrad.tensor(condition), 0.5), lambda x: x.where(torch.tensor(condition), 0.5),
                  uniform((2, 3), dtype=np.float32))


@pytest.mark.parametrize("call", [
    lambda lib, x: x.broadcast_to(2, 3), lambda lib, x: x.broadcast_to((4, 2, 3)), lambda lib, x: x.broadcast_to(2, -1),
])
def test_broadcast_to_method_matches_torch(call, same_as_torch):
    same_as_torch(call, uniform((3,)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_products_as_methods_match_torch(dtype, same_as_torch):
    vector, other, matrix = uniform((4,), 0, dtype), uniform((4,), 1, dtype), uniform((3, 4), 2, dtype)
    same_as_torch(lambda lib, a, b: a.dot(b), vector, other)
    same_as_torch(lambda lib, a, b: a.vdot(b), vector, other)
    same_as_torch(lambda lib, m, v: m.mv(v), matrix, vector)
    same_as_torch(lambda lib, a, b: a.ger(b), vector, uniform((3,), 3, dtype))
    same_as_torch(lambda lib, a, b: lib.ger(a, b), vector, uniform((3,), 3, dtype))


@pytest.mark.parametrize("shape,offset", [((3,), 0), ((3,), 1), ((3,), -2), ((2, 2), 1), ((), 0), ((2, 1, 2), -1)])
def test_diagflat_matches_torch(shape, offset, same_as_torch):
    same_as_torch(lambda lib, x: x.diagflat(offset), uniform(shape))
    same_as_torch(lambda lib, x: lib.diagflat(x, offset), uniform(shape))
    same_as_torch(lambda lib, x: lib.diagflat(x), np.array([[1, 2], [3, 4]]))


@pytest.mark.parametrize("kwargs", [
    {}, {"correction": 0}, {"correction": 2},
    {"fweights": np.array([1, 2, 1, 3, 1])}, {"aweights": np.array([0.5, 1.0, 2.0, 0.25, 1.5])},
    {"fweights": np.array([1, 2, 1, 3, 1]), "aweights": np.array([0.5, 1.0, 2.0, 0.25, 1.5])},
    {"fweights": np.array([1, 2, 1, 3, 1]), "aweights": np.array([0.5, 1.0, 2.0, 0.25, 1.5]), "correction": 0},
    {"aweights": np.array([0.5, 1.0, 2.0, 0.25, 1.5]), "correction": 3},
], ids=lambda kwargs: "-".join(sorted(kwargs)) or "plain")
@pytest.mark.parametrize("shape", [(3, 5), (1, 5), (5,)])
def test_cov_matches_torch(kwargs, shape, same_as_torch):
    def call(lib, x):
        return lib.cov(x, **{key: lib.tensor(value) for key, value in kwargs.items() if key != "correction"},
                       **{key: value for key, value in kwargs.items() if key == "correction"})

    same_as_torch(call, uniform(shape))
    same_as_torch(lambda lib, x: x.cov(), uniform(shape, dtype=np.float32))


def test_cov_of_integers_and_mixed_weights_match_torch(same_as_torch):
    same_as_torch(lambda lib, x: lib.cov(x), np.array([[1, 2, 4], [3, 5, 9]]))
    same_as_torch(lambda lib, x: lib.cov(x, aweights=lib.tensor([0.5, 1.0, 2.0], dtype=lib.float64)),
                  uniform((2, 3), dtype=np.float32))


def test_cov_without_degrees_of_freedom_warns_and_divides_by_zero_as_torch():
    values = np.array([[1.0, 2.0], [3.0, 5.0]])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        theirs = torch.cov(torch.tensor(values), correction=2)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        ours = fastgrad.cov(fastgrad.tensor(values), correction=2)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("shape", [(3, 6), (1, 4), (4,), (2, 1)])
def test_corrcoef_matches_torch(shape, same_as_torch):
    with np.errstate(divide="ignore", invalid="ignore"):
        same_as_torch(lambda lib, x: x.corrcoef(), uniform(shape), grad=shape != (2, 1))
        same_as_torch(lambda lib, x: lib.corrcoef(x), uniform(shape, dtype=np.float32), grad=shape != (2, 1))
    same_as_torch(lambda lib, x: lib.corrcoef(x), np.array([[1, 2, 4], [3, 5, 9], [2, 0, 1]]))


@pytest.mark.parametrize("size", [(2, 3), (2, 1), (1, 3), (3,), (1,), (1, 1), (4, 2, 3)[1:]])
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_sum_to_size_matches_torch(size, dtype, same_as_torch):
    same_as_torch(lambda lib, x: x.sum_to_size(*size), uniform((2, 3), dtype=dtype) * 3)
    same_as_torch(lambda lib, x: x.sum_to_size(size), uniform((4, 2, 3), dtype=dtype))


@pytest.mark.parametrize("size", [(2,), (3, 3), (2, 3, 1)])
def test_sum_to_size_refuses_sizes_that_do_not_expand_as_torch(size):
    with pytest.raises(RuntimeError, match="not expandable"):
        torch.ones(2, 3).sum_to_size(size)
    with pytest.raises(RuntimeError, match="not expandable to the tensor's shape"):
        fastgrad.ones(2, 3).sum_to_size(size)


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_matches_torch(accumulate, same_as_torch):
    def call(lib, x, values):
        indices = (lib.tensor([0, 2, 0]), lib.tensor([1, 1, 1]))
        return x.index_put(indices, values, accumulate=accumulate), lib.index_put(x, indices, values * 2, accumulate)

    same_as_torch(call, uniform((3, 2)), uniform((3,), 1) if accumulate else np.array([1.0, 2.0, 1.0]))


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((7, 3), False), ((7, 3), True), ((2, 5), True),
                                        ((3, 3, 3), False)])
def test_fill_diagonal_matches_torch(shape, wrap, same_as_torch):
    def call(lib, x):
        y = x * 2
        assert y.fill_diagonal_(-1.5, wrap=wrap) is y
        return y

    same_as_torch(call, uniform(shape))
    ours, theirs = fastgrad.zeros(shape, dtype=fastgrad.int64), torch.zeros(shape, dtype=torch.int64)
    ours.fill_diagonal_(7, wrap)
    theirs.fill_diagonal_(7, wrap)
    assert ours.tolist() == theirs.tolist() and ours._version == theirs._version  # (a wrap writes twice: 2)


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((2, 3), False), ((7, 3), True), ((3, 1), False)])
def test_fill_diagonal_of_an_expanded_tensor_writes_its_memory_and_passes_a_gradient_as_torch(shape, wrap):
    """PyTorch fills the diagonal as a strided view, which shows each element of an expand once: no warning, the
    base takes the values, and a history passes its gradient (zero where filled). fastgrad filled through a mask
    over the whole expand: it warned, and its backward refused the write as one through repeated memory."""
    results = []
    for lib in (torch, fastgrad):
        leaf = lib.arange(1.0, shape[1] + 1, requires_grad=True)
        base = leaf * 1
        x = base.expand(shape)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x.fill_diagonal_(5.0, wrap=wrap)
        (x * lib.arange(float(x.numel())).reshape(shape)).sum().backward()
        results.append((base.tolist(), x.tolist(), leaf.grad.tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize("shape", [(3,), (2, 3, 3)])
def test_fill_diagonal_refuses_what_torch_refuses(shape):
    with pytest.raises(RuntimeError):
        torch.zeros(shape).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="fill_diagonal_"):
        fastgrad.zeros(shape).fill_diagonal_(1)


@pytest.mark.parametrize("name", ["byte", "char", "short", "long", "int", "bool", "float", "double"])
@pytest.mark.parametrize("values", [[1.7, 100.2, -3.9, 0.0], [1, 300, -3, 127], [True, False, True, True]])
def test_dtype_conversions_match_torch(name, values):
    if name == "byte" and isinstance(values[2], float):
        values = [abs(v) for v in values]  # (a negative float into uint8 is undefined in C: PyTorch's is arbitrary)
    ours, theirs = getattr(fastgrad.tensor(values), name)(), getattr(torch.tensor(values), name)()
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_byte_char_and_short_tensors_compute_as_torch():
    ours = fastgrad.tensor([1, 2, 200]).byte() + fastgrad.tensor([-1, 2, 3]).char()
    theirs = torch.tensor([1, 2, 200]).byte() + torch.tensor([-1, 2, 3]).char()
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    ours, theirs = fastgrad.tensor([1, 2]).short() * 2.5, torch.tensor([1, 2]).short() * 2.5
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


@pytest.mark.parametrize("values,dtype", [([1.5], "float32"), ([-1], "int64"), ([True], "bool"), ([0.0], "float64"),
                                          ([[0]], "int32"), (1.0, "float32")])
def test_questions_answer_as_torch(values, dtype):
    ours = fastgrad.tensor(values, dtype=getattr(fastgrad, dtype))
    theirs = torch.tensor(values, dtype=getattr(torch, dtype))
    for name in ("is_nonzero", "is_signed", "is_complex", "get_device", "is_pinned", "is_shared",
                 "is_floating_point"):
        assert getattr(ours, name)() == getattr(theirs, name)(), name
        if name in ("is_nonzero", "is_signed", "is_complex", "is_floating_point"):
            assert getattr(fastgrad, name)(ours) == getattr(torch, name)(theirs), name
    assert ours.is_cpu == theirs.is_cpu
    assert repr(ours.layout).split(".")[1] == repr(theirs.layout).split(".")[1] == "strided"
    assert ours.is_same_size(fastgrad.zeros(np.shape(values))) == theirs.is_same_size(torch.zeros(np.shape(values)))
    assert ours.is_same_size(fastgrad.zeros(5)) == theirs.is_same_size(torch.zeros(5)) is False
    assert ours.byte().is_signed() == theirs.byte().is_signed()
    assert ours.char().is_signed() == theirs.char().is_signed()


@pytest.mark.parametrize("shape", [(0,), (2,), (2, 2)])
def test_is_nonzero_of_other_than_one_element_raises_as_torch(shape):
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with .* is ambiguous"):
        torch.zeros(shape).is_nonzero()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with .* is ambiguous"):
        fastgrad.zeros(shape).is_nonzero()


def test_data_ptr_gives_the_address_of_the_first_element_as_torch():
    ours, theirs = fastgrad.arange(12.0).reshape(3, 4), torch.arange(12.0).reshape(3, 4)
    assert ours.data_ptr() == ours.numpy().ctypes.data
    for view in (lambda t: t[1], lambda t: t[:, 2], lambda t: t.t(), lambda t: t[2:, 1:]):
        assert view(ours).data_ptr() - ours.data_ptr() == view(theirs).data_ptr() - theirs.data_ptr()


def test_pin_memory_raises_as_torch_without_an_accelerator():
    with pytest.raises(RuntimeError):
        torch.zeros(2).pin_memory()
    with pytest.raises(RuntimeError, match="pin_memory: .* CPU only"):
        fastgrad.zeros(2).pin_memory()
