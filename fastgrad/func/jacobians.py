"""torch.func's Jacobians: `jacrev`, `jacfwd` and `hessian`. Both Jacobians are built row by row from
vector-Jacobian products (one backward pass per output element): fastgrad has no forward mode, so `jacfwd`
is `jacrev` under jacfwd's name, arguments and error messages, with the same numbers as PyTorch's."""
from __future__ import annotations

from typing import Callable

import numpy as np

from fastgrad.autograd import graph
from fastgrad.autograd.functional import stacked_jacobian
from fastgrad.func import randomness as modes
from fastgrad.func.gradients import (JVP_API, VJP_API, check_floating_outputs, check_tensor_outputs, linearize,
                                     named_like, slice_argnums)
from fastgrad.func.pytree import tree_flatten, tree_unflatten


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False, chunk_size: int | None = None,
           _preallocate_and_copy: bool = False) -> Callable:
    """A function returning the Jacobian of func with respect to the arguments at argnums: for an output of
    shape S and an argument of shape T, a tensor of shape S + T; nested as func's outputs, each holding the
    structure of the arguments (one argument's for an int argnums). With has_aux, (jacobian, aux).
    chunk_size and _preallocate_and_copy only change speed and memory in PyTorch: chunk_size is checked, and
    neither has an effect here."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    def wrapper(*args):
        return _jacobian(VJP_API, func, args, argnums, has_aux, lambda call: call(), check_floating_outputs)

    return named_like(wrapper, func)


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """jacrev's Jacobian under PyTorch's jacfwd signature (computed in reverse mode, see the module's doc).
    randomness as vmap's: 'error' raises if func draws random numbers, 'same' lets it (every column of the
    Jacobian sees the same draws, as PyTorch's); 'different', where each column would see other draws,
    raises NotImplementedError when func draws, since func runs once here."""

    def wrapper(*args):
        modes.check_mode(randomness)
        return _jacobian(JVP_API, func, args, argnums, has_aux, lambda call: _with_randomness(call, randomness),
                         check_tensor_outputs)

    return named_like(wrapper, func)


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Jacobian of the Jacobian (of the gradient, for a scalar output) with respect to the arguments at
    argnums: jacfwd(jacrev(func, argnums), argnums), as PyTorch defines it."""
    return jacfwd(jacrev(func, argnums), argnums)


def _with_randomness(call: Callable, randomness: str):
    if randomness == "error":
        return modes.refusing_draws(call)
    result, drew = modes.draws(call)
    if drew and randomness == "different":
        raise NotImplementedError("jacfwd(randomness='different') of a function that draws random numbers is not "
                                  "supported: fastgrad computes the Jacobian from one run of the function, so every "
                                  "column would see the same draws; use randomness='same'")
    return result


def _jacobian(api: str, func: Callable, args: tuple, argnums, has_aux: bool, running: Callable, check: Callable):
    """The Jacobian blocks, nested as PyTorch's; an integer output (which jacfwd allows) has zero blocks of its
    dtype, as in forward mode."""
    run = running(lambda: linearize(api, func, args, {}, argnums, has_aux))
    check(api, run.outputs)
    primals = tree_flatten(slice_argnums(args, argnums))[1]
    per_output = []
    for index, output in enumerate(run.outputs):
        if output.dtype.kind == "f":
            blocks = _blocks(run, index)
        else:
            blocks = [graph.Tensor._from_data(np.zeros(output.shape + copy.shape, dtype=output._data.dtype))
                      for copy in run.copies]
        by_argument = tree_unflatten(blocks, primals)
        per_output.append(by_argument[0] if isinstance(argnums, int) else by_argument)
    jacobian = tree_unflatten(per_output, run.output_spec)
    return (jacobian, run.returned(run.aux)) if has_aux else jacobian


def _blocks(run, index: int) -> list:
    """d output / d copy for output `index` and each copy, of shape output.shape + copy.shape: one
    vector-Jacobian product per output element."""
    output = run.outputs[index]
    rows = [[] for _ in run.copies]  # per copy: d output[position] / d copy, position by position
    for position in np.ndindex(output.shape):
        selector = np.zeros(output.shape, dtype=output._data.dtype)
        selector[position] = 1
        cotangents = [None] * len(run.outputs)
        cotangents[index] = graph.Tensor._from_data(selector)
        for row, g in zip(rows, run.pull_back(cotangents)):
            row.append(g)
    return [stacked_jacobian(row, output.shape, copy) for row, copy in zip(rows, run.copies)]
