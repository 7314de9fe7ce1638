"""LBFGS against torch.optim.LBFGS: the same closure on the same problem follows PyTorch's iterates, closure
calls and state at every step(closure), with and without the strong Wolfe line search; PyTorch's state
dict resumes PyTorch's run; the line search alone against PyTorch's, branch by branch."""
import importlib

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.nn.functional as F
import fastgrad.optim as optim

torch = pytest.importorskip("torch")

STEPS = 4
RNG = np.random.default_rng(0)
FEATURES = RNG.standard_normal((30, 4))
LABELS = (FEATURES @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * RNG.standard_normal(30) > 0).astype(float)
MATRIX, TARGET = RNG.standard_normal((12, 5)), RNG.standard_normal(12)

OPTIONS = {
    "fixed-step": dict(max_iter=3),
    "fixed-step-short-history": dict(lr=0.5, max_iter=5, history_size=2),
    "strong-wolfe": dict(max_iter=4, line_search_fn="strong_wolfe"),
    "strong-wolfe-to-convergence": dict(line_search_fn="strong_wolfe", history_size=3),
    "few-evaluations": dict(max_iter=6, max_eval=4, line_search_fn="strong_wolfe"),
}
# where the first trial step fails the Wolfe conditions, so the line search brackets and zooms
LINE_SEARCH_OPTIONS = {
    "overshooting": dict(lr=10.0, max_iter=6, line_search_fn="strong_wolfe"),
    "undershooting": dict(lr=0.01, max_iter=6, line_search_fn="strong_wolfe", history_size=4),
    "out-of-evaluations": dict(lr=0.01, max_iter=3, max_eval=3, line_search_fn="strong_wolfe"),
    "curved-valley": dict(max_iter=10, line_search_fn="strong_wolfe"),
    # PyTorch's line search zooms to its own tolerance (1e-9), whatever the group's tolerance_change
    "coarse-tolerance_change": dict(max_iter=10, tolerance_change=1.0, line_search_fn="strong_wolfe"),
}


