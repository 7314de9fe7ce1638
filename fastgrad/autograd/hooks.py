"""Post-accumulate-grad hooks (PyTorch's name): code run on a leaf once a backward has put every
contribution into its `.grad`. Data-parallel training starts exchanging a gradient from here while
the rest of the backward still runs; the graph walk (graph.run_backward) calls the functions below."""
from __future__ import annotations

import weakref
from typing import Callable

# id(leaf) -> (weak reference to the leaf, its hooks).
# Kept here rather than on Tensor so that creating a tensor costs nothing more; empty, it costs the
# backward walk one dict test.
_POST_ACCUMULATE_HOOKS: dict[int, tuple[weakref.ref, list]] = {}


class RemovableHandle:
    """What registering a hook returns; `remove()` unregisters it."""

    def __init__(self, leaf_id: int, hook: Callable) -> None:
        self._leaf_id, self._hook = leaf_id, hook

    def remove(self) -> None:
        entry = _POST_ACCUMULATE_HOOKS.get(self._leaf_id)
        if entry is not None and self._hook in entry[1]:
            entry[1].remove(self._hook)
            if not entry[1]:
                del _POST_ACCUMULATE_HOOKS[self._leaf_id]


def register_post_accumulate_grad_hook(leaf, hook: Callable) -> RemovableHandle:
    """Call `hook(leaf)` in every backward that reaches `leaf`, once its `.grad` holds every
    contribution of that backward: after the last node that feeds it has run. Data-parallel training
    starts communicating a gradient from here, while the rest of the backward still runs."""
    if leaf._node is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not leaf.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    key = id(leaf)
    entry = _POST_ACCUMULATE_HOOKS.get(key)
    if entry is None or entry[0]() is not leaf:  # a dead tensor's id may be reused

        # The leaf died: drop its hooks, not a newer tensor's. The registry is bound now because
        # module globals may already be gone when this runs at interpreter exit.
        def forget(ref: weakref.ref, registry: dict = _POST_ACCUMULATE_HOOKS) -> None:
            if registry.get(key, (None,))[0] is ref:
                del registry[key]

        entry = (weakref.ref(leaf, forget), [])
        _POST_ACCUMULATE_HOOKS[key] = entry
    entry[1].append(hook)
    return RemovableHandle(key, hook)


def _count_hooked_leaf_edges(order: list) -> dict[int, list]:
    """id(leaf) -> [leaf, number of nodes in `order` that feed it], for the hooked leaves."""
    edges: dict[int, list] = {}
    for tensor in order:
        for parent in tensor._node.inputs:
            if parent._node is None and id(parent) in _POST_ACCUMULATE_HOOKS:
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
