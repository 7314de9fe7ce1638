"""torch's top-level forms of nn.functional's functions, with PyTorch's own (aten) signatures, which often differ
from F's: `torch.dropout(input, p, train)` with train required, `torch.embedding(weight, indices, padding_idx=-1,
...)` with its first two arguments the other way round and a negative padding_idx for none, losses taking
`reduction` as an int (0 'none', the default, 1 'mean', 2 'sum'), normalizations with every argument required,
and in-place forms (`torch.dropout_`, `torch.selu_`, ...) that F spells `inplace=True`. Each calls the F function
it stands for; those whose signature is F's are F's own functions."""
from __future__ import annotations

import numpy as np

from fastgrad import backends
from fastgrad.autograd.grad_mode import is_grad_enabled
from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import check_tensors

# Where the signatures agree, the functions are F's
(adaptive_avg_pool1d, bilinear, conv1d, conv2d, conv_transpose1d, conv_transpose2d, cosine_similarity, hardshrink,
 pairwise_distance, pdist, rms_norm) = (
    F.adaptive_avg_pool1d, F.bilinear, F.conv1d, F.conv2d, F.conv_transpose1d, F.conv_transpose2d, F.cosine_similarity,
    F.hardshrink, F.pairwise_distance, F.pdist, F.rms_norm)

_REDUCTIONS = ("none", "mean", "sum")  # aten's reduction enum: 0, 1, 2


def _reduction(name: str, reduction) -> str:
    if isinstance(reduction, (bool, np.bool_)) or not isinstance(reduction, (int, np.integer)):
        raise TypeError(f"{name}: reduction must be an int (0 'none', 1 'mean', 2 'sum'), got "
                        f"{type(reduction).__name__} {reduction!r}")
    if not 0 <= reduction <= 2:  # (PyTorch's kernels read other ints as 'none' or 'sum')
        raise ValueError(f"{name}: reduction must be 0 ('none'), 1 ('mean') or 2 ('sum'), got {reduction}")
    return _REDUCTIONS[reduction]


def _input(name: str, input) -> Tensor:
    """The first argument, checked where F would return it untouched (dropout when not training)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): input must be a Tensor, got {type(input).__name__}")
    return input


def _flag(name: str, label: str, value) -> bool:
    """A required bool (`train`, `training`, ...): PyTorch refuses anything else rather than read its truth."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: {label} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def _stride(stride):
    """aten's pooling stride: an empty list (its default) means the kernel size, as F's None does."""
    return None if stride is None or (isinstance(stride, (list, tuple)) and not stride) else stride


# -- activations ------------------------------------------------------------------------------------
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    return F.prelu(input, weight)


def selu(input: Tensor) -> Tensor:
    return F.selu(input)


def selu_(input: Tensor) -> Tensor:
    return F.selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    return F.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return F.celu(input, alpha, inplace=True)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return F.threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return F.threshold(input, threshold, value, inplace=True)


def _rrelu(name: str, input: Tensor, lower, upper, training, generator, inplace: bool) -> Tensor:
    if generator is not None:
        raise NotImplementedError(f"{name}: generator= is not supported (fastgrad's rrelu draws its slopes from the "
                                  "global generator); seed that one with fastgrad.manual_seed")
    return F.rrelu(_input(name, input), lower, upper, _flag(name, "training", training), inplace=inplace)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          generator=None) -> Tensor:
    return _rrelu("rrelu", input, lower, upper, training, generator, inplace=False)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
           generator=None) -> Tensor:
    return _rrelu("rrelu_", input, lower, upper, training, generator, inplace=True)


# -- dropout: `train` is required ------------------------------------------------------------------
def _dropout(function, name: str, input: Tensor, p, train, inplace: bool = False) -> Tensor:
    return function(_input(name, input), p, _flag(name, "train", train), inplace=inplace)


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout(F.dropout, "dropout", input, p, train)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout(F.dropout, "dropout_", input, p, train, inplace=True)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout(F.alpha_dropout, "alpha_dropout", input, p, train)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout(F.alpha_dropout, "alpha_dropout_", input, p, train, inplace=True)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout(F.feature_alpha_dropout, "feature_alpha_dropout", input, p, train)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout(F.feature_alpha_dropout, "feature_alpha_dropout_", input, p, train, inplace=True)


def _feature_dropout(name: str, input: Tensor, p, train, inplace: bool) -> Tensor:
    """Dropout of whole channels (dim 1) of any input of 2 dims or more, as aten's feature_dropout (F's
    dropout1d/2d/3d, which this is for their ranks, check or warn about the rank)."""
    p = F._dropout_probability(name, p)
    return F._feature_dropout(name, _input(name, input), p, _flag(name, "train", train), inplace, batched=True)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return _feature_dropout("feature_dropout", input, p, train, inplace=False)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _feature_dropout("feature_dropout_", input, p, train, inplace=True)


