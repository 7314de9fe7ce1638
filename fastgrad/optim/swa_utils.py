"""Weight averaging with torch.optim.swa_utils' names: `AveragedModel` keeps a running average of a model's
weights, the equal-weight one of stochastic weight averaging (Izmailov et al., 2018) or an exponential
moving average; `SWALR` anneals the rates to a constant for the averaging phase; `update_bn` recomputes the
batch-norm statistics of the averaged weights with one pass over the data.

The averages follow PyTorch's CPU path operation for operation: from the same weights, `avg_fn` and the
default give PyTorch's bits, the `multi_avg_fn` ones (lerp_, which PyTorch rounds once by a fused
multiply-add) agree to within an ulp or so. Integer buffers (`num_batches_tracked`) averaged with
`use_buffers=True` are truncated towards zero when written back, as PyTorch's are.
"""
from __future__ import annotations

import copy
import itertools
import math
from typing import Any, Callable, Iterable, Sequence

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.creation import tensor
from fastgrad.dtypes import int64
from fastgrad.nn.modules.module import Module
from fastgrad.nn.modules.normalization import _BatchNorm
from fastgrad.optim.lr_scheduler import LRScheduler, _per_group, check_optimizer
from fastgrad.optim.optimizer import Optimizer
from fastgrad.tensor import Tensor, check_device

__all__ = ["AveragedModel", "SWALR", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
           "get_swa_multi_avg_fn", "update_bn"]

AverageOne = Callable[[Tensor, Tensor, "Tensor | int"], Tensor]
AverageInPlace = Callable[[Sequence[Tensor], Sequence[Tensor], "Tensor | int"], None]


def _check_decay(decay: float) -> None:
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1], got {decay}")


def _interpolates(tensor_: Tensor) -> bool:
    """lerp_ (PyTorch's in-place form of these averages) exists for floating point and complex tensors only."""
    return tensor_.dtype.kind in "fc"


