"""torch's top-level forms of nn.functional's functions (fastgrad/functional_forms.py) against PyTorch, called with
PyTorch's own top-level signatures: values, dtypes and gradients of every floating input, and one wrong call each."""
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3))
Y = rng.standard_normal((2, 3))
Z = rng.standard_normal((2, 3))
SEQ = rng.standard_normal((2, 3, 7))  # (N, C, L)
IMAGE = rng.standard_normal((2, 4, 5, 5))  # (N, C, H, W)
W1 = rng.standard_normal((4, 3, 3))  # conv1d weight
W2 = rng.standard_normal((3, 4, 3, 3))  # conv2d weight
B3, B4 = rng.standard_normal(3), rng.standard_normal(4)
TABLE = rng.standard_normal((5, 3))  # embedding weight
BILINEAR = rng.standard_normal((4, 3, 3))
PROBS = rng.uniform(0.1, 0.9, (2, 3))
SIGNS = np.array([1.0, -1.0])
COUNTS = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 5.0]])


class Const:
    """An argument that does not require grad (targets, and weights PyTorch does not differentiate)."""

    def __init__(self, array):
        self.array = array

# (call with the library and the tensors, the arrays it takes)
CASES = {
    "cosine_similarity": (lambda m, a, b: m.cosine_similarity(a, b), (X, Y)),
    "cosine_similarity dim eps": (lambda m, a, b: m.cosine_similarity(a, b, 0, 1e-6), (X, Y)),
    "pairwise_distance": (lambda m, a, b: m.pairwise_distance(a, b), (X, Y)),
    "pairwise_distance p eps keepdim": (lambda m, a, b: m.pairwise_distance(a, b, 1.0, 1e-3, True), (X, Y)),
    "pdist": (lambda m, a: m.pdist(a), (SEQ[0].T,)), "pdist p=1": (lambda m, a: m.pdist(a, 1), (SEQ[0].T,)),
    "pdist p=inf": (lambda m, a: m.pdist(a, float("inf")), (SEQ[0].T,)),
    "pdist p=0": (lambda m, a: m.pdist(a, 0), (np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 2.0]]),)),
    "conv1d": (lambda m, x, w, b: m.conv1d(x, w, b), (SEQ, W1[:, :3], B4)),
    "conv1d stride padding": (lambda m, x, w: m.conv1d(x, w, None, 2, 1, 1, 1), (SEQ, W1[:, :3])),
    "conv1d same": (lambda m, x, w: m.conv1d(x, w, None, 1, "same"), (SEQ, W1[:, :3])),
    "conv2d": (lambda m, x, w, b: m.conv2d(x, w, b, 1, 1), (IMAGE, W2, B3)),
    "conv_transpose1d": (lambda m, x, w, b: m.conv_transpose1d(x, w, b), (SEQ, W1[:3], B3)),
    "conv_transpose1d all": (lambda m, x, w: m.conv_transpose1d(x, w, None, 2, 1, 1, 1, 1), (SEQ, W1[:3])),
    "conv_transpose2d": (lambda m, x, w, b: m.conv_transpose2d(x, w, b, 2, 1, 1),
                         (IMAGE, W2.transpose(1, 0, 2, 3), B3)),
    "rms_norm": (lambda m, x: m.rms_norm(x, [3]), (X,)),
    "rms_norm weight eps": (lambda m, x, w: m.rms_norm(x, (3,), w, 1e-3), (X, B3)),
    "prelu": (lambda m, x, w: m.prelu(x, w), (SEQ, np.array([0.1, 0.2, 0.3]))),
    "selu": (lambda m, x: m.selu(x), (X,)), "celu": (lambda m, x: m.celu(x), (X,)),
    "celu alpha": (lambda m, x: m.celu(x, 2.0), (X,)),
    "threshold": (lambda m, x: m.threshold(x, 0.1, 20.0), (X,)),
    "rrelu": (lambda m, x: m.rrelu(x), (X,)), "rrelu bounds": (lambda m, x: m.rrelu(x, 0.1, 0.3, False), (X,)),
    "hardshrink": (lambda m, x: m.hardshrink(x), (X,)), "hardshrink lambd": (lambda m, x: m.hardshrink(x, 0.3), (X,)),
    "bilinear": (lambda m, a, b, w, c: m.bilinear(a, b, w, c), (X, Y, BILINEAR, B4)),
    "max_pool1d": (lambda m, x: m.max_pool1d(x, 2), (SEQ,)),
    "max_pool1d stride []": (lambda m, x: m.max_pool1d(x, 2, []), (SEQ,)),
    "max_pool1d all": (lambda m, x: m.max_pool1d(x, 3, 2, 1, 1, True), (SEQ,)),
    "max_pool1d_with_indices": (lambda m, x: m.max_pool1d_with_indices(x, 3, [], 1, 1, True), (SEQ,)),
    "max_pool2d": (lambda m, x: m.max_pool2d(x, 2), (IMAGE,)),
    "max_pool2d all": (lambda m, x: m.max_pool2d(x, (2, 3), (1, 2), 1, 1, True), (IMAGE,)),
    "avg_pool1d": (lambda m, x: m.avg_pool1d(x, 2), (SEQ,)),
    "avg_pool1d all": (lambda m, x: m.avg_pool1d(x, 3, 2, 1, True, False), (SEQ,)),
    "adaptive_avg_pool1d": (lambda m, x: m.adaptive_avg_pool1d(x, 3), (SEQ,)),
    "adaptive_max_pool1d": (lambda m, x: m.adaptive_max_pool1d(x, 3), (SEQ,)),
    "dropout": (lambda m, x: m.dropout(x, 0.5, False), (X,)),
    "dropout p=0": (lambda m, x: m.dropout(x, 0.0, True), (X,)),
    "dropout p=1": (lambda m, x: m.dropout(x, 1.0, True), (X,)),
    "dropout keywords": (lambda m, x: m.dropout(input=x, p=0.3, train=False), (X,)),
    "alpha_dropout": (lambda m, x: m.alpha_dropout(x, 0.5, False), (X,)),
    "feature_dropout": (lambda m, x: m.feature_dropout(x, 0.5, False), (SEQ,)),
    "feature_dropout p=1": (lambda m, x: m.feature_dropout(x, 1.0, True), (SEQ,)),
    "feature_alpha_dropout": (lambda m, x: m.feature_alpha_dropout(x, 0.5, False), (SEQ,)),
    "embedding": (lambda m, w: m.embedding(w, m.tensor([[0, 4], [2, 0]])), (TABLE,)),
    "embedding padding_idx 0": (lambda m, w: m.embedding(w, m.tensor([0, 3, 4, 0]), 0), (TABLE,)),
    "embedding padding_idx 4": (lambda m, w: m.embedding(w, m.tensor([0, 3, 4, 0]), 4), (TABLE,)),
    "embedding padding_idx -2": (lambda m, w: m.embedding(w, m.tensor([0, 3, 4, 0]), -2), (TABLE,)),
    "embedding padding_idx 5": (lambda m, w: m.embedding(w, m.tensor([0, 3, 4, 0]), 5), (TABLE,)),
    "embedding scale_grad_by_freq": (lambda m, w: m.embedding(w, m.tensor([0, 3, 0, 0]), -1, True), (TABLE,)),
    "embedding int32": (lambda m, w: m.embedding(w, m.tensor([1, 2], dtype=m.int32)), (TABLE,)),
    "layer_norm": (lambda m, x: m.layer_norm(x, [3]), (X,)),
    "layer_norm all": (lambda m, x, w, b: m.layer_norm(x, (3,), w, b, 1e-3, False), (X, B3, B3[::-1].copy())),
    "group_norm": (lambda m, x: m.group_norm(x, 2), (IMAGE,)),
    "group_norm all": (lambda m, x, w, b: m.group_norm(x, 2, w, b, 1e-3, False), (IMAGE, B4, B4[::-1].copy())),
    "batch_norm training": (lambda m, x, w, b: m.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
                            (SEQ, B3, B3[::-1].copy())),
    "batch_norm running": (lambda m, x, w, b: m.batch_norm(x, w, b, m.tensor(B3 * 0.1), m.tensor(np.abs(B3) + 0.5),
                                                           False, 0.1, 1e-5, True), (SEQ, B3, B3[::-1].copy())),
    "instance_norm": (lambda m, x, w, b: m.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
                      (SEQ, B3, B3[::-1].copy())),
    "kl_div": (lambda m, x, t: m.kl_div(x.log_softmax(1), t), (X, PROBS)),
    "kl_div mean": (lambda m, x, t: m.kl_div(x.log_softmax(1), t, 1), (X, PROBS)),
    "kl_div sum log_target": (lambda m, x, t: m.kl_div(x.log_softmax(1), t.log(), 2, log_target=True), (X, PROBS)),
    "binary_cross_entropy_with_logits": (lambda m, x, t: m.binary_cross_entropy_with_logits(x, t), (X, Const(PROBS))),
    "binary_cross_entropy_with_logits all": (
        lambda m, x, t, w, pw: m.binary_cross_entropy_with_logits(x, t, w, pw, 2),
        (X, Const(PROBS), Const(PROBS[0]), Const(B3 ** 2))),
    "binary_cross_entropy_with_logits mean": (
        lambda m, x, t: m.binary_cross_entropy_with_logits(x, t, reduction=1), (X, Const(PROBS))),
    "cosine_embedding_loss": (lambda m, a, b, y: m.cosine_embedding_loss(a, b, y), (X, Y, Const(SIGNS))),
    "cosine_embedding_loss margin mean": (lambda m, a, b, y: m.cosine_embedding_loss(a, b, y, 0.2, 1),
                                          (X, Y, Const(SIGNS))),
    "hinge_embedding_loss": (lambda m, x, y: m.hinge_embedding_loss(x, y), (X, Const(np.sign(Y)))),
    "hinge_embedding_loss sum": (lambda m, x, y: m.hinge_embedding_loss(x, y, 0.5, 2), (X, Const(np.sign(Y)))),
    "margin_ranking_loss": (lambda m, a, b, y: m.margin_ranking_loss(a, b, y), (X[0], Y[0], Const(np.sign(Z[0])))),
    "margin_ranking_loss margin mean": (
        lambda m, a, b, y: m.margin_ranking_loss(a, b, y, 0.1, 1), (X[0], Y[0], Const(np.sign(Z[0])))),
    # (torch's form broadcasts tensors of different numbers of dims: only nn.functional's refuses them)
    "margin_ranking_loss of 2-d and 1-d tensors": (
        lambda m, a, b, y: m.margin_ranking_loss(a, b, y, 0.1, 0), (X, Y[0], Const(np.sign(Z[0])))),
    "triplet_margin_loss": (lambda m, a, p, n: m.triplet_margin_loss(a, p, n), (X, Y, Z)),
    "triplet_margin_loss all": (lambda m, a, p, n: m.triplet_margin_loss(a, p, n, 2.0, 1.0, 1e-3, True, 1), (X, Y, Z)),
    # (the gradient through a log_softmax in front, where PyTorch's ctc_loss gradient is that of the logits)
    "ctc_loss": (lambda m, x: m.ctc_loss(x.log_softmax(2), m.tensor([[1, 2, 1], [2, 1, 0]]), [7, 5], [3, 2]),
                 (SEQ.transpose(2, 0, 1).copy(),)),
    "ctc_loss tensors mean": (lambda m, x: m.ctc_loss(x.log_softmax(2), m.tensor([1, 2, 1, 2, 1]), m.tensor([7, 5]),
                                                      m.tensor([3, 2]), 0, 1, True), (SEQ.transpose(2, 0, 1).copy(),)),
    "poisson_nll_loss": (lambda m, x, t: m.poisson_nll_loss(x, t, True, False, 1e-8, 1), (X, Const(COUNTS))),
    "poisson_nll_loss full rate": (lambda m, x, t: m.poisson_nll_loss(x.abs(), t, False, True, 1e-3, 0),
                                   (X, Const(COUNTS))),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_and_gradients_as_torch(case):
    call, arrays = CASES[case]
    results = []
    for lib in (fastgrad, torch):
        tensors = [lib.tensor(a.array) if isinstance(a, Const) else lib.tensor(a, requires_grad=True) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # (none of these forms warns in PyTorch)
            out = call(lib, *tensors)
        outs = out if isinstance(out, tuple) else (out,)
        weights = np.random.default_rng(1).standard_normal(outs[0].shape)
        if outs[0].requires_grad:
            (outs[0] * lib.tensor(weights)).sum().backward()
        grads = [None if t.grad is None else t.grad.numpy() for t in tensors]
        results.append(([o.detach().numpy() for o in outs], [str(o.dtype).replace("torch.", "") for o in outs],
                        grads))
    (ours, our_dtypes, our_grads), (theirs, their_dtypes, their_grads) = results
    assert our_dtypes == their_dtypes and len(ours) == len(theirs)
    for got, expected in zip(ours, theirs):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    for got, expected in zip(our_grads, their_grads):
        if expected is None or not expected.any():
            assert got is None or not got.any()
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_batch_norm_moves_the_running_statistics_as_torch():
    stats = []
    for lib in (fastgrad, torch):
        mean, var = lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)
        lib.batch_norm(lib.tensor(SEQ), None, None, mean, var, True, 0.3, 1e-5, False)
        stats.append((mean.numpy().copy(), var.numpy().copy()))
    np.testing.assert_allclose(stats[0][0], stats[1][0], rtol=1e-12)
    np.testing.assert_allclose(stats[0][1], stats[1][1], rtol=1e-12)


