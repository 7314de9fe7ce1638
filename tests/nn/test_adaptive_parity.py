"""nn.AdaptiveLogSoftmaxWithLoss against PyTorch: PyTorch's state dict loads, the same printout, forward's output
and loss, gradients of every parameter and of the input, log_prob, predict, unbatched input; float32 and float64."""
import numpy as np
import pytest

import fastgrad
from fastgrad import nn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")  # the 0-wide tails

TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}
CONFIGS = [  # (in_features, n_classes, cutoffs, div_value, head_bias)
    (8, 10, [3, 6], 2.0, True),
    (6, 12, [1], 4.0, False),
    (5, 9, [2, 3, 7], 1.5, False),
    (2, 10, [3, 6], 4.0, True),  # the tails' hidden sizes are 0
]


def pair(config, dtype):
    torch.manual_seed(0)
    in_features, n_classes, cutoffs, div_value, head_bias = config
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value, head_bias,
                                                 dtype=getattr(torch, np.dtype(dtype).name))
    ours = nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value, head_bias,
                                         dtype=getattr(fastgrad, np.dtype(dtype).name))
    ours.load_state_dict({name: fastgrad.tensor(value.detach().numpy()) for name, value in theirs.state_dict().items()})
    return ours, theirs


def inputs(config, dtype, batch=12, seed=1):
    rng = np.random.default_rng(seed)
    # every class of a small problem, so that each cluster has rows (and the last row of a cluster is used)
    targets = np.concatenate([np.arange(config[1]), rng.integers(0, config[1], batch)])
    return rng.normal(0, 1, (targets.size, config[0])).astype(dtype), targets


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", CONFIGS)
def test_forward_and_gradients_match(config, dtype):
    ours, theirs = pair(config, dtype)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x, targets = inputs(config, dtype)
    x_ours, x_theirs = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours, fastgrad.tensor(targets)), theirs(x_theirs, torch.tensor(targets))
    assert out_ours._fields == out_theirs._fields == ("output", "loss")
    assert out_ours.output.dtype == np.dtype(dtype) and out_ours.loss.shape == ()
    np.testing.assert_allclose(out_ours.output.detach().numpy(), out_theirs.output.detach().numpy(), **TOLERANCE[dtype])
    np.testing.assert_allclose(out_ours.loss.detach().numpy(), out_theirs.loss.detach().numpy(), **TOLERANCE[dtype])
    weights = np.linspace(-1, 2, targets.size).astype(dtype)  # a gradient other than the loss's, to each row
    ((out_ours.output * fastgrad.tensor(weights)).sum() + out_ours.loss).backward()
    ((out_theirs.output * torch.tensor(weights)).sum() + out_theirs.loss).backward()
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), **TOLERANCE[dtype])
    for (name, ours_p), (_, theirs_p) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(ours_p.grad.numpy(), theirs_p.grad.numpy(), **TOLERANCE[dtype], err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", CONFIGS)
def test_log_prob_and_predict_match(config, dtype):
    ours, theirs = pair(config, dtype)
    x, _ = inputs(config, dtype, batch=30)
    log_prob_ours, log_prob_theirs = ours.log_prob(fastgrad.tensor(x)), theirs.log_prob(torch.tensor(x))
    np.testing.assert_allclose(log_prob_ours.detach().numpy(), log_prob_theirs.detach().numpy(), **TOLERANCE[dtype])
    np.testing.assert_allclose(np.exp(log_prob_ours.detach().numpy()).sum(1), 1.0, rtol=1e-5)
    with torch.no_grad():  # rows whose head picks a cluster, rows that stay in the shortlist, and all of one kind
        theirs.head.weight[ours.shortlist_size:] *= 3
        if theirs.head.bias is not None:
            theirs.head.bias.zero_()
    ours.head.load_state_dict({name: fastgrad.tensor(value.numpy()) for name, value in theirs.head.state_dict().items()})
    head_best = theirs.head(torch.tensor(x)).argmax(1).numpy()
    assert (head_best >= ours.shortlist_size).any() and (head_best < ours.shortlist_size).any()
    for rows in (slice(None), head_best >= ours.shortlist_size, head_best < ours.shortlist_size):
        predicted = ours.predict(fastgrad.tensor(x[rows]))
        assert predicted.dtype == np.int64
        np.testing.assert_array_equal(predicted.numpy(), theirs.predict(torch.tensor(x[rows])).numpy())


def test_unbatched_input_and_an_empty_batch_match():
    ours, theirs = pair(CONFIGS[0], np.float64)
    x, targets = inputs(CONFIGS[0], np.float64)
    for row in (0, 5, 9):
        out_ours = ours(fastgrad.tensor(x[row]), fastgrad.tensor(targets[row]))
        out_theirs = theirs(torch.tensor(x[row]), torch.tensor(targets[row]))
        assert out_ours.output.shape == tuple(out_theirs.output.shape) == ()
        np.testing.assert_allclose(out_ours.output.detach().numpy(), out_theirs.output.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(out_ours.loss.detach().numpy(), out_theirs.loss.detach().numpy(), rtol=1e-12)
    with np.errstate(invalid="ignore"):
        empty = ours(fastgrad.zeros(0, 8, dtype=fastgrad.float64), fastgrad.tensor(np.zeros(0, dtype=np.int64)))
    assert empty.output.shape == (0,) and np.isnan(empty.loss.item())  # PyTorch's mean of nothing: nan


def test_target_error_matches_pytorchs_message():
    ours, theirs = pair(CONFIGS[0], np.float32)
    x = np.zeros((2, 8), dtype=np.float32)
    for targets in ([3, 10], [-1, 4]):
        with pytest.raises(RuntimeError) as raised_theirs:
            theirs(torch.tensor(x), torch.tensor(targets))
        with pytest.raises(RuntimeError) as raised_ours:
            ours(fastgrad.tensor(x), fastgrad.tensor(targets))
        assert str(raised_ours.value).strip() == str(raised_theirs.value).strip()
