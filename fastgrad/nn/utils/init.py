"""skip_init, as torch.nn.utils.init.skip_init."""
from __future__ import annotations

import inspect

from fastgrad.nn.modules.module import Module


def skip_init(module_cls: type, *args, **kwargs) -> Module:
    """`module_cls(*args, **kwargs)` whose parameters' values are not to be relied on (the caller sets
    them, e.g. from a checkpoint). PyTorch builds the module on its "meta" device and allocates the
    parameters uninitialized; fastgrad, with no such device, builds it as usual, so the values are the
    class's initial ones and the cost of initializing is not saved. As PyTorch's, the class must take
    a `device` argument."""
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
