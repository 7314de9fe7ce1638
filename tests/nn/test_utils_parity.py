"""nn.utils' gradient clipping against torch.nn.utils: the total norm returned and the gradients left."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
from fastgrad.nn.utils import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch")

GRADS = [np.array([[0.5, -3.0], [2.0, 0.25]]), np.array([4.0, -0.125, 1.0]), np.array(-6.0)]


def clipped(library, grads, clip, **kwargs):
    params = []
    for g in grads:
        param = library.tensor(np.zeros(np.shape(g)), requires_grad=True)
        param.grad = library.tensor(np.array(g, dtype=np.float64))
        params.append(param)
    total = clip(params, **kwargs)
    return (None if total is None else float(total)), [param.grad.numpy() for param in params]


def assert_same_clipping(clip_pair, grads, **kwargs):
    (fastgrad_total, fastgrad_grads), (torch_total, torch_grads) = (
        clipped(library, grads, clip, **kwargs) for library, clip in zip((fastgrad, torch), clip_pair))
    assert (fastgrad_total is None) == (torch_total is None)
    if torch_total is not None:
        np.testing.assert_allclose(fastgrad_total, torch_total, rtol=1e-12)
    for mine, theirs in zip(fastgrad_grads, torch_grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


@pytest.mark.parametrize("foreach", [None, False, True])
def test_clip_grad_norm_and_value_accept_foreach(foreach):
    assert_same_clipping((clip_grad_norm_, torch.nn.utils.clip_grad_norm_), GRADS, max_norm=1.0, foreach=foreach)
    assert_same_clipping((clip_grad_value_, torch.nn.utils.clip_grad_value_), GRADS, clip_value=1.0, foreach=foreach)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [1.0, 1e6])
def test_clip_grad_norm_of_a_nan_gradient_is_nan_and_spreads_as_pytorchs(norm_type, max_norm):
    # the NaN stands after a finite gradient, where Python's max would skip it
    grads = GRADS[:2] + [np.array([np.nan, 1.0])]
    assert_same_clipping((clip_grad_norm_, torch.nn.utils.clip_grad_norm_), grads, max_norm=max_norm,
                         norm_type=norm_type)


@pytest.mark.parametrize("norm_type", [0, 0.5, -1.0, -2.5, float("-inf"), 1.0, 3.0, float("inf")])
def test_clip_grad_norm_of_every_order(norm_type):
    grads = GRADS + [np.zeros(2)]  # order 0 counts the gradients with a nonzero element: 3, not 10
    for max_norm in (0.5, 1e6):
        assert_same_clipping((clip_grad_norm_, torch.nn.utils.clip_grad_norm_), grads, max_norm=max_norm,
                             norm_type=norm_type)
