"""Nested Python containers of tensors (pytrees) as torch.func sees them: tuples, lists, namedtuples and dicts
are nodes, anything else (None included) is a leaf. Dicts keep their insertion order."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

_DICTS = (dict, OrderedDict)


@dataclass(frozen=True)
class TreeSpec:
    """The shape of a pytree without its leaves: the node's type (None for a leaf), its dict keys or
    namedtuple type, and its children's specs."""

    kind: type | None
    keys: tuple = ()
    children: tuple = ()

    @property
    def is_leaf(self) -> bool:
        return self.kind is None

    def __str__(self) -> str:
        if self.is_leaf:
            return "*"
        if self.kind in _DICTS:
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.keys, self.children)) + "}"
        inner = ", ".join(str(c) for c in self.children)
        if self.kind is list:
            return f"[{inner}]"
        if self.kind is tuple:
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        return f"{self.kind.__name__}({inner})"


def _kind(tree) -> type | None:
    """The node type of a tree: dict (OrderedDict kept), tuple, list or a namedtuple class; None for a leaf."""
    if isinstance(tree, dict):
        return OrderedDict if isinstance(tree, OrderedDict) else dict
    if isinstance(tree, tuple):
        return type(tree) if hasattr(type(tree), "_fields") else tuple
    return list if isinstance(tree, list) else None


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    """(the leaves, left to right, and the spec to put them back with)."""
    leaves: list = []
    return leaves, _flatten_into(tree, leaves)


def _flatten_into(tree, leaves: list) -> TreeSpec:
    kind = _kind(tree)
    if kind is None:
        leaves.append(tree)
        return TreeSpec(None)
    keys = tuple(tree) if kind in _DICTS else ()
    children = [tree[k] for k in keys] if kind in _DICTS else tree
    return TreeSpec(kind, keys, tuple(_flatten_into(child, leaves) for child in children))


def tree_unflatten(leaves, spec: TreeSpec):
    """The pytree of shape `spec` holding `leaves` in order."""
    remaining = iter(leaves)
    tree = _build(remaining, spec)
    if next(remaining, _END) is not _END:
        raise ValueError(f"tree_unflatten: more leaves than the spec {spec} holds")
    return tree


_END = object()


def _build(leaves, spec: TreeSpec):
    if spec.is_leaf:
        leaf = next(leaves, _END)
        if leaf is _END:
            raise ValueError("tree_unflatten: fewer leaves than the spec holds")
        return leaf
    children = [_build(leaves, child) for child in spec.children]
    if spec.kind in _DICTS:
        return spec.kind(zip(spec.keys, children))
    if spec.kind in (tuple, list):
        return spec.kind(children)
    return spec.kind(*children)  # a namedtuple


def tree_map(function, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([function(leaf) for leaf in leaves], spec)


def broadcast_prefix(prefix, spec: TreeSpec) -> list | None:
    """One value per leaf of `spec`, from `prefix`: a tree whose leaves stand for whole subtrees of `spec`
    (an int or None there applies to every leaf below). None when `prefix` does not fit `spec`."""
    values: list = []
    return values if _broadcast_into(prefix, spec, values) else None


def _broadcast_into(prefix, spec: TreeSpec, values: list) -> bool:
    kind = _kind(prefix)
    if kind is None:
        values.extend([prefix] * _leaf_count(spec))
        return True
    keys = tuple(prefix) if kind in _DICTS else ()
    if kind != spec.kind or keys != spec.keys or len(prefix) != len(spec.children):
        return False
    children = prefix.values() if kind in _DICTS else prefix
    return all(_broadcast_into(p, s, values) for p, s in zip(children, spec.children))


def _leaf_count(spec: TreeSpec) -> int:
    return 1 if spec.is_leaf else sum(_leaf_count(child) for child in spec.children)
