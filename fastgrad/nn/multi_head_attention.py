"""Multi-head attention (Vaswani et al., 2017) in PyTorch's functional form, `multi_head_attention_forward`,
built from differentiable ops (linear, matmul, softmax, dropout, scaled_dot_product_attention), so its
gradients are right by construction.

Inputs are sequence-first, (L, N, E), or unbatched, (L, E); masks follow PyTorch's rules: a bool mask is
True where attention is *not* allowed and becomes a float mask of -inf there; a float mask is added to the
scores; key_padding_mask (N, S) and attn_mask (L, S) or (N * num_heads, L, S) add up. Where PyTorch's
checks raise AssertionError, these raise AssertionError too, with PyTorch's messages, so code written
against PyTorch catches the same exceptions.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from fastgrad.functions import cat
from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor


def check_shapes(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None,
                 attn_mask: Tensor | None, num_heads: int) -> bool:
    """Whether the inputs are batched (3-D query) or unbatched (2-D), raising PyTorch's AssertionError for
    any other combination of dims."""
    for name, t in (("query", query), ("key", key), ("value", value), ("key_padding_mask", key_padding_mask),
                    ("attn_mask", attn_mask)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"multi_head_attention_forward: {name} must be a Tensor, got {type(t).__name__}")
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.ndim}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and attn_mask.shape != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query "
                         "tensor")


def float_mask(mask: Tensor | None, name: str, dtype: np.dtype, other: Tensor | None = None,
               other_name: str = "") -> Tensor | None:
    """PyTorch's canonical mask: a bool mask becomes 0 where attention is allowed and -inf where it is not;
    a float mask is kept (it must have the query's dtype, where PyTorch's matmul would refuse another)."""
    if mask is None:
        return None
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if other is not None and other.dtype != mask.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same type for both "
                      "instead.")
    if mask.dtype == np.bool_:
        return Tensor._from_data(np.where(mask._data, -np.inf, 0.0).astype(dtype))
    if mask.dtype != dtype:
        raise RuntimeError(f"multi_head_attention_forward: {name} must be bool or of the query's dtype {dtype}, got "
                           f"{mask.dtype}")
    return mask


def _attn_mask_per_head(attn_mask: Tensor, target_length: int, source_length: int, heads: int) -> Tensor:
    """attn_mask as (1 or N * num_heads, L, S), checking PyTorch's shapes."""
    if attn_mask.ndim == 2:
        if attn_mask.shape != (target_length, source_length):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                               f"{(target_length, source_length)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.ndim == 3:
        if attn_mask.shape != (heads, target_length, source_length):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                               f"{(heads, target_length, source_length)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")


