"""Optimizers with PyTorch's names, update rules and param groups; schedulers in `lr_scheduler`."""
from fastgrad.optim import lr_scheduler
from fastgrad.optim.adadelta import Adadelta
from fastgrad.optim.adagrad import Adagrad
from fastgrad.optim.adam import Adam, AdamW
from fastgrad.optim.adamax import Adamax
from fastgrad.optim.nadam import NAdam
from fastgrad.optim.optimizer import Optimizer
from fastgrad.optim.radam import RAdam
from fastgrad.optim.rmsprop import RMSprop
from fastgrad.optim.sgd import SGD
from fastgrad.optim.sparse_adam import SparseAdam

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer", "RAdam", "RMSprop", "SGD",
           "SparseAdam", "lr_scheduler"]
