"""Learning-rate schedules with PyTorch's names, arguments and state: StepLR, MultiStepLR, ConstantLR,
ExponentialLR, LambdaLR, MultiplicativeLR, LinearLR, PolynomialLR, CosineAnnealingLR,
CosineAnnealingWarmRestarts, CyclicLR and OneCycleLR (per step or epoch), ReduceLROnPlateau (on a metric),
and the combinations SequentialLR (one schedule after another) and ChainedScheduler (all at once).

Each writes the new rate into `optimizer.param_groups[i]["lr"]`; its own counters are in
`state_dict()` (everything but the optimizer, under PyTorch's keys), so a checkpoint resumes the
schedule exactly. Where PyTorch computes a rate from the current one (chainable form), so does
fastgrad, so the rates equal PyTorch's to the last bit.
"""
from __future__ import annotations

import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from typing import Any, Callable, Iterable, Sequence

from fastgrad.optim.optimizer import Optimizer
from fastgrad.tensor import Tensor

EPOCH_DEPRECATION_WARNING = ("scheduler.step(epoch) is deprecated, as in PyTorch: call scheduler.step() without an "
                             "epoch. With an epoch, the closed form is used instead of the chainable form, where the "
                             "scheduler has one")


def set_group_lr(group: dict[str, Any], lr: Any) -> None:
    """group["lr"] <- lr. A 0-d tensor lr is filled in place, as PyTorch does: the tensor the optimizer was given,
    and whoever else holds it, shows the rate in use, not the first one."""
    if isinstance(group["lr"], Tensor):
        group["lr"].fill_(lr)
    else:
        group["lr"] = lr


def unaliased(value: Any) -> Any:
    """A copy of a tensor rate, which `set_group_lr` would change later; a number as it is."""
    return value.clone() if isinstance(value, Tensor) else value


def group_lrs(optimizer: Optimizer) -> list[Any]:
    return [unaliased(group["lr"]) for group in optimizer.param_groups]


