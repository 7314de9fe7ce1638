"""LBFGS without PyTorch (its parity is in test_lbfgs_parity.py): convergence on least squares, the state
carried across step(closure) calls and through a checkpoint, missing and sparse gradients, and errors."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.optim as optim

RNG = np.random.default_rng(0)
MATRIX, TARGET = RNG.standard_normal((12, 5)), RNG.standard_normal(12)


def least_squares(**options):
    """A parameter, its LBFGS and a closure for 0.5 |A x - b|^2."""
    x = nn.Parameter(np.zeros(5))
    optimizer = optim.LBFGS([x], **options)
    matrix, target = fastgrad.tensor(MATRIX), fastgrad.tensor(TARGET)

    def closure():
        optimizer.zero_grad()
        loss = ((matrix @ x - target) ** 2).sum() * 0.5
        loss.backward()
        return loss

    return x, optimizer, closure


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_one_step_solves_least_squares(line_search_fn):
    x, optimizer, closure = least_squares(max_iter=100, tolerance_grad=1e-10, tolerance_change=1e-14,
                                          line_search_fn=line_search_fn)
    first = closure()
    returned = optimizer.step(closure)
    assert returned.item() == first.item()  # the loss at the start of the step, as PyTorch returns
    solution = np.linalg.lstsq(MATRIX, TARGET, rcond=None)[0]
    np.testing.assert_allclose(x.detach().numpy(), solution, rtol=1e-6, atol=1e-7)
    assert 1 < optimizer.state[x]["n_iter"] < 100  # stopped by convergence


def test_state_carries_over_and_through_a_checkpoint(tmp_path):
    options = dict(max_iter=2, history_size=3, line_search_fn="strong_wolfe")
    x, optimizer, closure = least_squares(**options)
    uninterrupted = []
    for _ in range(4):
        optimizer.step(closure)
        uninterrupted.append(x.detach().numpy().copy())

    x, optimizer, closure = least_squares(**options)
    optimizer.step(closure), optimizer.step(closure)
    fastgrad.save({"x": x.detach().numpy(), "optimizer": optimizer.state_dict()}, tmp_path / "ckpt")
    checkpoint = fastgrad.load(tmp_path / "ckpt")
    resumed_x, resumed, resumed_closure = least_squares(max_iter=99)  # the loaded options replace these
    resumed_x.data = fastgrad.tensor(checkpoint["x"])
    resumed.load_state_dict(checkpoint["optimizer"])
    assert resumed.param_groups[0]["max_iter"] == 2
    for expected in uninterrupted[2:]:
        resumed.step(resumed_closure)
        np.testing.assert_array_equal(resumed_x.detach().numpy(), expected)


def test_loading_state_of_other_sized_parameters_raises():
    _, optimizer, closure = least_squares(max_iter=3)
    optimizer.step(closure)
    bigger = optim.LBFGS([nn.Parameter(np.zeros(7))])
    with pytest.raises(ValueError, match=r"loaded LBFGS state 'd' has shape \(5,\); the parameters have 7 elements "
                                         r"in all, so it must have shape \(7,\)"):
        bigger.load_state_dict(optimizer.state_dict())


def test_a_parameter_without_gradient_stays_and_a_sparse_gradient_counts_as_dense():
    fastgrad.manual_seed(0)
    sparse, dense = nn.Embedding(6, 2, sparse=True).double(), nn.Embedding(6, 2).double()
    dense.load_state_dict(sparse.state_dict())
    unused = nn.Parameter(np.ones(3))
    ids, target = fastgrad.tensor([[1, 4], [4, 2]]), fastgrad.tensor(np.linspace(-1, 1, 8).reshape(2, 2, 2))
    results = []
    for embedding in (sparse, dense):
        optimizer = optim.LBFGS([embedding.weight, unused], max_iter=5, line_search_fn="strong_wolfe")

        def closure():
            optimizer.zero_grad()
            loss = ((embedding(ids) - target) ** 2).sum()
            loss.backward()
            return loss

        start = embedding.weight.detach().numpy().copy()
        optimizer.step(closure)
        results.append(embedding.weight.detach().numpy())
        np.testing.assert_array_equal(unused.detach().numpy(), 1.0)
        untouched = [0, 3, 5]
        np.testing.assert_array_equal(results[-1][untouched], start[untouched])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-14)


def test_step_changes_parameters_in_place_so_stale_graphs_are_caught():
    x, optimizer, closure = least_squares(max_iter=2)
    stale = (x * x).sum()
    optimizer.step(closure)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        stale.backward()


@pytest.mark.parametrize("options, message", [
    (dict(lr=-1.0), "LBFGS: lr must be >= 0, got -1.0"),
    (dict(max_iter=0), "LBFGS: max_iter must be an int >= 1, got 0"),
    (dict(max_iter=3, max_eval=0), "LBFGS: max_eval must be an int >= 1, got 0"),
    (dict(max_iter=2.5), "LBFGS: max_iter must be an int >= 1, got 2.5"),
    (dict(history_size=0), "LBFGS: history_size must be an int >= 1, got 0"),
    (dict(line_search_fn="armijo"), "LBFGS: line_search_fn must be None or 'strong_wolfe', got 'armijo'"),
])
def test_bad_options_raise(options, message):
    with pytest.raises(ValueError, match=message):
        optim.LBFGS([nn.Parameter(np.zeros(2))], **options)


def test_one_parameter_group_only():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"):
        optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    optimizer = optim.LBFGS([a])
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optimizer.add_param_group({"params": [b]})


def test_step_needs_a_closure():
    _, optimizer, _ = least_squares()
    with pytest.raises(TypeError, match="LBFGS.step needs a closure that re-evaluates the loss, got NoneType"):
        optimizer.step(None)
