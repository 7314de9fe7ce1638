"""The op table: every differentiable op, each a forward kernel call plus its backward formula.

Ops take and return NumPy arrays and call kernels of the current backend; `fastgrad.autograd.graph.apply`
records them. Users reach them through Tensor methods and `fastgrad.nn.functional`.
"""
from fastgrad.ops.assign import CopyFrom, Fill, IndexPut
from fastgrad.ops.elementwise import (Abs, Add, Clamp, Div, Exp, Hardtanh, LeakyRelu, Log, Maximum, Minimum, Mul,
                                      Neg, Pow, Prelu, Relu, Sigmoid, Silu, Sqrt, Sub, Tanh, Where)
from fastgrad.ops.indexing import (Argsort, Flip, Gather, IndexAdd, IndexSelect, MaskedFill, MaskedSelect, Roll,
                                   Scatter, ScatterAdd, Tril, Triu)
from fastgrad.ops.linalg import Linear, Matmul
from fastgrad.ops.nn import (RNN, BCEWithLogits, CRFLogPartition, Dropout, Embedding, EmbeddingBag, LogSoftmax,
                             NLLLoss, Softmax, SoftmaxCrossEntropy)
from fastgrad.ops.reduction import Max, Mean, Min, Sum
from fastgrad.ops.shape import Cast, Cat, Expand, GetItem, Permute, Reshape, Stack
