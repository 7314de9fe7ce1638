"""MultiheadAttention: PyTorch's layer, parameters and state_dict keys over multi_head_attention_forward."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.grad_mode import is_grad_enabled
from fastgrad.dtypes import dtype_or_default
from fastgrad.nn import init
from fastgrad.nn.modules.linear import NonDynamicallyQuantizableLinear
from fastgrad.nn.modules.module import Module
from fastgrad.nn.multi_head_attention import multi_head_attention_forward
from fastgrad.nn.parameter import Parameter
from fastgrad.tensor import Tensor, check_device


def no_grad_needed(tensors) -> bool:
    """Nothing among `tensors` needs a gradient now (one of the conditions of PyTorch's inference paths)."""
    return not (is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors))


class MultiheadAttention(Module):
    """Attention of each query over the keys in num_heads subspaces of embed_dim / num_heads dims each,
    concatenated and projected by out_proj (Vaswani et al., 2017).

    Parameters as PyTorch's, so its state dicts load unchanged: in_proj_weight (3 E, E) packs the query, key
    and value projections when kdim == vdim == embed_dim, else q_proj_weight (E, E), k_proj_weight (E, kdim)
    and v_proj_weight (E, vdim); in_proj_bias (3 E,) with bias; out_proj a Linear; bias_k and bias_v
    (1, 1, E) with add_bias_kv. Inputs are (L, N, E), (N, L, E) with batch_first, or unbatched (L, E).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        check_device("MultiheadAttention", device)
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout}")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = add_zero_attn
        dtype = dtype_or_default(dtype)

        def parameter(*shape: int) -> Parameter:
            return Parameter(np.empty(shape, dtype=dtype))

        packed = self._qkv_same_embed_dim
        self.register_parameter("in_proj_weight", parameter(3 * embed_dim, embed_dim) if packed else None)
        self.register_parameter("q_proj_weight", None if packed else parameter(embed_dim, embed_dim))
        self.register_parameter("k_proj_weight", None if packed else parameter(embed_dim, self.kdim))
        self.register_parameter("v_proj_weight", None if packed else parameter(embed_dim, self.vdim))
        self.register_parameter("in_proj_bias", parameter(3 * embed_dim) if bias else None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.register_parameter("bias_k", parameter(1, 1, embed_dim) if add_bias_kv else None)
        self.register_parameter("bias_v", parameter(1, 1, embed_dim) if add_bias_kv else None)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        # PyTorch's scheme: Xavier-uniform projections, zero biases, Xavier-normal bias_k and bias_v;
        # out_proj.weight keeps Linear's own initialisation
        for weight in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if weight is not None:
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        for bias in (self.bias_k, self.bias_v):
            if bias is not None:
                init.xavier_normal_(bias)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """(output, weights): output shaped as query; weights (N, L, S) averaged over heads, or
        (N, num_heads, L, S) with average_attn_weights=False (without N for unbatched input), None with
        need_weights=False."""
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"MultiheadAttention: {name} must be a Tensor, got {type(t).__name__}")
        # PyTorch's fast path (inference on batched self-attention with bool masks) gives NaN for a query that
        # may attend to no key even with need_weights=False, as its need_weights path does (its other paths give
        # zeros): take that path and drop the weights
        weights_wanted = need_weights
        need_weights = need_weights or self._takes_pytorch_fast_path(query, key, value, key_padding_mask, attn_mask)
        if self.batch_first and query.ndim == 3:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        output, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.bias_k,
            self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and query.ndim == 3:
            output = output.transpose(0, 1)
        return output, weights if weights_wanted else None

    def _takes_pytorch_fast_path(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None,
                                 attn_mask: Tensor | None) -> bool:
        """PyTorch's conditions for its native inference kernel (MultiheadAttention.forward's fast path)."""
        tensors = (query, key, value, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
                   self.out_proj.bias)
        float_masks = any(isinstance(m, Tensor) and m.dtype.kind == "f" for m in (key_padding_mask, attn_mask))
        return (query.ndim == 3 and query is key and key is value and not self.training and self.batch_first
                and not float_masks
                and self._qkv_same_embed_dim and self.in_proj_bias is not None and self.num_heads % 2 == 0
                and self.bias_k is None and not self.add_zero_attn
                and all(t.dtype == query.dtype for t in tensors if t is not None)
                and no_grad_needed(tensors))
