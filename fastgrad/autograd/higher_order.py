"""Backward passes that are recorded themselves (`create_graph=True`), for gradients of gradients.

An op's `backward` computes on arrays: fast, and invisible to autograd. An op that also declares
`backward_graph(ctx, g, out)` - the same formula written with fastgrad's differentiable ops, on the
upstream gradient `g`, the op's output `out` and its inputs `ctx.inputs`, all tensors - can be
differentiated again: the walk here calls it with grad mode on, so the gradients it returns carry a
graph of their own (Hessian-vector products, gradient penalties, MAML). A node whose op has no
`backward_graph` raises NotImplementedError naming the op: a higher-order gradient with a silently
missing term would be a plausible wrong number; so do row-sparse gradients. As in the array walk (graph.run_backward),
tensor hooks see each gradient (here a tensor with a graph) and may replace it, a retained non-leaf gradient
becomes `.grad`, post-accumulate hooks run once a leaf's `.grad` is complete, and a gradient for a tensor
changed in place after a node read it goes to the history the node saw.
"""
from __future__ import annotations

import numpy as np

from fastgrad.autograd import graph
from fastgrad.autograd.anomaly_mode import ANOMALY_MODE, check_backward_step
from fastgrad.autograd.grad_mode import enable_grad
from fastgrad.autograd.hooks import _POST_ACCUMULATE_HOOKS, _TENSOR_HOOKS, _run_post_accumulate_hooks, hooked_gradient


def run_backward_recording(roots: list, root_grads: list, retain_graph: bool, inputs: list | None = None,
                           accumulate: bool = True) -> list | None:
    """graph.run_backward's contract, with tensors for gradients: `root_grads` are tensors (a root gradient
    that requires grad is differentiated through too), leaves' `.grad` become tensors with a graph, and with
    accumulate=False the inputs' gradients are returned."""
    graph.follow_changed_bases(roots)
    with enable_grad():
        return _walk(roots, root_grads, retain_graph, inputs, accumulate)


