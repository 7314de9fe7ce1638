"""The functionals and layers that draw from fastgrad's generator, without PyTorch (whose draws differ):
channel dropout, alpha dropout and Gumbel-softmax give the structure and the statistics that define them."""
import contextlib
import math

import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad.nn.functional import SELU_SATURATION


def within_binomial_noise(count: int, trials: int, p: float) -> bool:
    """count ~ Binomial(trials, p), within 5 standard deviations (a false alarm about once in 3 million runs)."""
    return abs(count - trials * p) <= 5 * math.sqrt(trials * p * (1 - p))


def ones(*shape):
    return fastgrad.ones(*shape, dtype=fastgrad.float64)


# -- dropout of whole channels ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, shape, channel_dims", [
    ("dropout1d", (40, 30, 5), 2), ("dropout1d", (500, 6), 1), ("dropout2d", (40, 30, 2, 3), 2),
    ("dropout2d", (300, 4, 5), 2),  # 3-D: taken as (N, C, L), as PyTorch
    ("dropout3d", (20, 30, 2, 2, 2), 2), ("dropout3d", (600, 2, 2, 2), 1),  # 4-D: unbatched (C, D, H, W)
])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_channel_dropout_zeroes_whole_channels_with_probability_p_and_scales_the_rest(name, shape, channel_dims, p):
    fastgrad.manual_seed(0)
    with pytest.warns(UserWarning) if (name, len(shape)) == ("dropout2d", 3) else contextlib.nullcontext():
        out = getattr(F, name)(ones(*shape), p).numpy()
    channels = out.reshape(int(np.prod(shape[:channel_dims])), -1)
    assert (channels == channels[:, :1]).all(), "a channel is dropped or kept as a whole"
    assert set(np.unique(channels)) <= {0.0, 1 / (1 - p)}
    assert within_binomial_noise(int((channels[:, 0] == 0).sum()), len(channels), p)


def test_channel_dropout_in_place_scales_the_same_tensor_and_its_gradient_is_the_mask():
    fastgrad.manual_seed(1)
    leaf = ones(8, 5, 3).requires_grad_()
    hidden = leaf * 1
    out = F.dropout1d(hidden, 0.5, inplace=True)
    assert out is hidden and set(np.unique(out.detach().numpy())) <= {0.0, 2.0}
    mask = out.detach().numpy().copy()
    out.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), mask)


@pytest.mark.parametrize("name", ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"])
def test_dropout_family_is_the_identity_in_evaluation_and_at_p_0(name):
    x = ones(*{"dropout1d": (2, 3, 4), "dropout2d": (2, 3, 4, 5)}.get(name, (2, 3, 4, 5, 6)))
    assert getattr(F, name)(x, 0.5, False) is x
    assert getattr(F, name)(x, 0.0, True) is x


def test_same_seed_same_channels():
    x = ones(10, 20, 3)
    fastgrad.manual_seed(5)
    first = F.dropout1d(x).numpy()
    fastgrad.manual_seed(5)
    np.testing.assert_array_equal(F.dropout1d(x).numpy(), first)
    assert not np.array_equal(F.dropout1d(x).numpy(), first)


# -- alpha dropout ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_keeps_zero_mean_and_unit_variance(p):
    """Klambauer et al. (2017): dropped units take selu's saturation a', then a x + b restores the standard
    normal input's mean and variance."""
    fastgrad.manual_seed(2)
    x = np.random.default_rng(0).standard_normal(200_000)
    out = F.alpha_dropout(fastgrad.tensor(x), p, training=True).numpy()
    a = ((1 - p) * (1 + p * SELU_SATURATION ** 2)) ** -0.5
    dropped = np.isclose(out, a * SELU_SATURATION - a * SELU_SATURATION * p)
    assert within_binomial_noise(int(dropped.sum()), x.size, p)
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] - a * SELU_SATURATION * p, rtol=1e-12)
    assert abs(out.mean()) < 0.01 and abs(out.var() - 1) < 0.02


