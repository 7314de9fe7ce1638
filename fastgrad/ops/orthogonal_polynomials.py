"""The classical orthogonal polynomials of fastgrad.special (Chebyshev T, U, V, W and their shifted forms, Hermite
H and He, Laguerre L, Legendre P) by their three-term recurrences, for a float64 x and degrees n that broadcast.

As PyTorch's, a degree is n truncated towards zero, a negative one gives 0 and degree 0 gives 1 (at NaN too).
Where PyTorch's results are not the polynomial's, these are: NaN for NaN x from degree 1 on (PyTorch 2.13 gives
numbers there for several kinds, or memory it never wrote), NaN for a NaN or infinite n (PyTorch: 0), and the
polynomial's infinite limit at x = +-inf (PyTorch: NaN from degree 3 on, where its recurrence meets inf - inf).
The recurrence takes max(n) steps over the whole batch (but for the Chebyshev kinds inside (-1, 1), which use
their trigonometric forms from degree 6 on, as PyTorch's).
"""
from __future__ import annotations

import numpy as np

# kind: (p_1(x), p_k from k, x, p_{k-1}, p_{k-2}, the sign of the leading coefficient of p_n)
_KINDS = {
    "chebyshev_t": (lambda x: x, lambda k, x, p1, p0: 2 * x * p1 - p0, lambda n: 1),
    "chebyshev_u": (lambda x: 2 * x, lambda k, x, p1, p0: 2 * x * p1 - p0, lambda n: 1),
    "chebyshev_v": (lambda x: 2 * x - 1, lambda k, x, p1, p0: 2 * x * p1 - p0, lambda n: 1),
    "chebyshev_w": (lambda x: 2 * x + 1, lambda k, x, p1, p0: 2 * x * p1 - p0, lambda n: 1),
    "hermite_h": (lambda x: 2 * x, lambda k, x, p1, p0: 2 * x * p1 - 2 * (k - 1) * p0, lambda n: 1),
    "hermite_he": (lambda x: x, lambda k, x, p1, p0: x * p1 - (k - 1) * p0, lambda n: 1),
    "laguerre_l": (lambda x: 1 - x, lambda k, x, p1, p0: ((2 * k - 1 - x) * p1 - (k - 1) * p0) / k,
                   lambda n: np.where(n % 2 == 0, 1, -1)),
    "legendre_p": (lambda x: x, lambda k, x, p1, p0: ((2 * k - 1) * x * p1 - (k - 1) * p0) / k, lambda n: 1),
}
# Inside (-1, 1) the Chebyshev polynomials of degree 6 and more come from x = cos(theta), as PyTorch's do: no
# steps, whatever the degree
_TRIGONOMETRIC_FROM = 6
_TRIGONOMETRIC = {
    "chebyshev_t": lambda theta, n: np.cos(n * theta),
    "chebyshev_u": lambda theta, n: np.sin((n + 1) * theta) / np.sin(theta),
    "chebyshev_v": lambda theta, n: np.cos((n + 0.5) * theta) / np.cos(theta / 2),
    "chebyshev_w": lambda theta, n: np.sin((n + 0.5) * theta) / np.sin(theta / 2),
}
KINDS = tuple(_KINDS) + tuple(f"shifted_{kind}" for kind in _KINDS if kind.startswith("chebyshev"))


def evaluate(kind: str, x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """p_n(x) of the polynomials `kind` (one of KINDS), elementwise over x and n broadcast, in float64."""
    x, n = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(n, dtype=np.float64))
    if kind.startswith("shifted_"):  # the shifted polynomials are the plain ones of 2x - 1 on [0, 1]
        kind, x = kind.removeprefix("shifted_"), 2 * x - 1
    first, step, leading_sign = _KINDS[kind]
    finite_n = np.isfinite(n)
    degree = np.where(finite_n, np.trunc(np.where(finite_n, n, 0)), 0).astype(np.int64)
    out = np.where(degree == 0, 1.0, 0.0)
    out[~finite_n] = np.nan
    positive = degree >= 1
    with np.errstate(all="ignore"):
        inside = positive & (np.abs(x) < 1) & (degree >= _TRIGONOMETRIC_FROM) if kind in _TRIGONOMETRIC else False
        if np.any(inside):
            out[inside] = _TRIGONOMETRIC[kind](np.arccos(x[inside]), degree[inside])
            positive = positive & ~inside
        if positive.any():
            z, wanted = x[positive], degree[positive]
            previous, current = np.ones_like(z), first(z)
            values = current.copy()
            for k in range(2, int(wanted.max()) + 1):
                previous, current = current, step(k, z, current, previous)
                values = np.where(wanted == k, current, values)
            infinite = np.isinf(z)
            odd = wanted % 2 == 1
            values[infinite] = (np.inf * np.where(odd, np.sign(z), 1.0) * leading_sign(wanted))[infinite]
            out[positive] = values
    return out
