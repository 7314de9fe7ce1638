import numpy as np
import pytest

import fastgrad
from fastgrad import nn


@pytest.fixture
def norm_layer_parity():
    """`check(name, shape, options, dtype)`: a normalization layer nn.<name>(3, **options) against PyTorch's over
    three training steps (outputs, gradients of the input, running statistics, parameter gradients, state_dict
    keys, printout), then in evaluation. With affine_away_from_identity, PyTorch's weight and bias are drawn away
    from 1 and 0 first (and loaded into ours), so that the affine's part shows."""
    torch = pytest.importorskip("torch")

    def check(name, shape, options, dtype, affine_away_from_identity=False):
        ours = getattr(nn, name)(3, dtype=fastgrad.float32 if dtype == np.float32 else fastgrad.float64, **options)
        theirs = getattr(torch.nn, name)(3, dtype=torch.float32 if dtype == np.float32 else torch.float64, **options)
        tolerance = 2e-5 if dtype == np.float32 else 1e-11
        rng = np.random.default_rng(0)
        if affine_away_from_identity and theirs.affine:
            with torch.no_grad():
                theirs.weight.uniform_(0.5, 1.5), theirs.bias.uniform_(-1, 1)
            ours.load_state_dict({key: fastgrad.tensor(value.detach().numpy())
                                  for key, value in theirs.state_dict().items()})
        for step in range(3):
            x = rng.normal(2.0, 3.0, shape).astype(dtype)
            upstream = rng.normal(size=shape).astype(dtype)
            mine, torchs = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            out_ours, out_theirs = ours(mine), theirs(torchs)
            np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=tolerance,
                                       atol=tolerance)
            (out_ours * fastgrad.tensor(upstream)).sum().backward()
            (out_theirs * torch.tensor(upstream)).sum().backward()
            np.testing.assert_allclose(mine.grad.numpy(), torchs.grad.numpy(), rtol=tolerance, atol=tolerance)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key].detach().numpy(), value.detach().numpy(), rtol=tolerance,
                                       atol=tolerance,
                                       err_msg=key)
        for (key, param), (their_key, their_param) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert key == their_key
            np.testing.assert_allclose(param.grad.numpy(), their_param.grad.numpy(), rtol=tolerance, atol=tolerance)
        assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
        ours.eval(), theirs.eval()
        x = rng.normal(size=shape).astype(dtype)
        np.testing.assert_allclose(ours(fastgrad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=tolerance, atol=tolerance)

    return check


@pytest.fixture
def torch_parity():
    """`check(ours, theirs, *arrays, dtype=np.float64)`: ours(*fastgrad leaves) and theirs(*torch leaves) on the
    same values give one shape, dtype and values (tuples of outputs compared one by one, integer ones exactly),
    and the same gradients of every leaf for one random upstream gradient of the first output."""
    torch = pytest.importorskip("torch")

    def check(ours, theirs, *arrays, dtype=np.float64):
        tolerance = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
        our_leaves = [fastgrad.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
        their_leaves = [torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
        our_outs, their_outs = ours(*our_leaves), theirs(*their_leaves)
        if not isinstance(our_outs, tuple):
            our_outs, their_outs = (our_outs,), (their_outs,)
        assert len(our_outs) == len(their_outs)
        for mine, reference in zip(our_outs, their_outs):
            assert mine.shape == tuple(reference.shape)
            assert mine.dtype == np.dtype(str(reference.dtype).removeprefix("torch."))
            np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), **tolerance)
        upstream = np.random.default_rng(0).standard_normal(our_outs[0].shape).astype(dtype)
        (our_outs[0] * fastgrad.tensor(upstream)).sum().backward()
        (their_outs[0] * torch.tensor(upstream)).sum().backward()
        for index, (mine, reference) in enumerate(zip(our_leaves, their_leaves)):
            mine = np.zeros(mine.shape) if mine.grad is None else mine.grad.numpy()
            reference = np.zeros(mine.shape) if reference.grad is None else reference.grad.numpy()
            np.testing.assert_allclose(mine, reference, err_msg=f"gradient of input {index}", **tolerance)

    return check
