"""The graph layer: recording op applications and walking them backwards.

An op is a class with `forward(ctx, K, *arrays, **attrs) -> array` and `backward(ctx, K, grad) ->
tuple of input gradients` (a vector-Jacobian product), where K is the backend whose kernels do the
arithmetic. `apply` runs the forward and, when an input requires grad, records a Node; `backward`
visits the recorded nodes in reverse topological order, summing gradients where branches meet.
"""
from __future__ import annotations

import functools
import itertools
import operator
import weakref

import numpy as np

from fastgrad import backends
from fastgrad.autograd.anomaly_mode import ANOMALY_MODE, check_backward_step
from fastgrad.autograd.grad_mode import GRAD_MODE, GRAD_OFF_GATE, INFERENCE_GATE, enable_grad
from fastgrad.autograd.hooks import (_POST_ACCUMULATE_HOOKS, _TENSOR_HOOKS, _count_down_hooked_leaves,
                                     _count_hooked_leaf_edges, _run_post_accumulate_hooks, _run_tensor_hooks,
                                     move_tensor_hooks)
from fastgrad.backends import numpy as reference_kernels
from fastgrad.dtypes import can_cast_in_place
from fastgrad.profiler import PROFILE
from fastgrad.sparse import SparseRowGrad
from fastgrad.strided_views import writable_alias, writable_unless_repeating


class Op:
    """Base of the op table. The flags tell the graph layer what backward reads, so it can refuse to
    run on values that were changed in place since the forward (PyTorch's version-counter check):
    `saves_inputs`, backward reads input values (an op may exempt inputs with `ctx.mark_unsaved`);
    `saves_output`, backward reads the forward's output. `returns_view`: the output may share memory
    with input 0, so it shares that input's version counter. Gradients are summed back to each
    input's shape when broadcasting stretched it, once, in the graph walk."""

    saves_inputs = True
    saves_output = False
    returns_view = False
    # A user Function's backward may hand back arrays that live on (its saved tensors), so a leaf's
    # .grad must copy them.
    grads_may_alias = False
    # In place, which memory an input may share with the target (see refuse_partial_overlap): "same" memory laid
    # out alike, as elementwise ops read each element before they write it; "none", as PyTorch's scatters and
    # index_add_ refuse even that; None: no check here, for an op that writes only a part of its target (x[key] = v,
    # which checks its own part) or reads its input as a number first (masked_fill_'s value).
    in_place_overlap = "same"
    # The three flags apply reads for every op, in one read: Python 3.11 looks a class's attributes up the slow
    # way. Set for each op class once its body has set its flags.
    apply_flags = (saves_inputs, returns_view, saves_output)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.apply_flags = (cls.saves_inputs, cls.returns_view, cls.saves_output)

    @staticmethod
    def one_value_written_where(attrs: dict):
        """In place, where the op writes one same value (True: everywhere; or a bool mask that broadcasts to the
        target), for an op that writes nothing else (a fill, masked_fill_); None for any other op. PyTorch lets such
        a write change a tensor that shows one element at several positions (an expand), as the order of the
        writes does not matter there; it refuses most other writes (see repeated_memory_write)."""
        return None

    @classmethod
    def repeated_memory_write(cls, attrs: dict):
        """In place, into a tensor that shows one element at several positions (an expand), how the op writes
        there, as PyTorch lets it: a function of (a writable array of that memory laid out as the tensor, the op's
        result, the arrays of its other inputs) that writes only what the op changes, in PyTorch's order; None for
        an op PyTorch refuses there. By default, the one value of one_value_written_where."""
        where = cls.one_value_written_where(attrs)
        if where is None:
            return None
        return lambda memory, out, others: np.copyto(memory, out, where=where)

    @staticmethod
    def forward(ctx: "Node", K, *arrays, **attrs) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: "Node", K, grad: np.ndarray) -> tuple:
        raise NotImplementedError


# Python 3.11 runs a class's __init__ in a nested interpreter loop, which costs more than the assignments:
# objects made for every op (counters, nodes) are made bare and filled in.
_new_object = object.__new__


class VersionCounter:
    """How many times a block of memory was changed in place. It belongs to the memory, not to a
    tensor: views, `detach()` and `.data` share their base's counter, so a change made through any of
    them is seen by every graph node that saved the values. Made by new_version_counter."""

    __slots__ = ("value",)
    inference = False  # see InferenceVersionCounter


class InferenceVersionCounter(VersionCounter):
    """The counter of memory made inside inference_mode(True): its tensors and their views (which share
    it) answer True to is_inference(), as PyTorch's inference tensors."""

    __slots__ = ()
    inference = True


def new_version_counter() -> VersionCounter:
    """The counter of newly made memory. (The per-thread inference flag is read only while some thread has
    an inference_mode(True) block open: a thread-local read on every op would cost more than the op.)"""
    counter = _new_object(InferenceVersionCounter if INFERENCE_GATE.open and GRAD_MODE.inference else VersionCounter)
    counter.value = 0
    return counter


_NODE_NUMBERS = itertools.count()


class Node:
    """One recorded application of an op: its inputs, what forward saved, the backend it ran on, and
    the versions of the inputs and output that backward may read. Made by new_node."""

    # A node that a backward has freed has no inputs (a recorded node has at least one: the input that
    # required grad). `seq` numbers nodes in the order they were made (see _history_at).
    __slots__ = ("op", "inputs", "saved", "backend", "versions", "output_counter", "output_version", "seq")

    def mark_unsaved(self, index: int) -> None:
        """Forward did not save input `index` (its gradient is not needed), so backward does not care
        whether it changes in place afterwards."""
        if self.versions is not None:  # (None: not recorded)
            self.versions[index] = None

    def record_output(self, counter: VersionCounter) -> None:
        """Remember the output's version now; backward refuses to read it once it has changed."""
        self.output_counter, self.output_version = counter, counter.value


def new_node(op, inputs: tuple, backend) -> Node:
    """A node for one application of `op` to `inputs` on `backend`, nothing saved or recorded yet."""
    node = _new_object(Node)
    node.op, node.inputs, node.backend = op, inputs, backend
    node.saved = node.versions = node.output_counter = None
    node.seq = next(_NODE_NUMBERS)
    return node


# The Tensor class; fastgrad.tensor sets it once the class exists (it imports this module first).
Tensor = None
# NumPy's module has a __getattr__, so Python 3.11 looks `np.name` up the slow way every time: the walk
# and apply, which run for every op, use these names instead.
_ndarray, _asarray, _weakref_count = np.ndarray, np.asarray, weakref.getweakrefcount
# What apply reads of every input, in C (a comprehension costs a Python frame per op).
_DATA_OF = operator.attrgetter("_data")