def test_feature_alpha_dropout_drops_whole_channels_to_one_value():
    fastgrad.manual_seed(3)
    x = np.random.default_rng(0).standard_normal((50, 40, 6))
    out = F.feature_alpha_dropout(fastgrad.tensor(x), 0.5, training=True).numpy().reshape(2000, 6)
    constant = (out == out[:, :1]).all(axis=1)  # a dropped channel is all a' a + b
    assert len(np.unique(out[constant, 0].round(12))) == 1
    assert within_binomial_noise(int(constant.sum()), 2000, 0.5)


def test_alpha_dropout_gradient_is_its_scale_and_in_place_changes_the_input():
    fastgrad.manual_seed(4)
    leaf = fastgrad.tensor(np.random.default_rng(0).standard_normal((6, 7)), requires_grad=True)
    out = F.alpha_dropout(leaf, 0.3, training=True)
    out.sum().backward()
    a = ((1 - 0.3) * (1 + 0.3 * SELU_SATURATION ** 2)) ** -0.5
    dropped = np.isclose(out.detach().numpy(), a * SELU_SATURATION * (1 - 0.3))
    np.testing.assert_allclose(leaf.grad.numpy(), np.where(dropped, 0.0, a), rtol=1e-12)
    x = fastgrad.zeros(5, dtype=fastgrad.float64)
    assert F.alpha_dropout(x, 0.3, True, inplace=True) is x and not (x.numpy() == 0).any()
    y = fastgrad.zeros(5, dtype=fastgrad.float64)
    fastgrad.nn.AlphaDropout(0.3, inplace=True)(y)
    assert (y.numpy() == 0).all()  # the layer ignores inplace, as PyTorch's


# -- Gumbel-softmax ---------------------------------------------------------------------------------------
LOGITS = np.log(np.array([0.1, 0.2, 0.3, 0.4]))


def test_gumbel_softmax_samples_are_distributions_whose_argmax_follows_softmax_of_the_logits():
    """The Gumbel-max trick: argmax(logits + g) is distributed as softmax(logits), whatever tau."""
    fastgrad.manual_seed(6)
    rows = 20_000
    logits = fastgrad.tensor(np.tile(LOGITS, (rows, 1)))
    for tau in (0.3, 1.0, 5.0):
        soft = F.gumbel_softmax(logits, tau).numpy()
        np.testing.assert_allclose(soft.sum(1), 1.0, rtol=1e-12)
        counts = np.bincount(soft.argmax(1), minlength=4)
        assert all(within_binomial_noise(int(c), rows, p) for c, p in zip(counts, np.exp(LOGITS))), counts


def test_gumbel_softmax_noise_is_standard_gumbel():
    """log y_i - log y_j - (l_i - l_j) = g_i - g_j (tau = 1): the difference of two standard Gumbel draws is
    logistic, of mean 0 and variance pi^2 / 3."""
    fastgrad.manual_seed(7)
    soft = F.gumbel_softmax(fastgrad.tensor(np.tile(LOGITS, (50_000, 1)))).numpy()
    differences = np.log(soft[:, 0]) - np.log(soft[:, 3]) - (LOGITS[0] - LOGITS[3])
    assert abs(differences.mean()) < 0.05 and abs(differences.var() / (np.pi ** 2 / 3) - 1) < 0.03


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_hard_gumbel_softmax_is_exactly_one_hot_with_the_soft_samples_gradient(dim):
    """Straight through: the forward is the one-hot of the soft sample's argmax, the gradient the soft sample's."""
    x = np.random.default_rng(0).standard_normal((5, 4, 3))
    upstream = fastgrad.tensor(np.random.default_rng(1).standard_normal((5, 4, 3)))
    grads, samples = [], []
    for hard in (False, True):
        leaf = fastgrad.tensor(x, requires_grad=True)
        fastgrad.manual_seed(8)
        sample = F.gumbel_softmax(leaf, 0.5, hard=hard, dim=dim)
        (sample * upstream).sum().backward()
        grads.append(leaf.grad.numpy())
        samples.append(sample.detach().numpy())
    soft, hard = samples
    assert set(np.unique(hard)) == {0.0, 1.0}
    np.testing.assert_array_equal(hard.sum(dim), 1.0)
    np.testing.assert_array_equal(hard.argmax(dim), soft.argmax(dim))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)
