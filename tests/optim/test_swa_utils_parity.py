"""optim.swa_utils against torch.optim.swa_utils: the averaged parameters and buffers over a few training
steps for every averaging function, SWALR's rates alone and after or inside other schedules (and its state
dict), update_bn's running statistics, and the errors."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.optim as optim
from fastgrad.optim import swa_utils

torch = pytest.importorskip("torch")


def model_pair(dtype="float64"):
    """The same Linear-BatchNorm-ReLU-Linear network in both libraries (PyTorch's initial weights)."""
    torch.manual_seed(3)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2)).to(getattr(torch, dtype))
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).to(getattr(fastgrad, dtype))
    ours.load_state_dict({name: fastgrad.tensor(value.numpy()) for name, value in theirs.state_dict().items()})
    return ours, theirs


def batches(count, dtype="float64"):
    rng = np.random.default_rng(5)
    return [rng.normal(size=(6, 3)).astype(dtype) for _ in range(count)]


def averaged_after_training(library, model, steps, **kwargs):
    """SGD steps on `model`, averaging after each; the averaged model's state dict as numpy arrays."""
    swa = library.optim.swa_utils
    averaged = swa.AveragedModel(model, **kwargs)
    optimizer = library.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for batch in batches(steps, dtype=str(next(model.parameters()).dtype).replace("torch.", "")):
        optimizer.zero_grad()
        (model(library.tensor(batch)) ** 2).sum().backward()
        optimizer.step()
        averaged.update_parameters(model)
    return {name: value.detach().numpy() for name, value in averaged.state_dict().items()}


AVERAGES = {
    "default": lambda swa: {},
    "avg_fn-swa": lambda swa: dict(avg_fn=swa.get_swa_avg_fn()),
    "avg_fn-ema": lambda swa: dict(avg_fn=swa.get_ema_avg_fn(0.8)),
    "multi_avg_fn-swa": lambda swa: dict(multi_avg_fn=swa.get_swa_multi_avg_fn()),
    "multi_avg_fn-ema": lambda swa: dict(multi_avg_fn=swa.get_ema_multi_avg_fn(0.7)),
    "multi_avg_fn-ema-default-decay": lambda swa: dict(multi_avg_fn=swa.get_ema_multi_avg_fn()),
    "avg_fn-custom": lambda swa: dict(avg_fn=lambda average, current, n: average * 0.5 + current * 0.5 + n),
}


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(AVERAGES))
def test_averaged_parameters_and_buffers_match_pytorch(case, dtype, use_buffers):
    if case == "multi_avg_fn-swa" and use_buffers:
        pytest.skip("integer buffers: both raise (test_swa_multi_avg_fn_refuses_integer_buffers_as_pytorch)")
    ours, theirs = model_pair(dtype)
    ours_state = averaged_after_training(fastgrad, ours, 4, use_buffers=use_buffers, **AVERAGES[case](swa_utils))
    theirs_state = averaged_after_training(torch, theirs, 4, use_buffers=use_buffers,
                                           **AVERAGES[case](torch.optim.swa_utils))
    assert list(ours_state) == list(theirs_state)
    for name, value in theirs_state.items():
        assert ours_state[name].dtype == value.dtype, name
        # the same operations in the same order: equal to the last bit, up to float32 training drift
        np.testing.assert_allclose(ours_state[name], value, rtol=1e-12 if dtype == "float64" else 2e-6,
                                   atol=1e-14 if dtype == "float64" else 1e-7, err_msg=name)
    assert int(ours_state["n_averaged"]) == 4


