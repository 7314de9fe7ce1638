"""What can stop a training run other than a bug, each with its own class so that callers (and the
`fastgrad` command's exit codes) can tell them apart."""
from __future__ import annotations


class ConfigError(ValueError):
    """Settings that are out of range or do not work together (named, with what was expected)."""


class ModelDirectoryError(ValueError):
    """A model directory that cannot be used: missing, without finished weights, in use by another run,
    or holding weights that do not fit its config.json."""


class TrainingDiverged(FloatingPointError):
    """The loss, a parameter or a validation score became NaN or infinite; nothing non-finite was saved."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or another signal turned into a KeyboardInterrupt) during training; the message says where the best
    and the resumable checkpoints are."""
