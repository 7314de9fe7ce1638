"""Module hooks, with PyTorch's signatures, order and return values: code run around a module's forward
(to read or replace its arguments and output) and during backward (to read or replace the gradients
w.r.t. its inputs and outputs), for feature extraction, gradient inspection and debugging.

`Module.register_*_hook` and the global `register_module_*_hook` put hooks in registries (a module's
`_hooks`, or `GLOBAL_HOOKS`); `Module.__call__` hands a call to `call_with_hooks` only when one of the
two is not empty, so a module without hooks pays two truth tests.

Backward hooks work as PyTorch's: the module's tensor arguments, and its tensor outputs, pass through an
identity Function (`BackwardHookFunction`). Its backward runs once the gradients w.r.t. those tensors are
complete (summed over every use), so the one on the outputs sees grad_output (and runs the pre-hooks),
and the one on the inputs, reached later in the same walk, sees grad_input and runs the full hooks.
"""
from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from typing import Any, Callable, NamedTuple

import numpy as np

from fastgrad.autograd.function import Function
from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.autograd.hooks import RemovableHandle
from fastgrad.tensor import Tensor

FORWARD_PRE, FORWARD, BACKWARD_PRE, BACKWARD = "forward pre-hook", "forward hook", "backward pre-hook", "backward hook"


class ModuleHook(NamedTuple):
    kind: str  # one of the four above
    function: Callable
    with_kwargs: bool = False  # forward (pre-)hooks: also receive the keyword arguments
    always_call: bool = False  # forward hooks: also run when the call raises


# Hooks of every module (PyTorch's register_module_*_hook); they run before each module's own.
GLOBAL_HOOKS: "OrderedDict[int, ModuleHook]" = OrderedDict()
_HOOK_IDS = itertools.count()


class Unregister:
    """Removes one hook from its registry. A plain object rather than a bound `registry.pop`, so that deep-copying
    a module together with a handle kept on it (as lazy modules keep theirs) gives a handle on the copy's
    registry: deepcopy copies the registry once, through its memo, where it leaves a bound builtin method as is."""

    __slots__ = ("registry", "key")

    def __init__(self, registry: OrderedDict, key: int) -> None:
        self.registry, self.key = registry, key

    def __call__(self) -> None:
        self.registry.pop(self.key, None)


def add_hook(hooks: OrderedDict, method: str, kind: str, hook: Callable, prepend: bool = False,
             **options) -> RemovableHandle:
    """Register `hook` in `hooks`, after the hooks already there or, with prepend, before them."""
    if not callable(hook):
        raise TypeError(f"{method}(): hook must be callable, got {type(hook).__name__} {hook!r}")
    key = next(_HOOK_IDS)
    hooks[key] = ModuleHook(kind, hook, **options)
    if prepend:
        hooks.move_to_end(key, last=False)
    return RemovableHandle(Unregister(hooks, key))


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """`hook(module, args)` before every module's forward (and before its own forward pre-hooks)."""
    return add_hook(GLOBAL_HOOKS, "register_module_forward_pre_hook", FORWARD_PRE, hook)


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """`hook(module, args, output)` after every module's forward (and before its own forward hooks)."""
    return add_hook(GLOBAL_HOOKS, "register_module_forward_hook", FORWARD, hook, with_kwargs=bool(with_kwargs),
                    always_call=bool(always_call))


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """`hook(module, grad_output)` in every module's backward (before its own backward pre-hooks)."""
    return add_hook(GLOBAL_HOOKS, "register_module_full_backward_pre_hook", BACKWARD_PRE, hook)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """`hook(module, grad_input, grad_output)` in every module's backward (before its own backward hooks)."""
    return add_hook(GLOBAL_HOOKS, "register_module_full_backward_hook", BACKWARD, hook)


