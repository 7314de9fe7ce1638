"""vmap's (and jacfwd's) `randomness` modes. A draw is seen as a change of the global generator's state
(fastgrad.manual_seed's), so draws from a `generator=` object of the caller's own go unnoticed."""
from __future__ import annotations

from typing import Callable

from fastgrad.random import get_rng_state

MODES = ("error", "different", "same")
DRAW_REFUSED = ("vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                "'different' randomness flags on vmap or perform the randomness operation out of vmap")


def check_mode(randomness) -> None:
    if randomness not in MODES:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


def draws(call: Callable):
    """(call(), whether it drew from the global generator)."""
    before = get_rng_state()
    result = call()
    return result, get_rng_state() != before


def refusing_draws(call: Callable):
    """call(), raising as PyTorch's randomness='error' if it drew random numbers."""
    result, drew = draws(call)
    if drew:
        raise RuntimeError(DRAW_REFUSED)
    return result