def apply(op, *inputs, **attrs):
    """Run `op` forward on tensors, recording the graph when grad mode is on and an input needs grad.

    This runs for every op, so it is written for speed: plain loops instead of any()/generators."""
    K = backends.CURRENT.kernels
    record = False
    if not GRAD_OFF_GATE.open or GRAD_MODE.enabled:  # (the per-thread flag, read only while a thread has it off)
        for t in inputs:
            if t._requires_grad:
                record = True
                if t._base is not None and t._node is not None and (
                        t._base._node is not t._base_node or t._counter.value != t._base_version):
                    follow_new_base_history(t)  # (rare: a view with a history of its own, whose memory changed)
            elif t._base is not None and t._node is None and t._base._node is not t._base_node:
                record = follow_new_base_history(t) or record
    node = new_node(op, inputs, K)
    saves_inputs, returns_view, saves_output = op.apply_flags
    if record and saves_inputs:
        versions = node.versions = []  # (a loop: map with a dotted attrgetter costs more for one or two inputs)
        for t in inputs:
            versions.append(t._counter.value)
    arity = len(inputs)
    if PROFILE.active is not None:
        out = _profiled_forward(op, node, K, inputs, attrs)
    elif attrs or not 0 < arity < 3:
        out = op.forward(node, K, *map(_DATA_OF, inputs), **attrs)
    # (one or two arrays spelled out: Python 3.11 runs a call with * or ** in a nested interpreter loop)
    elif arity == 2:
        out = op.forward(node, K, inputs[0]._data, inputs[1]._data)
    else:
        out = op.forward(node, K, inputs[0]._data)
    if type(out) is not _ndarray:  # reductions may return NumPy scalars
        out = _asarray(out)
    result = _new_object(Tensor)  # Tensor._wrap, inlined: this line runs for every op
    result._data, result._grad = out, None
    if returns_view and np.may_share_memory(out, inputs[0]._data):
        base = inputs[0]
        root = base if base._base is None else base._base
        if not out.flags.writeable and root._data.flags.writeable:  # (a view of an expand: writable where it can be)
            out = result._data = writable_unless_repeating(out)
        result._counter = base._counter  # (then mark_as_view, inlined: this runs for every view op)
        result._base, result._base_node, result._base_version = root, base_history_mark(root, base), base._counter.value
    else:  # (new_version_counter, inlined)
        counter = result._counter = _new_object(
            InferenceVersionCounter if INFERENCE_GATE.open and GRAD_MODE.inference else VersionCounter)
        counter.value = 0
        result._base = None
    if not record or out.dtype.kind != "f":  # integer and bool results carry no gradient
        result._requires_grad, result._node = False, None
    else:
        if saves_output:
            node.record_output(result._counter)
        result._requires_grad, result._node = True, node
    return result


def _profiled_forward(op, node: Node, K, inputs: tuple, attrs: dict):
    """op's forward on the inputs' arrays, timed for the profile that is on."""
    profile = PROFILE.active
    start = profile.start_op()
    try:
        return op.forward(node, K, *map(_DATA_OF, inputs), **attrs)
    finally:
        profile.end_op(op.__name__, K.name, False, start)


# Why a view refuses to follow its base (see follow_new_base_history), completing "a view (of shape ...) ...".
MADE_UNDER_NO_GRAD = "was made under no_grad"


def base_history_mark(root, view_of=None):
    """What a view of `root`'s memory made now remembers of root's history (see follow_new_base_history): root's
    node, or, for a view that will refuse to follow root, a tuple (the reason, the memory's version now). `view_of`:
    the tensor the view is taken of; a view of a view that refuses refuses too (PyTorch passes on its
    creation_meta), from the version the memory has now (as PyTorch's view, which would have raised being taken of
    a view that refuses to be used)."""
    if not GRAD_MODE.enabled:
        return MADE_UNDER_NO_GRAD, root._counter.value
    if view_of is not None and view_of._base is not None and type(view_of._base_node) is tuple:
        return view_of._base_node[0], root._counter.value
    return root._node


def mark_as_view(view, root, view_of=None) -> None:
    """Make `view`, a tensor on `root`'s memory (sharing its version counter), a view of root: what it remembers of
    root's history (base_history_mark) and its memory's version now (see follow_new_base_history)."""
    view._base, view._base_node, view._base_version = root, base_history_mark(root, view_of), view._counter.value


def note_own_write(view) -> None:
    """`view`'s own in-place change was recorded as its new history (and its memory's version moved on): that history
    is the one of its memory now, so the view does not follow its base for this change."""
    if view._base is not None:
        view._base_version = view._counter.value


def refuse_to_follow(views, why: str) -> None:
    """Make `views` refuse to be used with grad mode on once their memory changed in place, even under no_grad
    (PyTorch refuses there rather than regenerate them): the outputs of ops that return several views, as unbind,
    or the views a custom Function returns. `why` completes "a view (of shape ...) ..."."""
    for view in views:
        if view._base is not None and type(view._base_node) is not tuple:
            view._base_node = why, view._counter.value


def follow_new_base_history(view) -> bool:
    """`view`'s base gained a new history since the view was made: a recorded in-place write changed the base
    (`v = buf[:2]; buf.copy_(w)`, or `v = b[:2]; b.mul_(2)` where v has a history of its own); or, for a view with
    a history of its own, its memory changed without a history being recorded (under no_grad, through a detached
    alias or a sibling view): PyTorch regenerates a view's history on any change of its memory's version, so that
    `w = v[:1]` no longer passes its gradient through `v` once `b` changed. As PyTorch's, the view then follows its
    base: it becomes the view of the base's new history (ViewOfNewHistory), so its uses pass
    gradients to w, and a gradient asked of it (retain_grad, autograd.grad) is the one of these uses. Nodes
    recorded before keep reading what it was (a stand-in with its old history, or the constant it was, as after an
    in-place change). A view marked to refuse (made under no_grad, an output of unbind or split, or of a custom
    Function: see base_history_mark) is not followed: see refuse_ambiguous_view. Returns whether the view now
    requires grad."""
    base, mark = view._base, view._base_node
    if type(mark) is tuple:
        refuse_ambiguous_view(view)
        return False
    from fastgrad.ops.shape import ViewOfNewHistory  # (ops import this module)

    if base._node is not None or base._requires_grad:
        node = apply(ViewOfNewHistory, base, view=view._data)._node
    elif view._node is None or view._counter.value == view._base_version:
        return False  # (the base's history was let go of again, detach_(), and the memory has not changed since)
    else:  # it has: PyTorch regenerates the view all the same, as the view of a base without history, so the view's
        # uses send their gradient nowhere (not through its old history: fuzz seed 942)
        node = new_node(ViewOfNewHistory, (base,), backends.CURRENT.kernels)
        ViewOfNewHistory.forward(node, node.backend, base._data, view._data)
    stand_in = Tensor._wrap(view._data, view._requires_grad, view._node)  # what it was, for the nodes recorded before
    stand_in._counter = view._counter
    rebase(view, node, stand_in)
    # (held, not weakly linked as after an in-place op: no node holds this stand-in, and it owns no memory)
    view._previous, view._base_node, view._base_version = _Held(stand_in), base._node, view._counter.value
    return True


