"""The Transformer encoder (Vaswani et al., 2017): TransformerEncoderLayer, TransformerEncoder, and
Transformer.generate_square_subsequent_mask, with PyTorch's arguments, submodules and parameter names."""
from __future__ import annotations

import copy
from typing import Callable

import numpy as np

from fastgrad.dtypes import as_dtype, default_float
from fastgrad.nn import functional as F
from fastgrad.nn.modules.activation import GELU, ReLU
from fastgrad.nn.modules.attention import MultiheadAttention, no_grad_needed
from fastgrad.nn.modules.container import ModuleList
from fastgrad.nn.modules.dropout import Dropout
from fastgrad.nn.modules.linear import Linear
from fastgrad.nn.modules.module import Module
from fastgrad.nn.modules.normalization import LayerNorm
from fastgrad.nn.multi_head_attention import float_mask
from fastgrad.tensor import Tensor, check_device


def _activation(activation: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    if isinstance(activation, str):
        if activation not in ("relu", "gelu"):
            raise RuntimeError(f"activation should be relu/gelu, not {activation}")
        return F.relu if activation == "relu" else F.gelu
    if not callable(activation):
        raise TypeError(f"activation must be 'relu', 'gelu' or a callable, got {type(activation).__name__}")
    return activation


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block (linear1, activation, linear2), each with dropout, a
    residual connection and LayerNorm: after each block (post-norm), or before it with norm_first."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        check_device("TransformerEncoderLayer", device)
        dtype = as_dtype(dtype) if dtype is not None else default_float
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)
        # PyTorch's flag for its native kernels (1 relu, 2 gelu, 0 other), read by its fast-path checks
        relu = self.activation is F.relu or isinstance(self.activation, ReLU)
        gelu = self.activation is F.gelu or isinstance(self.activation, GELU)
        self.activation_relu_or_gelu = 1 if relu else 2 if gelu else 0

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:
        if not isinstance(src, Tensor):
            raise TypeError(f"TransformerEncoderLayer: src must be a Tensor, got {type(src).__name__}")
        src_key_padding_mask = float_mask(src_key_padding_mask, "src_key_padding_mask", src.dtype, src_mask,
                                          "src_mask")
        src_mask = float_mask(src_mask, "src_mask", src.dtype)
        # PyTorch's native inference kernel gives NaN for a query that may attend to no key, as the attention's
        # need_weights path does (its training path gives zeros there)
        nan_for_blocked_queries = self._takes_pytorch_fast_path(src)
        x = src
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), src_mask, src_key_padding_mask, is_causal,
                                         nan_for_blocked_queries)
            x = x + self._feed_forward(self.norm2(x))
        else:
            x = self.norm1(x + self._self_attention(x, src_mask, src_key_padding_mask, is_causal,
                                                    nan_for_blocked_queries))
            x = self.norm2(x + self._feed_forward(x))
        return x

    def _self_attention(self, x: Tensor, mask: Tensor | None, key_padding_mask: Tensor | None, is_causal: bool,
                        nan_for_blocked_queries: bool) -> Tensor:
        output, _ = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask,
                                   need_weights=nan_for_blocked_queries, is_causal=is_causal)
        return self.dropout1(output)

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _supports_pytorch_native_kernel(self) -> bool:
        """The layer-shape conditions of PyTorch's native encoder-layer kernel."""
        attention = self.self_attn
        return (attention.batch_first and attention.in_proj_bias is not None and attention._qkv_same_embed_dim
                and self.activation_relu_or_gelu != 0 and self.norm1.eps == self.norm2.eps
                and attention.num_heads % 2 == 0)

    def _takes_pytorch_fast_path(self, src: Tensor) -> bool:
        """PyTorch's conditions for its native kernel (TransformerEncoderLayer.forward's fast path)."""
        return (not self.training and src.ndim == 3 and self._supports_pytorch_native_kernel()
                and no_grad_needed([src, *self.parameters()]))


class TransformerEncoder(Module):
    """num_layers deep copies of encoder_layer applied in turn (parameters layers.0.self_attn.in_proj_weight,
    ...), then the optional norm."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"TransformerEncoder: encoder_layer must be a Module, got {type(encoder_layer).__name__}")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check
        self.use_nested_tensor = (enable_nested_tensor and isinstance(encoder_layer, TransformerEncoderLayer)
                                  and not encoder_layer.norm_first
                                  and encoder_layer._supports_pytorch_native_kernel())

    def forward(self, src: Tensor, mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        if not isinstance(src, Tensor):
            raise TypeError(f"TransformerEncoder: src must be a Tensor, got {type(src).__name__}")
        padding = src_key_padding_mask
        src_key_padding_mask = float_mask(src_key_padding_mask, "src_key_padding_mask", src.dtype, mask, "mask")
        mask = float_mask(mask, "mask", src.dtype)
        if is_causal is None:  # as PyTorch, a mask equal to the causal one is taken for the is_causal hint
            batch_first = len(self.layers) > 0 and self.layers[0].self_attn.batch_first
            length = src.shape[1 if batch_first and src.ndim == 3 else 0]
            is_causal = mask is not None and mask.shape == (length, length) and bool(
                np.all(mask._data == _square_subsequent_mask(length, mask.dtype)))
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if self._takes_pytorch_nested_path(src, mask, padding):
            # PyTorch runs this case on nested tensors holding only the real tokens and pads the result
            # with zeros: padded positions come out as 0 (before the final norm)
            output = output.masked_fill(Tensor(padding._data[..., None] if padding.dtype == np.bool_ else
                                               np.isneginf(padding._data)[..., None]), 0.0)
        return output if self.norm is None else self.norm(output)

    def _takes_pytorch_nested_path(self, src: Tensor, mask: Tensor | None, padding: Tensor | None) -> bool:
        """PyTorch's conditions for running the layers on nested tensors (TransformerEncoder.forward)."""
        first = self.layers[0] if len(self.layers) else None
        if not (self.use_nested_tensor and first is not None and not first.training and src.ndim == 3
                and padding is not None and mask is None):
            return False
        blocked = padding._data if padding.dtype == np.bool_ else np.isneginf(padding._data)
        # mask_check: each sequence's padding must be at its end (a left-aligned mask)
        left_aligned = bool(np.all(blocked[:, 1:] >= blocked[:, :-1]))
        return (left_aligned or not self.mask_check) and no_grad_needed([src, *first.parameters()])


def _square_subsequent_mask(size: int, dtype: np.dtype) -> np.ndarray:
    return np.triu(np.full((size, size), -np.inf, dtype=dtype), k=1)


class Transformer(Module):
    """Only the static generate_square_subsequent_mask so far: the encoder-decoder model itself is not
    implemented in fastgrad (use TransformerEncoder)."""

    def __init__(self, *args, **kwargs) -> None:
        raise NotImplementedError("nn.Transformer (the encoder-decoder model) is not implemented in fastgrad; "
                                  "nn.TransformerEncoder and nn.TransformerEncoderLayer are")

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """A float (sz, sz) causal mask: -inf above the diagonal (future positions), 0 elsewhere."""
        check_device("generate_square_subsequent_mask", device)
        if isinstance(sz, bool) or not isinstance(sz, (int, np.integer)) or sz < 0:
            raise ValueError(f"generate_square_subsequent_mask: sz must be a non-negative int, got {sz!r}")
        return Tensor(_square_subsequent_mask(int(sz), as_dtype(dtype) if dtype is not None else default_float))
