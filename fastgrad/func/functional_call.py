"""torch.func.functional_call: a module called with other tensors in place of its parameters and buffers."""
from __future__ import annotations

from collections.abc import Sequence

from fastgrad.nn.modules.module import Module
from fastgrad.nn.utils.stateless import _functional_call, merged_dicts
from fastgrad.tensor import Tensor


def functional_call(module: Module, parameter_and_buffer_dicts: dict[str, Tensor] | Sequence[dict[str, Tensor]],
                    args=None, kwargs=None, *, tie_weights: bool = True, strict: bool = False):
    """`module(*args, **kwargs)` with the given tensors (by dotted name, as in state_dict; one dict or a
    sequence of dicts) in place of its parameters and buffers; gradients flow to the given tensors.
    With tie_weights, a value given for one name of a tied tensor serves all its names; with strict,
    the names must be exactly the module's parameters and buffers. Tensors the module assigns during
    the call (`self.count = self.count + 1`) are written back into the dict."""
    return _functional_call(module, merged_dicts(parameter_and_buffer_dicts), args, kwargs,
                            tie_weights=tie_weights, strict=strict)
