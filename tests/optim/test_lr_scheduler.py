"""Schedulers without PyTorch (their parity is in test_lr_scheduler_parity.py): rates worked out by hand,
resuming from a state dict, ReduceLROnPlateau, CyclicLR, and argument errors."""
import math
import warnings

import pytest

import fastgrad.nn as nn
import fastgrad.optim as optim
from fastgrad.optim import lr_scheduler
from fastgrad.optim.lr_scheduler import CyclicLR, ExponentialLR, LRScheduler, ReduceLROnPlateau, StepLR


def make_optimizer(lr=1.0):
    return optim.SGD([{"params": nn.Linear(2, 2).parameters()}, {"params": nn.Linear(2, 2).parameters(),
                                                                   "lr": 2 * lr}], lr=lr)


def lrs_over(scheduler, optimizer, epochs):
    seen = []
    for _ in range(epochs):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return seen


def test_step_lr():
    optimizer = make_optimizer(1.0)
    scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
    assert lrs_over(scheduler, optimizer, 8) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert scheduler.get_last_lr() == [0.25, 0.5]


def test_exponential_lr():
    optimizer = make_optimizer(1.0)
    scheduler = ExponentialLR(optimizer, gamma=0.9)
    assert lrs_over(scheduler, optimizer, 4) == pytest.approx([1, 0.9, 0.81, 0.729])


def test_scheduler_state_dict_resumes():
    optimizer = make_optimizer()
    scheduler = StepLR(optimizer, step_size=2, gamma=0.1)
    lrs_over(scheduler, optimizer, 3)
    state, optimizer_state = scheduler.state_dict(), optimizer.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 3
    expected = lrs_over(scheduler, optimizer, 4)
    optimizer2 = make_optimizer()
    optimizer2.load_state_dict(optimizer_state)
    scheduler2 = StepLR(optimizer2, step_size=5, gamma=0.5)
    scheduler2.load_state_dict(state)
    assert lrs_over(scheduler2, optimizer2, 4) == expected


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(make_optimizer(), step_size=2, last_epoch=4)


def test_reduce_on_plateau_min_mode_with_patience_and_cooldown():
    optimizer = make_optimizer(1.0)
    scheduler = ReduceLROnPlateau(optimizer, factor=0.5, patience=1, cooldown=1, min_lr=[0.2, 0.0])
    lrs = []
    for metric in [10, 9, 9, 9, 9, 9, 9, 9, 9]:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    # bad epochs after the best at 9: reduce when more than `patience` (1) accumulate, then 1 epoch of cooldown
    assert lrs == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    for _ in range(6):
        scheduler.step(9)
    assert scheduler.get_last_lr()[0] == 0.2  # floored at min_lr
    assert scheduler.get_last_lr()[1] < 0.2


def test_reduce_on_plateau_max_mode_and_thresholds():
    optimizer = make_optimizer(1.0)
    scheduler = ReduceLROnPlateau(optimizer, mode="max", patience=0, threshold=0.1, threshold_mode="abs")
    scheduler.step(0.5)
    scheduler.step(0.55)  # not better by 0.1: reduced
    assert scheduler.get_last_lr()[0] == pytest.approx(0.1)
    scheduler.step(0.7)
    assert scheduler.best == 0.7 and scheduler.get_last_lr()[0] == pytest.approx(0.1)
    relative = ReduceLROnPlateau(make_optimizer(), threshold=0.5)
    relative.step(10)
    assert not relative.is_better(6, relative.best) and relative.is_better(4.9, relative.best)
    assert math.isinf(ReduceLROnPlateau(make_optimizer(), mode="max").best)
    with pytest.raises(ValueError, match="mode must be"):
        ReduceLROnPlateau(make_optimizer(), mode="up")
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(make_optimizer(), factor=1.5)


