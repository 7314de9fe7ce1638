"""autocast and GradScaler (fastgrad/amp): disabled ones work, enabled ones raise, and the state functions check
their arguments."""
import pytest

import fastgrad


def test_a_disabled_autocast_is_a_context_manager_and_a_decorator():
    with fastgrad.autocast(device_type="cpu", enabled=False, cache_enabled=False) as mode:
        assert mode.device == "cpu" and not fastgrad.is_autocast_enabled("cpu")
        assert not fastgrad.is_autocast_cache_enabled()
        x = fastgrad.randn(2, 2)
        assert (x @ x).dtype == fastgrad.float32
    assert fastgrad.is_autocast_cache_enabled()

    @fastgrad.amp.autocast("cpu", enabled=False)
    def enabled_inside():
        return fastgrad.is_autocast_enabled("cpu")
    assert enabled_inside() is False


@pytest.mark.parametrize("make", [
    lambda: fastgrad.autocast("cpu"), lambda: fastgrad.amp.autocast(device_type="cpu", enabled=True),
    lambda: fastgrad.set_autocast_enabled("cpu", True), lambda: fastgrad.set_autocast_enabled(True),
    lambda: fastgrad.amp.GradScaler("cpu"),
], ids=["autocast", "amp.autocast", "set_autocast_enabled", "set_autocast_enabled (cuda)", "GradScaler"])
def test_enabling_raises(make):
    with pytest.raises(NotImplementedError, match="no float16"):
        make()


def test_what_pytorch_disables_with_a_warning_is_disabled():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        assert not fastgrad.autocast("cuda")._enabled
    with pytest.warns(UserWarning, match="not supported. Disabling autocast"):
        assert not fastgrad.autocast("cpu", dtype=fastgrad.float64)._enabled
    with pytest.warns(UserWarning, match="CUDA is not available"):
        assert not fastgrad.amp.GradScaler().is_enabled()


@pytest.mark.parametrize("call,error", [
    (lambda: fastgrad.autocast(1), ValueError), (lambda: fastgrad.autocast("tpu", enabled=False), RuntimeError),
    (lambda: fastgrad.autocast("cpu", dtype="half", enabled=False), TypeError),
    (lambda: fastgrad.is_autocast_enabled(1), TypeError), (lambda: fastgrad.set_autocast_enabled("cpu", 1), TypeError),
    (lambda: fastgrad.set_autocast_cache_enabled(1), TypeError),
    (lambda: fastgrad.amp.is_autocast_available(1), TypeError),
], ids=["device type", "device", "dtype", "is_autocast_enabled", "set_autocast_enabled", "cache", "available"])
def test_bad_arguments_raise(call, error):
    with pytest.raises(error):
        call()


def test_a_disabled_scaler_passes_everything_through():
    model = fastgrad.nn.Linear(2, 1)
    optimizer = fastgrad.optim.SGD(model.parameters(), lr=0.5)
    scaler = fastgrad.amp.GradScaler("cpu", enabled=False)
    loss = model(fastgrad.ones(1, 2)).sum()
    assert scaler.scale(loss) is loss and scaler.scale(3.0) == 3.0
    scaler.scale(loss).backward()
    before = model.weight.detach().clone()
    scaler.unscale_(optimizer)
    assert scaler.step(optimizer) is None
    scaler.update()
    assert fastgrad.allclose(model.weight, before - 0.5)  # one plain SGD step: the gradient is ones
    assert scaler.get_scale() == 1.0 and scaler.state_dict() == {} and not scaler.is_enabled()
    with pytest.raises(AttributeError):
        scaler.get_growth_factor()
    scaler.set_growth_factor(3.0)
    assert scaler.get_growth_factor() == 3.0
