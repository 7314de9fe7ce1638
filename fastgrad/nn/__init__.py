"""Neural-network building blocks with PyTorch names: Module, layers, losses, init and utils."""
from fastgrad.nn import functional, init, utils
from fastgrad.nn.modules import (GRU, LSTM, RNN, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Embedding, EmbeddingBag,
                                 GRUCell, Hardtanh, Identity, LeakyReLU, Linear, LSTMCell, Module, ModuleList, NLLLoss,
                                 PReLU, ReLU, RNNBase, RNNCellBase, Sequential, Sigmoid, SiLU, Tanh)
from fastgrad.nn.parameter import Parameter
