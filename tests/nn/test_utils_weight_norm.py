"""The hook-based nn.utils.weight_norm without PyTorch: the split, the recomputation, removal, errors."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
from fastgrad.nn.utils import remove_weight_norm, weight_norm


def test_g_v_and_the_weight_recomputed_before_each_forward():
    layer = nn.Linear(4, 3).double()
    weight = layer.weight.detach().numpy().copy()
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated in favor of "
                                           "`torch.nn.utils.parametrizations.weight_norm`."):
        weight_norm(layer)
    np.testing.assert_allclose(layer.weight_g.detach().numpy(), np.linalg.norm(weight, axis=1, keepdims=True),
                               rtol=1e-12)
    np.testing.assert_array_equal(layer.weight_v.detach().numpy(), weight)
    with fastgrad.no_grad():
        layer.weight_g.mul_(2.0)
    layer(fastgrad.ones(1, 4, dtype=fastgrad.float64))
    np.testing.assert_allclose(layer.weight.detach().numpy(), 2 * weight, rtol=1e-12)
    remove_weight_norm(layer)
    assert [name for name, _ in layer.named_parameters()] == ["bias", "weight"]
    assert not hasattr(layer, "weight_g") and not layer._hooks
    np.testing.assert_allclose(layer.weight.detach().numpy(), 2 * weight, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_errors():
    layer = weight_norm(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
        weight_norm(layer)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found in Linear"):
        remove_weight_norm(layer, "bias")
    with pytest.raises(AttributeError, match="no attribute 'foo'"):
        weight_norm(nn.Linear(2, 2), name="foo")
