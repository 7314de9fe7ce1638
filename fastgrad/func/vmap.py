"""torch.func.vmap, by running the function once per batch element and stacking the results: PyTorch's
results, shapes and errors, without its batching rules, so it is no faster than a Python loop."""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from fastgrad.autograd import graph
from fastgrad.func import randomness as modes
from fastgrad.func.gradients import named_like
from fastgrad.functions import stack
from fastgrad.func.pytree import broadcast_prefix, tree_flatten, tree_unflatten


def vmap(func: Callable, in_dims=0, out_dims=0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """func mapped over a dimension of its inputs. in_dims gives, per input (one int or None for all, or a
    structure like the arguments'), the dimension to map over (None: the input is shared by every element);
    out_dims, per output, where the mapped dimension goes (None: the output must be the same for every
    element). Keyword arguments are shared, not mapped. randomness: 'error' raises if func draws random
    numbers (from fastgrad's generators; Python's and NumPy's own are not watched, as in PyTorch),
    'different' gives each element its own draws, 'same' gives every element the same ones.

    func runs once per element (no batching rules, see the module's doc), so chunk_size, checked as
    PyTorch's, changes nothing; an empty batch raises NotImplementedError, the output's shape being unknown.
    An output with out_dims None that was computed from the mapped inputs but came out the same for every
    element is returned, where PyTorch raises (it tracks which tensors are batched; this vmap compares); and
    what PyTorch cannot batch (`.item()`, boolean-mask indexing) runs, if every element's outputs have one
    shape."""
    modes.check_mode(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    def wrapped(*args, **kwargs):
        _check_out_dims(out_dims, func)
        batch_size, flat_in_dims, flat_args, args_spec = _batched_inputs(in_dims, args, func)
        if batch_size == 0:
            raise NotImplementedError(f"vmap({_name(func)}): a batch of size 0 is not supported: fastgrad's vmap runs "
                                      "the function once per element")
        restore = modes.snapshot() if randomness == "same" else None
        outputs = []
        for i in range(batch_size):
            if restore is not None:
                restore()
            element = [a if d is None else a.select(d, i) for a, d in zip(flat_args, flat_in_dims)]
            call = functools.partial(func, *tree_unflatten(element, args_spec), **kwargs)
            outputs.append(modes.refusing_draws(call) if randomness == "error" else call())
        return _stacked(outputs, out_dims, func)

    return named_like(wrapped, func)


def _name(func: Callable) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def _check_out_dims(out_dims, func: Callable) -> None:
    for d in [out_dims] if out_dims is None or isinstance(out_dims, int) else tree_flatten(out_dims)[0]:
        if not (d is None or isinstance(d, int)):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
                             "python collection of ints representing where in the outputs the vmapped dimension "
                             "should appear.")


def _batched_inputs(in_dims, args: tuple, func: Callable):
    """(batch size, per tensor its mapped dimension (non-negative) or None, the tensors, the arguments' spec)."""
    where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
                         "trying to vmap over a function with no inputs. The latter is unsupported.")
    flat_args, args_spec = tree_flatten(args)
    flat_in_dims = broadcast_prefix(in_dims, args_spec)
    if flat_in_dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {args_spec}.")
    for i, (arg, in_dim) in enumerate(zip(flat_args, flat_in_dims)):
        if not (in_dim is None or isinstance(in_dim, int)):
            raise ValueError(f"{where}: Got in_dim={in_dim} for an input but in_dim must be either an integer "
                             "dimension or None.")
        if in_dim is None:
            continue
        if not isinstance(arg, graph.Tensor):
            raise ValueError(f"{where}: Got in_dim={in_dim} for an input but the input is of type {type(arg)}. We "
                             "cannot vmap over non-Tensor arguments, please use None as the respective in_dim")
        if not -arg.ndim <= in_dim < arg.ndim:
            raise ValueError(f"{where}: Got in_dim={in_dim} for some input, but that input is a Tensor of "
                             f"dimensionality {arg.ndim} so expected in_dim to satisfy -{arg.ndim} <= in_dim < "
                             f"{arg.ndim}.")
        flat_in_dims[i] = in_dim % arg.ndim
    sizes = [arg.shape[d] for arg, d in zip(flat_args, flat_in_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(size != sizes[0] for size in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes {sizes} "
                         "for the mapped dimension")
    return sizes[0], flat_in_dims, flat_args, args_spec


def _stacked(outputs: list, out_dims, func: Callable):
    """The elements' outputs as one output: each tensor stacked along its out_dim."""
    name = _name(func)
    flattened = [tree_flatten(o) for o in outputs]
    spec = flattened[0][1]
    for i, (_, other) in enumerate(flattened):
        if other != spec:  # PyTorch runs func once, so it never meets this
            raise RuntimeError(f"vmap({name}): `{name}` returned outputs of structure {other} for batch element {i} "
                               f"and {spec} for element 0; every element's outputs must have one structure")
    if isinstance(outputs[0], graph.Tensor):
        flat_out_dims = [out_dims[0]] if isinstance(out_dims, tuple) and len(out_dims) == 1 else (
            [out_dims] if out_dims is None or isinstance(out_dims, int) else None)
    else:
        flat_out_dims = broadcast_prefix(out_dims, spec)
    if flat_out_dims is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
                         f"the structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs "
                         f"has structure {spec}.")
    stacked = []
    for k, out_dim in enumerate(flat_out_dims):
        values = [flat[k] for flat, _ in flattened]
        if out_dim is None:
            if isinstance(values[0], graph.Tensor) and not all(_same(values[0], v) for v in values[1:]):
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
            stacked.append(values[0])
            continue
        for value in values:
            if not isinstance(value, graph.Tensor):
                raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(value)}. "
                                 "Did you mean to set out_dims= to None for output?")
        stacked.append(stack(values, dim=out_dim))
    return tree_unflatten(stacked, spec)


def _same(a, b) -> bool:
    return isinstance(b, graph.Tensor) and a.shape == b.shape and np.array_equal(a._data, b._data, equal_nan=True)
