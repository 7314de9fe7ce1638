import math

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
from fastgrad.nn import init


def test_xavier_variance_matches_glorot():
    weight = nn.Parameter(np.empty((600, 400), dtype=np.float32))
    expected = 2.0 / (600 + 400)
    init.xavier_uniform_(weight)
    assert weight.detach().numpy().var() == pytest.approx(expected, rel=0.02)
    assert np.abs(weight.detach().numpy()).max() <= math.sqrt(6.0 / 1000)
    init.xavier_normal_(weight, gain=init.calculate_gain("tanh"))
    assert weight.detach().numpy().var() == pytest.approx(expected * (5 / 3) ** 2, rel=0.02)


def test_kaiming_uniform_bound_and_gain():
    weight = nn.Parameter(np.empty((300, 200), dtype=np.float32))
    init.kaiming_uniform_(weight, nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 200)
    assert np.abs(weight.detach().numpy()).max() <= bound
    assert weight.detach().numpy().var() == pytest.approx(bound**2 / 3, rel=0.03)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("softplus")
    with pytest.raises(ValueError, match="calculate_gain: negative_slope True is not a valid number"):
        init.calculate_gain("leaky_relu", True)  # was taken as a slope of 1


def test_module_default_inits_follow_pytorch():
    linear = nn.Linear(400, 300)
    assert np.abs(linear.weight.detach().numpy()).max() <= 1 / math.sqrt(400)
    assert linear.weight.detach().numpy().var() == pytest.approx(1 / (3 * 400), rel=0.03)
    assert np.abs(linear.bias.detach().numpy()).max() <= 1 / math.sqrt(400)
    embedding = nn.Embedding(1000, 100)
    assert embedding.weight.detach().numpy().std() == pytest.approx(1.0, rel=0.02)
    rnn = nn.RNN(10, 64)
    for param in rnn.parameters():
        assert np.abs(param.detach().numpy()).max() <= 1 / 8


def test_seed_makes_init_reproducible():
    fastgrad.manual_seed(5)
    first = nn.Linear(4, 3).weight.detach().numpy().copy()
    fastgrad.manual_seed(5)
    np.testing.assert_array_equal(nn.Linear(4, 3).weight.detach().numpy(), first)


def test_constant_fills():
    t = nn.Parameter(np.empty((2, 2), dtype=np.float32))
    np.testing.assert_array_equal(init.ones_(t).detach().numpy(), 1)
    np.testing.assert_array_equal(init.zeros_(t).detach().numpy(), 0)
    np.testing.assert_array_equal(init.constant_(t, 0.5).detach().numpy(), 0.5)
    with pytest.raises(ValueError, match="at least 2 dims"):
        init.xavier_uniform_(nn.Parameter(np.empty(3, dtype=np.float32)))


RANDOM_INITS = {"uniform_": init.uniform_, "normal_": init.normal_, "xavier_uniform_": init.xavier_uniform_,
                "xavier_normal_": init.xavier_normal_, "kaiming_uniform_": init.kaiming_uniform_,
                "kaiming_normal_": init.kaiming_normal_}


@pytest.mark.parametrize("dtype", [fastgrad.int64, fastgrad.bool_])
@pytest.mark.parametrize("name", RANDOM_INITS)
def test_random_inits_refuse_integer_tensors(name, dtype):
    """As torch.nn.init's, which fail in the uniform or normal fill; the draws were truncated."""
    fill = "uniform_" if "uniform" in name else "normal_"
    with pytest.raises(NotImplementedError, match=f"{fill}: expected a floating point tensor, got dtype "
                                                  f"{np.dtype(dtype).name}"):
        RANDOM_INITS[name](fastgrad.zeros(4, 3, dtype=dtype))


@pytest.mark.parametrize("dtype", [fastgrad.int64, fastgrad.bool_])
def test_constant_inits_fill_integer_tensors(dtype):
    """torch.nn.init's constant_, zeros_ and ones_ work on any dtype."""
    t = fastgrad.zeros(2, 2, dtype=dtype)
    assert init.ones_(t).tolist() == [[1, 1], [1, 1]] and t.dtype == dtype
    assert init.zeros_(t).tolist() == [[0, 0], [0, 0]]
    assert init.constant_(fastgrad.zeros(2, dtype=fastgrad.int64), 7).tolist() == [7, 7]


