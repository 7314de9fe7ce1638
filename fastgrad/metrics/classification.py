"""Classification accuracy."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def accuracy(pred: ArrayLike, gold: ArrayLike) -> float:
    """Fraction of positions where `pred == gold` (label ids or strings, any matching shape)."""
    pred, gold = np.asarray(pred), np.asarray(gold)
    if pred.shape != gold.shape:
        raise ValueError(f"pred and gold must have the same shape, got {pred.shape} and {gold.shape}")
    if pred.size == 0:
        raise ValueError("accuracy of zero examples is undefined (pred and gold are empty)")
    return float(np.mean(pred == gold))
