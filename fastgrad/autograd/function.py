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
from fastgrad.autograd.graph import Node, Op, mark_as_view, new_node, note_own_write, rebase, refuse_to_follow
from fastgrad.profiler import PROFILE


class FunctionCtx:
    """What forward leaves for backward. `needs_input_grad` has one entry per argument of forward."""

    def __init__(self, needs_input_grad: tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self._non_differentiable: tuple = ()
        self._dirty: tuple = ()
        self.materialize_grads = True

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

    def mark_non_differentiable(self, *outputs) -> None:
        """These outputs get no gradient: they do not require grad, and backward sees zeros (or None,
        without materialized grads) for them, as in PyTorch (e.g. the indices of a sort)."""
        self._non_differentiable = _tensors_only("mark_non_differentiable", outputs)

    def mark_dirty(self, *inputs) -> None:
        """These inputs were changed in place by forward and are returned: each becomes the Function's
        output, with its history continued through the Function (PyTorch's in-place Functions)."""
        self._dirty = _tensors_only("mark_dirty", inputs)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward gets None instead of zeros for outputs that got no gradient."""
        self.materialize_grads = bool(value)


def _tensors_only(method: str, values: tuple) -> tuple:
    from fastgrad.tensor import Tensor

    for value in values:
        if not isinstance(value, Tensor):
            raise TypeError(f"{method} takes Tensors, got {type(value).__name__}")
    return values


class _FunctionOp(Op):
    """Adapts a user Function to the op protocol: its backward sees and returns Tensors. Only what
    forward saved is version-checked (by `saved_tensors`)."""

    saves_inputs = False
    grads_may_alias = True

    def backward(node, K, g):
        from fastgrad.tensor import Tensor

        function, ctx, tensor_positions, output_specs = node.saved
        if output_specs is None:  # one output: g is its gradient
            output_grads = (Tensor._wrap(g, False, None),)
        else:  # several: g has a slot per output (see _FunctionOutput)
            output_grads = tuple(_output_grad(ctx, spec, slot) for spec, slot in zip(output_specs, g))
        with no_grad():
            grads = _user_gradients(function, ctx, tensor_positions, output_grads)
        return tuple(None if grad is None else grad._data for grad in grads)

    def backward_graph(node, g, out):
        """The user's backward run on tensors with grad mode on (as PyTorch's under create_graph), so that its
        ops are recorded. A tensor forward saved and returned is its recorded output here, so that terms
        through it are not lost; tensors forward computed and saved otherwise carry no graph, as in PyTorch.
        With several outputs, `out` is the hub and `g` its _RecordedSlots."""
        function, ctx, tensor_positions, output_specs = node.saved
        saved = ctx._saved
        if output_specs is None:
            output_grads = (g,)
            ctx._saved = tuple((out if t is not None and t._data is out._data else t, version) for t, version in saved)
        else:
            output_grads = tuple(_output_grad(ctx, spec, slot) for spec, slot in zip(output_specs, g.grads))
            ctx._saved = tuple((_recorded_output(out, t, output_specs), version) for t, version in saved)
        try:
            return _user_gradients(function, ctx, tensor_positions, output_grads)
        finally:
            ctx._saved = saved


def _recorded_output(hub, saved, output_specs: tuple):
    """A saved tensor as a recorded backward reads it: when forward returned it as output j of several, that
    output again (its graph through the hub, as the output had), else the saved tensor itself."""
    from fastgrad.tensor import Tensor

    for index, spec in enumerate(output_specs):
        if saved is not None and spec is not None and spec[2] is not None and spec[2] is saved._data:
            output_node = new_node(_FunctionOutput, (hub,), backends.CURRENT.kernels)
            output_node.saved = (index, len(output_specs))
            output = Tensor._wrap(saved._data, True, output_node)
            output._counter = saved._counter  # the same memory: ctx.saved_tensors checks its version
            return output
    return saved


def _user_gradients(function, ctx: FunctionCtx, tensor_positions: tuple, output_grads: tuple) -> tuple:
    """The user's backward, its results checked: one per argument of forward, a Tensor or None for each
    tensor argument (returned in tensor_positions' order) and None for the others."""
    from fastgrad.tensor import Tensor

    grads = function.backward(ctx, *output_grads)
    grads = grads if isinstance(grads, tuple) else (grads,)
    if len(grads) != len(ctx.needs_input_grad):
        raise RuntimeError(f"{function.__name__}.backward returned {len(grads)} gradients, expected "
                           f"{len(ctx.needs_input_grad)} (one per argument of forward, None for non-tensors)")
    for position, grad in enumerate(grads):
        if grad is not None and position not in tensor_positions:
            raise RuntimeError(f"{function.__name__}.backward returned a gradient for argument {position}, which "
                               "is not a Tensor; return None there (as PyTorch requires)")
    for position in tensor_positions:
        if grads[position] is not None and not isinstance(grads[position], Tensor):
            raise TypeError(f"{function.__name__}.backward returned a {type(grads[position]).__name__} for argument "
                            f"{position}, expected a Tensor or None")
    return tuple(grads[position] for position in tensor_positions)


def _output_grad(ctx: FunctionCtx, spec, slot):
    """The gradient backward sees for one output: what came, else zeros (None without materialized
    grads, and always None for an output that is not a tensor)."""
    from fastgrad.tensor import Tensor

    if isinstance(slot, Tensor):  # a recorded backward's
        return slot
    # (gradients of a 0-d output summed where branches meet become NumPy scalars; an empty slot is the int 0)
    if isinstance(slot, (np.ndarray, np.generic)):
        return Tensor._wrap(np.asarray(slot), False, None)
    if spec is None or not ctx.materialize_grads:
        return None
    shape, dtype = spec[:2]
    return Tensor._wrap(np.zeros(shape, dtype), False, None)


class _RecordedSlots:
    """The hub's gradient in a recorded backward: a tensor (or None) per output of the Function, summed slot by
    slot (by recorded ops) where branches meet."""

    __slots__ = ("grads",)

    def __init__(self, grads: tuple) -> None:
        self.grads = grads

    def __add__(self, other: "_RecordedSlots") -> "_RecordedSlots":
        return _RecordedSlots(tuple(a if b is None else b if a is None else a + b
                                    for a, b in zip(self.grads, other.grads)))


class _FunctionOutput(Op):
    """Output `index` of a custom Function with several outputs. The Function's node produces a hidden
    tensor with one object slot per output; each output's gradient lands in its slot (0 in the others,
    so that gradients arriving from several outputs sum slot by slot where branches meet)."""

    saves_inputs = False

    def backward(node, K, g):
        index, count = node.saved
        slots = np.zeros(count, dtype=object)
        slots[index] = g
        return (slots,)

    def backward_graph(node, g, out):
        index, count = node.saved
        grads = [None] * count
        grads[index] = g
        return (_RecordedSlots(tuple(grads)),)


class Function:
    @staticmethod
    def forward(ctx: FunctionCtx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        """Run forward without recording its inside, then record the Function as one op. forward may
        return a Tensor or a tuple (of Tensors and other values); backward then gets one gradient
        per output."""
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
        several = isinstance(out, tuple)
        outputs = out if several else (out,)
        if not several and not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple, got {type(out).__name__}")
        _check_dirty(cls, ctx, args, outputs)
        # an integer result carries no gradient (as an op's: fastgrad.autograd.graph.apply)
        differentiable = [j for j, o in enumerate(outputs) if isinstance(o, Tensor) and o._data.dtype.kind == "f"
                          and not any(o is t for t in ctx._non_differentiable)]
        if not (GRAD_MODE.enabled and any(ctx.needs_input_grad)) or not differentiable:
            return out
        # (the recorded backward is declared on each Function's own op class: the walk takes only an op's own)
        op = cls.__dict__.get("_op") or type(cls.__name__, (_FunctionOp,), {"backward_graph": _FunctionOp.backward_graph})
        cls._op = op
        K = backends.CURRENT.kernels
        node = new_node(op, tuple(_history_of(args[i], ctx) for i in tensor_positions), K)
        if not several:
            node.saved = (cls, ctx, tensor_positions, None)
            return _result(out, node, args, tensor_positions, ctx)
        # per output: its shape, its dtype and, if forward saved it, its array (a recorded backward reads that
        # saved tensor as the output, see _recorded_output)
        saved_arrays = [t._data for t, _ in ctx._saved if t is not None]
        node.saved = (cls, ctx, tensor_positions,
                      tuple((o._data.shape, o._data.dtype,
                             o._data if any(o._data is a for a in saved_arrays) else None)
                            if isinstance(o, Tensor) else None for o in outputs))
        hub = Tensor._wrap(np.zeros(len(outputs), dtype=object), True, node)
        results = list(outputs)
        for j in differentiable:
            output_node = new_node(_FunctionOutput, (hub,), K)
            output_node.saved = (j, len(outputs))
            results[j] = _result(outputs[j], output_node, args, tensor_positions, ctx)
        return tuple(results)


def _check_dirty(cls, ctx: FunctionCtx, args: tuple, outputs: tuple) -> None:
    """Tensors marked dirty must be inputs that forward returns; while recording, not leaves that
    require grad, nor views (as fastgrad's in-place ops)."""
    for t in ctx._dirty:
        if not any(t is a for a in args):
            raise ValueError(f"{cls.__name__}: mark_dirty was given a tensor (shape {t.shape}) that is not an input "
                             "of forward")
        if not any(t is o for o in outputs):
            raise RuntimeError(f"{cls.__name__}: a tensor marked dirty (shape {t.shape}) must be returned by forward")
        if GRAD_MODE.enabled and t._requires_grad and t._node is None:
            raise RuntimeError(f"{cls.__name__}: a leaf tensor that requires grad was changed in place (mark_dirty); "
                               "change it under `with fastgrad.no_grad():`")
        if GRAD_MODE.enabled and any(ctx.needs_input_grad) and t._base is not None:
            raise RuntimeError(f"{cls.__name__}: fastgrad does not record in-place changes of a view (mark_dirty on "
                               f"a view of a tensor of shape {t._base.shape}); change the tensor itself")


def _history_of(tensor, ctx: FunctionCtx):
    """The Function's input: the tensor itself, or for one forward changed in place (marked dirty), a
    stand-in holding its history before the change, since the tensor itself becomes the output."""
    from fastgrad.tensor import Tensor

    if not any(tensor is t for t in ctx._dirty):
        return tensor
    before = Tensor._wrap(tensor._data, tensor._requires_grad, tensor._node)
    before._counter = tensor._counter
    return before


def _stand_in_for(dirty, args: tuple, tensor_positions: tuple, node: Node):
    """The stand-in (_history_of) holding a dirty input's history before forward changed it: among the
    Function node's inputs (behind the hub when the Function has several outputs)."""
    function_node = node.inputs[0]._node if node.op is _FunctionOutput else node
    return next(h for h, i in zip(function_node.inputs, tensor_positions) if args[i] is dirty)


def _result(out, node: Node, args: tuple, tensor_positions: tuple, ctx: FunctionCtx):
    """An output of the recorded Function: a dirty input continues as itself (one more version), any
    other output is a new tensor on its memory."""
    from fastgrad.tensor import Tensor

    if any(out is t for t in ctx._dirty):
        rebase(out, node, _stand_in_for(out, args, tensor_positions, node))
        out._counter.value += 1
        note_own_write(out)
        # forward may have saved it after changing it (the usual pattern): that is the version backward reads
        ctx._saved = tuple((t, t._counter.value if t is out else version) for t, version in ctx._saved)
        return out
    result = Tensor._wrap(out._data, True, node)
    result._counter = out._counter  # a tensor forward saved and the result are the same memory
    for i in tensor_positions:  # a result that is (a view of) an input is a view: in-place changes refuse
        if np.may_share_memory(out._data, args[i]._data):
            mark_as_view(result, args[i] if args[i]._base is None else args[i]._base)
            # (following the base would regenerate the view and bypass the Function's backward)
            function_node = node.inputs[0]._node if node.op is _FunctionOutput else node
            refuse_to_follow([result], f"is an output of the custom Function {function_node.op.__name__}")
            break
    return result
