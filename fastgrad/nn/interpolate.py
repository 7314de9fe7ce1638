"""`interpolate` in PyTorch's functional form: resampling of the spatial dims of (N, C, *spatial) inputs
by nearest neighbours, (bi/tri)linearly or bicubically, one spatial dim at a time.

Each dim is gathered by an index (index_select), and the interpolating modes blend two (linear) or four
(cubic) gathers with constant weights, so the gradients are index_select's. The source positions are
computed as PyTorch's CPU kernels compute them: the nearest modes in float32 whatever the input's dtype (a
float, or uint8 as PyTorch's nearest kernels take), the interpolating modes in the input's dtype, so that
the picked neighbours and weights are PyTorch's.
"""
from __future__ import annotations

import functools
import math
import operator
import warnings

import numpy as np

from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor

# the spatial dims each mode needs (None: any of 1, 2 or 3)
_MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_UNSUPPORTED = ("area", "lanczos")
_ANTIALIASED = ("bilinear", "bicubic", "lanczos")  # (the modes PyTorch antialiases, on 4-D inputs)
# Keys' cubic convolution kernel (1981) with a = -0.75, PyTorch's (and OpenCV's) choice for bicubic; its antialiased
# bicubic takes PIL's a = -0.5
_CUBIC_A, _ANTIALIASED_CUBIC_A = -0.75, -0.5


def _integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _per_dim(name: str, label: str, value, input: Tensor, dims: int) -> tuple:
    """size or scale_factor: one value for every spatial dim, or a sequence of one per dim."""
    if not isinstance(value, (tuple, list)):
        return (value,) * dims
    if len(value) != dims:
        raise ValueError(f"{name}: the input has {dims} spatial dims {tuple(input.shape[2:])}, but {label} has "
                         f"{len(value)} values: {tuple(value)!r}")
    return tuple(value)


