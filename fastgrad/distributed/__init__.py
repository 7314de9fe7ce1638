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

Scripts written for torch.distributed find its everyday surface here, with PyTorch's arguments and
checks: the tensor collectives (all_reduce, broadcast, reduce, all_gather, all_gather_into_tensor,
gather, scatter, reduce_scatter, reduce_scatter_tensor, all_to_all_single, all_to_all), blocking
send/recv with tags, the object collectives (which pickle, as PyTorch's do), barrier and
monitored_barrier, and is_available()/is_mpi_available()/get_node_local_rank(). Collectives block;
`async_op=True` returns a completed `Work`. There are no process subgroups.
"""
from fastgrad.distributed.all_to_all import all_to_all, all_to_all_single
from fastgrad.distributed.availability import (get_node_local_rank, is_available, is_gloo_available,
                                               is_mpi_available, is_nccl_available)
from fastgrad.distributed.collectives import (Work, all_reduce, barrier, broadcast, broadcast_parameters,
                                              monitored_barrier)
from fastgrad.distributed.comm import (destroy_process_group, get_backend, get_rank, get_world_size, group, init,
                                       init_process_group, is_initialized)
from fastgrad.distributed.ddp import DistributedDataParallel
from fastgrad.distributed.gather_scatter import (all_gather, all_gather_into_tensor, all_gather_single, gather, reduce,
                                                 reduce_scatter, reduce_scatter_single, reduce_scatter_tensor, scatter)
from fastgrad.distributed.main_process import is_main_process, print_on_main, save_on_main
from fastgrad.distributed.object_collectives import (all_gather_object, broadcast_object_list, gather_object,
                                                     scatter_object_list)
from fastgrad.distributed.point_to_point import recv, send
from fastgrad.distributed.process_group import CollectiveTimeout, ProcessGroup, ReduceOp
from fastgrad.distributed.sampler import DistributedSampler

__all__ = ["CollectiveTimeout", "DistributedDataParallel", "DistributedSampler", "ProcessGroup", "ReduceOp", "Work",
           "all_gather", "all_gather_into_tensor", "all_gather_object", "all_gather_single", "all_reduce", "all_to_all",
           "all_to_all_single", "barrier", "broadcast", "broadcast_object_list", "broadcast_parameters",
           "destroy_process_group", "gather", "gather_object", "get_backend", "get_node_local_rank", "get_rank",
           "get_world_size", "group", "init", "init_process_group", "is_available", "is_gloo_available",
           "is_initialized", "is_main_process", "is_mpi_available", "is_nccl_available", "monitored_barrier",
           "print_on_main", "recv", "reduce", "reduce_scatter", "reduce_scatter_single", "reduce_scatter_tensor",
           "save_on_main", "scatter", "scatter_object_list", "send"]
