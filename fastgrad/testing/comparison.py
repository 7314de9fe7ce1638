"""assert_close: PyTorch's comparison of tensors (fastgrad's, or NumPy arrays), Python numbers, and sequences
and mappings of them, with its default tolerances per dtype, its checks in its order, and its messages."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Callable

import numpy as np

from fastgrad.dtypes import promote_types
from fastgrad.tensor import Size, Tensor

# (rtol, atol) when neither is given, per dtype (PyTorch's); exact for integers and bool. Of two dtypes, the
# larger of each.
_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}


def _default_tolerances(*dtypes: np.dtype) -> tuple[float, float]:
    pairs = [_TOLERANCES.get(np.dtype(dtype), (0.0, 0.0)) for dtype in dtypes]
    return max(rtol for rtol, _ in pairs), max(atol for _, atol in pairs)


class _Mismatch(AssertionError):
    """A failed comparison; `where` is filled in by the sequences and mappings it lies in."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message, self.where = message, ""


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Raise AssertionError unless `actual` and `expected` are close: tensors (or NumPy arrays) of the same
    shape and dtype (with `check_dtype=False`, compared in their promoted dtype) whose values satisfy
    |actual - expected| <= atol + rtol * |expected| everywhere (NaN equal to NaN with `equal_nan`), numbers
    alike, and sequences and mappings of them item by item. Without rtol and atol, the tolerances of the
    dtypes (PyTorch's: float32 1.3e-6 and 1e-5, float64 1e-7 and 1e-7, exact for integers and bool).
    `msg` replaces the message, or (a callable) rewrites it. Inputs that cannot be compared raise TypeError.
    Every fastgrad tensor is a strided CPU tensor, so the device and layout checks always pass."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'atol' if atol is None else 'rtol'}.")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0):
            raise RuntimeError(f"assert_close: {name} must be a non-negative number, got {value!r}")
    if not isinstance(equal_nan, bool):
        raise RuntimeError(f"assert_close: equal_nan must be a bool, got {equal_nan!r}")
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_dtype=check_dtype, check_stride=check_stride)
    try:
        _compare(actual, expected, options)
    except _Mismatch as mismatch:
        message = mismatch.message + (f"\n\nThe failure occurred for item {mismatch.where}" if mismatch.where else "")
        if msg is not None:
            message = msg(message) if callable(msg) else msg
        raise AssertionError(message) from None


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _compare(actual, expected, options: dict) -> None:
    if actual is None and expected is None:
        return
    if isinstance(actual, bool) and isinstance(expected, bool):
        if actual is not expected:
            raise _Mismatch(f"Booleans mismatch: {actual} is not {expected}")
    elif _is_number(actual) and _is_number(expected):
        _compare_numbers(actual, expected, options)
    elif _are_tensor_likes(actual, expected, options["allow_subclasses"]):
        _compare_tensors(actual, expected, options)
    elif _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for index, (item, expected_item) in enumerate(zip(actual, expected)):
            _compare_item(item, expected_item, f"[{index}]", options)
    elif isinstance(actual, Mapping) and isinstance(expected, Mapping):
        missing = [key for key in expected if key not in actual]
        additional = [key for key in actual if key not in expected]
        if missing or additional:
            lines = ["The keys of the mappings do not match:"]
            lines += [f"Missing keys in the actual mapping: {sorted(missing)}"] if missing else []
            lines += [f"Additional keys in the actual mapping: {sorted(additional)}"] if additional else []
            raise _Mismatch("\n".join(lines))
        for key in expected:
            _compare_item(actual[key], expected[key], f"[{key!r}]", options)
    else:
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                        f"{type(expected)}.")


def _compare_item(actual, expected, where: str, options: dict) -> None:
    try:
        _compare(actual, expected, options)
    except _Mismatch as mismatch:
        mismatch.where = where + mismatch.where
        raise


def _is_sequence(value) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _are_tensor_likes(actual, expected, allow_subclasses: bool) -> bool:
    """Two fastgrad tensors, or two NumPy arrays; of one type unless subclasses are allowed (a Parameter
    compares with a Tensor then)."""
    for kind in (Tensor, np.ndarray):
        if isinstance(actual, kind) and isinstance(expected, kind):
            return allow_subclasses or type(actual) is type(expected)
    return False


def _number_dtype(value) -> np.dtype:
    return np.dtype(np.float64 if isinstance(value, (float, np.floating)) else np.int64)


