"""torch.cuda.amp's deprecated spelling of GradScaler and autocast, still in most training scripts
(`scaler = torch.cuda.amp.GradScaler(enabled=use_amp)`, `with torch.cuda.amp.autocast():`), against
PyTorch without CUDA: the same signatures and warnings, both disabled, and a training loop through them
gives the same weights."""
import inspect
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="PyTorch's answers here are those without CUDA")


@pytest.mark.parametrize("name", ["GradScaler", "autocast"])
def test_signature_matches_torch(name):
    ours = inspect.signature(getattr(fastgrad.cuda.amp, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.cuda.amp, name).__init__).parameters
    assert list(ours) == list(theirs)
    assert [p.default for p in ours.values() if p.name not in ("self", "dtype")] == \
           [p.default for p in theirs.values() if p.name not in ("self", "dtype")]


@pytest.mark.parametrize("enabled", [True, False])
def test_warnings_and_state_match_torch(enabled):
    def made(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scaler = lib.cuda.amp.GradScaler(enabled=enabled)
            with lib.cuda.amp.autocast(enabled=enabled):
                inside = lib.is_autocast_enabled()
        return (scaler.is_enabled(), scaler.get_scale(), inside), [w.category for w in caught]
    assert made(fastgrad) == made(torch)


def test_importable_as_scripts_import_it():
    from fastgrad.cuda.amp import GradScaler, autocast  # noqa: F401


def test_training_through_the_scaler_and_autocast_matches_torch():
    rng = np.random.default_rng(0)
    inputs, weight = rng.normal(size=(6, 4)).astype(np.float32), rng.normal(size=(2, 4)).astype(np.float32)

    def train(lib):
        model = lib.nn.Linear(4, 2, bias=False)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(weight))
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scaler = lib.cuda.amp.GradScaler()
            for _ in range(3):
                with lib.cuda.amp.autocast():
                    loss = model(lib.tensor(inputs)).pow(2).mean()
                optimizer.zero_grad()
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                scaler.step(optimizer)
                scaler.update()
        return model.weight.detach().numpy()

    np.testing.assert_allclose(train(fastgrad), train(torch), rtol=1e-6)
