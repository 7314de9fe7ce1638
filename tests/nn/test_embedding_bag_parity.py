"""F.embedding_bag and nn.EmbeddingBag against PyTorch: every mode with every option PyTorch allows for it
(per_sample_weights, padding_idx, include_last_offset, max_norm, scale_grad_by_freq, sparse), 1-D input with
offsets (empty bags included) and 2-D input, float32 and float64; values and the gradients of the weight and
of per_sample_weights."""
import itertools

import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn

torch = pytest.importorskip("torch")

NUM_ROWS, DIM = 7, 3
FLAT_IDS = np.array([4, 1, 1, 0, 6, 6, 2, 4, 5])
OFFSETS = np.array([0, 3, 3, 5, 9])  # bags 1 and 4 are empty
TOLERANCE = {np.float32: dict(rtol=2e-6, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


def combinations():
    """(mode, per_sample_weights, padding_idx, include_last_offset, layout) as PyTorch allows them."""
    for mode, weighted, padding_idx, last, layout in itertools.product(
            ["mean", "sum", "max"], [False, True], [None, 1, -1], [False, True], ["flat", "grid"]):
        if (weighted and mode != "sum") or (last and layout == "grid"):
            continue
        yield mode, weighted, padding_idx, last, layout


def run(lib, dtype, mode, weighted, padding_idx, last, layout, upstream, flat_ids=FLAT_IDS, **options):
    """Output, weight gradient, per_sample_weights gradient (None when unweighted) and the weight afterwards
    as NumPy arrays; bags of flat_ids cut at OFFSETS, or the first 8 ids as 2 bags of 4."""
    engine, functional = (fastgrad, F) if lib == "fastgrad" else (torch, torch.nn.functional)
    rng = np.random.default_rng(0)
    weight = engine.tensor(rng.normal(0, 1, (NUM_ROWS, DIM)).astype(dtype), requires_grad=True)
    ids = flat_ids if layout == "flat" else flat_ids[:8].reshape(2, 4)
    offsets = None
    if layout == "flat":
        offsets = engine.tensor(np.append(OFFSETS, flat_ids.size) if last else OFFSETS)
    samples = engine.tensor(rng.normal(0, 1, ids.shape).astype(dtype), requires_grad=True) if weighted else None
    out = functional.embedding_bag(engine.tensor(ids), weight, offsets, mode=mode, per_sample_weights=samples,
                                   include_last_offset=last, padding_idx=padding_idx, **options)
    (out * engine.tensor(upstream[:out.shape[0]].astype(dtype))).sum().backward()
    grad = weight.grad.to_dense() if weight.grad.is_sparse else weight.grad
    return (out.detach().numpy(), np.asarray(grad.numpy()), None if samples is None else samples.grad.numpy(),
            weight.detach().numpy())


def assert_same(ours, theirs, dtype):
    assert ours[0].dtype == theirs[0].dtype
    for a, b in zip(ours, theirs):
        if b is None:
            assert a is None
        else:
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, **TOLERANCE[dtype])


UPSTREAM = np.random.default_rng(1).normal(0, 1, (6, DIM))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode, weighted, padding_idx, last, layout", list(combinations()))
def test_every_mode_and_option_matches(dtype, mode, weighted, padding_idx, last, layout):
    arguments = (dtype, mode, weighted, padding_idx, last, layout, UPSTREAM)
    assert_same(run("fastgrad", *arguments), run("torch", *arguments), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode, weighted, padding_idx, last, layout",
                         [(mode, weighted, None, False, "flat") for mode, weighted in
                          [("mean", False), ("sum", False), ("sum", True), ("max", False)]])
def test_max_norm_renormalises_the_looked_up_rows_first(dtype, mode, weighted, padding_idx, last, layout):
    arguments = (dtype, mode, weighted, padding_idx, last, layout, UPSTREAM)
    assert_same(run("fastgrad", *arguments, max_norm=1.0, norm_type=1.5),
                run("torch", *arguments, max_norm=1.0, norm_type=1.5), dtype)


@pytest.mark.parametrize("mode, weighted", [("mean", False), ("sum", False), ("sum", True)])
def test_sparse_gradients_match_dense_pytorchs(mode, weighted):
    arguments = (np.float64, mode, weighted, 1, False, "flat", UPSTREAM)
    assert_same(run("fastgrad", *arguments, sparse=True), run("torch", *arguments, sparse=True), np.float64)


@pytest.mark.parametrize("mode, weighted, padding_idx", [("mean", False, None), ("sum", False, None),
                                                         ("sum", True, None), ("mean", False, 6)])
def test_scale_grad_by_freq_matches_where_pytorchs_cpu_kernel_is_right(mode, weighted, padding_idx):
    """PyTorch 2.13's CPU kernel divides by the wrong id's count when counts differ (issue 190063); with
    every id occurring equally often it is right, and must agree."""
    arguments = (np.float64, mode, weighted, padding_idx, False, "flat", UPSTREAM)
    every_id_twice = np.array([4, 1, 1, 4, 6, 6, 2, 2, 5, 5])
    assert_same(run("fastgrad", *arguments, flat_ids=every_id_twice, scale_grad_by_freq=True),
                run("torch", *arguments, flat_ids=every_id_twice, scale_grad_by_freq=True), np.float64)


@pytest.mark.parametrize("mode", ["mean", "sum"])
def test_scale_grad_by_freq_with_mixed_counts_matches_pytorchs_embedding(mode):
    """Mixed counts: the bag sums built from torch's F.embedding(scale_grad_by_freq=True), whose kernel is right."""
    weight = np.random.default_rng(2).normal(0, 1, (NUM_ROWS, DIM))
    theirs = torch.tensor(weight, requires_grad=True)
    rows = torch.nn.functional.embedding(torch.tensor(FLAT_IDS), theirs, scale_grad_by_freq=True)
    bag_of = np.repeat(np.arange(OFFSETS.size), np.diff(np.append(OFFSETS, FLAT_IDS.size)))
    sums = torch.zeros(OFFSETS.size, DIM, dtype=torch.float64).index_add(0, torch.tensor(bag_of), rows)
    if mode == "mean":
        sums = sums / torch.tensor(np.maximum(np.bincount(bag_of, minlength=OFFSETS.size), 1))[:, None]
    (sums * torch.tensor(UPSTREAM[:OFFSETS.size])).sum().backward()
    ours = fastgrad.tensor(weight, requires_grad=True)
    out = F.embedding_bag(fastgrad.tensor(FLAT_IDS), ours, fastgrad.tensor(OFFSETS), mode=mode, scale_grad_by_freq=True)
    (out * fastgrad.tensor(UPSTREAM[:OFFSETS.size])).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), sums.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_module_with_every_argument_matches_and_loads_pytorchs_state_dict():
    kwargs = dict(max_norm=2.0, norm_type=1.0, mode="sum", include_last_offset=True, padding_idx=2)
    theirs = torch.nn.EmbeddingBag(NUM_ROWS, DIM, **kwargs).double()
    ours = nn.EmbeddingBag(NUM_ROWS, DIM, **kwargs, dtype=fastgrad.float64)
    assert not ours.weight.detach().numpy()[2].any()  # the padding row starts at zero, as PyTorch's
    ours.load_state_dict({name: fastgrad.tensor(value.numpy()) for name, value in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    ids, offsets = np.array([2, 3, 2, 1, 0]), np.array([0, 1, 3, 5])
    samples = np.array([0.5, -1.0, 2.0, 3.0, 1.5])
    out_ours = ours(fastgrad.tensor(ids), fastgrad.tensor(offsets), fastgrad.tensor(samples))
    out_theirs = theirs(torch.tensor(ids), torch.tensor(offsets), torch.tensor(samples))
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12)
    pretrained = [lib.EmbeddingBag.from_pretrained(engine.tensor(np.arange(12.0).reshape(4, 3)), False, None, 2.0,
                                                   False, "max", False, True, 1)
                  for lib, engine in ((nn, fastgrad), (torch.nn, torch))]
    assert repr(pretrained[0]) == repr(pretrained[1])
    outs = [module(engine.tensor([[1, 3], [1, 1]])) for module, engine in zip(pretrained, (fastgrad, torch))]
    np.testing.assert_array_equal(outs[0].detach().numpy(), outs[1].detach().numpy())