def call_with_hooks(module, args: tuple, kwargs: dict) -> Any:
    """`module(*args, **kwargs)` with its hooks and the global ones, in PyTorch's order: forward pre-hooks
    (which may replace the arguments), backward hooks set up on the tensor arguments, forward, forward
    hooks (which may replace the output), backward hooks set up on the tensor outputs. When anything
    raises, the forward hooks registered with always_call that have not run yet run, then the error
    propagates.

    Each phase runs the hooks registered when it starts, as PyTorch's (so a hook may register or remove
    hooks, also of its own kind, without changing the list being run)."""
    backward = BackwardHooks(module, [hook.function for hook in _hooks_of(module, BACKWARD)],
                             [hook.function for hook in _hooks_of(module, BACKWARD_PRE)])
    forward_hooks, started, result = None, 0, None
    try:
        for hook in _hooks_of(module, FORWARD_PRE):
            args, kwargs = _run_forward_pre_hook(module, hook, args, kwargs)
        if backward.any:
            args = backward.wrap_inputs(args)
        result = module.forward(*args, **kwargs)
        forward_hooks = _hooks_of(module, FORWARD)
        for hook in forward_hooks:
            started += 1
            result = _run_forward_hook(module, hook, args, kwargs, result)
        if backward.any:
            result = backward.wrap_outputs(result)
        return result
    except Exception:
        for hook in _hooks_of(module, FORWARD) if forward_hooks is None else forward_hooks[started:]:
            if hook.always_call:
                try:
                    result = _run_forward_hook(module, hook, args, kwargs, result)
                except Exception as error:  # the first error is the one to report
                    warnings.warn(f"module forward hook with ``always_call=True`` raised an exception that was "
                                  f"silenced as another error was raised in forward: {error}", stacklevel=3)
        raise


def _hooks_of(module, kind: str) -> list[ModuleHook]:
    """The hooks of one kind that a call of `module` runs now: the global ones, then the module's."""
    return [hook for hook in (*GLOBAL_HOOKS.values(), *module._hooks.values()) if hook.kind == kind]


def _run_forward_hook(module, hook: ModuleHook, args: tuple, kwargs: dict, result) -> Any:
    """The output after one forward hook: what it returned, unless None."""
    replaced = hook.function(module, args, kwargs, result) if hook.with_kwargs else hook.function(module, args, result)
    return result if replaced is None else replaced


def _run_forward_pre_hook(module, hook: ModuleHook, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The arguments after one pre-hook: what it returned (a single value becomes a 1-tuple), or as they were."""
    if not hook.with_kwargs:
        replaced = hook.function(module, args)
        if replaced is None:
            return args, kwargs
        return (replaced if isinstance(replaced, tuple) else (replaced,)), kwargs
    replaced = hook.function(module, args, kwargs)
    if replaced is None:
        return args, kwargs
    if not (isinstance(replaced, tuple) and len(replaced) == 2 and isinstance(replaced[0], (tuple, list))
            and isinstance(replaced[1], dict)):
        raise RuntimeError(f"forward pre-hook must return None or a tuple of (new_args, new_kwargs), but got "
                           f"{replaced}.")
    return replaced


class _TensorSpec(NamedTuple):
    """What a backward hook's gradient for a tensor must look like (PyTorch refuses other shapes and dtypes)."""
    shape: tuple
    dtype: np.dtype


class BackwardHooks:
    """The backward hooks of one call of a module (those registered at the time of the call, as in
    PyTorch): carries grad_output from the outputs' identity Function to the inputs' one."""

    def __init__(self, module, full_hooks: list, pre_hooks: list) -> None:
        self.module, self.full_hooks, self.pre_hooks = module, full_hooks, pre_hooks
        self.any = bool(full_hooks or pre_hooks)
        self.grad_output: tuple | None = None  # set by the outputs' backward, used and cleared by the inputs'
        self.input_specs: tuple = ()
        self.input_positions: list | None = None  # None: no input was wrapped (none requires grad)
        self.output_specs: tuple = ()
        self.output_positions: list | None = None

    def wrap_inputs(self, args: tuple) -> tuple:
        self.input_specs = _specs(args)
        args, self.input_positions = _wrap_tensors(args, self._on_input_grads)
        return args

    def wrap_outputs(self, result):
        single = not isinstance(result, tuple)
        if single and not isinstance(result, Tensor):
            warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of Tensors "
                          f"but received {type(result)}", stacklevel=4)
        outputs = (result,) if single else result
        self.output_specs = _specs(outputs)
        outputs, self.output_positions = _wrap_tensors(outputs, self._on_output_grads)
        return outputs[0] if single else outputs

    def _on_output_grads(self, grads: tuple) -> tuple:
        """The gradients w.r.t. the tensor outputs (None for an output that got none) are complete:
        the pre-hooks may replace them; when no input requires grad, the full hooks run here, with
        grad_input all None, since no gradient will reach the inputs."""
        self.grad_output = _pack(self.output_positions, grads, len(self.output_specs))
        for hook in self.pre_hooks:
            replaced = hook(self.module, self.grad_output)
            if replaced is not None:
                self.grad_output = _checked(replaced, self.output_specs, "Backward pre hook", "grad_output")
        grad_output = self.grad_output
        if self.input_positions is None and self.full_hooks:
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients", stacklevel=2)
            grad_input = (None,) * len(self.input_specs)
            for hook in self.full_hooks:
                replaced = hook(self.module, grad_input, grad_output)
                if replaced is not None and not (isinstance(replaced, tuple) and all(g is None for g in replaced)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
            self.grad_output = None
        return tuple(grad_output[i] for i in self.output_positions)

    def _on_input_grads(self, grads: tuple) -> tuple:
        """The gradients w.r.t. the tensor inputs are complete: the full hooks see them (zeros for a tensor
        that got none, including those that do not require grad, as in PyTorch) and may replace them."""
        if self.grad_output is None:  # the gradient did not come through the module's outputs
            return grads
        grads = [_zeros(self.input_specs[i]) if grad is None else grad for i, grad in zip(self.input_positions, grads)]
        grad_input = _pack(self.input_positions, grads, len(self.input_specs))
        for hook in self.full_hooks:
            replaced = hook(self.module, grad_input, self.grad_output)
            if replaced is not None:
                grad_input = _checked(replaced, self.input_specs, "Backward hook", "grad_input")
        self.grad_output = None
        return tuple(grad_input[i] for i in self.input_positions)


class BackwardHookFunction(Function):
    """Identity on tensors; its backward hands the gradients w.r.t. its outputs to `on_grads` and passes
    on the gradients that returns. Outputs that share their input's memory are views, so changing them
    in place while recording raises, as PyTorch raises for a module with backward hooks."""

    @staticmethod
    def forward(ctx, on_grads: Callable[[tuple], tuple], *tensors):
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        ctx.set_materialize_grads(False)
        ctx.on_grads = on_grads
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.on_grads(grads))


