"""Small tensor methods (cov, corrcoef, diagflat, sum_to_size, index_put, fill_diagonal_, where, the dtype
conversions and the memory questions): gradcheck over hypothesis shapes on every backend, and the refusals."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
up_to_2_dims = array_shapes(min_dims=1, max_dims=2, min_side=2, max_side=5)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=up_to_2_dims, seed=st.integers(0, 2**16), correction=st.integers(0, 1))
def test_cov_and_corrcoef_gradcheck(backend_name, shape, seed, correction):
    x = leaf(shape, seed)
    observations = shape[-1]
    aweights = leaf((observations,), seed + 1, 0.5, 2.0)
    fweights = fastgrad.tensor(np.arange(observations) % 3 + 1)
    check(backend_name, lambda x: x.cov(correction=correction), x)
    check(backend_name, lambda x, w: fastgrad.cov(x, correction=correction, fweights=fweights, aweights=w), x, aweights)
    if observations > 2:  # (two observations correlate perfectly: the coefficients sit on the limit +-1)
        check(backend_name, lambda x: x.corrcoef(), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), seed=st.integers(0, 2**16),
       offset=st.integers(-2, 2), data=st.data())
def test_diagflat_sum_to_size_and_where_gradcheck(backend_name, shape, seed, offset, data):
    x = leaf(shape, seed)
    check(backend_name, lambda x: fastgrad.diagflat(x, offset), x)
    size = tuple(data.draw(st.sampled_from([1, n])) for n in shape[data.draw(st.integers(0, len(shape))):])
    check(backend_name, lambda x: x.sum_to_size(size), x)
    condition = fastgrad.tensor(np.random.default_rng(seed).random(shape) < 0.5)
    check(backend_name, lambda x, y: x.where(condition, y), x, leaf(shape[1:], seed + 1))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(rows=st.integers(2, 6), columns=st.integers(2, 4), seed=st.integers(0, 2**16), wrap=st.booleans(),
       accumulate=st.booleans())
def test_fill_diagonal_and_index_put_gradcheck(backend_name, rows, columns, seed, wrap, accumulate):
    x = leaf((rows, columns), seed)
    check(backend_name, lambda x: (x * 2).fill_diagonal_(0.5, wrap=wrap) * x, x)
    # repeated positions add up with accumulate; without, which write wins is unspecified (PyTorch's too)
    indices = (fastgrad.tensor([0, rows - 1, 0 if accumulate else 1]), fastgrad.tensor([1, 0, 1]))
    values = leaf((3,), seed + 1) if accumulate else leaf((1,), seed + 1)
    check(backend_name, lambda x, v: x.index_put(indices, v, accumulate=accumulate), x, values)


def test_fill_diagonal_of_a_leaf_that_requires_grad_is_refused_and_a_plain_one_filled():
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        fastgrad.ones(2, 2, requires_grad=True).fill_diagonal_(0)
    x = fastgrad.zeros(2, 3)
    assert x.fill_diagonal_(2.5) is x and x.tolist() == [[2.5, 0, 0], [0, 2.5, 0]] and x._version == 1
    with pytest.raises(RuntimeError, match="fill_diagonal_: expected a tensor with at least 2 dims, got shape"):
        fastgrad.zeros(3).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="all dims of the tensor must have one size, got shape \\(2, 3, 3\\)"):
        fastgrad.zeros(2, 3, 3).fill_diagonal_(1)


def test_index_put_leaves_self_unchanged():
    x = fastgrad.zeros(3)
    y = x.index_put((fastgrad.tensor([0, 0]),), fastgrad.tensor(1.0), accumulate=True)
    assert y.tolist() == [2.0, 0.0, 0.0] and x.tolist() == [0.0, 0.0, 0.0] and x._version == 0
    with pytest.raises(TypeError, match="index_put_: indices must be a tuple of tensors, got Tensor"):
        x.index_put(fastgrad.tensor([0]), 1.0)


def test_cov_refuses_bad_inputs_and_weights():
    x = fastgrad.ones(2, 3)
    with pytest.raises(RuntimeError, match="expected input to have two or fewer dimensions but got an input with 3"):
        fastgrad.ones(2, 2, 2).cov()
    with pytest.raises(RuntimeError, match="expected fweights to have integral dtype but got fweights with dtype "
                                           "float32"):
        x.cov(fweights=fastgrad.ones(3))
    with pytest.raises(RuntimeError, match="expected aweights to have floating point dtype but got aweights with "
                                           "dtype int64"):
        x.cov(aweights=fastgrad.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError, match="fweights cannot be negative"):
        x.cov(fweights=fastgrad.tensor([1, -2, 3]))
    with pytest.raises(RuntimeError, match="aweights cannot be negative"):
        x.cov(aweights=fastgrad.tensor([1.0, -2.0, 3.0]))
    with pytest.raises(RuntimeError, match="expected fweights to be a scalar or 1-D tensor with 3 elements .* "
                                           "shape \\(2,\\)"):
        x.cov(fweights=fastgrad.tensor([1, 2]))
    with pytest.raises(TypeError, match="cov\\(\\): aweights must be a Tensor, got list"):
        x.cov(aweights=[1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="cov: correction must be an int"):
        x.cov(correction=0.5)
    with pytest.raises(TypeError, match="cov\\(\\): input must be a Tensor, got list"):
        fastgrad.cov([[1.0, 2.0]])


def test_cov_and_corrcoef_values():
    x = fastgrad.tensor([[1, 2, 4], [3, 5, 9]])
    np.testing.assert_allclose(x.cov().numpy(), [[7 / 3, 14 / 3], [14 / 3, 28 / 3]], rtol=1e-6)
    assert x.cov().dtype == fastgrad.float32
    np.testing.assert_allclose(x.corrcoef().numpy(), np.ones((2, 2)), rtol=1e-6)
    assert fastgrad.cov(fastgrad.tensor([1.0, 2.0, 4.0])).shape == ()


def test_sum_to_size_refuses_sizes_that_do_not_expand():
    with pytest.raises(RuntimeError, match="sum_to_size: size \\[2\\] is not expandable to the tensor's "
                                           "shape \\[2, 3\\]"):
        fastgrad.ones(2, 3).sum_to_size(2)
    x = fastgrad.ones(2, 3)
    assert x.sum_to_size(2, 3) is x and x.sum_to_size(1, 1).tolist() == [[6.0]]


def test_dtypes_fastgrad_does_not_have_are_refused():
    for name in ("half", "bfloat16"):
        with pytest.raises(TypeError, match=f"{name}: fastgrad has no .* float32 and float64"):
            getattr(fastgrad.ones(2), name)()
    assert fastgrad.tensor([1.5, 200.0]).byte().tolist() == [1, 200]
    assert fastgrad.tensor([-1.5, 100.0]).char().dtype == np.int8
    assert fastgrad.tensor([70000]).short().tolist() == [70000 - 65536]


def test_memory_questions_and_the_refused_memory_moves():
    x = fastgrad.zeros(2, 3)
    assert x.is_cpu and x.get_device() == -1 and x.layout is fastgrad.strided and repr(x.layout) == "fastgrad.strided"
    assert not x.is_pinned() and not x.is_shared() and x.data_ptr() == x.numpy().ctypes.data
    with pytest.raises(RuntimeError, match="pin_memory: .* CPU only"):
        x.pin_memory()
    with pytest.raises(RuntimeError, match="share_memory_: fastgrad cannot move a tensor's memory"):
        x.share_memory_()


def test_questions_refuse_what_is_not_a_tensor_or_has_other_than_one_element():
    with pytest.raises(TypeError, match="is_same_size: other must be a Tensor, got list"):
        fastgrad.ones(2).is_same_size([1.0, 1.0])
    with pytest.raises(RuntimeError, match="is_nonzero: Boolean value of Tensor with no values is ambiguous"):
        fastgrad.zeros(0).is_nonzero()
    with pytest.raises(RuntimeError, match="more than one value is ambiguous \\(shape \\(2,\\)\\)"):
        fastgrad.is_nonzero(fastgrad.zeros(2))
    assert fastgrad.tensor([[float("nan")]]).is_nonzero() and not fastgrad.tensor(0).is_nonzero()
    assert not fastgrad.tensor([True]).is_signed() and not fastgrad.ones(1).byte().is_signed()
    assert fastgrad.ones(1).is_signed() and not fastgrad.is_complex(fastgrad.ones(1))
