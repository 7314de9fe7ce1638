"""Argument checks shared by the samplers, data sets and the DataLoader (PyTorch's messages)."""
from __future__ import annotations


def positive_int(value, name: str) -> int:
    # (Python's int only, as PyTorch checks: a NumPy integer or a bool is refused there too)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value!r}")
    return int(value)


def boolean(value, name: str, error: type[Exception] = ValueError) -> bool:
    """`value` as a bool; `error` is the exception PyTorch raises for this argument (most raise ValueError)."""
    if not isinstance(value, bool):  # (NumPy's bool too is refused, as by PyTorch)
        raise error(f"{name} should be a boolean value, but got {name}={value!r}")
    return bool(value)
