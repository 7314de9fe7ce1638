"""Perplexity of a language model."""
from __future__ import annotations

import math


def perplexity(total_nll: float, token_count: int) -> float:
    """exp(total negative log-likelihood / tokens), with the NLL summed in nats over `token_count` predictions."""
    if token_count <= 0:
        raise ValueError(f"token_count must be positive, got {token_count}")
    if math.isnan(total_nll) or total_nll < 0:
        raise ValueError(f"total_nll must be a non-negative number (it sums -log p), got {total_nll}")
    try:
        return math.exp(total_nll / token_count)
    except OverflowError:
        return math.inf