@pytest.mark.parametrize("case", sorted(AVERAGES))
def test_averages_of_given_weights_are_pytorchs_to_the_last_bit(case):
    """Without training (whose float rounding differs), the same weights average to the same bits, but
    through lerp_, which PyTorch computes with a fused multiply-add (one rounding, fastgrad's two)."""
    ours, theirs = model_pair("float32")
    averaged = swa_utils.AveragedModel(ours, use_buffers=case != "multi_avg_fn-swa", **AVERAGES[case](swa_utils))
    their_averaged = torch.optim.swa_utils.AveragedModel(theirs, use_buffers=case != "multi_avg_fn-swa",
                                                         **AVERAGES[case](torch.optim.swa_utils))
    rng = np.random.default_rng(11)
    for _ in range(5):
        weights = {name: (rng.normal(size=value.shape) * 10).astype(value.numpy().dtype)
                   for name, value in theirs.state_dict().items()}
        ours.load_state_dict({name: fastgrad.tensor(value) for name, value in weights.items()})
        theirs.load_state_dict({name: torch.tensor(value) for name, value in weights.items()})
        averaged.update_parameters(ours)
        their_averaged.update_parameters(theirs)
    for name, value in their_averaged.state_dict().items():
        if case.startswith("multi_avg_fn") and value.dtype.is_floating_point:
            np.testing.assert_allclose(averaged.state_dict()[name].numpy(), value.numpy(), rtol=3e-7, atol=1e-6,
                                       err_msg=name)
        else:
            np.testing.assert_array_equal(averaged.state_dict()[name].numpy(), value.numpy(), err_msg=name)


