"""Loss layers: thin Modules over fastgrad.nn.functional."""
from __future__ import annotations

import math

from fastgrad.nn import functional as F
from fastgrad.nn.modules.distance import PairwiseDistance
from fastgrad.nn.modules.linear import Linear
from fastgrad.nn.modules.module import Module
from fastgrad.tensor import Tensor, check_device


class _Loss(Module):
    """The reduction is kept as given and read by the functional loss on each call, as PyTorch's (where
    'elementwise_mean', its old name of 'mean', warns); PyTorch's deprecated size_average and reduce, when either
    is given, decide it here instead, with PyTorch's warning (see F._reduction)."""

    reductions = ("mean", "sum", "none")  # (the names the error lists; "elementwise_mean" is taken too)

    def __init__(self, reduction: str = "mean", *, size_average=None, reduce=None) -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = F._legacy_reduction(size_average, reduce)
        elif reduction not in (*self.reductions, "elementwise_mean"):
            raise ValueError(f"reduction must be {', '.join(map(repr, self.reductions[:-1]))} or "
                             f"{self.reductions[-1]!r}, got {reduction!r}")
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """Class weights are a buffer, as in PyTorch: saved in state_dict and cast by `.to(dtype)`."""

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean", *, size_average=None,
                 reduce=None) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce)
        self.register_buffer("weight", weight)


class LinearCrossEntropyLoss(_WeightedLoss):
    """A Linear(in_features, num_classes * prod(out_features), bias) and the cross-entropy of its logits in
    one module, as PyTorch's; forward(input, target) is F.linear_cross_entropy (fused for class-index
    targets without class weights or label smoothing). The weight is stored flat, as PyTorch stores it
    (`linear.weight`), and reshaped to (num_classes, *out_features, in_features) for each call."""

    def __init__(self, in_features: int, num_classes: int, *, out_features: tuple = (), bias: bool = False,
                 device=None, dtype=None, reduction: str = "mean", weight: Tensor | None = None,
                 ignore_index: int | None = None, label_smoothing: float = 0.0, options=None) -> None:
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise ValueError(f"LinearCrossEntropyLoss: expected weight of shape {(num_classes,)}, got "
                             f"{tuple(weight.shape)}")
        if label_smoothing < 0.0 or label_smoothing > 1.0:  # (NaN passes, as PyTorch's check)
            raise RuntimeError(f"LinearCrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got "
                               f"{label_smoothing}")
        check_device("LinearCrossEntropyLoss", device)
        super().__init__(weight, reduction)
        self.num_classes, self.out_features = num_classes, tuple(out_features)
        self.ignore_index, self.label_smoothing, self.options = ignore_index, label_smoothing, options
        self.linear = Linear(in_features, math.prod(self.out_features, start=num_classes), bias=bias, dtype=dtype)

    def forward(self, input: Tensor, target) -> Tensor:
        shape = (self.num_classes, *self.out_features)
        bias = None if self.linear.bias is None else self.linear.bias.reshape(shape)
        return F.linear_cross_entropy(input, self.linear.weight.reshape(*shape, self.linear.in_features), target,
                                      linear_bias=bias, weight=self.weight, reduction=self.reduction,
                                      ignore_index=self.ignore_index, label_smoothing=self.label_smoothing,
                                      options=self.options)

    def extra_repr(self) -> str:
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, reduction={self.reduction}, "
                f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}, options={self.options}")


class CrossEntropyLoss(_WeightedLoss):
    """Softmax over the class scores (dim 1) + negative log-likelihood; see F.cross_entropy."""

    def __init__(self, weight: Tensor | None = None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0, size_average=None, reduce=None) -> None:
        super().__init__(weight, reduction, size_average=size_average, reduce=reduce)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    def __init__(self, weight: Tensor | None = None, *, ignore_index: int = -100, reduction: str = "mean",
                 size_average=None, reduce=None) -> None:
        super().__init__(weight, reduction, size_average=size_average, reduce=reduce)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid + binary cross-entropy; see F.binary_cross_entropy_with_logits. `pos_weight` is a buffer
    too, as in PyTorch."""

    def __init__(self, weight: Tensor | None = None, *, reduction: str = "mean",
                 pos_weight: Tensor | None = None, size_average=None, reduce=None) -> None:
        super().__init__(weight, reduction, size_average=size_average, reduce=reduce)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities; see F.binary_cross_entropy."""

    def forward(self, input: Tensor, target) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    def __init__(self, reduction: str = "mean", beta: float = 1.0, *, size_average=None, reduce=None) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce)
        self.beta = beta

    def forward(self, input: Tensor, target) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """See F.kl_div: the input holds log-probabilities; reduction="batchmean" is the KL divergence."""

    reductions = ("mean", "batchmean", "sum", "none")

    def __init__(self, reduction: str = "mean", log_target: bool = False, *, size_average=None, reduce=None) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce)
        self.log_target = log_target

    def forward(self, input: Tensor, target) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class MSELoss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class _MarginLoss(_Loss):
    """A loss with one margin argument (PyTorch shows none of these arguments in the repr)."""

    def __init__(self, margin: float = 0.0, *, reduction: str = "mean", size_average=None, reduce=None) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce)
        self.margin = margin


class MarginRankingLoss(_MarginLoss):
    def forward(self, input1: Tensor, input2: Tensor, target) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    def __init__(self, margin: float = 1.0, *, reduction: str = "mean", size_average=None, reduce=None) -> None:
        super().__init__(margin, reduction=reduction, size_average=size_average, reduce=reduce)

    def forward(self, input: Tensor, target) -> Tensor:
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_MarginLoss):
    def forward(self, input1: Tensor, input2: Tensor, target) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False, *,
                 reduction: str = "mean", size_average=None, reduce=None) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
                                     reduction=self.reduction)


class SoftMarginLoss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    def forward(self, input: Tensor, target) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None, *,
                 reduction: str = "mean", size_average=None, reduce=None) -> None:
        super().__init__(weight, reduction, size_average=size_average, reduce=reduce)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p!r}")
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target) -> Tensor:
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    def __init__(self, log_input: bool = True, full: bool = False, size_average=None, eps: float = 1e-8,
                 reduce=None, reduction: str = "mean") -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target) -> Tensor:
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target, var) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, reduction=self.reduction)


class CTCLoss(_Loss):
    """The connectionist temporal classification loss; see F.ctc_loss."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths, target_lengths) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)


class TripletMarginWithDistanceLoss(_Loss):
    """F.triplet_margin_with_distance_loss as a layer; the distance defaults to a PairwiseDistance() child,
    as PyTorch's (a distance that is a Module is a child, in the printout and state_dict)."""

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be greater than 0, got {margin}")
        self.distance_function = PairwiseDistance() if distance_function is None else distance_function
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)
