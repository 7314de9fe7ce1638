"""Derivatives of whole functions, as torch.autograd.functional: the Jacobian, vector-Jacobian and
Jacobian-vector products, the Hessian and Hessian-vector products, by backward passes (one per output
element for the Jacobian). The second-order ones and `create_graph=True` differentiate recorded backward
passes (fastgrad.autograd.higher_order), so they cover the ops with a recorded backward and raise
NotImplementedError naming any other op. `jvp` is PyTorch's double-backward trick (a backward pass
through a backward pass), not forward mode.
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
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    if strategy == "forward-mode":
        raise NotImplementedError("jacobian: strategy='forward-mode' needs forward-mode differentiation, which "
                                  "fastgrad does not have; use strategy='reverse-mode'")
    inputs_are_tuple, inputs, outputs_are_tuple, outputs = _run("jacobian", func, inputs, create_graph)
    jacobians = []
    for i, output in enumerate(outputs):
        _check_differentiable("jacobian", i, output, strict)
        rows = [[] for _ in inputs]  # per input: d output[position] / d input, position by position
        used = [False] * len(inputs)
        for position in np.ndindex(output.shape):
            grads = (None,) * len(inputs)
            if output.requires_grad:
                selector = np.zeros(output.shape, dtype=output.dtype)
                selector[position] = 1
                grads = grad(output, inputs, graph.Tensor._from_data(selector), retain_graph=True,
                             create_graph=create_graph, allow_unused=True)
            for k, (t, g) in enumerate(zip(inputs, grads)):
                used[k] = used[k] or g is not None
                rows[k].append(constant_zeros_like(t) if g is None else g)
        if strict and output.numel():
            _check_used("jacobian", i, used)
        jacobians.append(tuple(stacked_jacobian(row, output.shape, t) for row, t in zip(rows, inputs)))
    per_output = [row if inputs_are_tuple else row[0] for row in jacobians]
    return tuple(per_output) if outputs_are_tuple else per_output[0]


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v . J): the outputs (detached), and the gradient of the outputs weighted by v with respect
    to each input, shaped as inputs. v may be None only for one output of one element."""
    inputs_are_tuple, inputs, outputs_are_tuple, outputs = _run("vjp", func, inputs, create_graph)
    vectors = _vectors("vjp", v, outputs, "outputs of func")
    for i, output in enumerate(outputs):
        _check_differentiable("vjp", i, output, strict)
    products = vector_jacobian_products("vjp", outputs, inputs, vectors, create_graph, strict)
    return _returned(outputs, outputs_are_tuple, create_graph), (products if inputs_are_tuple else products[0])


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J . v): the outputs and the derivative of each output in the direction v (shaped as the
    inputs; None only for one input of one element), by PyTorch's double-backward trick: the vector-Jacobian
    product u . J is linear in u, and its gradient with respect to u in direction v is J . v."""
    inputs_are_tuple, inputs, outputs_are_tuple, outputs = _run("jvp", func, inputs, create_graph)
    vectors = _vectors("jvp", v, inputs, "inputs")
    for i, output in enumerate(outputs):
        _check_differentiable("jvp", i, output, strict)
        if output.dtype.kind != "f":  # PyTorch's probe u for it would have to require grad (torch.func's does not)
            raise RuntimeError(f"jvp: output {i} has dtype {output.dtype}, but only floating point tensors can "
                               "require gradients")
    products = jvp_by_double_backward(
        outputs, vectors, lambda u: vector_jacobian_products("jvp", outputs, inputs, u, True, strict), create_graph)
    if strict and any(p is None for p in products):
        raise RuntimeError("jvp: an output of the function is independent of the inputs, which strict mode does not "
                           "allow")
    products = tuple(constant_zeros_like(o) if p is None else p for o, p in zip(outputs, products))
    return _returned(outputs, outputs_are_tuple, create_graph), (products if outputs_are_tuple else products[0])


def jvp_by_double_backward(outputs, tangents, vjp_of: Callable, create_graph: bool) -> list:
    """J . v for each output (None where it does not depend on the inputs; an integer output has none), v
    the tangents of the inputs. vjp_of(u) must give the recorded vector-Jacobian product u . J, one tensor
    per input: it is linear in u, and its gradient with respect to u in the direction v is J . v."""
    dummies = [constant_zeros_like(o).requires_grad_(True) if o.dtype.kind == "f" else None for o in outputs]
    linked = [(g, v) for g, v in zip(vjp_of(dummies), tangents) if g.requires_grad]
    wanted = [u for u in dummies if u is not None]
    products = iter((None,) * len(wanted))
    if linked and wanted:
        products = iter(grad([g for g, _ in linked], wanted, [v for _, v in linked], create_graph=create_graph,
                             allow_unused=True))
    return [None if u is None else next(products) for u in dummies]


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a function with a single-element output: the Jacobian of its gradient. One input of
    shape T gives a tensor of shape T + T; a tuple of inputs a tuple of tuples, block [i][j] of shape
    inputs[i].shape + inputs[j].shape."""
    if outer_jacobian_strategy != "reverse-mode":
        raise NotImplementedError("hessian: outer_jacobian_strategy='forward-mode' needs forward-mode "
                                  "differentiation, which fastgrad does not have; use 'reverse-mode'")
    inputs_are_tuple, _ = _tensors("hessian", inputs, "inputs")

    def gradient(*args):
        output = _single_element("hessian", func(*args))
        _check_differentiable("hessian", 0, output, strict)
        grads = grad(output, args, create_graph=True, allow_unused=True) if output.requires_grad else (None,) * len(args)
        if strict and any(g is None for g in grads):
            raise RuntimeError("hessian: the output of the function is independent of an input, which strict mode "
                               "does not allow")
        grads = tuple(constant_zeros_like(t) if g is None else g for t, g in zip(args, grads))
        return grads if inputs_are_tuple else grads[0]

    return jacobian(gradient, inputs, create_graph=create_graph, strict=strict)


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v . H) for a function with a single-element output: the gradient of the gradient in
    direction v (shaped as the inputs)."""
    return _hessian_product("vhp", func, inputs, v, create_graph, strict, transposed=False)


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H . v) for a function with a single-element output, by the double-backward trick as
    PyTorch (equal to vhp wherever the Hessian is symmetric)."""
    return _hessian_product("hvp", func, inputs, v, create_graph, strict, transposed=True)