# -- pooling: the stride defaults to the kernel size, given as []; max pooling returns no indices --------
def max_pool1d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False) -> Tensor:
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False) -> Tensor:
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def avg_pool1d(input: Tensor, kernel_size, stride=(), padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode: bool = False) -> tuple[Tensor, Tensor]:
    """max_pool1d's maxima and their positions."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode, return_indices=True)


def adaptive_max_pool1d(input: Tensor, output_size) -> tuple[Tensor, Tensor]:
    """The maxima and their positions, always (F's return_indices=True)."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


# -- embedding and normalizations -----------------------------------------------------------------
def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """F.embedding(indices, weight, ...). padding_idx is a row number, and any number outside [0,
    num_embeddings) (-1 by default) means none, as in aten (F first turns a negative one into a row number)."""
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError(f"embedding: padding_idx must be an int, got {type(padding_idx).__name__}")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a 2-D tensor (num_embeddings, dim), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got "
                        f"{getattr(indices, 'dtype', type(indices).__name__)}")
    padding = padding_idx if 0 <= padding_idx < weight.shape[0] else None
    return F.embedding(indices, weight, padding, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def embedding_renorm_(input: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> Tensor:
    """The rows of the 2-D input at indices whose norm_type-norm exceeds max_norm scaled, in place, to norm max_norm
    (over norm + 1e-7), as F.embedding's max_norm does; returns input. It has no derivative (PyTorch's backward
    raises), so with grad mode on an input that requires grad is refused at once."""
    name = "embedding_renorm_"
    if not isinstance(input, Tensor) or input.ndim != 2 or input.dtype.kind != "f":
        raise ValueError(f"{name}: input must be a 2-D floating point tensor, got "
                         f"{getattr(input, 'shape', type(input).__name__)} {getattr(input, 'dtype', '')}")
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be an integer tensor, got "
                        f"{getattr(indices, 'dtype', type(indices).__name__)}")
    if input.requires_grad and is_grad_enabled():
        if input.is_leaf:
            raise RuntimeError(f"{name}: a leaf tensor that requires grad is being used in an in-place operation; "
                               "call it under fastgrad.no_grad()")
        raise NotImplementedError(f"{name}: its derivative is not implemented (PyTorch's backward raises); call it "
                                  "under fastgrad.no_grad() on a tensor outside the graph")
    F._renorm_rows_(input, F._ids(indices, input.shape[0], name), max_norm, norm_type, name)
    return input


_BAG_MODES = ("sum", "mean", "max")  # aten's embedding_bag mode: 0, 1, 2


def embedding_bag(weight: Tensor, indices: Tensor, offsets: Tensor, scale_grad_by_freq: bool = False, mode: int = 0,
                  sparse: bool = False, per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """F.embedding_bag(indices, weight, offsets, ...) with mode an int (0 'sum', 1 'mean', 2 'max') and 1-D
    indices, returning aten's four tensors (the last three of the dtype indices and offsets promote to):
    - output (bags, dim), F's;
    - offset2bag: the bag of each index;
    - bag_size: the number of indices other than padding_idx in each bag for 'mean' and 'max'; zeros for
      'sum' (with include_last_offset, one more, for the last offset, when neither weight nor
      per_sample_weights requires grad, as PyTorch's CPU kernel gives);
    - max_indices: for 'max', the row each maximum came from (0 for an empty bag); bag_size again for
      'mean', the zeros again for 'sum'."""
    name = "embedding_bag"
    if isinstance(mode, (bool, np.bool_)) or not isinstance(mode, (int, np.integer)):
        raise TypeError(f"{name}: mode must be an int (0 'sum', 1 'mean', 2 'max'), got {type(mode).__name__}")
    if not 0 <= mode <= 2:
        raise ValueError(f"{name}: mode must be 0 ('sum'), 1 ('mean') or 2 ('max'), got {mode}")
    for label, tensor in (("indices", indices), ("offsets", offsets)):
        if not isinstance(tensor, Tensor) or tensor.dtype.kind not in "iu" or tensor.ndim != 1:
            raise TypeError(f"{name}: {label} must be a 1-D integer tensor, got "
                            f"{getattr(tensor, 'shape', '')} {getattr(tensor, 'dtype', type(tensor).__name__)}")
    index_dtype = np.result_type(indices.dtype, offsets.dtype)  # as PyTorch promotes them
    if index_dtype not in (np.int32, np.int64):
        raise TypeError(f"{name}: indices and offsets must promote to int64 or int32, got {indices.dtype} and "
                        f"{offsets.dtype} (promoting to {index_dtype})")
    include_last_offset = _flag(name, "include_last_offset", include_last_offset)
    output = F.embedding_bag(indices, weight, offsets, scale_grad_by_freq=_flag(name, "scale_grad_by_freq",
                                                                                 scale_grad_by_freq),
                             mode=_BAG_MODES[mode], sparse=_flag(name, "sparse", sparse),
                             per_sample_weights=per_sample_weights, include_last_offset=include_last_offset,
                             padding_idx=padding_idx)
    ids, starts = indices._data.astype(np.int64), offsets._data.astype(np.int64)
    bags = starts.size - include_last_offset
    starts = starts[:bags]
    offset2bag = np.searchsorted(starts, np.arange(ids.size), side="right") - 1
    if mode == 0:
        # PyTorch's CPU kernel gives one zero per offset when nothing requires grad, one per bag otherwise
        # (its two paths differ with include_last_offset)
        differentiable = weight.requires_grad or getattr(per_sample_weights, "requires_grad", False)
        bag_size = max_indices = np.zeros(bags if differentiable else offsets.shape[0], dtype=np.int64)
    else:
        padding = F._padding_index(padding_idx, weight.shape[0], RuntimeError)
        kept = np.ones(ids.size, dtype=bool) if padding is None else ids != padding
        bag_size = np.bincount(offset2bag[kept], minlength=bags)
        max_indices = bag_size if mode == 1 else _rows_of_maxima(weight, ids, starts, padding)
    return output, *(Tensor._from_data(a.astype(index_dtype)) for a in (offset2bag, bag_size, max_indices))


def _rows_of_maxima(weight: Tensor, ids: np.ndarray, starts: np.ndarray, padding: int | None) -> np.ndarray:
    """Per bag and dimension, the row its 'max' came from (0 for an empty bag), by the kernel of F's max bags."""
    if padding is not None:
        ids, starts, _ = F._without_padding(ids, starts, None, padding, weight.shape[0])
    _, positions = backends.CURRENT.kernels.embedding_bag_max(weight._data, ids, starts)
    return np.where(positions >= 0, ids[np.maximum(positions, 0)], 0) if ids.size else np.zeros_like(positions)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5, cudnn_enable: bool = True) -> Tensor:
    _flag("layer_norm", "cudnn_enable", cudnn_enable)
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5, cudnn_enabled: bool = True) -> Tensor:
    _flag("group_norm", "cudnn_enabled", cudnn_enabled)
    return F.group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
               running_var: Tensor | None, training: bool, momentum: float, eps: float,
               cudnn_enabled: bool) -> Tensor:
    """F.batch_norm with aten's order (weight and bias first) and every argument required."""
    _flag("batch_norm", "cudnn_enabled", cudnn_enabled)
    return F.batch_norm(input, running_mean, running_var, weight, bias, _flag("batch_norm", "training", training),
                        momentum, eps)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
                  running_var: Tensor | None, use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool) -> Tensor:
    """F.instance_norm with aten's order (weight and bias first) and every argument required."""
    _flag("instance_norm", "cudnn_enabled", cudnn_enabled)
    return F.instance_norm(input, running_mean, running_var, weight, bias,
                           _flag("instance_norm", "use_input_stats", use_input_stats), momentum, eps)


