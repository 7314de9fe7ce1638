"""F.pad with negative widths and F.soft_margin_loss with a broadcast target, against torch."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

WIDTHS = [(-2, -2), (-4, 0), (-3, -1), (-5, 1), (1, -5), (2, -5), (0, -4), (-1, -1), (-3, -2)]


def outcome(lib, call):
    try:
        return call(lib).numpy()
    except (RuntimeError, ValueError):
        return "refused"


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate"])
@pytest.mark.parametrize("widths", WIDTHS)
def test_negative_widths_crop_or_are_refused_as_torch(widths, mode):
    def call(lib):
        return lib.nn.functional.pad(lib.arange(12.0).reshape(1, 3, 4), widths, mode=mode)

    expected, got = outcome(torch, call), outcome(fastgrad, call)
    if isinstance(expected, str):
        assert isinstance(got, str), got
    else:
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("target", [[1.0, -1.0, 1.0], [[1.0], [-1.0]], 1.0, [[1.0, -1.0, 1.0]]])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_soft_margin_loss_broadcasts_the_target_to_the_input_as_torch(target, reduction):
    x = [[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]
    ours, theirs = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    loss = fastgrad.nn.functional.soft_margin_loss(ours, fastgrad.tensor(target), reduction=reduction)
    expected = torch.nn.functional.soft_margin_loss(theirs, torch.tensor(target), reduction=reduction)
    np.testing.assert_allclose(loss.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


def test_soft_margin_loss_refuses_a_target_that_would_enlarge_the_input_as_torch():
    for lib in (torch, fastgrad):
        with pytest.raises((RuntimeError, ValueError)):
            lib.nn.functional.soft_margin_loss(lib.tensor([0.5, 1.0]), lib.tensor([[1.0], [-1.0]]))
