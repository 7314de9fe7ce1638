"""Derivatives of whole functions, as torch.autograd.functional: the Jacobian and vector-Jacobian products, by
first-order backward passes (one per output element for the Jacobian).

Hessians and the Hessian-vector products (`hessian`, `hvp`, `vhp`) differentiate a gradient, and PyTorch's
`jvp` is a backward pass through a backward pass; fastgrad's backward functions compute on arrays, not on
recorded ops, so there are no gradients of gradients (`create_graph=True` raises here as everywhere): those
four raise NotImplementedError.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from fastgrad.autograd import graph
from fastgrad.autograd.differentiate import grad
from fastgrad.autograd.grad_mode import enable_grad

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of func at inputs (a Tensor or a tuple of Tensors): for an output of shape S and an input
    of shape T, a tensor of shape S + T, d output[s] / d input[t]. A tuple of inputs gives a tuple per output,
    a tuple of outputs a tuple of those, as PyTorch. An output that does not depend on an input gives zeros
    (strict=True raises instead). `vectorize` only changes speed in PyTorch and is accepted; forward mode is
    not available."""
    _refuse_create_graph("jacobian", create_graph)
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    if strategy == "forward-mode":
        raise NotImplementedError("jacobian: strategy='forward-mode' needs forward-mode differentiation, which "
                                  "fastgrad does not have; use strategy='reverse-mode'")
    inputs_are_tuple, inputs, outputs_are_tuple, outputs = _run("jacobian", func, inputs)
    jacobians = []
    for i, output in enumerate(outputs):
        _check_differentiable("jacobian", i, output, strict)
        blocks = [np.zeros(output.shape + t.shape, dtype=t.dtype) for t in inputs]
        used = [False] * len(inputs)
        if output.requires_grad:
            for position in np.ndindex(output.shape):
                selector = np.zeros(output.shape, dtype=output.dtype)
                selector[position] = 1
                for k, g in enumerate(grad(output, inputs, selector, retain_graph=True, allow_unused=True)):
                    if g is not None:
                        blocks[k][position] = g._data
                        used[k] = True
        if strict and output.numel():
            _check_used("jacobian", i, used)
        jacobians.append(tuple(graph.Tensor._wrap(block, False, None) for block in blocks))
    per_output = [row if inputs_are_tuple else row[0] for row in jacobians]
    return tuple(per_output) if outputs_are_tuple else per_output[0]


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v . J): the outputs (detached), and the gradient of the outputs weighted by v with respect
    to each input, shaped as inputs. v may be None only for one output of one element."""
    _refuse_create_graph("vjp", create_graph)
    inputs_are_tuple, inputs, outputs_are_tuple, outputs = _run("vjp", func, inputs)
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("vjp: v can only be None if the function returns a single Tensor with a single element")
        vectors = (None,)
    else:
        _, vectors = _tensors("vjp", v, "v")
        if len(vectors) != len(outputs):
            raise RuntimeError(f"vjp: v is a tuple of invalid length: should be {len(outputs)} but got {len(vectors)}")
        for i, (vector, output) in enumerate(zip(vectors, outputs)):
            if vector.shape != output.shape:
                raise RuntimeError(f"vjp: v[{i}] has invalid size: should be {output.shape} but got {vector.shape}")
    roots, root_grads = [], []
    for i, (output, vector) in enumerate(zip(outputs, vectors)):
        _check_differentiable("vjp", i, output, strict)
        if output.requires_grad:
            roots.append(output)
            root_grads.append(vector)
    grads = grad(roots, inputs, root_grads, allow_unused=True) if roots else (None,) * len(inputs)
    if strict:
        _check_used("vjp", None, [g is not None for g in grads])
    products = tuple(graph.Tensor._wrap(np.zeros_like(t._data), False, None) if g is None else g
                     for t, g in zip(inputs, grads))
    detached = tuple(o.detach() for o in outputs)
    return (detached if outputs_are_tuple else detached[0]), (products if inputs_are_tuple else products[0])


def _no_second_order(name: str):
    def refuse(func, inputs, v=None, create_graph: bool = False, strict: bool = False, *args, **kwargs):
        raise NotImplementedError(f"{name}: needs the gradient of a gradient (second-order differentiation), which "
                                  "fastgrad does not have; jacobian and vjp work")

    refuse.__name__ = refuse.__qualname__ = name
    refuse.__doc__ = f"torch.autograd.functional.{name}: not available in fastgrad (no second-order gradients); raises."
    return refuse


hessian = _no_second_order("hessian")
hvp = _no_second_order("hvp")
vhp = _no_second_order("vhp")
jvp = _no_second_order("jvp")


def _refuse_create_graph(name: str, create_graph: bool) -> None:
    if create_graph:
        raise NotImplementedError(f"{name}: create_graph=True (a differentiable result) needs higher-order gradients, "
                                  "which fastgrad does not have")


def _tensors(name: str, value, what: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether value was a tuple, its tensors): a Tensor or a tuple of Tensors, as PyTorch accepts."""
    if isinstance(value, graph.Tensor):
        return False, (value,)
    if isinstance(value, tuple) and all(isinstance(t, graph.Tensor) for t in value):
        return True, value
    got = type(value).__name__
    if isinstance(value, tuple):
        got = "a tuple holding " + next(type(t).__name__ for t in value if not isinstance(t, graph.Tensor))
    raise TypeError(f"{name}: {what} must be a Tensor or a tuple of Tensors, got {got}"
                    + (" (use a tuple)" if isinstance(value, list) else ""))


def _run(name: str, func: Callable, inputs) -> tuple[bool, tuple[Tensor, ...], bool, tuple[Tensor, ...]]:
    """func on copies of inputs that require grad (the caller's tensors are not part of the graph)."""
    inputs_are_tuple, inputs = _tensors(name, inputs, "inputs")
    for i, t in enumerate(inputs):
        if t.dtype.kind != "f":
            raise TypeError(f"{name}: inputs[{i}] must be a floating point tensor, got dtype {t.dtype}")
    inputs = tuple(t.detach().requires_grad_(True) for t in inputs)
    with enable_grad():
        outputs = func(*inputs)
    outputs_are_tuple, outputs = _tensors(name, outputs, "the outputs of func")
    return inputs_are_tuple, inputs, outputs_are_tuple, outputs


def _check_differentiable(name: str, index: int, output: Tensor, strict: bool) -> None:
    if strict and not output.requires_grad:
        raise RuntimeError(f"{name}: output {index} of the function does not require gradients; strict mode needs "
                           "outputs computed differentiably from the inputs")


def _check_used(name: str, index: int | None, used: list[bool]) -> None:
    for k, was_used in enumerate(used):
        if not was_used:
            which = "the outputs" if index is None else f"output {index}"
            raise RuntimeError(f"{name}: {which} of the function is independent of input {k}, which strict mode does "
                               "not allow")
