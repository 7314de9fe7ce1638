"""Numba kernels, one module per family, with the signatures of `fastgrad.backends.numpy`.

`KERNELS` maps a kernel's name to its compiled version; the compiled backend lays it over the NumPy
kernels. Only kernels measured faster than their NumPy reference are listed (docs/notes/numba.md).
Importing compiles nothing: each kernel compiles on its first call, once per float dtype, and is
cached on disk (`cache=True`), so later processes load it instead.
"""
from fastgrad.kernels import activation, crf, dropout, embedding, optim

KERNELS = {
    "embedding_backward": embedding.embedding_backward,
    "embedding_bag": embedding.embedding_bag,
    "embedding_bag_backward": embedding.embedding_bag_backward,
    "relu": activation.relu,
    "relu_backward": activation.relu_backward,
    "leaky_relu": activation.leaky_relu,
    "leaky_relu_backward": activation.leaky_relu_backward,
    "hardtanh_backward": activation.hardtanh_backward,
    "tanh_backward": activation.tanh_backward,
    "sigmoid": activation.sigmoid,
    "sigmoid_backward": activation.sigmoid_backward,
    "silu": activation.silu,
    "silu_backward": activation.silu_backward,
    "dropout_mask": dropout.dropout_mask,
    "coalesce_rows": optim.coalesce_rows,
    "sgd_rows_update": optim.sgd_rows_update,
    "adagrad_rows_update": optim.adagrad_rows_update,
    "sparse_adam_rows_update": optim.sparse_adam_rows_update,
    "crf_forward": crf.crf_forward,
    "crf_backward": crf.crf_backward,
    "crf_viterbi": crf.crf_viterbi,
}
