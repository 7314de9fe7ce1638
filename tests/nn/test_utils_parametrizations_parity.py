"""nn.utils.parametrizations.weight_norm and spectral_norm against PyTorch's: values, gradients of the
originals (g and v; the original weight), state-dict keys, PyTorch state dicts loaded as they are and
fastgrad's loaded back, and spectral norm's power iteration from the same u and v."""
import numpy as np
import pytest

import fastgrad
from fastgrad.nn.utils import convert_torch_state_dict

torch = pytest.importorskip("torch")

LIBRARIES = {"fastgrad": fastgrad, "torch": torch}


def module_pair(rng, make):
    """The same module (a double-precision layer `make(library)`) in each library, with equal values."""
    values = {k: v.detach().numpy() for k, v in make(torch).double().state_dict().items()}
    values = {k: rng.standard_normal(v.shape) for k, v in values.items()}
    pair = {}
    for name, library in LIBRARIES.items():
        module = make(library).double()
        module.load_state_dict({k: library.tensor(v) for k, v in values.items()})
        pair[name] = module
    return pair


LAYERS = {
    "linear": (lambda library: library.nn.Linear(4, 3), (5, 4)),
    "conv1d": (lambda library: library.nn.Conv1d(2, 3, 3), (2, 2, 6)),
    "embedding": (lambda library: library.nn.Embedding(6, 3), None),
}


def run(module, library, input_shape, rng_seed=0):
    if input_shape is None:
        out = module(library.tensor([1, 4, 4, 0]))
    else:
        out = module(library.tensor(np.random.default_rng(rng_seed).standard_normal(input_shape)))
    (out * out).sum().backward()
    return out.detach().numpy()


def close(a, b, rtol=1e-10):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("layer", sorted(LAYERS))
@pytest.mark.parametrize("dim", [0, 1, -1, -2, None])
def test_weight_norm_values_gradients_and_state_dict(rng, layer, dim):
    make, input_shape = LAYERS[layer]
    pair = module_pair(rng, make)
    results = {}
    for name, library in LIBRARIES.items():
        module = library.nn.utils.parametrizations.weight_norm(pair[name], dim=dim)
        out = run(module, library, input_shape)
        weights = module.parametrizations.weight
        results[name] = (list(module.state_dict()), out, module.weight.detach().numpy(),
                         [t.detach().numpy() for t in (weights.original0, weights.original1)],
                         [t.grad.numpy() for t in (weights.original0, weights.original1)])
    ours, theirs = results["fastgrad"], results["torch"]
    assert ours[0] == theirs[0]  # [..., 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    close(ours[1], theirs[1])
    close(ours[2], theirs[2])
    for mine, expected in zip(ours[3] + ours[4], theirs[3] + theirs[4]):
        assert mine.shape == expected.shape
        close(mine, expected)


def test_weight_norm_state_dicts_cross_both_ways(rng):
    make, input_shape = LAYERS["linear"]
    pair = module_pair(rng, make)
    for name, library in LIBRARIES.items():
        library.nn.utils.parametrizations.weight_norm(pair[name])
    with torch.no_grad():
        pair["torch"].parametrizations.weight.original0.mul_(3.0)  # a g that is no longer ||v||
    pair["fastgrad"].load_state_dict(convert_torch_state_dict(pair["torch"].state_dict()))
    close(pair["fastgrad"].weight.detach().numpy(), pair["torch"].weight.detach().numpy())
    back = torch.nn.utils.parametrizations.weight_norm(make(torch).double())
    back.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in pair["fastgrad"].state_dict().items()})
    close(back.weight.detach().numpy(), pair["torch"].weight.detach().numpy(), rtol=0)


def copy_spectral_buffers(source, target, name="weight"):
    """Give fastgrad's module PyTorch's u and v (their random start is drawn from each library's generator)."""
    for buffer in ("_u", "_v"):
        value = getattr(getattr(source.parametrizations, name)[0], buffer).detach().numpy()
        getattr(getattr(target.parametrizations, name)[0], buffer).copy_(fastgrad.tensor(value))


