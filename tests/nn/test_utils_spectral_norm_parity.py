"""The hook-based nn.utils.spectral_norm / remove_spectral_norm against PyTorch's: weight_orig, weight_u
and weight_v, sigma and the weight after the same power iterations from the same u and v (train mode
steps, eval mode does not), gradients of weight_orig, state dicts, removal and errors."""
import numpy as np
import pytest

import fastgrad
from fastgrad.nn.utils import convert_torch_state_dict

torch = pytest.importorskip("torch")

LIBRARIES = {"fastgrad": fastgrad, "torch": torch}


def conv_pair(rng):
    values = {"weight": rng.standard_normal((3, 2, 3)), "bias": rng.standard_normal(3)}
    pair = {}
    for name, library in LIBRARIES.items():
        pair[name] = library.nn.Conv1d(2, 3, 3).double()
        pair[name].load_state_dict({k: library.tensor(v) for k, v in values.items()})
    return pair


@pytest.mark.parametrize("n_power_iterations, dim", [(1, None), (4, 1)])
def test_power_iteration_from_the_same_u_and_v(rng, n_power_iterations, dim):
    pair = conv_pair(rng)
    for name, library in LIBRARIES.items():
        library.nn.utils.spectral_norm(pair[name], n_power_iterations=n_power_iterations, dim=dim)
    assert list(pair["fastgrad"].state_dict()) == list(pair["torch"].state_dict()) == \
        ["bias", "weight_orig", "weight_u", "weight_v"]
    # the random start comes from each library's generator: give fastgrad PyTorch's
    pair["fastgrad"].load_state_dict(convert_torch_state_dict(pair["torch"].state_dict()))
    x = rng.standard_normal((2, 2, 5))
    for mode in ("train", "train", "eval"):
        results = {}
        for name, library in LIBRARIES.items():
            module = getattr(pair[name], mode)()
            out = module(library.tensor(x))
            (out * out).sum().backward()
            sigma = module.weight_orig.detach().numpy()[0, 0, 0] / module.weight.detach().numpy()[0, 0, 0]
            results[name] = [out.detach().numpy(), sigma, module.weight_u.numpy().copy(),
                             module.weight_v.numpy().copy(), module.weight_orig.grad.numpy().copy()]
            module.weight_orig.grad = None
        for mine, theirs in zip(results["fastgrad"], results["torch"]):
            np.testing.assert_allclose(mine, theirs, rtol=1e-9)
    for name, library in LIBRARIES.items():
        library.nn.utils.remove_spectral_norm(pair[name])
    assert list(pair["fastgrad"].state_dict()) == list(pair["torch"].state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(pair["fastgrad"].weight.detach().numpy(), pair["torch"].weight.detach().numpy(),
                               rtol=1e-10)


@pytest.mark.parametrize("call", [
    lambda lib, m: (lib.nn.utils.spectral_norm(m), lib.nn.utils.spectral_norm(m)),
    lambda lib, m: lib.nn.utils.remove_spectral_norm(m),
    lambda lib, m: lib.nn.utils.spectral_norm(m, name="foo"),
    lambda lib, m: lib.nn.utils.spectral_norm(m, n_power_iterations=0),
], ids=["twice", "remove_absent", "missing_name", "iterations"])
def test_errors_are_pytorchs(rng, call):
    pair = conv_pair(rng)
    errors = {}
    for name, library in LIBRARIES.items():
        with pytest.raises(Exception) as info:
            call(library, pair[name])
        errors[name] = type(info.value), str(info.value)
    assert errors["fastgrad"] == errors["torch"]


@pytest.mark.parametrize("module", ["ConvTranspose1d", "ConvTranspose2d"])
def test_a_transposed_convolution_is_normalized_along_its_output_dim(module):
    """dim None is 1 for a transposed convolution's (in, out / groups, ...) weight, as PyTorch picks it: u
    then has one value per output channel, and the old hooks and the parametrization both follow it."""
    shapes = {}
    for name, library in LIBRARIES.items():
        hooked = library.nn.utils.spectral_norm(getattr(library.nn, module)(2, 5, 3))
        parametrized = library.nn.utils.parametrizations.spectral_norm(getattr(library.nn, module)(2, 5, 3))
        shapes[name] = (tuple(hooked.weight_u.shape), tuple(parametrized.parametrizations.weight[0]._u.shape))
    assert shapes["fastgrad"] == shapes["torch"] == ((5,), (5,))
