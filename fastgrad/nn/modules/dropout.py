"""Dropout layers (inverted dropout: identity in eval mode): of elements, of whole channels, and alpha dropout
for selu networks."""
from __future__ import annotations

from fastgrad.nn import functional as F
from fastgrad.nn.modules.module import Module
from fastgrad.tensor import Tensor


class _DropoutNd(Module):
    """p, the probability of dropping, and inplace, as PyTorch's; forward is F.<functional> in training mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        F._dropout_probability(type(self).__name__, p)
        self.p, self.inplace = p, inplace  # p as given, as PyTorch keeps (and prints) it

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """At train time zero each element with probability p and scale the survivors by 1/(1-p)
    (Srivastava et al., 2014, in the inverted form), so eval() needs no rescaling."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Dropout of whole channels of (N, C, L) or (C, L) inputs (see F.dropout1d)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Dropout of whole channels of (N, C, H, W) inputs (see F.dropout2d)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Dropout of whole channels of (N, C, D, H, W) or (C, D, H, W) inputs (see F.dropout3d)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout for selu networks (see F.alpha_dropout). `inplace` is kept but not used, as in PyTorch's
    layer: the input is never changed."""

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (see F.feature_alpha_dropout); `inplace` unused, as in PyTorch's layer."""

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)
