"""The op table: every differentiable op, each a forward kernel call plus its backward formula.

Ops take and return NumPy arrays and call kernels of the current backend; `fastgrad.autograd.graph.apply`
records them. Users reach them through Tensor methods and `fastgrad.nn.functional`.
"""
from fastgrad.ops.assign import CopyFrom, Fill, IndexPut, RandomFill
from fastgrad.ops.elementwise import (Abs, Acos, Acosh, Add, Asin, Asinh, Atan, Atan2, Atanh, Clamp,
                                      ClampBetweenTensors, Cos, Cosh, Div, Elu, Erf, Erfc, Exp, Expm1, FloorDivide,
                                      Fmod, Gelu, Hardtanh, Hypot, LeakyRelu, Log, Log1p, LogAddExp, LogAddExp2,
                                      LogSigmoid, Maximum, Minimum, Mul, Neg, Pow, PowOfConstant, PowOfNumber, Prelu, Reciprocal, Relu, Remainder,
                                      Round, RoundedDivide, Rsqrt, Sigmoid, Sign, Silu, Sin, Sinh, Softplus, Sqrt,
                                      Square, Sub, Tan, Tanh, Where, ZeroNan)
from fastgrad.ops.elementwise import (Copysign, Entr, Erfinv, Exp2, Fmax, Fmin, I0, Ldexp, Lgamma, Log2, Log10, Logit,
                                      LogNdtr, NanToNum, Ndtr, Ndtri, Nextafter, Polygamma, Sinc, Xlogy)
from fastgrad.ops.indexing import (Argsort, Flip, Gather, IndexAdd, IndexCopy, IndexSelect, MaskedFill, MaskedSelect,
                                   Roll, Scatter, ScatterAdd, ScatterReduce, Tril, Triu, Unique, unique_sorted)
from fastgrad.ops.linalg import Einsum, Linear, Matmul
from fastgrad.ops.nn import (BCEWithLogits, BinaryCrossEntropy, CRFLogPartition, CTCLoss, Dropout, Embedding, EmbeddingBag,
                             EmbeddingBagMax, GRU, LayerNorm, LinearCrossEntropy, LogSoftmax, LSTM, NLLLoss, RNN,
                             Softmax, SoftmaxCrossEntropy, WeightedEmbeddingBag)
from fastgrad.ops.reduction import (AMax, AMin, Cumprod, Cumsum, LogCumSumExp, LogSumExp, Max, Mean, Median, Min,
                                    NanMedian, Norm, Prod, Std, Sum, Var)
from fastgrad.ops.shape import (AsStrided, Cast, Cat, ConstantPad, Diagonal, Expand, GetItem, Permute, Repeat,
                                RepeatInterleave, Reshape, Stack, Unfold)
from fastgrad.ops.elementwise import Angle, Frexp
from fastgrad.ops.view_scatter import ViewScatter
