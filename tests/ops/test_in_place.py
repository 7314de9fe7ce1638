"""The in-place forms of tensor_methods/in_place.py: gradcheck through an in-place change of a tensor inside the
graph on every backend, version counters, and the refusals (a leaf that requires grad, a result the tensor's dtype
cannot hold, a view while recording)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
matrices = array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4)


def changed_in_place(change):
    """x -> y = 2 x + 1 -> z = 3 y (recorded before the change) -> change(y) in place -> y * z: the gradient goes
    through y's new history and, for z, its history before the change."""

    def fn(x):
        y = x * 2 + 1
        z = y * 3
        assert change(y) is y
        return y.reshape(-1).sum() * z + y.sum()

    return fn


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("change", [
    lambda y: y.sin_(), lambda y: y.atan2_(fastgrad.full(y.shape, 0.7, dtype=fastgrad.float64)),
    lambda y: y.clamp_min_(0.3), lambda y: y.cumsum_(-1),
    lambda y: y.tril_(), lambda y: y.erf_(), lambda y: y.square_(), lambda y: y.hypot_(y * 0.5 + 2),
    lambda y: y.t_(), lambda y: y.unsqueeze_(0), lambda y: y.transpose_(0, 1).squeeze_(), lambda y: y.gt_(1.0),
    lambda y: y.lt_(y * 0.5 + 2),
], ids=["sin_", "atan2_", "clamp_min_", "cumsum_", "tril_", "erf_", "square_", "hypot_", "t_", "unsqueeze_",
        "transpose_squeeze_", "gt_", "lt_ of a tensor"])
@SETTINGS
@given(shape=matrices, seed=st.integers(0, 2**16))
def test_gradcheck_through_an_in_place_change(backend_name, change, shape, seed):
    x = leaf(shape, seed, away_from=0.0)
    x._data[np.abs(x._data * 2 + 1 - 0.3) < 0.05] += 0.1  # away from clamp_min's kink
    x._data[np.abs(x._data * 2 + 1 - 1.0) < 0.05] += 0.1  # and from gt_'s jump (zero gradient either side)
    x._data[np.abs(x._data - 1.5) < 0.05] += 0.1  # and from lt_'s, where y = y / 2 + 2
    check(backend_name, changed_in_place(change), x)


def test_value_forms_bump_the_version_and_write_in_the_tensors_dtype():
    x = fastgrad.tensor([[1.5, -2.0], [0.5, 3.0]])
    view = x[0]
    assert x.gt_(1.0) is x and x.tolist() == [[1.0, 0.0], [0.0, 1.0]] and x.dtype == fastgrad.float32
    assert x._version == view._version == 1
    ints = fastgrad.tensor([5, 8, -3])
    ints.bitwise_and_(6).logical_not_()
    assert ints.tolist() == [0, 1, 0] and ints.dtype == fastgrad.int64 and ints._version == 2


def test_view_forms_change_the_shape_of_the_memory_they_view():
    x = fastgrad.arange(6.0).reshape(2, 3)
    memory = x.numpy()
    assert x.t_() is x and x.shape == (3, 2) and np.shares_memory(x.numpy(), memory) and x._version == 1
    x.unsqueeze_(1).squeeze_(0)  # squeeze of a dim that is not 1 changes nothing
    assert x.shape == (3, 1, 2) and x._version == 3
    x.swapdims_(0, 2).swapaxes_(0, 1).squeeze_()
    assert x.shape == (2, 3) and x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    with fastgrad.no_grad():  # a leaf that requires grad may change under no_grad, as in PyTorch
        w = fastgrad.ones(2, 3, requires_grad=True)
        assert w.t_().shape == (3, 2)


@pytest.mark.parametrize("change", [lambda t: t.sin_(), lambda t: t.lt_(0), lambda t: t.cumprod_(0),
                                    lambda t: t.t_(), lambda t: t.unsqueeze_(0), lambda t: t.fix_()])
