"""nn.utils.parametrize against torch.nn.utils.parametrize: the parametrized value and the gradients of
the originals, state-dict keys, PyTorch state dicts loaded as they are, assignment through right_inverse,
chains, removal, and the errors' types and texts."""
import re

import numpy as np
import pytest

import fastgrad
from fastgrad.nn.utils import parametrize

torch = pytest.importorskip("torch")

LIBRARIES = {"fastgrad": fastgrad, "torch": torch}


def parametrizations(library):
    """The same parametrizations written in each library."""
    class Symmetric(library.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(0, 1)

        def right_inverse(self, A):
            return A.triu()

    class Scaled(library.nn.Module):  # no right_inverse: the identity at registration, an error on assignment
        def forward(self, X):
            return 2.0 * X

    class Product(library.nn.Module):  # two originals: original0, original1
        def forward(self, A, B):
            return A * B

        def right_inverse(self, X):
            return X, library.ones_like(X)

    return Symmetric, Scaled, Product


def linear_pair(rng, n=3):
    values = {"weight": rng.standard_normal((n, n)), "bias": rng.standard_normal(n)}
    pair = {}
    for name, library in LIBRARIES.items():
        module = library.nn.Linear(n, n).double()
        module.load_state_dict({k: library.tensor(v) for k, v in values.items()})
        pair[name] = module
    return pair


def as_numpy(tensor):
    return tensor.detach().numpy()


def torch_state_as_numpy(module):
    return {k: v.numpy() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("which", [0, 1, 2], ids=["symmetric", "no_right_inverse", "two_originals"])
def test_parametrized_value_gradients_and_state_dict_keys(rng, which):
    pair = linear_pair(rng)
    x = rng.standard_normal((4, 3))
    results = {}
    for name, library in LIBRARIES.items():
        module = pair[name]
        getattr(library.nn.utils.parametrize, "register_parametrization")(module, "weight",
                                                                         parametrizations(library)[which]())
        out = module(library.tensor(x))
        (out * out).sum().backward()
        originals = module.parametrizations.weight
        names = ["original"] if which < 2 else ["original0", "original1"]
        results[name] = (type(module).__name__, list(module.state_dict()), as_numpy(module.weight), as_numpy(out),
                         [as_numpy(getattr(originals, n).grad) for n in names],
                         [as_numpy(getattr(originals, n)) for n in names])
    ours, theirs = results["fastgrad"], results["torch"]
    assert ours[:2] == theirs[:2]  # "ParametrizedLinear", ['bias', 'parametrizations.weight.original', ...]
    for mine, expected in zip(ours[2:], theirs[2:]):
        np.testing.assert_allclose(mine, expected, rtol=1e-12, atol=1e-12)


def test_a_pytorch_state_dict_loads_and_comes_back(rng):
    pair = linear_pair(rng)
    for name, library in LIBRARIES.items():
        library.nn.utils.parametrize.register_parametrization(pair[name], "weight", parametrizations(library)[0]())
    trained = {k: v + 0.5 for k, v in torch_state_as_numpy(pair["torch"]).items()}
    pair["torch"].load_state_dict({k: torch.tensor(v) for k, v in trained.items()})
    pair["fastgrad"].load_state_dict(fastgrad.nn.utils.convert_torch_state_dict(pair["torch"].state_dict()))
    np.testing.assert_array_equal(as_numpy(pair["fastgrad"].weight), as_numpy(pair["torch"].weight))
    back = torch.nn.Linear(3, 3).double()
    torch.nn.utils.parametrize.register_parametrization(back, "weight", parametrizations(torch)[0]())
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in pair["fastgrad"].state_dict().items()})
    for key, value in torch_state_as_numpy(back).items():
        np.testing.assert_array_equal(value, trained[key])


