"""nn.LazyLinear, nn.UninitializedParameter and nn.UninitializedBuffer against PyTorch's: printouts before and
after the first forward, inferred shapes and dtypes, outputs and gradients once the values agree, state dicts
both ways, and what raises before the first forward."""
import numpy as np
import pytest

import fastgrad
from fastgrad import nn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("out, bias, shape", [(3, True, (2, 5)), (2, False, (4,)), (1, True, (2, 3, 4))])
def test_first_forward(torch_parity, out, bias, shape):
    ours, theirs = nn.LazyLinear(out, bias=bias), torch.nn.LazyLinear(out, bias=bias)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [repr(v) for v in ours.state_dict().values()] == [repr(v) for v in theirs.state_dict().values()]
    x = np.random.default_rng(0).standard_normal(shape)
    ours(fastgrad.tensor(x, dtype=fastgrad.float32)), theirs(torch.tensor(x, dtype=torch.float32))
    assert repr(ours) == repr(theirs) and type(ours).__name__ == type(theirs).__name__ == "Linear"
    assert ours.weight.shape == tuple(theirs.weight.shape) and type(ours.weight).__name__ == "Parameter"
    ours.load_state_dict({key: fastgrad.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    torch_parity(ours, theirs, x, dtype=np.float32)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtypes(dtype):
    ours, theirs = nn.LazyLinear(2, dtype=getattr(fastgrad, dtype)), torch.nn.LazyLinear(2, dtype=getattr(torch, dtype))
    assert str(ours.weight.dtype) == str(theirs.weight.dtype).removeprefix("torch.")
    assert str(ours.double().weight.dtype) == str(theirs.double().weight.dtype).removeprefix("torch.")
    ours(fastgrad.ones(1, 3, dtype=fastgrad.float64)), theirs(torch.ones(1, 3, dtype=torch.float64))
    assert str(ours.weight.dtype) == str(theirs.weight.dtype).removeprefix("torch.") == "float64"
    ours, theirs = nn.LazyLinear(2), torch.nn.LazyLinear(2)
    with pytest.raises(RuntimeError):
        ours(fastgrad.ones(1, 3, dtype=fastgrad.float64))
    with pytest.raises(RuntimeError):
        theirs(torch.ones(1, 3, dtype=torch.float64))


def test_state_dicts():
    trained = torch.nn.Linear(4, 3)
    saved = {key: fastgrad.tensor(value.detach().numpy()) for key, value in trained.state_dict().items()}
    ours, theirs = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    ours.load_state_dict(saved), theirs.load_state_dict(trained.state_dict())
    assert repr(ours) == repr(theirs) and ours.weight.shape == tuple(theirs.weight.shape)
    x = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(fastgrad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6)
    assert repr(ours) == repr(theirs)
    for library in (fastgrad, torch):
        with pytest.raises(RuntimeError):
            library.nn.Linear(4, 3).load_state_dict(library.nn.LazyLinear(3).state_dict())
        still_lazy = library.nn.LazyLinear(3)
        still_lazy.load_state_dict(library.nn.LazyLinear(3).state_dict())
        assert repr(still_lazy.weight) == "<UninitializedParameter>"


def test_uninitialized_tensors_and_what_raises():
    for library in (fastgrad, torch):
        parameter, buffer = library.nn.UninitializedParameter(), library.nn.UninitializedBuffer()
        assert (repr(parameter), repr(buffer)) == ("<UninitializedParameter>", "<UninitializedBuffer>")
        assert parameter.requires_grad and not buffer.requires_grad
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
            parameter.shape
        for use in (lambda: parameter + 1, lambda: parameter.numel(), lambda: parameter.sum()):
            with pytest.raises((ValueError, RuntimeError)):
                use()
        with pytest.raises((ValueError, RuntimeError)):
            library.optim.Adagrad(library.nn.LazyLinear(2).parameters())
        parameter.materialize((2, 3))
        assert type(parameter).__name__ == "Parameter" and tuple(parameter.shape) == (2, 3)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "RMSprop"])
def test_optimizer_built_before_the_first_forward(optimizer):
    x = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    ours, theirs = nn.LazyLinear(2), torch.nn.LazyLinear(2)
    our_step = getattr(fastgrad.optim, optimizer)(ours.parameters(), lr=0.1)
    their_step = getattr(torch.optim, optimizer)(theirs.parameters(), lr=0.1)
    ours(fastgrad.tensor(x)), theirs(torch.tensor(x))
    ours.load_state_dict({key: fastgrad.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    for _ in range(2):
        our_step.zero_grad(), their_step.zero_grad()
        ours(fastgrad.tensor(x)).square().sum().backward()
        theirs(torch.tensor(x)).square().sum().backward()
        our_step.step(), their_step.step()
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
