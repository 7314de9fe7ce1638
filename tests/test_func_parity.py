"""fastgrad.func.functional_call (and nn.utils.stateless.functional_call) against PyTorch's: outputs,
gradients reaching the given tensors and not the module's, tied weights, buffers updated during the
call, several dicts, and the errors."""
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

LIBRARIES = {"fastgrad": fastgrad, "torch": torch}


def tied_model(library, rng_values):
    class Tied(library.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = library.nn.Linear(3, 3)
            self.second = library.nn.Linear(3, 3)
            self.second.weight = self.first.weight

        def forward(self, x):
            return self.second(self.first(x).tanh())

    model = Tied().double()
    model.load_state_dict({k: library.tensor(v) for k, v in rng_values.items()}, strict=False)
    return model


def values_for(rng):
    return {"first.weight": rng.standard_normal((3, 3)), "first.bias": rng.standard_normal(3),
            "second.bias": rng.standard_normal(3)}


@pytest.mark.parametrize("tie_weights", [True, False])
def test_outputs_and_gradients_reach_the_given_tensors(rng, tie_weights):
    values, given, x = values_for(rng), rng.standard_normal((3, 3)), rng.standard_normal((4, 3))
    results = {}
    for name, library in LIBRARIES.items():
        model = tied_model(library, values)
        weight = library.tensor(given, requires_grad=True)
        out = library.func.functional_call(model, {"first.weight": weight}, (library.tensor(x),),
                                           tie_weights=tie_weights)
        out.sum().backward()
        own_grad = model.first.weight.grad  # only when untied: the second layer kept the module's weight
        results[name] = (out.detach().numpy(), weight.grad.numpy(), None if own_grad is None else own_grad.numpy(),
                         model.first.weight.detach().numpy(), model.second.weight is model.first.weight,
                         type(model.first.weight).__name__)
    ours, theirs = results["fastgrad"], results["torch"]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
    assert (ours[2] is None) == (theirs[2] is None) == tie_weights
    if not tie_weights:
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)
    np.testing.assert_array_equal(ours[3], values["first.weight"])  # and is back in place
    assert ours[4] and theirs[4] and ours[5] == theirs[5] == "Parameter"


def test_a_buffer_changed_during_the_call_is_written_back_to_the_dict(rng):
    x = rng.standard_normal((6, 3))
    results = {}
    for name, library in LIBRARIES.items():
        norm = library.nn.BatchNorm1d(3).double()
        given = {"running_mean": library.zeros(3, dtype=library.float64),
                 "running_var": library.ones(3, dtype=library.float64)}
        params = {"weight": library.ones(3, dtype=library.float64)}
        out = library.func.functional_call(norm, (params, given), library.tensor(x))
        results[name] = (out.detach().numpy(), given["running_mean"].numpy(), given["running_var"].numpy(),
                         norm.running_mean.numpy(), int(norm.num_batches_tracked))
    for mine, theirs in zip(results["fastgrad"], results["torch"]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_stateless_functional_call_warns_as_pytorchs(rng):
    caught = {}
    for name, library in LIBRARIES.items():
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            out = library.nn.utils.stateless.functional_call(library.nn.Linear(2, 1).double(),
                                                             {"bias": library.zeros(1, dtype=library.float64)},
                                                             library.zeros(1, 2, dtype=library.float64))
        caught[name] = [(r.category, str(r.message)) for r in records], out.detach().numpy().tolist()
    assert caught["fastgrad"][0] == caught["torch"][0] and caught["fastgrad"][0]
    assert caught["fastgrad"][1] == [[0.0]]


@pytest.mark.parametrize("given, kwargs", [
    ({"first.weight": 1, "second.weight": 2}, {}),  # two values for one tied tensor
    ({"first.weight": 1, "extra": 2}, {"strict": True}),
    (({"first.bias": 1}, {"first.bias": 1}), {}),
    ("weights", {}),
], ids=["tied", "strict", "repeated", "not_a_dict"])
def test_errors_are_pytorchs(rng, given, kwargs):
    values, errors = values_for(rng), {}
    for name, library in LIBRARIES.items():
        model = tied_model(library, values)
        tensors = {1: library.zeros(3, 3, dtype=library.float64), 2: library.ones(3, 3, dtype=library.float64)}
        if isinstance(given, dict):
            given_here = {k: tensors[v] for k, v in given.items()}
        elif isinstance(given, tuple):
            given_here = tuple({k: tensors[v] for k, v in d.items()} for d in given)
        else:
            given_here = given
        with pytest.raises(Exception) as info:
            library.func.functional_call(model, given_here, library.zeros(1, 3, dtype=library.float64), **kwargs)
        errors[name] = type(info.value), str(info.value).replace("torch.", "fastgrad.")
    assert errors["fastgrad"][0] is errors["torch"][0]
    assert errors["fastgrad"][1] == errors["torch"][1]