@pytest.mark.parametrize("name", ["dropout", "feature_dropout"])
def test_dropout_in_training_zeroes_or_scales_as_torch(name):
    """The draws are fastgrad's: compare the pattern (kept values doubled at p = 0.5; a dropped channel whole)."""
    for lib in (fastgrad, torch):
        out = getattr(lib, name)(lib.ones(4, 6, 5), 0.5, True).numpy()
        assert set(np.unique(out)) <= {0.0, 2.0}
        if name == "feature_dropout":
            assert (out == out[..., :1]).all()


@pytest.mark.parametrize("call, error", [
    (lambda m: m.cosine_similarity(m.ones(2, 3), m.ones(4, 3)), (RuntimeError, ValueError)),
    (lambda m: m.pairwise_distance(m.ones(2, 3), m.ones(4, 3)), (RuntimeError, ValueError)),
    (lambda m: m.pdist(m.ones(2, 3, 4)), (RuntimeError, ValueError)),
    (lambda m: m.conv1d(m.ones(1, 2, 5), m.ones(3, 2)), (RuntimeError, ValueError)),
    (lambda m: m.conv2d(m.ones(1, 2, 5, 5), m.ones(3, 4, 3, 3)), (RuntimeError, ValueError)),
    (lambda m: m.prelu(m.ones(2, 3, 4), m.ones(2)), (RuntimeError, ValueError)),
    (lambda m: m.selu(m.ones(2), True), TypeError), (lambda m: m.celu(m.ones(2), inplace=True), TypeError),
    (lambda m: m.threshold(m.ones(2), 0.5), TypeError),
    (lambda m: m.rrelu(m.ones(2), 0.1, 0.3, "yes"), TypeError),
    (lambda m: m.hardshrink(m.ones(2), lambd="x"), TypeError),
    (lambda m: m.bilinear(m.ones(2, 3), m.ones(2, 3), m.ones(4, 2, 3)), (RuntimeError, ValueError)),
    (lambda m: m.max_pool1d(m.ones(1, 2, 6), 2, return_indices=True), TypeError),
    (lambda m: m.max_pool2d(m.ones(1, 2, 3, 3), 5), (RuntimeError, ValueError)),
    (lambda m: m.avg_pool1d(m.ones(1, 2, 6), 2, 2, 2), (RuntimeError, ValueError)),
    (lambda m: m.adaptive_avg_pool1d(m.ones(1, 2, 3, 6), 2), (RuntimeError, ValueError)),
    (lambda m: m.adaptive_max_pool1d(m.ones(1, 2, 6), 2, True), TypeError),
    (lambda m: m.dropout(m.ones(2), 0.5), TypeError),
    (lambda m: m.alpha_dropout(m.ones(2), 1.5, True), (RuntimeError, ValueError)),
    (lambda m: m.feature_dropout(m.ones(4), 0.5, True), (RuntimeError, ValueError)),
    (lambda m: m.feature_alpha_dropout(m.ones(2, 3), 0.5, "yes"), TypeError),
    (lambda m: m.embedding(m.ones(5, 3), m.tensor([0.0])), (RuntimeError, TypeError)),
    (lambda m: m.embedding(m.ones(5, 3), m.tensor([5])), IndexError),
    (lambda m: m.embedding(m.tensor([0, 1]), m.ones(5, 3)), (RuntimeError, ValueError, TypeError)),
    (lambda m: m.layer_norm(m.ones(2, 3), [4]), (RuntimeError, ValueError)),
    (lambda m: m.group_norm(m.ones(2, 3, 4), 2), (RuntimeError, ValueError)),
    (lambda m: m.batch_norm(m.ones(2, 3), None, None, None, None, True, 0.1, 1e-5), TypeError),
    (lambda m: m.instance_norm(m.ones(2, 3, 4), None, None, None, None, True, 0.1), TypeError),
    (lambda m: m.kl_div(m.ones(3), m.ones(3), "mean"), TypeError),
    (lambda m: m.binary_cross_entropy_with_logits(m.ones(3), m.ones(3), reduction="sum"), TypeError),
    (lambda m: m.cosine_embedding_loss(m.ones(2, 3), m.ones(2, 3), m.ones(2), 0.0, "none"), TypeError),
    (lambda m: m.hinge_embedding_loss(m.ones(3), m.ones(3), 1.0, True), TypeError),
    (lambda m: m.margin_ranking_loss(m.ones(3), m.ones(3), m.ones(3), reduction=None), TypeError),
    (lambda m: m.triplet_margin_loss(m.ones(2, 3), m.ones(2, 3), m.ones(2, 3), reduction="mean"), TypeError),
    (lambda m: m.poisson_nll_loss(m.ones(3), m.ones(3), True, False, 1e-8), TypeError),
    (lambda m: m.conv_transpose1d(m.ones(1, 2, 5), m.ones(3, 2, 3)), (RuntimeError, ValueError)),
    (lambda m: m.conv_transpose2d(m.ones(1, 2, 5, 5), m.ones(2, 3, 3)), (RuntimeError, ValueError)),
    (lambda m: m.rms_norm(m.ones(2, 3), [4]), (RuntimeError, ValueError)),
    (lambda m: m.max_pool1d_with_indices(m.ones(1, 2, 6), 2, return_indices=True), TypeError),
    (lambda m: m.ctc_loss(m.ones(6, 2, 4), m.tensor([[1, 2], [3, 1]]), [6, 5], [2, 2], 0, "mean"), TypeError),
])
def test_wrong_calls_are_refused_as_torch(call, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            call(lib)


@pytest.mark.parametrize("name, call, match", [
    ("kl_div", lambda: fastgrad.kl_div(fastgrad.ones(3), fastgrad.ones(3), 3), r"reduction must be 0 .* got 3"),
    ("poisson_nll_loss", lambda: fastgrad.poisson_nll_loss(fastgrad.ones(3), fastgrad.ones(3), True, False, 1e-8, -1),
     r"reduction must be 0 .* got -1"),
    ("dropout", lambda: fastgrad.dropout(fastgrad.ones(3), 0.5, "yes"), r"train must be a bool, got str"),
    ("embedding", lambda: fastgrad.embedding(fastgrad.ones(5, 3), fastgrad.tensor([0.0])),
     r"indices must be an integer"),
    ("rrelu", lambda: fastgrad.rrelu(fastgrad.ones(3), generator=fastgrad.Generator()), r"generator= is not supported"),
])
def test_fastgrad_names_the_argument_and_refuses_reductions_torch_reads_silently(name, call, match):
    """PyTorch reads a reduction of 3 or -1 as 'none' or 'sum' without a word; fastgrad refuses it."""
    with pytest.raises((TypeError, ValueError, NotImplementedError), match=f"{name}: {match}"):
        call()
