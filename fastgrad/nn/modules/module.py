"""Module: the base of every layer. Attributes that are Parameters, Modules or buffers register
themselves, so `parameters()`, `state_dict()`, `train()` and friends find them by walking the tree.
Hooks (fastgrad.nn.modules.hooks) run around a call and in its backward."""
from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator

import numpy as np

from fastgrad.autograd.hooks import RemovableHandle
from fastgrad.memory_formats import check_memory_format, copy_in_format, preserve_format
from fastgrad.nn.modules.hooks import (BACKWARD, BACKWARD_PRE, FORWARD, FORWARD_PRE, GLOBAL_HOOKS, Unregister,
                                       add_hook, call_with_hooks)
# The global hooks, importable from here as from torch.nn.modules.module.
from fastgrad.nn.modules.hooks import (register_module_forward_hook, register_module_forward_pre_hook,  # noqa: F401
                                       register_module_full_backward_hook, register_module_full_backward_pre_hook)
from fastgrad.nn.parameter import Buffer, Parameter, is_lazy
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Tensor, to_arguments

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
_LOAD_HOOK_IDS = itertools.count()


class Module:
    """Subclass it, assign layers and Parameters in `__init__` (after `super().__init__()`), write `forward`.

    Registered values are also plain instance attributes, so reading `self.weight` in `forward`
    costs no more than any attribute lookup.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_hooks", OrderedDict())  # id -> ModuleHook, in the order they run

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        if self._hooks or GLOBAL_HOOKS:
            return call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # -- hooks (PyTorch's signatures; each returns a handle whose remove() unregisters the hook) -----------
    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """`hook(module, args)` before each forward; what it returns (unless None) replaces args, a value
        that is not a tuple becoming a 1-tuple. With with_kwargs, `hook(module, args, kwargs)` may return
        a new (args, kwargs) pair. Hooks run in registration order; prepend puts this one first."""
        return add_hook(self._hooks, "register_forward_pre_hook", FORWARD_PRE, hook, prepend,
                        with_kwargs=bool(with_kwargs))

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """`hook(module, args, output)` (with with_kwargs, `hook(module, args, kwargs, output)`) after each
        forward; what it returns (unless None) replaces the output. With always_call it also runs when
        the call raises (with output None if forward did not return)."""
        return add_hook(self._hooks, "register_forward_hook", FORWARD, hook, prepend, with_kwargs=bool(with_kwargs),
                        always_call=bool(always_call))

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """`hook(module, grad_output)` in each backward through the module, once the gradients w.r.t. its
        tensor outputs are known (a tuple, None for outputs that are not tensors or got no gradient); a
        tuple it returns replaces grad_output. The module's forward then sees views of its tensor
        arguments and the caller gets views of its outputs, which cannot be changed in place."""
        return add_hook(self._hooks, "register_full_backward_pre_hook", BACKWARD_PRE, hook, prepend)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """`hook(module, grad_input, grad_output)` in each backward through the module, once the gradients
        w.r.t. its positional tensor arguments are known (None for arguments that are not tensors, zeros
        for tensors that got no gradient); a tuple it returns replaces grad_input. When no argument
        requires grad, it runs as soon as grad_output is known, with grad_input all None. The same views
        as with the pre-hook."""
        return add_hook(self._hooks, "register_full_backward_hook", BACKWARD, hook, prepend)

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """Not supported: PyTorch's deprecated backward hook passes the gradients of the inputs of the
        module's last operation (for Linear, the bias, input and transposed weight gradients), which
        fastgrad's operations do not reproduce."""
        raise NotImplementedError(
            "register_backward_hook (deprecated in PyTorch) is not supported: its grad_input holds the gradients of "
            "the inputs of the module's last operation, not of the module's inputs; use register_full_backward_hook")

    # -- registration ----------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules"), self.__dict__.get("_buffers")
        if isinstance(value, (Parameter, Module, Buffer)) and registries[0] is None:
            raise AttributeError(f"cannot assign {type(value).__name__} {name!r} before Module.__init__() call")
        params, modules, buffers = registries
        if isinstance(value, Parameter):
            self._unregister(name, keep=params)  # re-assigning keeps the name's place, as in PyTorch
            params[name] = value
        elif isinstance(value, Module):
            self._unregister(name, keep=modules)
            modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to parameter {name!r} of "
                                f"{type(self).__name__} (expected a Parameter or None)")
            params[name] = None
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to child module {name!r} of "
                                f"{type(self).__name__} (expected a Module or None)")
            modules[name] = None
        elif isinstance(value, Buffer):  # (re)registers, persistent as the Buffer says, as PyTorch's
            self.register_buffer(name, value, value.persistent)
            return
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} to buffer {name!r} of {type(self).__name__} "
                                "(expected a Tensor or None)")
            buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._unregister(name)
        object.__delattr__(self, name)

    def _unregister(self, name: str, keep: dict | None = None) -> None:
        for registry in (self._parameters, self._modules, self._buffers):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def _check_new_name(self, kind: str, name: str, registry_name: str) -> None:
        """PyTorch's rules for a registered name: a non-empty string without dots that is not already an
        attribute of another kind."""
        registry = self.__dict__.get(registry_name)
        if registry is None:
            raise AttributeError(f"cannot register {kind} {name!r} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{kind} name must be non-empty and can't contain \".\", got {name!r}")
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._check_new_name("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}): expected a Parameter or None, got {type(param).__name__}")
        self._unregister(name, keep=self._parameters)  # re-registering keeps the name's place
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that belongs to the module's state (saved in state_dict when persistent) but is not trained."""
        self._check_new_name("buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer({name!r}): expected a Tensor or None, got {type(tensor).__name__}")
        self._unregister(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: "Module | None") -> None:
        self._check_new_name("module", name, "_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}): expected a Module or None, got {type(module).__name__}")
        self._unregister(name, keep=self._modules)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    # -- walking the tree ---------------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """This module and every descendant, each once (a module shared by two parents is visited once,
        unless remove_duplicate is False)."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator["Module"]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        owners = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for owner_name, owner in owners:
            for name, value in getattr(owner, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{owner_name}.{name}" if owner_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs; a tied Parameter appears once, under its first name."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> "Module":
        """The descendant at dotted path `target` ("" is self), as PyTorch's; AttributeError naming the
        part that is missing or not a Module."""
        module = self
        for part in target.split(".") if target else []:
            if not hasattr(module, part):
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = getattr(module, part)
            if not isinstance(module, Module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module: "Module") -> None:
        """Replace (or add) the descendant at dotted path `target`."""
        if not target:
            raise ValueError("set_submodule: target must name a submodule, got an empty string")
        owner_path, _, name = target.rpartition(".")
        self.get_submodule(owner_path).add_module(name, module)

    def _member_at(self, target: str, registry: str, kind: str):
        owner_path, _, name = target.rpartition(".")
        owner = self.get_submodule(owner_path)
        if not hasattr(owner, name):
            raise AttributeError(f"{type(owner).__name__} has no attribute `{name}`")
        if name not in getattr(owner, registry):
            raise AttributeError(f"`{name}` is not {kind}")
        return getattr(owner, name)

    def get_parameter(self, target: str) -> Parameter:
        """The Parameter at dotted path `target` (e.g. "encoder.weight")."""
        return self._member_at(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path `target`."""
        return self._member_at(target, "_buffers", "a buffer")

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call fn on every descendant, then on self (children first, as PyTorch), e.g. for custom init."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes and gradients ------------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError(f"train(): mode must be a bool, got {type(mode).__name__}")
        object.__setattr__(self, "training", mode)
        for child in self.children():  # through each child's train(), which a subclass may override
            child.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            zero_grad_of(param, set_to_none)

    # -- dtype and device -------------------------------------------------------------------------------
    def to(self, *args, **kwargs) -> "Module":
        """`.to("cpu")` (the only device) and/or `.to(dtype)` (or a tensor's dtype) for the floating point
        parameters and buffers, with the arguments of `Tensor.to`; `memory_format=` lays out the 4-D and 5-D
        ones (and their gradients) in that format, as PyTorch's."""
        dtype, _, memory_format = to_arguments("Module.to", args, kwargs)
        if dtype is not None:
            if dtype.kind != "f":
                raise TypeError(f"Module.to() only accepts floating point dtypes, got {dtype}")
            self._cast_floats(dtype)
        if memory_format is not preserve_format:
            self._lay_out(memory_format)
        return self

    def float(self) -> "Module":
        return self.to(np.float32)

    def double(self) -> "Module":
        return self.to(np.float64)

    def cpu(self) -> "Module":
        return self

    def compile(self, *args, **kwargs) -> None:
        """torch's in-place Module.compile: fastgrad runs eagerly, so the module stays as it is. The arguments are
        fastgrad.compile's after its model, checked as it checks them (as PyTorch compiles the module's call)."""
        from fastgrad.compiler import compile  # (compiler.py subclasses Module)

        compile(self.__call__, *args, **kwargs)

    def _cast_floats(self, dtype: np.dtype) -> None:
        """Cast in place (the Parameter objects stay the same, so references to them stay valid)."""
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor._data.dtype.kind == "f" and tensor._data.dtype != dtype:
                tensor._data = tensor._data.astype(dtype)
                if isinstance(tensor.grad, Tensor):
                    tensor.grad._data = tensor.grad._data.astype(dtype)

    def _lay_out(self, memory_format) -> None:
        """In place, as _cast_floats: each 4-D or 5-D parameter and buffer laid out in memory_format."""
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.ndim in (4, 5):
                check_memory_format("Module.to", memory_format, tensor.shape)
                for held in (tensor, tensor.grad):
                    if isinstance(held, Tensor) and not held.is_contiguous(memory_format=memory_format):
                        held._data = copy_in_format(held._data, held.dtype, memory_format)

    # -- state ------------------------------------------------------------------------------------------
    def _state_tensors(self) -> "OrderedDict[str, Tensor]":
        """Every parameter and persistent buffer by dotted name; tied tensors appear under each name."""
        state = OrderedDict()
        for prefix, module in self._all_modules():
            for name, param in module._parameters.items():
                if param is not None:
                    state[prefix + name] = param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    state[prefix + name] = buffer
        return state

    def _all_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """(prefix with trailing dot, module) for self and all descendants, shared modules under every path."""
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child._all_modules(f"{prefix}{name}.")

    def state_dict(self, keep_vars: bool = False) -> "OrderedDict[str, Tensor]":
        """Name -> tensor for every parameter and persistent buffer (PyTorch's names: `0.weight`,
        `rnn.weight_ih_l0`, ...). The tensors share memory with the module unless saved."""
        state = self._state_tensors()
        if not keep_vars:  # (an uninitialized tensor, with no values to detach, is given as it is, as PyTorch's)
            state = OrderedDict((name, tensor if is_lazy(tensor) else tensor.detach())
                                for name, tensor in state.items())
        return state

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into the existing parameters and buffers (in place, so optimizers keep working).

        Checks everything before copying anything: with `strict`, missing and unexpected keys are
        errors; a shape mismatch is always an error. The message lists every problem.
        """
        state_dict, hook_problems = self._run_load_state_dict_pre_hooks(state_dict)
        own = self._state_tensors()
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        problems = []
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        arrays = {}
        for name, target in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            if is_lazy(value) or is_lazy(target):
                if not is_lazy(value):  # (a lazy module's load hook has materialized its own from the values' shapes)
                    problems.append(f"{name} is uninitialized and not in a lazy module: run a forward first.")
                elif not is_lazy(target):
                    problems.append(f"value for {name} is uninitialized: it cannot be loaded into an initialized "
                                    f"{type(target).__name__}.")
                continue
            array = np.asarray(value._data if isinstance(value, Tensor) else value)
            if array.dtype.kind not in "biuf":
                problems.append(f"value for {name} has dtype {array.dtype}, expected a numeric array.")
            elif array.shape != target.shape:
                problems.append(f"size mismatch for {name}: copying a param with shape {array.shape} from "
                                f"checkpoint, the shape in current model is {target.shape}.")
            arrays[name] = array
        problems += hook_problems
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(problems))
        for name, array in arrays.items():
            target = own[name]
            target._data[...] = array
            target._counter.value += 1
        return IncompatibleKeys(missing, unexpected)

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)`
        before load_state_dict reads this module's entries (those starting with `prefix`). It may change
        state_dict, a copy of the caller's, in place (to rename a checkpoint's old keys, say); messages it
        appends to error_msgs fail the load. local_metadata is always {}: fastgrad's state dicts carry none."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook: Callable, with_module: bool = False) -> RemovableHandle:
        """As register_load_state_dict_pre_hook; without with_module the hook is not passed the module."""
        if not callable(hook):
            raise TypeError(f"register_load_state_dict_pre_hook(): hook must be callable, got {type(hook).__name__}")
        hooks = self.__dict__.setdefault("_load_state_dict_pre_hooks", OrderedDict())  # made on first use
        key = next(_LOAD_HOOK_IDS)
        hooks[key] = (hook, with_module)
        return RemovableHandle(Unregister(hooks, key))

    def _run_load_state_dict_pre_hooks(self, state_dict: dict) -> tuple[dict, list[str]]:
        """The state dict as the modules' pre-hooks leave a copy of it (parents first, as PyTorch's load
        reaches them), and the error messages they added; the caller's dict as it is when there are none.
        The hooks' `strict` is always True, whatever load_state_dict was given, as in PyTorch."""
        hooked = [(prefix, module, hooks) for prefix, module in self._all_modules()
                  if (hooks := module.__dict__.get("_load_state_dict_pre_hooks"))]
        if not hooked:
            return state_dict, []
        state_dict, errors = OrderedDict(state_dict), []
        for prefix, module, hooks in hooked:
            for hook, with_module in list(hooks.values()):
                arguments = (state_dict, prefix, {}, True, [], [], errors)
                if with_module:
                    hook(module, *arguments)
                else:
                    hook(*arguments)
        return state_dict, errors

    # -- printing ---------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr line; layers override it."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: `Name(extra)` on one line, or the extra lines and `(child): repr` lines indented."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _indent(repr(child)) for name, child in self._modules.items()]
        if len(extra_lines) <= 1 and not child_lines:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra_lines + child_lines) + "\n)"


def _indent(text: str) -> str:
    """Indent every line but the first by two spaces (a child's repr inside its parent's)."""
    return text.replace("\n", "\n  ")


def zero_grad_of(param: Tensor, set_to_none: bool) -> None:
    """Drop a gradient, or zero it in place; a sparse gradient becomes one without rows, as PyTorch's zero_() leaves
    it: still a gradient, so an optimizer step without a backward counts for that parameter, as in PyTorch."""
    grad = param.grad
    if set_to_none or grad is None:
        param.grad = None
    elif grad.is_sparse:
        param.grad = SparseRowGrad(grad.rows[:0], grad.values[:0], grad.shape)
    else:
        grad._data[...] = 0