@pytest.mark.parametrize("layer", ["linear", "conv1d"])
@pytest.mark.parametrize("n_power_iterations, dim", [(1, None), (3, 0), (2, 1), (1, -1)])
def test_spectral_norm_from_the_same_u_and_v(rng, layer, n_power_iterations, dim):
    make, input_shape = LAYERS[layer]
    pair = module_pair(rng, make)
    for name, library in LIBRARIES.items():
        library.nn.utils.parametrizations.spectral_norm(pair[name], n_power_iterations=n_power_iterations, dim=dim)
    copy_spectral_buffers(pair["torch"], pair["fastgrad"])
    assert list(pair["fastgrad"].state_dict()) == list(pair["torch"].state_dict())
    for mode in ("train", "train", "eval", "eval"):  # eval leaves u and v as they are
        results = {}
        for name, library in LIBRARIES.items():
            module = getattr(pair[name], mode)()
            out = run(module, library, input_shape)
            spectral = module.parametrizations.weight[0]
            original = module.parametrizations.weight.original
            weight = module.weight.detach().numpy()
            # sigma: the factor between the original and the normalized weight
            sigma = original.detach().numpy().reshape(-1)[0] / weight.reshape(-1)[0]
            results[name] = (out, weight, sigma, spectral._u.detach().numpy().copy(),
                             spectral._v.detach().numpy().copy(),
                             original.grad.numpy().copy())
            original.grad = None
        for mine, theirs in zip(results["fastgrad"], results["torch"]):
            close(mine, theirs, rtol=1e-9)


def test_spectral_norm_of_a_1d_weight_divides_by_its_norm(rng):
    results = {}
    for name, library in LIBRARIES.items():
        module = library.nn.LayerNorm(4).double()
        module.weight.data.copy_(library.tensor(np.array([3.0, -4.0, 0.0, 12.0])))
        library.nn.utils.parametrizations.spectral_norm(module)
        results[name] = list(module.state_dict()), module.weight.detach().numpy()
    assert results["fastgrad"][0] == results["torch"][0]
    close(results["fastgrad"][1], results["torch"][1])


def test_spectral_norm_state_dict_loads_from_pytorch(rng):
    make, input_shape = LAYERS["linear"]
    pair = module_pair(rng, make)
    for name, library in LIBRARIES.items():
        library.nn.utils.parametrizations.spectral_norm(pair[name])
    pair["fastgrad"].load_state_dict(convert_torch_state_dict(pair["torch"].state_dict()))
    for name in LIBRARIES:
        pair[name].eval()
    close(pair["fastgrad"].weight.detach().numpy(), pair["torch"].weight.detach().numpy())


@pytest.mark.parametrize("call", [
    lambda lib, m: lib.nn.utils.parametrizations.spectral_norm(m, n_power_iterations=0),
    lambda lib, m: lib.nn.utils.parametrizations.spectral_norm(m, dim=2),
    lambda lib, m: lib.nn.utils.parametrizations.spectral_norm(m, name="missing"),
], ids=["iterations", "dim", "name"])
def test_spectral_norm_errors_are_pytorchs(rng, call):
    pair = module_pair(rng, LAYERS["linear"][0])
    errors = {}
    for name, library in LIBRARIES.items():
        with pytest.raises(Exception) as info:
            call(library, pair[name])
        errors[name] = type(info.value), str(info.value)
    assert errors["fastgrad"] == errors["torch"]


@pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated:FutureWarning")
def test_weight_norm_loads_a_state_dict_of_the_hook_based_weight_norm(rng):
    make, input_shape = LAYERS["linear"]
    pair = module_pair(rng, make)
    old = torch.nn.utils.weight_norm(make(torch).double())
    with torch.no_grad():
        old.weight_g.mul_(2.0)
    saved = {k: v.detach().numpy() for k, v in old.state_dict().items()}
    for name, library in LIBRARIES.items():
        library.nn.utils.parametrizations.weight_norm(pair[name])
        pair[name].load_state_dict({k: library.tensor(v) for k, v in saved.items()})
    np.testing.assert_array_equal(pair["fastgrad"].parametrizations.weight.original0.detach().numpy(),
                                  saved["weight_g"])
    close(pair["fastgrad"].weight.detach().numpy(), pair["torch"].weight.detach().numpy())
    old(torch.zeros(1, 4, dtype=torch.float64))  # (the hook-based weight is recomputed by a forward)
    close(pair["fastgrad"].weight.detach().numpy(), old.weight.detach().numpy())


