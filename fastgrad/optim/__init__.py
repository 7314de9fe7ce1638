"""Optimizers with PyTorch's names, update rules and param groups; schedulers in `lr_scheduler`."""
from fastgrad.optim import lr_scheduler
from fastgrad.optim.adadelta import Adadelta
from fastgrad.optim.adagrad import Adagrad
from fastgrad.optim.adam import Adam, AdamW
from fastgrad.optim.optimizer import Optimizer
from fastgrad.optim.rmsprop import RMSprop
from fastgrad.optim.sgd import SGD
from fastgrad.optim.sparse_adam import SparseAdam

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "SparseAdam", "lr_scheduler"]
