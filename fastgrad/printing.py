"""How tensors print, as PyTorch prints them: `set_printoptions` / `get_printoptions` and the text of
`repr(tensor)`.

One format serves every element of a tensor: floats whose nonzero finite values are all whole print as
`2.`; others with `precision` decimals (`2.5000`), or in scientific notation when their magnitudes span
more than 1000x, exceed 1e8 or fall below 1e-4 (`sci_mode` forces it on or off); all right-aligned to the
widest. A tensor of more than `threshold` elements shows `edgeitems` entries at each end of every dim
around `...`; rows wrap at `linewidth` characters.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

_PROFILES = {  # PyTorch's named sets of options
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
_options = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Change how tensors print, as torch.set_printoptions: `profile` ("default", "short" or "full") sets
    precision, threshold, edgeitems and linewidth first, then each option given overrides its value.
    As in PyTorch, `sci_mode` is set on every call, so a call without it goes back to choosing
    scientific notation per tensor. The options hold for the whole process."""
    if profile is not None and profile not in _PROFILES:
        raise ValueError(f"set_printoptions: profile must be one of {', '.join(map(repr, _PROFILES))}, got {profile!r}")
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems, "linewidth": linewidth}
    for name, value in given.items():
        if value is None:
            continue
        if name == "threshold":
            valid = isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= 0
            expected = "a non-negative number (math.inf: never summarize)"
        else:
            valid = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0
            expected = "a non-negative int"
        if not valid:
            raise TypeError(f"set_printoptions: {name} must be {expected}, got {value!r}")
    if sci_mode is not None and not isinstance(sci_mode, bool):
        raise TypeError(f"set_printoptions: sci_mode must be True, False or None, got {sci_mode!r}")
    if profile is not None:
        _options.update(_PROFILES[profile])
    _options.update({name: value for name, value in given.items() if value is not None}, sci_mode=sci_mode)


def get_printoptions() -> dict:
    """The current options, as keyword arguments for set_printoptions (PyTorch keeps this function private,
    as torch._tensor_str.get_printoptions)."""
    return dict(_options)


class _ElementFormat:
    """The one format of every element of an array, decided from the values it will show (`shown`)."""

    def __init__(self, shown: np.ndarray) -> None:
        self.floating = shown.dtype.kind == "f"
        self.whole, self.scientific, self.width = True, False, 1
        precision = _options["precision"]
        if not self.floating:
            self.width = max((len(str(v)) for v in shown.ravel().tolist()), default=1)
            return
        values = shown[np.isfinite(shown) & (shown != 0)].astype(np.float64)
        if values.size == 0:  # zeros, infinities and NaNs only: printed whole
            return
        self.whole = bool((values == np.ceil(values)).all())
        magnitudes = np.abs(values)
        smallest, largest = magnitudes.min(), magnitudes.max()
        with np.errstate(over="ignore"):  # (1e300 / 1e-300 is inf, as it should be: more than 1000x)
            spread = largest / smallest
        self.scientific = (spread > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
                           if _options["sci_mode"] is None else _options["sci_mode"])
        if self.scientific:
            texts = [f"{v:.{precision}e}" for v in values.tolist()]
        elif self.whole:
            texts = [f"{v:.0f}." for v in values.tolist()]  # the point says the tensor is floating
        else:
            texts = [f"{v:.{precision}f}" for v in values.tolist()]
        self.width = max(len(text) for text in texts)

    def __call__(self, value) -> str:
        precision = _options["precision"]
        if not self.floating:
            text = str(value)
        elif self.scientific:
            text = f"{value:{self.width}.{precision}e}"
        elif self.whole:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{precision}f}"
        return text.rjust(self.width)


def _shown_values(array: np.ndarray, summarize: bool) -> np.ndarray:
    """The elements a summarized printout shows (all of them otherwise): per dim the first and last
    `edgeitems` indices, where the dim is longer than both together."""
    edge = _options["edgeitems"]
    if not summarize or (edge == 0 and array.ndim == 1):  # (a vector without edges still sizes its format)
        return array
    if edge == 0:
        return array[(slice(0, 0),) * array.ndim]
    kept = [np.r_[0:edge, n - edge:n] if n > 2 * edge else np.arange(n) for n in array.shape]
    return array[np.ix_(*kept)]


def _body(array: np.ndarray, indent: int, summarize: bool, element: _ElementFormat) -> str:
    """The nested brackets of `array`, each row wrapped at linewidth, starting at column `indent`."""
    edge, linewidth = _options["edgeitems"], _options["linewidth"]
    if array.ndim == 0:
        return element(array.item())
    elided = summarize and len(array) > 2 * edge
    if array.ndim == 1:
        if summarize and edge == 0:
            items = ["..."]
        elif elided:
            items = ([element(v) for v in array[:edge].tolist()] + [" ..."]
                     + [element(v) for v in array[-edge:].tolist()])
        else:
            items = [element(v) for v in array.tolist()]
        per_line = max(1, (linewidth - indent) // (element.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if elided:
        rows = list(range(edge)) + [None] + list(range(len(array) - edge, len(array)))
    else:
        rows = list(range(len(array)))
    parts = ["..." if i is None else _body(array[i], indent + 1, summarize, element) for i in rows]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(array: np.ndarray, suffixes: list[str], default_dtype: np.dtype) -> str:
    """`tensor(...)` for the values `array`, then `suffixes` (grad_fn=..., requires_grad=True), with the dtype
    named unless it is default_dtype, int64 or bool, as PyTorch prints a tensor."""
    prefix = "tensor("
    indent = len(prefix)
    named = []
    if array.size == 0:
        if array.ndim != 1:
            named.append(f"size={tuple(array.shape)}")
        if array.dtype != default_dtype:  # (PyTorch names even int64 here)
            named.append(f"dtype={array.dtype}")
        text = prefix + "[]"
    else:
        if _options["edgeitems"] == 0:
            named.append(f"size={tuple(array.shape)}")
        if array.dtype not in (default_dtype, np.int64, np.bool_):
            named.append(f"dtype={array.dtype}")
        summarize = array.size > _options["threshold"]
        text = prefix + _body(array, indent, summarize, _ElementFormat(_shown_values(array, summarize)))
    # each suffix after a comma, on a line of its own where it would pass linewidth (the last line's length
    # counted as PyTorch counts it, two more than its characters). Widths are those of PyTorch's spelling,
    # "dtype=torch.float64" and "grad_fn=<MulBackward0>", so that lines break where PyTorch's do.
    pieces, line_length = [text], len(text) - text.rfind("\n") + 1
    for suffix in named + suffixes:
        width = len(suffix) + (len("torch.") if suffix.startswith("dtype=") else
                               len("0") if suffix.startswith("grad_fn=") else 0)
        if line_length + width + 2 > _options["linewidth"]:
            pieces.append(",\n" + " " * indent + suffix)
            line_length = indent + width
        else:
            pieces.append(", " + suffix)
            line_length += width + 2
    return "".join(pieces) + ")"
