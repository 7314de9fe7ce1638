"""LinearCrossEntropyOptions: PyTorch's settings for the chunked F.linear_cross_entropy, with its checks.

fastgrad's linear_cross_entropy always runs its fused, exact path where it can (ops.LinearCrossEntropy),
so of these only `batch_chunk_size` changes how it runs: the rows per block. The others tune PyTorch's
memory and mixed precision (acc_policy, acc_dtype, chunking_method) or its autograd contract
(allow_retain_graph: fastgrad's fused node always allows a second backward with retain_graph); they
are checked as PyTorch checks them and change no result here.
"""
from __future__ import annotations

from dataclasses import dataclass

from fastgrad.dtypes import as_dtype

ACC_POLICIES = ("auto", "accurate", "balanced", "compact")


@dataclass
class LinearCrossEntropyOptions:
    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self) -> None:
        if self.acc_policy not in ACC_POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r} (expected one of {', '.join(ACC_POLICIES)})")
        if self.chunking_method not in (None, "auto"):
            name, colon, factor = str(self.chunking_method).partition(":")
            factor = factor if colon else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r} (expected None, 'auto' or "
                                 "'aspect_ratio:<positive int>')")
        size = self.batch_chunk_size
        if not (size is None or (isinstance(size, int) and not isinstance(size, bool) and size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {size!r}")
        if self.acc_dtype is not None and as_dtype(self.acc_dtype).kind != "f":
            raise ValueError(f"acc_dtype must be a floating point dtype or None, got {self.acc_dtype!r}")
