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

from fastgrad import backends
from fastgrad.autograd.grad_mode import GRAD_MODE, no_grad
from fastgrad.autograd.graph import Node, Op


class FunctionCtx:
    def __init__(self, needs_input_grad: tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *tensors) -> None:
        self.saved_tensors = tensors


class _FunctionOp(Op):
    """Adapts a user Function to the op protocol: its backward sees and returns Tensors."""

    def backward(node, K, g):
        from fastgrad.tensor import Tensor

        function, ctx = node.saved
        with no_grad():
            grads = function.backward(ctx, Tensor._wrap(g, False, None))
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) != len(node.inputs):
            raise RuntimeError(f"{function.__name__}.backward returned {len(grads)} gradients, expected "
                               f"{len(node.inputs)} (one per tensor input of forward)")
        return tuple(None if grad is None else grad._data for grad in grads)


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

        tensors = tuple(a for a in args if isinstance(a, Tensor))
        ctx = FunctionCtx(tuple(t.requires_grad for t in tensors))
        with no_grad():
            out = cls.forward(ctx, *args)
        if not (GRAD_MODE.enabled and any(ctx.needs_input_grad)):
            return out
        op = cls.__dict__.get("_op") or type(cls.__name__, (_FunctionOp,), {})
        cls._op = op
        node = Node(op, tensors, backends.CURRENT.kernels)
        node.saved = (cls, ctx)
        node.versions = tuple(t._version for t in tensors)
        return Tensor._wrap(out._data, True, node)
