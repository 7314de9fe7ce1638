"""F.pad's negative widths (crops) and F.soft_margin_loss's broadcast target."""
import math

import pytest

import fastgrad
import fastgrad.nn.functional as F


def test_constant_pad_refuses_crops_larger_than_the_dim():
    x = fastgrad.arange(4.0)
    assert F.pad(x, (-3, -1)).shape == (0,) and F.pad(x, (-1, 2)).tolist() == [1.0, 2.0, 3.0, 0.0, 0.0]
    for widths in ((-5, 1), (1, -5), (-3, -2)):
        with pytest.raises(RuntimeError, match="crops more than its size"):
            F.pad(x, widths)


def test_soft_margin_loss_takes_a_target_that_broadcasts_to_the_input():
    x = fastgrad.tensor([[0.0, 2.0], [1.0, -1.0]], dtype=fastgrad.float64, requires_grad=True)
    loss = F.soft_margin_loss(x, fastgrad.tensor([1.0, -1.0], dtype=fastgrad.float64), reduction="none")
    expected = [[math.log(2), math.log1p(math.exp(2))], [math.log1p(math.exp(-1)), math.log1p(math.exp(-1))]]
    assert loss.detach().numpy().round(12).tolist() == [[round(v, 12) for v in row] for row in expected]
    fastgrad.gradcheck(lambda x: F.soft_margin_loss(x, fastgrad.tensor([[1.0], [-1.0]], dtype=fastgrad.float64)), [x])
    with pytest.raises(RuntimeError, match="does not broadcast to the input's shape"):
        F.soft_margin_loss(fastgrad.tensor([0.5, 1.0]), fastgrad.tensor([[1.0], [-1.0]]))
