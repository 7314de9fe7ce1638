"""The layers of fastgrad.nn, one small module per family."""
from fastgrad.nn.modules.activation import (CELU, ELU, GELU, GLU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh,
                                            LeakyReLU, LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, RReLU, SELU,
                                            Sigmoid, SiLU, Softmax, Softmax2d, Softmin, Softplus, Softshrink,
                                            Softsign, Tanh, Tanhshrink, Threshold)
from fastgrad.nn.modules.adaptive import AdaptiveLogSoftmaxWithLoss
from fastgrad.nn.modules.attention import MultiheadAttention
from fastgrad.nn.modules.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from fastgrad.nn.modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from fastgrad.nn.modules.distance import CosineSimilarity, PairwiseDistance
from fastgrad.nn.modules.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from fastgrad.nn.modules.embedding import Embedding, EmbeddingBag
from fastgrad.nn.modules.flatten import Flatten, Unflatten
from fastgrad.nn.modules.fold import Fold, Unfold
from fastgrad.nn.modules.linear import Bilinear, Identity, Linear
from fastgrad.nn.modules.linear_cross_entropy_options import LinearCrossEntropyOptions
from fastgrad.nn.modules.loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, CTCLoss,
                                      GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                                      LinearCrossEntropyLoss, MarginRankingLoss, MSELoss, MultiLabelMarginLoss,
                                      MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss,
                                      SoftMarginLoss, TripletMarginLoss)
from fastgrad.nn.modules.module import Module
from fastgrad.nn.modules.normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, InstanceNorm1d,
                                               InstanceNorm2d, InstanceNorm3d, LayerNorm, RMSNorm)
from fastgrad.nn.modules.padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d,
                                         ConstantPad3d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d,
                                         ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, ZeroPad1d, ZeroPad2d,
                                         ZeroPad3d)
from fastgrad.nn.modules.pooling import (AdaptiveAvgPool1d, AdaptiveMaxPool1d, AvgPool1d, AvgPool2d, MaxPool1d,
                                         MaxPool2d)
from fastgrad.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from fastgrad.nn.modules.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                                             TransformerEncoder, TransformerEncoderLayer)
from fastgrad.nn.modules.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["AdaptiveAvgPool1d", "AdaptiveLogSoftmaxWithLoss", "AdaptiveMaxPool1d", "AlphaDropout", "AvgPool1d",
           "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "BCELoss", "BCEWithLogitsLoss", "Bilinear", "CELU",
           "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "CosineEmbeddingLoss", "CosineSimilarity",
           "CrossEntropyLoss", "CTCLoss", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "ELU", "Embedding",
           "EmbeddingBag", "FeatureAlphaDropout", "Flatten", "Fold", "GaussianNLLLoss", "GELU", "GLU", "GroupNorm",
           "GRU", "GRUCell", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh", "HingeEmbeddingLoss", "HuberLoss",
           "Identity", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "KLDivLoss", "L1Loss", "LayerNorm",
           "LeakyReLU", "Linear", "LinearCrossEntropyLoss", "LinearCrossEntropyOptions", "LogSigmoid", "LogSoftmax",
           "LSTM", "LSTMCell", "MarginRankingLoss", "MaxPool1d", "MaxPool2d", "Mish", "Module", "ModuleDict",
           "ModuleList", "MSELoss", "MultiheadAttention", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
           "MultiMarginLoss", "NLLLoss", "PairwiseDistance", "ParameterDict", "ParameterList", "PoissonNLLLoss",
           "PReLU", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReLU", "ReLU6", "ReplicationPad1d",
           "ReplicationPad2d", "ReplicationPad3d", "RMSNorm", "RNN", "RNNBase", "RNNCell", "RNNCellBase", "RReLU",
           "SELU", "Sequential", "Sigmoid", "SiLU", "SmoothL1Loss", "SoftMarginLoss", "Softmax", "Softmax2d", "Softmin",
           "Softplus", "Softshrink", "Softsign", "Tanh", "Tanhshrink", "Threshold", "Transformer", "TransformerDecoder",
           "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer", "TripletMarginLoss", "Unflatten",
           "Unfold", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]

from fastgrad.nn.modules.lazy import LazyLinear  # noqa: E402
from fastgrad.nn.modules.loss import TripletMarginWithDistanceLoss  # noqa: E402
from fastgrad.nn.modules.normalization import LocalResponseNorm  # noqa: E402
from fastgrad.nn.modules.pixel_shuffle import ChannelShuffle, PixelShuffle, PixelUnshuffle  # noqa: E402
from fastgrad.nn.modules.pooling import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, LPPool1d, LPPool2d,  # noqa: E402
                                         MaxUnpool1d, MaxUnpool2d)

__all__ += ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "ChannelShuffle", "LazyLinear", "LocalResponseNorm", "LPPool1d",
            "LPPool2d", "MaxUnpool1d", "MaxUnpool2d", "PixelShuffle", "PixelUnshuffle", "TripletMarginWithDistanceLoss"]

from fastgrad.nn.modules.lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d,  # noqa: E402
                                      LazyConv2d, LazyConvTranspose1d, LazyConvTranspose2d, LazyInstanceNorm1d,
                                      LazyInstanceNorm2d, LazyInstanceNorm3d)

__all__ += ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d", "LazyConvTranspose1d",
            "LazyConvTranspose2d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]
