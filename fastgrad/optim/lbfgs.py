"""L-BFGS (Liu & Nocedal, 1989; Nocedal & Wright, "Numerical Optimization", 2006, algorithms 7.4 and 7.5)
as PyTorch runs it: several iterations per `step(closure)`, each re-evaluating the loss through the
closure, over all parameters flattened into one vector; optionally with a line search that satisfies
the strong Wolfe conditions (Nocedal & Wright, algorithms 3.5 and 3.6, as minFunc implements them)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from fastgrad.autograd.grad_mode import enable_grad
from fastgrad.optim.optimizer import Optimizer, numeric_options
from fastgrad.tensor import Tensor

LINE_SEARCHES = (None, "strong_wolfe")
# PyTorch's LBFGS calls its line search without the group's tolerance_change, so the search stops zooming
# at its own default, whatever tolerance_change the optimizer was given
LINE_SEARCH_TOLERANCE_CHANGE = 1e-9


@dataclass
class LinePoint:
    """A point on the search line x + t d: its loss f, gradient g and directional derivative gtd = g.d."""

    t: Any
    f: float
    g: np.ndarray
    gtd: Any


@np.errstate(divide="ignore", invalid="ignore")  # an infinite loss or a flat slope is handled below, not an error
def _cubic_minimizer(a: LinePoint, b: LinePoint, bounds: tuple[Any, Any] | None = None) -> Any:
    """The minimizer of the cubic through two points with their slopes (Nocedal & Wright, eq. 3.59),
    clamped to `bounds` (default: between the points); their midpoint if the cubic has no minimum."""
    low, high = bounds if bounds is not None else (min(a.t, b.t), max(a.t, b.t))
    d1 = a.gtd + b.gtd - 3 * (a.f - b.f) / (a.t - b.t)
    d2_square = d1 * d1 - a.gtd * b.gtd
    if d2_square >= 0:  # (not `< 0` below: a NaN, from an infinite loss, must take the midpoint)
        d2 = np.sqrt(d2_square)
        near, far = (a, b) if a.t <= b.t else (b, a)  # measured from the farther point
        minimizer = far.t - (far.t - near.t) * ((far.gtd + d2 - d1) / (far.gtd - near.gtd + 2 * d2))
        return min(max(minimizer, low), high)
    return (low + high) / 2.0


def strong_wolfe_search(evaluate: Callable[[Any], LinePoint], t: Any, d: np.ndarray, start: LinePoint,
                        tolerance_change: float, max_iterations: int, c1: float = 1e-4,
                        c2: float = 0.9) -> tuple[LinePoint, int]:
    """A step length along d with sufficient decrease (f <= f0 + c1 t gtd0) and a small slope
    (|gtd| <= -c2 gtd0), found by bracketing from `t`, then zooming with cubic interpolation; the best
    point seen when `max_iterations` (evaluations after the first) run out. Returns the point and the
    number of evaluations."""
    def sufficient_decrease(trial: LinePoint) -> bool:
        return not trial.f > start.f + c1 * trial.t * start.gtd

    def flat_enough(trial: LinePoint) -> bool:
        return abs(trial.gtd) <= -c2 * start.gtd

    # bracketing: grow the step until an interval must hold an acceptable point, or one is found
    previous, trial = start, evaluate(t)
    evaluations, iterations, done = 1, 0, False
    bracket: list[LinePoint] = []
    while iterations < max_iterations:
        if not sufficient_decrease(trial) or (iterations > 1 and trial.f >= previous.f):
            bracket = [previous, trial]
            break
        if flat_enough(trial):
            bracket, done = [trial], True
            break
        if trial.gtd >= 0:
            bracket = [previous, trial]
            break
        # extrapolate: between 1.01 and 10 times as far as the last step
        t = _cubic_minimizer(previous, trial, bounds=(trial.t + 0.01 * (trial.t - previous.t), trial.t * 10))
        previous, trial = trial, evaluate(t)
        evaluations += 1
        iterations += 1
    if iterations == max_iterations:
        bracket = [LinePoint(0, start.f, start.g, start.gtd), trial]

    # zoom: shrink the bracket around the point with the lowest loss until it satisfies both conditions
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    d_norm = np.abs(d).max()
    insufficient_progress = False
    while not done and iterations < max_iterations:
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:
            break
        t = _cubic_minimizer(bracket[0], bracket[1])
        # a trial within a tenth of the bracket from its ends twice running (or beyond them) is moved
        # to that tenth, so the bracket keeps shrinking by a fraction
        left, right = min(bracket[0].t, bracket[1].t), max(bracket[0].t, bracket[1].t)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:
            if insufficient_progress or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        trial = evaluate(t)
        evaluations += 1
        iterations += 1
        if not sufficient_decrease(trial) or trial.f >= bracket[low].f:
            bracket[high] = trial
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if flat_enough(trial):
            done = True
        elif trial.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = trial
    return bracket[low], evaluations


class LBFGS(Optimizer):
    """One `step(closure)` runs up to max_iter iterations (max_eval closure calls): the direction
    d = -H g from the last history_size steps s and gradient changes y (the two-loop recursion, with
    H0 = s.y / y.y), the first one d = -g; the step t = lr (at the very first iteration
    min(1, 1 / |g|_1) lr), or one satisfying the strong Wolfe conditions with
    line_search_fn="strong_wolfe"; it stops early when max|g| <= tolerance_grad, or the step or
    the change in loss falls below tolerance_change (not passed to the line search, as in PyTorch: it zooms
    down to LINE_SEARCH_TOLERANCE_CHANGE). Its state (history included) carries over
    between calls, kept as PyTorch keeps it under the first parameter. One parameter group only."""

    def __init__(self, params: Iterable, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if not lr >= 0:  # (so NaN too, as PyTorch)
            raise ValueError(f"LBFGS: lr must be >= 0, got {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        for name, value in (("max_iter", max_iter), ("max_eval", max_eval), ("history_size", history_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"LBFGS: {name} must be an int >= 1, got {value!r}")
        if line_search_fn not in LINE_SEARCHES:
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))

    def add_param_group(self, group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups): it optimizes one "
                             "group, as in PyTorch")
        super().add_param_group(group)

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    # -- the parameters as one flat vector ----------------------------------------------------------
    def _flat_grad(self) -> np.ndarray:
        """All gradients in one new vector; a missing gradient counts as zeros, a sparse one is made dense."""
        parts = []
        for param in self._params:
            grad = param.grad
            if grad is None:
                parts.append(np.zeros(param._data.size, dtype=param.dtype))
            else:
                parts.append((grad.to_dense_array() if grad.is_sparse else grad._data).reshape(-1))
        return np.concatenate(parts)

    def _move(self, t: Any, d: np.ndarray) -> None:
        """x <- x + t d, in place."""
        offset = 0
        for param in self._params:
            size = param._data.size
            param._data += t * d[offset:offset + size].reshape(param.shape)
            param._counter.value += 1  # changed in place: graphs recorded before are stale
            offset += size

    def _set_params(self, values: list[np.ndarray]) -> None:
        for param, value in zip(self._params, values):
            param._data[...] = value
            param._counter.value += 1

    @staticmethod
    def _call(closure: Callable[[], Any]) -> Any:
        with enable_grad():
            return closure()

    # -- the update ----------------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to max_iter iterations; `closure` clears the gradients, computes the loss, calls
        backward() and returns the loss. Returns the loss the first evaluation gave."""
        if not callable(closure):
            raise TypeError(f"LBFGS.step needs a closure that re-evaluates the loss, got {type(closure).__name__}")
        group = numeric_options(self.param_groups[0])
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss = self._call(closure)
        loss = float(first_loss)
        evaluations = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:  # already optimal
            return first_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
        iteration = 0
        while iteration < max_iter:
            iteration += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep only pairs with positive curvature: H stays positive definite
                    if len(old_dirs) == history_size:
                        del old_dirs[0], old_stps[0], ro[0]  # the oldest pair goes
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                d = self._two_loop_direction(flat_grad, old_dirs, old_stps, ro, H_diag, history_size, state)
            prev_flat_grad = flat_grad
            prev_loss = loss

            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction (to the tolerance)
                break

            line_evaluations = 0
            if group["line_search_fn"] == "strong_wolfe":
                start_params = [param._data.copy() for param in self._params]

                def evaluate(step_length: Any) -> LinePoint:
                    self._move(step_length, d)
                    trial_loss = float(self._call(closure))
                    trial_grad = self._flat_grad()
                    self._set_params(start_params)
                    return LinePoint(step_length, trial_loss, trial_grad, trial_grad.dot(d))

                accepted, line_evaluations = strong_wolfe_search(
                    evaluate, t, d, LinePoint(0, loss, flat_grad, gtd), LINE_SEARCH_TOLERANCE_CHANGE,
                    max_eval - evaluations)
                loss, flat_grad, t = accepted.f, accepted.g, accepted.t
                self._move(t, d)
                optimal = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._move(t, d)
                optimal = False
                if iteration != max_iter:  # the last iteration's loss is not needed (nor, when stochastic, useful)
                    loss = float(self._call(closure))
                    flat_grad = self._flat_grad()
                    optimal = np.abs(flat_grad).max() <= tolerance_grad
                    line_evaluations = 1
            evaluations += line_evaluations
            state["func_evals"] += line_evaluations

            if iteration == max_iter or evaluations >= max_eval or optimal:
                break
            if np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break  # no progress

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return first_loss

    @staticmethod
    def _two_loop_direction(flat_grad: np.ndarray, old_dirs: list, old_stps: list, ro: list, H_diag: Any,
                            history_size: int, state: dict) -> np.ndarray:
        """-H g by the two-loop recursion (Nocedal & Wright, algorithm 7.4), H built from the stored
        pairs on H0 = H_diag I. The first loop's coefficients are kept in state["al"], as PyTorch keeps them."""
        history = len(old_dirs)
        al = state.get("al")
        if al is None or len(al) < history:  # made at the first use; again if history_size was raised since
            al = state["al"] = [None] * max(history_size, history)
        q = -flat_grad
        for i in range(history - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q -= al[i] * old_dirs[i]
        r = q * H_diag
        for i in range(history):
            be_i = old_dirs[i].dot(r) * ro[i]
            r += (al[i] - be_i) * old_stps[i]
        return r

    # -- state ------------------------------------------------------------------------------------------
    def _restored(self, value: Any, param: Tensor, name: str, index: int) -> Any:
        """LBFGS's state: flat vectors over all parameters (alone or in the history lists) and scalars;
        arrays are cast to the parameter's dtype, as PyTorch casts them."""
        if isinstance(value, list):
            return [self._restored(item, param, name, index) for item in value]
        if isinstance(value, Tensor):
            value = value._data
        if not isinstance(value, (np.ndarray, np.generic)):
            return value
        if value.ndim == 0:
            return param.dtype.type(value)
        size = sum(p._data.size for p in self._params)
        if value.shape != (size,):
            raise ValueError(f"loaded LBFGS state {name!r} has shape {value.shape}; the parameters have {size} "
                             f"elements in all, so it must have shape ({size},)")
        return value.astype(param.dtype, copy=True)
