"""The Transformer (Vaswani et al., 2017): encoder and decoder layers, their stacks and the
encoder-decoder model, with PyTorch's arguments, submodules and parameter names, so its state dicts load."""
from __future__ import annotations

import copy
import warnings
from typing import Any, Callable

import numpy as np

from fastgrad.dtypes import dtype_or_default
from fastgrad.nn import functional as F
from fastgrad.nn import init
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


def _check_tensors(owner: str, **tensors: Any) -> None:
    for name, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{owner}: {name} must be a Tensor, got {type(value).__name__}")


class _TransformerLayer(Module):
    """What encoder and decoder layers share: self-attention (and, in the decoder, attention over the
    encoder's output), the feed-forward block linear1, activation, dropout, linear2, and per block a dropout,
    a residual connection and a LayerNorm: after the sum (post-norm) or, with norm_first, before the block.
    Submodules are registered in PyTorch's order, so state dicts and reprs match its."""

    def __init__(self, owner: str, cross_attention: bool, d_model: int, nhead: int, dim_feedforward: int,
                 dropout: float, activation: str | Callable[[Tensor], Tensor], layer_norm_eps: float,
                 batch_first: bool, norm_first: bool, bias: bool, device, dtype) -> None:
        super().__init__()
        check_device(owner, device)
        dtype = dtype_or_default(dtype)

        def attention() -> MultiheadAttention:
            return MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype)

        def norm() -> LayerNorm:
            return LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)

        self.self_attn = attention()
        if cross_attention:
            self.multihead_attn = attention()
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        # a LayerNorm and a dropout per block: self-attention, (cross-attention,) feed-forward
        self.norm1, self.norm2 = norm(), norm()
        if cross_attention:
            self.norm3 = norm()
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)
        if cross_attention:
            self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def _residual(self, x: Tensor, norm: LayerNorm, block: Callable[[Tensor], Tensor]) -> Tensor:
        """x + block(norm(x)) with norm_first (Xiong et al., 2020), else norm(x + block(x))."""
        return x + block(norm(x)) if self.norm_first else norm(x + block(x))

    def _self_attention(self, x: Tensor, mask: Tensor | None, key_padding_mask: Tensor | None, is_causal: bool,
                        need_weights: bool = False) -> Tensor:
        output, _ = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask,
                                   need_weights=need_weights, is_causal=is_causal)
        return self.dropout1(output)

    def _feed_forward(self, x: Tensor, output_dropout: Dropout) -> Tensor:
        return output_dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a feed-forward block (linear1, activation, linear2), each with dropout, a
    residual connection and LayerNorm: after each block (post-norm), or before it with norm_first."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__("TransformerEncoderLayer", False, d_model, nhead, dim_feedforward, dropout, activation,
                         layer_norm_eps, batch_first, norm_first, bias, device, dtype)
        # PyTorch's flag for its native kernels (1 relu, 2 gelu, 0 other), read by its fast-path checks
        relu = self.activation is F.relu or isinstance(self.activation, ReLU)
        gelu = self.activation is F.gelu or isinstance(self.activation, GELU)
        self.activation_relu_or_gelu = 1 if relu else 2 if gelu else 0

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:
        _check_tensors("TransformerEncoderLayer", src=src)
        src_key_padding_mask = float_mask(src_key_padding_mask, "src_key_padding_mask", src.dtype, src_mask,
                                          "src_mask")
        src_mask = float_mask(src_mask, "src_mask", src.dtype)
        # PyTorch's native inference kernel gives NaN for a query that may attend to no key, as the attention's
        # need_weights path does (its training path gives zeros there)
        nan_for_blocked_queries = self._takes_pytorch_fast_path(src)
        x = self._residual(src, self.norm1, lambda x: self._self_attention(
            x, src_mask, src_key_padding_mask, is_causal, need_weights=nan_for_blocked_queries))
        return self._residual(x, self.norm2, lambda x: self._feed_forward(x, self.dropout2))

    def _pytorch_native_kernel_obstacle(self, name: str) -> str:
        """Why the layer's shape rules out PyTorch's native encoder-layer kernel ('' if it does not), in the
        words of PyTorch's warning about `name`."""
        attention = self.self_attn
        obstacles = (
            (not attention.batch_first,
             f"{name}.self_attn.batch_first was not True(use batch_first for better inference performance)"),
            (not attention._qkv_same_embed_dim, f"{name}.self_attn._qkv_same_embed_dim was not True"),
            (attention.in_proj_bias is None, f"{name}.self_attn was passed bias=False"),
            (not self.activation_relu_or_gelu, f"{name}.activation_relu_or_gelu was not True"),
            (self.norm1.eps != self.norm2.eps, f"{name}.norm1.eps was not equal to {name}.norm2.eps"),
            (attention.num_heads % 2 == 1, f"{name}.self_attn.num_heads is odd"))
        return next((reason for failed, reason in obstacles if failed), "")

    def _takes_pytorch_fast_path(self, src: Tensor) -> bool:
        """PyTorch's conditions for its native kernel (TransformerEncoderLayer.forward's fast path)."""
        return (not self.training and src.ndim == 3 and not self._pytorch_native_kernel_obstacle("self")
                and no_grad_needed([src, *self.parameters()]))


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention over the target, attention from the target to `memory` (the encoder's output), then
    a feed-forward block, each with dropout, a residual connection and LayerNorm (after each block, or
    before it with norm_first). Masks go to the attentions as given, with PyTorch's rules."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__("TransformerDecoderLayer", True, d_model, nhead, dim_feedforward, dropout, activation,
                         layer_norm_eps, batch_first, norm_first, bias, device, dtype)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        _check_tensors("TransformerDecoderLayer", tgt=tgt, memory=memory)
        self._check_memory(tgt, memory)
        x = self._residual(tgt, self.norm1, lambda x: self._self_attention(
            x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self._residual(x, self.norm2, lambda x: self._cross_attention(
            x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
        return self._residual(x, self.norm3, lambda x: self._feed_forward(x, self.dropout3))

    def _check_memory(self, tgt: Tensor, memory: Tensor) -> None:
        """memory's batch size and features must fit tgt's (PyTorch fails on either with a RuntimeError from
        inside its attention; the other mismatches of dims the attention's own checks name)."""
        batch_dim = 0 if self.self_attn.batch_first else 1
        if tgt.ndim == 3 and memory.ndim == 3 and tgt.shape[batch_dim] != memory.shape[batch_dim]:
            raise RuntimeError(f"TransformerDecoderLayer: tgt and memory must have the same batch size (dim "
                               f"{batch_dim}), got tgt of shape {tgt.shape} and memory of shape {memory.shape}")
        if memory.shape[-1:] != (self.multihead_attn.embed_dim,):
            raise RuntimeError(f"TransformerDecoderLayer: memory must have d_model={self.multihead_attn.embed_dim} "
                               f"features (its last dim), got memory of shape {memory.shape}")

    def _cross_attention(self, x: Tensor, memory: Tensor, mask: Tensor | None, key_padding_mask: Tensor | None,
                         is_causal: bool) -> Tensor:
        output, _ = self.multihead_attn(x, memory, memory, attn_mask=mask, key_padding_mask=key_padding_mask,
                                        need_weights=False, is_causal=is_causal)
        return self.dropout2(output)


def _square_subsequent_mask(size: int, dtype: np.dtype) -> np.ndarray:
    return np.triu(np.full((size, size), -np.inf, dtype=dtype), k=1)


def _sequence_length(x: Tensor, batch_first: bool) -> int:
    return x.shape[1 if batch_first and x.ndim == 3 else 0]


def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None, size: int, mask_name: str) -> bool:
    """PyTorch's reading of an is_causal argument: a given value is taken as it is (only True counts); None
    means whether `mask` equals the (size, size) causal mask in its own dtype (-inf or True above the
    diagonal, 0 or False elsewhere)."""
    if is_causal is not None:
        return is_causal is True
    if mask is None:
        return False
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise RuntimeError(f"only bool and floating types of {mask_name} are supported, got {mask.dtype}")
    causal = _square_subsequent_mask(size, mask.dtype)  # for bool, -inf becomes True
    return mask.shape == causal.shape and bool(np.all(mask._data == causal))


def _clones(layer: Module, num_layers: int, owner: str, argument: str) -> ModuleList:
    if not isinstance(layer, Module):
        raise TypeError(f"{owner}: {argument} must be a Module, got {type(layer).__name__}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """num_layers deep copies of encoder_layer applied in turn (parameters layers.0.self_attn.in_proj_weight,
    ...), then the optional norm."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder", "encoder_layer")
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check
        if not isinstance(encoder_layer, TransformerEncoderLayer):
            obstacle = "encoder_layer was not TransformerEncoderLayer"
        elif encoder_layer.norm_first:
            obstacle = "encoder_layer.norm_first was True"
        else:
            obstacle = encoder_layer._pytorch_native_kernel_obstacle("encoder_layer")
        self.use_nested_tensor = enable_nested_tensor and not obstacle
        if enable_nested_tensor and obstacle:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {obstacle}",
                          stacklevel=2)

    def forward(self, src: Tensor, mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        _check_tensors("TransformerEncoder", src=src)
        padding = src_key_padding_mask
        src_key_padding_mask = float_mask(src_key_padding_mask, "src_key_padding_mask", src.dtype, mask, "mask")
        mask = float_mask(mask, "mask", src.dtype)
        batch_first = len(self.layers) > 0 and self.layers[0].self_attn.batch_first
        is_causal = _detect_is_causal_mask(mask, is_causal, _sequence_length(src, batch_first), "mask")
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if self._takes_pytorch_nested_path(src, mask, padding):
            # PyTorch runs this case on nested tensors holding only the real tokens and pads the result
            # with zeros: padded positions come out as 0 (before the final norm)
            output = output.masked_fill(Tensor._from_data(padding._data[..., None] if padding.dtype == np.bool_ else
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


class TransformerDecoder(Module):
    """num_layers deep copies of decoder_layer applied in turn to the target, each attending to the same
    memory, then the optional norm. A tgt_mask equal to the causal mask is taken for tgt_is_causal unless
    that is given, as PyTorch does."""

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder", "decoder_layer")
        self.num_layers, self.norm = num_layers, norm
        activation = getattr(decoder_layer, "activation", None)
        if (isinstance(decoder_layer, TransformerDecoderLayer) and isinstance(activation, Module)
                and not isinstance(activation, ReLU) and num_layers):
            # PyTorch's TransformerDecoderLayer.__setstate__ finds no 'activation' in a copy's __dict__ (a
            # module lives in _modules) and sets F.relu there, which then shadows the module
            warnings.warn(f"TransformerDecoder: the layers' activation is the module {activation!r}; fastgrad's "
                          "copies of the layer use it, but PyTorch's copies use relu instead, so the results differ "
                          "from PyTorch's. Pass the activation as a string or function (e.g. 'gelu', F.gelu) for "
                          "the same results on both", stacklevel=2)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        _check_tensors("TransformerDecoder", tgt=tgt, memory=memory)
        batch_first = len(self.layers) > 0 and self.layers[0].self_attn.batch_first
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, _sequence_length(tgt, batch_first),
                                               "tgt_mask")
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                           memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder model: an encoder (num_encoder_layers layers and a final LayerNorm) over the
    source, and a decoder (num_decoder_layers layers and a final LayerNorm) over the target attending to
    the encoder's output; custom_encoder / custom_decoder replace either. Every parameter of more than one
    dim starts Xavier-uniform, as PyTorch's."""

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, custom_encoder: Any | None = None,
                 custom_decoder: Any | None = None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        check_device("Transformer", device)
        layer_arguments = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                           norm_first, bias, device, dtype)

        def final_norm() -> LayerNorm:
            return LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)

        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(*layer_arguments), num_encoder_layers, final_norm())
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(*layer_arguments), num_decoder_layers, final_norm())
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self) -> None:
        for parameter in self.parameters():
            if parameter.ndim > 1:
                init.xavier_uniform_(parameter)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        """The decoder's output for tgt, shaped as tgt: (T, N, E), (N, T, E) with batch_first, or (T, E)
        unbatched; src is (S, N, E), (N, S, E) or (S, E)."""
        _check_tensors("Transformer", src=src, tgt=tgt)
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim <= batch_dim or src.shape[batch_dim] != tgt.shape[batch_dim]):
            raise RuntimeError(f"the batch number of src and tgt must be equal: got src of shape {src.shape} and "
                               f"tgt of shape {tgt.shape} (batch dim {batch_dim}, batch_first={self.batch_first})")
        if src.shape[-1:] != (self.d_model,) or tgt.shape[-1:] != (self.d_model,):
            raise RuntimeError(f"the feature number of src and tgt must be equal to d_model: expected "
                               f"{self.d_model}, got src of shape {src.shape} and tgt of shape {tgt.shape}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """A float (sz, sz) causal mask: -inf above the diagonal (future positions), 0 elsewhere."""
        check_device("generate_square_subsequent_mask", device)
        if isinstance(sz, bool) or not isinstance(sz, (int, np.integer)) or sz < 0:
            raise ValueError(f"generate_square_subsequent_mask: sz must be a non-negative int, got {sz!r}")
        return Tensor._from_data(_square_subsequent_mask(int(sz), dtype_or_default(dtype)))
