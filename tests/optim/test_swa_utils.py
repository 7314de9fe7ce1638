"""optim.swa_utils on its own: what the averaged copy shares with the model, update_bn on models without
BatchNorm and after a failing batch, and the averages of known weights."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
from fastgrad.optim import swa_utils


def test_averaged_model_is_a_copy_and_averages_equally():
    model = nn.Linear(2, 1)
    averaged = swa_utils.AveragedModel(model)
    assert averaged.module.weight is not model.weight
    seen = []
    for value in (1.0, 2.0, 6.0):
        with fastgrad.no_grad():
            model.weight.fill_(value)
        averaged.update_parameters(model)
        seen.append(averaged.module.weight.detach().numpy().copy())
    np.testing.assert_allclose(np.array(seen)[:, 0, 0], [1.0, 1.5, 3.0])
    assert int(averaged.n_averaged) == 3
    assert averaged.module.weight.requires_grad and averaged.module.weight.grad_fn is None


def test_ema_weights_the_newest_model_by_one_minus_decay():
    model = nn.Linear(1, 1, bias=False)
    averaged = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.75))
    for value in (4.0, 8.0, 0.0):
        with fastgrad.no_grad():
            model.weight.fill_(value)
        averaged.update_parameters(model)
    assert averaged.module.weight.item() == pytest.approx((4.0 * 0.75 + 8.0 * 0.25) * 0.75)


def test_update_bn_leaves_a_model_without_batch_norm_alone():
    model = nn.Sequential(nn.Linear(2, 2), nn.InstanceNorm1d(2, track_running_stats=True)).eval()
    before = {name: value.numpy().copy() for name, value in model.state_dict().items()}
    swa_utils.update_bn([fastgrad.ones(3, 2, 4)], model[1])
    assert not model.training
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[name])


def test_update_bn_restores_momentum_and_mode_when_a_batch_fails():
    model = nn.BatchNorm1d(3, momentum=0.2).eval()
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        swa_utils.update_bn([fastgrad.ones(4, 3), fastgrad.ones(4)], model)
    assert model.momentum == 0.2 and not model.training