def _output_sizes(name: str, input: Tensor, size, scale_factor, recompute_scale_factor) -> tuple[tuple, tuple]:
    """The output's spatial sizes, and the scale per dim the source positions are computed with (None:
    from the sizes): scale_factor as given, unless recompute_scale_factor asks for the sizes' ratio."""
    dims = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError(f"{name}: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError(f"{name}: either size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{name}: recompute_scale_factor is not meaningful with an explicit size")
        sizes = _per_dim(name, "size", size, input, dims)
        if not all(_integer(n) for n in sizes):
            raise TypeError(f"{name}: size must be an int or a sequence of ints, got {size!r}")
        return tuple(int(n) for n in sizes), (None,) * dims
    scales = _per_dim(name, "scale_factor", scale_factor, input, dims)
    if not all(isinstance(s, (int, float, np.integer, np.floating)) and not isinstance(s, bool) for s in scales):
        raise TypeError(f"{name}: scale_factor must be a number or a sequence of numbers, got {scale_factor!r}")
    scales = tuple(float(s) for s in scales)
    sizes = tuple(math.floor(n * s) for n, s in zip(input.shape[2:], scales))
    return sizes, (None,) * dims if recompute_scale_factor else scales


def _nearest_index(length: int, out: int, scale: float | None, exact: bool, planar: bool) -> np.ndarray:
    """The source of each output position: floor(i * scale), or floor((i + 0.5) * scale) for
    nearest-exact, with the scale as a float32 (1 / scale_factor, or length / out), as PyTorch's kernels.
    PyTorch's 2-D (`planar`) 'nearest' kernel alone copies a dim whose size is kept and halves the index
    of one whose size is doubled, whatever the scale_factor; fastgrad follows it."""
    if planar and not exact and out in (length, 2 * length):
        return np.arange(out) * length // out
    ratio = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(length) / np.float32(out)
    # (PyTorch's i + 0.5 is a double, multiplied by the float scale in double; i * scale is a float)
    positions = np.arange(out, dtype=np.float64) + 0.5 if exact else np.arange(out, dtype=np.float32)
    return np.minimum(np.floor((positions * ratio).astype(np.float32)).astype(np.int64), length - 1)


def _ratio(length: int, out: int, scale: float | None, align_corners: bool, dtype: np.dtype) -> np.floating:
    """Input steps per output step, in `dtype`: (length - 1) / (out - 1) with align_corners (the corners map to
    the corners), else 1 / scale_factor as given, or length / out."""
    if align_corners:
        return dtype.type((length - 1) / (out - 1)) if out > 1 else dtype.type(0)
    return dtype.type(1.0 / scale) if scale is not None and scale > 0 else dtype.type(length) / dtype.type(out)


def _source_positions(length: int, out: int, scale: float | None, align_corners: bool,
                      dtype: np.dtype) -> np.ndarray:
    """Where each output position samples the input, computed in `dtype`: with align_corners the corners
    map to the corners; otherwise pixel centres map to pixel centres, (i + 0.5) / scale - 0.5, which is
    below 0 left of the first centre."""
    ratio = _ratio(length, out, scale, align_corners, dtype)
    if align_corners:
        return np.arange(out).astype(dtype) * ratio
    return (np.arange(out).astype(dtype) + dtype.type(0.5)) * ratio - dtype.type(0.5)


def _linear_taps(length: int, out: int, scale: float | None, align_corners: bool,
                 dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, None]:
    """The two neighbours of each output position and their weights, in `dtype`, each (2, out), and None (every
    tap is used); positions left of the first centre clamp to it."""
    sources = np.maximum(_source_positions(length, out, scale, align_corners, dtype), dtype.type(0))
    first = np.minimum(np.floor(sources).astype(np.int64), length - 1)
    second = np.minimum(first + 1, length - 1)
    weight = np.clip(sources - first.astype(dtype), 0, 1).astype(dtype)
    return np.stack([first, second]), np.stack([1 - weight, weight]), None


def _cubic_near(distance: np.ndarray, a: float = _CUBIC_A) -> np.ndarray:
    """The cubic convolution kernel for distances in [0, 1]: (a + 2)|x|^3 - (a + 3)|x|^2 + 1."""
    return ((a + 2) * distance - (a + 3)) * distance * distance + 1


def _cubic_far(distance: np.ndarray, a: float = _CUBIC_A) -> np.ndarray:
    """The cubic convolution kernel for distances in [1, 2]: a|x|^3 - 5a|x|^2 + 8a|x| - 4a."""
    return ((a * distance - 5 * a) * distance + 8 * a) * distance - 4 * a


def _cubic_taps(length: int, out: int, scale: float | None, align_corners: bool,
                dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, None]:
    """The four neighbours floor(x) - 1 .. floor(x) + 2 of each source position x, clamped to the border,
    and their cubic convolution weights in `dtype`, each (4, out), and None (every tap is used). Unlike its
    linear kernels, PyTorch's bicubic does not clamp positions left of the first centre: their floor is -1
    and the weights shift."""
    sources = _source_positions(length, out, scale, align_corners, dtype)
    floor = np.floor(sources)
    fraction = (sources - floor).astype(dtype)
    neighbours = np.clip(np.arange(-1, 3)[:, None] + floor.astype(np.int64), 0, length - 1)
    weights = np.stack([_cubic_far(fraction + 1), _cubic_near(fraction), _cubic_near(1 - fraction),
                        _cubic_far(2 - fraction)])
    return neighbours, weights.astype(dtype), None


def _triangle_filter(distance: np.ndarray) -> np.ndarray:
    return np.maximum(1 - np.abs(distance), 0)


def _cubic_filter(distance: np.ndarray) -> np.ndarray:
    distance = np.abs(distance)
    return np.where(distance < 1, _cubic_near(distance, _ANTIALIASED_CUBIC_A),
                    np.where(distance < 2, _cubic_far(distance, _ANTIALIASED_CUBIC_A), 0))


def _antialiased_taps(mode: str, length: int, out: int, scale: float | None, align_corners: bool,
                      dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PyTorch's antialiased resize (PIL's): output i averages the inputs j around its centre c = ratio (i + 0.5)
    with weights filter((j + 0.5 - c) / stretch), normalized to sum 1, where a downscale (ratio > 1) stretches
    the filter (the triangle for bilinear, the cubic kernel with a = -0.5 for bicubic) and its support by the
    ratio. The neighbours, weights and whether each tap is used (a row uses fewer at the borders), each
    (taps, out)."""
    ratio = _ratio(length, out, scale, align_corners, dtype)
    stretch = max(ratio, dtype.type(1))
    support = (1 if mode == "bilinear" else 2) * stretch
    centres = ratio * (np.arange(out).astype(dtype) + dtype.type(0.5))
    # (PyTorch truncates the window's ends toward 0 as it casts them to int64)
    first = np.maximum(np.trunc(centres - support + dtype.type(0.5)).astype(np.int64), 0)
    ends = np.minimum(np.trunc(centres + support + dtype.type(0.5)).astype(np.int64), length)
    neighbours = first + np.arange(max(int((ends - first).max()), 1))[:, None]
    used = neighbours < ends
    kernel = _triangle_filter if mode == "bilinear" else _cubic_filter
    weights = np.where(used, kernel((neighbours.astype(dtype) - centres + dtype.type(0.5)) / stretch), 0)
    totals = weights.sum(axis=0)
    weights = weights / np.where(totals != 0, totals, 1)
    return np.minimum(neighbours, length - 1), weights.astype(dtype), used


def _gather_tap(input: Tensor, dim: int, tap: np.ndarray, used: np.ndarray | None) -> Tensor:
    """input's elements at the indices `tap` along dim, zero where a row does not use the tap (so that an
    infinite neighbour it does not use does not make a NaN of its zero weight)."""
    gathered = input.index_select(dim, Tensor._from_data(tap))
    return gathered if used is None or used.all() else gathered.masked_fill(Tensor._from_data(~used), 0)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resample the spatial dims of a (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to `size`, or to
    floor(size * scale_factor) (each an int/float or one per dim). Modes: 'nearest' (source floor(i *
    in / out), PyTorch's), 'nearest-exact' (floor((i + 0.5) * in / out)), 'linear' (3-D), 'bilinear'
    (4-D) and 'trilinear' (5-D), which blend the two neighbours of each position, and 'bicubic' (4-D),
    which blends four by cubic convolution (a = -0.75), with the corners aligned (align_corners=True) or
    the pixel centres (False, the default). A given scale_factor is used for the positions unless
    recompute_scale_factor=True, as in PyTorch. antialias=True (bilinear and bicubic) low-pass filters a
    downscale as PyTorch's (PIL's) antialiased resize. 'area' raises NotImplementedError."""
    name = "interpolate"
    if not isinstance(input, Tensor) or input.ndim not in (3, 4, 5):
        got = f"{input.ndim}D" if isinstance(input, Tensor) else type(input).__name__
        raise NotImplementedError(f"{name}: only 3D, 4D and 5D (N, C, *spatial) inputs are supported, got {got}")
    if mode in _UNSUPPORTED:
        raise NotImplementedError(f"{name}: mode {mode!r} is not implemented in fastgrad (modes: "
                                  f"{', '.join(map(repr, _MODES))})")
    if mode not in _MODES:
        raise NotImplementedError(f"{name}: unknown mode {mode!r} (modes: {', '.join(map(repr, _MODES))})")
    interpolating = _MODES[mode] is not None
    if not interpolating and align_corners is not None:
        raise ValueError(f"{name}: align_corners option can only be set with the interpolating modes: linear | "
                         f"bilinear | bicubic | trilinear, got mode {mode!r}")
    sizes, scales = _output_sizes(name, input, size, scale_factor, recompute_scale_factor)
    if antialias:  # (PyTorch checks it after the sizes)
        if mode not in _ANTIALIASED or input.ndim != 4:
            raise ValueError(f"{name}: antialias=True is restricted to the bilinear, bicubic and lanczos modes on a "
                             f"4-D input, got mode {mode!r} and a {input.ndim}-D input")
    if interpolating and input.ndim - 2 != _MODES[mode]:
        raise NotImplementedError(f"{name}: got {input.ndim}D input, but {mode} mode needs {_MODES[mode] + 2}D input")
    if interpolating:
        F._floating(input, name, error=NotImplementedError)
    elif input.dtype.kind != "f" and input.dtype != np.uint8:  # (PyTorch's nearest kernels take uint8 images too)
        raise NotImplementedError(f"{name}: mode {mode!r} expects a floating point or uint8 input, got dtype "
                                  f"{input.dtype}")
    if min(input.shape[1:]) < 1 or min(sizes) < 1:  # (an empty batch is taken, empty channels are not)
        raise RuntimeError(f"{name}: input channels and sizes, and output sizes, should be greater than 0, got input "
                           f"of shape {tuple(input.shape)} and output sizes {sizes}")
    if antialias:
        taps = functools.partial(_antialiased_taps, mode)
    else:
        taps = _cubic_taps if mode == "bicubic" else _linear_taps
    out = input
    for dim, (length, count, scale) in enumerate(zip(input.shape[2:], sizes, scales), start=2):
        if not interpolating:
            index = _nearest_index(length, count, scale, mode != "nearest", input.ndim == 4)
            out = out.index_select(dim, Tensor._from_data(index))
        elif count != length or (mode == "bicubic" and not antialias):
            # (PyTorch's linear and antialiased kernels copy a kept dim, whatever the scale; its bicubic one does not)
            neighbours, weights, used = taps(length, count, scale, bool(align_corners), input.dtype)
            along_dim = (count,) + (1,) * (input.ndim - 1 - dim)
            out = functools.reduce(operator.add, (
                _gather_tap(out, dim, tap, None if used is None else used[k].reshape(along_dim))
                * Tensor._from_data(weight.reshape(along_dim))
                for k, (tap, weight) in enumerate(zip(neighbours, weights))))
    return input.clone() if out is input else out  # (a new tensor, as PyTorch's, when every dim was copied)


def _deprecated_alias(name: str) -> None:
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=3)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None):
    """PyTorch's deprecated name of interpolate (it warns, as PyTorch's)."""
    _deprecated_alias("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """PyTorch's deprecated interpolate(mode="nearest")."""
    _deprecated_alias("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """PyTorch's deprecated interpolate(mode="bilinear", align_corners=True)."""
    _deprecated_alias("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