def test_new_scheduler_argument_errors():
    optimizer = make_optimizer()
    with pytest.raises(ValueError, match=r"ConstantLR: factor must be in \[0, 1\], got 1.5"):
        lr_scheduler.ConstantLR(optimizer, factor=1.5)
    with pytest.raises(TypeError, match="MultiplicativeLR: lr_lambda 1 must be a function of the epoch, got float"):
        lr_scheduler.MultiplicativeLR(optimizer, [lambda epoch: 1.0, 0.5])
    with pytest.raises(ValueError, match=r"MultiplicativeLR: expected 2 lr_lambdas \(one per param group\), got 3"):
        lr_scheduler.MultiplicativeLR(optimizer, [lambda epoch: 1.0] * 3)
    with pytest.raises(ValueError, match="T_0 must be a positive int, got 0"):
        lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=0)
    with pytest.raises(ValueError, match="T_0 must be a positive int, got 2.5"):
        lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2.5)
    with pytest.raises(ValueError, match="T_mult must be an int >= 1, got 0"):
        lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="eta_min must be a float, got str"):
        lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2, eta_min="0")
    restarts = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2)
    with pytest.raises(ValueError, match="epoch must be >= 0, got -1"):
        restarts.step(-1)


def test_combination_argument_errors():
    optimizer, other = make_optimizer(), make_optimizer()
    warmup = lr_scheduler.LinearLR(optimizer)
    with pytest.raises(ValueError, match="SequentialLR needs at least one scheduler, got none"):
        lr_scheduler.SequentialLR(optimizer, [], milestones=[])
    with pytest.raises(ValueError, match="one milestone fewer than schedulers: got 2 schedulers and 2 milestones"):
        lr_scheduler.SequentialLR(optimizer, [warmup, StepLR(optimizer, 2)], milestones=[3, 5])
    with pytest.raises(ValueError, match="scheduler 1 \\(StepLR\\) has a different SGD"):
        lr_scheduler.SequentialLR(optimizer, [warmup, StepLR(other, 2)], milestones=[3])
    with pytest.raises(ValueError, match="ChainedScheduler does not support ReduceLROnPlateau \\(scheduler 1\\)"):
        lr_scheduler.ChainedScheduler([warmup, ReduceLROnPlateau(optimizer)])
    with pytest.raises(TypeError, match="scheduler 0 must be a learning-rate scheduler, got str"):
        lr_scheduler.ChainedScheduler(["StepLR"], optimizer)
    with pytest.raises(ValueError, match="ChainedScheduler needs at least one scheduler, got none"):
        lr_scheduler.ChainedScheduler([])
    chained = lr_scheduler.ChainedScheduler([warmup, StepLR(optimizer, 2)])
    with pytest.raises(ValueError, match="the state dict has 1 schedulers, this one has 2"):
        chained.load_state_dict({"_last_lr": [1.0, 2.0], "_schedulers": [warmup.state_dict()]})


