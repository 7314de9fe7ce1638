"""Neural-network building blocks with PyTorch names: Module, layers, losses, init and utils."""
from fastgrad.nn import functional, init, utils
from fastgrad.nn.modules import *  # noqa: F401,F403  (the layers; the list is modules.__all__)
from fastgrad.nn.parameter import Parameter
from fastgrad.nn.parameter import Buffer, UninitializedBuffer, UninitializedParameter


def __getattr__(name: str):
    # nn.parallel (DistributedDataParallel) loads fastgrad.distributed: on first use only
    if name == "parallel":
        import importlib

        return importlib.import_module("fastgrad.nn.parallel")
    raise AttributeError(f"module 'fastgrad.nn' has no attribute {name!r}")
