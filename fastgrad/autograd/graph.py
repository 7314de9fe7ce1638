"""The graph layer: recording op applications and walking them backwards.

An op is a class with `forward(ctx, K, *arrays, **attrs) -> array` and `backward(ctx, K, grad) ->
tuple of input gradients` (a vector-Jacobian product), where K is the backend whose kernels do the
arithmetic. `apply` runs the forward and, when an input requires grad, records a Node; `backward`
visits the recorded nodes in reverse topological order, summing gradients where branches meet.
"""
from __future__ import annotations

import time

import numpy as np

from fastgrad import backends
from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.profiler import PROFILE
from fastgrad.sparse import SparseRowGrad


class Op:
    """Base of the op table. `broadcasts`: inputs may broadcast, so each input's gradient is summed
    back to its shape here, once, rather than in every backward. `saves_inputs`: backward reads input
    values, so modifying an input in place before backward is an error."""

    broadcasts = False
    saves_inputs = True

    @staticmethod
    def forward(ctx: "Node", K, *arrays, **attrs) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: "Node", K, grad: np.ndarray) -> tuple:
        raise NotImplementedError


class Node:
    """One recorded application of an op: its inputs, what forward saved, and the backend it ran on."""

    __slots__ = ("op", "inputs", "saved", "backend", "versions", "released")

    def __init__(self, op, inputs, backend):
        self.op, self.inputs, self.backend = op, inputs, backend
        self.saved = None
        self.released = False


# The Tensor class; fastgrad.tensor sets it once the class exists (it imports this module first).
Tensor = None


def apply(op, *inputs, **attrs):
    """Run `op` forward on tensors, recording the graph when grad mode is on and an input needs grad.

    This runs for every op, so it is written for speed: plain loops instead of any()/generators."""
    K = backends.CURRENT.kernels
    record = False
    if GRAD_MODE.enabled:
        for t in inputs:
            if t.requires_grad:
                record = True
                break
    node = Node(op, inputs, K)
    arrays = [t._data for t in inputs]
    if PROFILE.active is None:
        out = op.forward(node, K, *arrays, **attrs)
    else:
        start = time.perf_counter()
        out = op.forward(node, K, *arrays, **attrs)
        PROFILE.active.record(op.__name__, K.name, False, time.perf_counter() - start)
    if type(out) is not np.ndarray:  # reductions may return NumPy scalars
        out = np.asarray(out)
    result = Tensor.__new__(Tensor)  # Tensor._wrap, inlined: this line runs for every op
    result._data, result._version, result.grad = out, 0, None
    if not record or out.dtype.kind != "f":  # integer and bool results carry no gradient
        result.requires_grad, result._node = False, None
    else:
        node.versions = tuple([t._version for t in inputs])
        result.requires_grad, result._node = True, node
    return result


def _topological_order(root) -> list:
    """Non-leaf tensors reachable from root, each after every tensor that was computed from it.

    Iterative depth-first search (no recursion, so a 100,000-op chain is fine)."""
    order, visited = [], {id(root)}
    stack = [(root, iter(root._node.inputs))]
    while stack:
        tensor, parents = stack[-1]
        for parent in parents:
            if parent._node is not None and id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(parent._node.inputs)))
                break
        else:
            stack.pop()
            order.append(tensor)
    order.reverse()  # root first: every tensor comes before the tensors it was computed from
    return order


def _sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo broadcasting: sum over the axes that broadcasting added or stretched from size 1."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    summed = grad.sum(axis=axes, keepdims=True) if axes else grad
    return summed.reshape(shape)


def _accumulate(current, new):
    """Gradients sum where branches meet; never in place, since `current` may be shared."""
    if current is None:
        return new
    if isinstance(current, SparseRowGrad) or isinstance(new, SparseRowGrad):
        return current + new if isinstance(current, SparseRowGrad) else new + current
    return current + new


def _check_versions(node) -> None:
    for t, version in zip(node.inputs, node.versions):
        if t._version != version:
            raise RuntimeError(
                f"one of the tensors needed for gradient computation ({node.op.__name__} input of shape "
                f"{t.shape}) was modified by an in-place operation: it is at version {t._version}, expected "
                f"version {version}")


def run_backward(root, grad: np.ndarray, retain_graph: bool) -> None:
    """Backpropagate `grad` (dLoss/droot) to every leaf that requires grad, accumulating into `.grad`."""
    if root._node is None:  # a leaf: its gradient is the given one
        _store_leaf_grad(root, grad, set())
        return
    grads = {id(root): grad}
    handed_to_leaves: set[int] = set()
    profile = PROFILE.active
    for tensor in _topological_order(root):
        node = tensor._node
        g = grads.pop(id(tensor), None)
        if g is None:  # nothing flowed here (e.g. every path was an integer output)
            continue
        op = node.op
        if node.released:
            raise RuntimeError(
                f"trying to backward through the graph a second time ({op.__name__}): its saved values were "
                "freed by the first backward; pass retain_graph=True to the first call")
        if op.saves_inputs:
            _check_versions(node)
        if profile is None:
            input_grads = op.backward(node, node.backend, g)
        else:
            start = time.perf_counter()
            input_grads = op.backward(node, node.backend, g)
            profile.record(op.__name__, node.backend.name, True, time.perf_counter() - start)
        for parent, parent_grad in zip(node.inputs, input_grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            if op.broadcasts and parent_grad.shape != parent._data.shape:
                parent_grad = _sum_to_shape(parent_grad, parent._data.shape)
            if parent._node is None:
                _store_leaf_grad(parent, parent_grad, handed_to_leaves)
            else:  # gradients sum where branches meet
                key = id(parent)
                grads[key] = _accumulate(grads[key], parent_grad) if key in grads else parent_grad
        if not retain_graph:
            node.saved = None
            node.released = True


def _store_leaf_grad(leaf, grad, handed_to_leaves: set[int]) -> None:
    """Accumulate into leaf.grad (as PyTorch does across backward calls)."""
    if isinstance(grad, SparseRowGrad):
        leaf.grad = grad if leaf.grad is None else _accumulate(leaf.grad if leaf.grad.is_sparse else leaf.grad._data, grad)
        if not isinstance(leaf.grad, SparseRowGrad):
            leaf.grad = Tensor(leaf.grad)
        return
    if grad.dtype != leaf._data.dtype:
        grad = grad.astype(leaf._data.dtype)
    if leaf.grad is None:
        # The same array may reach several leaves (a + b hands g to both), or be a view of another
        # gradient: copy it then, so that in-place changes to one .grad never show in another.
        if id(grad) in handed_to_leaves or not grad.flags.owndata:
            grad = grad.copy()
        handed_to_leaves.add(id(grad))
        leaf.grad = Tensor._wrap(grad, False, None)
    elif leaf.grad.is_sparse:
        leaf.grad = Tensor(leaf.grad + grad)
    else:
        leaf.grad._data = leaf.grad._data + grad