def refuse_ambiguous_view(tensor) -> None:
    """PyTorch's check wherever it reads a view's history (its grad_fn: used in an op with grad mode on, .grad_fn,
    is_leaf, retain_grad, register_hook, a backward's outputs and inputs): a view that refuses to follow its base (made
    under no_grad, an output of unbind or split, or of a custom Function: base_history_mark) raises once its memory
    was changed in place since it was made, by any tensor on it and in any grad mode, unless it has no history and
    its base does not require grad. PyTorch refuses there rather than regenerate the view's history, which would be
    ambiguous."""
    base = tensor._base
    if base is None:
        return
    mark = tensor._base_node
    if type(mark) is not tuple or mark[1] == tensor._counter.value or (tensor._node is None and not base._requires_grad):
        return
    raise RuntimeError(
        f"a view (of shape {tuple(tensor.shape)}) {mark[0]}, and its base (of shape {tuple(base.shape)}) or a view "
        "of it was changed in place since: as PyTorch, fastgrad refuses to use the view's history, as it is "
        "ambiguous; take the view again after the change (with grad mode on), or clone() it before")


def follows_new_base_history(tensor) -> bool:
    """Whether `tensor` requires grad, once a view whose base gained a history since is made to follow it (for the
    in-place fast paths that decide by requires_grad alone, before any op is applied)."""
    if tensor._requires_grad:
        return True
    if tensor._base is not None and tensor._node is None and tensor._base._node is not tensor._base_node:
        return follow_new_base_history(tensor)
    return False


def follow_changed_bases(roots) -> None:
    """Make each of `roots` that is a view with a history of its own follow its base, if the base gained a new
    history since the view was made (see follow_new_base_history), as apply does (inline) for an op's inputs: for
    the roots of a backward, and wherever a view's history is read (grad_fn, register_hook, retain_grad), in any
    grad mode, as PyTorch regenerates a view's grad_fn there. A hook registered after the base's change is then
    the new history's, as PyTorch's."""
    for t in roots:
        if t._base is not None and t._node is not None and (
                t._base._node is not t._base_node or t._counter.value != t._base_version):
            with enable_grad():
                follow_new_base_history(t)


class _Held:
    """A strong link to a stand-in, called as the weak references of `_previous` are."""

    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor

    def __call__(self):
        return self.tensor


def apply_inplace(op, name: str, target, *others, before=None, **attrs):
    """Run `op` on (target, *others) and write the result into target's memory, as PyTorch's in-place
    ops do. When grad mode is on and anything requires grad, the change is recorded: target's history
    becomes `op` applied to its old history, so gradients flow through it. `before`: a tensor holding
    target's history before the change, when the caller made one (else the op's input is that)."""
    repeated_write = op.repeated_memory_write(attrs) if repeats_writable_memory(target) else None
    if repeated_write is None:
        refuse_read_only(name, target)
    if target._base is not None and before is None:  # (a caller that made `before` checked before it did)
        refuse_stale_view_write(name, target)
    if op.in_place_overlap is not None:
        for other in others:
            if type(other) is Tensor:
                refuse_partial_overlap(name, target._data, other._data, op.in_place_overlap == "none")
    record = False
    if GRAD_MODE.enabled:
        for t in (target,) + others:
            if follows_new_base_history(t):
                record = True
    if record:
        if target.requires_grad and target._node is None:
            raise RuntimeError(f"{name}: a leaf tensor that requires grad is being used in an in-place operation; "
                               "change it under `with fastgrad.no_grad():` (as an optimizer step does)")
        written_positions = None
        if target._base is not None:  # (see rebase_through_view)
            prepare_view_write(name, target)
            written_positions = view_positions(target._data, target._base._data)
        # The old values as the op's input. An op whose backward reads its inputs gets a copy, since
        # the write below replaces them (PyTorch saves the original self the same way).
        old = Tensor._wrap(target._data.copy() if op.saves_inputs else target._data, target.requires_grad,
                           target._node)
        if not op.saves_inputs:
            old._counter = target._counter
        aliased = [i for i, other in enumerate(others, 1) if other is target]
        if aliased:  # x.add_(x), x[:] = x: the operand is target's value before the write, `old`.
            # (Left as target, the node would read the history rebase gives target below, its own node, and the old
            # history's gradient would be lost.) PyTorch saves x itself there, so its backward refuses what the
            # write changed: with the counter shared, so does this one.
            old._counter = target._counter
            others = tuple(old if other is target else other for other in others)
        out = apply(op, old, *others, **attrs)
        versions = out._node.versions if out._node is not None else None
        if aliased and op.saves_inputs and versions is not None and all(versions[i] is None for i in aliased):
            # but an op that did not save the operand (copysign_'s sign) reads target's old values only as its
            # input 0, which is a copy (PyTorch's saved original self): the write does not change that
            old._counter = new_version_counter()
            old._counter.value = versions[0]
    else:
        out = apply(op, target, *others, **attrs)
    if out._data.shape != target._data.shape:
        raise RuntimeError(f"{name}: output with shape {tuple(target._data.shape)} doesn't match the broadcast shape "
                           f"{tuple(out._data.shape)}")
    if not can_cast_in_place(out._data.dtype, target._data.dtype):
        raise RuntimeError(f"{name}: result type {out._data.dtype} can't be cast to the desired output type "
                           f"{target._data.dtype}")
    if repeated_write is None:
        target._data[...] = out._data
    else:  # (through a writable array of the memory, only what the op changes)
        repeated_write(writable_alias(target._data), out._data, [other._data for other in others])
    target._counter.value += 1
    if record and out._node is not None:
        node = out._node
        if node.output_counter is not None:  # backward reads the result, which now lives in target
            node.record_output(target._counter)
        if written_positions is None:
            rebase(target, node, old if before is None else before)
        else:
            rebase_through_view(target, out, old if before is None else before, written_positions)
    return target


