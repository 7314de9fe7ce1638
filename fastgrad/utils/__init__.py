"""PyTorch's `torch.utils` namespace: data loading (`fastgrad.utils.data`) and activation checkpointing
(`fastgrad.utils.checkpoint`)."""
from fastgrad.utils import checkpoint, data

__all__ = ["checkpoint", "data"]
