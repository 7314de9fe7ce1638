"""Optimizers against torch.optim: the parameters after every one of several steps, in float32 and float64,
with and without weight decay, each option and maximize=; param-group keys; state dict round trips."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.optim as optim

torch = pytest.importorskip("torch")

STEPS = 10
C = np.array([[0.5, -1.0, 2.0], [0.1, 0.0, -0.3]])
D = np.array([[1.0, 2.0, 0.5], [3.0, 0.2, 1.5]])
P0 = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.2]])

CASES = {
    "SGD": ("SGD", dict(lr=0.1)),
    "SGD-momentum-decay": ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "SGD-nesterov": ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    "Adam": ("Adam", dict(lr=0.1)),
    "Adam-l2-amsgrad": ("Adam", dict(lr=0.1, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    "Adam-decoupled": ("Adam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
    "AdamW": ("AdamW", dict(lr=0.1)),
    "AdamW-amsgrad": ("AdamW", dict(lr=0.1, weight_decay=0.1, amsgrad=True)),
    "Adagrad": ("Adagrad", dict(lr=0.3)),
    "Adagrad-decay": ("Adagrad", dict(lr=0.3, lr_decay=0.1, weight_decay=0.02, initial_accumulator_value=0.1)),
    "Adadelta": ("Adadelta", dict()),
    "Adadelta-decay": ("Adadelta", dict(lr=0.5, rho=0.95, eps=1e-4, weight_decay=0.1)),
    "RMSprop": ("RMSprop", dict(lr=0.01)),
    "RMSprop-centered-momentum": ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.5, centered=True)),
    "NAdam": ("NAdam", dict()),
    "NAdam-l2": ("NAdam", dict(lr=0.05, weight_decay=0.1)),
    "NAdam-decoupled": ("NAdam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01,
                                      decoupled_weight_decay=True)),
    "RAdam": ("RAdam", dict()),  # rho_t passes 5 at step 6: both branches
    "RAdam-l2": ("RAdam", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)),
    "RAdam-decoupled": ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    "Adamax": ("Adamax", dict()),
    "Adamax-decay": ("Adamax", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1)),
    "Rprop": ("Rprop", dict(lr=0.1)),  # signs flip around the minimum: every branch of the step-size rule
    "Rprop-etas-step_sizes": ("Rprop", dict(lr=0.3, etas=(0.3, 1.5), step_sizes=(0.01, 0.5))),
    "ASGD": ("ASGD", dict(lr=0.1)),
    "ASGD-averaging-decay": ("ASGD", dict(lr=0.1, lambd=0.1, alpha=0.5, t0=3, weight_decay=0.1)),  # averages from t0
}
TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=1e-6)}


def gradient(p):
    """d/dp of sum(c p + d p^2 / 2): a different curvature per coordinate."""
    return (C + D * p).astype(p.dtype)


def run_fastgrad(name, kwargs, dtype, steps=STEPS):
    param = nn.Parameter(P0.astype(dtype))
    optimizer = getattr(optim, name)([param], **kwargs)
    trajectory = []
    for _ in range(steps):
        param.grad = fastgrad.tensor(gradient(param.detach().numpy()))
        optimizer.step()
        trajectory.append(param.detach().numpy().copy())
    return np.array(trajectory), optimizer


def run_torch(name, kwargs, dtype, steps=STEPS):
    param = torch.tensor(P0.astype(dtype), requires_grad=True)
    optimizer = getattr(torch.optim, name)([param], **kwargs)
    trajectory = []
    for _ in range(steps):
        param.grad = torch.tensor(gradient(param.detach().numpy()))
        optimizer.step()
        trajectory.append(param.detach().numpy().copy())
    return np.array(trajectory), optimizer


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(CASES))
def test_parameters_match_pytorch_at_every_step(case, dtype, maximize):
    name, kwargs = CASES[case]
    kwargs = {**kwargs, "maximize": maximize}
    ours, _ = run_fastgrad(name, kwargs, dtype)
    theirs, _ = run_torch(name, kwargs, dtype)
    assert ours.dtype == dtype
    np.testing.assert_allclose(ours, theirs, **TOLERANCE[dtype])


@pytest.mark.parametrize("case", ["SGD-momentum-decay", "Adam-l2-amsgrad", "AdamW", "Adagrad-decay", "Adadelta",
                                  "RMSprop-centered-momentum", "NAdam-decoupled", "RAdam", "Adamax-decay",
                                  "ASGD-averaging-decay"])
def test_a_float32_tensor_lr_steps_float64_parameters_as_pytorch(case):
    # PyTorch computes a step's coefficients from a 0-d lr as tensors of its dtype (Adam's lr / (1 - b1^t), ASGD's
    # next eta are float32 here); fastgrad took the lr's value to a Python float and so computed them in float64,
    # 1e-10 to 1e-7 away
    name, kwargs = CASES[case]
    trajectories = []
    for library, run in ((fastgrad, run_fastgrad), (torch, run_torch)):
        lr = library.tensor(np.float32(kwargs.get("lr", 0.1)))
        trajectories.append(run(name, {**kwargs, "lr": lr}, np.float64)[0])
    np.testing.assert_allclose(trajectories[0], trajectories[1], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", list(CASES))
def test_param_groups_hold_pytorchs_options_and_state_pytorchs_keys(case):
    name, kwargs = CASES[case]
    _, ours = run_fastgrad(name, kwargs, np.float64, steps=2)
    _, theirs = run_torch(name, kwargs, np.float64, steps=2)
    speed_options = {"foreach", "capturable", "differentiable", "fused"}  # not stored by fastgrad
    theirs_group = {k: v for k, v in theirs.param_groups[0].items() if k not in speed_options | {"params"}}
    ours_group = {k: v for k, v in ours.param_groups[0].items() if k != "params"}
    assert ours_group == theirs_group
    ours_param, theirs_param = ours.param_groups[0]["params"][0], theirs.param_groups[0]["params"][0]
    assert list(ours.state[ours_param]) == list(theirs.state[theirs_param])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", ["Rprop-etas-step_sizes", "ASGD-averaging-decay"])
def test_state_values_match_pytorch(case, dtype):
    """Rprop's step sizes and ASGD's running average (ax), eta and mu, which the trajectory does not show."""
    name, kwargs = CASES[case]
    _, ours = run_fastgrad(name, kwargs, dtype)
    _, theirs = run_torch(name, kwargs, dtype)
    ours_state = next(iter(ours.state.values()))
    theirs_state = next(iter(theirs.state.values()))
    for key, value in theirs_state.items():
        np.testing.assert_allclose(ours_state[key], value.detach().numpy(), **TOLERANCE[dtype], err_msg=key)


def run_torch_resumed(name, kwargs, steps_before, steps=STEPS):
    """run_torch's trajectory, with PyTorch's optimizer saved after `steps_before` steps and loaded into a new
    one: loading casts 0-d state tensors such as NAdam's mu_product to the parameter's dtype, which changes
    the later steps' rounding."""
    first_steps, optimizer = run_torch(name, kwargs, np.float64, steps=steps_before)
    param = torch.tensor(first_steps[-1].copy(), requires_grad=True)
    resumed = getattr(torch.optim, name)([param], **kwargs)
    resumed.load_state_dict(optimizer.state_dict())
    trajectory = list(first_steps)
    for _ in range(steps_before, steps):
        param.grad = torch.tensor(gradient(param.detach().numpy()))
        resumed.step()
        trajectory.append(param.detach().numpy().copy())
    return np.array(trajectory)


