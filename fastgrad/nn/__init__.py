"""Neural-network building blocks with PyTorch names: Module, layers, losses, init and utils."""
from fastgrad.nn import functional, init, utils
from fastgrad.nn.modules import (RNN, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Embedding, EmbeddingBag, Hardtanh,
                                 Identity, LeakyReLU, Linear, Module, ModuleList, NLLLoss, PReLU, ReLU, Sequential,
                                 Sigmoid, SiLU, Tanh)
from fastgrad.nn.parameter import Parameter
