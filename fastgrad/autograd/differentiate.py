"""The entry points of a backward pass, with PyTorch's names and arguments: `backward` (and
`Tensor.backward`) accumulates gradients into `.grad`; `grad` returns the gradients of the inputs it
is given and changes no `.grad`. Both check their arguments here and walk the graph with
`graph.run_backward`.

With `create_graph=True` the backward pass is recorded (`fastgrad.autograd.higher_order`), so its
gradients can be differentiated again, through the ops that declare a recorded backward.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from fastgrad.autograd import graph, higher_order


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate d(sum of tensors . grad_tensors)/d(leaf) into the `.grad` of every leaf that requires
    grad, or, with `inputs`, of those tensors only (a non-leaf among them retains its grad)."""
    roots = _tensor_list(tensors, "tensors")
    root_grads = _root_gradients(roots, grad_tensors, "grad_tensors")
    retain_graph = create_graph if retain_graph is None else bool(retain_graph)
    targets = None
    if inputs is not None:
        targets = _inputs(inputs, "backward")
        for t in targets:
            t.retain_grad()  # a no-op on leaves; a non-leaf input keeps its gradient as .grad, as in PyTorch
    if create_graph:
        higher_order.run_backward_recording(roots, _as_tensors(root_grads, grad_tensors), retain_graph, targets)
    else:
        graph.run_backward(roots, root_grads, retain_graph, targets)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False) -> tuple:
    """The gradients of sum(outputs . grad_outputs) with respect to each of `inputs`, as new tensors;
    no tensor's `.grad` changes. An input that no output depends on raises, unless allow_unused (then
    its gradient is None, or zeros with materialize_grads). `only_inputs` is accepted and ignored, as
    in PyTorch. With is_grads_batched, the first dim of every grad_outputs tensor is a batch: each
    gradient gets that dim in front, row i being the gradient for the grad_outputs' rows i (a materialized
    unused input's zeros have the input's shape, as in PyTorch). PyTorch vmaps the backward over the batch;
    here the backward runs once per row (the same values, a batch's worth of time)."""
    if materialize_grads and allow_unused is False:
        raise ValueError("grad(): materialize_grads=True needs allow_unused=True or not passed, got allow_unused=False")
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    roots = _tensor_list(outputs, "outputs")
    targets = _inputs(inputs, "grad")
    root_grads = _root_gradients(roots, grad_outputs, "grad_outputs")
    retain_graph = create_graph if retain_graph is None else bool(retain_graph)
    arrays = [None] * len(targets)
    if roots and create_graph:
        arrays = higher_order.run_backward_recording(roots, _as_tensors(root_grads, grad_outputs), retain_graph,
                                                     targets, accumulate=False)
    elif roots:
        arrays = graph.run_backward(roots, root_grads, retain_graph, targets, accumulate=False)
    results = []
    for index, (t, array) in enumerate(zip(targets, arrays)):
        if array is None:
            if not allow_unused:
                raise RuntimeError(f"grad(): inputs[{index}] (shape {t.shape}) appears to not have been used in the "
                                   "graph; pass allow_unused=True if this is expected")
            results.append(_materialized(t, create_graph) if materialize_grads else None)
        elif create_graph:  # a recorded tensor; one the caller gave (grad of x with respect to x) is copied
            results.append(array.clone() if any(array is g for g in _given(grad_outputs)) else array)
        elif getattr(array, "is_sparse", False):
            results.append(array)
        else:  # a fresh array: the graph or the caller may hold the one the walk produced
            results.append(graph.Tensor._wrap(array.copy(), False, None))
    return tuple(results)


