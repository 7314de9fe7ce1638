"""Activation functions and their backward passes as single fused loops.

NumPy evaluates `g * (1 - y * y)` as three passes over memory with two temporaries; one compiled loop
reads each input once and writes the output once. Same signatures and dtype rules as
`fastgrad.backends.numpy`: inputs are float32/float64, the result has the input's dtype, and
constants are cast to that dtype (`x.dtype.type(...)`) so float32 arithmetic stays float32.

The arguments arrive checked (`fastgrad.kernels.checks`, run by the kernel registry): C-contiguous
float arrays, the saved array of g's shape and dtype. Only the kernels measured faster than NumPy are
here (docs/notes/numba.md): hardtanh and tanh
forward are single NumPy passes already, and NumPy's SIMD exp beats Numba's scalar libm calls, so the
sigmoid family takes exp(-|x|) from NumPy and fuses only the rest.
"""
from __future__ import annotations

import numpy as np
from numba import njit



@njit(cache=True)
def _relu(x, out):
    for i in range(x.size):
        out[i] = 0 if x[i] < 0 else x[i]  # NaN stays NaN and -0.0 stays -0.0, as PyTorch's clamp_min(x, 0)


@njit(cache=True)
def _relu_backward(g, y, out):
    for i in range(g.size):
        out[i] = 0.0 if y[i] <= 0 else g[i]  # selected: a NaN gradient stays out; at a NaN it passes, as PyTorch's


@njit(cache=True)
def _leaky_relu(x, slope, out):
    for i in range(x.size):
        out[i] = x[i] if x[i] > 0 else x[i] * slope


@njit(cache=True)
def _leaky_relu_backward(g, x, slope, out):
    for i in range(g.size):
        out[i] = g[i] if x[i] > 0 else g[i] * slope


@njit(cache=True)
def _hardtanh_backward(g, x, low, high, out):
    for i in range(g.size):
        out[i] = 0.0 if x[i] <= low or x[i] >= high else g[i]  # at a NaN x the gradient passes, as PyTorch's


@njit(cache=True)
def _tanh_backward(g, y, out):
    one = y.dtype.type(1)
    for i in range(g.size):
        out[i] = g[i] * (one - y[i] * y[i])


def _exp_minus_abs(x: np.ndarray) -> np.ndarray:
    """exp(-|x|), which never overflows, in a new array. NumPy's exp is SIMD-vectorised; Numba's is a
    libm call per element (no SVML here), several times slower than the three NumPy passes."""
    e = np.empty_like(x)  # out= everywhere, so a 0-d x gives a 0-d array, not a scalar
    np.abs(x, out=e)
    np.negative(e, out=e)
    return np.exp(e, out=e)


# error_model="numpy" on the loops that divide: the denominator 1 + e is never 0, but Python's error model tests it
# before each division, which keeps LLVM from vectorising the loops (the loop after exp, 1M float32: 1.09 -> 0.17 ms).
@njit(cache=True, error_model="numpy")
def _sigmoid_of(x, e, one):
    """sigmoid(x) from e = exp(-|x|): 1/(1+e^-x) for x>=0, e^x/(1+e^x) otherwise."""
    return (one if x >= 0 else e) / (one + e)


@njit(cache=True, error_model="numpy")
def _sigmoid_from_exp(x, e, out):
    one = x.dtype.type(1)
    for i in range(x.size):
        out[i] = _sigmoid_of(x[i], e[i], one)


@njit(cache=True)
def _sigmoid_backward(g, y, out):
    one = y.dtype.type(1)
    for i in range(g.size):
        out[i] = g[i] * y[i] * (one - y[i])


@njit(cache=True, error_model="numpy")
def _silu_from_exp(x, e, out):
    one = x.dtype.type(1)
    for i in range(x.size):
        out[i] = x[i] * _sigmoid_of(x[i], e[i], one)


@njit(cache=True, error_model="numpy")
def _silu_backward_from_exp(g, x, e, out):
    # d/dx x*s(x) = s(x) * (1 + x * (1 - s(x)))
    one = x.dtype.type(1)
    for i in range(g.size):
        s = _sigmoid_of(x[i], e[i], one)
        out[i] = g[i] * (s * (one + x[i] * (one - s)))


def _unary(kernel, x: np.ndarray, *constants) -> np.ndarray:
    out = np.empty_like(x)
    kernel(x.reshape(-1), *[x.dtype.type(c) for c in constants], out.reshape(-1))
    return out


def _backward(kernel, g: np.ndarray, saved: np.ndarray, *constants) -> np.ndarray:
    out = np.empty_like(g)
    kernel(g.reshape(-1), saved.reshape(-1), *[g.dtype.type(c) for c in constants], out.reshape(-1))
    return out


def relu(x: np.ndarray) -> np.ndarray:
    return _unary(_relu, x)


def relu_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _backward(_relu_backward, g, y)


def leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    return _unary(_leaky_relu, x, slope)


def leaky_relu_backward(g: np.ndarray, x: np.ndarray, slope: float) -> np.ndarray:
    return _backward(_leaky_relu_backward, g, x, slope)


def hardtanh_backward(g: np.ndarray, x: np.ndarray, low: float, high: float) -> np.ndarray:
    return _backward(_hardtanh_backward, g, x, low, high)


def tanh_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _backward(_tanh_backward, g, y)


def sigmoid(x: np.ndarray) -> np.ndarray:
    out = _exp_minus_abs(x)  # overwritten in place: element i reads e[i] before writing out[i]
    _sigmoid_from_exp(x.reshape(-1), out.reshape(-1), out.reshape(-1))
    return out


def sigmoid_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _backward(_sigmoid_backward, g, y)


def silu(x: np.ndarray) -> np.ndarray:
    out = _exp_minus_abs(x)
    _silu_from_exp(x.reshape(-1), out.reshape(-1), out.reshape(-1))
    return out


def silu_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    out = _exp_minus_abs(x)
    _silu_backward_from_exp(g.reshape(-1), x.reshape(-1), out.reshape(-1), out.reshape(-1))
    return out
