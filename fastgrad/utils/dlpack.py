"""torch.utils.dlpack's names: see fastgrad.dlpack."""
from fastgrad.dlpack import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
