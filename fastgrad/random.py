"""fastgrad's random number generators: one seeded global generator behind init, rand/randn, dropout and
sampling, plus `Generator` objects for code that wants its own stream (`generator=` arguments).

The draws below take and return NumPy arrays; the Tensor API wraps them.
"""
from __future__ import annotations

import secrets
import weakref

import numpy as np

TORCH_DEFAULT_SEED = 67280421310721  # what torch.Generator().initial_seed() reports


class Generator:
    """A seeded random stream, like torch.Generator: `g = fastgrad.Generator().manual_seed(0)` and pass
    `generator=g` to sampling functions. The same seed gives the same draws (not torch's draws)."""

    def __init__(self, device: str = "cpu"):
        if str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"fastgrad runs on the CPU only; device {device!r} is not available")
        self.manual_seed(TORCH_DEFAULT_SEED)
        _LIVE_GENERATORS.add(self)

    def manual_seed(self, seed: int) -> "Generator":
        """Seeds from -2^63 to 2^64 - 1, as PyTorch; a negative one is taken modulo 2^64, as PyTorch does."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        if not -2**63 <= seed < 2**64:
            raise ValueError(f"manual_seed: seed must be in [-2**63, 2**64 - 1], got {seed}")
        self._initial_seed = int(seed) % 2**64
        self.rng = np.random.default_rng(self._initial_seed)
        return self

    def initial_seed(self) -> int:
        return self._initial_seed

    def seed(self) -> int:
        """Reseed from the operating system's entropy, as torch.Generator.seed: returns the new 64-bit seed."""
        seed = secrets.randbits(64)
        self.manual_seed(seed)
        return seed

    def get_state(self) -> dict:
        """The state as plain JSON-compatible data (for checkpoints)."""
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        """Restore a state from `get_state`."""
        kind = getattr(np.random, str(state.get("bit_generator")), None) if isinstance(state, dict) else None
        if not (isinstance(kind, type) and issubclass(kind, np.random.BitGenerator)):
            raise ValueError("set_state: state must be a dict from get_state(), whose 'bit_generator' names a NumPy "
                             f"bit generator such as 'PCG64', got {state!r:.200}")
        bit_generator = kind()
        bit_generator.state = state
        self.rng = np.random.Generator(bit_generator)
        return self


_LIVE_GENERATORS: weakref.WeakSet = weakref.WeakSet()


def live_generators() -> list[Generator]:
    """Every Generator not yet garbage-collected, the global one included (vmap's randomness modes watch and
    restore their states)."""
    return list(_LIVE_GENERATORS)


GENERATOR = Generator().manual_seed(0)
default_generator = GENERATOR  # PyTorch's name for it


def manual_seed(seed: int) -> Generator:
    """Reseed fastgrad's generator; the same seed gives the same initial weights and dropout masks.
    Returns the generator, as torch.manual_seed does."""
    return GENERATOR.manual_seed(seed)


def seed() -> int:
    """Reseed fastgrad's generator from the operating system's entropy and return the seed, as torch.seed."""
    return GENERATOR.seed()


def initial_seed() -> int:
    """The seed the global generator was last seeded with."""
    return GENERATOR.initial_seed()


def get_rng_state() -> dict:
    """The generator's state as plain JSON-compatible data (for checkpoints)."""
    return GENERATOR.get_state()


def set_rng_state(state: dict) -> None:
    GENERATOR.set_state(state)


def next_seed() -> int:
    """A fresh 63-bit seed for kernels that run their own generator (dropout masks)."""
    return int(GENERATOR.rng.integers(0, 2**63 - 1))


def rng_of(generator: Generator | None) -> np.random.Generator:
    """The NumPy stream behind a `generator=` argument: the global one for None."""
    if generator is None:
        return GENERATOR.rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a fastgrad.Generator or None, got {type(generator).__module__}."
                        f"{type(generator).__name__}")
    return generator.rng