@pytest.mark.parametrize("case", list(CASES))
def test_state_dict_round_trip_resumes_pytorchs_trajectory(case, tmp_path):
    name, kwargs = CASES[case]
    expected = run_torch_resumed(name, kwargs, steps_before=4)
    first_steps, optimizer = run_fastgrad(name, kwargs, np.float64, steps=4)
    fastgrad.save({"optimizer": optimizer.state_dict()}, tmp_path / "ckpt")
    param = nn.Parameter(first_steps[-1].copy())
    resumed = getattr(optim, name)([param], lr=123.0)  # the loaded hyperparameters replace these
    resumed.load_state_dict(fastgrad.load(tmp_path / "ckpt")["optimizer"])
    for step in range(4, STEPS):
        param.grad = fastgrad.tensor(gradient(param.detach().numpy()))
        resumed.step()
        np.testing.assert_allclose(param.detach().numpy(), expected[step], **TOLERANCE[np.float64])


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.1)), ("Adagrad", dict(lr=0.5)),
                                          ("SparseAdam", dict(lr=0.1))])
@pytest.mark.parametrize("maximize", [False, True])
def test_sparse_gradients_match_pytorch(name, kwargs, maximize):
    weight = np.linspace(-1, 1, 30).reshape(10, 3)
    ids, target = [[1, 4, 4], [7, 1, 2]], np.linspace(-1, 1, 18).reshape(2, 3, 3)
    ours_embedding = nn.Embedding(10, 3, sparse=True).double()
    ours_embedding.weight.data = fastgrad.tensor(weight.copy())
    theirs_embedding = torch.nn.Embedding(10, 3, sparse=True).double()
    theirs_embedding.weight.data = torch.tensor(weight.copy())
    ours = getattr(optim, name)(ours_embedding.parameters(), maximize=maximize, **kwargs)
    theirs = getattr(torch.optim, name)(theirs_embedding.parameters(), maximize=maximize, **kwargs)
    for _ in range(4):
        ours.zero_grad(), theirs.zero_grad()
        ((ours_embedding(fastgrad.tensor(ids)) - fastgrad.tensor(target)) ** 2).sum().backward()
        ((theirs_embedding(torch.tensor(ids)) - torch.tensor(target)) ** 2).sum().backward()
        ours.step(), theirs.step()
    np.testing.assert_allclose(ours_embedding.weight.detach().numpy(), theirs_embedding.weight.detach().numpy(),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(momentum=0.9), dict(momentum=0.9, nesterov=True),
                                    dict(momentum=0.5, dampening=0.3, maximize=True)])
