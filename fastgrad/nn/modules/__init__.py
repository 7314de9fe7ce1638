"""The layers of fastgrad.nn, one small module per family."""
from fastgrad.nn.modules.activation import (CELU, ELU, GELU, GLU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU,
                                            LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, SELU, Sigmoid, SiLU,
                                            Softmax, Softmin, Softplus, Softsign, Tanh, Tanhshrink, Threshold)
from fastgrad.nn.modules.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from fastgrad.nn.modules.conv import Conv1d, Conv2d
from fastgrad.nn.modules.distance import CosineSimilarity, PairwiseDistance
from fastgrad.nn.modules.dropout import Dropout
from fastgrad.nn.modules.embedding import Embedding, EmbeddingBag
from fastgrad.nn.modules.flatten import Flatten, Unflatten
from fastgrad.nn.modules.linear import Identity, Linear
from fastgrad.nn.modules.loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,
                                      GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                                      MarginRankingLoss, MSELoss, MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss,
                                      PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss, TripletMarginLoss)
from fastgrad.nn.modules.module import Module
from fastgrad.nn.modules.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm
from fastgrad.nn.modules.pooling import (AdaptiveAvgPool1d, AdaptiveMaxPool1d, AvgPool1d, AvgPool2d, MaxPool1d,
                                         MaxPool2d)
from fastgrad.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase

__all__ = ["AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "AvgPool1d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "Conv1d", "Conv2d", "CosineSimilarity", "CrossEntropyLoss", "Dropout", "ELU",
           "Embedding", "EmbeddingBag", "Flatten", "GELU", "GRU", "GRUCell", "Hardtanh", "HuberLoss", "Identity",
           "KLDivLoss", "L1Loss", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LeakyReLU", "Linear", "LogSigmoid", "LogSoftmax", "LSTM", "LSTMCell",
           "MaxPool1d", "MaxPool2d", "Module", "ModuleDict", "ModuleList", "MSELoss", "NLLLoss", "PairwiseDistance",
           "ParameterDict", "ParameterList", "PReLU", "ReLU", "RNN", "RNNBase", "RNNCell", "RNNCellBase", "Sequential",
           "Sigmoid", "SiLU", "SmoothL1Loss", "Softmax", "Softmin", "Softplus", "Tanh", "Unflatten",
           "CELU", "GLU", "Hardsigmoid", "Hardswish", "Mish", "ReLU6", "SELU", "Softsign", "Tanhshrink", "Threshold",
           "CosineEmbeddingLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "PoissonNLLLoss", "SoftMarginLoss", "TripletMarginLoss"]
