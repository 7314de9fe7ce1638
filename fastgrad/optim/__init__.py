"""Optimizers with PyTorch's names, update rules and param groups; schedulers in `lr_scheduler`."""
from fastgrad.optim import lr_scheduler
from fastgrad.optim import swa_utils
from fastgrad.optim.adadelta import Adadelta
from fastgrad.optim.adagrad import Adagrad
from fastgrad.optim.adam import Adam, AdamW
from fastgrad.optim.adamax import Adamax
from fastgrad.optim.asgd import ASGD
from fastgrad.optim.lbfgs import LBFGS
from fastgrad.optim.nadam import NAdam
from fastgrad.optim.optimizer import Optimizer
from fastgrad.optim.radam import RAdam
from fastgrad.optim.rmsprop import RMSprop
from fastgrad.optim.rprop import Rprop
from fastgrad.optim.sgd import SGD
from fastgrad.optim.sparse_adam import SparseAdam

__all__ = ["ASGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer", "RAdam",
           "RMSprop", "Rprop", "SGD", "SparseAdam", "lr_scheduler",
           "swa_utils"]
