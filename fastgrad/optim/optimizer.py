"""Optimizer: parameter groups, per-parameter state, zero_grad and state_dict, as in `torch.optim`.

Subclasses implement `_update(param, grad, state, group)` on NumPy arrays, in place; with the group
option `maximize` they receive the negated gradient, so every rule ascends instead. Dense updates
run over the flattened arrays in chunks of `CHUNK` elements (see `chunks`): each chunk's
temporaries stay in cache, so a multi-step rule such as Adam reads and writes each large array
about once instead of once per NumPy expression.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

import numpy as np

from fastgrad.autograd.grad_mode import enable_grad
from fastgrad.dtypes import get_default_dtype
from fastgrad.kernels.parallel import map_across_threads
from fastgrad.nn.modules.module import zero_grad_of
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Tensor

# Options of PyTorch's optimizers that fastgrad's optimizers either lack (decoupled_weight_decay outside
# the Adam family) or never store (the speed options, accepted only when off). A state dict (e.g.
# converted from PyTorch) that turns one on is refused: steps would silently differ.
_UNSUPPORTED_OPTIONS = ("decoupled_weight_decay", "capturable", "differentiable", "fused")

CHUNK = 65536  # elements per chunk: 256 KiB of float32, several arrays of it fit in L2


def check_speed_options(name: str, capturable: bool = False, differentiable: bool = False,
                        fused: bool | None = None) -> None:
    """PyTorch's options that choose how an update runs, not what it computes. fastgrad has one way (NumPy
    over each parameter, outside the graph), so `foreach` is accepted as any value and these only when
    off; on they are refused rather than ignored."""
    for option, value in (("capturable", capturable), ("differentiable", differentiable), ("fused", fused)):
        if value:
            raise NotImplementedError(f"{name}: {option}={value!r} is not implemented (fastgrad updates parameters "
                                      f"with NumPy, outside the autograd graph); pass {option}=False")


def default_dtype_scalar(value: float) -> np.floating:
    """`value` in the dtype of PyTorch's 0-d optimizer state tensors (float64 when that is the default dtype,
    else float32): a NumPy scalar, so that what is computed from it and stored back rounds as PyTorch's."""
    return (np.float64 if get_default_dtype() == np.float64 else np.float32)(value)


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, scratch: np.ndarray | None = None) -> None:
    """start <- start + weight (end - start), in place, measured from the nearer end as PyTorch's lerp_ does: with
    a weight near 1 (Adam's beta1 near 0) the result is end to its last digit, not start plus a difference
    that lost the small end's digits. `scratch`, of start's size, saves a temporary."""
    difference = np.subtract(end, start, out=scratch)
    if weight < 0.5:
        difference *= weight
        start += difference
    else:
        difference *= 1 - weight
        np.subtract(end, difference, out=start)


