"""The layers of fastgrad.nn, one small module per family."""
from fastgrad.nn.modules.activation import Hardtanh, LeakyReLU, PReLU, ReLU, Sigmoid, SiLU, Tanh
from fastgrad.nn.modules.container import ModuleList, Sequential
from fastgrad.nn.modules.dropout import Dropout
from fastgrad.nn.modules.embedding import Embedding, EmbeddingBag
from fastgrad.nn.modules.linear import Identity, Linear
from fastgrad.nn.modules.loss import BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss
from fastgrad.nn.modules.module import Module
from fastgrad.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCellBase

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Embedding", "EmbeddingBag", "GRU", "GRUCell",
           "Hardtanh", "Identity", "LeakyReLU", "Linear", "LSTM", "LSTMCell", "Module", "ModuleList", "NLLLoss", "PReLU",
           "ReLU", "RNN", "RNNBase", "RNNCellBase", "Sequential", "Sigmoid", "SiLU", "Tanh"]
