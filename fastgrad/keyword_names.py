"""PyTorch's keyword names on fastgrad's top-level functions: torch calls the tensor a function works on
`input` and a binary op's second operand `other` (`torch.sum(input=x)`, `torch.maximum(input=a, other=b)`),
where fastgrad's functions are often the Tensor methods themselves (first parameter `self`) or written with
shorter names (`x`, `a`, `b`). `with_torch_keywords` lets such a function take torch's names as well."""
from __future__ import annotations

import functools
import inspect

# what fastgrad names the tensor PyTorch calls `input`
_INPUT_NAMES = frozenset({"self", "x", "a", "t"})
# PyTorch's `other`, by function: where fastgrad names that parameter otherwise (torch.max(input, other) is max's
# elementwise form, whose other stands where dim does). tensordot is absent: PyTorch names its operands a and b.
_OTHER_NAMES = {"matmul": "b", "maximum": "b", "minimum": "b", "max": "dim", "min": "dim"}


def with_torch_keywords(function):
    """`function`, also taking input= for its first parameter and other= for its second where PyTorch names them
    so; returned as it is when it already uses PyTorch's names."""
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return function
    first = parameters[0] if parameters and parameters[0] in _INPUT_NAMES else None
    other = _OTHER_NAMES.get(function.__name__)
    other = other if other in parameters[1:2] else None
    if first is None and other is None:
        return function

    @functools.wraps(function)
    def taking_torch_keywords(*args, **kwargs):
        if first is not None and "input" in kwargs:
            if args:
                raise TypeError(f"{function.__name__}() got multiple values for argument 'input'")
            args = (kwargs.pop("input"),)
        if other is not None and "other" in kwargs:
            if other in kwargs or len(args) > 1:
                raise TypeError(f"{function.__name__}() got multiple values for argument 'other'")
            kwargs[other] = kwargs.pop("other")
        return function(*args, **kwargs)

    return taking_torch_keywords


def take_torch_keywords(namespace: dict) -> None:
    """Give every public function of a module's namespace PyTorch's keyword names (see with_torch_keywords)."""
    for name, value in list(namespace.items()):
        if not name.startswith("_") and inspect.isfunction(value):
            namespace[name] = with_torch_keywords(value)
