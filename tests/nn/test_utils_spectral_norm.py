"""The hook-based nn.utils.spectral_norm without PyTorch: the parts it registers, sigma, removal, errors."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
from fastgrad.nn.utils import remove_spectral_norm, spectral_norm


def test_the_weight_tends_to_spectral_norm_one_in_training_and_stays_in_eval():
    fastgrad.manual_seed(0)
    layer = spectral_norm(nn.Linear(5, 4).double(), n_power_iterations=3)
    assert [name for name, _ in layer.named_parameters()] == ["bias", "weight_orig"]
    assert [name for name, _ in layer.named_buffers()] == ["weight_u", "weight_v"]
    x = fastgrad.ones(1, 5, dtype=fastgrad.float64)
    for _ in range(10):
        layer(x)
    assert np.linalg.svd(layer.weight.detach().numpy(), compute_uv=False)[0] == pytest.approx(1.0, rel=1e-8)
    u = layer.weight_u.numpy().copy()
    layer.eval()(x)
    np.testing.assert_array_equal(layer.weight_u.numpy(), u)
    remove_spectral_norm(layer)
    assert [name for name, _ in layer.named_parameters()] == ["bias", "weight"] and not layer._hooks
    assert not hasattr(layer, "weight_u") and not hasattr(layer, "weight_orig")


def test_errors():
    layer = spectral_norm(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the same parameter weight"):
        spectral_norm(layer)
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found in Linear"):
        remove_spectral_norm(layer, "bias")
    with pytest.raises(KeyError, match="foo"):
        spectral_norm(nn.Linear(2, 2), name="foo")
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=-1"):
        spectral_norm(nn.Linear(2, 2), n_power_iterations=-1)
