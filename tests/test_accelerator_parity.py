"""The device namespaces, tensor flags and accelerator moves against PyTorch 2.13 on a CPU-only machine."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.skipif(torch.cuda.is_available() or torch.accelerator.is_available(),
                                reason="this PyTorch sees an accelerator")


def test_accelerator_answers():
    for name in ("is_available", "current_accelerator", "device_count"):
        assert getattr(fastgrad.accelerator, name)() == getattr(torch.accelerator, name)()
    for name in ("current_device_index", "synchronize", "current_stream"):
        for lib in (torch, fastgrad):
            with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
                getattr(lib.accelerator, name)()


def test_cpu_answers():
    for name in ("is_available", "device_count", "current_device", "synchronize", "is_initialized"):
        assert getattr(fastgrad.cpu, name)() == getattr(torch.cpu, name)()
    for lib in (torch, fastgrad):
        with lib.cpu.stream(lib.cpu.Stream()) as entered:
            assert entered is None


@pytest.mark.parametrize("path", ["mps.is_available", "mps.device_count", "xpu.is_available", "xpu.device_count",
                                  "backends.mps.is_available", "backends.mps.is_built"])
def test_other_device_answers(path):
    def resolve(lib):
        value = lib
        for part in path.split("."):
            value = getattr(value, part)
        return value()

    assert resolve(fastgrad) == resolve(torch)


@pytest.mark.parametrize("flag", ["is_meta", "is_mps", "is_xpu", "is_quantized", "is_nested", "is_mkldnn", "is_vulkan",
                                  "is_ipu", "is_xla", "is_maia", "is_mtia", "is_sparse_csr", "name", "is_cpu",
                                  "is_cuda", "is_sparse"])
def test_tensor_flags(flag):
    ours, theirs = fastgrad.ones(2, requires_grad=True) * 2, torch.ones(2, requires_grad=True) * 2
    assert getattr(ours, flag) == getattr(theirs, flag)


@pytest.mark.parametrize("kind", ["cuda", "xpu"])
@pytest.mark.parametrize("args", [(), ("cuda",), ("cuda:0",), ("xpu",), ("cpu",), (0,), (1.5,), (None, 3),
                                  ("cuda", True)])
def test_moves_to_accelerators_raise_as_torchs(kind, args):
    with pytest.raises(BaseException) as theirs:
        getattr(torch.ones(2), kind)(*args)
    with pytest.raises(BaseException) as ours:
        getattr(fastgrad.ones(2), kind)(*args)
    assert type(ours.value) is type(theirs.value)


def test_grad_scaler_at_top_level():
    assert torch.GradScaler is torch.amp.GradScaler and fastgrad.GradScaler is fastgrad.amp.GradScaler
