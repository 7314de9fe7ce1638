import math

import pytest

import fastgrad.nn as nn
import fastgrad.optim as optim
from fastgrad.optim.lr_scheduler import ExponentialLR, ReduceLROnPlateau, StepLR


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


def test_schedulers_match_pytorch():
    torch = pytest.importorskip("torch")
    for ours_cls, kwargs in ((StepLR, dict(step_size=2, gamma=0.3)), (ExponentialLR, dict(gamma=0.7))):
        optimizer = optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
        theirs_optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
        ours = ours_cls(optimizer, **kwargs)
        theirs = getattr(torch.optim.lr_scheduler, ours_cls.__name__)(theirs_optimizer, **kwargs)
        for _ in range(7):
            optimizer.step(), theirs_optimizer.step()
            ours.step(), theirs.step()
            assert ours.get_last_lr() == theirs.get_last_lr()  # exactly: same chain of multiplications


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


def test_reduce_on_plateau_matches_pytorch():
    torch = pytest.importorskip("torch")
    metrics = [5, 4, 4.1, 4.2, 4.0, 3.9999, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0, 4.1]
    optimizer = optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
    theirs_optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    kwargs = dict(factor=0.3, patience=2, cooldown=1, threshold=1e-3, min_lr=0.005)
    ours = ReduceLROnPlateau(optimizer, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_optimizer, **kwargs)
    for metric in metrics:
        ours.step(metric), theirs.step(metric)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)


def test_new_scheduler_argument_errors():
    from fastgrad.optim import lr_scheduler

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
    from fastgrad.optim import lr_scheduler

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