def logistic_regression(library, dtype):
    """Parameters and a closure: L2-regularised logistic regression, with a weight vector and a bias."""
    if library is torch:
        weight = torch.zeros(4, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
        bias = torch.zeros(1, dtype=weight.dtype, requires_grad=True)
        loss_of = torch.nn.functional.binary_cross_entropy_with_logits
    else:
        weight, bias = nn.Parameter(np.zeros(4, dtype)), nn.Parameter(np.zeros(1, dtype))
        loss_of = F.binary_cross_entropy_with_logits
    features, labels = library.tensor(FEATURES.astype(dtype)), library.tensor(LABELS.astype(dtype))
    return [weight, bias], lambda: loss_of(features @ weight + bias, labels) + 0.01 * (weight * weight).sum()


def least_squares(library, dtype):
    if library is torch:
        x = torch.zeros(5, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
    else:
        x = nn.Parameter(np.zeros(5, dtype))
    matrix, target = library.tensor(MATRIX.astype(dtype)), library.tensor(TARGET.astype(dtype))
    return [x], lambda: ((matrix @ x - target) ** 2).sum() * 0.5


def rosenbrock(library, dtype):
    """Rosenbrock's banana valley (minimum at (1, 1)): steps along it need many line-search branches."""
    if library is torch:
        x = torch.tensor([-1.5, 2.0], dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
    else:
        x = nn.Parameter(np.array([-1.5, 2.0], dtype))
    return [x], lambda: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def values(tensor):
    return tensor.detach().numpy() if isinstance(tensor, torch.Tensor) else tensor.detach().numpy()


def run(library, problem, dtype, options, steps=STEPS):
    """The parameters and the returned loss after each step(closure), and the optimizer."""
    params, loss_of = problem(library, dtype)
    optimizer = (torch.optim if library is torch else optim).LBFGS(params, **options)

    def closure():
        optimizer.zero_grad()
        loss = loss_of()
        loss.backward()
        return loss

    trajectory, losses = [], []
    for _ in range(steps):
        losses.append(values(optimizer.step(closure)).item())
        trajectory.append(np.concatenate([values(p).reshape(-1) for p in params]))
    return np.array(trajectory), losses, optimizer


@pytest.mark.parametrize("case", list(OPTIONS))
def test_iterates_follow_pytorch_in_float64(case):
    ours, ours_losses, ours_optimizer = run(fastgrad, logistic_regression, np.float64, OPTIONS[case])
    theirs, theirs_losses, theirs_optimizer = run(torch, logistic_regression, np.float64, OPTIONS[case])
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours_losses, theirs_losses, rtol=1e-12)
    ours_state = ours_optimizer.state[ours_optimizer.param_groups[0]["params"][0]]
    theirs_state = theirs_optimizer.state[theirs_optimizer.param_groups[0]["params"][0]]
    assert list(ours_state) == list(theirs_state)
    assert (ours_state["func_evals"], ours_state["n_iter"]) == (theirs_state["func_evals"], theirs_state["n_iter"])
    assert len(ours_state["old_dirs"]) == len(theirs_state["old_dirs"])
    np.testing.assert_allclose(ours_state["d"], theirs_state["d"].numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("case", list(LINE_SEARCH_OPTIONS))
def test_line_search_follows_pytorch(case):
    ours, ours_losses, ours_optimizer = run(fastgrad, rosenbrock, np.float64, LINE_SEARCH_OPTIONS[case])
    theirs, theirs_losses, theirs_optimizer = run(torch, rosenbrock, np.float64, LINE_SEARCH_OPTIONS[case])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours_losses, theirs_losses, rtol=1e-9, atol=1e-12)
    ours_state = ours_optimizer.state[ours_optimizer.param_groups[0]["params"][0]]
    theirs_state = theirs_optimizer.state[theirs_optimizer.param_groups[0]["params"][0]]
    assert (ours_state["func_evals"], ours_state["n_iter"]) == (theirs_state["func_evals"], theirs_state["n_iter"])


@pytest.mark.parametrize("case", ["fixed-step", "strong-wolfe", "few-evaluations"])
def test_iterates_follow_pytorch_in_float32(case):
    """In float32 only before convergence: there the stopping tests compare changes at rounding level."""
    options = {**OPTIONS[case], "max_iter": 3}
    ours, _, _ = run(fastgrad, least_squares, np.float32, options, steps=3)
    theirs, _, _ = run(torch, least_squares, np.float32, options, steps=3)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def as_arrays(value):
    """A PyTorch state dict's contents as fastgrad holds them: tensors become NumPy arrays."""
    if isinstance(value, dict):
        return {key: as_arrays(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_arrays(item) for item in value]
    return value.numpy().copy() if isinstance(value, torch.Tensor) else value


@pytest.mark.parametrize("case", ["fixed-step-short-history", "strong-wolfe"])
def test_pytorchs_state_dict_resumes_pytorchs_run(case):
    theirs, _, theirs_optimizer = run(torch, logistic_regression, np.float64, OPTIONS[case], steps=2)
    expected, _, _ = run(torch, logistic_regression, np.float64, OPTIONS[case], steps=STEPS)
    params, loss_of = logistic_regression(fastgrad, np.float64)
    for param, value in zip(params, np.split(theirs[-1], [4])):
        param.data = fastgrad.tensor(value.copy())
    optimizer = optim.LBFGS(params, lr=123.0)  # the loaded options replace these
    optimizer.load_state_dict(as_arrays(theirs_optimizer.state_dict()))

    def closure():
        optimizer.zero_grad()
        loss = loss_of()
        loss.backward()
        return loss

    for step in range(2, STEPS):
        optimizer.step(closure)
        np.testing.assert_allclose(np.concatenate([p.detach().numpy() for p in params]), expected[step], rtol=1e-10,
                                   atol=1e-12)


LINES = {  # losses along a line from 0, with their slopes; each case below takes other branches of the search
    "hinge": lambda p: (lambda t: -t + p * max(0.0, t - 1.0) ** 2, lambda t: -1 + 2 * p * max(0.0, t - 1.0)),
    "barrier": lambda p: (lambda t: -t - np.log(p + 1 - t) if t < p + 1 else np.inf,
                          lambda t: -1 + 1 / (p + 1 - t) if t < p + 1 else np.inf),
    "wiggle": lambda p: (lambda t: -t + 0.5 * t * t + 0.3 * np.sin(p * t), lambda t: -1 + t + 0.3 * p * np.cos(p * t)),
    "exp": lambda p: (lambda t: -t + np.exp(p * (t - 1.0)), lambda t: -1 + p * np.exp(p * (t - 1.0))),
}
SEARCHES = [  # line, its parameter, the first trial step, tolerance_change, iterations allowed
    ("hinge", 2.0, 30.0, 1e-9, 2),  # zoom: a trial at the bracket's end is moved a tenth inside
    ("hinge", 0.5, 30.0, 1e-9, 2),  # zoom: a trial near the end, insufficient progress noted
    ("hinge", 20.0, 1.7, 0.1, 25),  # zoom: the bracket shrinks below tolerance_change
    ("hinge", 0.5, 0.01, 1e-9, 2),  # bracketing runs out of iterations
    ("barrier", 0.5, 1.7, 1e-9, 2),  # an infinite loss: the cubic has no minimum, the midpoint is taken
    ("wiggle", 2.0, 0.01, 1e-9, 25),  # extrapolation until the slope turns
    ("exp", 5.0, 1.0, 1e-9, 25),
]


@pytest.mark.parametrize("line, parameter, first_step, tolerance_change, iterations", SEARCHES)
def test_strong_wolfe_search_follows_pytorchs(line, parameter, first_step, tolerance_change, iterations):
    from fastgrad.optim.lbfgs import LinePoint, strong_wolfe_search

    theirs_search = getattr(importlib.import_module("torch.optim.lbfgs"), "_strong_wolfe", None)
    if theirs_search is None:  # a private function: later versions may move it
        pytest.skip("this PyTorch has no torch.optim.lbfgs._strong_wolfe to compare with")
    loss, slope = LINES[line](parameter)
    direction = np.array([1.0])

    def point(t):
        gradient = np.array([slope(float(t))])
        return LinePoint(t, float(loss(float(t))), gradient, gradient.dot(direction))

    ours, ours_evaluations = strong_wolfe_search(point, first_step, direction, point(0.0), tolerance_change, iterations)
    f, g, t, theirs_evaluations = theirs_search(
        lambda x, t, d: (float(loss(float(t))), torch.tensor([slope(float(t))], dtype=torch.float64)), None,
        first_step, torch.tensor(direction), float(loss(0.0)), torch.tensor([slope(0.0)], dtype=torch.float64),
        torch.tensor(slope(0.0), dtype=torch.float64), tolerance_change=tolerance_change, max_ls=iterations)
    assert ours_evaluations == theirs_evaluations
    np.testing.assert_allclose([float(ours.t), ours.f], [float(t), f], rtol=1e-12)
    np.testing.assert_allclose(ours.g, g.numpy(), rtol=1e-12)
