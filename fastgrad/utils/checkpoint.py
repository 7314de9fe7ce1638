"""Activation checkpointing, as torch.utils.checkpoint: a checkpointed segment of the forward pass keeps only
its inputs, and its activations are computed again in the backward pass (memory for compute).

    y = checkpoint(block, x, use_reentrant=False)   # block's activations are not kept
    y.sum().backward()                              # block runs again here, then its backward

The segment runs once when called, with recording, only to find the tensors it uses from outside (a module's
parameters, tensors in kwargs or lists): its graph, and so its activations, are dropped before `checkpoint`
returns. What is recorded in their place is one custom Function of the inputs and those tensors; its backward
restores the random state the segment started from (so dropout draws the same masks), runs the segment again
with recording and differentiates it. The gradients then flow on through the outer graph, so
`autograd.grad`, `backward(inputs=...)` and hooks work as they do without checkpointing.
"""
from __future__ import annotations

from typing import Any, Callable

from fastgrad.autograd import graph
from fastgrad.autograd.differentiate import grad as autograd_grad
from fastgrad.autograd.function import Function
from fastgrad.autograd.grad_mode import GRAD_MODE, enable_grad
from fastgrad.random import get_rng_state, set_rng_state
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None, context_fn=None,
               determinism_check: str = "default", debug: bool = False, preserve_rng_state: bool = True, **kwargs):
    """function(*args, **kwargs), without keeping the activations inside it for the backward pass, which
    computes them again. Gradients equal those without checkpointing, dropout included (preserve_rng_state
    restores fastgrad's global generator for the second run; a `generator=` of your own is not restored).

    use_reentrant=True (PyTorch's default) and False give the same gradients here, computed as PyTorch's
    False does: tensors from outside the function (parameters) get gradients even when no input requires
    grad, and autograd.grad works. As PyTorch's reentrant variant, True (or None) refuses kwargs.
    determinism_check="default" checks that the second run gives outputs of the same shapes and dtypes;
    `debug` is accepted and changes nothing; `context_fn` is not supported."""
    if not callable(function):
        raise TypeError(f"checkpoint: function must be callable, got {type(function).__name__}")
    if use_reentrant is not False and kwargs:
        raise ValueError(f"checkpoint: unexpected keyword arguments {', '.join(kwargs)} (the reentrant variant, "
                         "use_reentrant=True or None, takes none; pass use_reentrant=False)")
    if context_fn is not None:
        raise NotImplementedError("checkpoint: context_fn is not supported by fastgrad")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check must be 'default' or 'none', got {determinism_check!r}")
    if not GRAD_MODE.enabled:
        return function(*args, **kwargs)
    segment = _Segment(function, args, kwargs, preserve_rng_state, determinism_check == "default")
    outputs, outside = segment.first_run()
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    if not outside and not any(a.requires_grad for a in tensor_args):
        return outputs  # nothing to differentiate: no graph was recorded
    several = isinstance(outputs, (tuple, list))
    results = _Checkpoint.apply(segment, *tensor_args, *outside)
    if not several:
        return results
    if isinstance(outputs, list):
        return list(results)
    return type(outputs)(*results) if hasattr(outputs, "_fields") else results  # a namedtuple stays one


def checkpoint_sequential(functions, segments: int, input: Tensor, use_reentrant: bool | None = None, **kwargs):
    """Run a Sequential (or a list of modules or functions) on `input` in `segments` chunks, each but the last
    checkpointed, as torch.utils.checkpoint.checkpoint_sequential. kwargs go to `checkpoint`
    (preserve_rng_state, determinism_check)."""
    from fastgrad.nn.modules.container import Sequential  # (nn builds on fastgrad, which loads this lazily)

    functions = list(functions.children()) if isinstance(functions, Sequential) else list(functions)
    if isinstance(segments, bool) or not isinstance(segments, int) or not 1 <= segments <= max(len(functions), 1):
        raise ValueError(f"checkpoint_sequential: segments must be an int in [1, {len(functions)}] (the number of "
                         f"functions), got {segments!r}")

    def run(start: int, stop: int) -> Callable:
        def forward(x):
            for f in functions[start:stop]:
                x = f(x)
            return x
        return forward

    size = len(functions) // segments
    start = 0
    for _ in range(segments - 1):
        input = checkpoint(run(start, start + size), input, use_reentrant=use_reentrant, **kwargs)
        start += size
    return run(start, len(functions))(input)


