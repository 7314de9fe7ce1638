"""`torch.nn.parallel`'s name for the data-parallel wrapper, which lives in fastgrad.distributed."""
from fastgrad.distributed.ddp import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
