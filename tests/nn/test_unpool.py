"""F.max_pool1d/2d_with_indices and F.max_unpool1d/2d without PyTorch: gradcheck over hypothesis shapes on every
backend, unpooling as max pooling's partial inverse, and the arguments refused."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from fastgrad.testing import check_gradients as check

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)), stride=st.tuples(st.integers(1, 3), st.integers(1, 2)),
       batched=st.booleans(), seed=st.integers(0, 2**16))
def test_gradcheck(backend_name, kernel, stride, batched, seed):
    image = np.random.default_rng(seed).permutation(2 * 2 * 6 * 5).reshape(2, 2, 6, 5) * 0.1  # no ties
    image = image if batched else image[0]
    padding = (kernel[0] // 2, kernel[1] // 2)
    check(backend_name, lambda x: F.max_pool2d_with_indices(x, kernel, stride, padding)[0],
          fastgrad.tensor(image, requires_grad=True))
    # windows that do not overlap: no index repeats (a repeated one's gradient is PyTorch's, not a derivative)
    pooled, indices = F.max_pool2d_with_indices(fastgrad.tensor(image), kernel)
    check(backend_name, lambda x: F.max_unpool2d(x, indices, kernel, output_size=image.shape[-2:]),
          pooled.requires_grad_())
    pooled, indices = F.max_pool1d_with_indices(fastgrad.tensor(image[..., 0]), kernel[0])
    check(backend_name, lambda x: F.max_unpool1d(x, indices, kernel[0]), pooled.requires_grad_())


def test_unpooling_puts_the_maxima_back():
    x = fastgrad.tensor([[[1.0, 5.0, 2.0, 3.0, 4.0, 0.0, 9.0]]])
    values, indices = F.max_pool1d_with_indices(x, 2, return_indices=False)  # a tuple whatever return_indices says
    assert indices.tolist() == [[[1, 3, 4]]]
    assert F.max_unpool1d(values, indices, 2).tolist() == [[[0.0, 5.0, 0.0, 3.0, 4.0, 0.0]]]
    assert F.max_unpool1d(values, indices, 2, output_size=(7,)).tolist() == [[[0.0, 5.0, 0.0, 3.0, 4.0, 0.0, 0.0]]]
    assert F.max_unpool1d(values, indices, 2, output_size=[1, 1, 5]).shape == (1, 1, 5)
    repeated = fastgrad.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    out = F.max_unpool1d(repeated, fastgrad.tensor([[[0, 0, 1]]]), 2)
    assert out.tolist() == [[[2.0, 3.0, 0.0, 0.0, 0.0, 0.0]]]  # a repeated index keeps the last value
    out.backward(fastgrad.tensor([[[10.0, 20.0, 30.0, 40.0, 50.0, 60.0]]]))
    assert repeated.grad.tolist() == [[[10.0, 10.0, 20.0]]]  # each gets the gradient at its index, as PyTorch's
    image = fastgrad.arange(16.0).reshape(1, 4, 4)
    unpool = nn.MaxUnpool2d(2)
    assert repr(unpool) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    restored = unpool(*F.max_pool2d_with_indices(image, 2))
    assert restored.tolist() == [[[0.0] * 4, [0.0, 5.0, 0.0, 7.0], [0.0] * 4, [0.0, 13.0, 0.0, 15.0]]]
    assert nn.MaxUnpool1d(2)(fastgrad.ones(1, 2), fastgrad.tensor([[0, 4]]), output_size=(5,)).shape == (1, 5)


def test_bad_arguments():
    values, indices = F.max_pool1d_with_indices(fastgrad.ones(1, 2, 6), 2)
    cases = [
        (lambda: F.max_unpool1d(values, indices + 5, 2), RuntimeError,
         r"max_unpool1d: index 7 is outside the output's 6 positions \(sizes \(6,\)\)"),
        (lambda: F.max_unpool1d(values, indices - 5, 2), RuntimeError, "max_unpool1d: index -5 is outside"),
        (lambda: F.max_unpool1d(values, indices.float(), 2), RuntimeError,
         "max_unpool1d: indices must be an int64 tensor, got float32"),
        (lambda: F.max_unpool1d(values, indices.int(), 2), RuntimeError, "got int32"),
        (lambda: F.max_unpool1d(values, [0, 1], 2), TypeError, "indices must be an int64 tensor, got list"),
        (lambda: F.max_unpool1d(values, indices[..., :2], 2), RuntimeError,
         r"indices must have the input's shape \(1, 2, 3\), got \(1, 2, 2\)"),
        (lambda: F.max_unpool1d(values, indices, 2, output_size=(9,)), ValueError,
         r"invalid output_size \(9,\) \(dim 0 must be between 4 and 8, exclusive\)"),
        (lambda: F.max_unpool1d(values, indices, 2, output_size=(1, 9)), ValueError,
         r"output_size must have 1 or 3 elements, got \(1, 9\)"),
        (lambda: F.max_unpool1d(values, indices, 2, output_size=7), TypeError, "output_size must be a tuple of ints"),
        (lambda: F.max_unpool1d(values.long(), indices, 2), NotImplementedError, "expected a floating point input"),
        (lambda: F.max_unpool2d(values[0], indices[0], 2), RuntimeError, r"max_unpool2d: expected a 3-D \(C, H, W\)"),
        (lambda: F.max_unpool1d(values, indices, 0), RuntimeError, "max_unpool1d: kernel_size must be at least 1, got 0"),
        (lambda: F.max_unpool1d(values, indices, 2, padding=4), ValueError,
         r"the output size must not be negative, got -2 in dim 0"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()
