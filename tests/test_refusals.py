"""Calls PyTorch refuses are refused with a message naming the argument (see test_refusals_parity.py for the
comparison with torch), and the integer inputs PyTorch computes with are computed."""
import math

import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F

BOOLS = fastgrad.tensor([[True, False], [True, True]])


@pytest.mark.parametrize("call", [lambda: fastgrad.cov(BOOLS), lambda: BOOLS.corrcoef(), lambda: BOOLS.trace(),
                                  lambda: fastgrad.dot(BOOLS[0], BOOLS[1]), lambda: BOOLS @ BOOLS])
def test_bool_matrix_statistics_and_products_are_refused(call):
    with pytest.raises((RuntimeError, NotImplementedError), match="bool tensors are not supported"):  # (PyTorch's)
        call()


def test_cross_of_two_dtypes_is_refused():
    with pytest.raises(RuntimeError, match="cross: expected self and other to have the same dtype, got float32 and "
                                           "int64"):
        fastgrad.cross(fastgrad.tensor([1.0, 2.0, 3.0]), fastgrad.tensor([1, 2, 3]), dim=0)


@pytest.mark.parametrize("join", [fastgrad.cat, fastgrad.stack, fastgrad.hstack, fastgrad.vstack, fastgrad.dstack,
                                  fastgrad.column_stack])
def test_joining_one_tensor_is_refused(join):
    with pytest.raises(TypeError, match="argument 'tensors' must be a tuple or list of Tensors, not a Tensor"):
        join(fastgrad.ones(2, 2))


def test_the_elementwise_max_and_min_take_no_third_argument():
    a, b = fastgrad.tensor([1.0, 2.0]), fastgrad.tensor([0.0, 3.0])
    with pytest.raises(TypeError, match="min: the elementwise form min\\(input, other\\) takes no third argument"):
        fastgrad.min(a, b, 0.5)
    assert a.max(b).tolist() == [1.0, 3.0] and fastgrad.min(a, b).tolist() == [0.0, 2.0]


def test_multinomial_of_no_draws_refuses_to_sample():
    with pytest.raises(RuntimeError, match="total_count=0"):
        fastgrad.distributions.Multinomial(0, probs=fastgrad.tensor([0.5, 0.5])).sample()


def test_trunc_normal_refuses_std_0_and_takes_a_negative_std_as_its_size():
    with pytest.raises(ZeroDivisionError, match="std must not be 0"):
        fastgrad.nn.init.trunc_normal_(fastgrad.empty(3), std=0.0)
    fastgrad.manual_seed(0)
    drawn = fastgrad.nn.init.trunc_normal_(fastgrad.empty(10000), std=-2.0, a=-1.0, b=1.0).numpy()
    assert drawn.min() >= -1.0 and drawn.max() <= 1.0 and abs(drawn.mean()) < 0.03


def test_gumbel_cdf_refuses_values_whose_uniform_draw_underflows_or_rounds_to_1():
    gumbel = fastgrad.distributions.Gumbel(fastgrad.tensor(0.0), fastgrad.tensor(1.0))
    for value in (-10.0, 50.0):
        with pytest.raises(ValueError, match="Gumbel.cdf"):
            gumbel.cdf(fastgrad.tensor([value]))
    assert math.isclose(gumbel.cdf(fastgrad.tensor(0.0)).item(), math.exp(-1), rel_tol=1e-6)
    lenient = fastgrad.distributions.Gumbel(fastgrad.tensor(0.0), fastgrad.tensor(1.0), validate_args=False)
    assert lenient.cdf(fastgrad.tensor([-10.0, 50.0])).tolist() == [0.0, 1.0]


@pytest.mark.parametrize("call, error", [  # (PyTorch's exception types)
    (lambda: F.huber_loss(fastgrad.tensor([1, 0]), fastgrad.tensor([1.0, 0.5])), RuntimeError),
    (lambda: F.kl_div(fastgrad.tensor([0.5, 0.2]), fastgrad.tensor([1, 0])), RuntimeError),
    (lambda: F.binary_cross_entropy_with_logits(fastgrad.tensor([1.0, 0.0]), fastgrad.tensor([1, 0])), RuntimeError),
    (lambda: F.hinge_embedding_loss(fastgrad.tensor([1, 0]), fastgrad.tensor([1.0, -1.0])), RuntimeError),
    (lambda: F.nll_loss(fastgrad.tensor([[1, 0], [0, 1]]), fastgrad.tensor([0, 1])), NotImplementedError),
])
def test_losses_refuse_the_integer_inputs_pytorch_refuses(call, error):
    with pytest.raises(error, match="floating point"):
        call()


def test_poisson_and_gaussian_nll_take_integer_inputs_in_the_default_float_dtype():
    loss = F.poisson_nll_loss(fastgrad.tensor([1, 0]), fastgrad.tensor([1, 0]))
    assert loss.dtype == fastgrad.float32 and math.isclose(loss.item(), (math.e - 1 + 1) / 2, rel_tol=1e-6)
    loss = F.gaussian_nll_loss(fastgrad.tensor([1, 0]), fastgrad.tensor([0.0, 0.0]), fastgrad.ones(2))
    assert loss.dtype == fastgrad.float32 and np.isclose(loss.item(), 0.25)


def test_relu_of_integers_stays_integer_and_of_bools_is_refused():
    assert fastgrad.relu(fastgrad.tensor([-3, 0, 2])).tolist() == [0, 0, 2]
    assert F.relu(fastgrad.tensor([-3, 5], dtype=fastgrad.int8), inplace=True).dtype == fastgrad.int8
    with pytest.raises(RuntimeError, match="relu: bool tensors are not supported"):
        fastgrad.nn.ReLU()(fastgrad.tensor([True]))
