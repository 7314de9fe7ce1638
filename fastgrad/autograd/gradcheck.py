"""Numerical gradient checking: central differences in float64 against backward()."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


class GradcheckError(AssertionError):
    pass


def gradcheck(fn: Callable, inputs: Sequence, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0) -> bool:
    """Check backward() of `fn(*inputs)` against central differences.

    The output is projected on a fixed random tensor v, L = sum(v * fn(x)), so one backward gives the
    vector-Jacobian product v^T J for every input, and each input element is perturbed by +-eps to get
    the numerical one. Inputs that require grad must be float64. Returns True, or raises
    GradcheckError naming the input, the worst element and both values. No tensor's `.grad` changes
    (the gradients come from `autograd.grad`), and the inputs' memory is as it was afterwards.
    """
    from fastgrad.autograd.grad_mode import no_grad
    from fastgrad.tensor import Tensor

    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    for t in checked:
        if t.dtype != np.float64:
            raise TypeError(f"gradcheck needs float64 inputs for accurate differences, got {t.dtype}")
    rng = np.random.default_rng(seed)

    def outputs():
        out = fn(*inputs)
        return out if isinstance(out, (tuple, list)) else (out,)

    first = [o for o in outputs() if isinstance(o, Tensor) and o.dtype.kind == "f"]
    projections = [rng.standard_normal(o.shape) for o in first]

    def projected_loss() -> float:
        with no_grad():
            return float(sum((o._data * v).sum() for o, v in zip(outputs(), projections)))

    saved = [(t, t._data) for t in checked]  # restored at the end: the caller's memory, not the check's copy
    try:
        _compare(checked, outputs, projections, projected_loss, eps, atol, rtol)
    finally:
        for t, data in saved:
            t._data = data
    return True


def _compare(checked, outputs, projections, projected_loss, eps: float, atol: float, rtol: float) -> None:
    """Backward's vector-Jacobian product against central differences, input by input."""
    from fastgrad.autograd.differentiate import grad
    from fastgrad.tensor import Tensor

    for t in checked:
        t._data = np.array(t._data, order="C")  # a private C-contiguous copy to perturb (0-d stays 0-d)
    graph_outputs = [o for o in outputs() if isinstance(o, Tensor) and o.dtype.kind == "f"]
    total = None
    for o, v in zip(graph_outputs, projections):
        if o.requires_grad:
            term = (o * Tensor._from_data(v)).sum()
            total = term if total is None else total + term
    if total is None:
        raise GradcheckError("gradcheck: the output does not depend on any input that requires grad")
    gradients = grad(total, checked, allow_unused=True)

    for index, (t, gradient) in enumerate(zip(checked, gradients)):
        analytical = np.zeros(t.shape) if gradient is None else (
            gradient.to_dense_array() if getattr(gradient, "is_sparse", False) else gradient._data)
        numerical = np.zeros(t.shape)
        flat = t._data.reshape(-1)  # a view: perturbing it perturbs the input
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = projected_loss()
            flat[i] = original - eps
            minus = projected_loss()
            flat[i] = original
            numerical.reshape(-1)[i] = (plus - minus) / (2 * eps)
        if analytical.shape != t.shape:
            raise GradcheckError(f"gradcheck: the gradient of input {index} has shape {analytical.shape}, "
                                 f"expected {t.shape}")
        error = np.asarray(np.abs(analytical - numerical) - (atol + rtol * np.abs(numerical)))
        error[np.isnan(error)] = np.inf  # a NaN on either side is a failure, never a pass
        if error.size and error.max() > 0:
            worst = np.unravel_index(np.argmax(error), t.shape)
            raise GradcheckError(
                f"gradcheck failed for input {index} (shape {t.shape}) at element {tuple(int(i) for i in worst)}: "
                f"backward gave {analytical[worst]:.8g}, central differences gave {numerical[worst]:.8g} "
                f"(atol={atol}, rtol={rtol})")


def gradgradcheck(fn: Callable, inputs: Sequence, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  seed: int = 0) -> bool:
    """Check second derivatives: gradcheck of the gradient function x -> d(sum(v * fn(x)))/dx computed with
    create_graph=True (v a fixed random tensor per output), so the recorded backward's own derivative is
    compared with central differences of the gradient. First derivatives are gradcheck's."""
    from fastgrad.autograd.differentiate import grad
    from fastgrad.autograd.grad_mode import enable_grad
    from fastgrad.tensor import Tensor

    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    rng = np.random.default_rng(seed + 1)
    weights: list = []

    def gradients(*args):
        with enable_grad():  # also where gradcheck evaluates this function under no_grad
            outs = fn(*args)
            outs = [o for o in (outs if isinstance(outs, (tuple, list)) else (outs,))
                    if isinstance(o, Tensor) and o.requires_grad]
            if not weights:
                weights.extend(Tensor._from_data(rng.standard_normal(o.shape)) for o in outs)
            return tuple(grad(outs, [a for a in args if isinstance(a, Tensor) and a.requires_grad], weights,
                              create_graph=True, allow_unused=True, materialize_grads=True))

    if not checked:
        raise ValueError("gradgradcheck: no input requires grad")
    return gradcheck(gradients, inputs, eps, atol, rtol, seed)
