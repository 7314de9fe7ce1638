"""Nested Python containers of tensors (pytrees) as torch.func sees them: tuples, lists, namedtuples and dicts
are nodes, None is a node with nothing in it, anything else is a leaf. Dicts keep their insertion order."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
        if self.kind is dict:
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.keys, self.children)) + "}"
        inner = ", ".join(str(c) for c in self.children)
        if self.kind is list:
            return f"[{inner}]"
        if self.kind is type(None):
            return "None"
        return f"({inner}{',' if len(self.children) == 1 else ''})" if self.kind is tuple else f"{self.kind.__name__}({inner})"


def _is_namedtuple(value) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    """(the leaves, left to right, and the spec to put them back with)."""
    leaves: list = []
    return leaves, _flatten_into(tree, leaves)


def _flatten_into(tree, leaves: list) -> TreeSpec:
    if tree is None:
        return TreeSpec(type(None))
    if isinstance(tree, dict):
        keys = tuple(tree)
        return TreeSpec(dict, keys, tuple(_flatten_into(tree[k], leaves) for k in keys))
    if isinstance(tree, (tuple, list)):
        kind = type(tree) if _is_namedtuple(tree) else (tuple if isinstance(tree, tuple) else list)
        return TreeSpec(kind, (), tuple(_flatten_into(child, leaves) for child in tree))
    leaves.append(tree)
    return TreeSpec(None)


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
    if spec.kind is type(None):
        return None
    children = [_build(leaves, child) for child in spec.children]
    if spec.kind is dict:
        return dict(zip(spec.keys, children))
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
    prefix_leaves, prefix_spec = tree_flatten(prefix)
    if prefix is None or prefix_spec.is_leaf:
        values.extend([prefix] * _leaf_count(spec))
        return True
    if prefix_spec.kind != spec.kind or prefix_spec.keys != spec.keys or len(prefix_spec.children) != len(spec.children):
        return False
    children = prefix.values() if isinstance(prefix, dict) else prefix
    return all(_broadcast_into(p, s, values) for p, s in zip(children, spec.children))


def _leaf_count(spec: TreeSpec) -> int:
    return 1 if spec.is_leaf else sum(_leaf_count(child) for child in spec.children)


def describe(tree) -> str:
    """The structure of a pytree, leaves as `*`, for error messages."""
    return str(tree_flatten(tree)[1])

