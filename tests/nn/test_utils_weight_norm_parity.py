"""The hook-based nn.utils.weight_norm / remove_weight_norm against PyTorch's: weight_g and weight_v,
the weight recomputed before each forward, gradients, state dicts both ways, the deprecation warning."""
import warnings

import numpy as np
import pytest

import fastgrad
from fastgrad.nn.utils import convert_torch_state_dict

torch = pytest.importorskip("torch")

LIBRARIES = {"fastgrad": fastgrad, "torch": torch}


def linear_pair(rng):
    values = {"weight": rng.standard_normal((3, 4)), "bias": rng.standard_normal(3)}
    pair = {}
    for name, library in LIBRARIES.items():
        pair[name] = library.nn.Linear(4, 3).double()
        pair[name].load_state_dict({k: library.tensor(v) for k, v in values.items()})
    return pair


def weight_normed(library, module, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        library.nn.utils.weight_norm(module, **kwargs)
    return [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("dim", [0, 1, None])
def test_values_gradients_state_dict_and_warning(rng, dim):
    pair = linear_pair(rng)
    x = rng.standard_normal((5, 4))
    results = {}
    for name, library in LIBRARIES.items():
        module = pair[name]
        warned = weight_normed(library, module, dim=dim)
        with library.no_grad():
            module.weight_v.mul_(2.0)  # the next forward recomputes weight from g and v
        out = module(library.tensor(x))
        (out * out).sum().backward()
        results[name] = (warned, list(module.state_dict()), [n for n, _ in module.named_parameters()],
                         [out.detach().numpy(), module.weight.detach().numpy(), module.weight_g.grad.numpy(),
                          module.weight_v.grad.numpy(), module.weight_g.detach().numpy()])
    ours, theirs = results["fastgrad"], results["torch"]
    assert ours[:3] == theirs[:3]  # the FutureWarning; ['bias', 'weight_g', 'weight_v']
    for mine, expected in zip(ours[3], theirs[3]):
        np.testing.assert_allclose(mine, expected, rtol=1e-10)


def test_state_dicts_cross_and_removal(rng):
    pair = linear_pair(rng)
    for name, library in LIBRARIES.items():
        weight_normed(library, pair[name])
    with torch.no_grad():
        pair["torch"].weight_g.mul_(0.5)
    pair["fastgrad"].load_state_dict(convert_torch_state_dict(pair["torch"].state_dict()))
    back = torch.nn.Linear(4, 3).double()
    weight_normed(torch, back)
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in pair["fastgrad"].state_dict().items()})
    x = rng.standard_normal((2, 4))
    outs = [pair["fastgrad"](fastgrad.tensor(x)).detach().numpy(), pair["torch"](torch.tensor(x)).detach().numpy(),
            back(torch.tensor(x)).detach().numpy()]
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)
    np.testing.assert_array_equal(outs[1], outs[2])
    for name, library in LIBRARIES.items():
        library.nn.utils.remove_weight_norm(pair[name])
    assert list(pair["fastgrad"].state_dict()) == list(pair["torch"].state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(pair["fastgrad"].weight.detach().numpy(), pair["torch"].weight.detach().numpy(),
                               rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda lib, m: (lib.nn.utils.weight_norm(m), lib.nn.utils.weight_norm(m)),
    lambda lib, m: lib.nn.utils.remove_weight_norm(m),
    lambda lib, m: lib.nn.utils.weight_norm(m, name="foo"),
], ids=["twice", "remove_absent", "missing_name"])
def test_errors_are_pytorchs(rng, call):
    pair = linear_pair(rng)
    errors = {}
    for name, library in LIBRARIES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            with pytest.raises(Exception) as info:
                call(library, pair[name])
        errors[name] = type(info.value), str(info.value)
    assert errors["fastgrad"] == errors["torch"]