def refuse_stale_view_write(name: str, view) -> None:
    """PyTorch's refusal, with grad mode on, of an in-place change of a view that has no history of its own while
    its base requires grad: one taken while the base did not require grad and not used since the base came to (a
    write through another view gave it a history, or requires_grad_()), which PyTorch counts as a leaf that requires
    grad; or one made under no_grad. (A view used since has followed its base: follow_new_base_history; but for a
    base that is a leaf, which PyTorch refuses as such.) Called before anything makes the view follow its base."""
    base = view._base
    if view._node is None and base._requires_grad and GRAD_MODE.enabled:
        if type(view._base_node) is not tuple and base._node is None:
            raise leaf_view_write_error(name, base)
        why = view._base_node[0] if type(view._base_node) is tuple else (
            "was taken while its base did not require grad and was not used since, which PyTorch counts as a leaf")
        raise RuntimeError(f"{name}: a view (of shape {tuple(view.shape)}) {why}; as PyTorch, fastgrad refuses to "
                           f"change it in place with grad mode on, now that its base (of shape {tuple(base.shape)}) "
                           "requires grad; take the view again from its base")


def prepare_view_write(name: str, view) -> None:
    """Before a recorded in-place change of `view` (see rebase_through_view), PyTorch's refusals: a view that
    refuses to follow its base (made under no_grad, an output of unbind or of a custom Function, whose backward
    the base's new history would bypass: base_history_mark) refuses the change, and so does a view of a leaf that
    requires grad. Otherwise the view first follows its base's newer history, if the base changed since the view
    was made, so that the op reads the view's current history."""
    base, mark = view._base, view._base_node
    if type(mark) is tuple:
        raise RuntimeError(f"{name}: a view (of shape {tuple(view.shape)}) {mark[0]}: as PyTorch, fastgrad refuses "
                           "to change it in place with grad mode on, as the history it would give the base (of "
                           f"shape {tuple(base.shape)}) is ambiguous; clone() the view, or take it again with grad "
                           "mode on from the tensor it views")
    if base._node is None and (base._requires_grad or view._requires_grad):
        # (PyTorch's test is the view's requires_grad: a view taken of a leaf that requires grad keeps its history
        # after the leaf is detached in place, and still refuses)
        raise leaf_view_write_error(name, base)
    if base._node is not mark or view._counter.value != view._base_version:
        follow_new_base_history(view)


def leaf_view_write_error(name: str, base) -> RuntimeError:
    """PyTorch's refusal of an in-place change, with grad mode on, of a view of `base`, a leaf that requires grad."""
    return RuntimeError(f"{name}: a view of a leaf tensor that requires grad (of shape {tuple(base.shape)}) is being "
                        "used in an in-place operation; change it under `with fastgrad.no_grad():` (as an optimizer "
                        "step does)")


def rebase_through_view(view, out, before, positions: np.ndarray) -> None:
    """A recorded in-place op wrote `out` into `view`'s memory: as PyTorch's (CopySlices), the base's history
    becomes its old history with the view's elements (at `positions`, see view_positions) replaced by out, whose
    node sends them their gradient through the op; the view's history becomes the view of that (ViewOfNewHistory),
    `before` keeping the one it had for the nodes recorded before. Other views of the base follow it when next used
    (follow_new_base_history)."""
    from fastgrad.ops.assign import CopySlices  # (ops import this module)
    from fastgrad.ops.shape import ViewOfNewHistory

    base = view._base
    base_before = Tensor._wrap(base._data, base._requires_grad, base._node)
    base_before._counter = base._counter
    # (a view that shows one element at several positions took a write PyTorch allows there: read-only, and checked
    # only then)
    repeats = not view._data.flags.writeable and np.unique(positions).size < positions.size
    rebase(base, apply(CopySlices, base_before, out, positions=positions, repeats=repeats)._node, base_before)
    rebase(view, apply(ViewOfNewHistory, base, view=view._data)._node, before)
    view._base_node, view._base_version = base._node, view._counter.value


def repeats_writable_memory(target) -> bool:
    """Whether target's array is read-only as it shows one element of writable memory at several positions (a view
    of an expand, overlapping windows of unfold or as_strided, an overlapping empty_strided), which some writes
    may change, as PyTorch's (Op.repeated_memory_write)."""
    if target._data.flags.writeable:
        return False
    owner = target._memory_owner()
    return owner is not target and owner._data.flags.writeable


def refuse_read_only(name: str, target) -> None:
    """Raise read_only_error before an in-place write into `target` when its array is read-only. An empty tensor
    takes any write, as PyTorch's (there is nothing to write: an empty slice of an expand, which NumPy keeps
    read-only): its array is made writable."""
    array = target._data
    if not array.flags.writeable:
        if array.size:
            raise read_only_error(name)
        target._data = writable_alias(array)


def read_only_error(name: str) -> RuntimeError:
    """What a write into read-only memory raises (before anything runs: a random fill draws nothing)."""
    return RuntimeError(
        f"{name}: this tensor is read-only: it shows one element of memory at several positions (an expand, or "
        "unfold/as_strided windows that overlap), where an in-place result would depend on the order of the "
        "writes; or it is the copy that view() made where the strides allow no view (PyTorch's view raises "
        "there), which a write would not carry to the original; or it holds a read-only array. clone() it, or "
        "write to the tensor it is a view of")


def refuse_partial_overlap(name: str, written: np.ndarray, read: np.ndarray, same_memory_too: bool = False) -> None:
    """PyTorch's check before an in-place write: an input that shares part of the written memory, but is not
    that same memory laid out the same way, is refused (x.add_(x.t()), x[1:].copy_(x[:-1])), since the result
    would depend on the order of the writes (NumPy buffers such overlaps and computes as if from a copy, which
    PyTorch does not promise). As PyTorch's, it judges only dense, non-overlapping layouts by their bytes;
    strided views like x[::2] and x[1::2] pass. "Laid out the same way" is PyTorch's: the same strides, a size-1
    dim's too (b[::2].add_(b[:1]) of a b with 2 rows is refused: the first steps 2 rows along its size-1 dim, the
    second 1). `same_memory_too`: the same memory is refused as well, as PyTorch's index_add_ and index_put_
    refuse it (their writes need not follow the order of the reads)."""
    if written.size == 0 or read.size == 0 or not np.may_share_memory(written, read):
        return
    spans = _dense_span(written), _dense_span(read)
    if None in spans:
        return
    (written_start, written_end), (read_start, read_end) = spans
    if written_end <= read_start or read_end <= written_start:
        return
    if not same_memory_too and spans[0] == spans[1] and written.shape == read.shape and (
            torch_strides(written) == torch_strides(read)):
        return  # the same memory, laid out alike: x.add_(x) reads before writing
    raise RuntimeError(f"{name}: unsupported operation: some elements of the input tensor and the written-to tensor "
                       "refer to a single memory location (as PyTorch, which refuses this); clone() the input first")