def test_a_leaf_that_requires_grad_is_refused(change):
    w = fastgrad.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad is being used in an in-place operation"):
        change(w)
    assert w.shape == (2, 2) and w._version == 0 and w.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_a_result_the_dtype_cannot_hold_is_refused_before_writing():
    x = fastgrad.tensor([1, 2])
    with pytest.raises(RuntimeError, match="sin_: result type float32 can't be cast to the desired output type int64"):
        x.sin_()
    with pytest.raises(RuntimeError, match="clamp_min_: result type float32 can't be cast"):
        x.clamp_min_(0.5)
    flags = fastgrad.tensor([True, False])
    with pytest.raises(RuntimeError, match="square_: result type int64 can't be cast to the desired output type bool"):
        flags.square_()
    assert x.tolist() == [1, 2] and x._version == 0 and flags._version == 0
    with pytest.raises(RuntimeError, match="output with shape \\(2,\\) doesn't match the broadcast shape \\(2, 2\\)"):
        fastgrad.tensor([1.0, 2.0]).atan2_(fastgrad.ones(2, 2))


def test_gradients_for_only_some_inputs_follow_an_operand_computed_from_the_changed_tensor():
    """y.mul_(y * 0.5 + 2) with y = 2x + 1: d(sum y)/dx = 2 (2 y0 + 2) through both factors. autograd.grad prunes
    the graph to the paths that reach x: the factor's path reaches x through y's history before the change (it
    was dropped, giving 2 (0.5 y0 + 2) = 5.6 at x = 0.3)."""
    x = fastgrad.tensor([0.3], dtype=fastgrad.float64, requires_grad=True)
    y = x * 2 + 1
    y.mul_(y * 0.5 + 2)
    (gradient,) = fastgrad.autograd.grad(y.sum(), [x])
    np.testing.assert_allclose(gradient.numpy(), [2 * (1.6 + 2)])
    x.grad = None
    y = x * 2 + 1
    y.hypot_(y * 0.5 + 2)
    y.sum().backward(inputs=[x])
    y0 = 1.6
    np.testing.assert_allclose(x.grad.numpy(), [2 * (y0 + (0.5 * y0 + 2) * 0.5) / np.hypot(y0, 0.5 * y0 + 2)])


def test_a_view_form_on_a_view_is_recorded():
    x = fastgrad.ones(2, 3, requires_grad=True)
    y = x * 2
    row = y[0]
    row.unsqueeze_(0)  # (refused before: fastgrad recorded no in-place change of a view)
    assert row.shape == (1, 3) and row._base is y
    (row * fastgrad.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert x.grad.tolist() == [[2.0, 4.0, 6.0], [0.0] * 3]
    plain = fastgrad.ones(2, 3)[0]
    assert plain.unsqueeze_(0).shape == (1, 3)


def test_an_in_place_comparison_keeps_its_operands_in_the_graph_with_zero_gradients():
    """As PyTorch's x.lt_(other): a fresh x requires grad afterwards, and other's gradient is zero (it was None)."""
    other = fastgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = fastgrad.tensor([1.5, 2.0, 2.5])
    x.lt_(other)
    assert x.requires_grad and x.tolist() == [0.0, 0.0, 1.0]
    (x * 2).sum().backward()
    assert other.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("compare", [lambda x, o: x.lt_(o), lambda x, o: x.lt(o), lambda x, o: x < o])
def test_a_comparison_with_an_operand_that_does_not_broadcast_names_both_shapes(compare):
    with pytest.raises(RuntimeError, match=r"(lt_|less): the size of tensor a \(3\) must match the size of tensor b "
                                           r"\(4\) at non-singleton dimension 0 \(shapes \(3,\), \(4,\) do not broadcast\)"):
        compare(fastgrad.ones(3), fastgrad.ones(4, requires_grad=True))


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_an_in_place_comparison_s_zero_gradient_differentiates_again(backend_name):
    """gradgradcheck through ZeroDerivative: its recorded backward gives zero gradients that take part in a graph."""
    def fn(x, other):
        y = x * 1
        y.lt_(other)
        return y * x + other ** 2

    x, other = leaf((2, 3), 1), leaf((2, 3), 2)
    with fastgrad.backend(backend_name):
        assert fastgrad.autograd.gradgradcheck(fn, (x, other))
