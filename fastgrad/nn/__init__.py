"""Neural-network building blocks with PyTorch names: Module, layers, losses, init and utils."""
from fastgrad.nn import functional, init, utils
from fastgrad.nn.modules import (ELU, GELU, RNN, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Embedding, EmbeddingBag,
                                 Flatten, Hardtanh, Identity, L1Loss, LayerNorm, LeakyReLU, Linear, LogSoftmax, Module,
                                 ModuleDict, ModuleList, MSELoss, NLLLoss, ParameterDict, ParameterList, PReLU, ReLU,
                                 RNNCell, Sequential, Sigmoid, SiLU, Softmax, Tanh, Unflatten)
from fastgrad.nn.parameter import Parameter