def check_optimizer(scheduler_name: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{scheduler_name} needs an Optimizer, got {type(optimizer).__name__}")


class LRScheduler:
    """Call `step()` after the optimizer's step, once per epoch (or per batch for OneCycleLR and CyclicLR).

    Subclasses implement `get_lr()`, the rates for epoch `last_epoch`, and may implement
    `_get_closed_form_lr()`, the rates from `base_lrs` alone, used when `step(epoch)` jumps to an epoch;
    `_is_initial` is true during the step the constructor takes, and `_step_count` counts steps
    including that one (PyTorch's names). `get_last_lr()` is the rates last set; `state_dict()` is
    every attribute but the optimizer.
    """

    optimizer: Optimizer
    _last_lr: list[float]

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        for number, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", unaliased(group["lr"]))
            elif "initial_lr" not in group:
                raise KeyError(f"param group {number} has no 'initial_lr'; it is needed to resume a schedule at "
                               f"last_epoch={last_epoch}")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The step the constructor takes (SequentialLR takes it again for the schedule it starts with)."""
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def _warn_outside_step(self) -> None:
        """get_lr() computes the next rates from the current ones; outside step() that is a mistake."""
        if not self._get_lr_called_within_step:
            warnings.warn(f"{type(self).__name__}.get_lr() called outside step(): use get_last_lr() for the rates "
                          "last set", UserWarning, stacklevel=3)

    def step(self, epoch: int | None = None) -> None:
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        """Go to the next epoch, or jump to `epoch` (by the closed form, where there is one)."""
        if epoch is None:
            self.last_epoch += 1
            self._set_rates(self.get_lr)
        else:
            self.last_epoch = epoch
            self._set_rates(getattr(self, "_get_closed_form_lr", self.get_lr))

    def _set_rates(self, compute_rates: Callable[[], list[float]]) -> None:
        self._get_lr_called_within_step = True
        try:
            rates = compute_rates()
        finally:
            self._get_lr_called_within_step = False
        groups = self.optimizer.param_groups
        if len(rates) != len(groups):  # rates from base_lrs (or one function per group) miss a group added since
            raise ValueError(f"{type(self).__name__}: the optimizer has {len(groups)} parameter groups, but the "
                             f"schedule gives rates for the {len(rates)} it was made with; make the scheduler after "
                             "adding groups")
        for group, lr in zip(groups, rates):
            set_group_lr(group, lr)
        self._last_lr = group_lrs(self.optimizer)

    def _current_lrs(self) -> list[float]:
        return group_lrs(self.optimizer)


class StepLR(LRScheduler):
    """lr = initial_lr * gamma^(epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        decay = self.last_epoch != 0 and self.last_epoch % self.step_size == 0
        return [lr * self.gamma if decay else lr for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = initial_lr * gamma^(number of milestones <= epoch); a milestone listed twice counts twice."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base_lr * self.gamma ** passed for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    """lr = initial_lr * factor for the first total_iters epochs, then initial_lr."""

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base_lr * factor for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = initial_lr * gamma^epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        return self._current_lrs() if self._is_initial else [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


def _saved_attributes(function: Callable | None) -> dict[str, Any] | None:
    """What a state dict keeps of a user's function: nothing of a plain function or lambda (its code is
    not data), a callable object's attributes."""
    if function is None or isinstance(function, types.FunctionType):
        return None
    return dict(function.__dict__)


class _FunctionSchedule(LRScheduler):
    """A schedule given by functions of the epoch, one for all groups or one per group. Functions are
    not saved in state_dict (None in their place); a callable object's attributes are."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        self.optimizer = optimizer
        groups = len(optimizer.param_groups)
        name = type(self).__name__
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"{name}: expected {groups} lr_lambdas (one per param group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        for number, function in enumerate(self.lr_lambdas):
            if not callable(function):
                raise TypeError(f"{name}: lr_lambda {number} must be a function of the epoch, got "
                                f"{type(function).__name__}")
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [_saved_attributes(fn) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved_lambdas = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for fn, attributes in zip(self.lr_lambdas, saved_lambdas):
            if attributes is not None:
                fn.__dict__.update(attributes)


class LambdaLR(_FunctionSchedule):
    """lr = initial_lr * lr_lambda(epoch)."""

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        return [base_lr * factor(self.last_epoch) for factor, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_FunctionSchedule):
    """lr <- lr * lr_lambda(epoch) at every step after the first."""

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self._is_initial:
            return self._current_lrs()
        return [lr * factor(self.last_epoch) for factor, lr in zip(self.lr_lambdas, self._current_lrs())]


class LinearLR(LRScheduler):
    """The factor on initial_lr goes linearly from start_factor to end_factor over total_iters epochs,
    then stays at end_factor."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        # chainable form: the ratio of this epoch's factor to the previous one's
        change = self.end_factor - self.start_factor
        ratio = 1.0 + change / (self.total_iters * self.start_factor + (self.last_epoch - 1) * change)
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)
                for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = initial_lr * (1 - min(epoch, total_iters) / total_iters)^power: down to 0 at total_iters."""

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> None:
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        # chainable form: the ratio of this epoch's factor to the previous one's
        epoch, total = self.last_epoch, self.total_iters
        ratio = ((1.0 - epoch / total) / (1.0 - (epoch - 1) / total)) ** self.power
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
        return [base_lr * factor for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2 (Loshchilov & Hutter, 2017,
    without restarts): down to eta_min at T_max, back up by 2 T_max, and so on."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        epoch, period, floor = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and epoch > 0:  # resumed through the constructor: the closed form
            return [floor + (base_lr - floor) * (1 + math.cos(epoch * math.pi / period)) / 2
                    for base_lr in self.base_lrs]
        if (epoch - 1 - period) % (2 * period) == 0:  # leaving the minimum, where the ratio below is 0 / 0
            return [lr + (base_lr - floor) * (1 - math.cos(math.pi / period)) / 2
                    for lr, base_lr in zip(self._current_lrs(), self.base_lrs)]
        # chainable form: scale the distance above eta_min by the ratio of consecutive cosine terms
        ratio = (1 + math.cos(math.pi * epoch / period)) / (1 + math.cos(math.pi * (epoch - 1) / period))
        return [ratio * (lr - floor) + floor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter, 2017): lr = eta_min + (initial_lr - eta_min) (1 + cos(pi T_cur / T_i)) / 2,
    where T_cur counts epochs since the last restart and the i-th period T_i = T_0 T_mult^i. `step(epoch)`
    takes fractional epochs (e.g. epoch + batch / batches per epoch), without a deprecation warning."""

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive int, got {T_0!r}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_mult must be an int >= 1, got {T_mult!r}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"CosineAnnealingWarmRestarts: eta_min must be a float, got {type(eta_min).__name__}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        # as in PyTorch, this step neither counts in _step_count nor warns about an epoch
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:  # restart, with a period T_mult times longer
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        elif epoch < 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch}")
        elif epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            # periods T_0, T_0 m, T_0 m^2, ... end at T_0 (m^n - 1) / (m - 1): solve for the current n
            restarts = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult ** restarts - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult ** restarts
        self.last_epoch = math.floor(epoch)
        self._set_rates(self.get_lr)


