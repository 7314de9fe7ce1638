"""`fastgrad.cuda.amp`, as torch.cuda.amp: the older spelling of `amp.GradScaler("cuda", ...)` and
`amp.autocast("cuda", ...)` that PyTorch deprecates (with a FutureWarning) but most training scripts still
write, often as `GradScaler(enabled=use_amp)`. Without CUDA both disable themselves with a warning, as
PyTorch's do; they are `fastgrad.amp`'s classes with CUDA's arguments."""
from __future__ import annotations

import warnings

from fastgrad import amp
from fastgrad.dtypes import float16


def _deprecated(name: str) -> None:
    warnings.warn(f"`fastgrad.cuda.amp.{name}(args...)` is deprecated. Please use `fastgrad.amp.{name}('cuda', "
                  "args...)` instead.", FutureWarning, stacklevel=3)


class GradScaler(amp.GradScaler):
    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        _deprecated("GradScaler")
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


class autocast(amp.autocast):
    def __init__(self, enabled: bool = True, dtype=float16, cache_enabled: bool = True) -> None:
        _deprecated("autocast")
        super().__init__("cuda", dtype, enabled, cache_enabled)


__all__ = ["GradScaler", "autocast"]