# -- losses: reduction is 0 ('none'), 1 ('mean') or 2 ('sum'). The default is 0, no reduction: aten's
# schemas say Mean, but PyTorch's Python binding reads that default as 0 (torch.kl_div(x, t) is unreduced)
def kl_div(input: Tensor, target: Tensor, reduction: int = 0, *, log_target: bool = False) -> Tensor:
    """F.kl_div; its 'mean' is over every element, without F's warning about it (aten's has none)."""
    reduction = _reduction("kl_div", reduction)
    losses = F.kl_div(input, target, reduction="none" if reduction == "mean" else reduction, log_target=log_target)
    return losses.mean() if reduction == "mean" else losses


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None, reduction: int = 0) -> Tensor:
    return F.binary_cross_entropy_with_logits(input, target, weight, pos_weight=pos_weight,
                                              reduction=_reduction("binary_cross_entropy_with_logits", reduction))


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: int = 0) -> Tensor:
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction("cosine_embedding_loss", reduction))


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, reduction: int = 0) -> Tensor:
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction("hinge_embedding_loss", reduction))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: int = 0) -> Tensor:
    # (no check of the numbers of dims: only nn.functional's form makes it)
    check_tensors("margin_ranking_loss", input1=input1, input2=input2, target=target)
    return F._margin_ranking_loss(input1, input2, target, margin,
                                  _reduction("margin_ranking_loss", reduction))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, reduction: int = 0) -> Tensor:
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction("triplet_margin_loss", reduction))


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0, reduction: int = 0,
             zero_infinity: bool = False) -> Tensor:
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _reduction("ctc_loss", reduction),
                      _flag("ctc_loss", "zero_infinity", zero_infinity))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float,
                     reduction: int) -> Tensor:
    """F.poisson_nll_loss with every argument required, as aten's."""
    return F.poisson_nll_loss(input, target, _flag("poisson_nll_loss", "log_input", log_input),
                              _flag("poisson_nll_loss", "full", full), eps=eps,
                              reduction=_reduction("poisson_nll_loss", reduction))
