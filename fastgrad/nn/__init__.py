"""Neural-network building blocks with PyTorch names: Module, layers, losses, init and utils."""
from fastgrad.nn import functional, init, parallel, utils
from fastgrad.nn.modules import (AdaptiveAvgPool1d, AdaptiveMaxPool1d, AvgPool1d, AvgPool2d, BatchNorm1d, BatchNorm2d, BatchNorm3d, BCELoss, BCEWithLogitsLoss, Conv1d, Conv2d,
                                 CosineSimilarity, CrossEntropyLoss, Dropout, ELU, Embedding, EmbeddingBag, Flatten,
                                 GELU, GRU, GRUCell, Hardtanh, HuberLoss, Identity, KLDivLoss, L1Loss, LayerNorm,
                                 LeakyReLU, Linear, LogSigmoid, LogSoftmax, LSTM, LSTMCell, MaxPool1d, MaxPool2d, Module,
                                 ModuleDict, ModuleList, MSELoss, NLLLoss, PairwiseDistance, ParameterDict,
                                 ParameterList, PReLU, ReLU, RNN, RNNBase, RNNCell, RNNCellBase, Sequential, Sigmoid,
                                 SiLU, SmoothL1Loss, Softmax, Softmin, Softplus, Tanh, Unflatten)
from fastgrad.nn.modules import CELU, GLU, Hardsigmoid, Hardswish, Mish, ReLU6, SELU, Softsign, Tanhshrink, Threshold
from fastgrad.nn.modules import (CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelSoftMarginLoss,
                                 MultiMarginLoss, PoissonNLLLoss, SoftMarginLoss, TripletMarginLoss)
from fastgrad.nn.parameter import Parameter