def test_scheduler_argument_errors():
    optimizer = make_optimizer()
    with pytest.raises(ValueError, match="LambdaLR: expected 2 lr_lambdas \\(one per param group\\), got 1"):
        lr_scheduler.LambdaLR(optimizer, [lambda epoch: 1.0])
    with pytest.raises(ValueError, match=r"LinearLR: start_factor must be in \(0, 1\], got 0"):
        lr_scheduler.LinearLR(optimizer, start_factor=0)
    with pytest.raises(ValueError, match=r"LinearLR: end_factor must be in \[0, 1\], got 1.5"):
        lr_scheduler.LinearLR(optimizer, end_factor=1.5)
    with pytest.raises(ValueError, match="CosineAnnealingLR: T_max must be positive, got 0"):
        lr_scheduler.CosineAnnealingLR(optimizer, T_max=0)
    with pytest.raises(ValueError, match="give either total_steps or both epochs and steps_per_epoch"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, epochs=3)
    with pytest.raises(ValueError, match="total_steps must be a positive int, got 0"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=0)
    with pytest.raises(ValueError, match=r"max_lr has 3 values, expected one per param group \(2\)"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=[1.0, 1.0, 1.0], total_steps=10)
    with pytest.raises(ValueError, match="pct_start must be in \\[0, 1\\], got 1.5"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy must be 'cos' or 'linear', got 'exp'"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="Adagrad has neither"):
        lr_scheduler.OneCycleLR(optim.Adagrad(nn.Linear(1, 1).parameters()), max_lr=1.0, total_steps=10)
    one_cycle = lr_scheduler.OneCycleLR(make_optimizer(), max_lr=1.0, total_steps=3)
    one_cycle.step(), one_cycle.step(), one_cycle.step()
    with pytest.raises(ValueError, match="tried to step 4 times, but total_steps is 3"):
        one_cycle.step()
    with pytest.raises(TypeError, match="StepLR needs an Optimizer, got list"):
        lr_scheduler.StepLR([], step_size=1)


def test_cyclic_lr_triangles_and_momentum_moves_the_other_way():
    optimizer = optim.SGD(nn.Linear(2, 2).parameters(), lr=5.0, momentum=0.5)
    scheduler = CyclicLR(optimizer, base_lr=0.1, max_lr=0.5, step_size_up=2, step_size_down=3, base_momentum=0.8,
                         max_momentum=0.9)
    rates, momenta = [], []
    for _ in range(7):
        rates.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    # up in 2 steps, down in 3, up again
    assert rates == pytest.approx([0.1, 0.3, 0.5, 0.5 - 0.4 / 3, 0.1 + 0.4 / 3, 0.1, 0.3])
    assert momenta == pytest.approx([0.9, 0.85, 0.8, 0.8 + 0.1 / 3, 0.9 - 0.1 / 3, 0.9, 0.85])
    assert scheduler.base_lrs == [0.1] and optimizer.param_groups[0]["initial_lr"] == 0.1


@pytest.mark.parametrize("mode, expected_peaks", [("triangular2", [1.0, 0.55, 0.325]),  # halved every cycle
                                                  ("exp_range", [0.1 + 0.9 * 0.5, 0.1 + 0.9 * 0.5**3,  # gamma^step
                                                                 0.1 + 0.9 * 0.5**5])])
def test_cyclic_lr_modes_scale_the_peaks(mode, expected_peaks):
    optimizer = optim.Adam(nn.Linear(2, 2).parameters())
    scheduler = CyclicLR(optimizer, base_lr=0.1, max_lr=1.0, step_size_up=1, mode=mode, gamma=0.5,
                         cycle_momentum=False)
    rates = []
    for _ in range(6):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
    assert rates[0::2] == pytest.approx(expected_peaks)
    assert rates[1::2] == pytest.approx([0.1] * 3)
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.999)  # cycle_momentum=False leaves beta1


class Doubling:
    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return 1.0


def test_cyclic_lr_state_dict_keeps_a_scale_objects_attributes_but_not_a_function():
    optimizer = make_optimizer()
    scale = Doubling()
    scheduler = CyclicLR(optimizer, base_lr=0.1, max_lr=1.0, step_size_up=2, scale_fn=scale, cycle_momentum=False)
    scheduler.step()
    state = scheduler.state_dict()
    assert state["_scale_fn_custom"] == {"calls": 2}
    other = Doubling()
    resumed = CyclicLR(make_optimizer(), base_lr=0.1, max_lr=1.0, step_size_up=2, scale_fn=other,
                       cycle_momentum=False)
    resumed.load_state_dict(state)
    assert other.calls == 2 and resumed.last_epoch == 1 and "_scale_fn_custom" in state
    with_lambda = CyclicLR(make_optimizer(), base_lr=0.1, max_lr=1.0, scale_fn=lambda x: 1.0, cycle_momentum=False)
    assert with_lambda.state_dict()["_scale_fn_custom"] is None
    plain = CyclicLR(make_optimizer(), base_lr=0.1, max_lr=1.0, cycle_momentum=False)
    with pytest.raises(ValueError, match="the state dict holds the attributes of a scale_fn object, but this CyclicLR "
                                         "has no scale_fn"):
        plain.load_state_dict(state)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(), ValueError, "CyclicLR: cycle_momentum needs an optimizer with momentum or betas, Adagrad has neither "
                         r"\(pass cycle_momentum=False\)"),
    (dict(cycle_momentum=False, mode="cosine"), ValueError,
     r"CyclicLR: mode must be one of \['exp_range', 'triangular', 'triangular2'\] \(or give scale_fn\), got 'cosine'"),
    (dict(cycle_momentum=False, step_size_up=0), ValueError, "CyclicLR: step_size_up must be > 0, got 0"),
    (dict(cycle_momentum=False, step_size_down=-1), ValueError, "CyclicLR: step_size_down must be >= 0"),
    (dict(cycle_momentum=False, scale_fn=lambda x: 1.0, scale_mode="epochs"), ValueError,
     "CyclicLR: scale_mode must be 'cycle' or 'iterations', got 'epochs'"),
    (dict(cycle_momentum=False, scale_fn=0.5), TypeError, "CyclicLR: scale_fn must be a function of one number, got float"),
    (dict(cycle_momentum=False, max_lr=[1.0, 2.0]), ValueError, r"max_lr has 2 values, expected one per param group \(1\)"),
])
def test_cyclic_lr_argument_errors(kwargs, error, message):
    optimizer = optim.Adagrad(nn.Linear(1, 1).parameters())
    with pytest.raises(error, match=message):
        CyclicLR(optimizer, **{"base_lr": 0.1, "max_lr": 1.0, **kwargs})


