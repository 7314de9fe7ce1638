"""Backward passes that are recorded themselves (`create_graph=True`), for gradients of gradients.

An op's `backward` computes on arrays: fast, and invisible to autograd. An op that also declares
`backward_graph(ctx, g, out)` - the same formula written with fastgrad's differentiable ops, on the
upstream gradient `g`, the op's output `out` and its inputs `ctx.inputs`, all tensors - can be
differentiated again: the walk here calls it with grad mode on, so the gradients it returns carry a
graph of their own (Hessian-vector products, gradient penalties, MAML). A node whose op has no
`backward_graph` raises NotImplementedError naming the op: a higher-order gradient with a silently
missing term would be a plausible wrong number. So do tensor hooks, row-sparse gradients and backward
through tensors changed in place (the array walk's support for them was not carried over).
"""
from __future__ import annotations

from fastgrad.autograd import graph
from fastgrad.autograd.grad_mode import enable_grad
from fastgrad.autograd.hooks import _POST_ACCUMULATE_HOOKS, _TENSOR_HOOKS


def run_backward_recording(roots: list, root_grads: list, retain_graph: bool, inputs: list | None = None,
                           accumulate: bool = True) -> list | None:
    """graph.run_backward's contract, with tensors for gradients: `root_grads` are tensors (a root gradient
    that requires grad is differentiated through too), leaves' `.grad` become tensors with a graph, and with
    accumulate=False the inputs' gradients are returned."""
    with enable_grad():
        return _walk(roots, root_grads, retain_graph, inputs, accumulate)


def _walk(roots, root_grads, retain_graph, inputs, accumulate):
    grads: dict[int, object] = {}
    leaf_grads: dict[int, list] = {}  # id -> [leaf, its summed gradient]
    targets = needed = relevant = None
    order = graph._topological_order(roots)
    if inputs is not None:  # only the nodes on a path to an input run
        targets = {id(t): t for t in inputs}
        needed = graph._nodes_leading_to(order, targets)
        order = [t for t in order if id(t) in needed or id(t) in targets]
        relevant = needed | targets.keys()
    for root, grad in zip(roots, root_grads):
        if root._node is not None:
            _add(grads, id(root), grad)
        elif targets is None or id(root) in targets:
            _add_to_leaf(leaf_grads, root, grad)
    captured: dict[int, object] = {}
    for tensor in order:
        node = tensor._node
        g = grads.pop(id(tensor), None)
        if g is None:
            continue
        _refuse_hooks(tensor)
        if targets is not None and id(tensor) in targets:
            captured[id(tensor)] = g
            if id(tensor) not in needed:
                continue
        op, parents = node.op, node.inputs
        if not parents:
            raise RuntimeError(f"trying to backward through the graph a second time ({op.__name__}): its saved values "
                               "were freed by the first backward; pass retain_graph=True to the first call")
        graph.refuse_modified(node)
        backward_graph = _recorded_backward(op)
        if backward_graph is None:
            raise NotImplementedError(
                f"create_graph=True: the backward of {op.__name__} is not differentiable in fastgrad (it computes on "
                "arrays); higher-order gradients cover the ops whose class declares backward_graph")
        for parent in parents:  # the array walk's _as_seen_by case
            base = parent._base
            if parent._node is not None and (parent._node.seq > node.seq or (
                    base is not None and base._node is not None and base._node.seq > parent._node.seq)):
                raise NotImplementedError(
                    f"create_graph=True: {op.__name__} read a tensor that was changed in place afterwards; "
                    "clone() it before the change to differentiate twice")
        for parent, parent_grad in zip(parents, backward_graph(node, g, tensor)):
            if parent_grad is None or not parent._requires_grad or (relevant is not None
                                                                     and id(parent) not in relevant):
                continue
            parent_grad = _fitted(parent, parent_grad)
            if parent._node is None:
                _add_to_leaf(leaf_grads, parent, parent_grad)
            else:
                _add(grads, id(parent), parent_grad)
        if not retain_graph:
            node.saved, node.inputs = None, ()
    handed = set(map(id, root_grads))  # tensors the caller or another leaf holds: a leaf's .grad gets a copy
    for leaf, leaf_grad in leaf_grads.values():
        _refuse_hooks(leaf)
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
    """The gradient for `parent` in its shape (broadcast dims summed, recorded) and dtype."""
    shape = tuple(parent._data.shape)
    if tuple(grad.shape) != shape:
        dims = graph.broadcast_axes(tuple(grad.shape), shape)
        grad = (grad.sum(dim=dims, keepdim=True) if dims else grad).reshape(shape)
    if grad._data.dtype != parent._data.dtype:
        grad = grad.to(parent.dtype)
    return grad


def _refuse_hooks(tensor) -> None:
    if id(tensor) in _TENSOR_HOOKS or id(tensor) in _POST_ACCUMULATE_HOOKS:
        raise NotImplementedError("create_graph=True: tensor hooks (register_hook, register_post_accumulate_grad_hook) "
                                  "are not run by a recorded backward; remove them to differentiate twice")
