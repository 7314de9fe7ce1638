"""The op table: every differentiable op, each a forward kernel call plus its backward formula.

Ops take and return NumPy arrays and call kernels of the current backend; `fastgrad.autograd.graph.apply`
records them. Users reach them through Tensor methods and `fastgrad.nn.functional`.
"""
from fastgrad.ops.assign import CopyFrom, Fill, IndexPut, RandomFill
from fastgrad.ops.elementwise import (Abs, Add, Clamp, Cos, Div, Elu, Exp, Expm1, FloorDivide, Gelu, Hardtanh,
                                      LeakyRelu, Log, Log1p, LogSigmoid, Maximum, Minimum, Mul, Neg, Pow, Prelu,
                                      Reciprocal, Relu, Remainder, Round, Rsqrt, Sigmoid, Sign, Silu, Sin, Softplus, Sqrt,
                                      Square, Sub, Tanh, Where)
from fastgrad.ops.indexing import (Argsort, Flip, Gather, IndexAdd, IndexSelect, MaskedFill, MaskedSelect, Roll,
                                   Scatter, ScatterAdd, Tril, Triu, Unique, unique_sorted)
from fastgrad.ops.linalg import Einsum, Linear, Matmul
from fastgrad.ops.nn import (BCEWithLogits, BinaryCrossEntropy, CRFLogPartition, Dropout, Embedding, EmbeddingBag, GRU, LayerNorm,
                             LinearCrossEntropy, LogSoftmax, LSTM, NLLLoss, RNN, Softmax, SoftmaxCrossEntropy)
from fastgrad.ops.reduction import AMax, AMin, Cumprod, Cumsum, LogSumExp, Max, Mean, Min, Norm, Prod, Std, Sum, Var
from fastgrad.ops.shape import (Cast, Cat, ConstantPad, Expand, GetItem, Permute, Repeat, RepeatInterleave, Reshape,
                                Stack, Unfold)
