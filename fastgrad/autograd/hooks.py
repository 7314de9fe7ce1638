"""Hooks that the graph walk (graph.run_backward) calls, with PyTorch's names:

* tensor hooks (`Tensor.register_hook`): `hook(grad)` sees the gradient of a tensor in a backward,
  summed over every path, and may return a replacement; `retain_grad()` is one that keeps a non-leaf's
  gradient as its `.grad`;
* post-accumulate-grad hooks: code run on a leaf once a backward has put every contribution into its
  `.grad`. Data-parallel training starts exchanging a gradient from here while the rest of the
  backward still runs.
"""
from __future__ import annotations

import functools
import weakref
from typing import Callable

import numpy as np

# id(tensor) -> (weak reference to the tensor, its hooks), one registry per kind.
# Kept here rather than on Tensor so that creating a tensor costs nothing more; empty, each costs the
# backward walk one dict test.
_TENSOR_HOOKS: dict[int, tuple[weakref.ref, list]] = {}
_POST_ACCUMULATE_HOOKS: dict[int, tuple[weakref.ref, list]] = {}


class RemovableHandle:
    """What registering a hook (on a tensor or a module) returns: `remove()` unregisters it, once (later
    calls do nothing), and `with handle:` removes it when the block ends."""

    def __init__(self, unregister: Callable[[], None]) -> None:
        self._unregister: Callable[[], None] | None = unregister

    def remove(self) -> None:
        if self._unregister is not None:  # a tensor's hook registered twice has two handles, one removal each
            self._unregister()
            self._unregister = None

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()


def _unregister(registry: dict, tensor_id: int, hook: Callable) -> None:
    entry = registry.get(tensor_id)
    if entry is None or hook not in entry[1]:  # moved to a stand-in by an in-place change (move_tensor_hooks)
        tensor_id = next((key for key, (_, hooks) in registry.items() if hook in hooks), None)
        entry = registry.get(tensor_id)
    if entry is not None:
        entry[1].remove(hook)
        if not entry[1]:
            del registry[tensor_id]


def move_tensor_hooks(tensor, before) -> None:
    """An in-place change gave `tensor` a new history, and `before` stands for the old one: the hooks
    registered so far belong to the old version and move to `before`, as PyTorch keeps them on the old
    history; retain_grad stays with the tensor (its `.grad` is the new version's)."""
    entry = _TENSOR_HOOKS.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return
    moving = [hook for hook in entry[1] if not isinstance(hook, RetainGrad)]
    if not moving:
        return
    staying = [hook for hook in entry[1] if isinstance(hook, RetainGrad)]
    if staying:
        entry[1][:] = staying
    else:
        del _TENSOR_HOOKS[id(tensor)]
    for hook in moving:
        _register(_TENSOR_HOOKS, before, hook)


def _register(registry: dict, tensor, hook: Callable) -> RemovableHandle:
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    key = id(tensor)
    entry = registry.get(key)
    if entry is None or entry[0]() is not tensor:  # a dead tensor's id may be reused

        # The tensor died: drop its hooks, not a newer tensor's. The registry is bound now because
        # module globals may already be gone when this runs at interpreter exit.
        def forget(ref: weakref.ref, registry: dict = registry) -> None:
            if registry.get(key, (None,))[0] is ref:
                del registry[key]

        entry = (weakref.ref(tensor, forget), [])
        registry[key] = entry
    entry[1].append(hook)
    return RemovableHandle(functools.partial(_unregister, registry, key, hook))


def register_hook(tensor, hook: Callable) -> RemovableHandle:
    """Call `hook(grad)` with the tensor's gradient in every backward that reaches it (the sum over all
    paths, before a leaf accumulates it into `.grad`); a Tensor it returns replaces that gradient."""
    return _register(_TENSOR_HOOKS, tensor, hook)


class RetainGrad:
    """The hook of `retain_grad()`: a non-leaf keeps its gradient as `.grad`, summed over backwards (a
    weak reference, so the hook does not keep the tensor alive)."""

    def __init__(self, tensor) -> None:
        self.tensor = weakref.ref(tensor)

    def __call__(self, grad, recorded: bool = False) -> None:
        """`recorded`: in a backward with create_graph, where `.grad` is a copy of the gradient and sums with it
        by recorded ops (as PyTorch's), so that it can be differentiated again."""
        from fastgrad.tensor import Tensor

        tensor = self.tensor()
        if tensor is None:
            return
        if recorded:
            tensor._grad = grad.clone() if tensor._grad is None else tensor._grad + grad
            return
        # (np.asarray: two 0-d arrays sum to a NumPy scalar, which a tensor must not hold: its dtype would not count
        # in promotion, so grad * 2 of a float64 grad would be float32)
        total = grad._data.copy() if tensor._grad is None else np.asarray(tensor._grad._data + grad._data)
        tensor._grad = Tensor._wrap(total, False, None)