def _in_projection(query: Tensor, key: Tensor, value: Tensor, in_proj_weight: Tensor | None,
                   in_proj_bias: Tensor | None, q_proj_weight: Tensor | None, k_proj_weight: Tensor | None,
                   v_proj_weight: Tensor | None, use_separate_proj_weight: bool) -> tuple[Tensor, Tensor, Tensor]:
    """q, k, v: each input through its third of the packed projection (or its own weight)."""
    biases = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    if use_separate_proj_weight:
        for name, weight in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                             ("v_proj_weight", v_proj_weight)):
            if weight is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name} is None")
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        weights = in_proj_weight.chunk(3)
    return tuple(F.linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def _split_heads(x: Tensor, batch_heads: int, head_dim: int) -> Tensor:
    """(length, N, E) -> (N * num_heads, length, head_dim): each head a batch entry, as PyTorch lays them out."""
    return x.reshape(x.shape[0], batch_heads, head_dim).transpose(0, 1)


def _attention_with_weights(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None,
                            dropout_p: float) -> tuple[Tensor, Tensor]:
    """softmax(q k^T / sqrt(d) + mask) v and the weights. As PyTorch's need_weights path, a query that may
    attend to no key gets NaN weights (softmax over all -inf), unlike scaled_dot_product_attention's zeros.
    Its scores are made NaN before the softmax (so no invalid-value warning is raised), by adding NaN: the
    NaN reaches the gradients of its query and of the keys too, as in PyTorch (setting them would cut the
    gradient there and leave a finite gradient behind a NaN output)."""
    scores = (q * math.sqrt(1.0 / q.shape[-1])) @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores + mask
        blocked_queries = np.isneginf(scores._data).all(axis=-1, keepdims=True)
        if blocked_queries.any():
            scores = scores + Tensor._from_data(np.where(blocked_queries, np.nan, 0.0).astype(scores.dtype))
    weights = F.softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p)
    return weights @ v, weights


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
                                 bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
                                 out_proj_bias: Tensor | None, training: bool = True,
                                 key_padding_mask: Tensor | None = None, need_weights: bool = True,
                                 attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
                                 q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
                                 v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
                                 static_v: Tensor | None = None, average_attn_weights: bool = True,
                                 is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """PyTorch's `F.multi_head_attention_forward`: returns the attention output, (L, N, E) or (L, E), and
    the attention weights, (N, L, S) averaged over heads or (N, num_heads, L, S) (without N unbatched), or
    None when need_weights is False."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k and static_v are not implemented")
    batched = check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
    target_length, batch, embed_dim = query.shape
    key_padding_mask = float_mask(key_padding_mask, "key_padding_mask", query.dtype, attn_mask, "attn_mask")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # PyTorch trusts the hint: scaled_dot_product_attention builds the causal mask itself
    else:
        attn_mask = float_mask(attn_mask, "attn_mask", query.dtype)
        is_causal = False  # the mask given stands for the hint (merged with padding it is no longer causal)
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight and key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}")
    if not use_separate_proj_weight and key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, q_proj_weight, k_proj_weight,
                             v_proj_weight, use_separate_proj_weight)
    batch_heads = batch * num_heads
    if attn_mask is not None:
        attn_mask = _attn_mask_per_head(attn_mask, target_length, key.shape[0], batch_heads)
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k and bias_v must both be given or both be None")
    # extra keys (a learned one per batch with add_bias_kv, a zero one with add_zero_attn) that every query
    # may attend to: the masks get a 0 column for each
    extra_keys = []
    if bias_k is not None:
        extra_keys.append((bias_k.reshape(1, 1, embed_dim).expand(1, batch, embed_dim),
                           bias_v.reshape(1, 1, embed_dim).expand(1, batch, embed_dim)))
    if add_zero_attn:
        zeros = Tensor._from_data(np.zeros((1, batch, embed_dim), dtype=q.dtype))
        extra_keys.append((zeros, zeros))
    if extra_keys:
        k = cat([k] + [extra_k for extra_k, _ in extra_keys])
        v = cat([v] + [extra_v for _, extra_v in extra_keys])
        attn_mask = None if attn_mask is None else F.pad(attn_mask, (0, len(extra_keys)))
        key_padding_mask = None if key_padding_mask is None else F.pad(key_padding_mask, (0, len(extra_keys)))
    q, k, v = (_split_heads(x, batch_heads, head_dim) for x in (q, k, v))
    source_length = k.shape[1]

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != batch:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {batch}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != source_length:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {source_length}, but got "
                                 f"{key_padding_mask.shape[1]}")
        per_head = key_padding_mask.reshape(batch, 1, 1, source_length).expand(batch, num_heads, 1, source_length)
        per_head = per_head.reshape(batch_heads, 1, source_length)
        attn_mask = per_head if attn_mask is None else attn_mask + per_head
    dropout_p = dropout_p if training else 0.0

    if need_weights:
        output, weights = _attention_with_weights(q, k, v, attn_mask, dropout_p)
    else:
        # PyTorch's need_weights=False path is scaled_dot_product_attention: a query that may attend to
        # no key gets zeros there, not NaN
        output, weights = F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal), None
    output = output.transpose(0, 1).reshape(target_length * batch, embed_dim)
    output = F.linear(output, out_proj_weight, out_proj_bias).reshape(target_length, batch, -1)
    if weights is not None:
        weights = weights.reshape(batch, num_heads, target_length, source_length)
        if average_attn_weights:
            weights = weights.mean(dim=1)
    if not batched:
        output = output.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return output, weights
