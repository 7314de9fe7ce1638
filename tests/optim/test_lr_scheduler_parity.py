"""Learning-rate schedulers against torch.optim.lr_scheduler: the rates (and OneCycleLR's and CyclicLR's
momenta) over 30 steps, state_dict keys, resuming from a state dict (ours or PyTorch's), step(epoch), and the
combinations SequentialLR and ChainedScheduler."""
import math
import warnings

import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.optim as optim
from fastgrad.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 30


class Warmup:
    """A callable object: LambdaLR saves its attributes (not the function itself)."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


class HalfLife:
    """A callable object as CyclicLR's scale_fn: its attributes are saved."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, x):
        return 0.5 ** (x / self.steps)


CASES = {
    "StepLR": dict(step_size=4, gamma=0.5),
    "MultiStepLR": dict(milestones=[3, 8, 8, 20], gamma=0.3),
    "ExponentialLR": dict(gamma=0.9),
    "LambdaLR": dict(lr_lambda=lambda epoch: 0.95 ** epoch + 0.01 * (epoch % 3)),
    "LambdaLR-object": dict(lr_lambda=Warmup(7)),
    "LinearLR": dict(start_factor=0.25, end_factor=0.9, total_iters=10),
    "LinearLR-default": dict(),
    "CosineAnnealingLR": dict(T_max=7, eta_min=0.001),
    "ConstantLR": dict(factor=0.4, total_iters=6),
    "ConstantLR-default": dict(),
    "MultiplicativeLR": dict(lr_lambda=lambda epoch: 0.9 if epoch % 2 else 1.05),
    "PolynomialLR": dict(total_iters=12, power=2.0),
    "PolynomialLR-default": dict(),
    "CosineAnnealingWarmRestarts": dict(T_0=4, eta_min=0.002),
    "CosineAnnealingWarmRestarts-T_mult": dict(T_0=3, T_mult=2),
    "OneCycleLR": dict(max_lr=[1.0, 0.5], total_steps=STEPS),
    "OneCycleLR-linear-three-phase": dict(max_lr=0.8, epochs=3, steps_per_epoch=10, pct_start=0.25,
                                          anneal_strategy="linear", three_phase=True, div_factor=10.0),
    "OneCycleLR-no-momentum": dict(max_lr=0.5, total_steps=STEPS, cycle_momentum=False),
    "CyclicLR": dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    "CyclicLR-triangular2": dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.05], step_size_up=3, step_size_down=5,
                                 mode="triangular2", base_momentum=[0.7, 0.75], max_momentum=0.95),
    "CyclicLR-exp_range": dict(base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=6, mode="exp_range",
                               gamma=0.9),
    "CyclicLR-no-momentum": dict(base_lr=0.05, max_lr=0.2, step_size_up=7, step_size_down=0, cycle_momentum=False),
    "CyclicLR-scale_fn-cycle": dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=lambda cycle: 1 / cycle),
    "CyclicLR-scale_fn-iterations": dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=HalfLife(5),
                                         scale_mode="iterations"),
}


def optimizers(momentum=0.9):
    """The same two-group SGD in both libraries."""
    ours = optim.SGD([{"params": nn.Linear(2, 2).parameters()}, {"params": nn.Linear(2, 1).parameters(),
                                                                   "lr": 0.05}], lr=0.1, momentum=momentum)
    theirs = torch.optim.SGD([{"params": torch.nn.Linear(2, 2).parameters()},
                              {"params": torch.nn.Linear(2, 1).parameters(), "lr": 0.05}], lr=0.1, momentum=momentum)
    return ours, theirs


def schedulers(case, ours_optimizer, theirs_optimizer, **overrides):
    name = case.split("-")[0]
    kwargs = {**CASES[case], **overrides}
    return (getattr(lr_scheduler, name)(ours_optimizer, **kwargs),
            getattr(torch.optim.lr_scheduler, name)(theirs_optimizer, **kwargs))