def torch_strides(array: np.ndarray) -> tuple:
    """array's strides (in bytes) as PyTorch's tensor of it has them: NumPy gives a size-1 dim that None or an
    expand added the stride 0, where PyTorch gives it the step of the dims after it laid out contiguously (its
    unsqueeze's and expand's rule: the next dim's size times its stride, the item size for the last dim)."""
    strides, step = list(array.strides), array.itemsize
    for dim in reversed(range(array.ndim)):
        if array.shape[dim] == 1 and strides[dim] == 0:
            strides[dim] = step
        step = strides[dim] * array.shape[dim]
    return tuple(strides)


def _dense_span(array: np.ndarray) -> tuple[int, int] | None:
    """The bytes [start, end) that array fills exactly (its elements tile them, in any order of dims), or None
    when it does not: gaps between elements, repeated elements (stride 0) or negative strides."""
    expected = array.itemsize
    for stride, size in sorted((stride, size) for stride, size in zip(array.strides, array.shape) if size != 1):
        if stride != expected:
            return None
        expected *= size
    start = array.__array_interface__["data"][0]
    return start, start + array.nbytes


def rebase(target, node, before) -> None:
    """An in-place change was recorded: `target`'s history becomes `node`, and `before` (a stand-in
    tensor) keeps the history it had. Nodes recorded earlier that used `target` go on reading that
    older history, as PyTorch's graph keeps the edge it saw: the walk follows `_previous` back to it
    (_history_at). Without this, a gradient through `y + 1` recorded before `y.mul_(5)` would be
    multiplied by 5. The links are weak: a stand-in lives as long as the graph that holds it (the
    in-place node's inputs), so a tensor changed in place again and again does not keep every older
    copy alive."""
    before._previous = getattr(target, "_previous", None)
    target._previous = weakref.ref(before)
    target._node, target._requires_grad = node, True
    if _TENSOR_HOOKS:
        move_tensor_hooks(target, before)


# id(tensor) -> (a weak reference to it, the number of the next node when it was detached in place). PyTorch's nodes
# keep an edge to an input's history, so detach_() leaves the nodes recorded before it their gradient path; fastgrad's
# nodes reach the history through the tensor, which detach_ cleared: those nodes refuse to run rather than lose it.
DETACHED_IN_PLACE: dict[int, tuple[weakref.ref, int]] = {}
# id(leaf) -> (a weak reference to it, [(the number of the next node, whether it requires grad from then on), ...]):
# the changes of a leaf's requires_grad. PyTorch gives a node an edge to a leaf only if the leaf required grad when
# the node was recorded; fastgrad's nodes read the flag at backward, so they look up what it was then.
REQUIRES_GRAD_CHANGES: dict[int, tuple[weakref.ref, list]] = {}


def _remember(registry: dict, tensor, value) -> None:
    key = id(tensor)

    def forget(ref: weakref.ref) -> None:  # (a dead tensor's id may be reused)
        if registry.get(key, (None,))[0] is ref:
            del registry[key]

    registry[key] = (weakref.ref(tensor, forget), value)


def mark_detached_in_place(tensor) -> None:
    _remember(DETACHED_IN_PLACE, tensor, next(_NODE_NUMBERS))


def note_requires_grad_change(leaf, requires_grad: bool) -> None:
    entry = REQUIRES_GRAD_CHANGES.get(id(leaf))
    change = (next(_NODE_NUMBERS), requires_grad)
    if entry is not None and entry[0]() is leaf:
        entry[1].append(change)
    else:
        _remember(REQUIRES_GRAD_CHANGES, leaf, [change])


def required_grad_when_recorded(node, leaf) -> bool:
    """Whether `leaf`, an input of `node`, required grad when node was recorded (see REQUIRES_GRAD_CHANGES)."""
    entry = REQUIRES_GRAD_CHANGES.get(id(leaf))
    if entry is None or entry[0]() is not leaf:
        return leaf._requires_grad
    required = not entry[1][0][1]  # (before its first change, the opposite of it)
    for seq, requires_grad in entry[1]:
        if seq > node.seq:
            break
        required = requires_grad
    return required


def detached_after(node, parent) -> bool:
    """Whether `parent`, an input of `node`, was detached in place after node was recorded."""
    entry = DETACHED_IN_PLACE.get(id(parent))
    return entry is not None and entry[0]() is parent and entry[1] > node.seq


def refuse_detached_inputs(node) -> None:
    """Raise if an input of `node` was detached in place after node was recorded (see DETACHED_IN_PLACE)."""
    for parent in node.inputs:
        if parent._node is None and detached_after(node, parent):
            raise RuntimeError(
                f"a tensor of shape {tuple(parent.shape)} that {node.op.__name__} used was detached in place "
                "(detach_()) before backward: fastgrad no longer knows the history it had then. Use the out-of-place "
                "detach(), or call detach_() after backward")


def _as_seen_by(node, parent, grad, fitted=None, into_base=None):
    """`parent` and its gradient as `node` used it, when an in-place change recorded since may have given
    it a newer history: the parent itself changed (follow its stand-ins back), or it is a view whose
    base changed after the view was made. PyTorch gives such a view a new history at the change; here
    the view's gradient goes into the base's shape, by the view's place in the base's memory, and on
    to the base's history at `node`'s time. `fitted(target, grad, given)` shapes a gradient for target
    (`given`: the tensor among node.inputs that target stands in for) and `into_base(view, base, grad)`
    places a view's gradient in its base: on arrays by default, on tensors in a recorded backward."""
    if fitted is None:
        fitted, into_base = functools.partial(_validated, node), _into_base
    if parent._node.seq > node.seq:
        # fitted to the stand-in, which has the shape `node` saw (t_() or unsqueeze_() change it)
        seen = _history_at(parent, node)
        return seen, fitted(seen, grad, parent)
    return _history_at(parent._base, node), into_base(parent._data, parent._base._data, fitted(parent, grad, None))