def get_ema_multi_avg_fn(decay: float = 0.999) -> AverageInPlace:
    """An in-place exponential moving average for `AveragedModel(multi_avg_fn=...)`:
    average <- decay * average + (1 - decay) * current."""
    _check_decay(decay)

    def ema_update(averaged: Sequence[Tensor], current: Sequence[Tensor], num_averaged: Tensor | int) -> None:
        interpolates = _interpolates(averaged[0])
        with no_grad():
            for average, value in zip(averaged, current):
                if interpolates:
                    average.lerp_(value, 1 - decay)
                else:
                    average.copy_(average * decay + value * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> AverageInPlace:
    """An in-place equal-weight average for `AveragedModel(multi_avg_fn=...)`: the average of n models
    moves 1 / (n + 1) of the way to the current one."""

    def swa_update(averaged: Sequence[Tensor], current: Sequence[Tensor], num_averaged: Tensor | int) -> None:
        if not _interpolates(averaged[0]):
            # an in-place step of a fraction cannot be written into integers
            raise RuntimeError(f"get_swa_multi_avg_fn: cannot average {averaged[0].dtype} tensors in place; "
                               "pass avg_fn=get_swa_avg_fn() (it truncates) or leave the buffers out "
                               "(use_buffers=False)")
        # one weight for all, a number: from a tensor count it is the default dtype's 1 / (n + 1), as PyTorch's
        weight = float(1 / (num_averaged + 1))
        with no_grad():
            for average, value in zip(averaged, current):
                average.lerp_(value, weight)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AverageOne:
    """An exponential moving average for `AveragedModel(avg_fn=...)`: decay * average + (1 - decay) * current."""
    _check_decay(decay)

    def ema_update(average: Tensor, current: Tensor, num_averaged: Tensor | int) -> Tensor:
        with no_grad():
            return decay * average + (1 - decay) * current

    return ema_update


def get_swa_avg_fn() -> AverageOne:
    """An equal-weight average for `AveragedModel(avg_fn=...)`: average + (current - average) / (n + 1)."""

    def swa_update(average: Tensor, current: Tensor, num_averaged: Tensor | int) -> Tensor:
        with no_grad():
            return average + (current - average) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of `model` whose parameters (and, with `use_buffers`, buffers) `update_parameters(model)`
    averages over the calls: the first call copies the model, later ones apply `avg_fn` to each tensor
    (average, current, number averaged so far) or `multi_avg_fn` in place to the lists of them, one call
    per dtype; with neither, the equal-weight average. Without `use_buffers` the buffers are copied from
    the model at every call. `n_averaged` counts the calls and is saved in `state_dict()`; the functions
    are not. Calling it runs the averaged copy."""

    n_averaged: Tensor

    def __init__(self, model: Module, device=None, avg_fn: AverageOne | None = None,
                 multi_avg_fn: AverageInPlace | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        check_device("AveragedModel", device)
        if avg_fn is not None and multi_avg_fn is not None:
            # AssertionError is PyTorch's type for this mistake
            raise AssertionError("AveragedModel: pass avg_fn or multi_avg_fn, not both")
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", tensor(0, dtype=int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged_tensors(self, model: Module) -> Iterable[Tensor]:
        return itertools.chain(model.parameters(), model.buffers()) if self.use_buffers else model.parameters()

    def update_parameters(self, model: Module) -> None:
        pairs = [(average.detach(), current.detach())
                 for average, current in zip(self._averaged_tensors(self.module), self._averaged_tensors(model))]
        with no_grad():
            if self.n_averaged == 0:
                for average, current in pairs:
                    average.copy_(current)
            elif self.multi_avg_fn is not None:
                by_dtype: dict[Any, list[tuple[Tensor, Tensor]]] = {}
                for average, current in pairs:
                    by_dtype.setdefault(average.dtype, []).append((average, current))
                for same_dtype in by_dtype.values():
                    self.multi_avg_fn([average for average, _ in same_dtype], [current for _, current in same_dtype],
                                      self.n_averaged)
            else:
                average_one = self.avg_fn or get_swa_avg_fn()
                for average, current in pairs:
                    average.copy_(average_one(average, current, self.n_averaged))
            if not self.use_buffers:
                ours, theirs = list(self.module.buffers()), list(model.buffers())
                if len(ours) != len(theirs):
                    raise ValueError(f"AveragedModel.update_parameters: the model has {len(theirs)} buffers, "
                                     f"expected {len(ours)} (those of the model it was made from)")
                for buffer, current in zip(ours, theirs):
                    buffer.detach().copy_(current.detach())
            self.n_averaged += 1


def update_bn(loader: Iterable[Any], model: Module, device=None) -> None:
    """Recompute the running mean and variance of every BatchNorm in `model` as the plain average over one
    pass of `loader` (batches that are tensors, or lists/tuples whose first item is the input). The
    momenta and the training mode are restored afterwards; a model without BatchNorm is left alone."""
    check_device("update_bn", device)
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None  # a cumulative average of the batches' statistics
    try:
        with no_grad():
            for batch in loader:
                model(batch[0] if isinstance(batch, (list, tuple)) else batch)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's rate from where it is to `swa_lr` (one for all groups or one per group) over
    `anneal_epochs` steps, by a half cosine ("cos") or linearly ("linear"), then hold it there. Like PyTorch's,
    each step recovers the rate the annealing started from out of the current one, so a schedule that
    changed the rate before SWALR took over is followed smoothly."""

    def __init__(self, optimizer: Optimizer, swa_lr: float | Sequence[float], anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        check_optimizer("SWALR", optimizer)
        swa_lrs = _per_group("swa_lr", optimizer, swa_lr)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"SWALR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be an int >= 0, got {anneal_epochs!r}")
        for group, group_swa_lr in zip(optimizer.param_groups, swa_lrs):
            group["swa_lr"] = group_swa_lr
        self._anneal_strategy = anneal_strategy
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @property
    def anneal_func(self) -> Callable[[float], float]:
        """The fraction of the way to swa_lr at a fraction t of the annealing (a property, so that state
        dicts hold only the strategy's name)."""
        return self._linear_anneal if self._anneal_strategy == "linear" else self._cosine_anneal

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        """The rate the annealing started from, given that `lr` is alpha of the way from it to swa_lr."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        previous_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha
                + self._get_initial_lr(group["lr"], group["swa_lr"], previous_alpha) * (1 - alpha)
                for group in self.optimizer.param_groups]
