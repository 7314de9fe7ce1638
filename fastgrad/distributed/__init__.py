"""Data-parallel training over MPI (`pip install 'fastgrad[mpi]'`), with PyTorch's names.

    mpiexec -n 2 python train.py        # each process runs the same script

    import fastgrad.distributed as dist
    dist.init()                                    # from mpiexec's environment; a world of one without it
    model = dist.DistributedDataParallel(model)    # rank 0's weights everywhere; backward averages gradients
    sampler = dist.DistributedSampler(dataset)     # this rank's share of each epoch
    if dist.is_main_process(): ...                 # logging, metrics, checkpoints, plots on rank 0 only

A process not started by mpiexec (or started with -n 1) never imports mpi4py. Every collective has a
timeout (`init(timeout=...)`, $FASTGRAD_DIST_TIMEOUT, default 300 s): a dead or stuck rank makes the
others fail with `CollectiveTimeout` instead of hanging, and an uncaught exception on any rank aborts
the whole job. docs/distributed.md has the cost model.
"""
from fastgrad.distributed.collectives import all_reduce, barrier, broadcast, broadcast_parameters
from fastgrad.distributed.comm import (CollectiveTimeout, ProcessGroup, ReduceOp, destroy_process_group, get_backend,
                                       get_rank, get_world_size, group, init, init_process_group, is_initialized)
from fastgrad.distributed.ddp import DistributedDataParallel
from fastgrad.distributed.main_process import is_main_process, print_on_main, save_on_main
from fastgrad.distributed.sampler import DistributedSampler

__all__ = ["CollectiveTimeout", "DistributedDataParallel", "DistributedSampler", "ProcessGroup", "ReduceOp",
           "all_reduce", "barrier", "broadcast", "broadcast_parameters", "destroy_process_group", "get_backend",
           "get_rank", "get_world_size", "group", "init", "init_process_group", "is_initialized", "is_main_process",
           "print_on_main", "save_on_main"]
