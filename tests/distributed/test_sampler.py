"""DistributedSampler: PyTorch's arithmetic (lengths, padding, strided shares), reshuffled by epoch."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastgrad.distributed as dist


@settings(max_examples=15, deadline=None)
@given(size=st.integers(1, 40), replicas=st.integers(1, 5), drop_last=st.booleans(), epoch=st.integers(0, 3))
def test_shares_partition_the_epoch_order(size, replicas, drop_last, epoch):
    samplers = [dist.DistributedSampler(range(size), replicas, r, shuffle=True, seed=7, drop_last=drop_last)
                for r in range(replicas)]
    for s in samplers:
        s.set_epoch(epoch)
    shares = [s.indices() for s in samplers]
    assert all(len(share) == len(s) for share, s in zip(shares, samplers))
    merged = np.stack(shares, axis=1).reshape(-1) if shares[0].size else np.zeros(0, np.int64)
    order = np.random.default_rng(7 + epoch).permutation(size)
    expected = order[:merged.size] if drop_last else np.resize(order, merged.size)
    # the ranks' i-th indices, in rank order, are the epoch order: a global batch of B is the first B/N of each
    np.testing.assert_array_equal(merged, expected)
    if not drop_last:
        assert set(merged.tolist()) == set(range(size))


def test_epochs_reshuffle_and_the_same_seed_repeats():
    a = dist.DistributedSampler(range(20), 2, 0, seed=1)
    b = dist.DistributedSampler(range(20), 2, 0, seed=1)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first and list(b) == first


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        dist.DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be an integer >= 1, got 0"):
        dist.DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(ValueError, match="epoch must be an integer >= 0, got -1"):
        dist.DistributedSampler(range(4), 1, 0).set_epoch(-1)
    with pytest.raises(TypeError, match="seed must be an int, got float 1.5"):  # int() would make it 1
        dist.DistributedSampler(range(4), 1, 0, seed=1.5)
    assert sorted(dist.DistributedSampler(range(4), 1, 0, seed=-1)) == [0, 1, 2, 3]  # negative seeds are valid


def test_defaults_come_from_the_process_group(world_of_one):
    sampler = dist.DistributedSampler(range(5), shuffle=False)
    assert (sampler.num_replicas, sampler.rank, list(sampler)) == (1, 0, [0, 1, 2, 3, 4])


@pytest.mark.parametrize("size,replicas,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False), (2, 4, False),
                                                     (7, 2, True)])
def test_parity_with_pytorch_without_shuffle(size, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = dist.DistributedSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_parity_with_pytorch_lengths_with_shuffle():
    torch_data = pytest.importorskip("torch.utils.data")
    for size, replicas in [(10, 3), (11, 4), (3, 5)]:
        for drop_last in (False, True):
            ours = dist.DistributedSampler(range(size), replicas, 0, drop_last=drop_last)
            theirs = torch_data.DistributedSampler(range(size), replicas, 0, drop_last=drop_last)
            assert len(ours) == len(theirs) and ours.total_size == theirs.total_size
