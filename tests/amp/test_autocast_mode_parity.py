"""autocast's state functions and a disabled GradScaler against PyTorch: the same answers, the same training step,
the same exception types for bad arguments."""
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def outcome(call, lib):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(lib)
    except (TypeError, ValueError, RuntimeError) as error:
        return type(error)


CALLS = {
    "enabled": lambda lib: (lib.is_autocast_enabled(), lib.is_autocast_enabled("cpu"), lib.is_autocast_enabled("cuda")),
    "inside disabled": lambda lib: _inside(lib, lambda: (lib.is_autocast_enabled("cpu"), lib.is_autocast_enabled())),
    "cache": lambda lib: (lib.is_autocast_cache_enabled(), lib.set_autocast_cache_enabled(False),
                          lib.is_autocast_cache_enabled(), lib.set_autocast_cache_enabled(True)),
    "cache inside": lambda lib: _inside(lib, lib.is_autocast_cache_enabled, cache_enabled=False),
    "clear cache": lambda lib: lib.clear_autocast_cache(),
    "set disabled": lambda lib: (lib.set_autocast_enabled("cpu", False), lib.set_autocast_enabled(False),
                                 lib.is_autocast_enabled("cpu")),
    "cuda autocast": lambda lib: lib.autocast("cuda")._enabled,
    "float64 autocast": lambda lib: lib.autocast("cpu", dtype=lib.float64)._enabled,
    "device type": lambda lib: lib.autocast(1),
    "bad device": lambda lib: lib.autocast("nonsense"),
    "enabled type": lambda lib: lib.is_autocast_enabled(1),
    "set type": lambda lib: lib.set_autocast_enabled("cpu", 1),
    "cache type": lambda lib: lib.set_autocast_cache_enabled(1),
    "scaler without cuda": lambda lib: (lib.amp.GradScaler().is_enabled(), lib.amp.GradScaler().get_scale()),
    "disabled scaler": lambda lib: _disabled_scaler(lib),
}


def _inside(lib, read, **kwargs):
    with lib.autocast("cpu", enabled=False, **kwargs):
        return read()


def _disabled_scaler(lib):
    scaler = lib.amp.GradScaler("cpu", enabled=False)
    return (scaler.get_scale(), scaler.is_enabled(), scaler.state_dict(), scaler.scale(2.5), scaler.update(4.0),
            scaler.load_state_dict({"scale": 8.0}), scaler.get_scale())


@pytest.mark.parametrize("name", sorted(CALLS))
def test_autocast_state_matches_torch(name):
    assert outcome(CALLS[name], fastgrad) == outcome(CALLS[name], torch)


def test_a_disabled_scaler_trains_as_torch():
    weights = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    results = []
    for lib in (fastgrad, torch):
        w = lib.tensor(weights, requires_grad=True)
        optimizer = lib.optim.SGD([w], lr=0.1, momentum=0.9)
        scaler = lib.amp.GradScaler("cpu", enabled=False)
        for step in range(3):
            optimizer.zero_grad()
            with lib.autocast("cpu", enabled=False):
                loss = (w @ lib.tensor([1.0, float(step)])).pow(2).sum()
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            scaler.step(optimizer)
            scaler.update()
        results.append(w.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