def test_schedulers_need_an_optimizer():
    with pytest.raises(TypeError, match="CyclicLR needs an Optimizer, got list"):
        CyclicLR([], base_lr=0.1, max_lr=1.0)
    with pytest.raises(TypeError, match="ReduceLROnPlateau needs an Optimizer, got list"):
        ReduceLROnPlateau([])


def test_reduce_on_plateau_is_an_lr_scheduler_that_takes_an_epoch_and_floors_added_groups():
    optimizer = make_optimizer(1.0)
    scheduler = ReduceLROnPlateau(optimizer, patience=0, min_lr=0.3)
    assert isinstance(scheduler, LRScheduler)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(1.0, epoch=7)
    assert scheduler.last_epoch == 7
    optimizer.add_param_group({"params": nn.Linear(1, 1).parameters(), "lr": 0.5})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step(2.0)  # worse: every group is reduced, the added one too, to min_lr at least
    assert scheduler.get_last_lr() == pytest.approx([0.3, 0.3, 0.3]) and scheduler.last_epoch == 8
    assert scheduler.in_cooldown is False


def test_reduce_on_plateau_with_a_min_lr_per_group_refuses_an_added_group():
    optimizer = make_optimizer(1.0)
    scheduler = ReduceLROnPlateau(optimizer, patience=0, min_lr=[0.1, 0.2])
    scheduler.step(1.0)
    optimizer.add_param_group({"params": nn.Linear(1, 1).parameters()})
    with pytest.raises(RuntimeError, match="ReduceLROnPlateau: the optimizer has 3 parameter groups, but min_lr gave 2"):
        scheduler.step(2.0)


@pytest.mark.parametrize("make, epochs_before_the_error", [
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4), 1),  # the ratio at epoch 4, then the base rates at 5
    (lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 0.9 ** epoch), 0),
    (lambda o: lr_scheduler.MultiplicativeLR(o, lambda epoch: 0.9), 0),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3), 0),
    (lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, cycle_momentum=False), 0),
])
def test_a_group_added_after_a_schedule_of_base_rates_is_refused(make, epochs_before_the_error):
    # as PyTorch: its rates come from the groups the scheduler was made with; the added group used to be left
    # unscheduled (CosineAnnealingLR's at a rate of 0)
    optimizer = make_optimizer()
    scheduler = make(optimizer)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    optimizer.add_param_group({"params": nn.Linear(2, 2).parameters(), "lr": 0.7})
    for _ in range(epochs_before_the_error):
        optimizer.step()
        scheduler.step()
    with pytest.raises(ValueError, match=r"optimizer has 3 parameter groups, but the schedule gives rates for the 2 it "
                                         r"was made with"):
        scheduler.step()
