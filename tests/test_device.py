"""The CPU as the only device: fastgrad.cuda answers as torch.cuda does without CUDA, creation functions
take device=, and .to() takes PyTorch's forms; anything but the CPU raises."""
import numpy as np
import pytest

import fastgrad


def test_cuda_reports_no_device_and_seeding_it_is_harmless():
    assert fastgrad.cuda.is_available() is False and fastgrad.cuda.device_count() == 0
    fastgrad.cuda.manual_seed(3)
    fastgrad.cuda.manual_seed_all(3)
    with pytest.raises(ValueError):
        fastgrad.cuda.manual_seed("three")
    device = fastgrad.device("cuda" if fastgrad.cuda.is_available() else "cpu")
    assert fastgrad.zeros(2, device=device).device == device


@pytest.mark.parametrize("make", [
    lambda d: fastgrad.tensor([1, 2], device=d), lambda d: fastgrad.zeros(2, 3, device=d),
    lambda d: fastgrad.ones(2, device=d), lambda d: fastgrad.empty(2, device=d), lambda d: fastgrad.full((2,), 1.0, device=d),
    lambda d: fastgrad.arange(4, device=d), lambda d: fastgrad.rand(2, device=d), lambda d: fastgrad.randn(2, device=d),
    lambda d: fastgrad.randint(0, 5, (2,), device=d), lambda d: fastgrad.randperm(4, device=d),
    lambda d: fastgrad.linspace(0, 1, 3, device=d), lambda d: fastgrad.eye(2, device=d),
    lambda d: fastgrad.zeros_like(fastgrad.ones(2), device=d), lambda d: fastgrad.ones_like(fastgrad.ones(2), device=d),
    lambda d: fastgrad.full_like(fastgrad.ones(2), 3, device=d), lambda d: fastgrad.empty_like(fastgrad.ones(2), device=d),
    lambda d: fastgrad.rand_like(fastgrad.ones(2), device=d), lambda d: fastgrad.randn_like(fastgrad.ones(2), device=d),
    lambda d: fastgrad.randint_like(fastgrad.ones(2), 3, device=d),
    lambda d: fastgrad.ones(1).new_zeros(2, device=d), lambda d: fastgrad.ones(1).new_ones(2, device=d),
    lambda d: fastgrad.ones(1).new_full((2,), 5.0, device=d), lambda d: fastgrad.ones(1).new_tensor([1.0], device=d),
    lambda d: fastgrad.ones(1).new_empty(2, device=d), lambda d: fastgrad.ones(1).new(2, device=d),
])
def test_creation_functions_take_the_cpu_as_device_and_refuse_others(make):
    for cpu in ("cpu", fastgrad.device("cpu"), None):
        assert make(cpu).device == fastgrad.device("cpu")
    with pytest.raises(RuntimeError, match="CPU only"):
        make("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        make(0)  # an int names an accelerator, as in PyTorch
    with pytest.raises(TypeError, match="device must be"):
        make(1.5)


def test_to_takes_pytorchs_forms():
    x = fastgrad.tensor([1.5, -2.0])
    assert x.to("cpu") is x and x.to(fastgrad.float32) is x and x.to("cpu", non_blocking=True) is x
    assert x.to(fastgrad.int64).tolist() == [1, -2]
    assert x.to("cpu", fastgrad.float64).dtype == fastgrad.float64
    assert x.to(device="cpu", dtype=fastgrad.int32).dtype == fastgrad.int32
    assert x.to(fastgrad.zeros(1, dtype=fastgrad.float64)).dtype == fastgrad.float64  # another tensor's dtype
    assert x.to(fastgrad.float64, non_blocking=True).dtype == fastgrad.float64
    copied = x.to(fastgrad.float32, copy=True)
    assert copied is not x and copied.tolist() == x.tolist()
    copied.add_(1.0)
    assert x.tolist() == [1.5, -2.0]


def test_to_keeps_the_graph():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    (x.to(fastgrad.float64) * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and x.grad.dtype == fastgrad.float32


@pytest.mark.parametrize("args, kwargs, error, match", [
    (("cuda",), {}, RuntimeError, "CPU only"),
    ((0,), {}, RuntimeError, "CPU only"),
    (("cpu", "cpu"), {}, TypeError, "expected"),
    ((fastgrad.float64, fastgrad.float32), {}, TypeError, "expected"),
    (("cpu",), {"device": "cpu"}, TypeError, "device given twice"),
    ((fastgrad.float32,), {"dtype": fastgrad.float64}, TypeError, "dtype given twice"),
    ((), {"colour": 1}, TypeError, "unexpected keyword argument 'colour'"),
    ((), {"device": 1.5}, TypeError, "device must be"),
])
def test_to_refuses_what_pytorch_refuses(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        fastgrad.zeros(2).to(*args, **kwargs)
    with pytest.raises(error, match=match):
        fastgrad.nn.Linear(2, 2).to(*args, **kwargs)


def test_module_to_takes_pytorchs_forms():
    layer = fastgrad.nn.Linear(2, 2)
    assert layer.to("cpu", non_blocking=True) is layer and layer.weight.dtype == fastgrad.float32
    layer.to(fastgrad.zeros(1, dtype=fastgrad.float64))
    assert layer.weight.dtype == fastgrad.float64
    layer.to(device="cpu", dtype=fastgrad.float32)
    assert layer.bias.dtype == fastgrad.float32
    with pytest.raises(TypeError, match="floating point"):
        layer.to(fastgrad.int64)
    assert np.isfinite(layer(fastgrad.ones(1, 2)).detach().numpy()).all()


def test_seeding_boilerplate_runs(monkeypatch):
    monkeypatch.setattr(fastgrad.backends.cudnn, "deterministic", False)  # restored after the test
    monkeypatch.setattr(fastgrad.backends.cudnn, "benchmark", False)
    fastgrad.backends.cudnn.deterministic = True
    fastgrad.backends.cudnn.benchmark = False
    assert fastgrad.backends.cudnn.is_available() is False
    assert fastgrad.manual_seed(3) is not None and fastgrad.initial_seed() == 3
    assert fastgrad.get_default_dtype() == fastgrad.float32