# -- draws --------------------------------------------------------------------------------------------
def draw_multinomial(rng: np.random.Generator, probs: np.ndarray, num_samples: int, replacement: bool) -> np.ndarray:
    """`num_samples` category ids per row of the 1-D or 2-D weights `probs` (non-negative, finite, not all
    zero in a row; they need not sum to 1), as int64 of shape probs.shape[:-1] + (num_samples,). Refusals
    are PyTorch's: RuntimeError, but TypeError for a num_samples that is not an int.

    With replacement: inverse-CDF sampling, one uniform per draw. Without: the exponential race
    (draw E_i ~ Exp(1) and take the categories in order of E_i / p_i), which picks the categories in
    the order of sequential sampling without replacement, renormalising after each pick. Once a row's
    categories of non-zero weight are used up, its zero-weight ones follow (in the order of their ids), as
    PyTorch 2.13 gives them rather than raising; only more samples than categories are refused."""
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"multinomial: num_samples must be an int, got {type(num_samples).__name__}")
    if probs.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: probs must be 1-D or 2-D, got shape {probs.shape}")
    if probs.dtype.kind != "f":
        raise RuntimeError(f"multinomial: probs must be a floating point tensor, got dtype {probs.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: num_samples must be positive, got {num_samples}")
    categories = probs.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError(f"multinomial: cannot draw {num_samples} samples without replacement from "
                           f"{categories} categories")
    rows = np.atleast_2d(probs).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial: probs must be finite and non-negative (it contains inf, nan or a negative "
                           "element)")
    if rows.shape[0] and (rows.sum(axis=1) <= 0).any():
        bad = int(np.flatnonzero(rows.sum(axis=1) <= 0)[0])
        raise RuntimeError(f"multinomial: the probabilities of row {bad} sum to 0; every row needs a positive "
                           "weight")
    if replacement:
        samples = np.empty((rows.shape[0], num_samples), dtype=np.int64)
        for r, row in enumerate(rows):
            cdf = np.cumsum(row)
            cdf /= cdf[-1]  # exactly 1 at the end, so every uniform in [0, 1) lands on a category
            samples[r] = np.searchsorted(cdf, rng.random(num_samples), side="right")  # zero-weight ids never
    else:
        with np.errstate(divide="ignore"):
            arrival = rng.standard_exponential(rows.shape) / rows  # zero weight: arrives last (inf), by id
        samples = np.argsort(arrival, axis=1, kind="stable")[:, :num_samples]
    return samples.reshape(probs.shape[:-1] + (num_samples,))


def check_probabilities(probs: np.ndarray, what: str) -> None:
    """Every element of `probs` in [0, 1], else ValueError naming `what` and the first one outside."""
    outside = ~((probs >= 0) & (probs <= 1))  # NaN fails both
    if outside.any():
        raise ValueError(f"{what} must be in [0, 1], got {np.asarray(probs)[outside].flat[0]}")


def draw_bernoulli(rng: np.random.Generator, probs: np.ndarray, shape: tuple) -> np.ndarray:
    """Booleans of `shape`, each True with its probability in `probs` (in [0, 1], broadcast to shape)."""
    return rng.random(shape) < probs


def draw_geometric(rng: np.random.Generator, p, shape: tuple) -> np.ndarray:
    """Bernoulli(p) trials up to the first success (1, 2, ...), as float64 of `shape`, p in (0, 1] (a
    number or an array broadcast to shape): by inversion, floor(log v / log(1 - p)) + 1 for v uniform on
    (0, 1], whose tail is P(X > k) = (1 - p)^k. Float64 so that a tiny p gives its huge counts rather than
    wrapping an int64."""
    v = 1.0 - rng.random(shape)  # (0, 1]: log v is finite
    with np.errstate(divide="ignore"):  # p = 1: log(1 - p) = -inf, and every draw is 1
        return np.floor(np.log(v) / np.log1p(-np.asarray(p, dtype=np.float64))) + 1


# NumPy's largest Poisson rate (its sampler's counts must stay within int64)
POISSON_RATE_MAX = float(np.iinfo(np.int64).max - 10 * np.sqrt(np.iinfo(np.int64).max))


def draw_poisson(rng: np.random.Generator, rates: np.ndarray, what: str) -> np.ndarray:
    """One Poisson(rate) count per element of `rates` (each in [0, POISSON_RATE_MAX], else ValueError naming
    `what`), as float64."""
    outside = ~((rates >= 0) & (rates <= POISSON_RATE_MAX))  # NaN fails both
    if outside.any():
        raise ValueError(f"{what} must be in [0, {POISSON_RATE_MAX:.4g}] (non-negative, and counts must fit int64), "
                         f"got {np.asarray(rates)[outside].flat[0]}")
    return np.asarray(rng.poisson(rates), dtype=np.float64)


def draw_binomial(rng: np.random.Generator, counts: np.ndarray, probs: np.ndarray, what: tuple[str, str]) -> np.ndarray:
    """One Binomial(count, prob) draw per element of the broadcast counts and probs, as float64: counts must be
    whole numbers in [0, 2^63), probs in [0, 1] (else ValueError naming what[0] or what[1])."""
    outside = ~((counts >= 0) & (counts < 2.0 ** 63) & (np.floor(counts) == counts))  # NaN and inf fail
    if outside.any():
        raise ValueError(f"{what[0]} must hold whole numbers in [0, 2^63), got {np.asarray(counts)[outside].flat[0]}")
    check_probabilities(probs, what[1])
    return np.asarray(rng.binomial(counts.astype(np.int64), probs), dtype=np.float64)