def _walk(roots, root_grads, retain_graph, inputs, accumulate):
    grads: dict[int, object] = {}
    leaf_grads: dict[int, list] = {}  # id -> [leaf, its summed gradient]: its hooks see the sum
    targets = needed = relevant = None
    order = graph._topological_order(roots)
    if inputs is not None:  # only the nodes on a path to an input run
        targets = {id(t): t for t in inputs}
        order, needed, relevant = graph.pruned_to_targets(order, targets, roots)
    for root, grad in zip(roots, root_grads):
        if root._node is not None:
            _add(grads, id(root), grad)
        elif targets is None or id(root) in targets:
            _add_to_leaf(leaf_grads, root, grad)
        elif graph.lone_hooked_root(roots):
            hooked_gradient(root, grad, True)
    captured: dict[int, object] = {}
    kept = []  # (see graph.release)
    for tensor in order:
        node = tensor._node
        g = grads.pop(id(tensor), None)
        if g is None:
            continue
        if id(tensor) in _TENSOR_HOOKS:  # g is complete: every path has run
            g = hooked_gradient(tensor, g, True)
        if targets is not None:
            if id(tensor) in targets:
                captured[id(tensor)] = g
            if id(tensor) not in needed:  # (a target, or a hooked root, whose node need not run)
                continue
        op, parents = node.op, node.inputs
        if not parents:
            raise RuntimeError(f"trying to backward through the graph a second time ({op.__name__}): its saved values "
                               "were freed by the first backward; pass retain_graph=True to the first call")
        graph.refuse_modified(node)
        if graph.DETACHED_IN_PLACE:
            graph.refuse_detached_inputs(node)
        backward_graph = _recorded_backward(op)
        if backward_graph is None:
            raise NotImplementedError(
                f"create_graph=True: the backward of {op.__name__} is not differentiable in fastgrad (it computes on "
                "arrays); higher-order gradients cover the ops whose class declares backward_graph")
        input_grads = backward_graph(node, g, tensor)
        if ANOMALY_MODE.enabled and ANOMALY_MODE.check_nan:
            check_backward_step(op, input_grads)
        for parent, parent_grad in zip(parents, input_grads):
            if parent_grad is None:
                continue
            # the parent, or the base of a parent that is a view, was changed in place since: the gradient goes to
            # the history node saw, as in the array walk
            if parent._node is not None and graph._input_as_seen_by(node, parent) is not parent:
                parent, parent_grad = graph._as_seen_by(node, parent, parent_grad, _fitted_as_seen, _into_base)
            if not parent._requires_grad or (relevant is not None and id(parent) not in relevant) or (
                    graph.REQUIRES_GRAD_CHANGES and parent._node is None
                    and not graph.required_grad_when_recorded(node, parent)):
                continue
            parent_grad = _fitted(parent, parent_grad)
            if parent._node is None:
                _add_to_leaf(leaf_grads, parent, parent_grad)
            else:
                _add(grads, id(parent), parent_grad)
        if not retain_graph:
            graph.release(node, kept)
    handed = set(map(id, root_grads))  # tensors the caller or another leaf holds: a leaf's .grad gets a copy
    for leaf, leaf_grad in leaf_grads.values():
        if id(leaf) in _TENSOR_HOOKS:
            hooked = hooked_gradient(leaf, leaf_grad, True)
            if hooked is not leaf_grad:  # a hook's tensor may be the caller's
                handed.add(id(hooked))
            leaf_grad = hooked
        if not accumulate:
            captured[id(leaf)] = leaf_grad
            continue
        if leaf._grad is None:
            leaf._grad = leaf_grad.clone() if id(leaf_grad) in handed else leaf_grad
            handed.add(id(leaf._grad))
        elif leaf._grad.is_sparse:
            raise NotImplementedError("create_graph=True: a leaf whose .grad is row-sparse cannot accumulate a "
                                      "recorded gradient; set its .grad to None first")
        else:  # out of place, recorded (PyTorch's AccumulateGrad under create_graph)
            leaf._grad = leaf._grad + leaf_grad
        if id(leaf) in _POST_ACCUMULATE_HOOKS:  # (at the end of the walk, once every leaf's .grad is complete)
            _run_post_accumulate_hooks(leaf)
    if accumulate:
        return None
    return [captured.get(id(t)) for t in inputs]


def _recorded_backward(op):
    """op.backward_graph when op's own class declares it: an inherited one may be another op's formula
    (Softmax shares LogSoftmax's code, not its derivative)."""
    return vars(op).get("backward_graph")


def _add(grads: dict, key: int, grad) -> None:
    """Gradients sum where branches meet (out of place, so the sum is recorded)."""
    grads[key] = grad if key not in grads else grads[key] + grad


def _add_to_leaf(leaf_grads: dict, leaf, grad) -> None:
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, grad]
    else:
        entry[1] = entry[1] + grad


def _fitted(parent, grad):
    """The gradient for `parent` in its shape (broadcast dims summed, recorded) and dtype. A gradient that is not
    a tensor (the slots of a custom Function's outputs) goes as it is."""
    if not isinstance(grad, graph.Tensor):
        return grad
    shape = tuple(parent._data.shape)
    if tuple(grad.shape) != shape:
        dims = graph.broadcast_axes(tuple(grad.shape), shape)
        grad = (grad.sum(dim=dims, keepdim=True) if dims else grad).reshape(shape)
    if grad._data.dtype != parent._data.dtype:
        grad = grad.to(parent.dtype)
    return grad


def _fitted_as_seen(target, grad, given):
    """_fitted with graph._as_seen_by's signature (`given` names the input in the array walk's error messages)."""
    return _fitted(target, grad)


def _into_base(view, base, grad):
    """graph._into_base with recorded ops: the view's gradient added into zeros of the base's shape."""
    positions = graph.Tensor._from_data(graph.view_positions(view, base).reshape(-1))
    zeros = graph.Tensor._from_data(np.zeros(base.size, dtype=grad._data.dtype))
    return zeros.index_add(0, positions, grad.reshape(-1)).reshape(base.shape)