def test_swa_multi_avg_fn_refuses_integer_buffers_as_pytorch():
    ours, theirs = model_pair()
    with pytest.raises(RuntimeError):
        averaged_after_training(torch, theirs, 2, use_buffers=True,
                                multi_avg_fn=torch.optim.swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(RuntimeError, match="int64"):
        averaged_after_training(fastgrad, ours, 2, use_buffers=True, multi_avg_fn=swa_utils.get_swa_multi_avg_fn())


def test_averaged_model_runs_the_average_and_loads_pytorchs_state_dict():
    ours, theirs = model_pair()
    averaged, their_averaged = swa_utils.AveragedModel(ours), torch.optim.swa_utils.AveragedModel(theirs)
    their_averaged.update_parameters(theirs)
    averaged.load_state_dict({name: fastgrad.tensor(value.numpy()) for name, value in
                              their_averaged.state_dict().items()})
    assert int(averaged.n_averaged) == 1
    batch = batches(1)[0]
    averaged.eval(), their_averaged.eval()
    np.testing.assert_allclose(averaged(fastgrad.tensor(batch)).detach().numpy(),
                               their_averaged(torch.tensor(batch)).detach().numpy(), rtol=1e-12)


def test_averaging_function_errors_match_pytorch():
    for decay in (-0.1, 1.5):
        for make in ("get_ema_avg_fn", "get_ema_multi_avg_fn"):
            with pytest.raises(ValueError):
                getattr(torch.optim.swa_utils, make)(decay)
            with pytest.raises(ValueError, match=f"decay must be in \\[0, 1\\], got {decay}"):
                getattr(swa_utils, make)(decay)
    ours, theirs = model_pair()
    with pytest.raises(AssertionError):
        torch.optim.swa_utils.AveragedModel(theirs, avg_fn=torch.optim.swa_utils.get_swa_avg_fn(),
                                            multi_avg_fn=torch.optim.swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(AssertionError, match="avg_fn or multi_avg_fn"):
        swa_utils.AveragedModel(ours, avg_fn=swa_utils.get_swa_avg_fn(), multi_avg_fn=swa_utils.get_swa_multi_avg_fn())


def optimizers():
    """The same two-group SGD in both libraries."""
    ours = optim.SGD([{"params": nn.Linear(2, 2).parameters()}, {"params": nn.Linear(2, 1).parameters(),
                                                                   "lr": 0.05}], lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD([{"params": torch.nn.Linear(2, 2).parameters()},
                              {"params": torch.nn.Linear(2, 1).parameters(), "lr": 0.05}], lr=0.1, momentum=0.9)
    return ours, theirs


SWALR_CASES = {
    "cos": dict(swa_lr=0.01),
    "linear-per-group": dict(swa_lr=[0.02, 0.3], anneal_epochs=4, anneal_strategy="linear"),
    "no-annealing": dict(swa_lr=(0.02, 0.01), anneal_epochs=0),
    "one-epoch": dict(swa_lr=0.5, anneal_epochs=1, anneal_strategy="linear"),
}


def swalr_rates(library, optimizer, kwargs, before=0, steps=15):
    """Rates over `before` CosineAnnealingLR epochs, then SWALR's (the pattern of PyTorch's SWA example)."""
    schedule = library.optim.lr_scheduler
    swa = library.optim.swa_utils
    decay = schedule.CosineAnnealingLR(optimizer, T_max=10)
    swa_scheduler = swa.SWALR(optimizer, **kwargs)
    rates = [swa_scheduler.get_last_lr()]
    for epoch in range(steps):
        optimizer.step()
        (decay if epoch < before else swa_scheduler).step()
        rates.append([group["lr"] for group in optimizer.param_groups])
    return rates, swa_scheduler


@pytest.mark.parametrize("before", [0, 5])
@pytest.mark.parametrize("case", sorted(SWALR_CASES))
def test_swalr_rates_and_state_match_pytorch(case, before):
    ours_optimizer, theirs_optimizer = optimizers()
    ours, ours_scheduler = swalr_rates(fastgrad, ours_optimizer, SWALR_CASES[case], before)
    theirs, theirs_scheduler = swalr_rates(torch, theirs_optimizer, SWALR_CASES[case], before)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)
    assert ours_scheduler.state_dict() == theirs_scheduler.state_dict()
    assert [group["swa_lr"] for group in ours_optimizer.param_groups] == \
        [group["swa_lr"] for group in theirs_optimizer.param_groups]


def test_swalr_resumes_from_pytorchs_state_dict():
    ours_optimizer, theirs_optimizer = optimizers()
    theirs = torch.optim.swa_utils.SWALR(theirs_optimizer, swa_lr=0.01, anneal_epochs=6, anneal_strategy="linear")
    for _ in range(3):
        theirs_optimizer.step()
        theirs.step()
    ours = swa_utils.SWALR(ours_optimizer, swa_lr=0.01)  # cosine over 10 until the state says otherwise
    ours.load_state_dict(theirs.state_dict())
    for group, their_group in zip(ours_optimizer.param_groups, theirs_optimizer.param_groups):
        group["lr"] = their_group["lr"]
    for _ in range(6):
        ours_optimizer.step(), theirs_optimizer.step()
        ours.step(), theirs.step()
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-15)


def test_swalr_inside_sequential_lr_matches_pytorch():
    rates = []
    for library, optimizer in zip((fastgrad, torch), optimizers()):
        schedule = library.optim.lr_scheduler
        combined = schedule.SequentialLR(optimizer, [schedule.LinearLR(optimizer, start_factor=0.2, total_iters=4),
                                                     library.optim.swa_utils.SWALR(optimizer, swa_lr=0.02,
                                                                                   anneal_epochs=3)],
                                         milestones=[5])
        rates.append([])
        for _ in range(12):
            optimizer.step()
            combined.step()
            rates[-1].append(combined.get_last_lr())
    np.testing.assert_allclose(rates[0], rates[1], rtol=1e-15)


@pytest.mark.parametrize("kwargs", [dict(swa_lr=[0.1]), dict(swa_lr=(0.1, 0.2, 0.3)),
                                    dict(swa_lr=0.1, anneal_strategy="exp"), dict(swa_lr=0.1, anneal_epochs=-1),
                                    dict(swa_lr=0.1, anneal_epochs=2.0)])
def test_swalr_errors_match_pytorch(kwargs):
    ours_optimizer, theirs_optimizer = optimizers()
    with pytest.raises(ValueError):
        torch.optim.swa_utils.SWALR(theirs_optimizer, **kwargs)
    name = "anneal_epochs" if "anneal_epochs" in kwargs else "anneal_strategy" if "anneal_strategy" in kwargs \
        else "swa_lr"
    with pytest.raises(ValueError, match=name):
        swa_utils.SWALR(ours_optimizer, **kwargs)


@pytest.mark.parametrize("form", ["tensors", "tuples", "lists"])
@pytest.mark.parametrize("training", [True, False])
def test_update_bn_matches_pytorch(form, training):
    ours, theirs = model_pair()
    ours[1].momentum, theirs[1].momentum = 0.3, 0.3
    data = batches(5)
    for model, library in ((ours, fastgrad), (theirs, torch)):
        loader = [library.tensor(batch) for batch in data]
        if form != "tensors":
            wrap = tuple if form == "tuples" else list
            loader = [wrap((batch, library.tensor(np.arange(6)))) for batch in loader]
        model.train(training)
        model[1](library.tensor(data[0][:, :2] @ np.ones((2, 4))))  # stale statistics, to be reset
        library.optim.swa_utils.update_bn(loader, model)
        assert model.training is training and model[1].momentum == 0.3
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(ours[1], name).numpy(), getattr(theirs[1], name).numpy(), rtol=1e-12,
                                   err_msg=name)
