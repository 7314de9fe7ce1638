"""nn.AdaptiveLogSoftmaxWithLoss without PyTorch: gradcheck of forward and log_prob on every backend, the
probabilities it defines, and its argument checks (cutoffs, target range and shapes)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
from fastgrad import nn
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")  # tails 0 wide
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def module(in_features=6, n_classes=10, cutoffs=(3, 6), **kwargs):
    return nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, list(cutoffs), dtype=fastgrad.float64, **kwargs)


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@SETTINGS
@given(batch=st.integers(1, 3), in_features=st.integers(1, 4), n_classes=st.integers(2, 5), seed=st.integers(0, 2**16),
       head_bias=st.booleans(), data=st.data())
def test_forward_and_log_prob_gradcheck(backend_name, batch, in_features, n_classes, seed, head_bias, data):
    cutoffs = sorted(data.draw(st.sets(st.integers(1, n_classes - 1), min_size=1, max_size=3)))
    layer = nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value=2.0, head_bias=head_bias,
                                          dtype=fastgrad.float64)
    x = leaf((batch, in_features), seed)
    targets = fastgrad.tensor(np.random.default_rng(seed).integers(0, n_classes, batch))
    parameters = list(layer.parameters())
    check(backend_name, lambda x, *_: layer(x, targets).output, x, *parameters)  # (the loss is its negated mean)
    check(backend_name, lambda x, *_: layer.log_prob(x), x, *parameters)


def test_probabilities_sum_to_one_and_forward_reads_log_prob_at_the_target():
    layer = module()
    x = fastgrad.tensor(np.random.default_rng(0).normal(0, 1, (4, 6)))
    targets = np.array([0, 3, 6, 9])  # the first class of the shortlist and of each cluster, the last class
    log_prob = layer.log_prob(x).detach().numpy()
    np.testing.assert_allclose(np.exp(log_prob).sum(1), 1.0, rtol=1e-12)
    out = layer(x, fastgrad.tensor(targets))
    np.testing.assert_allclose(out.output.detach().numpy(), log_prob[np.arange(4), targets], rtol=1e-12)
    np.testing.assert_allclose(out.loss.item(), -log_prob[np.arange(4), targets].mean(), rtol=1e-12)
    np.testing.assert_array_equal(layer.predict(x).numpy(), log_prob.argmax(1))


def test_submodules_are_pytorchs():
    layer = module(8, 20, (4, 10), div_value=2.0, head_bias=True)
    assert list(layer.state_dict()) == ["head.weight", "head.bias", "tail.0.0.weight", "tail.0.1.weight",
                                        "tail.1.0.weight", "tail.1.1.weight"]
    assert layer.cutoffs == [4, 10, 20] and (layer.shortlist_size, layer.n_clusters, layer.head_size) == (4, 2, 6)
    assert [tuple(p.shape) for p in layer.parameters()] == [(6, 8), (6,), (4, 8), (6, 4), (2, 8), (10, 2)]


@pytest.mark.parametrize("cutoffs", [[], [6, 3], [3, 3], [0, 3], [3, 10], [3, 12], [2.5], [3.0], ["3"]])
def test_bad_cutoffs_are_refused(cutoffs):
    message = "length larger than 0" if not cutoffs else "unique, positive integers sorted in an increasing order"
    with pytest.raises(ValueError, match=message):
        nn.AdaptiveLogSoftmaxWithLoss(6, 10, cutoffs)


@pytest.mark.parametrize("x_shape, targets, error, message", [
    ((2, 6), [3, 10], RuntimeError, r"Target values should be in \[0, 9\], but values in range \[3, 10\] were found"),
    ((2, 6), [-1, 4], RuntimeError, r"Target values should be in \[0, 9\], but values in range \[-1, 4\]"),
    ((6,), 12, RuntimeError, r"Target values should be in \[0, 9\]"),
    ((3, 6), [1, 2], RuntimeError, "same size in the batch dimension"),
    ((2, 3, 6), [1, 2], RuntimeError, "a 1D target expects a 2D input"),
    ((1, 6), 1, RuntimeError, "a 0D target expects a 1D input"),
    ((2, 6), [[1, 2]], RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    ((2, 6), [1.0, 2.0], TypeError, "target must hold integer class indices, got dtype float32"),
    ((2, 5), [1, 2], RuntimeError, "5"),  # the head's Linear names the input's features
])
def test_bad_forward_arguments_are_refused(x_shape, targets, error, message):
    with pytest.raises(error, match=message):
        module()(fastgrad.zeros(*x_shape, dtype=fastgrad.float64), fastgrad.tensor(targets))


@pytest.mark.parametrize("method", ["log_prob", "predict"])
def test_log_prob_and_predict_want_a_batch(method):
    with pytest.raises(RuntimeError, match=rf"{method}: expected a 2D input \(N, in_features\), got shape \(6,\)"):
        getattr(module(), method)(fastgrad.zeros(6, dtype=fastgrad.float64))
