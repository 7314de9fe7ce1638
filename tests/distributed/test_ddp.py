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
        # coalesced before sending: 3 distinct rows, not 4 lookups; never a dense (10, 4) exchange
        assert ("count", 3) in pair.log and ("allgather", (3, 4)) in pair.log
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
    assert [kind for kind, _ in pair.log] == ["allreduce", "count", "allgather", "allgather"]


@pytest.mark.parametrize("sparse", [False, True])
def test_each_bucket_is_exchanged_before_the_next_starts(pair, sparse):
    """MPICH moves a collective started behind another in flight much more slowly, so buckets go one at a time
    (once all were started as soon as ready); the sparse bucket's two allgathers are one exchange."""
    fastgrad.manual_seed(0)
    wrapped = dist.DistributedDataParallel(TwoLayers(sparse=sparse), bucket_cap_mb=1e-6)
    assert len(wrapped._buckets) >= 3
    pair.log.clear()
    loss_of(wrapped).backward()
    assert len(pair.log) >= 3
    # (the sparse bucket's values start behind its rows: one exchange)
    assert pair.started_behind == ([("allgather", (3, 4))] if sparse else [])
    assert pair.in_flight == []


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
