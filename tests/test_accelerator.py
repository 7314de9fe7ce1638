"""The device namespaces on a CPU-only machine (fastgrad.accelerator, cpu, mps, xpu, backends.mps), the tensor
flags of other devices and layouts, and moves to accelerators, which raise."""
import pytest

import fastgrad


def test_the_tutorials_device_line_gives_cpu():
    device = fastgrad.accelerator.current_accelerator().type if fastgrad.accelerator.is_available() else "cpu"
    assert device == "cpu"
    assert fastgrad.ones(2, device=device).device == fastgrad.device("cpu")


def test_no_accelerator():
    accelerator = fastgrad.accelerator
    assert accelerator.is_available() is False and accelerator.device_count() == 0
    assert accelerator.current_accelerator() is None and accelerator.current_accelerator(check_available=True) is None
    for call in (accelerator.current_device_index, accelerator.synchronize, accelerator.current_stream):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
            call()


def test_cpu_namespace():
    cpu = fastgrad.cpu
    assert cpu.is_available() and cpu.device_count() == 1 and cpu.current_device() == "cpu"
    assert cpu.synchronize() is None and cpu.set_device(0) is None
    stream = cpu.Stream()
    with cpu.stream(stream) as entered:
        assert entered is None
    assert isinstance(cpu.current_stream(), cpu.Stream) and stream.wait_stream(cpu.current_stream()) is None


@pytest.mark.parametrize("namespace", [fastgrad.mps, fastgrad.xpu, fastgrad.backends.mps])
def test_other_devices_are_not_available(namespace):
    assert namespace.is_available() is False
    assert getattr(namespace, "device_count", lambda: 0)() == 0
    assert getattr(namespace, "is_built", lambda: False)() is False


def test_device_and_layout_flags_are_false_and_read_only():
    x = fastgrad.ones(2, requires_grad=True) * 2
    for flag in ("is_meta", "is_mps", "is_xpu", "is_quantized", "is_nested", "is_mkldnn", "is_vulkan", "is_ipu",
                 "is_xla", "is_maia", "is_mtia", "is_sparse_csr"):
        assert getattr(x, flag) is False
        with pytest.raises(AttributeError):
            setattr(x, flag, True)
    assert x.name is None


@pytest.mark.parametrize("kind", ["cuda", "xpu"])
def test_moves_to_accelerators_raise(kind):
    x = fastgrad.ones(2)
    with pytest.raises(AssertionError, match="not compiled with"):
        getattr(x, kind)()
    with pytest.raises(AssertionError, match="not compiled with"):
        getattr(x, kind)(f"{kind}:0", non_blocking=True)
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        getattr(x, kind)(0)
    with pytest.raises(RuntimeError, match=f"Invalid device, must be {kind} device"):
        getattr(x, kind)("cpu")
    with pytest.raises(TypeError, match="argument 'device'"):
        getattr(x, kind)(1.5)
    with pytest.raises(TypeError, match="argument 'non_blocking'"):
        getattr(x, kind)(None, 3)


def test_grad_scaler_at_top_level():
    assert fastgrad.GradScaler is fastgrad.amp.GradScaler
