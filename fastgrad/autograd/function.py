"""Custom ops written by users: subclass `Function` with static `forward(ctx, *args)` and
`backward(ctx, *grads)`, as in PyTorch (and the lecture's MultiplyGate):

    class MultiplyGate(Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            return grad * y, grad * x

    z = MultiplyGate.apply(x, y)
"""
from __future__ import annotations

import numpy as np

from fastgrad import backends
from fastgrad.autograd.grad_mode import GRAD_MODE, no_grad
from fastgrad.autograd.graph import Node, Op
from fastgrad.profiler import PROFILE


class FunctionCtx:
    """What forward leaves for backward. `needs_input_grad` has one entry per argument of forward."""

    def __init__(self, needs_input_grad: tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for backward; reading them after an in-place change raises, as in PyTorch."""
        self._saved = tuple((t, None if t is None else t._counter.value) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        for t, version in self._saved:
            if t is not None and t._counter.value != version:
                raise RuntimeError(
                    f"one of the tensors saved for backward (shape {t.shape}) was modified by an in-place operation: "
                    f"it is at version {t._counter.value}, expected version {version}")
        return tuple(t for t, _ in self._saved)


class _FunctionOp(Op):
    """Adapts a user Function to the op protocol: its backward sees and returns Tensors. Only what
    forward saved is version-checked (by `saved_tensors`)."""

    saves_inputs = False
    grads_may_alias = True

    def backward(node, K, g):
        from fastgrad.tensor import Tensor

        function, ctx, tensor_positions = node.saved
        with no_grad():
            grads = function.backward(ctx, Tensor._wrap(g, False, None))
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) != len(ctx.needs_input_grad):
            raise RuntimeError(f"{function.__name__}.backward returned {len(grads)} gradients, expected "
                               f"{len(ctx.needs_input_grad)} (one per argument of forward, None for non-tensors)")
        for position, grad in enumerate(grads):
            if grad is not None and position not in tensor_positions:
                raise RuntimeError(f"{function.__name__}.backward returned a gradient for argument {position}, which "
                                   "is not a Tensor; return None there (as PyTorch requires)")
        arrays = []
        for position in tensor_positions:
            grad = grads[position]
            if grad is not None and not isinstance(grad, Tensor):
                raise TypeError(f"{function.__name__}.backward returned a {type(grad).__name__} for argument "
                                f"{position}, expected a Tensor or None")
            arrays.append(None if grad is None else grad._data)
        return tuple(arrays)


class Function:
    @staticmethod
    def forward(ctx: FunctionCtx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        from fastgrad.tensor import Tensor

        tensor_positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        profile = PROFILE.active
        start = None if profile is None else profile.start_op()
        try:
            with no_grad():
                out = cls.forward(ctx, *args)
        finally:
            if profile is not None:  # its own time, apart from the ops it ran
                profile.end_op(cls.__name__, backends.CURRENT.kernels.name, False, start)
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return one Tensor, got {type(out).__name__}")
        # an integer result carries no gradient (as an op's: fastgrad.autograd.graph.apply)
        if not (GRAD_MODE.enabled and any(ctx.needs_input_grad)) or out._data.dtype.kind != "f":
            return out
        op = cls.__dict__.get("_op") or type(cls.__name__, (_FunctionOp,), {})
        cls._op = op
        node = Node(op, tuple(args[i] for i in tensor_positions), backends.CURRENT.kernels)
        node.saved = (cls, ctx, tensor_positions)
        result = Tensor._wrap(out._data, True, node)
        result._counter = out._counter  # a tensor forward saved and the result are the same memory
        for i in tensor_positions:  # a result that is (a view of) an input is a view: in-place changes refuse
            if np.may_share_memory(out._data, args[i]._data):
                result._base = args[i] if args[i]._base is None else args[i]._base
                break
        return result
