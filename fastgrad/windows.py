"""Window functions for spectral analysis, as torch's: hann, hamming, blackman, bartlett and kaiser.

A symmetric window of length N samples its curve at N points from one end to the other; a periodic one
(the default, for use with an FFT) is the symmetric window of length N + 1 without its last point. The
values are computed in float64 and rounded once to the dtype.
"""
from __future__ import annotations

import numpy as np

from fastgrad.dtypes import dtype_or_default
from fastgrad.ops import special_math
from fastgrad.tensor import Tensor, check_device, strided
from fastgrad.tensor_methods.arguments import real_arg


def _window(name: str, curve, window_length, periodic, dtype, layout, device, requires_grad) -> Tensor:
    """curve(position) at `window_length` positions, position running over [0, 1] (a symmetric window)."""
    check_device(name, device)
    if layout is not None and layout is not strided:
        raise TypeError(f"{name}: layout must be fastgrad.strided (the only layout), got {layout!r}")
    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'window_length' must be int, not {type(window_length).__name__}")
    if window_length < 0:
        raise ValueError(f"{name}: requires a non-negative window_length, got window_length={window_length}")
    if not isinstance(periodic, bool):
        raise TypeError(f"{name}(): argument 'periodic' must be bool, not {type(periodic).__name__}")
    dtype = dtype_or_default(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{name}: expects a floating point dtype, got {dtype}")
    if window_length <= 1:
        values = np.ones(window_length)
    else:
        points = window_length + 1 if periodic else window_length
        values = curve(np.arange(window_length) / (points - 1))
    return Tensor._from_data(values.astype(dtype), requires_grad=requires_grad)


def _cosine_sum(*coefficients):
    """a0 - a1 cos(2 pi t) + a2 cos(4 pi t) - ..., the generalized cosine window."""
    return lambda t: sum((-1) ** k * a * np.cos(2 * np.pi * k * t) for k, a in enumerate(coefficients))


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                requires_grad: bool = False) -> Tensor:
    """0.5 - 0.5 cos(2 pi t)."""
    return _window("hann_window", _cosine_sum(0.5, 0.5), window_length, periodic, dtype, layout, device, requires_grad)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """alpha - beta cos(2 pi t)."""
    alpha, beta = real_arg(alpha, "hamming_window: alpha"), real_arg(beta, "hamming_window: beta")
    return _window("hamming_window", _cosine_sum(alpha, beta), window_length, periodic, dtype, layout, device,
                   requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """0.42 - 0.5 cos(2 pi t) + 0.08 cos(4 pi t)."""
    return _window("blackman_window", _cosine_sum(0.42, 0.5, 0.08), window_length, periodic, dtype, layout,
                   device, requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """The triangle 1 - |2t - 1|."""
    return _window("bartlett_window", lambda t: 1 - np.abs(2 * t - 1), window_length, periodic, dtype, layout,
                   device, requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, requires_grad: bool = False) -> Tensor:
    """I0(beta sqrt(1 - (2t - 1)^2)) / I0(beta), I0 the modified Bessel function of order 0."""
    beta = real_arg(beta, "kaiser_window: beta")

    def curve(t):
        return special_math.bessel_i0(beta * np.sqrt(np.maximum(1 - (2 * t - 1) ** 2, 0.0))) / \
            special_math.bessel_i0(np.float64(beta))
    return _window("kaiser_window", curve, window_length, periodic, dtype, layout, device, requires_grad)
