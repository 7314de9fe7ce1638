"""torch's *_copy functions: each is its view op followed by a copy into new, contiguous memory, so the result
shares nothing with the input. Gradients flow as through the view and the copy; detach_copy's, as PyTorch's,
requires grad but has no derivative."""
from __future__ import annotations

from fastgrad.autograd.graph import apply
from fastgrad.memory_formats import contiguous_format
from fastgrad.ops.recorded import DelayedError
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import int_arg, normalize_dims
from fastgrad.tensor_methods.shape import _is_dtype


def _detached(input: Tensor) -> Tensor:
    return apply(DelayedError, input, reason="the derivative for detach_copy is not implemented (as in PyTorch)")


def _squeezed(input: Tensor, dim=None) -> Tensor:
    """squeeze of one dim, of a tuple of dims (each dropped where its size is 1), or of every size-1 dim."""
    if dim is None or isinstance(dim, int):
        return input.squeeze(dim)
    dropped = normalize_dims(dim, input.ndim)
    return input.reshape(tuple(n for d, n in enumerate(input.shape) if n != 1 or d not in dropped))


def _viewed(input: Tensor, size) -> Tensor:
    """view(size)'s elements, also where the strides allow no view (PyTorch's view_copy gives them either way: the
    reshape), or view(dtype)'s."""
    return input.view(size) if _is_dtype(size) else input.reshape(size)


# the view each *_copy function copies, called with the function's arguments
_VIEWS = {
    "alias_copy": lambda input: input,
    "as_strided_copy": Tensor.as_strided,
    "detach_copy": _detached,
    "diagonal_copy": Tensor.diagonal,
    "expand_copy": lambda input, size, *, implicit=False: input.expand(size),
    "permute_copy": lambda input, dims: input.permute(dims),
    "select_copy": Tensor.select,
    "slice_copy": lambda input, dim=0, start=None, end=None, step=1: input._slice_along("slice_copy", dim, start,
                                                                                        end, step),
    "split_copy": lambda input, split_size, dim=0: input.split(int_arg(split_size, "split_copy: split_size"), dim),
    "split_with_sizes_copy": Tensor.split_with_sizes,
    "squeeze_copy": _squeezed,
    "t_copy": Tensor.t,
    "transpose_copy": Tensor.transpose,
    "unbind_copy": Tensor.unbind,
    "unfold_copy": Tensor.unfold,
    "unsqueeze_copy": Tensor.unsqueeze,
    "view_copy": _viewed,
}


def _copy_of(name: str, view):
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be a Tensor, got {type(input).__name__}")
        result = view(input, *args, **kwargs)
        if isinstance(result, tuple):
            return tuple(piece.clone(memory_format=contiguous_format) for piece in result)
        return result.clone(memory_format=contiguous_format)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"torch.{name}: {name[:-len('_copy')]}'s result copied into new contiguous memory."
    return function


globals().update({name: _copy_of(name, view) for name, view in _VIEWS.items()})
