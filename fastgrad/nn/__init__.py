"""Neural-network building blocks with PyTorch names: Module, layers, losses, init and utils."""
from fastgrad.nn import functional, init, parallel, utils
from fastgrad.nn.modules import *  # noqa: F401,F403  (the layers; the list is modules.__all__)
from fastgrad.nn.parameter import Parameter
