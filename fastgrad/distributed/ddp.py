"""DistributedDataParallel: every rank runs the same model on its share of the batch; the backward
averages the gradients across ranks, so each rank's optimizer takes the same step as one process on
the whole batch would (the sum of per-rank mean losses over N ranks of B/N samples is N times the mean
over B).

Dense gradients travel in flat buckets of about `bucket_cap_mb` MB: parameters are grouped in reverse
registration order (roughly the order the backward finishes them) and a bucket's allreduce starts from
the post-accumulate-grad hook of its last parameter, while the backward goes on. Buckets start in
index order on every rank, since MPI needs the same collectives in the same order everywhere, and one at
a time: a bucket's exchange is completed before the next one starts (below, `_gradient_ready`).
Row-sparse gradients (`Embedding(sparse=True)`, sparse `EmbeddingBag`) are coalesced and exchanged as
(row, values) records in one allgather, never densified: a (V, d) table costs bytes in proportion to the rows
the batch touched.
"""
from __future__ import annotations

import contextlib
import weakref
from typing import Any, Iterator

import numpy as np

from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.distributed.collectives import broadcast_parameters
from fastgrad.distributed.comm import group
from fastgrad.nn.modules.module import Module
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Tensor


class _DenseBucket:
    """Parameters whose gradients are reduced together through one flat buffer."""

    def __init__(self, params: list, dtype: np.dtype):
        self.params = params
        sizes = [p._data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.buffer = np.empty(int(self.offsets[-1]), dtype=dtype)
        self.requests: list = []

    def pack(self) -> None:
        """The local work before the exchange: the gradients copied into the flat buffer."""
        for param, start, stop in zip(self.params, self.offsets[:-1], self.offsets[1:]):
            if isinstance(param.grad, SparseRowGrad):
                raise RuntimeError(f"DistributedDataParallel: a parameter of shape {tuple(param.shape)} got a sparse "
                                   "gradient but is not the weight of a module with sparse=True (Embedding, "
                                   "EmbeddingBag), so it was put in a dense bucket")
            self.buffer[start:stop] = param.grad._data.reshape(-1)

    def start(self, process_group) -> None:
        self.requests = [process_group.start_allreduce(self.buffer)]

    def finish(self, process_group) -> None:
        process_group.wait(self.requests, f"gradient allreduce of a {self.buffer.nbytes}-byte bucket")
        scale = self.buffer.dtype.type(1.0 / process_group.size)
        for param, start, stop in zip(self.params, self.offsets[:-1], self.offsets[1:]):
            np.multiply(self.buffer[start:stop].reshape(param.grad._data.shape), scale, out=param.grad._data)


class _SparseBucket:
    """One parameter with a row-sparse gradient, exchanged as every rank's (row, values) records in one
    allgather."""

    def __init__(self, param):
        self.params = [param]
        self.packed: np.ndarray | None = None  # this rank's records, as bytes
        self.requests: list = []
        self.gathered: np.ndarray | None = None  # every rank's records, once the exchange completes

    def pack(self) -> None:
        """The local work before the exchange: repeated rows summed, then each row's id and values side by side."""
        grad = self.params[0].grad
        if not isinstance(grad, SparseRowGrad):
            raise RuntimeError(f"DistributedDataParallel: the parameter of shape {tuple(self.params[0].shape)} "
                               "belongs to a sparse module but got a dense gradient")
        grad = grad.coalesce()
        self.packed = pack_rows(grad.rows, grad.values, grad.shape[1:])

    def start(self, process_group) -> None:
        # The record counts must be known before the records can be gathered: a short blocking exchange.
        row_counts = process_group.allgather_count(self.packed.shape[0])
        self.requests, self.gathered = process_group.start_allgather_rows(self.packed, row_counts)

    def finish(self, process_group) -> None:
        param = self.params[0]
        gathered = process_group.finish_allgather_rows(self.requests, self.gathered)
        rows, values = unpack_rows(gathered, param.dtype, param.shape[1:], 1.0 / process_group.size)
        param.grad = SparseRowGrad(rows, values, param.shape)
        self.packed, self.requests, self.gathered = None, [], None


def _row_record(dtype: np.dtype, row_shape: tuple) -> np.dtype:
    """A row id (int64) followed by its values, unpadded."""
    return np.dtype([("row", np.int64), ("values", dtype, tuple(row_shape))])


def pack_rows(rows: np.ndarray, values: np.ndarray, row_shape: tuple) -> np.ndarray:
    """(rows, values) as one (len(rows), record bytes) uint8 array: one message carries both."""
    records = np.empty(rows.size, dtype=_row_record(values.dtype, row_shape))
    records["row"] = rows
    records["values"] = values
    return records.view(np.uint8).reshape(rows.size, records.dtype.itemsize)


def unpack_rows(packed: np.ndarray, dtype: np.dtype, row_shape: tuple, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The rows and the values times `scale` of records made by pack_rows (any number of them, concatenated)."""
    records = np.ascontiguousarray(packed).reshape(-1).view(_row_record(dtype, row_shape))
    values = np.empty((records.size, *row_shape), dtype=dtype)
    np.multiply(records["values"], values.dtype.type(scale), out=values)  # the copy out of the records scales
    return records["row"].copy(), values


# Gradients per bucket: PyTorch's default is 25 MB; smaller buckets start exchanging earlier in the backward,
# which on one machine's shared memory costs little per bucket (docs/distributed.md).
DEFAULT_BUCKET_MB = 4.0


def _check_cpu_only(device_ids, output_device, process_group, mixed_precision, device_mesh) -> None:
    """Refuse PyTorch's arguments that fastgrad cannot honour (devices, subgroups, mixed precision)."""
    if device_ids:
        raise ValueError(f"DistributedDataParallel: device_ids must be None for a CPU module (fastgrad runs on the "
                         f"CPU only), got {device_ids!r}")
    if output_device is not None and str(output_device) != "cpu":
        raise ValueError(f"DistributedDataParallel: output_device must be None or 'cpu', got {output_device!r}")
    if process_group is not None and process_group is not group():
        raise NotImplementedError("DistributedDataParallel: process_group must be None (the whole world); fastgrad "
                                  "has no subgroups")
    for name, value in (("mixed_precision", mixed_precision), ("device_mesh", device_mesh)):
        if value is not None:
            raise NotImplementedError(f"DistributedDataParallel: {name} is not supported, got {value!r}")


class DistributedDataParallel(Module):
    """Wrap `module` so that backward averages its gradients over all ranks (PyTorch's name and use).

    Construction copies rank 0's parameters and buffers to every rank, and with `broadcast_buffers`
    (the default, as PyTorch's) each training forward copies rank 0's buffers again, so replicas never
    drift apart. A forward under `no_grad()` exchanges nothing. As in PyTorch, whether a backward
    averages is decided by its forward: a forward inside `no_sync()` gives a backward that only
    accumulates locally; the first synchronised backward after it averages the accumulated sums.
    Every parameter must receive a gradient in every synchronised backward, unless
    `find_unused_parameters=True`, which walks the graph after each forward (with grad mode on) and
    lets the parameters it does not reach contribute zeros; a parameter that no rank used keeps a
    .grad of None, as in PyTorch. In a world of one process the wrapper only calls `module`.

    PyTorch's arguments: `init_sync=False` skips the first copy; `dim`, `check_reduction`,
    `gradient_as_bucket_view` and `static_graph` tune how PyTorch lays out its work and change no
    result, so they are accepted and change nothing here; devices, subgroups and mixed precision are
    refused. `bucket_cap_mb` defaults to 4 (PyTorch: 25).
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False, static_graph: bool = False, *,
                 mixed_precision=None, device_mesh=None):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a fastgrad.nn.Module, got "
                            f"{type(module).__name__}")
        _check_cpu_only(device_ids, output_device, process_group, mixed_precision, device_mesh)
        bucket_cap_mb = DEFAULT_BUCKET_MB if bucket_cap_mb is None else bucket_cap_mb
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) or not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        self.module = module
        self.find_unused_parameters = find_unused_parameters
        self.broadcast_buffers = broadcast_buffers
        self._group = group()
        self._sync = True  # inside no_sync() or not
        self._backward_syncs = True  # what the last forward decided for its backward
        if init_sync:
            broadcast_parameters(module)
        self._buckets: list = []
        self._bucket_of: dict[int, int] = {}
        self._parameter_names = {id(p): name for name, p in module.named_parameters()}
        if self._group.size > 1:
            self._build_buckets(float(bucket_cap_mb) * 2**20)
            # The hook registry outlives this wrapper; a weak reference lets the wrapper (and the
            # model) be freed, after which the hooks do nothing.
            gradient_ready = weakref.WeakMethod(self._gradient_ready)

            def hook(param) -> None:
                method = gradient_ready()
                if method is not None:
                    method(param)

            for param in module.parameters():
                if param.requires_grad:
                    param.register_post_accumulate_grad_hook(hook)
        self._reset_reduction()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self._missing:  # checked on every forward: a partial reduction means ranks already disagree
            self._raise_unfinished_reduction()
        # Under no_grad (an evaluation, perhaps on rank 0 alone) nothing is exchanged: no backward follows.
        if not GRAD_MODE.enabled:
            return self.module(*args, **kwargs)
        if self.broadcast_buffers and self._group.size > 1:
            for buffer in self.module.buffers():
                broadcast_parameters([buffer])
        output = self.module(*args, **kwargs)
        self._backward_syncs = self._sync
        if self.find_unused_parameters and self._sync and self._group.size > 1:
            reached = _leaves_reached_from(output)
            for param in self.module.parameters():
                if param.requires_grad and id(param) not in reached:
                    self._locally_unused.add(id(param))
                    if param.grad is None:
                        param.grad = Tensor._from_data(np.zeros_like(param._data))
                        self._zero_filled.add(id(param))
                    self._gradient_ready(param)
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """The backward of a forward run inside accumulates gradients locally, without communicating."""
        previous, self._sync = self._sync, False
        try:
            yield
        finally:
            self._sync = previous

    # -- buckets --------------------------------------------------------------------------------
    def _build_buckets(self, cap_bytes: float) -> None:
        sparse_weights = {id(m.weight) for m in self.module.modules() if getattr(m, "sparse", False) is True}
        dense: list = []

        def close_dense_bucket() -> None:
            if dense:
                self._add_bucket(_DenseBucket(dense.copy(), dense[0].dtype))
                dense.clear()

        for param in reversed([p for p in self.module.parameters() if p.requires_grad]):
            if id(param) in sparse_weights:
                close_dense_bucket()  # the dense parameters before it come first: their gradients are ready first
                self._add_bucket(_SparseBucket(param))
            else:
                if dense and (dense[0].dtype != param.dtype or sum(p._data.nbytes for p in dense) >= cap_bytes):
                    close_dense_bucket()
                dense.append(param)
        close_dense_bucket()

    def _add_bucket(self, bucket) -> None:
        for param in bucket.params:
            self._bucket_of[id(param)] = len(self._buckets)
        self._buckets.append(bucket)

    # -- one reduction per synchronised backward ------------------------------------------------
    def _reset_reduction(self) -> None:
        self._missing = 0  # parameters of this backward not ready yet (0: no reduction under way)
        self._waiting_in_bucket = [len(b.params) for b in self._buckets]
        self._ready = set()
        self._next_to_start = 0
        self._next_to_finish = 0
        self._locally_unused: set[int] = set()  # parameters the forward did not reach (find_unused_parameters)
        self._zero_filled: set[int] = set()  # ... of them, those whose .grad the forward created as zeros

    def _gradient_ready(self, param) -> None:
        """A parameter's gradient is final for this backward (the graph's post-accumulate hook)."""
        if not self._backward_syncs:
            return
        if not self._missing:
            self._missing = len(self._bucket_of)
        if id(param) in self._ready:
            raise RuntimeError(f"DistributedDataParallel: parameter {self._name(param)} got its gradient twice before "
                               "the reduction finished (a second backward through the same forward?)")
        self._ready.add(id(param))
        self._missing -= 1
        self._waiting_in_bucket[self._bucket_of[id(param)]] -= 1
        while self._next_to_start < len(self._buckets) and self._waiting_in_bucket[self._next_to_start] == 0:
            # One exchange at a time: MPICH 5 moves a collective started while another is in flight much more
            # slowly (an allgatherv started behind a 725 KB allreduce took 580-640 us, 124 us after it), so the
            # previous bucket is completed first; its exchange has overlapped the backward since it started, and
            # goes on while this bucket does its local work (packing).
            bucket = self._buckets[self._next_to_start]
            bucket.pack()
            self._finish_started_buckets()
            bucket.start(self._group)
            self._next_to_start += 1
        if self._missing == 0:  # the last gradient of this backward: collect the last bucket
            self._finish_started_buckets()
            if self.find_unused_parameters:
                self._forget_globally_unused()
            self._reset_reduction()
        elif self._next_to_finish < self._next_to_start:
            self._group.progress(self._buckets[self._next_to_finish].requests)

    def _finish_started_buckets(self) -> None:
        while self._next_to_finish < self._next_to_start:
            self._buckets[self._next_to_finish].finish(self._group)
            self._next_to_finish += 1

    def _forget_globally_unused(self) -> None:
        """Parameters that no rank's forward reached get back the .grad of None they had (PyTorch leaves them
        untouched), so that an optimizer's weight decay does not move them. Which ones: one small
        allreduce of every rank's use of each parameter."""
        params = [p for p in self.module.parameters() if id(p) in self._bucket_of]
        used = np.array([id(p) not in self._locally_unused for p in params], dtype=np.int32)
        self._group.allreduce_(used)
        for param, uses in zip(params, used):
            if uses == 0 and id(param) in self._zero_filled:
                param.grad = None

    def _raise_unfinished_reduction(self) -> None:
        missing = [name for param_id, name in self._parameter_names.items()
                   if param_id in self._bucket_of and param_id not in self._ready]
        raise RuntimeError(
            "DistributedDataParallel: the previous backward did not produce gradients for parameter(s) "
            f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}, so their gradients were not averaged "
            "across ranks; make every parameter take part in the loss, or pass find_unused_parameters=True")

    def _name(self, param) -> str:
        return self._parameter_names.get(id(param), f"of shape {tuple(param.shape)}")


def _leaves_reached_from(output: Any) -> set[int]:
    """ids of the leaf tensors that the graphs behind `output` (a Tensor or nested tuples, lists, dicts
    of them) lead to."""
    stack = list(_tensors_in(output))
    seen: set[int] = set()
    leaves: set[int] = set()
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if tensor._node is None:
            leaves.add(id(tensor))
        else:
            stack.extend(tensor._node.inputs)
    return leaves


def _tensors_in(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item)
