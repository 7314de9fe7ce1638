"""fastgrad's random number generator: one seeded NumPy Generator behind init, rand/randn and dropout."""
from __future__ import annotations

import numpy as np


class _Generator:
    rng = np.random.default_rng(0)


GENERATOR = _Generator()


def manual_seed(seed: int) -> None:
    """Reseed fastgrad's generator; the same seed gives the same initial weights and dropout masks."""
    GENERATOR.rng = np.random.default_rng(seed)


def get_rng_state() -> dict:
    """The generator's state as plain JSON-compatible data (for checkpoints)."""
    return GENERATOR.rng.bit_generator.state


def set_rng_state(state: dict) -> None:
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    GENERATOR.rng = np.random.Generator(bit_generator)


def next_seed() -> int:
    """A fresh 63-bit seed for kernels that run their own generator (dropout masks)."""
    return int(GENERATOR.rng.integers(0, 2**63 - 1))
