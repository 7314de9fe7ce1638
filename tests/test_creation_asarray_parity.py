"""asarray, frombuffer, scalar_tensor and the deprecated range against PyTorch: values, dtypes, which memory
the result shares, requires_grad and graphs, warnings and refusals."""
import array
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def same(ours, theirs) -> None:
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert ours.requires_grad == theirs.requires_grad


@pytest.mark.parametrize("kwargs", [{}, {"copy": True}, {"copy": False}, {"dtype": "float64"}, {"dtype": "float32"},
                                    {"requires_grad": False}, {"requires_grad": True},
                                    {"copy": True, "requires_grad": False},
                                    {"dtype": "float64", "requires_grad": False}])
@pytest.mark.parametrize("leaf", [True, False])
def test_asarray_of_a_tensor_shares_copies_and_keeps_the_graph_as_torch(kwargs, leaf):
    results = []
    for lib in (fastgrad, torch):
        options = {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
        start = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        obj = start if leaf else start * 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 2.13's notice of its changed default (tested below)
            result = lib.asarray(obj, **options)
        same_object, flag_after = result is obj, obj.requires_grad
        with lib.no_grad():
            obj[0] = 7.0  # whether the memory is shared
        result_first = result[0].item()
        if result.requires_grad:
            (result * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        grad = None if start.grad is None else start.grad.tolist()
        results.append((same_object, flag_after, result.requires_grad, result.is_leaf, result_first, grad,
                        str(result.dtype).replace("torch.", "")))
    assert results[0] == results[1]


@pytest.mark.parametrize("requires_grad", [None, True, False])
def test_asarray_of_a_tensor_without_grad_sets_the_flag_on_it_as_torch(requires_grad):
    for lib in (fastgrad, torch):
        obj = lib.ones(2)
        result = lib.asarray(obj, requires_grad=requires_grad)
        assert result is obj and obj.requires_grad == bool(requires_grad)


def test_asarray_warns_of_the_changed_requires_grad_default_as_torch():
    """(PyTorch warns once per process, so only fastgrad's warning is checked here.)"""
    with pytest.warns(UserWarning, match="unspecified requires_grad now defaults to obj.requires_grad"):
        fastgrad.asarray(fastgrad.ones(2, requires_grad=True) * 2)
    for lib in (fastgrad, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.asarray(lib.ones(2, requires_grad=True), requires_grad=False)
            lib.asarray(lib.ones(2))


@pytest.mark.parametrize("array, kwargs", [
    (np.arange(3.0), {}), (np.arange(3.0), {"dtype": "float32"}), (np.arange(3.0), {"copy": True}),
    (np.arange(3, dtype=np.int32), {}), (np.arange(6.0).reshape(2, 3).T, {}), (np.arange(3.0), {"requires_grad": True}),
    (np.ones(2, dtype=np.float32), {"dtype": "float32", "copy": False}),
])
def test_asarray_of_a_numpy_array_shares_its_memory_where_torch_does(array, kwargs):
    ours_array, theirs_array = array.copy(order="K"), array.copy(order="K")
    if not array.flags.c_contiguous:
        ours_array, theirs_array = array.T.copy().T, array.T.copy().T
    ours = fastgrad.asarray(ours_array, **{k: getattr(fastgrad, v) if k == "dtype" else v for k, v in kwargs.items()})
    theirs = torch.asarray(theirs_array, **{k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()})
    same(ours, theirs)
    ours_array.flat[0], theirs_array.flat[0] = 9, 9
    assert ours.detach().numpy().flat[0] == theirs.detach().numpy().flat[0]


@pytest.mark.parametrize("call", [
    lambda m: m.asarray([1.0, 2.0]), lambda m: m.asarray([1, 2]), lambda m: m.asarray([1, 2.5]),
    lambda m: m.asarray([1, 2], dtype=m.float64), lambda m: m.asarray(3.5), lambda m: m.asarray(True),
    lambda m: m.asarray(np.float64(2.0)), lambda m: m.asarray([1.0, 2.0], requires_grad=True),
    lambda m: m.asarray([m.tensor(1.0), m.tensor(2.0)]), lambda m: m.asarray(b"\x01\x02\x03\x04", dtype=m.uint8),
    lambda m: m.asarray(array.array("f", [1.5, 2.5])), lambda m: m.asarray(bytearray(8), dtype=m.int32),
])
def test_asarray_of_numbers_sequences_and_buffers_as_torch(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's warning that bytes are not writable
        same(call(fastgrad), call(torch))


def test_asarray_of_a_buffer_shares_its_memory_as_torch():
    for lib in (fastgrad, torch):
        buffer = bytearray(b"\x01\x02")
        result = lib.asarray(buffer, dtype=lib.uint8)
        buffer[0] = 7
        assert result.tolist() == [7, 2]


@pytest.mark.parametrize("call, error", [
    (lambda m: m.asarray(m.ones(2), dtype=m.float64, copy=False), ValueError),
    (lambda m: m.asarray(np.ones(2), dtype=m.float32, copy=False), ValueError),
    (lambda m: m.asarray([1.0, 2.0], copy=False), ValueError),
    (lambda m: m.asarray(np.float64(2.0), copy=False), (ValueError, RuntimeError)),
    (lambda m: m.asarray([1, 2], requires_grad=True), RuntimeError),
    (lambda m: m.asarray(m.tensor([1, 2]), requires_grad=True), RuntimeError),
    (lambda m: m.asarray("abc"), TypeError), (lambda m: m.asarray(np.array(["a"])), TypeError),
    (lambda m: m.asarray([1], m.float32), TypeError),
])
def test_asarray_refuses_what_torch_refuses(call, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            call(lib)


def test_asarray_names_the_bad_argument():
    with pytest.raises(ValueError, match="copy=False.*float32 as float64"):
        fastgrad.asarray(fastgrad.ones(2), dtype=fastgrad.float64, copy=False)
    with pytest.raises(TypeError, match="copy must be True, False or None, got 'yes'"):
        fastgrad.asarray([1.0], copy="yes")


@pytest.mark.parametrize("kwargs", [{}, {"count": 2, "offset": 4}, {"count": -2}, {"offset": 8},
                                    {"requires_grad": False}])
def test_frombuffer_as_torch(kwargs):
    ours_buffer = bytearray(np.array([1, 2, 3], dtype=np.int32).tobytes())
    theirs_buffer = bytearray(ours_buffer)
    ours, theirs = fastgrad.frombuffer(ours_buffer, dtype=fastgrad.int32, **kwargs), torch.frombuffer(
        theirs_buffer, dtype=torch.int32, **kwargs)
    same(ours, theirs)
    ours_buffer[8], theirs_buffer[8] = 9, 9  # shares the memory
    same(fastgrad.frombuffer(ours_buffer, dtype=fastgrad.int32), torch.frombuffer(theirs_buffer, dtype=torch.int32))
    assert ours.tolist() == theirs.tolist()


def test_frombuffer_of_floats_can_require_grad_as_torch():
    same(fastgrad.frombuffer(array.array("f", [1, 2]), dtype=fastgrad.float32, requires_grad=True),
         torch.frombuffer(array.array("f", [1, 2]), dtype=torch.float32, requires_grad=True))


@pytest.mark.parametrize("call, error", [
    (lambda m: m.frombuffer(bytearray(12), dtype=m.int32, count=4), ValueError),
    (lambda m: m.frombuffer(bytearray(12), dtype=m.int32, offset=12), ValueError),
    (lambda m: m.frombuffer(bytearray(12), dtype=m.int32, offset=-1), ValueError),
    (lambda m: m.frombuffer(bytearray(12), dtype=m.int32, count=0), ValueError),
    (lambda m: m.frombuffer(bytearray(12), dtype=m.int32, offset=1), ValueError),
    (lambda m: m.frombuffer(bytearray(), dtype=m.int32), ValueError),
    (lambda m: m.frombuffer([1, 2], dtype=m.uint8), ValueError),
    (lambda m: m.frombuffer(bytearray(4)), TypeError), (lambda m: m.frombuffer(bytearray(4), m.int32), TypeError),
    (lambda m: m.frombuffer(bytearray(4), dtype=m.int32, requires_grad=True), RuntimeError),
])
def test_frombuffer_refuses_what_torch_refuses(call, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            call(lib)
    with pytest.raises(error, match="frombuffer|positional|dtype|floating"):
        call(fastgrad)


def test_frombuffer_of_read_only_memory_stays_read_only():
    """PyTorch warns and writes into the bytes object; fastgrad refuses the write."""
    result = fastgrad.frombuffer(b"\x01\x02", dtype=fastgrad.uint8)
    assert result.tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="read-only"):
        result[0] = 5


@pytest.mark.parametrize("call", [
    lambda m: m.scalar_tensor(3), lambda m: m.scalar_tensor(3.5, dtype=m.float64), lambda m: m.scalar_tensor(True),
    lambda m: m.scalar_tensor(3.7, dtype=m.int64), lambda m: m.scalar_tensor(3, requires_grad=True),
    lambda m: m.scalar_tensor(m.tensor(2.0)), lambda m: m.scalar_tensor(np.float32(2.0)),
    lambda m: m.scalar_tensor(2, layout=m.strided, device="cpu", pin_memory=False),
])
def test_scalar_tensor_as_torch(call):
    same(call(fastgrad), call(torch))


@pytest.mark.parametrize("call, error", [
    (lambda m: m.scalar_tensor(m.tensor([2.0])), TypeError), (lambda m: m.scalar_tensor("a"), TypeError),
    (lambda m: m.scalar_tensor([2]), TypeError), (lambda m: m.scalar_tensor(2, m.float64), TypeError),
    (lambda m: m.scalar_tensor(300, dtype=m.uint8), (RuntimeError, ValueError)),
    (lambda m: m.scalar_tensor(float("nan"), dtype=m.int64), (RuntimeError, ValueError)),
])
def test_scalar_tensor_refuses_what_torch_refuses(call, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            call(lib)
    with pytest.raises(error, match="scalar_tensor|positional"):
        call(fastgrad)


@pytest.mark.parametrize("args, kwargs", [
    ((1, 4), {}), ((1, 4), {"dtype": "int64"}), ((0, 1, 0.3), {}), ((0, 0.9, 0.3), {}), ((0, 1, 0.1), {}),
    ((0, 1, 0.1), {"dtype": "float64"}), ((4, 1, -1), {}), ((1, 1), {}), ((1, 4), {"requires_grad": True}),
    ((0, 2.5, 1), {"dtype": "int64"}), ((0.7, 2.5, 1), {"dtype": "int32"}), ((0, 1e8, 1e7), {}),
])
def test_range_includes_its_end_and_warns_as_torch(args, kwargs):
    results = []
    for lib in (fastgrad, torch):
        options = {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
        with pytest.warns(UserWarning, match="deprecated.*arange"):
            results.append(lib.range(*args, **options))
    same(*results)


def test_range_takes_0_dim_tensors_and_keywords_as_torch():
    with pytest.warns(UserWarning):
        same(fastgrad.range(start=fastgrad.tensor(1.0), end=fastgrad.tensor(3.0), step=1),
             torch.range(start=torch.tensor(1.0), end=torch.tensor(3.0), step=1))


@pytest.mark.parametrize("call, error", [
    (lambda m: m.range(5), TypeError), (lambda m: m.range(4, 1), (RuntimeError, ValueError)),
    (lambda m: m.range(1, 4, 0), (RuntimeError, ValueError)),
    (lambda m: m.range(0, float("nan")), (RuntimeError, ValueError)),
    (lambda m: m.range(0, float("inf")), (RuntimeError, ValueError)),
    (lambda m: m.range(0, 1, dtype=m.bool), (NotImplementedError, TypeError)),
])
def test_range_refuses_what_torch_refuses(call, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(lib)


def test_range_refuses_values_its_integer_dtype_cannot_hold():
    """PyTorch wraps them around (300 becomes 44 in uint8)."""
    with pytest.raises(ValueError, match="range: values from 0 to 300 cannot be held by uint8"), \
            pytest.warns(UserWarning):
        fastgrad.range(0, 300, 100, dtype=fastgrad.uint8)
