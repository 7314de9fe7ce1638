"""KL(p || q) between distributions, as torch.distributions.kl: `kl_divergence(p, q)` looks up the
function registered with `register_kl` for the most specific pair of types that p's and q's types
derive from. The closed forms themselves are registered in kl_pairs.py."""
from __future__ import annotations

import warnings
from typing import Callable

from fastgrad.distributions.distribution import Distribution
from fastgrad.tensor import Tensor

__all__ = ["kl_divergence", "register_kl"]

_REGISTRY: dict[tuple[type, type], Callable] = {}
_FOUND: dict[tuple[type, type], Callable] = {}  # lookups already made; emptied at each registration


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator: `@register_kl(Normal, Normal)` over `def kl(p, q)` makes it KL(p || q) for those types
    and, unless a more specific pair is registered, their subclasses."""
    for name, given in (("type_p", type_p), ("type_q", type_q)):
        if not (isinstance(given, type) and issubclass(given, Distribution)):
            raise TypeError(f"Expected {name} to be a Distribution subclass but got {given!r}")

    def decorator(function: Callable) -> Callable:
        _REGISTRY[type_p, type_q] = function
        _FOUND.clear()  # a new pair may be more specific than one found before
        return function

    return decorator


def _most_specific(type_p: type, type_q: type) -> Callable | None:
    """The function of the registered pair nearest to (type_p, type_q) in their class hierarchies,
    ranking by p's distance first; PyTorch warns when ranking by q's first gives another function."""
    matches = [(p, q) for p, q in _REGISTRY if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return None
    p_first = min(matches, key=lambda pair: (type_p.__mro__.index(pair[0]), type_q.__mro__.index(pair[1])))
    q_first = min(matches, key=lambda pair: (type_q.__mro__.index(pair[1]), type_p.__mro__.index(pair[0])))
    if _REGISTRY[p_first] is not _REGISTRY[q_first]:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). Please "
                      f"register_kl({p_first[0].__name__}, {q_first[1].__name__})", RuntimeWarning, stacklevel=3)
    return _REGISTRY[p_first]


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q) over p's and q's batch shapes (broadcast together)."""
    types = type(p), type(q)
    if types not in _FOUND:
        _FOUND[types] = _most_specific(*types)
    function = _FOUND[types]
    if function is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {types[0].__name__} and q type "
                                  f"{types[1].__name__}")
    return function(p, q)
