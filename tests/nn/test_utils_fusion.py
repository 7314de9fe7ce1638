"""nn.utils' BatchNorm folding without PyTorch: the fused Linear computes bn(linear(x)); the errors."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
from fastgrad.nn.utils import fuse_linear_bn_eval, fuse_conv_bn_eval


def test_the_fused_linear_computes_batch_norm_of_the_linear():
    layer, bn = nn.Linear(4, 3).double().eval(), nn.BatchNorm1d(3).double().eval()
    with fastgrad.no_grad():
        bn.running_mean.copy_(fastgrad.tensor([0.5, -1.0, 2.0], dtype=fastgrad.float64))
        bn.running_var.copy_(fastgrad.tensor([0.25, 4.0, 1.0], dtype=fastgrad.float64))
    x = fastgrad.tensor(np.random.default_rng(0).standard_normal((5, 4)))
    np.testing.assert_allclose(fuse_linear_bn_eval(layer, bn)(x).detach().numpy(), bn(layer(x)).detach().numpy(),
                               rtol=1e-12)


def test_errors():
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        fuse_linear_bn_eval(nn.Linear(2, 2), nn.BatchNorm1d(2).eval())
    with pytest.raises(AssertionError, match="linear.out_features == bn.num_features or bn.num_features == 1, got "
                                             "linear.out_features=2 and bn.num_features=3"):
        fuse_linear_bn_eval(nn.Linear(2, 2).eval(), nn.BatchNorm1d(3).eval())
    with pytest.raises(AssertionError, match="bn.running_mean and bn.running_var must not be None"):
        fuse_conv_bn_eval(nn.Conv1d(1, 2, 1).eval(), nn.BatchNorm1d(2, track_running_stats=False).eval())
