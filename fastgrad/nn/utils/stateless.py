"""Calling a module with other tensors in place of its parameters and buffers (torch.func.functional_call,
and the deprecated torch.nn.utils.stateless.functional_call): for meta-learning, ensembles, or taking
gradients with respect to a given set of weights. The given tensors are put in the module's registries
for the call (so gradients reach them) and the module's own are put back afterwards, even when the
call raises."""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any, Iterator

from fastgrad.nn.modules.module import Module
from fastgrad.tensor import Tensor

_ABSENT = object()  # a name with no value on the module (a key functional_call adds for the call only)


def _swap(module: Module, dotted_name: str, value) -> Any:
    """Put `value` at `dotted_name` (or, for _ABSENT, remove it); return what was there (or _ABSENT)."""
    if value is not _ABSENT and not isinstance(value, Tensor):
        raise TypeError(f"functional_call: the value for {dotted_name!r} must be a Tensor, got {type(value).__name__}")
    owner_path, _, name = dotted_name.rpartition(".")
    owner = module.get_submodule(owner_path)
    if name == "":
        raise KeyError(f"functional_call: tensor name can't be empty string \"\" (in {dotted_name!r})")
    for registry in (owner._parameters, owner._buffers):
        if name in registry:
            previous = registry[name]
            if value is _ABSENT:
                del registry[name]
                object.__delattr__(owner, name)
            else:  # written directly: a plain Tensor may stand where a Parameter was
                registry[name] = value
                object.__setattr__(owner, name, value)
            return previous
    previous = getattr(owner, name, _ABSENT)
    if previous is not _ABSENT and not isinstance(previous, Tensor):
        raise TypeError(f"functional_call: attribute `{name}` of {type(owner).__name__} is a "
                        f"{type(previous).__name__}, not a Tensor")
    if value is not _ABSENT:
        setattr(owner, name, value)
    elif previous is not _ABSENT:
        delattr(owner, name)
    return previous


def _named_tensors(module: Module) -> list[tuple[str, Tensor]]:
    """Every parameter and buffer under every name (a tied one under each of its names)."""
    return [*module.named_parameters(remove_duplicate=False), *module.named_buffers(remove_duplicate=False)]


def _tied_values(module: Module, values: dict[str, Tensor]) -> dict[str, Tensor]:
    """`values` plus, for every given name of a tensor the module holds under several names (tied
    weights), the same value under the other names; two different values for one tied tensor raise."""
    names_of: dict[int, list[str]] = {}
    for name, tensor in _named_tensors(module):
        names_of.setdefault(id(tensor), []).append(name)
    untied = dict(values)
    for names in names_of.values():
        given = [name for name in names if name in values]
        if len(names) < 2 or not given:
            continue
        if len({id(values[name]) for name in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, which are tied. "
                             "Consider using tie_weights=False")
        for name in names:
            untied[name] = values[given[0]]
    return untied


@contextmanager
def _reparametrized(module: Module, given: dict[str, Tensor], tie_weights: bool, strict: bool) -> Iterator[None]:
    values = _tied_values(module, given) if tie_weights else given
    if strict:
        own = {name for name, _ in _named_tensors(module)}
        problems = []
        unexpected, missing = sorted(set(values) - own), sorted(own - set(values))
        if unexpected:
            problems.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            problems.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if problems:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(problems))
    originals: dict[str, Any] = {}
    try:
        for name, value in values.items():
            originals[name] = _swap(module, name, value)
        yield
    finally:
        after_call = {name: _swap(module, name, original) for name, original in originals.items()}
        given.update({name: tensor for name, tensor in after_call.items() if name in given and tensor is not _ABSENT})


def _functional_call(module: Module, parameters_and_buffers: dict[str, Tensor], args=None, kwargs=None, *,
                     tie_weights: bool = True, strict: bool = False):
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: module must be a Module, got {type(module).__name__}")
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrized(module, parameters_and_buffers, tie_weights, strict):
        return module(*args, **(kwargs or {}))


def functional_call(module: Module, parameters_and_buffers: dict[str, Tensor], args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """Deprecated in PyTorch 2.0 (a FutureWarning, as there): use fastgrad.func.functional_call."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed "
                  "in a future version of PyTorch. Please use `torch.func.functional_call` instead which is a "
                  "drop-in replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)


def merged_dicts(parameter_and_buffer_dicts: dict[str, Tensor] | Sequence[dict[str, Tensor]]) -> dict[str, Tensor]:
    """torch.func's argument: one dict, or a sequence of dicts whose keys do not repeat."""
    if isinstance(parameter_and_buffer_dicts, dict):
        return parameter_and_buffer_dicts
    if not isinstance(parameter_and_buffer_dicts, Sequence):
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, "
                         f"but got {type(parameter_and_buffer_dicts)}")
    if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
    keys = [key for d in parameter_and_buffer_dicts for key in d]
    repeated = [key for key in dict.fromkeys(keys) if keys.count(key) > 1]
    if repeated:
        raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
    return {key: value for d in parameter_and_buffer_dicts for key, value in d.items()}