def test_sgd_momentum_with_sparse_gradients_matches_pytorch(kwargs):
    """fastgrad refused it; PyTorch keeps a sparse momentum buffer, whose rows keep moving after their last
    gradient (the batches here touch different rows)."""
    weight = np.linspace(-1, 1, 30).reshape(10, 3)
    batches = [[[1, 4, 4], [7, 1, 2]], [[0, 0, 9]], [[3, 5, 1]], [[8]]]
    modules = []
    for library in (fastgrad, torch):
        embedding = library.nn.Embedding(10, 3, sparse=True).double()
        embedding.weight.data = library.tensor(weight.copy())
        optimizer = library.optim.SGD(embedding.parameters(), lr=0.1, **kwargs)
        for ids in batches:
            optimizer.zero_grad()
            (embedding(library.tensor(ids)) ** 2).sum().backward()
            optimizer.step()
        modules.append(embedding.weight.detach().numpy())
    np.testing.assert_allclose(modules[0], modules[1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", ["NAdam", "ASGD-averaging-decay"])
def test_scalar_state_has_pytorchs_precision_under_a_float64_default_dtype(case):
    # NAdam's mu_product and ASGD's eta and mu are PyTorch tensors of the default dtype: float64 here
    name, kwargs = CASES[case]
    previous = fastgrad.get_default_dtype(), torch.get_default_dtype()
    fastgrad.set_default_dtype(fastgrad.float64)
    torch.set_default_dtype(torch.float64)
    try:
        ours, _ = run_fastgrad(name, kwargs, np.float64)
        theirs, _ = run_torch(name, kwargs, np.float64)
    finally:
        fastgrad.set_default_dtype(previous[0])
        torch.set_default_dtype(previous[1])
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name, kwargs", [("SparseAdam", dict(lr=0.1)), ("Adagrad", dict(lr=0.5, lr_decay=0.5))])
def test_a_step_after_zero_grad_without_set_to_none_counts_for_sparse_gradients(name, kwargs):
    # PyTorch zeroes a sparse gradient in place: the next step still has one (without rows) and counts it, which
    # moves SparseAdam's bias corrections and Adagrad's decayed rate for every later step
    weight, ids = np.linspace(-1, 1, 12).reshape(4, 3), [[1, 2]]
    results = []
    for library, layers, optimizers in ((fastgrad, nn, optim), (torch, torch.nn, torch.optim)):
        embedding = layers.Embedding(4, 3, sparse=True).double()
        embedding.weight.data = library.tensor(weight.copy())
        optimizer = getattr(optimizers, name)(embedding.parameters(), **kwargs)
        for step in range(4):
            optimizer.zero_grad(set_to_none=False)
            if step != 1:
                (embedding(library.tensor(ids)) ** 2).sum().backward()
            optimizer.step()
        results.append(embedding.weight.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_adagrad_starts_every_group_from_the_constructors_initial_accumulator_value():
    # PyTorch ignores a group's own initial_accumulator_value: the sum starts at the constructor's.
    trajectories = []
    for library, make in ((fastgrad, optim.Adagrad), (torch, torch.optim.Adagrad)):
        params = [library.tensor(P0.copy(), requires_grad=True) for _ in range(2)]
        optimizer = make([{"params": [params[0]]}, {"params": [params[1]], "initial_accumulator_value": 0.7}],
                         lr=0.3, initial_accumulator_value=0.2)
        for _ in range(3):
            for param in params:
                param.grad = library.tensor(C + D * param.detach().numpy())
            optimizer.step()
        trajectories.append([param.detach().numpy() for param in params])
    np.testing.assert_allclose(trajectories[0], trajectories[1], rtol=1e-12)