def test_assignment_goes_through_right_inverse_and_keeps_the_parameter(rng):
    pair = linear_pair(rng)
    target = rng.standard_normal((3, 3))
    results = {}
    for name, library in LIBRARIES.items():
        module = pair[name]
        library.nn.utils.parametrize.register_parametrization(module, "weight", parametrizations(library)[0]())
        original = module.parametrizations.weight.original
        module.weight = library.tensor(target)
        assert module.parametrizations.weight.original is original
        results[name] = as_numpy(original), as_numpy(module.weight)
    for mine, theirs in zip(results["fastgrad"], results["torch"]):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("leave_parametrized", [True, False])
def test_chained_parametrizations_and_their_removal(rng, leave_parametrized):
    pair = linear_pair(rng)
    results = {}
    for name, library in LIBRARIES.items():
        module = pair[name]
        symmetric, scaled, _ = parametrizations(library)
        library.nn.utils.parametrize.register_parametrization(module, "weight", symmetric())
        library.nn.utils.parametrize.register_parametrization(module, "weight", scaled())
        chained = as_numpy(module.weight)
        library.nn.utils.parametrize.remove_parametrizations(module, "weight", leave_parametrized=leave_parametrized)
        results[name] = (type(module).__name__, list(module.state_dict()), chained, as_numpy(module.weight),
                         isinstance(module.weight, library.nn.Parameter))
    ours, theirs = results["fastgrad"], results["torch"]
    assert ours[:2] == theirs[:2] and ours[4] == theirs[4]
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-12)


def test_a_buffer_can_be_parametrized(rng):
    results = {}
    for name, library in LIBRARIES.items():
        module = library.nn.BatchNorm1d(3).double()
        module.running_var.copy_(library.tensor([1.0, 2.0, 3.0], dtype=library.float64))
        library.nn.utils.parametrize.register_parametrization(module, "running_var", parametrizations(library)[1]())
        results[name] = list(module.state_dict()), as_numpy(module.running_var)
    assert results["fastgrad"][0] == results["torch"][0]
    np.testing.assert_array_equal(results["fastgrad"][1], results["torch"][1])


def in_fastgrads_spelling(message):
    """PyTorch's message with shapes spelled as fastgrad's (tuples) and dtypes without `torch.`."""
    def as_tuple(match):
        sizes = match.group(1)
        return f"({sizes},)" if sizes and "," not in sizes else f"({sizes})"
    return re.sub(r"torch\.Size\(\[(.*?)\]\)", as_tuple, message).replace("torch.float", "float")


def error_of(call):
    with pytest.raises(Exception) as info:
        call()
    return type(info.value), str(info.value)


def test_errors_are_pytorchs(rng):
    pair = linear_pair(rng)

    class Reshaping:
        def __init__(self, library):
            class Flat(library.nn.Module):
                def forward(self, X):
                    return X.reshape(-1)
            self.module = Flat

    for call in [
        lambda lib, m: lib.nn.utils.parametrize.register_parametrization(m, "missing", parametrizations(lib)[1]()),
        lambda lib, m: lib.nn.utils.parametrize.register_parametrization(m, "weight", Reshaping(lib).module()),
        lambda lib, m: lib.nn.utils.parametrize.remove_parametrizations(m, "weight"),
    ]:
        ours, theirs = (error_of(lambda: call(library, pair[name])) for name, library in LIBRARIES.items())
        assert ours[0] is theirs[0]
        assert ours[1] == in_fastgrads_spelling(theirs[1])


def test_cached_computes_once_as_pytorchs(rng):
    pair = linear_pair(rng)
    calls = {}
    for name, library in LIBRARIES.items():
        count = [0]

        class Counting(library.nn.Module):
            def forward(self, X):
                count[0] += 1
                return X * 1.0

        library.nn.utils.parametrize.register_parametrization(pair[name], "weight", Counting())
        count[0] = 0
        with library.nn.utils.parametrize.cached():
            first, second = pair[name].weight, pair[name].weight
        third = pair[name].weight
        calls[name] = count[0], first is second, first is third
    assert calls["fastgrad"] == calls["torch"] == (2, True, False)
    assert parametrize._cache == {}
