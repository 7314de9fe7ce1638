"""fastgrad's own helpers for testing gradients: random float64 leaves for gradient checks, a gradient
check on a named backend, and a Jacobian by central differences."""
from __future__ import annotations

from typing import Callable

import numpy as np

from fastgrad.autograd.gradcheck import gradcheck
from fastgrad.backends import backend
from fastgrad.creation import tensor
from fastgrad.tensor import Tensor


def float64_leaf(shape: tuple[int, ...], seed: int, low: float = -2.0, high: float = 2.0,
                 away_from: float | None = None) -> Tensor:
    """A float64 leaf of uniform values in [low, high) that requires grad; with `away_from`, values are
    kept more than 0.05 from that kink, so central differences do not straddle it."""
    values = np.random.default_rng(seed).uniform(low, high, shape)
    if away_from is not None:
        values[np.abs(values - away_from) < 0.05] += 0.1
    return tensor(values, requires_grad=True)


def check_gradients(backend_name: str, fn: Callable, *inputs: Tensor) -> None:
    """fastgrad.gradcheck of fn at inputs, with the kernels of backend `backend_name`."""
    with backend(backend_name):
        assert gradcheck(fn, inputs)


def central_difference_jacobian(func: Callable, inputs: tuple, index: int, eps: float = 1e-6) -> np.ndarray:
    """d func(*inputs) / d inputs[index] by central differences, shaped output.shape + inputs[index].shape
    (the other inputs detached), for checking Jacobians, gradients and their transforms."""
    base = inputs[index].detach().numpy()
    columns = []
    for position in np.ndindex(base.shape):
        shifted = []
        for step in (eps, -eps):
            values = base.copy()
            values[position] += step
            args = [tensor(values) if k == index else t.detach() for k, t in enumerate(inputs)]
            shifted.append(func(*args)._data)
        columns.append((shifted[0] - shifted[1]) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(columns[0].shape + base.shape)