def _compare_numbers(actual, expected, options: dict) -> None:
    """Python numbers (and NumPy's) as the 0-dim tensors of their dtypes: float64 for floats, int64 for ints."""
    dtypes = _number_dtype(actual), _number_dtype(expected)
    if options["check_dtype"] and dtypes[0] != dtypes[1]:
        raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    rtol, atol = _tolerances(options, *dtypes)
    if not _close(np.float64(actual), np.float64(expected), rtol, atol, options["equal_nan"]):
        raise _Mismatch(_scalar_message(actual, expected, rtol, atol))


def _tolerances(options: dict, *dtypes) -> tuple[float, float]:
    if options["rtol"] is None:
        return _default_tolerances(*dtypes)
    return options["rtol"], options["atol"]


def _close(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float, equal_nan: bool) -> np.ndarray:
    if rtol == 0 and atol == 0:  # (exact, also for integers too large for float64 to hold)
        matches = actual == expected
    else:
        matches = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False)
    if equal_nan and actual.dtype.kind == "f":
        matches = matches | (np.isnan(actual) & np.isnan(expected))
    return matches


def _compare_tensors(actual, expected, options: dict) -> None:
    a, e = (np.asarray(value._data if isinstance(value, Tensor) else value) for value in (actual, expected))
    if a.shape != e.shape:
        raise _Mismatch(f"The values for attribute 'shape' do not match: {Size(a.shape)!r} != {Size(e.shape)!r}.")
    if options["check_dtype"] and a.dtype != e.dtype:
        raise _Mismatch(f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.")
    if options["check_stride"] and a.size > 0 and a.strides != e.strides:
        strides = [tuple(step // value.itemsize for step in value.strides) for value in (a, e)]
        raise _Mismatch(f"The values for attribute 'stride()' do not match: {strides[0]} != {strides[1]}.")
    rtol, atol = _tolerances(options, a.dtype, e.dtype)
    if a.dtype != e.dtype:
        common = promote_types(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    matches = _close(a, e, rtol, atol, options["equal_nan"])
    if np.all(matches):
        return
    if a.ndim == 0:
        raise _Mismatch(_scalar_message(a.item(), e.item(), rtol, atol))
    raise _Mismatch(_tensor_message(a, e, matches, rtol, atol))


def _scalar_message(actual, expected, rtol: float, atol: float) -> str:
    difference = abs(actual - expected)
    relative = _divide(difference, abs(expected))
    return (f"Scalars are {_verdict(rtol, atol)}!\n\nExpected {expected} but got {actual}.\n"
            f"Absolute difference: {difference}{_allowed(atol, rtol, atol)}\n"
            f"Relative difference: {relative}{_allowed(rtol, rtol, atol)}")


def _divide(numerator, denominator) -> float:
    """numerator / denominator, inf or NaN where the denominator is 0, as a tensor division gives."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(numerator) / np.float64(denominator))


def _tensor_message(actual: np.ndarray, expected: np.ndarray, matches: np.ndarray, rtol: float, atol: float) -> str:
    """PyTorch's report: how many elements differ, and the greatest absolute and relative differences among
    them with where they are. Integers are subtracted in int64, and their relative differences are float32
    (PyTorch's default dtype), as PyTorch computes them."""
    total, mismatched = matches.size, int(matches.size - np.count_nonzero(matches))
    a, e = actual.ravel(), expected.ravel()
    if a.dtype.kind != "f":
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        absolute = np.abs(a - e)
        absolute[matches.ravel()] = 0
        relative = absolute / (np.abs(e) if a.dtype.kind == "f" else np.abs(e).astype(np.float32))
        relative = relative.astype(a.dtype if a.dtype.kind == "f" else np.float32)
        relative[matches.ravel()] = 0
    lines = [f"Tensor-likes are {_verdict(rtol, atol)}!", "",
             f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})"]
    for label, differences, tolerance in (("absolute", absolute, atol), ("relative", relative, rtol)):
        flat = int(np.argmax(differences))  # (the first NaN, if any, as PyTorch's max)
        where = tuple(int(i) for i in np.unravel_index(flat, actual.shape))
        lines.append(f"Greatest {label} difference: {differences[flat].item()} at index {where}"
                     f"{_allowed(tolerance, rtol, atol)}")
    return "\n".join(lines)


def _verdict(rtol: float, atol: float) -> str:
    return "not equal" if rtol == 0 and atol == 0 else "not close"


def _allowed(tolerance: float, rtol: float, atol: float) -> str:
    return "" if rtol == 0 and atol == 0 else f" (up to {tolerance} allowed)"