def _specs(values: tuple) -> tuple:
    return tuple(_TensorSpec(v.shape, v.dtype) if isinstance(v, Tensor) else None for v in values)


def _wrap_tensors(values: tuple, on_grads: Callable[[tuple], tuple]) -> tuple[tuple, list | None]:
    """`values` with its tensors passed through a BackwardHookFunction, and their positions; unchanged,
    and None, when none of them requires grad or grad mode is off (nothing to hook)."""
    positions = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
    if not (GRAD_MODE.enabled and any(values[i].requires_grad for i in positions)):
        return values, None
    wrapped = list(values)
    for i, tensor in zip(positions, BackwardHookFunction.apply(on_grads, *(values[i] for i in positions))):
        wrapped[i] = tensor
    return (tuple(wrapped) if type(values) is tuple else type(values)(*wrapped)), positions  # a namedtuple stays one


def _pack(positions: list, grads, count: int) -> tuple:
    """One entry per argument (or output): the tensors' gradients at their positions, None elsewhere."""
    packed = [None] * count
    for i, grad in zip(positions, grads):
        packed[i] = grad
    return tuple(packed)


def _zeros(spec: _TensorSpec) -> Tensor:
    return Tensor._wrap(np.zeros(spec.shape, spec.dtype), False, None)


def _checked(replaced, specs: tuple, who: str, name: str) -> tuple:
    """What a backward (pre-)hook returned in place of grad_input or grad_output: a tuple (or list) with an
    entry per argument or output, each None or a Tensor of its tensor's shape and dtype (PyTorch raises
    for other shapes and dtypes too; entries for non-tensors are ignored)."""
    if not isinstance(replaced, (tuple, list)):
        raise TypeError(f"{who} returned a {type(replaced).__name__}; expected None or a tuple replacing {name} "
                        f"(of length {len(specs)})")
    if len(replaced) != len(specs):
        raise RuntimeError(f"{who} returned an invalid number of {name}, got {len(replaced)}, but expected "
                           f"{len(specs)}")
    for position, (grad, spec) in enumerate(zip(replaced, specs)):
        if grad is None or spec is None:
            continue
        if not isinstance(grad, Tensor):
            raise TypeError(f"{who} returned a {type(grad).__name__} for {name}[{position}]; expected a Tensor or None")
        if grad.shape != spec.shape or grad.dtype != spec.dtype:
            raise RuntimeError(f"{who} returned a gradient of shape {grad.shape} and dtype {grad.dtype} for "
                               f"{name}[{position}], expected shape {spec.shape} and dtype {spec.dtype}")
    return tuple(replaced)
