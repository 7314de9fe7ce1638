"""`torch.utils.data.distributed.DistributedSampler`'s home: the sampler lives in fastgrad.distributed
(it needs no MPI in a one-process run)."""
from fastgrad.distributed.sampler import DistributedSampler

__all__ = ["DistributedSampler"]
