"""The op table: every differentiable op, each a forward kernel call plus its backward formula.

Ops take and return NumPy arrays and call kernels of the current backend; `fastgrad.autograd.graph.apply`
records them. Users reach them through Tensor methods and `fastgrad.nn.functional`.
"""
from fastgrad.ops.elementwise import (Abs, Add, Clamp, Div, Elu, Exp, Gelu, Hardtanh, LeakyRelu, Log, LogSigmoid,
                                      Maximum, Minimum, Mul, Neg, Pow, Prelu, Relu, Sigmoid, Silu, Softplus, Sqrt, Sub,
                                      Tanh, Where)
from fastgrad.ops.linalg import Linear, Matmul
from fastgrad.ops.nn import (RNN, BCEWithLogits, Dropout, Embedding, EmbeddingBag, LayerNorm, LogSoftmax, NLLLoss,
                             Softmax, SoftmaxCrossEntropy)
from fastgrad.ops.reduction import Max, Mean, Min, Sum, VectorNorm
from fastgrad.ops.shape import Cast, Cat, ConstantPad, Expand, GetItem, Permute, Reshape, Stack
