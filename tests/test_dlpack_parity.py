"""DLPack round trips between fastgrad and PyTorch, sharing memory both ways, and the refusals PyTorch makes."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"])
def test_torch_tensor_converts_sharing_memory(dtype):
    theirs = torch.arange(6).reshape(2, 3).t().to(getattr(torch, dtype))
    ours = fastgrad.from_dlpack(theirs)
    assert str(ours.dtype) == dtype and ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
    assert ours.data_ptr() == theirs.data_ptr()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_round_trips_share_memory():
    theirs = torch.zeros(3)
    ours = fastgrad.from_dlpack(theirs)
    back = torch.from_dlpack(ours)
    back[0] = 5.0
    ours[1] = 6.0
    assert theirs.tolist() == [5.0, 6.0, 0.0]
    capsule_back = torch.utils.dlpack.from_dlpack(fastgrad.utils.dlpack.to_dlpack(ours))
    assert capsule_back.data_ptr() == theirs.data_ptr()
    from_capsule = fastgrad.utils.dlpack.from_dlpack(torch.utils.dlpack.to_dlpack(theirs))
    assert from_capsule.data_ptr() == theirs.data_ptr()


def test_numpy_array_converts_as_torch_converts():
    array = np.arange(4, dtype=np.int32)
    ours, theirs = fastgrad.from_dlpack(array), torch.from_dlpack(array)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.data_ptr() == theirs.data_ptr() == array.ctypes.data


def test_requires_grad_refusal_and_device_match():
    for lib in (torch, fastgrad):
        with pytest.raises(BufferError):
            lib.ones(2, requires_grad=True).__dlpack__()
    assert tuple(fastgrad.ones(1).__dlpack_device__()) == tuple(torch.ones(1).__dlpack_device__())
    for lib in (torch, fastgrad):
        with pytest.raises(AssertionError):
            lib.ones(2).__dlpack__(stream=1)


def test_results_do_not_require_grad():
    assert fastgrad.from_dlpack(torch.ones(2, requires_grad=True).detach()).requires_grad is \
        torch.from_dlpack(torch.ones(2)).requires_grad is False


@pytest.mark.parametrize("value", [3, [1.0, 2.0]])
def test_objects_without_dlpack_raise_runtime_error_as_torchs(value):
    for lib in (torch, fastgrad):
        with pytest.raises(RuntimeError):
            lib.from_dlpack(value)


def test_dtype_fastgrad_lacks_is_refused():
    with pytest.raises(TypeError, match="complex64 is not supported"):
        fastgrad.from_dlpack(torch.zeros(2, dtype=torch.complex64))


@pytest.mark.parametrize("copy", [None, True, False])
def test_copy_argument_as_torchs(copy):
    ours_source, theirs_source = np.zeros(2), np.zeros(2)
    ours, theirs = fastgrad.from_dlpack(ours_source, copy=copy), torch.from_dlpack(theirs_source, copy=copy)
    ours[0], theirs[0] = 1.0, 1.0
    assert ours_source[0] == theirs_source[0]


def test_stream_minus_one_accepted_as_torchs():
    assert fastgrad.ones(1).__dlpack__(stream=-1) is not None and torch.ones(1).__dlpack__(stream=-1) is not None


def test_torch_reads_fastgrad_tensors_through_dlpack():
    ours = fastgrad.zeros(2)
    shared = torch.asarray(ours)
    shared[0] = 3.0
    assert ours.tolist() == [3.0, 0.0] and torch.tensor(ours).tolist() == [3.0, 0.0]
    with pytest.raises(BufferError, match="requires grad"):
        torch.tensor(fastgrad.ones(2, requires_grad=True))
