"""DLPack exchange through NumPy: fastgrad.from_dlpack, fastgrad.utils.dlpack and Tensor.__dlpack__ share memory."""
import numpy as np
import pytest

import fastgrad


def test_numpy_array_converts_sharing_memory():
    array = np.arange(6.0).reshape(2, 3)[:, ::2]
    x = fastgrad.from_dlpack(array)
    assert x.shape == (2, 2) and x.dtype == fastgrad.float64 and not x.requires_grad
    x[0, 0] = 7.0
    assert array[0, 0] == 7.0


def test_tensor_exports_its_memory():
    x = fastgrad.arange(4, dtype=fastgrad.int32)
    array = np.from_dlpack(x)
    array[1] = 9
    assert x.tolist() == [0, 9, 2, 3] and x.__dlpack_device__() == (1, 0)


def test_round_trip_through_a_capsule():
    x = fastgrad.tensor([[True, False]])
    y = fastgrad.utils.dlpack.from_dlpack(fastgrad.utils.dlpack.to_dlpack(x))
    assert y.tolist() == [[True, False]] and y.data_ptr() == x.data_ptr()
    assert fastgrad.utils.dlpack.from_dlpack is fastgrad.from_dlpack


def test_tensor_that_requires_grad_is_refused():
    with pytest.raises(BufferError, match="requires grad"):
        fastgrad.ones(2, requires_grad=True).__dlpack__()
    assert np.from_dlpack(fastgrad.ones(2, requires_grad=True).detach()).tolist() == [1.0, 1.0]


def test_stream_on_the_cpu_is_refused():
    with pytest.raises(AssertionError, match="stream must be None"):
        fastgrad.ones(2).__dlpack__(stream=1)


@pytest.mark.parametrize("dtype", [np.complex64, np.uint16])
def test_dtypes_fastgrad_lacks_are_refused(dtype):
    with pytest.raises(TypeError, match=f"from_dlpack: a tensor of dtype {np.dtype(dtype)} is not supported"):
        fastgrad.from_dlpack(np.zeros(2, dtype=dtype))


@pytest.mark.parametrize("value", [3, [1.0, 2.0], "tensor"])
def test_objects_without_dlpack_are_refused(value):
    with pytest.raises(RuntimeError, match="ext_tensor must have __dlpack__"):
        fastgrad.from_dlpack(value)


def test_to_dlpack_needs_a_tensor():
    with pytest.raises(TypeError, match="to_dlpack: tensor must be a fastgrad Tensor, got ndarray"):
        fastgrad.utils.dlpack.to_dlpack(np.ones(2))


def test_copy_and_device_arguments():
    array = np.arange(3.0)
    copied = fastgrad.from_dlpack(array, copy=True)
    copied[0] = 5.0
    assert array[0] == 0.0
    shared = fastgrad.from_dlpack(array, copy=False, device="cpu")
    shared[0] = 5.0
    assert array[0] == 5.0
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        fastgrad.from_dlpack(array, device="cuda")
    assert fastgrad.ones(1).__dlpack__(stream=-1) is not None