def run(scheduler, optimizer, steps):
    """The rates and momenta in effect at each step, stepping optimizer then scheduler."""
    seen = []
    for _ in range(steps):
        seen.append([(group["lr"], group.get("momentum")) for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return seen


@pytest.mark.parametrize("case", sorted(CASES))
def test_rates_and_state_keys_match_pytorch(case):
    ours_optimizer, theirs_optimizer = optimizers()
    ours, theirs = schedulers(case, ours_optimizer, theirs_optimizer)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours_seen = run(ours, ours_optimizer, STEPS - 1)
    theirs_seen = run(theirs, theirs_optimizer, STEPS - 1)
    assert ours_seen == theirs_seen  # exactly: the same arithmetic in the same order
    assert ours.get_last_lr() == theirs.get_last_lr()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    for key in theirs_state:
        assert ours_state[key] == theirs_state[key], key


@pytest.mark.parametrize("case", sorted(CASES) + ["ReduceLROnPlateau"])
def test_a_tensor_lr_is_scheduled_in_place_as_in_pytorch(case):
    # fastgrad put a new rate in the group: the tensor the optimizer was given (the user's, the one printed or
    # logged) kept the first rate while the steps used another; PyTorch fills it in place. The schedule's own
    # initial_lr and last rates are copies, which that filling must not move.
    seen = []
    for library, schedules in ((fastgrad, lr_scheduler), (torch, torch.optim.lr_scheduler)):
        lrs = [library.tensor(0.1), library.tensor(0.05)]
        optimizer = library.optim.SGD([{"params": [library.ones(2, requires_grad=True)], "lr": lr} for lr in lrs],
                                      momentum=0.9)
        name, kwargs = (case, dict(patience=0)) if case == "ReduceLROnPlateau" else (case.split("-")[0], CASES[case])
        scheduler = getattr(schedules, name)(optimizer, **kwargs)
        rates = []
        for _ in range(8):
            optimizer.step()
            scheduler.step(1.0) if name == "ReduceLROnPlateau" else scheduler.step()
            assert all(group["lr"] is lr for group, lr in zip(optimizer.param_groups, lrs))
            rates.append([lr.item() for lr in lrs] + [float(lr) for lr in scheduler.get_last_lr()]
                         + [float(group.get("initial_lr", 0)) for group in optimizer.param_groups])
        seen.append(rates)
    assert seen[0] == seen[1]


@pytest.mark.parametrize("case", sorted(CASES))
def test_resuming_from_a_state_dict_continues_the_schedule(case, tmp_path):
    ours_optimizer, theirs_optimizer = optimizers()
    ours, theirs = schedulers(case, ours_optimizer, theirs_optimizer)
    run(ours, ours_optimizer, 12)
    run(theirs, theirs_optimizer, 12)
    fastgrad.save({"scheduler": ours.state_dict(), "optimizer": ours_optimizer.state_dict()}, tmp_path / "ckpt")
    checkpoint = fastgrad.load(tmp_path / "ckpt")
    expected = run(theirs, theirs_optimizer, STEPS - 13)
    # a fresh optimizer and scheduler, as a restarted run builds them, then the saved state
    resumed_optimizer, _ = optimizers()
    if case == "LambdaLR-object":
        resumed, _ = schedulers(case, resumed_optimizer, optimizers()[1], lr_lambda=Warmup(99))
    elif case == "CyclicLR-scale_fn-iterations":
        resumed, _ = schedulers(case, resumed_optimizer, optimizers()[1], scale_fn=HalfLife(99))
    else:
        resumed, _ = schedulers(case, resumed_optimizer, optimizers()[1])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    assert run(resumed, resumed_optimizer, STEPS - 13) == expected


@pytest.mark.parametrize("case", ["StepLR", "MultiStepLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR", "CyclicLR",
                                  "CyclicLR-scale_fn-iterations"])
def test_pytorch_state_dicts_load(case):
    ours_optimizer, theirs_optimizer = optimizers()
    ours, theirs = schedulers(case, ours_optimizer, theirs_optimizer)
    run(theirs, theirs_optimizer, 9)
    for ours_group, theirs_group in zip(ours_optimizer.param_groups, theirs_optimizer.param_groups):
        ours_group.update({key: value for key, value in theirs_group.items() if key in ours_group and key != "params"})
    ours.load_state_dict(theirs.state_dict())
    assert run(ours, ours_optimizer, STEPS - 10) == run(theirs, theirs_optimizer, STEPS - 10)


def test_lambda_functions_are_not_saved_but_callable_objects_are():
    optimizer, _ = optimizers()
    warmup = Warmup(5)
    scheduler = lr_scheduler.LambdaLR(optimizer, [lambda epoch: 1.0, warmup])
    assert scheduler.state_dict()["lr_lambdas"] == [None, {"steps": 5}]
    other = Warmup(50)
    restored = lr_scheduler.LambdaLR(optimizers()[0], [lambda epoch: 0.5, other])
    restored.load_state_dict(scheduler.state_dict())
    assert other.steps == 5 and restored.lr_lambdas[1] is other


@pytest.mark.parametrize("name, kwargs", [("OneCycleLR", dict(max_lr=0.2, total_steps=STEPS)),
                                          ("CyclicLR", dict(base_lr=0.01, max_lr=0.2, step_size_up=5))])
def test_momentum_cycling_moves_adams_beta1(name, kwargs):
    ours_optimizer = optim.Adam(nn.Linear(2, 2).parameters(), lr=0.1, betas=(0.9, 0.99))
    theirs_optimizer = torch.optim.Adam(torch.nn.Linear(2, 2).parameters(), lr=0.1, betas=(0.9, 0.99))
    ours = getattr(lr_scheduler, name)(ours_optimizer, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_optimizer, **kwargs)
    betas_seen = set()
    for _ in range(STEPS - 1):
        assert ours_optimizer.param_groups[0]["betas"] == theirs_optimizer.param_groups[0]["betas"]
        assert ours.get_last_lr() == theirs.get_last_lr()
        betas_seen.add(ours_optimizer.param_groups[0]["betas"])
        ours_optimizer.step(), theirs_optimizer.step()
        ours.step(), theirs.step()
    assert len(betas_seen) > 5
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_reduce_on_plateau_is_pytorchs_lr_scheduler_with_its_state():
    metrics = [5, 4, 4.1, 4.2, 4.0, 3.9999, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0, 4.1]
    ours_optimizer, theirs_optimizer = optimizers()
    kwargs = dict(factor=0.3, patience=2, cooldown=1, threshold=1e-3, min_lr=[0.005, 0.01])
    ours = lr_scheduler.ReduceLROnPlateau(ours_optimizer, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_optimizer, **kwargs)
    assert isinstance(ours, lr_scheduler.LRScheduler)
    assert ours.state_dict() == theirs.state_dict()
    for metric in metrics[:7]:
        ours.step(metric), theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours.in_cooldown == theirs.in_cooldown
    assert ours.state_dict() == theirs.state_dict()  # keys in PyTorch's order, and values
    resumed_optimizer, _ = optimizers()
    resumed = lr_scheduler.ReduceLROnPlateau(resumed_optimizer, mode="max")  # the loaded state replaces these
    resumed_optimizer.load_state_dict(ours_optimizer.state_dict())
    resumed.load_state_dict(theirs.state_dict())
    for metric in metrics[7:]:
        resumed.step(metric), theirs.step(metric)
        assert resumed.get_last_lr() == theirs.get_last_lr()
    assert resumed.state_dict() == theirs.state_dict()


def test_resuming_through_last_epoch_matches_pytorch():
    for name, kwargs in (("CosineAnnealingLR", dict(T_max=6)), ("StepLR", dict(step_size=3)),
                         ("ExponentialLR", dict(gamma=0.8))):
        ours_optimizer, theirs_optimizer = optimizers()
        for group in ours_optimizer.param_groups + theirs_optimizer.param_groups:
            group["initial_lr"] = group["lr"]
        ours = getattr(lr_scheduler, name)(ours_optimizer, last_epoch=4, **kwargs)
        theirs = getattr(torch.optim.lr_scheduler, name)(theirs_optimizer, last_epoch=4, **kwargs)
        assert run(ours, ours_optimizer, 10) == run(theirs, theirs_optimizer, 10), name


def test_get_lr_outside_step_warns():
    scheduler = lr_scheduler.CosineAnnealingLR(optimizers()[0], T_max=4)
    with pytest.warns(UserWarning, match=r"get_lr\(\) called outside step\(\): use get_last_lr\(\)"):
        scheduler.get_lr()
    assert math.isclose(scheduler.get_last_lr()[0], 0.1)


@pytest.mark.parametrize("case", ["StepLR", "MultiStepLR", "ConstantLR", "ExponentialLR", "LinearLR", "PolynomialLR",
                                  "CosineAnnealingLR", "MultiplicativeLR"])
def test_step_with_an_epoch_uses_the_closed_form_and_warns_as_pytorch(case):
    ours_optimizer, theirs_optimizer = optimizers()
    ours, theirs = schedulers(case, ours_optimizer, theirs_optimizer)
    for epoch in (3, 9, 2, 20, 0, 5):
        with pytest.warns(UserWarning, match="deprecated"):
            ours.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs.step(epoch)
        assert ours.get_last_lr() == theirs.get_last_lr(), epoch
        assert ours.last_epoch == theirs.last_epoch


@pytest.mark.parametrize("kwargs", [dict(T_0=4), dict(T_0=3, T_mult=2, eta_min=0.01)])
def test_warm_restarts_take_fractional_epochs(kwargs):
    """The documented use: step(epoch + batch / batches) after every batch; also jumps back and forth."""
    ours_optimizer, theirs_optimizer = optimizers()
    ours = lr_scheduler.CosineAnnealingWarmRestarts(ours_optimizer, **kwargs)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs_optimizer, **kwargs)
    epochs = [epoch + batch / 5 for epoch in range(12) for batch in range(5)] + [2.5, 30.25, 0, 7]
    for epoch in epochs:
        ours.step(epoch), theirs.step(epoch)
        assert ours.get_last_lr() == theirs.get_last_lr(), epoch
        assert (ours.T_cur, ours.T_i, ours.last_epoch) == (theirs.T_cur, theirs.T_i, theirs.last_epoch)
    ours.step(), theirs.step()  # and on by whole epochs from there
    assert ours.get_last_lr() == theirs.get_last_lr()
    assert ours.state_dict() == theirs.state_dict()


def combinations(library, optimizer, kind):
    """The same SequentialLR or ChainedScheduler built from `library`'s schedulers."""
    schedule = library.optim.lr_scheduler if library is torch else lr_scheduler
    if kind == "warmup-then-cosine":
        return schedule.SequentialLR(optimizer, [schedule.LinearLR(optimizer, start_factor=0.1, total_iters=4),
                                                 schedule.CosineAnnealingLR(optimizer, T_max=10)], milestones=[4])
    if kind == "three-phases":
        return schedule.SequentialLR(optimizer, [schedule.ConstantLR(optimizer, factor=0.5, total_iters=10),
                                                 schedule.ExponentialLR(optimizer, gamma=0.8),
                                                 schedule.StepLR(optimizer, step_size=3, gamma=0.5)],
                                     milestones=[3, 9])
    if kind == "sequential-of-chained":
        chained = schedule.ChainedScheduler([schedule.ConstantLR(optimizer, factor=0.2, total_iters=3),
                                             schedule.ExponentialLR(optimizer, gamma=0.9)])
        return schedule.SequentialLR(optimizer, [chained, schedule.MultiplicativeLR(optimizer, lambda e: 0.95)],
                                     milestones=[6])
    return schedule.ChainedScheduler([schedule.ConstantLR(optimizer, factor=0.1, total_iters=2),
                                      schedule.ExponentialLR(optimizer, gamma=0.9),
                                      schedule.CosineAnnealingWarmRestarts(optimizer, T_0=5)])


COMBINATIONS = ["warmup-then-cosine", "three-phases", "sequential-of-chained", "chained"]


@pytest.mark.parametrize("kind", COMBINATIONS)
def test_combinations_match_pytorch(kind, tmp_path):
    ours_optimizer, theirs_optimizer = optimizers()
    ours, theirs = combinations(fastgrad, ours_optimizer, kind), combinations(torch, theirs_optimizer, kind)
    assert ours.get_last_lr() == theirs.get_last_lr()
    assert ours.state_dict() == theirs.state_dict()
    assert run(ours, ours_optimizer, 12) == run(theirs, theirs_optimizer, 12)
    assert ours.get_last_lr() == theirs.get_last_lr()
    assert ours.state_dict() == theirs.state_dict()
    # resume: a checkpoint (plain data) into freshly built schedulers
    fastgrad.save({"scheduler": ours.state_dict(), "optimizer": ours_optimizer.state_dict()}, tmp_path / "ckpt")
    checkpoint = fastgrad.load(tmp_path / "ckpt")
    resumed_optimizer = optimizers()[0]
    resumed = combinations(fastgrad, resumed_optimizer, kind)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    expected = run(theirs, theirs_optimizer, 10)
    assert run(resumed, resumed_optimizer, 10) == expected
    assert resumed.get_last_lr() == theirs.get_last_lr()