def chunks(*arrays: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
    """Matching chunk views of same-sized contiguous arrays, flattened."""
    flats = [a.reshape(-1) for a in arrays]
    size = flats[0].size
    if size <= CHUNK:
        yield tuple(flats)
        return
    for start in range(0, size, CHUNK):
        yield tuple(f[start:start + CHUNK] for f in flats)


def _option_number(value: Tensor) -> float | np.floating:
    """A 0-d tensor option as the number the rules compute with. PyTorch computes a step's coefficients from
    it as 0-d tensors of its dtype (`lr / bias_correction1` with a float32 lr is a float32), so a narrower
    dtype's value stays a NumPy scalar, which NumPy's arithmetic with Python floats keeps in that dtype; a
    float64 one becomes a Python float, which (unlike a NumPy float64) never widens a float32 parameter's
    arithmetic."""
    number = value._data[()]
    return float(number) if number.dtype == np.float64 else number


def numeric_options(group: dict[str, Any]) -> dict[str, Any]:
    """`group` with its tensor options as numbers (PyTorch takes a 0-d tensor lr or betas): the rules compute on
    NumPy arrays, where a Tensor operand makes `array -= tensor * x` a new Tensor, leaving the parameter as it was."""
    numbers = {}
    for key, value in group.items():
        if isinstance(value, Tensor):
            numbers[key] = _option_number(value)
        elif isinstance(value, tuple) and any(isinstance(v, Tensor) for v in value):
            numbers[key] = tuple(_option_number(v) if isinstance(v, Tensor) else v for v in value)
    return {**group, **numbers} if numbers else group


def _negated(grad: np.ndarray | SparseRowGrad) -> np.ndarray | SparseRowGrad:
    if isinstance(grad, SparseRowGrad):
        return SparseRowGrad(grad.rows, -grad.values, grad.shape)
    return -grad


class Optimizer:
    """Holds `param_groups` (dicts with "params" and hyperparameters; change `group["lr"]` freely)
    and `state` (per-parameter dicts of arrays and counters, keyed by the parameter)."""

    # The state entries that are numbers, not arrays shaped as the parameter: what a loaded 0-d value of
    # these names becomes. Other 0-d values are the state of a 0-d parameter and stay arrays.
    scalar_state: tuple[str, ...] = ("step",)
    # The 0-d state kept as NumPy scalars (see `default_dtype_scalar()`); as PyTorch casts such tensors to the
    # parameter's dtype when a state dict is loaded, a loaded value becomes a scalar of that dtype.
    rounded_state: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = [params] if isinstance(params, Tensor) else list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, but parameter {index} of the "
                                f"group is a {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError(f"{type(self).__name__} can't optimize a non-leaf Tensor (parameter {index}, "
                                 f"shape {param.shape})")
            if id(param) in seen:
                raise ValueError(f"parameter {index} (shape {param.shape}) appears in more than one parameter group")
            seen.add(id(param))
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown option(s) {sorted(unknown)} in a parameter group; "
                            f"expected some of {sorted(self.defaults)}")
        self.param_groups.append({**self.defaults, **group, "params": params})

    # -- the update ----------------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; `closure` re-evaluates the loss (returned)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        updates = [(param, group) for group in map(numeric_options, self.param_groups) for param in group["params"]
                   if param.grad is not None]
        for param, _ in updates:
            self.state.setdefault(param, {})
        # Each parameter's update reads and writes only its own arrays, so with dense gradients the updates
        # are shared among threads (the RNN LM's 4.1 million weights: SGD 3.9 -> 2.7 ms median at two
        # threads); a sparse gradient keeps them in order, so that one refused stops the step where it did.
        dense = not any(param.grad.is_sparse for param, _ in updates)
        map_across_threads(self._update_parameter, updates, [param._data.size * dense for param, _ in updates])
        return loss

    def _update_parameter(self, update: tuple[Tensor, dict[str, Any]]) -> None:
        param, group = update
        data = param._data
        if not data.flags.c_contiguous:  # updates work on flat views of the array: update a copy
            param._data = np.ascontiguousarray(data)
        grad = param.grad if param.grad.is_sparse else param.grad._data
        if group.get("maximize"):
            grad = _negated(grad)
        self._update(param, grad, self.state[param], group)
        if param._data is not data:  # written back, so that arrays sharing the parameter's memory see it
            data[...] = param._data
            param._data = data
        param._counter.value += 1  # parameters changed in place: graphs recorded before are stale

    def _update(self, param: Tensor, grad: np.ndarray | SparseRowGrad, state: dict, group: dict) -> None:
        raise NotImplementedError

    def _reject_sparse(self, grad, reason: str = "") -> None:
        if isinstance(grad, SparseRowGrad):
            raise RuntimeError(f"{type(self).__name__} does not support sparse gradients{reason}; use SGD (without "
                               "momentum and weight decay), Adagrad or SparseAdam for Embedding(sparse=True)")

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for param in group["params"]:
                zero_grad_of(param, set_to_none)

    # -- state ------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: {name: array or number}}, "param_groups": [{..., "params": [indices]}]}; a
        parameter's index is its position across all groups, as in PyTorch. Arrays are not copied."""
        index_of, groups = {}, []
        for group in self.param_groups:
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            groups.append({**{k: v for k, v in group.items() if k != "params"},
                           "params": [index_of[id(p)] for p in group["params"]]})
        state = {index_of[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index_of}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by `state_dict()` (arrays are copied and cast to the
        parameter's dtype). Group count, group sizes and state shapes must match."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, this optimizer has "
                             f"{len(self.param_groups)}")
        param_of = {}
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"loaded state dict's parameter group {number} has {len(saved['params'])} "
                                 f"parameters, this optimizer's has {len(group['params'])}")
            param_of.update(zip(saved["params"], group["params"]))
        new_state = {}
        for index, saved_state in state_dict["state"].items():
            index = int(index)
            if index not in param_of:
                raise ValueError(f"loaded state dict has state for parameter {index}, which no group lists")
            param = param_of[index]
            new_state[param] = {name: self._restored(value, param, name, index) for name, value in saved_state.items()}
        for number, saved in enumerate(saved_groups):
            for option in _UNSUPPORTED_OPTIONS:
                if saved.get(option) and option not in self.defaults:
                    raise ValueError(f"loaded state dict's parameter group {number} has {option}={saved[option]!r}, "
                                     f"which fastgrad's {type(self).__name__} does not implement; its steps would "
                                     "differ from the optimizer that saved it")
        for group, saved in zip(self.param_groups, saved_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = new_state

    def _restored(self, value: Any, param: Tensor, name: str, index: int) -> Any:
        if isinstance(value, Tensor):
            value = value._data
        if name in self.rounded_state:
            return param.dtype.type(value)
        if not isinstance(value, np.ndarray):
            return value
        if name in self.scalar_state:
            return value.item()
        if value.shape != param.shape:
            raise ValueError(f"loaded optimizer state {name!r} of parameter {index} has shape {value.shape}, the "
                             f"parameter has shape {param.shape}")
        return value.astype(param.dtype, copy=True)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines) + "\n)"
