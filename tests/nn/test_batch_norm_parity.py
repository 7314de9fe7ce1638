"""BatchNorm1d/2d/3d and F.batch_norm against PyTorch: outputs, gradients of the input and parameters,
running statistics over several training steps (momentum and the cumulative average), evaluation with
the running statistics, state_dict keys and printouts."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn

torch = pytest.importorskip("torch")

SHAPES = {"BatchNorm1d": [(6, 3), (4, 3, 5)], "BatchNorm2d": [(3, 3, 2, 4)], "BatchNorm3d": [(2, 3, 2, 2, 3)]}
CASES = [(name, shape) for name, shapes in SHAPES.items() for shape in shapes]


@pytest.mark.parametrize("name, shape", CASES)
@pytest.mark.parametrize("options", [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False},
                                     {"bias": False, "momentum": 0.3, "eps": 1e-3}])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_then_evaluation_matches(name, shape, options, dtype, norm_layer_parity):
    norm_layer_parity(name, shape, options, dtype)


def test_a_pytorch_state_dict_loads_and_evaluates_the_same():
    theirs = torch.nn.BatchNorm1d(4)
    theirs(torch.randn(8, 4) * 3 + 1)
    theirs.eval()
    ours = nn.BatchNorm1d(4)
    ours.load_state_dict({key: fastgrad.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()})
    ours.eval()
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(fastgrad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6)


def test_functional_batch_norm_matches():
    x = np.random.default_rng(2).normal(size=(5, 3, 4))
    stats = [np.zeros(3), np.ones(3)]
    ours = F.batch_norm(fastgrad.tensor(x), *[fastgrad.tensor(s.copy()) for s in stats], training=True, momentum=0.2)
    theirs_stats = [torch.tensor(s.copy()) for s in stats]
    theirs = torch.nn.functional.batch_norm(torch.tensor(x), *theirs_stats, training=True, momentum=0.2)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    evaluated = F.batch_norm(fastgrad.tensor(x), fastgrad.tensor(np.full(3, 0.5)), fastgrad.tensor(np.full(3, 2.0)))
    reference = torch.nn.functional.batch_norm(torch.tensor(x), torch.full((3,), 0.5, dtype=torch.float64),
                                               torch.full((3,), 2.0, dtype=torch.float64))
    np.testing.assert_allclose(evaluated.detach().numpy(), reference.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("make", [lambda nn_, t: nn_.BatchNorm1d(3)(t.ones(1, 3)),
                                  lambda nn_, t: nn_.BatchNorm1d(3)(t.ones(2, 3, 4, 5)),
                                  lambda nn_, t: nn_.BatchNorm2d(3)(t.ones(2, 3))])
def test_both_refuse_the_same_inputs(make):
    with pytest.raises(ValueError):
        make(torch.nn, torch)
    with pytest.raises(ValueError):
        make(nn, fastgrad)
