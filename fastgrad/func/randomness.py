"""vmap's (and jacfwd's) `randomness` modes. A draw is seen as a change of a generator's state: the global
one's (fastgrad.manual_seed's) or that of any live `fastgrad.Generator` passed as `generator=`."""
from __future__ import annotations

from typing import Callable

from fastgrad.random import live_generators

MODES = ("error", "different", "same")
DRAW_REFUSED = ("vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                "'different' randomness flags on vmap or perform the randomness operation out of vmap")


def check_mode(randomness) -> None:
    if randomness not in MODES:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


def snapshot() -> Callable[[], None]:
    """A function that puts every live generator back in its present state (for randomness='same')."""
    states = [(g, g.get_state()) for g in live_generators()]

    def restore() -> None:
        for g, state in states:
            g.set_state(state)

    return restore


def draws(call: Callable):
    """(call(), whether it drew from a generator)."""
    states = [(g, g.get_state()) for g in live_generators()]
    result = call()
    return result, any(g.get_state() != state for g, state in states)


def refusing_draws(call: Callable):
    """call(), raising as PyTorch's randomness='error' if it drew random numbers."""
    result, drew = draws(call)
    if drew:
        raise RuntimeError(DRAW_REFUSED)
    return result