@pytest.mark.parametrize("name", RANDOM_INITS)
def test_random_inits_take_a_generator_and_leave_the_global_stream_alone(name):
    fastgrad.manual_seed(3)
    seeded = RANDOM_INITS[name](fastgrad.zeros(4, 3)).tolist()
    fastgrad.manual_seed(3)
    drawn = RANDOM_INITS[name](fastgrad.zeros(4, 3), generator=fastgrad.Generator().manual_seed(8)).tolist()
    assert RANDOM_INITS[name](fastgrad.zeros(4, 3)).tolist() == seeded
    assert RANDOM_INITS[name](fastgrad.zeros(4, 3), generator=fastgrad.Generator().manual_seed(8)).tolist() == drawn
    assert drawn != seeded
    with pytest.raises(TypeError, match="generator must be a fastgrad.Generator or None"):
        RANDOM_INITS[name](fastgrad.zeros(4, 3), generator=np.random.default_rng(0))


@pytest.mark.parametrize("name", list(RANDOM_INITS) + ["zeros_", "ones_"])
def test_inits_change_a_leaf_that_requires_grad_and_bump_its_version(name):
    """They run under no_grad, as PyTorch's: the leaf stays a leaf that requires grad."""
    weight = fastgrad.full((4, 3), 0.5, requires_grad=True)
    assert getattr(init, name)(weight) is weight
    assert weight.is_leaf and weight.requires_grad and weight._version == 1 and (weight.detach().numpy() != 0.5).all()


@pytest.mark.parametrize("name, args, error, message", [
    ("uniform_", (1, 0), ValueError, r"uniform_: the range \[a, b\) needs a <= b, got a=1.0, b=0.0"),
    ("normal_", (0, -1), ValueError, "normal_: std must be non-negative, got -1.0"),
    ("xavier_uniform_", (-1,), ValueError, r"uniform_: the range \[a, b\) needs a <= b"),
    ("xavier_normal_", (-1,), ValueError, "normal_: std must be non-negative, got -0.6"),
])
def test_inits_pass_on_the_fills_argument_errors(name, args, error, message):
    """A negative gain gives a reversed range or a negative std, which PyTorch refuses too."""
    with pytest.raises(error, match=message):
        getattr(init, name)(fastgrad.zeros(3, 2), *args)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (4, 4)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_gain(shape):
    weight = fastgrad.nn.init.orthogonal_(fastgrad.empty(*shape), gain=1.5).detach().numpy().reshape(shape[0], -1)
    product = weight @ weight.T if weight.shape[0] <= weight.shape[1] else weight.T @ weight
    np.testing.assert_allclose(product, 1.5**2 * np.eye(len(product)), atol=1e-5)


def test_orthogonal_follows_the_seed_and_refuses_vectors():
    fastgrad.manual_seed(3)
    first = fastgrad.nn.init.orthogonal_(fastgrad.empty(3, 3)).detach().numpy().copy()
    fastgrad.manual_seed(3)
    assert np.array_equal(first, fastgrad.nn.init.orthogonal_(fastgrad.empty(3, 3)).detach().numpy())
    with pytest.raises(ValueError, match="only tensors with 2 or more dimensions"):
        fastgrad.nn.init.orthogonal_(fastgrad.empty(3))


def test_trunc_normal_stays_inside_its_bounds():
    values = fastgrad.nn.init.trunc_normal_(fastgrad.empty(20000), mean=0.5, std=1.0, a=0.0, b=1.0).detach().numpy()
    assert values.min() >= 0.0 and values.max() <= 1.0 and abs(values.mean() - 0.5) < 0.01
    wide = fastgrad.nn.init.trunc_normal_(fastgrad.empty(20000), std=0.02).detach().numpy()  # bounds at 100 std: normal
    assert abs(wide.std() - 0.02) < 0.001
    with pytest.raises(ValueError, match="a must be less than b"):
        fastgrad.nn.init.trunc_normal_(fastgrad.empty(3), a=1.0, b=0.0)
    with pytest.raises(ValueError, match="too far"):
        fastgrad.nn.init.trunc_normal_(fastgrad.empty(3), a=50.0, b=60.0)


def test_eye_is_the_identity_and_refuses_other_ranks():
    assert fastgrad.nn.init.eye_(fastgrad.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    with pytest.raises(ValueError, match="only 2-D tensors"):
        fastgrad.nn.init.eye_(fastgrad.empty(2, 2, 2))


@pytest.mark.parametrize("name", ["orthogonal_", "trunc_normal_"])
def test_orthogonal_and_trunc_normal_refuse_integer_tensors_and_take_a_generator(name):
    """They copied truncated draws into an integer tensor; PyTorch's refuse it in their normal draw."""
    with pytest.raises(NotImplementedError, match=f"{name}: expected a floating point tensor, got dtype int64"):
        getattr(init, name)(fastgrad.zeros(3, 3, dtype=fastgrad.int64))
    drawn = [getattr(init, name)(fastgrad.empty(3, 3), generator=fastgrad.Generator().manual_seed(5)).tolist()
             for _ in range(2)]
    assert drawn[0] == drawn[1]