def _into_base(view: np.ndarray, base: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """A gradient for `base` (zero outside `view`) from `grad` for `view`, a view of base's memory;
    elements that several view positions share (expand, overlapping windows) sum up."""
    summed = np.zeros(base.size, dtype=grad.dtype)
    np.add.at(summed, view_positions(view, base).reshape(-1), grad.reshape(-1))
    return summed.reshape(base.shape)


def view_positions(view: np.ndarray, base: np.ndarray) -> np.ndarray:
    """For each element of `view`, a view of base's memory, the (C-order) index in base of the element it shows."""
    # each element of base holds its own index, in an array laid out like base in memory (in one block, which a
    # base that is dense but not in C order, as a permuted tensor's clamp, is too)
    memory = np.empty(base.size, dtype=np.int64)
    scale = memory.itemsize / base.itemsize
    strides = tuple(int(step * scale) for step in base.strides)
    dense = np.empty_like(base, dtype=np.int64).strides
    # the stride of a dim of size 1 is never stepped along, and copies keep any (a clone of a transposed view)
    if any(step != expected for step, expected, n in zip(strides, dense, base.shape) if n > 1):
        return _positions_by_address(view, base)
    positions = np.ndarray(base.shape, np.int64, buffer=memory, strides=strides)
    positions[...] = np.arange(base.size, dtype=np.int64).reshape(base.shape)
    offset = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return np.ndarray(view.shape, np.int64, buffer=memory, offset=int(offset * scale),
                      strides=tuple(int(step * scale) for step in view.strides))


def _positions_by_address(view: np.ndarray, base: np.ndarray) -> np.ndarray:
    """view_positions for a base whose elements leave gaps in its memory (the detach() of a slice, a strided NumPy
    array): each view element's address is looked up among the base's, sorted."""
    start = base.__array_interface__["data"][0]
    base_addresses = _addresses(base, 0).reshape(-1)
    order = np.argsort(base_addresses, kind="stable")
    view_addresses = _addresses(view, view.__array_interface__["data"][0] - start)
    positions = order[np.searchsorted(base_addresses[order], view_addresses).clip(max=max(base.size - 1, 0))]
    if view.size and not np.array_equal(base_addresses[positions], view_addresses):
        raise RuntimeError(f"a view (of shape {view.shape}) shows memory that its base (of shape {base.shape}) does "
                           "not: fastgrad cannot place its gradient in the base; clone() the view")
    return positions


def _addresses(array: np.ndarray, offset: int) -> np.ndarray:
    """The byte offset from `offset` of each element of array."""
    addresses = np.full(array.shape, offset, dtype=np.int64)
    for dim, (size, step) in enumerate(zip(array.shape, array.strides)):
        addresses += (np.arange(size, dtype=np.int64) * step).reshape((size,) + (1,) * (array.ndim - dim - 1))
    return addresses


def _history_at(tensor, node):
    """`tensor` as `node` used it: an in-place change recorded after `node` (a newer node on `tensor`), or by `node`
    itself (which read its inputs before it wrote: x[:3] = x[3:] reads a view of x), left the history `node` used in
    the chain of `_previous` stand-ins."""
    while tensor._node is not None and tensor._node.seq >= node.seq:
        previous = tensor._previous()
        if previous is None:  # the graph after the change was freed by a backward, and the stand-in with it
            raise RuntimeError(
                f"trying to backward through the graph a second time ({node.op.__name__}): the history that an "
                "input had before an in-place change was freed by an earlier backward; pass retain_graph=True to "
                "the first call")
        tensor = previous
    return tensor


def release(node, kept: list) -> None:
    """Free what `node` saved and its inputs, once a backward without retain_graph has run it. A stand-in among the
    inputs (the history a tensor had before an in-place change: rebase, linked from the tensor only weakly) goes into
    `kept`, which the walk holds until it ends: an older node that this walk has yet to run may read that history
    (`y = x + w; x.mul_(z)`: the node of mul_ may run before the one of +). (run_backward has it inline.)"""
    for parent in node.inputs:
        if _weakref_count(parent):
            kept.append(parent)
    node.saved, node.inputs = None, ()


def _topological_order(roots) -> list:
    """Non-leaf tensors reachable from the roots, each after every tensor that was computed from it.

    Iterative depth-first search (no recursion, so a 100,000-op chain is fine)."""
    order, visited = [], set()
    for root in roots:
        if root._node is None or id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(root._node.inputs))]
        while stack:
            tensor, parents = stack[-1]
            for parent in parents:
                parent_node = parent._node
                if parent_node is None:  # a leaf
                    continue
                # an input changed in place after this node: the walk sends its gradient to the history the
                # node saw (_as_seen_by), so that history must come after this node too
                if parent_node.seq > tensor._node.seq or parent._base is not None:
                    parent = _input_as_seen_by(tensor._node, parent)
                    parent_node = parent._node
                    if parent_node is None:
                        continue
                if id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, iter(parent_node.inputs)))
                    break
            else:
                stack.pop()
                order.append(tensor)
    order.reverse()  # roots first: every tensor comes before the tensors it was computed from
    return order


def leaves_requiring_grad(roots) -> list:
    """The leaf tensors that require grad and that the roots were computed from: what a backward pass from
    the roots would reach."""
    leaves, seen = [], set()
    for tensor in [r for r in roots if r._node is None and r._requires_grad] + _topological_order(roots):
        for parent in (tensor,) if tensor._node is None else tensor._node.inputs:
            seen_parent = parent if tensor._node is None else _input_as_seen_by(tensor._node, parent)
            if seen_parent._node is None and seen_parent._requires_grad and id(seen_parent) not in seen:
                seen.add(id(seen_parent))
                leaves.append(seen_parent)
    return leaves


def _nodes_leading_to(order: list, targets: dict) -> set[int]:
    """ids of the tensors in `order` whose backward reaches a target: only these nodes need to run. A
    node freed by an earlier backward has forgotten its inputs; it counts as needed, so that reaching
    it raises rather than reporting the targets as unused."""
    needed: set[int] = set()
    for tensor in reversed(order):  # every tensor after the tensors it was computed from
        if not tensor._node.inputs:  # freed
            needed.add(id(tensor))
            continue
        for parent in tensor._node.inputs:
            # (an input changed in place since: its history at the node's time, which the walk will follow)
            seen = _input_as_seen_by(tensor._node, parent)
            # (not a target changed in place after this node read it: the node reached only its older history)
            target = id(parent) in targets and (parent._node is None or parent._node.seq < tensor._node.seq)
            if target or id(seen) in targets or id(seen) in needed or (
                    DETACHED_IN_PLACE and detached_after(tensor._node, parent)):  # (so that reaching it raises)
                needed.add(id(tensor))
                break
    return needed


def pruned_to_targets(order: list, targets: dict, roots) -> tuple[list, set[int], set[int]]:
    """A walk to `targets` only (autograd.grad, backward(inputs=)): (the tensors of `order` to visit, ids of those
    whose node runs, ids of those that take gradients). Visited besides the nodes that run and the targets: a
    lone hooked root (see lone_hooked_root)."""
    needed = _nodes_leading_to(order, targets)
    relevant = needed | targets.keys()
    if not lone_hooked_root(roots) or roots[0]._node is None:
        return [t for t in order if id(t) in relevant], needed, relevant
    return [t for t in order if id(t) in relevant or t is roots[0]], needed, relevant