class _Segment:
    """The checkpointed call: the function and its arguments, the random state it started from, and what its
    first run gave (shapes and dtypes, for the determinism check)."""

    def __init__(self, function: Callable, args: tuple, kwargs: dict, preserve_rng_state: bool,
                 check_determinism: bool):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state = get_rng_state() if preserve_rng_state else None
        self.check_determinism = check_determinism
        self.outputs = self.specs = None

    def run(self, inputs: list[Tensor]):
        """function on `inputs` in place of the tensor arguments, with recording."""
        replaced = iter(inputs)
        args = [next(replaced) if isinstance(a, Tensor) else a for a in self.args]
        with enable_grad():
            return self.function(*args, **self.kwargs)

    def first_run(self) -> tuple[Any, list[Tensor]]:
        """The outputs, and the tensors requiring grad that the function reached from outside its arguments.
        The graph recorded on the way is dropped: the outputs returned are detached."""
        first_node = next(graph._NODE_NUMBERS)  # every node the function records is numbered after this one
        inputs = _detached(self.args)
        outputs = self.run(inputs)
        self.outputs = _mapped(outputs, Tensor.detach)
        self.specs = [(t.shape, t.dtype) for t in _output_tensors(outputs)]
        return self.outputs, _tensors_from_outside(_output_tensors(outputs), inputs, first_node)

    def rerun(self, tensor_args: tuple) -> tuple[list[Tensor], Any]:
        """The inputs (detached again) and the outputs of a second run, from the random state of the first."""
        current = get_rng_state() if self.rng_state is not None else None
        if current is not None:
            set_rng_state(self.rng_state)
        try:
            inputs = _detached(tensor_args)
            outputs = self.run(inputs)
        finally:
            if current is not None:
                set_rng_state(current)
        specs = [(t.shape, t.dtype) for t in _output_tensors(outputs)]
        if self.check_determinism and specs != self.specs:
            raise RuntimeError(f"checkpoint: the function's second run gave outputs of shapes and dtypes {specs}, the "
                               f"first {self.specs}; it must compute the same each time")
        return inputs, outputs


class _Checkpoint(Function):
    """The checkpointed segment as one op of the outer graph: its inputs are the segment's tensor arguments and
    the tensors it reached from outside."""

    @staticmethod
    def forward(ctx, segment: _Segment, *tensors):
        ctx.segment = segment
        ctx.set_materialize_grads(False)  # an output no gradient reached is no root of the second backward
        ctx.save_for_backward(*tensors)  # changed in place before backward: the second run would differ
        outputs, segment.outputs = segment.outputs, None
        return tuple(outputs) if isinstance(outputs, (tuple, list)) else outputs

    @staticmethod
    def backward(ctx, *output_grads):
        segment = ctx.segment
        tensors = ctx.saved_tensors
        argument_count = sum(isinstance(a, Tensor) for a in segment.args)
        inputs, outputs = segment.rerun(tensors[:argument_count])
        roots, root_grads = [], []
        for output, output_grad in zip(_as_tuple(outputs), output_grads):
            if isinstance(output, Tensor) and output.requires_grad and output_grad is not None:
                roots.append(output)
                root_grads.append(output_grad)
        targets = [t for t in inputs if t.requires_grad] + list(tensors[argument_count:])
        grads = autograd_grad(roots, targets, root_grads, allow_unused=True) if roots and targets else [None] * len(
            targets)
        # a Function hands back dense tensors: a row-sparse gradient (Embedding(sparse=True)) arrives dense
        grads = iter([g.to_dense() if isinstance(g, SparseRowGrad) else g for g in grads])
        input_grads = [next(grads) if t.requires_grad else None for t in inputs]
        return (None, *input_grads, *grads)


def _detached(values) -> list[Tensor]:
    """The tensors among `values`, detached (the graph of a run stops at them), requiring grad as they did."""
    return [v.detach().requires_grad_(v.requires_grad) for v in values if isinstance(v, Tensor)]


def _as_tuple(outputs) -> tuple:
    return tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)


def _output_tensors(outputs) -> list[Tensor]:
    return [o for o in _as_tuple(outputs) if isinstance(o, Tensor)]


def _mapped(outputs, change: Callable):
    """outputs with `change` applied to its tensors (outputs: a tensor, or a tuple or list holding some)."""
    if isinstance(outputs, Tensor):
        return change(outputs)
    if not isinstance(outputs, (tuple, list)):
        raise TypeError(f"checkpoint: the function must return a Tensor, or a tuple or list (of Tensors and other "
                        f"values), got {type(outputs).__name__}")
    changed = [change(o) if isinstance(o, Tensor) else o for o in outputs]
    if isinstance(outputs, list):
        return changed
    return type(outputs)(*changed) if hasattr(outputs, "_fields") else tuple(changed)  # a namedtuple stays one


def _tensors_from_outside(outputs: list[Tensor], inputs: list[Tensor], first_node: int) -> list[Tensor]:
    """The tensors requiring grad that the outputs' graph reaches from outside the run: leaves (parameters)
    and results of ops recorded before it (numbered below first_node), other than the run's own inputs."""
    own = {id(t) for t in inputs}
    found: dict[int, Tensor] = {}
    seen: set[int] = set()
    stack: list[Tensor] = []

    def visit(t: Tensor) -> None:
        if id(t) in seen or id(t) in own or not t.requires_grad:
            return
        seen.add(id(t))
        if t._node is None or t._node.seq < first_node:
            found[id(t)] = t
        else:
            stack.append(t)

    for output in outputs:
        visit(output)
    while stack:
        for parent in stack.pop()._node.inputs:
            visit(parent)
    return list(found.values())