def _per_group(name: str, optimizer: Optimizer, value: float | Sequence[float]) -> list[float]:
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{name} has {len(value)} values, expected one per param group ({groups})")
        return list(value)
    return [value] * groups


class _MomentumCycle(LRScheduler):
    """A schedule that, with cycle_momentum, moves each group's momentum (or Adam's beta1) opposite to its rate."""

    use_beta1: bool

    def _check_momentum_option(self, optimizer: Optimizer) -> None:
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(f"{type(self).__name__}: cycle_momentum needs an optimizer with momentum or betas, "
                             f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)")
        self.use_beta1 = "betas" in optimizer.defaults

    def _set_momentum(self, group: dict, momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum


# CyclicLR's built-in modes, and what each one's scale is a function of: the cycle number or the step
_CYCLIC_MODES = {"triangular": "cycle", "triangular2": "cycle", "exp_range": "iterations"}


class CyclicLR(_MomentumCycle):
    """Cyclical learning rates (Smith, 2017), stepped after every batch: each group's rate climbs linearly
    from base_lr to max_lr over step_size_up steps and back over step_size_down, the height of the
    climb scaled by mode: "triangular" (full height), "triangular2" (halved every cycle), "exp_range"
    (gamma^step), or by scale_fn of the cycle number (1, 2, ...) or of the step (scale_mode). With
    cycle_momentum the momentum (or beta1) falls from max_momentum to base_momentum as the rate rises.
    Unlike other schedules, the constructor sets the rates to base_lr, which are also `base_lrs`."""

    def __init__(self, optimizer: Optimizer, base_lr: float | Sequence[float], max_lr: float | Sequence[float],
                 step_size_up: float = 2000, step_size_down: float | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum: float | Sequence[float] = 0.8,
                 max_momentum: float | Sequence[float] = 0.9, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"CyclicLR needs an Optimizer, got {type(optimizer).__name__}")
        if not step_size_up > 0:
            raise ValueError(f"CyclicLR: step_size_up must be > 0, got {step_size_up}")
        if step_size_down is not None and not step_size_down >= 0:
            raise ValueError(f"CyclicLR: step_size_down must be >= 0 (or None: step_size_up), got {step_size_down}")
        if scale_fn is None and mode not in _CYCLIC_MODES:
            raise ValueError(f"CyclicLR: mode must be one of {sorted(_CYCLIC_MODES)} (or give scale_fn), got {mode!r}")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"CyclicLR: scale_fn must be a function of one number, got {type(scale_fn).__name__}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"CyclicLR: scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        self.optimizer = optimizer
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs):
                set_group_lr(group, lr)
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = step_size_up if step_size_down is None else float(step_size_down)
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size  # the rising part of a cycle
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else _CYCLIC_MODES[mode]
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._check_momentum_option(optimizer)
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for group, high, low in zip(optimizer.param_groups, self.max_momentums, self.base_momentums):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x: float) -> float:
        """The factor on the climb's height, of the cycle number or the step (scale_mode)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        position = 1.0 + self.last_epoch / self.total_size - cycle  # in [0, 1): where in the cycle
        if position <= self.step_ratio:
            climbed = position / self.step_ratio
        else:
            climbed = (position - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        rates = [base_lr + (max_lr - base_lr) * climbed * scale for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                self._set_momentum(group, high - (high - low) * climbed * scale)
        return rates

    def state_dict(self) -> dict[str, Any]:
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "_scale_fn_custom")}
        state["_scale_fn_custom"] = _saved_attributes(self._scale_fn_custom)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        attributes = state.pop("_scale_fn_custom", None)
        if attributes is not None and self._scale_fn_custom is None:
            raise ValueError("CyclicLR: the state dict holds the attributes of a scale_fn object, but this CyclicLR "
                             "has no scale_fn to give them to")
        self.__dict__.update(state)
        if attributes is not None:
            self._scale_fn_custom.__dict__.update(attributes)


class OneCycleLR(_MomentumCycle):
    """The 1cycle policy (Smith & Topin, 2017), stepped after every batch: the rate rises from
    max_lr / div_factor to max_lr over the first pct_start of total_steps, then anneals to
    initial_lr / final_div_factor (three_phase: back to the initial rate first, then down); momentum
    (or Adam's beta1) moves the opposite way between max_momentum and base_momentum."""

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.85, max_momentum: float | Sequence[float] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"OneCycleLR needs an Optimizer, got {type(optimizer).__name__}")
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"OneCycleLR: total_steps must be a positive int, got {total_steps!r}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(value, int) or value <= 0:
                    raise ValueError(f"OneCycleLR: {name} must be a positive int, got {value!r}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR: give either total_steps or both epochs and steps_per_epoch")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        warmup_end = float(pct_start * self.total_steps) - 1
        if three_phase:  # up, back down to the initial rate, then down to the minimum
            phases = [(warmup_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                      (float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
                       "max_momentum"),
                      (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            phases = [(warmup_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                      (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        keys = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")
        self._schedule_phases = [dict(zip(keys, phase)) for phase in phases]
        self._anneal_func_type = anneal_strategy
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, group_max_lr in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = group_max_lr / div_factor
                group["max_lr"] = group_max_lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._check_momentum_option(optimizer)
            if last_epoch == -1:
                for group, high, low in zip(optimizer.param_groups, _per_group("max_momentum", optimizer, max_momentum),
                                            _per_group("base_momentum", optimizer, base_momentum)):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times, but total_steps is {self.total_steps}")
        rates = []
        for group in self.optimizer.param_groups:
            phase_start = 0.0
            for number, phase in enumerate(self._schedule_phases):
                if step <= phase["end_step"] or number == len(self._schedule_phases) - 1:
                    fraction = (step - phase_start) / (phase["end_step"] - phase_start)
                    rates.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], fraction))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[phase["start_momentum"]],
                                                               group[phase["end_momentum"]], fraction))
                    break
                phase_start = phase["end_step"]
        return rates


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rates by `factor` when the metric passed to `step(metrics)` has not improved for more
    than `patience` epochs; improvement means beating the best by `threshold` (relative or absolute),
    downwards for mode "min", upwards for "max". After a reduction, `cooldown` epochs pass before bad
    epochs count again; rates never go below `min_lr`, and changes smaller than `eps` are skipped.
    An LRScheduler, as in PyTorch, that takes no step when made and has no get_lr()."""

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | list[float] = 0.0, eps: float = 1e-8) -> None:
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau needs an Optimizer, got {type(optimizer).__name__}")
        groups = optimizer.param_groups
        # the attributes in PyTorch's order, so that state dicts have its keys in its order
        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(f"ReduceLROnPlateau: {len(min_lr)} min_lr values for {len(groups)} parameter groups")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:  # also the floor of groups added later
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * len(groups)
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._set_comparison(mode, threshold, threshold_mode)
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _set_comparison(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.mode_worse = math.inf if mode == "min" else -math.inf  # the best metric before any step
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode

    def is_better(self, current: float, best: float) -> bool:
        if self.mode == "min":
            return current < (best * (1 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        return current > (best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold)

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def step(self, metrics: float, epoch: int | None = None) -> None:  # type: ignore[override]
        current = float(metrics)
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):  # a group was added since
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups, but min_lr "
                                   f"gave {len(self.min_lrs)} (one per group when the scheduler was made); set "
                                   "scheduler.min_lrs to one value per group")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])  # (a tensor lr's value, reduced in float64 as PyTorch does)
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                set_group_lr(group, new_lr)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._set_comparison(self.mode, self.threshold, self.threshold_mode)  # also for state dicts without mode_worse


def _check_combined(name: str, schedulers: Sequence[LRScheduler], optimizer: Optimizer) -> None:
    if len(schedulers) < 1:
        raise ValueError(f"{name} needs at least one scheduler, got none")
    for index, scheduler in enumerate(schedulers):
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{name} does not support ReduceLROnPlateau (scheduler {index}): its step needs a metric")
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"{name}: scheduler {index} must be a learning-rate scheduler, got "
                            f"{type(scheduler).__name__}")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{name} needs all schedulers to belong to the same optimizer, but scheduler {index} "
                             f"({type(scheduler).__name__}) has a different {type(scheduler.optimizer).__name__}")


class _Combination(LRScheduler):
    """Schedulers run by another; their states are saved inside its state dict, under "_schedulers"."""

    _schedulers: list[LRScheduler]

    def state_dict(self) -> dict[str, Any]:
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved_schedulers = state.pop("_schedulers")
        if len(saved_schedulers) != len(self._schedulers):
            raise ValueError(f"{type(self).__name__}: the state dict has {len(saved_schedulers)} schedulers, this "
                             f"one has {len(self._schedulers)}")
        self.__dict__.update(state)
        for scheduler, saved in zip(self._schedulers, saved_schedulers):
            scheduler.load_state_dict(saved)


class SequentialLR(_Combination):
    """Run `schedulers[0]` until epoch `milestones[0]`, then `schedulers[1]`, and so on (e.g. a LinearLR
    warm-up, then a decay). As in PyTorch: the constructor resets the rates to `initial_lr`, undoes the
    first step each scheduler took in its own constructor and retakes it for the first schedule only;
    at a milestone the next scheduler restarts at its epoch 0 (from `initial_lr`, not from where the
    previous one ended); get_last_lr() is the rates the active scheduler set."""

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler], milestones: list[int],
                 last_epoch: int = -1) -> None:
        _check_combined("SequentialLR", schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers: got {len(schedulers)} "
                             f"schedulers and {len(milestones)} milestones")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            set_group_lr(group, group["initial_lr"])
        self._undo_initial_steps(self)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def _undo_initial_steps(self, scheduler: LRScheduler) -> None:
        if isinstance(scheduler, _Combination):
            for inner in scheduler._schedulers:
                self._undo_initial_steps(inner)
        else:
            scheduler.last_epoch -= 1

    def step(self) -> None:
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Combination):
    """Step every scheduler, in order, at each step: their changes to the rates compound (e.g.
    ConstantLR's warm-up factor on top of ExponentialLR's decay). Takes no step of its own when built."""

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None) -> None:
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler needs at least one scheduler, got none")
        optimizer = optimizer or schedulers[0].optimizer
        _check_combined("ChainedScheduler", schedulers, optimizer)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = self._current_lrs()

    def step(self) -> None:
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()
