"""PyTorch's `torch.utils` namespace: data loading (`fastgrad.utils.data`)."""
from fastgrad.utils import data

__all__ = ["data"]
