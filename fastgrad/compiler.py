"""`fastgrad.compile` and `fastgrad.compiler`, as torch.compile and torch.compiler: fastgrad runs every op
eagerly (its kernels are compiled ahead of time), so compiling changes nothing about how a function or module
runs; the arguments are checked as PyTorch checks them, so a script that fastgrad accepts is one torch accepts.

A compiled Module is wrapped as torch wraps it, in an `OptimizedModule` whose only child is `_orig_mod`: its
state_dict keys start with `_orig_mod.` as PyTorch's do, so checkpoints saved from compiled models load into
compiled models (and the prefix must be stripped to load them into plain ones) in fastgrad as in PyTorch.
"""
from __future__ import annotations

from typing import Callable

from fastgrad.nn.modules.module import Module

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
# The names torch._dynamo.list_backends(exclude_tags=None) gives in PyTorch 2.13; each runs eagerly here.
_BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "aot_eager_decomp_partition_crossref",
             "aot_eager_decomp_partition_with_mode", "aot_eager_default_partitioner", "aot_ts", "cudagraphs",
             "dynamo_accuracy_minifier_backend", "dynamo_minifier_backend", "eager", "eager_debug", "eager_noexcept",
             "inductor", "invoke_subgraph", "openxla", "openxla_eval", "pre_dispatch_eager", "ts", "tvm")


class OptimizedModule(Module):
    """What `compile(module)` returns: runs `_orig_mod` (with this wrapper's own hooks around it, if any), and
    reads and sets other attributes on it, as torch's OptimizedModule does."""

    def __init__(self, mod: Module):
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    @property
    def training(self) -> bool:
        return self._orig_mod.training

    @training.setter
    def training(self, mode: bool) -> None:
        if "_orig_mod" in self.__dict__:  # (Module.__init__ sets it before there is a module to pass it to)
            self._orig_mod.training = mode

    def __getattr__(self, name: str):
        if name == "_orig_mod":  # (not set yet: while unpickling, or in __init__ before the assignment)
            raise AttributeError(name)
        return getattr(self._orig_mod, name)

    def __setattr__(self, name: str, value) -> None:
        if name == "_orig_mod":
            super().__setattr__(name, value)
        else:
            setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._orig_mod, name)

    def __len__(self) -> int:
        return len(self._orig_mod)


def _check_compile_arguments(model, dynamic, backend, mode, options) -> None:
    """PyTorch's checks of torch.compile's arguments, with its exception types and messages."""
    if model is not None and not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if options is not None and not isinstance(options, dict):
        raise AttributeError(f"{type(options).__name__!r} object has no attribute 'items'")
    if dynamic is not None and not isinstance(dynamic, bool):
        raise AssertionError(f"Expected enable to be a bool, got {type(dynamic)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise RuntimeError(f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` for available "
                           f"backends.")


def compile(model: Callable | None = None, *, fullgraph: bool = False, dynamic: bool | None = None,
            backend: str | Callable = "inductor", mode: str | None = None, options: dict | None = None,
            disable: bool = False):
    """The function `model` as it is, or a Module wrapped in an OptimizedModule; with no `model`, the
    decorator that does this (`@fastgrad.compile(mode="max-autotune")`). Results are the eager call's, bit
    for bit. `options` are accepted without reading them: PyTorch checks their names against its inductor
    configuration, which fastgrad does not have."""
    _check_compile_arguments(model, dynamic, backend, mode, options)
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                  options=options, disable=disable)
    if isinstance(model, Module) and not disable:
        return OptimizedModule(model)
    return model


def is_compiling() -> bool:
    """False: nothing is ever traced by a compiler in fastgrad."""
    return False


def is_dynamo_compiling() -> bool:
    return False


def disable(fn: Callable | None = None, recursive: bool = True, *, reason: str | None = None):
    """`fn` as it is (there is no compiler to keep away from it); with no `fn`, a decorator doing that."""
    if fn is None:
        return lambda function: function
    return fn


def allow_in_graph(fn: Callable) -> Callable:
    return fn


def reset() -> None:
    """Nothing to clear: fastgrad keeps no compiled graphs."""
