"""Training the lecture's models from Python; `fastgrad train MODEL ...` only parses arguments and calls these."""
from fastgrad.train.errors import ConfigError, ModelDirectoryError, TrainingDiverged, TrainingInterrupted

__all__ = ["ConfigError", "ModelDirectoryError", "TrainingDiverged", "TrainingInterrupted"]