def _hessian_product(name: str, func: Callable, inputs, v, create_graph: bool, strict: bool, transposed: bool):
    inputs_are_tuple, inputs, outputs_are_tuple, outputs = _run(name, func, inputs, create_graph)
    output = _single_element(name, outputs[0] if len(outputs) == 1 else outputs)
    vectors = _vectors(name, v, inputs, "inputs")
    _check_differentiable(name, 0, output, strict)
    grads = vector_jacobian_products(name, (output,), inputs, (None,), True, strict)
    if transposed:  # H . v: the gradient of (u . H) with respect to u, in direction v
        dummies = tuple(constant_zeros_like(t).requires_grad_(True) for t in inputs)
        linked = [(g, u) for g, u in zip(grads, dummies) if g.requires_grad]
        inner = grad([g for g, _ in linked], inputs, [u for _, u in linked], create_graph=True,
                     allow_unused=True) if linked else ()
        pairs = [(w, u, v) for w, u, v in zip(inner, dummies, vectors) if w is not None and w.requires_grad]
        products = grad([w for w, _, _ in pairs], dummies, [v for _, _, v in pairs], create_graph=create_graph,
                        allow_unused=True) if pairs else (None,) * len(inputs)
    else:
        linked = [(g, v) for g, v in zip(grads, vectors) if g.requires_grad]
        products = grad([g for g, _ in linked], inputs, [v for _, v in linked], create_graph=create_graph,
                        allow_unused=True) if linked else (None,) * len(inputs)
    if strict and any(p is None for p in products):
        raise RuntimeError(f"{name}: the gradient is independent of an input, which strict mode does not allow")
    products = tuple(constant_zeros_like(t) if p is None else p for t, p in zip(inputs, products))
    return _returned((output,), False, create_graph), (products if inputs_are_tuple else products[0])


