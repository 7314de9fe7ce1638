"""torch.func's reverse-mode transforms of a function of (pytrees of) tensors: `grad`, `grad_and_value`,
`vjp`, and `jvp` by the double-backward trick (a backward pass through a backward pass, so it covers the ops
with a recorded backward; fastgrad has no forward mode).

The function runs once, on copies of the arguments it is differentiated with respect to: a detached copy
of a tensor that does not require grad, a view of one that does (so that an outer transform, or the
caller's own backward, still reaches it). The backward pass is recorded only when the results must stay
differentiable: grad mode is on and the function's outputs depend on a tensor requiring grad other than
those copies (the arguments of an enclosing transform, or parameters the function closes over). Nothing
is left on the caller's tensors: no `.grad`, no graph.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from fastgrad.autograd import graph
from fastgrad.autograd.functional import constant_zeros_like, jvp_by_double_backward, vector_jacobian_products
from fastgrad.autograd.grad_mode import enable_grad, is_grad_enabled
from fastgrad.func.pytree import TreeSpec, tree_flatten, tree_map, tree_unflatten

GRAD_API = "grad_and_value(f)(*args)"
VJP_API = "vjp(f, *primals)"
JVP_API = "jvp(f, primals, tangents)"


@dataclass
class Linearization:
    """The function's run on differentiable copies: its flat outputs, the copies, and whether the results
    must be recorded (they depend on tensors requiring grad beyond the copies)."""

    outputs: list
    output_spec: TreeSpec
    copies: list
    copies_spec: TreeSpec
    aux: Any
    recorded: bool

    def returned(self, tree):
        """A result as the transform returns it: detached unless it must stay differentiable."""
        return tree if self.recorded else tree_map(lambda t: t.detach() if isinstance(t, graph.Tensor) else t, tree)

    def pull_back(self, cotangents: list, retain_graph: bool = True, create_graph: bool | None = None) -> list:
        """sum over outputs of cotangent . d output / d copy, for each copy (zeros where none depends on it);
        a None cotangent leaves its output out."""
        if create_graph is None:
            create_graph = is_grad_enabled() and (self.recorded or any(
                isinstance(c, graph.Tensor) and c.requires_grad for c in cotangents))
        pairs = [(o, c) for o, c in zip(self.outputs, cotangents) if c is not None]
        return list(vector_jacobian_products("vjp", [o for o, _ in pairs], self.copies, [c for _, c in pairs],
                                             create_graph, retain_graph=retain_graph))


def linearize(api: str, func: Callable, args: tuple, kwargs: dict, argnums, has_aux: bool) -> Linearization:
    """func(*args, **kwargs) with the arguments at argnums (None: all) replaced by differentiable copies."""
    caller_records = is_grad_enabled()
    chosen = args if argnums is None else slice_argnums(args, argnums, as_tuple=False)
    flat_chosen, chosen_spec = tree_flatten(chosen)
    with enable_grad():  # as PyTorch's transforms, also inside no_grad (the results are then not recorded)
        copies = [_differentiable(t) for t in flat_chosen]
        copied = tree_unflatten(copies, chosen_spec)
        output = func(*(copied if argnums is None else _replace_args(args, copied, argnums)), **kwargs)
    aux = None
    if has_aux:
        if not (isinstance(output, tuple) and len(output) == 2):
            raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
        output, aux = output
        for leaf in tree_flatten(aux)[0]:
            if not isinstance(leaf, graph.Tensor):
                raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
    flat_output, output_spec = tree_flatten(output)
    tensors = [t for t in flat_output + tree_flatten(aux)[0] if isinstance(t, graph.Tensor)]
    own = {id(t) for t in copies}
    recorded = caller_records and any(id(leaf) not in own for leaf in graph.leaves_requiring_grad(tensors))
    return Linearization(flat_output, output_spec, copies, chosen_spec, aux, recorded)


def _differentiable(value):
    if not isinstance(value, graph.Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(value)}")
    return value.view_as(value) if value.requires_grad else value.detach().requires_grad_(True)


def check_tensor_outputs(api: str, outputs: list) -> None:
    if not outputs or (len(outputs) == 1 and outputs[0] is None):
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got output = {outputs})")
    for o in outputs:
        if not isinstance(o, graph.Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")


def check_floating_outputs(api: str, outputs: list) -> None:
    check_tensor_outputs(api, outputs)
    for o in outputs:
        if o.dtype.kind != "f":  # PyTorch words this one as vjp's whichever transform runs into it
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor "
                               f"with dtype {o.dtype}")


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function returning (the gradient of func's scalar output with respect to the arguments at argnums,
    func's output): with argnums an int the gradient has the structure of that argument (a tensor, or a
    dict/tuple/list of them), with a tuple a tuple of those. With has_aux, func returns (output, aux) and
    the result is (gradient, (output, aux)). Keyword arguments pass through, not differentiated."""
    def wrapper(*args, **kwargs):
        run = linearize(GRAD_API, func, args, kwargs, argnums, has_aux)
        output = tree_unflatten(run.outputs, run.output_spec)
        if not isinstance(output, graph.Tensor):
            raise RuntimeError(f"{GRAD_API}: Expected f(*args) to return a Tensor, got {type(output)}")
        if output.ndim != 0:
            raise RuntimeError(f"{GRAD_API}: Expected f(*args) to return a scalar Tensor, got tensor with "
                               f"{output.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
        gradient = tree_unflatten(run.pull_back([_ones_like(output)]), run.copies_spec)
        value = run.returned(output)
        return (gradient, (value, run.returned(run.aux))) if has_aux else (gradient, value)

    return named_like(wrapper, func)


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of func's scalar output with respect to the arguments at argnums
    (see grad_and_value); with has_aux, (gradient, aux)."""
    with_value = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        gradient, value = with_value(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return named_like(wrapper, func)


def vjp(func: Callable, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents), with cotangents shaped as func's outputs, returns
    a tuple with the vector-Jacobian product for each primal. vjp_fn can be called many times."""
    run = linearize(VJP_API, func, primals, {}, None, has_aux)
    check_floating_outputs(VJP_API, run.outputs)

    def vjp_fn(cotangents, retain_graph: bool = True, create_graph: bool | None = None):
        flat_cotangents, spec = tree_flatten(cotangents)
        if spec != run.output_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of outputs "
                               f"to the function. cotangents: {spec}, primal output: {run.output_spec}")
        return tree_unflatten(run.pull_back(flat_cotangents, retain_graph, create_graph), run.copies_spec)

    output = run.returned(tree_unflatten(run.outputs, run.output_spec))
    return (output, vjp_fn, run.returned(run.aux)) if has_aux else (output, vjp_fn)


