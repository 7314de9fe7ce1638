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