def _single_element(name: str, output):
    if not isinstance(output, graph.Tensor) or output.numel() != 1:
        raise RuntimeError(f"{name}: the function given to {name} should return a single element Tensor, got "
                           + (f"shape {tuple(output.shape)}" if isinstance(output, graph.Tensor)
                              else type(output).__name__))
    return output


def _vectors(name: str, v, like: tuple, what: str) -> tuple:
    """v as one tensor per tensor of `like` (its shape); None only where `like` is one single-element tensor."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"{name}: v can only be None if the {what} are a single Tensor with a single element")
        return (graph.Tensor._from_data(np.ones(like[0].shape, dtype=like[0]._data.dtype)),)
    _, vectors = _tensors(name, v, "v")
    if len(vectors) != len(like):
        raise RuntimeError(f"{name}: v is a tuple of invalid length: should be {len(like)} but got {len(vectors)}")
    for i, (vector, t) in enumerate(zip(vectors, like)):
        if vector.shape != t.shape:
            raise RuntimeError(f"{name}: v[{i}] has invalid size: should be {t.shape} but got {vector.shape}")
    return vectors


def vector_jacobian_products(name: str, outputs, inputs, vectors, create_graph: bool, strict: bool = False,
                             retain_graph: bool | None = None) -> tuple:
    """sum over outputs of vector . d output / d input, for each input (zeros where none depends on it). An
    output that does not require grad is left out (a vector of None: ones, for a single-element output)."""
    pairs = [(o, v) for o, v in zip(outputs, vectors) if o.requires_grad]
    grads = (grad([o for o, _ in pairs], inputs, [v for _, v in pairs], retain_graph=retain_graph,
                  create_graph=create_graph, allow_unused=True) if pairs else (None,) * len(inputs))
    if strict:
        _check_used(name, None, [g is not None for g in grads])
    return tuple(constant_zeros_like(t) if g is None else g for t, g in zip(inputs, grads))


def _returned(outputs: tuple, as_tuple: bool, create_graph: bool):
    """The function's outputs as PyTorch returns them: detached unless create_graph."""
    outputs = outputs if create_graph else tuple(o.detach() for o in outputs)
    return outputs if as_tuple else outputs[0]


def constant_zeros_like(t):
    return graph.Tensor._from_data(np.zeros(t.shape, dtype=t._data.dtype))


def stacked_jacobian(rows: list, output_shape: tuple, t):
    """The Jacobian block d output / d t from its rows (one per output element): recorded when they are."""
    from fastgrad.functions import stack

    if not rows:
        return constant_zeros_like(t).reshape(output_shape + tuple(t.shape))
    if any(r.requires_grad for r in rows):
        return stack(rows).reshape(output_shape + tuple(t.shape))
    return graph.Tensor._wrap(np.stack([r._data for r in rows]).reshape(output_shape + tuple(t.shape)), False, None)


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


def _run(name: str, func: Callable, inputs, create_graph: bool = False) -> tuple:
    """func on copies of inputs that require grad; with create_graph, an input that requires grad enters
    as a view of itself, so that the results are differentiable with respect to the caller's tensor."""
    inputs_are_tuple, inputs = _tensors(name, inputs, "inputs")
    for i, t in enumerate(inputs):
        if t.dtype.kind != "f":
            raise TypeError(f"{name}: inputs[{i}] must be a floating point tensor, got dtype {t.dtype}")
    inputs = tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
                   for t in inputs)
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