def jvp(func: Callable, primals: tuple, tangents: tuple, *, strict: bool = False, has_aux: bool = False):
    """(func(*primals), the derivative of its outputs in the direction tangents[, aux]). tangents has the
    structure and shapes of primals. Computed by the double-backward trick: the vector-Jacobian product
    u . J is linear in u, and its gradient with respect to u in the direction of the tangents is J . v."""
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{JVP_API}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    flat_primals, primals_spec = tree_flatten(primals)
    flat_tangents, tangents_spec = tree_flatten(tangents)
    if primals_spec != tangents_spec:
        raise RuntimeError(f"{JVP_API}: Expected primals and tangents to have the same python structure. For "
                           "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals with "
                           f"structure {primals_spec} and tangents with structure {tangents_spec}")
    for name, flat in (("primals", flat_primals), ("tangents", flat_tangents)):
        if not flat:
            raise RuntimeError(f"{JVP_API}: Expected {name} to contain at least one Tensor.")
        for t in flat:
            if not isinstance(t, graph.Tensor):
                raise RuntimeError(f"{JVP_API}: Expected {name} to only contain Tensors, got {type(t)}")
    for p, t in zip(flat_primals, flat_tangents):
        if p.shape != t.shape:
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                               f"Tensor, this is not supported. Tensor is of size {list(p.shape)} while the given "
                               f"forward gradient is of size {list(t.shape)}.")
    run = linearize(JVP_API, func, primals, {}, None, has_aux)
    check_tensor_outputs(JVP_API, run.outputs)
    create_graph = is_grad_enabled() and (run.recorded or any(t.requires_grad for t in flat_tangents))
    products = jvp_by_double_backward(run.outputs, flat_tangents, lambda u: run.pull_back(u, create_graph=True),
                                      create_graph)
    if strict and any(p is None for p in products):
        raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. "
                           "This is not allowed with strict=True.")
    products = [constant_zeros_like(o) if p is None else p for o, p in zip(run.outputs, products)]
    outputs = run.returned(tree_unflatten(run.outputs, run.output_spec))
    products = tree_unflatten(products, run.output_spec)
    return (outputs, products, run.returned(run.aux)) if has_aux else (outputs, products)


def slice_argnums(args: tuple, argnums, as_tuple: bool = True):
    """The arguments at argnums: args[argnums] (or (args[argnums],) with as_tuple) for an int, a tuple for a
    tuple; negative positions count from the end, as PyTorch's."""
    positions = _positions(argnums, len(args))
    if isinstance(argnums, int):
        return (args[positions],) if as_tuple else args[positions]
    return tuple(args[i] for i in positions)


def _positions(argnums, count: int):
    """argnums checked and made non-negative, with PyTorch's errors in its order."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")

    def position(argnum) -> int:
        if not isinstance(argnum, int):
            raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
        if -count <= argnum < count:
            return argnum % count
        raise RuntimeError(f"Got argnum={argnum}, but only {count} positional inputs")

    if isinstance(argnums, int):
        return position(argnums)
    positions = tuple(position(a) for a in argnums)
    if not positions:
        raise RuntimeError("argnums must be non-empty")
    if len(set(positions)) != len(positions):
        raise RuntimeError(f"argnums elements must be unique, got {positions}")
    return positions


def _replace_args(args: tuple, replacements, argnums) -> tuple:
    positions = _positions(argnums, len(args))
    if isinstance(argnums, int):
        return tuple(replacements if i == positions else a for i, a in enumerate(args))
    given = dict(zip(positions, replacements))
    return tuple(given.get(i, a) for i, a in enumerate(args))


def _ones_like(t):
    return graph.Tensor._from_data(np.ones(t.shape, dtype=t._data.dtype))


def named_like(wrapper: Callable, func: Callable) -> Callable:
    """wrapper under func's name and docstring, as PyTorch's transforms are (for error messages, vmap's too)."""
    for attribute in ("__name__", "__qualname__", "__doc__"):
        if hasattr(func, attribute):
            setattr(wrapper, attribute, getattr(func, attribute))
    return wrapper
