"""DistributedDataParallel's bookkeeping, driven by a stand-in for a 2-rank group whose other rank has the
same gradients (so the averages equal this rank's): which buckets start when, sparse gradients as
(rows, values), no_sync, unused parameters. Real 2-process runs are in test_mpi.py."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributed as dist
import fastgrad.nn.functional as F
from fastgrad import nn
from fastgrad.distributed import ddp as ddp_module
from fastgrad.distributed.process_group import ProcessGroup
from fastgrad.sparse import SparseRowGrad


class MirroredPair(ProcessGroup):
    """Rank 0 of two, where rank 1 always holds the same values; records what was communicated."""

    def __init__(self):
        super().__init__(0, 2, timeout=1.0)
        self.log = []
        self.in_flight = []  # requests started and not waited for
        self.started_behind = []  # what started while another exchange was in flight

    def _started(self, what):
        if self.in_flight:
            self.started_behind.append(what)
        self.log.append(what)
        request = object()
        self.in_flight.append(request)
        return request

    def start_allreduce(self, array, op=dist.ReduceOp.SUM):
        array *= 2
        return self._started(("allreduce", array.size))

    def allgather_count(self, count):
        self.wait([self._started(("count", count))], "count")
        return np.array([count, count], dtype=np.int64)

    def start_allgather_rows(self, rows, row_counts):
        return [self._started(("allgather", rows.shape))], np.concatenate([rows, rows])

    def wait(self, requests, what):
        self.in_flight = [r for r in self.in_flight if r not in requests]

    def progress(self, requests):
        return True

    def broadcast_(self, array, src):
        self.log.append(("broadcast", array.size))
        return array


@pytest.fixture
def pair(monkeypatch):
    group = MirroredPair()
    monkeypatch.setattr(ddp_module, "group", lambda: group)
    monkeypatch.setattr(dist.comm, "group", lambda: group)
    return group


class TwoLayers(nn.Module):
    def __init__(self, sparse=False):
        super().__init__()
        self.embedding = nn.Embedding(10, 4, sparse=sparse)
        self.first = nn.Linear(4, 4)
        self.second = nn.Linear(4, 2)

    def forward(self, ids):
        return self.second(F.relu(self.first(self.embedding(ids))))


def loss_of(model, ids=(1, 2, 2, 7)):
    return model(fastgrad.tensor(list(ids))).pow(2).mean()


def reference_grads(sparse):
    fastgrad.manual_seed(0)
    model = TwoLayers(sparse)
    loss_of(model).backward()
    return {n: (p.grad.to_dense_array() if p.grad.is_sparse else p.grad.numpy()) for n, p in model.named_parameters()}


@pytest.mark.parametrize("sparse", [False, True])
def test_averaged_gradients_equal_the_local_ones_when_ranks_agree(pair, sparse):
    fastgrad.manual_seed(0)
    model = TwoLayers(sparse)
    wrapped = dist.DistributedDataParallel(model, bucket_cap_mb=1e-6)  # one parameter per bucket
    loss_of(wrapped).backward()
    for name, param in model.named_parameters():
        grad = param.grad.to_dense_array() if param.grad.is_sparse else param.grad.numpy()
        np.testing.assert_allclose(grad, reference_grads(sparse)[name], rtol=1e-6, err_msg=name)
    if sparse:
        assert model.embedding.weight.grad.is_sparse
        # coalesced before sending: 3 distinct rows, not 4 lookups, each an int64 id and 4 float32 values in one
        # record; never a dense (10, 4) exchange
        assert ("count", 3) in pair.log and ("allgather", (3, 8 + 4 * 4)) in pair.log
        assert ("allreduce", 40) not in pair.log


def test_buckets_start_in_order_while_the_backward_runs(pair, monkeypatch):
    fastgrad.manual_seed(0)
    model = TwoLayers()
    wrapped = dist.DistributedDataParallel(model, bucket_cap_mb=1e-6)
    started = []
    original = ddp_module._DenseBucket.start

    def start(bucket, group):
        started.append((tuple(id(p) for p in bucket.params), model.embedding.weight.grad is None))
        original(bucket, group)

    monkeypatch.setattr(ddp_module._DenseBucket, "start", start)
    loss_of(wrapped).backward()
    order = [ids for ids, _ in started]
    assert order == [tuple(id(p) for p in b.params) for b in wrapped._buckets]
    # the output layer's bucket went out before the embedding's gradient existed: overlap with backward
    assert started[0][1] is True
    assert [id(p) for p in wrapped._buckets[0].params] == [id(model.second.bias)]


def test_a_sparse_bucket_keeps_its_place_in_the_order(pair, monkeypatch):
    """The embedding is registered first, so its gradient is ready last: the dense parameters collected before
    it in reverse registration order form the first bucket and go out before the embedding's gradient exists
    (once, a sparse bucket went first and held them back until the end of the backward)."""
    fastgrad.manual_seed(0)
    model = TwoLayers(sparse=True)
    wrapped = dist.DistributedDataParallel(model)  # all dense parameters fit one bucket
    pair.log.clear()  # (construction broadcast rank 0's parameters)
    assert [type(b) for b in wrapped._buckets] == [ddp_module._DenseBucket, ddp_module._SparseBucket]
    assert len(wrapped._buckets[0].params) == 4
    embedding_grad_at_start = []
    original = ddp_module._DenseBucket.start

    def start(bucket, group):
        embedding_grad_at_start.append(model.embedding.weight.grad is None)
        original(bucket, group)

    monkeypatch.setattr(ddp_module._DenseBucket, "start", start)
    loss_of(wrapped).backward()
    assert embedding_grad_at_start == [True]
    assert [kind for kind, _ in pair.log] == ["allreduce", "count", "allgather"]  # rows and values in one allgather


@pytest.mark.parametrize("sparse", [False, True])
def test_each_bucket_is_exchanged_before_the_next_starts(pair, sparse):
    """MPICH moves a collective started behind another in flight much more slowly, so buckets go one at a time
    (once all were started as soon as ready)."""
    fastgrad.manual_seed(0)
    wrapped = dist.DistributedDataParallel(TwoLayers(sparse=sparse), bucket_cap_mb=1e-6)
    assert len(wrapped._buckets) >= 3
    pair.log.clear()
    loss_of(wrapped).backward()
    assert len(pair.log) >= 3
    assert pair.started_behind == []
    assert pair.in_flight == []


def test_the_sparse_gradient_is_coalesced_while_the_previous_exchange_is_in_flight(pair, monkeypatch):
    """A bucket's local work comes before the wait for the previous bucket's collective, so that the two overlap."""
    fastgrad.manual_seed(0)
    wrapped = dist.DistributedDataParallel(TwoLayers(sparse=True))  # the dense bucket, then the sparse one
    in_flight_at_coalesce = []
    original = SparseRowGrad.coalesce

    def coalesce(grad):
        in_flight_at_coalesce.append((len(pair.in_flight), pair.log[-1]))
        return original(grad)

    monkeypatch.setattr(SparseRowGrad, "coalesce", coalesce)
    pair.log.clear()
    loss_of(wrapped).backward()
    assert in_flight_at_coalesce == [(1, ("allreduce", 4 * 4 + 4 + 4 * 2 + 2))]  # the dense layers' bucket
    assert pair.in_flight == []


class Concatenating(ProcessGroup):
    """Rank 0 of a world whose other ranks sent `others` (their packed records): an allgather concatenates."""

    def __init__(self, others):
        super().__init__(0, 1 + len(others), timeout=1.0)
        self.others = others

    def allgather_count(self, count):
        return np.array([count] + [other.shape[0] for other in self.others], dtype=np.int64)

    def start_allgather_rows(self, rows, row_counts):
        assert list(row_counts) == [rows.shape[0]] + [other.shape[0] for other in self.others]
        return [], np.concatenate([rows, *self.others])

    def wait(self, requests, what):
        pass


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rank_rows", [([5, 2, 5, 0], [2, 9, 2]), ([5, 2, 5, 0], []), ([], [7, 7]), ([], []),
                                       ([3], [3], [1, 3])])
def test_one_packed_allgather_carries_every_ranks_rows_and_values_exactly(rng, dtype, rank_rows):
    """Each rank's coalesced rows and values, packed as records and gathered in one message, come back exactly:
    rows repeated within a rank are summed before sending, rows shared between ranks arrive once per rank
    (the optimizer sums them), a rank may send none, and the values are divided by the world size."""
    buckets = []
    for rows in rank_rows:
        weight = fastgrad.zeros(10, 3, dtype=fastgrad.float32 if dtype == np.float32 else fastgrad.float64)
        weight.grad = SparseRowGrad(np.array(rows, dtype=np.int64), rng.standard_normal((len(rows), 3)).astype(dtype),
                                    (10, 3))
        buckets.append(ddp_module._SparseBucket(weight))
    coalesced = [bucket.params[0].grad.coalesce() for bucket in buckets]
    for bucket in buckets:
        bucket.pack()
    group = Concatenating([bucket.packed for bucket in buckets[1:]])
    buckets[0].start(group)
    buckets[0].finish(group)
    grad = buckets[0].params[0].grad
    np.testing.assert_array_equal(grad.rows, np.concatenate([c.rows for c in coalesced]))
    assert grad.rows.dtype == np.int64 and grad.values.dtype == dtype and grad.values.shape == (grad.rows.size, 3)
    assert grad.values.flags.c_contiguous and grad.shape == (10, 3)
    expected = np.concatenate([c.values for c in coalesced]) * dtype(1 / len(rank_rows))
    np.testing.assert_array_equal(grad.values, expected)


def test_no_sync_accumulates_locally_and_the_next_backward_averages_the_sum(pair):
    fastgrad.manual_seed(0)
    model = TwoLayers()
    wrapped = dist.DistributedDataParallel(model)
    pair.log.clear()  # (construction broadcast rank 0's parameters)
    with wrapped.no_sync():
        loss_of(wrapped).backward()
    assert pair.log == []
    loss_of(wrapped).backward()
    assert [kind for kind, _ in pair.log] == ["allreduce"] * len(wrapped._buckets)
    np.testing.assert_allclose(model.first.weight.grad.numpy(), 2 * reference_grads(False)["first.weight"], rtol=1e-6)


def test_an_unused_parameter_is_an_error_at_the_next_forward_unless_declared(pair):
    class WithSpare(TwoLayers):
        def __init__(self):
            super().__init__()
            self.spare = nn.Linear(4, 4)

    fastgrad.manual_seed(0)
    wrapped = dist.DistributedDataParallel(WithSpare())
    loss_of(wrapped).backward()
    with pytest.raises(RuntimeError, match=r"did not produce gradients for parameter\(s\) spare.weight, spare.bias"):
        wrapped(fastgrad.tensor([1]))
    fastgrad.manual_seed(0)
    model = WithSpare()
    wrapped = dist.DistributedDataParallel(model, find_unused_parameters=True)
    loss_of(wrapped).backward()
    loss_of(wrapped).backward()
    assert model.spare.weight.grad is None  # no rank used it (both ranks are alike here): as PyTorch, no gradient
    np.testing.assert_allclose(model.first.weight.grad.numpy(), 2 * reference_grads(False)["first.weight"], rtol=1e-6)


def test_a_forward_under_no_grad_exchanges_nothing_and_leaves_gradients_alone(pair):
    """An evaluation (perhaps on rank 0 only) must not start a reduction that the other rank never joins."""
    model = TwoLayers()
    model.register_buffer("counter", fastgrad.zeros(1))
    wrapped = dist.DistributedDataParallel(model, find_unused_parameters=True)
    pair.log.clear()
    with fastgrad.no_grad():
        wrapped(fastgrad.tensor([1, 2]))
    assert pair.log == [] and all(p.grad is None for p in model.parameters())
    wrapped(fastgrad.tensor([1, 2]))
    assert pair.log[0] == ("broadcast", 1)  # a training forward copies rank 0's buffers first


def test_no_sync_is_decided_by_the_forward_as_in_pytorch(pair):
    model = TwoLayers()
    wrapped = dist.DistributedDataParallel(model)
    pair.log.clear()
    with wrapped.no_sync():
        loss = loss_of(wrapped)
    loss.backward()  # the forward ran inside no_sync: local
    assert pair.log == []
    model.zero_grad()
    loss = loss_of(wrapped)
    with wrapped.no_sync():
        loss.backward()  # the forward ran outside: averaged
    assert [kind for kind, _ in pair.log] == ["allreduce"] * len(wrapped._buckets)


def test_world_of_one_only_calls_the_module(world_of_one):
    fastgrad.manual_seed(0)
    model = TwoLayers()
    wrapped = dist.DistributedDataParallel(model)
    assert wrapped._buckets == []
    loss_of(wrapped).backward()
    np.testing.assert_allclose(model.first.weight.grad.numpy(), reference_grads(False)["first.weight"], rtol=1e-6)
    assert list(wrapped.state_dict())[0].startswith("module.")  # PyTorch's keys


def test_bad_arguments_are_named(world_of_one):
    with pytest.raises(TypeError, match="module must be a fastgrad.nn.Module, got function"):
        dist.DistributedDataParallel(lambda x: x)
    with pytest.raises(ValueError, match="bucket_cap_mb must be a positive number, got 0"):
        dist.DistributedDataParallel(nn.Linear(2, 2), bucket_cap_mb=0)
    with pytest.raises(ValueError, match=r"device_ids must be None for a CPU module.*got \[0\]"):
        dist.DistributedDataParallel(nn.Linear(2, 2), device_ids=[0])
    with pytest.raises(ValueError, match="output_device must be None or 'cpu', got 'cuda:0'"):
        dist.DistributedDataParallel(nn.Linear(2, 2), output_device="cuda:0")
    with pytest.raises(NotImplementedError, match="process_group must be None"):
        dist.DistributedDataParallel(nn.Linear(2, 2), process_group=object())
    with pytest.raises(NotImplementedError, match="mixed_precision is not supported"):
        dist.DistributedDataParallel(nn.Linear(2, 2), mixed_precision="bf16")


def test_pytorchs_arguments_are_accepted_and_in_torchs_order(world_of_one):
    """PyTorch's positional order (module, device_ids, output_device, dim, broadcast_buffers, ...), the
    nn.parallel import path."""
    model = nn.Linear(2, 2)
    wrapped = fastgrad.nn.parallel.DistributedDataParallel(model, None, None, 0, False, init_sync=False,
                                                           process_group=world_of_one, bucket_cap_mb=25,
                                                           check_reduction=False, gradient_as_bucket_view=True,
                                                           static_graph=True)
    assert wrapped.module is model and wrapped.broadcast_buffers is False
    assert fastgrad.nn.parallel.DistributedDataParallel is dist.DistributedDataParallel


def test_a_dropped_wrapper_frees_the_model(pair):
    import gc
    import weakref

    model = TwoLayers()
    wrapped = dist.DistributedDataParallel(model)
    model_ref, wrapper_ref = weakref.ref(model), weakref.ref(wrapped)
    del model, wrapped
    gc.collect()
    assert model_ref() is None and wrapper_ref() is None