def retains_grad(tensor) -> bool:
    entry = _TENSOR_HOOKS.get(id(tensor))
    return entry is not None and entry[0]() is tensor and any(isinstance(h, RetainGrad) for h in entry[1])


def register_post_accumulate_grad_hook(leaf, hook: Callable) -> RemovableHandle:
    """Call `hook(leaf)` in every backward that reaches `leaf`, once its `.grad` holds every
    contribution of that backward: after the last node that feeds it has run. Data-parallel training
    starts communicating a gradient from here, while the rest of the backward still runs."""
    if leaf._node is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    return _register(_POST_ACCUMULATE_HOOKS, leaf, hook)


def _run_tensor_hooks(tensor, grad):
    """The gradient array after the tensor's hooks (see hooked_gradient), in the array walk."""
    from fastgrad.sparse import SparseRowGrad
    from fastgrad.tensor import Tensor

    if isinstance(grad, SparseRowGrad):
        raise NotImplementedError("tensor hooks on a row-sparse gradient (Embedding(sparse=True)) are not "
                                  "supported; use register_post_accumulate_grad_hook, or a dense embedding")
    return hooked_gradient(tensor, Tensor._wrap(grad, False, None), False)._data


def hooked_gradient(tensor, grad, recorded: bool):
    """The gradient tensor after `tensor`'s hooks, each seeing the previous one's result, checked to keep the
    gradient's shape and dtype, as PyTorch checks a hook's result. `recorded`: the backward records its ops
    (create_graph), so `grad` and what the hooks return may carry a graph."""
    from fastgrad.tensor import Tensor

    hooks = _TENSOR_HOOKS[id(tensor)][1]
    # retain_grad's hook last, whenever it was registered, as PyTorch: .grad holds the final gradient
    for hook in [h for h in hooks if not isinstance(h, RetainGrad)]:
        result = hook(grad)
        if result is None:
            continue
        if not isinstance(result, Tensor):
            raise TypeError(f"a tensor hook returned a {type(result).__name__}; expected a Tensor or None")
        if result._data.shape != grad._data.shape or result._data.dtype != grad._data.dtype:
            raise RuntimeError(f"a tensor hook returned a gradient of shape {result.shape} and dtype {result.dtype}, "
                               f"expected shape {grad.shape} and dtype {grad.dtype}")
        # (the array walk's gradients carry no graph, as PyTorch's backward without create_graph runs in no_grad)
        grad = result if recorded else Tensor._wrap(result._data, False, None)
    for hook in [h for h in hooks if isinstance(h, RetainGrad)]:
        hook(grad, recorded)
    return grad


def _count_hooked_leaf_edges(order: list, targets: dict | None) -> dict[int, list]:
    """id(leaf) -> [leaf, number of nodes in `order` that feed it], for the leaves with post-accumulate
    hooks (and no tensor hooks: their gradients are stored, and the hooks run, at the end of the walk)
    that get gradients in this walk (all, or those in `targets`)."""
    edges: dict[int, list] = {}
    for tensor in order:
        for parent in tensor._node.inputs:
            if (parent._node is None and id(parent) in _POST_ACCUMULATE_HOOKS and id(parent) not in _TENSOR_HOOKS
                    and (targets is None or id(parent) in targets)):
                entry = edges.setdefault(id(parent), [parent, 0])
                entry[1] += 1
    return edges


def _count_down_hooked_leaves(inputs: tuple, edges: dict[int, list]) -> None:
    """A node that feeds hooked leaves has run; a leaf whose last feeding node this was is final."""
    for parent in inputs:
        entry = edges.get(id(parent))
        if entry is not None and entry[0] is parent:
            entry[1] -= 1
            if entry[1] == 0 and parent.grad is not None:
                _run_post_accumulate_hooks(parent)


def _run_post_accumulate_hooks(leaf) -> None:
    for hook in list(_POST_ACCUMULATE_HOOKS[id(leaf)][1]):
        hook(leaf)