def lone_hooked_root(roots) -> bool:
    """Whether a walk pruned to some targets runs the tensor hooks of its root even if no target lies beyond it: it
    has a single root, with hooks. PyTorch starts such a walk at the root's node, which runs its tensor hooks
    (retain_grad's too) before it learns that it need not run; the roots of a walk from several start from a node
    of their own, which passes nothing to a root not needed."""
    return len(roots) == 1 and id(roots[0]) in _TENSOR_HOOKS


def _input_as_seen_by(node, parent):
    """The tensor whose history `node`'s gradient for `parent` goes to (see _as_seen_by): parent itself,
    unless it or the base it views was changed in place after node was recorded."""
    parent_node = parent._node
    if parent_node is None:
        return parent
    if parent_node.seq > node.seq:
        return _history_at(parent, node)
    base = parent._base
    if base is not None and base._node is not None and base._node.seq > parent_node.seq:
        return _history_at(base, node)
    return parent


def broadcast_axes(grad_shape: tuple, shape: tuple) -> tuple:
    """The axes of a gradient of grad_shape that broadcasting an input of `shape` added or stretched from 1."""
    extra = len(grad_shape) - len(shape)
    return tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape) if n == 1 and grad_shape[i + extra] != 1)


def _sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo broadcasting: sum over the axes that broadcasting added or stretched from size 1."""
    axes = broadcast_axes(grad.shape, shape)
    # (the reference backend's sum adds many float32 rows in blocks, as accurately as PyTorch's: a bias
    # gradient over 700 rows summed one row at a time lost up to a few float32 ulps per 100 rows)
    summed = reference_kernels.sum(grad, axes, True) if axes else grad
    return summed.reshape(shape)


def _validated(node, parent, grad, given=None):
    """The gradient for input `parent`, shaped and typed like it (PyTorch's validate_outputs):
    broadcast gradients are summed back; any other shape is a bug in the op and raises. `given`: the
    tensor among node.inputs, when `parent` is the stand-in for its history at node's time."""
    shape = parent._data.shape
    if type(grad) is np.ndarray and grad.shape == shape and grad.dtype == parent._data.dtype:
        return grad
    if grad.shape != shape:
        index = next(i for i, t in enumerate(node.inputs) if t is (parent if given is None else given))
        try:
            if np.broadcast_shapes(grad.shape, shape) != grad.shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(
                f"{node.op.__name__}.backward returned a gradient of shape {tuple(grad.shape)} for input {index}, "
                f"which has shape {tuple(shape)}") from None
        grad = _sum_to_shape(grad, shape)
    if not isinstance(grad, SparseRowGrad) and grad.dtype != parent._data.dtype:
        grad = grad.astype(parent._data.dtype)
    return _as_array(grad)


def _as_array(grad):
    """A 0-d gradient as an array: NumPy's 0-d arithmetic gives a NumPy scalar, and a tensor holding one (a
    .grad, or what a hook gets) would compute in the default float dtype, so x.grad * 2 of a float64 x would
    be float32."""
    return np.asarray(grad) if isinstance(grad, np.generic) else grad


def _accumulate(current, new):
    """Gradients sum where branches meet; never in place, since `current` may be shared."""
    if isinstance(current, SparseRowGrad) or isinstance(new, SparseRowGrad):
        return current + new if isinstance(current, SparseRowGrad) else new + current
    return _as_array(current + new)


def refuse_modified(node) -> None:
    """Raise if a value the node's backward reads (a saved input, its output) changed in place since."""
    if node.versions is not None:
        for parent, version in zip(node.inputs, node.versions):
            if version is not None and parent._counter.value != version:
                _raise_modified(node, f"input of shape {parent.shape}", parent._counter.value, version)
    if node.output_counter is not None and node.output_counter.value != node.output_version:
        _raise_modified(node, "output", node.output_counter.value, node.output_version)


def _raise_modified(node, what: str, version: int, expected: int):
    raise RuntimeError(
        f"one of the tensors needed for gradient computation ({node.op.__name__} {what}) was modified by an "
        f"in-place operation: it is at version {version}, expected version {expected}. Use an out-of-place "
        "operation, or clone() the tensor before changing it")


def run_backward(roots: list, root_grads: list, retain_graph: bool, inputs: list | None = None,
                 accumulate: bool = True) -> list | None:
    """Backpropagate `root_grads` (dLoss/droot for each root) to every leaf that requires grad,
    accumulating into `.grad`. With `inputs`, only the paths that reach those tensors run, and only
    they get gradients: accumulated into their `.grad` (`backward(inputs=...)`; a non-leaf input must
    retain its grad), or, with accumulate=False, returned in their order, None where nothing reached
    them, with no `.grad` changed (`autograd.grad`).

    Without retain_graph each node lets go of its saved values and its inputs once it has run, so
    after backward only what the caller still references stays alive."""
    # (one function, not a wrapper around the walk: a Python call costs more than the common case's checks)
    profile = PROFILE.active
    if profile is not None:
        profile.enter_backward()  # ops that hooks and custom backwards run count as backward
    try:
        grads: dict[int, np.ndarray] = {}
        # a root's gradient may be the caller's: copied if it reaches a leaf
        handed_to_leaves = set(map(id, root_grads))
        kept = []  # (see release)
        leaf_roots = []
        for root, grad in zip(roots, root_grads):
            if root._base is not None:  # (rare: a view, which may have to follow its base's new history)
                follow_changed_bases((root,))
            if root._node is None:
                leaf_roots.append((root, grad))
            else:
                key = id(root)
                grads[key] = _accumulate(grads[key], grad) if key in grads else grad
        order = _topological_order(roots)
        # (all None in the usual backward: no inputs to prune to, nothing to return, no hooks)
        targets = needed = relevant = captured = hooked_edges = summed_leaves = None
        hooks_or_targets = False
        if inputs is not None or not accumulate or _TENSOR_HOOKS or _POST_ACCUMULATE_HOOKS:
            if inputs is not None:  # prune: only the nodes on a path to an input run
                targets = {id(t): t for t in inputs}
                order, needed, relevant = pruned_to_targets(order, targets, roots)
            captured = None if accumulate else {}
            hooked_edges = _count_hooked_leaf_edges(order, targets) if _POST_ACCUMULATE_HOOKS and accumulate else None
            # Leaves whose contributions are summed first, since their tensor hooks see the sum (or it is returned).
            summed_leaves = {} if _TENSOR_HOOKS or not accumulate else None
            hooks_or_targets = summed_leaves is not None or targets is not None
        for root, grad in leaf_roots:
            if targets is not None and id(root) not in targets:
                if lone_hooked_root(roots):
                    _run_tensor_hooks(root, grad)
                continue
            if summed_leaves is not None and (captured is not None or id(root) in _TENSOR_HOOKS):
                _sum_for_leaf(summed_leaves, root, grad)
            else:
                _store_leaf_grad(root, grad, handed_to_leaves, True)
                if hooked_edges is not None and id(root) in _POST_ACCUMULATE_HOOKS and id(root) not in hooked_edges:
                    _run_post_accumulate_hooks(root)  # nothing else feeds it
        check_nan = ANOMALY_MODE.enabled and ANOMALY_MODE.check_nan  # (read once per backward, not per node)
        observed = check_nan or profile is not None
        for tensor in order:
            node = tensor._node
            g = grads.pop(id(tensor), None)
            if g is None:  # nothing flowed here (e.g. every path was an integer output)
                if hooked_edges:
                    _count_down_hooked_leaves(node.inputs, hooked_edges)
                continue
            if hooks_or_targets:
                key = id(tensor)
                if summed_leaves is not None and key in _TENSOR_HOOKS:  # g is complete: every path has run
                    g = _run_tensor_hooks(tensor, g)
                if targets is not None:
                    if captured is not None and key in targets:
                        captured[key] = g
                    if key not in needed:  # (a target, or a hooked root, whose node need not run)
                        continue
            op, parents = node.op, node.inputs
            if not parents:
                raise RuntimeError(
                    f"trying to backward through the graph a second time ({op.__name__}): its saved values were "
                    "freed by the first backward; pass retain_graph=True to the first call")
            if node.versions is not None or node.output_counter is not None:
                refuse_modified(node)
            if DETACHED_IN_PLACE:
                refuse_detached_inputs(node)
            if observed:
                input_grads = _observed_backward(node, g, profile, check_nan)
            else:
                input_grads = op.backward(node, node.backend, g)
            for parent, parent_grad in zip(parents, input_grads):
                if parent_grad is None:
                    continue
                parent_node = parent._node
                # rare: the parent, or the base of a parent that is a view, was changed in place since
                if parent_node is not None and (parent_node.seq > node.seq or (
                        parent._base is not None and parent._base._node is not None
                        and parent._base._node.seq > parent_node.seq)):
                    parent, parent_grad = _as_seen_by(node, parent, parent_grad)
                    parent_node = parent._node
                if not parent._requires_grad or (relevant is not None and id(parent) not in relevant) or (
                        REQUIRES_GRAD_CHANGES and parent_node is None and id(parent) in REQUIRES_GRAD_CHANGES
                        and not required_grad_when_recorded(node, parent)):
                    continue
                data = parent._data
                # the usual case inline (this loop runs for every edge): an array of the input's shape and dtype
                # (`is`: equal dtypes are one object but for rare variants, which _validated then compares)
                if (type(parent_grad) is not _ndarray or parent_grad.dtype is not data.dtype
                        or parent_grad.shape != data.shape):
                    parent_grad = _validated(node, parent, parent_grad)
                if parent_node is not None:  # gradients sum where branches meet
                    key = id(parent)
                    grads[key] = _accumulate(grads[key], parent_grad) if key in grads else parent_grad
                elif summed_leaves is not None and (captured is not None or id(parent) in _TENSOR_HOOKS):
                    _sum_for_leaf(summed_leaves, parent, parent_grad)
                else:
                    _store_leaf_grad(parent, parent_grad, handed_to_leaves, retain_graph, op)
            if hooked_edges:
                _count_down_hooked_leaves(parents, hooked_edges)
            if not retain_graph:  # (release, inlined: this runs for every node)
                for parent in parents:
                    if _weakref_count(parent):
                        kept.append(parent)
                node.saved, node.inputs = None, ()
        for leaf, leaf_grad in summed_leaves.values() if summed_leaves else ():
            if id(leaf) in _TENSOR_HOOKS:
                leaf_grad = _run_tensor_hooks(leaf, leaf_grad)
            if captured is not None:
                captured[id(leaf)] = leaf_grad
                continue
            _store_leaf_grad(leaf, leaf_grad, handed_to_leaves, True)
            if id(leaf) in _POST_ACCUMULATE_HOOKS:
                _run_post_accumulate_hooks(leaf)
        if captured is None:
            return None
        return [captured.get(id(t)) for t in inputs]
    finally:
        if profile is not None:
            profile.exit_backward()


def _observed_backward(node, g, profile, check_nan: bool) -> tuple:
    """node's backward, timed for `profile` (unless None) and checked for NaN when `check_nan` (anomaly mode)."""
    op = node.op
    if profile is None:
        input_grads = op.backward(node, node.backend, g)
    else:
        start = profile.start_op()
        try:
            input_grads = op.backward(node, node.backend, g)
        finally:
            profile.end_op(op.__name__, node.backend.name, True, start)
    if check_nan:
        check_backward_step(op, input_grads)
    return input_grads


def _sum_for_leaf(summed_leaves: dict, leaf, grad) -> None:
    entry = summed_leaves.get(id(leaf))
    if entry is None:
        summed_leaves[id(leaf)] = [leaf, grad]
    else:
        entry[1] = _accumulate(entry[1], grad)


def _store_leaf_grad(leaf, grad, handed_to_leaves: set[int], must_copy: bool, op=None) -> None:
    """Accumulate into leaf.grad (as PyTorch does across backward calls). A leaf's .grad owns its
    memory: an array that the graph (retain_graph), the caller or another leaf may still hold is
    copied, so that `x.grad.zero_()` never changes anything else. `op`: the op whose backward gave the
    gradient (its grads_may_alias is read only for a first gradient, which alone is stored as it is)."""
    # The gradient was validated against the leaf (_validated), so it is stored without the .grad
    # setter's checks, which are there for user assignments.
    current = leaf._grad
    if isinstance(grad, SparseRowGrad):
        total = grad if current is None else _accumulate(current if current.is_sparse else current._data, grad)
        leaf._grad = total if isinstance(total, SparseRowGrad) else Tensor._from_data(total)
        return
    # (its dtype is the leaf's: the walk validated it, and hooks must keep it)
    if current is None:
        # The same array may reach several leaves (a + b hands g to both), or be a view of another
        # gradient: copy it then too.
        if (must_copy or (op is not None and op.grads_may_alias) or id(grad) in handed_to_leaves
                or grad.base is not None):
            grad = grad.copy()
        handed_to_leaves.add(id(grad))
        leaf._grad = Tensor._wrap(grad, False, None)
    elif isinstance(current, SparseRowGrad):
        leaf._grad = Tensor._from_data(current + grad)
    else:  # a new array: the old one may be an array the walk still hands to other inputs
        total = current._data + grad
        current._data = total if type(total) is _ndarray else np.asarray(total)  # (_as_array inline: every step)