def _materialized(t, create_graph: bool):
    """materialize_grads' zeros for an input the outputs do not reach: with create_graph a leaf that requires grad,
    as PyTorch's, so that the next grad through it sees a differentiable gradient."""
    return graph.Tensor._from_data(np.zeros_like(t._data)).requires_grad_(create_graph)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads) -> tuple:
    """grad(is_grads_batched=True): grad once per row of the grad_outputs, the results stacked along a new first
    dim (recorded with create_graph)."""
    from fastgrad.functions import stack

    roots = _tensor_list(outputs, "outputs")
    given = [None] * len(roots) if grad_outputs is None else _given(grad_outputs)
    if len(given) != len(roots):
        raise ValueError(f"grad_outputs has {len(given)} entries for {len(roots)} outputs; with is_grads_batched=True "
                         "give a batched gradient per output")
    batch = None
    for index, (root, g) in enumerate(zip(roots, given)):
        if g is None:
            raise ValueError(f"grad(is_grads_batched=True): grad_outputs[{index}] is None; every output needs a "
                             "gradient whose first dim is the batch")
        shape = tuple(np.shape(g._data if isinstance(g, graph.Tensor) else g))
        if shape[1:] != tuple(root.shape) or not shape:
            raise RuntimeError(f"grad(is_grads_batched=True): the first dim of each grad_output is the batch and the "
                               f"rest must match its output: grad_outputs[{index}] has shape {shape} and output "
                               f"{index} has shape {tuple(root.shape)}")
        if batch is not None and shape[0] != batch:
            raise ValueError(f"grad(is_grads_batched=True): the grad_outputs have batch sizes {batch} and {shape[0]} "
                             f"(grad_outputs[{index}]); they must be equal")
        batch = shape[0]
    if batch == 0:
        raise ValueError("grad(is_grads_batched=True): the grad_outputs' batch dim is empty (size 0)")
    retain_graph = create_graph if retain_graph is None else bool(retain_graph)
    rows = [grad(roots, inputs, [g[i] for g in given], retain_graph=retain_graph or i < batch - 1,
                 create_graph=create_graph, allow_unused=materialize_grads or allow_unused)
            for i in range(batch)]
    results = []
    for index, (t, column) in enumerate(zip(_tensor_list(inputs, "inputs"), zip(*rows))):
        if column[0] is None:  # the same graph for every row: unused in each
            # (PyTorch 2.13 materializes an unused input's gradient without the batch dim)
            results.append(_materialized(t, create_graph) if materialize_grads else None)
        elif column[0].is_sparse:
            raise NotImplementedError(f"grad(is_grads_batched=True): the gradient of inputs[{index}] is row-sparse "
                                      "(Embedding(sparse=True)), which is not batched; use a dense embedding")
        else:
            results.append(stack(column))
    return tuple(results)


def _tensor_list(value, name: str) -> list:
    """A tensor or a sequence of tensors, as a list."""
    Tensor = graph.Tensor
    if isinstance(value, Tensor):
        return [value]
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(f"{name} must be a Tensor or a sequence of Tensors, got {type(value).__name__}")
    for index, t in enumerate(value):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}[{index}] must be a Tensor, got {type(t).__name__}")
    return list(value)


def _inputs(value, caller: str) -> list:
    """The tensors to differentiate with respect to: at least one, each requiring grad."""
    targets = _tensor_list(value, "inputs")
    if not targets:
        raise RuntimeError(f"`inputs` argument to `{caller}()` cannot be empty")
    for index, t in enumerate(targets):
        graph.refuse_ambiguous_view(t)  # (as PyTorch, which reads each input's history first)
        if not t._requires_grad:
            raise RuntimeError(f"{caller}(): inputs[{index}] does not require grad, so it has no gradient")
    return targets


def _root_gradients(roots: list, given, name: str) -> list[np.ndarray]:
    """One gradient array per root, in the root's dtype: the given one, or 1 for a one-element root.
    Not copied: run_backward copies a root's gradient wherever it would become (part of) a `.grad`, so
    the caller's array never does."""
    Tensor = graph.Tensor
    given = [None] * len(roots) if given is None else _given(given)
    for g in given:  # (before the count, as PyTorch's, which reads the entries first)
        if g is not None and not isinstance(g, Tensor):  # (a NumPy array too: PyTorch's TypeError)
            raise TypeError(f"{name}: gradients can be either Tensors or None, but got {type(g).__name__}")
    if len(given) != len(roots):  # (PyTorch ignores extra gradients; fastgrad refuses them too, as a likely mistake)
        raise RuntimeError(f"{name}: got {len(roots)} tensors and {len(given)} gradients; give one per output")
    arrays = []
    for index, (root, g) in enumerate(zip(roots, given)):
        if not root._requires_grad:
            raise RuntimeError(f"element {index} of the outputs does not require grad and has no graph behind it")
        if g is None:
            if root._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs: output {index} has shape "
                                   f"{root.shape}; pass its gradient or reduce it first")
            arrays.append(np.ones(root.shape, dtype=root.dtype))
            continue
        array = np.asarray(g._data, dtype=root.dtype)
        if array.shape != root.shape:
            raise RuntimeError(f"Mismatch in shape: the gradient of output {index} has a shape of "
                               f"{tuple(array.shape)} and the output has a shape of {root.shape}")
        arrays.append(array)
    return arrays


def _given(grads) -> list:
    """The root gradients as the caller passed them, one per root (None where not given)."""
    if grads is None:
        return []
    if isinstance(grads, graph.Tensor):
        return [grads]
    if not isinstance(grads, Sequence) and not isinstance(grads, np.ndarray):  # (PyTorch iterates an array: refused)
        raise TypeError(f"'{type(grads).__name__}' object is not iterable: give a tensor, None, or a sequence of them "
                        f"as the gradients")
    return list(grads)


def _as_tensors(root_grads: list[np.ndarray], given) -> list:
    """Root gradients for a recorded backward: a tensor the caller gave (cast to its root's dtype by a recorded
    cast: if it requires grad, the gradients depend on it), else the checked array as a tensor."""
    given = _given(given) or [None] * len(root_grads)
    return [(g if g._data.dtype == array.dtype else g.to(array.dtype)) if isinstance(g, graph.Tensor)
            else graph.Tensor._from_data(array) for g, array in zip(given, root_grads)]