def holder_pair(weight):
    pair = {}
    for name, library in LIBRARIES.items():
        class Holder(library.nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = library.nn.Parameter(library.tensor(weight))
        pair[name] = Holder()
    return pair


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 4), (2, 5, 3)])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder", None])
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal_values_gradients_and_state_dict(rng, shape, orthogonal_map, use_trivialization):
    pair = holder_pair(rng.standard_normal(shape))
    for name, library in LIBRARIES.items():
        library.nn.utils.parametrizations.orthogonal(pair[name], orthogonal_map=orthogonal_map,
                                                     use_trivialization=use_trivialization)
    ours, theirs = pair["fastgrad"], pair["torch"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if use_trivialization and shape[-1] != shape[-2]:  # the base's completion is random: give fastgrad PyTorch's
        their_base = theirs.parametrizations.weight[0].base.detach().numpy()
        ours.parametrizations.weight[0].base.copy_(fastgrad.tensor(their_base))
    step, upstream = 0.3 * rng.standard_normal(shape), rng.standard_normal(shape)
    results = {}
    for name, library in LIBRARIES.items():
        original = pair[name].parametrizations.weight.original
        with library.no_grad():
            original.add_(library.tensor(step))  # away from the starting point, where gradients are special
        weight = pair[name].weight
        (weight * library.tensor(upstream)).sum().backward()
        results[name] = [t.detach().numpy() for t in (original, weight, original.grad)]
    for mine, expected in zip(results["fastgrad"], results["torch"]):
        close(mine, expected, rtol=1e-9)


@pytest.mark.parametrize("orthogonal_map, use_trivialization, shape", [
    ("matrix_exp", True, (4, 4)),  # (square: the base is the assigned matrix, no random completion)
    ("householder", False, (3, 5)),
])
def test_orthogonal_assignment_and_float32(rng, orthogonal_map, use_trivialization, shape):
    weight = rng.standard_normal(shape).astype(np.float32)
    target = np.linalg.qr(rng.standard_normal(shape[::-1]))[0].T.astype(np.float32)
    pair = holder_pair(weight)
    results = {}
    for name, library in LIBRARIES.items():
        library.nn.utils.parametrizations.orthogonal(pair[name], orthogonal_map=orthogonal_map,
                                                     use_trivialization=use_trivialization)
        pair[name].weight = library.tensor(target)
        results[name] = [t.detach().numpy() for t in (pair[name].parametrizations.weight.original, pair[name].weight)]
    for mine, expected in zip(results["fastgrad"], results["torch"]):
        assert mine.dtype == expected.dtype == np.float32
        np.testing.assert_allclose(mine, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results["fastgrad"][1], target, atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda lib, m: lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map="qr"),
    lambda lib, m: lib.nn.utils.parametrizations.orthogonal(m, name="bias"),
    lambda lib, m: lib.nn.utils.parametrizations.orthogonal(m, name="missing"),
    lambda lib, m: setattr(lib.nn.utils.parametrizations.orthogonal(m, "weight", "cayley", use_trivialization=False),
                           "weight", lib.zeros(3, 4, dtype=lib.float64)),
    lambda lib, m: setattr(lib.nn.utils.parametrizations.orthogonal(m), "weight", lib.zeros(4, 3, dtype=lib.float64)),
], ids=["map", "1d", "missing", "not_invertible", "shape"])
def test_orthogonal_errors_are_pytorchs(rng, call):
    pair = module_pair(rng, LAYERS["linear"][0])
    errors = {}
    for name, library in LIBRARIES.items():
        with pytest.raises(Exception) as info:
            call(library, pair[name])
        errors[name] = type(info.value), str(info.value).replace("torch.Size([", "(").replace("])", ")")
    assert errors["fastgrad"] == errors["torch"]


def test_a_parametrized_lstm_matches_pytorchs(rng):
    """Orthogonal recurrent weights and weight-normed input weights, the NLP use; state dicts both ways."""
    ours, theirs = fastgrad.nn.LSTM(3, 4).double(), torch.nn.LSTM(3, 4).double()
    for library, lstm in ((fastgrad, ours), (torch, theirs)):
        library.nn.utils.parametrizations.orthogonal(lstm, "weight_hh_l0")
        library.nn.utils.parametrizations.weight_norm(lstm, "weight_ih_l0")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(convert_torch_state_dict(theirs.state_dict()))  # (with PyTorch's random base)
    x = rng.standard_normal((5, 2, 3))
    out, out_theirs = ours(fastgrad.tensor(x))[0], theirs(torch.tensor(x))[0]
    (out * out).sum().backward()
    (out_theirs * out_theirs).sum().backward()
    close(out.detach().numpy(), out_theirs.detach().numpy())
    for name in ("weight_hh_l0.original", "weight_ih_l0.original0", "weight_ih_l0.original1"):
        mine, expected = ours.get_parameter("parametrizations." + name), theirs.get_parameter("parametrizations." + name)
        close(mine.grad.numpy(), expected.grad.numpy())
