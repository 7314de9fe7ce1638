"""PyTorch's `torch.utils` namespace: data loading (`fastgrad.utils.data`), activation checkpointing
(`fastgrad.utils.checkpoint`) and DLPack exchange (`fastgrad.utils.dlpack`)."""
from fastgrad.utils import checkpoint, data, dlpack

__all__ = ["checkpoint", "data", "dlpack"]
