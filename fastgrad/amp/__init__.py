"""`fastgrad.amp`, as torch.amp: automatic mixed precision. fastgrad has no float16 or bfloat16, so autocast
and GradScaler work only disabled (`enabled=False`: plain float32, the scaler a pass-through); enabling
either raises NotImplementedError rather than running in float32 while claiming lower precision."""
from fastgrad.amp.autocast_mode import autocast, is_autocast_available
from fastgrad.amp.grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "is_autocast_available"]
