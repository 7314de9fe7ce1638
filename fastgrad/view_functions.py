"""torch's top-level forms of the scatter, put, index_reduce and storage-shaping Tensor methods (see
fastgrad/tensor_methods/storage.py), and constant_pad_nd, aten's constant padding."""
from __future__ import annotations

from typing import Sequence

from fastgrad.functions import _method_as_function
from fastgrad.nn import functional
from fastgrad.tensor import Tensor

(diagonal_scatter, select_scatter, slice_scatter, as_strided_scatter, index_reduce, put, nonzero_static, unsafe_chunk,
 unsafe_split, unsafe_split_with_sizes, resize_as_, as_strided_) = map(_method_as_function, (
    Tensor.diagonal_scatter, Tensor.select_scatter, Tensor.slice_scatter, Tensor.as_strided_scatter,
    Tensor.index_reduce, Tensor.put, Tensor.nonzero_static, Tensor.unsafe_chunk, Tensor.unsafe_split,
    Tensor.unsafe_split_with_sizes, Tensor.resize_as_, Tensor.as_strided_))


def constant_pad_nd(input: Tensor, pad: Sequence[int], value: float = 0) -> Tensor:
    """F.pad(input, pad, "constant", value): (before, after) widths from the last dim backwards, negative ones
    crop. Bad widths raise RuntimeError, as PyTorch's."""
    try:
        return functional.pad(input, pad, "constant", value)
    except ValueError as error:
        raise RuntimeError(f"constant_pad_nd: {error}") from None
