"""Each optimizer against a plain NumPy transcription of its update rule (PyTorch parity is in
test_optimizers_parity.py), maximize=, sparse gradients, state dicts and argument errors."""
import math

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.optim as optim

STEPS = 6
C = np.array([[0.5, -1.0, 2.0], [0.1, 0.0, -0.3]])
D = np.array([[1.0, 2.0, 0.5], [3.0, 0.2, 1.5]])
P0 = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.2]])


def gradient(p):
    """d/dp of sum(c p + d p^2 / 2): a small problem with a different curvature per coordinate."""
    return C + D * p


def run_fastgrad(make, steps=STEPS):
    param = nn.Parameter(P0.copy())
    optimizer = make([param])
    trajectory = []
    for _ in range(steps):
        param.grad = fastgrad.tensor(gradient(param.detach().numpy()))
        optimizer.step()
        trajectory.append(param.detach().numpy().copy())
    return np.array(trajectory)


def run_transcription(update, steps=STEPS, **state):
    p, trajectory = P0.copy(), []
    for t in range(1, steps + 1):
        p = update(p, gradient(p), t, state)
        trajectory.append(p.copy())
    return np.array(trajectory)


def sgd_rule(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    def update(p, g, t, state):
        g = g + weight_decay * p
        if momentum:
            state["b"] = g if t == 1 else momentum * state["b"] + (1 - dampening) * g
            g = g + momentum * state["b"] if nesterov else state["b"]
        return p - lr * g
    return update


def adagrad_rule(lr, lr_decay=0.0, weight_decay=0.0, initial=0.0, eps=1e-10):
    def update(p, g, t, state):
        state.setdefault("s", np.full_like(p, initial))
        g = g + weight_decay * p
        state["s"] = state["s"] + g * g
        return p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(state["s"]) + eps)
    return update


def rmsprop_rule(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    def update(p, g, t, state):
        g = g + weight_decay * p
        state["v"] = alpha * state.get("v", 0) + (1 - alpha) * g * g
        v = state["v"]
        if centered:
            state["a"] = alpha * state.get("a", 0) + (1 - alpha) * g
            v = v - state["a"] ** 2
        step = g / (np.sqrt(v) + eps)
        if momentum:
            state["b"] = momentum * state.get("b", 0) + step
            step = state["b"]
        return p - lr * step
    return update


def adadelta_rule(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    def update(p, g, t, state):
        g = g + weight_decay * p
        state["v"] = rho * state.get("v", 0) + (1 - rho) * g * g
        delta = np.sqrt(state.get("u", 0) + eps) / np.sqrt(state["v"] + eps) * g
        state["u"] = rho * state.get("u", 0) + (1 - rho) * delta * delta
        return p - lr * delta
    return update


def adam_rule(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    b1, b2 = betas

    def update(p, g, t, state):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        state["m"] = b1 * state.get("m", 0) + (1 - b1) * g
        state["v"] = b2 * state.get("v", 0) + (1 - b2) * g * g
        v = state["v"]
        if amsgrad:
            state["vmax"] = v = np.maximum(state.get("vmax", 0), v)
        m_hat, v_hat = state["m"] / (1 - b1**t), v / (1 - b2**t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return update


def rprop_rule(lr, etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
    def update(p, g, t, state):
        product = g * state.get("prev", 0)
        factor = np.where(product > 0, etas[1], np.where(product < 0, etas[0], 1.0))
        state["size"] = np.clip(state.get("size", lr) * factor, *step_sizes)
        g = np.where(product < 0, 0, g)
        state["prev"] = g
        return p - np.sign(g) * state["size"]
    return update


def asgd_rule(lr, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0):
    def update(p, g, t, state):
        eta, mu = state.get("eta", float(np.float32(lr))), state.get("mu", 1.0)
        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        state["ax"] = p if mu == 1 else state["ax"] + mu * (p - state["ax"])
        state["eta"] = float(np.float32(lr / (1 + lambd * lr * t) ** alpha))  # kept in float32, as PyTorch
        state["mu"] = float(np.float32(1 / max(1, t - t0)))
        return p
    return update


CASES = {
    "sgd": (lambda p: optim.SGD(p, lr=0.1), sgd_rule(0.1)),
    "sgd-momentum-decay": (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
                           sgd_rule(0.1, 0.9, 0.1, 0.01)),
    "sgd-nesterov": (lambda p: optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True), sgd_rule(0.05, 0.8, nesterov=True)),
    "adagrad": (lambda p: optim.Adagrad(p, lr=0.3, lr_decay=0.1, weight_decay=0.02, initial_accumulator_value=0.1),
                adagrad_rule(0.3, 0.1, 0.02, 0.1)),
    "rmsprop": (lambda p: optim.RMSprop(p, lr=0.01), rmsprop_rule(0.01)),
    "rmsprop-centered-momentum": (lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.5,
                                                          centered=True),
                                  rmsprop_rule(0.01, 0.9, weight_decay=0.1, momentum=0.5, centered=True)),
    "adadelta": (lambda p: optim.Adadelta(p), adadelta_rule()),
    "adadelta-decay": (lambda p: optim.Adadelta(p, lr=0.5, rho=0.95, eps=1e-4, weight_decay=0.1),
                       adadelta_rule(0.5, 0.95, 1e-4, 0.1)),
    "adam": (lambda p: optim.Adam(p, lr=0.1), adam_rule(0.1)),
    "adam-l2-amsgrad": (lambda p: optim.Adam(p, lr=0.1, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True),
                        adam_rule(0.1, (0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    "adamw": (lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.1), adam_rule(0.1, weight_decay=0.1, decoupled=True)),
    "rprop": (lambda p: optim.Rprop(p, lr=0.1), rprop_rule(0.1)),
    "rprop-etas-step_sizes": (lambda p: optim.Rprop(p, lr=0.3, etas=(0.3, 1.5), step_sizes=(0.01, 0.5)),
                              rprop_rule(0.3, (0.3, 1.5), (0.01, 0.5))),
    "asgd": (lambda p: optim.ASGD(p, lr=0.1, lambd=0.1, alpha=0.5, t0=2, weight_decay=0.1),
             asgd_rule(0.1, 0.1, 0.5, 2, 0.1)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_trajectory_matches_numpy_transcription(name):
    make, rule = CASES[name]
    np.testing.assert_allclose(run_fastgrad(make), run_transcription(rule), rtol=1e-9, atol=1e-12)


def test_chunked_updates_equal_whole_array_updates(monkeypatch):
    """Large parameters are updated chunk by chunk; the result must not depend on the chunk size."""
    from fastgrad.optim import optimizer as optimizer_module

    rng = np.random.default_rng(0)
    start, grads = rng.standard_normal((50, 7)), rng.standard_normal((3, 50, 7))

    def run(chunk):
        monkeypatch.setattr(optimizer_module, "CHUNK", chunk)
        results = []
        for make in (lambda p: optim.Adam(p, lr=0.1, amsgrad=True), lambda p: optim.RMSprop(p, centered=True,
                     momentum=0.9), lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adagrad(p)):
            param = nn.Parameter(start.copy())
            optimizer = make([param])
            for g in grads:
                param.grad = fastgrad.tensor(g)
                optimizer.step()
            results.append(param.detach().numpy())
        return results

    for whole, chunked in zip(run(10**6), run(16)):
        np.testing.assert_array_equal(whole, chunked)


# -- sparse gradients ----------------------------------------------------------------------------
IDS = [[1, 4, 4], [7, 1, 2]]  # the same rows every step, with repeats


def embedding_pair(seed=0):
    fastgrad.manual_seed(seed)
    sparse = nn.Embedding(10, 3, sparse=True).double()
    dense = nn.Embedding(10, 3).double()
    dense.load_state_dict(sparse.state_dict())
    return sparse, dense


def train(embedding, optimizer, steps=5):
    target = fastgrad.tensor(np.linspace(-1, 1, 18).reshape(2, 3, 3))
    for _ in range(steps):
        optimizer.zero_grad()
        ((embedding(fastgrad.tensor(IDS)) - target) ** 2).sum().backward()
        optimizer.step()
    return embedding.weight.detach().numpy()


@pytest.mark.parametrize("make_sparse, make_dense", [
    (lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1)),
    (lambda p: optim.Adagrad(p, lr=0.5, lr_decay=0.01), lambda p: optim.Adagrad(p, lr=0.5, lr_decay=0.01)),
    (lambda p: optim.SparseAdam(p, lr=0.1), lambda p: optim.Adam(p, lr=0.1)),
])
def test_sparse_and_dense_paths_agree_on_touched_rows(make_sparse, make_dense):
    sparse, dense = embedding_pair()
    start = sparse.weight.detach().numpy().copy()
    sparse_result = train(sparse, make_sparse(sparse.parameters()))
    dense_result = train(dense, make_dense(dense.parameters()))
    touched = sorted({i for row in IDS for i in row})
    untouched = [i for i in range(10) if i not in touched]
    assert not np.allclose(sparse_result[touched], start[touched])
    # SparseAdam adds eps before the bias correction of v, Adam after: equal up to ~eps
    np.testing.assert_allclose(sparse_result[touched], dense_result[touched], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(sparse_result[untouched], start[untouched])


@pytest.mark.parametrize("make", [lambda p: optim.Adam(p), lambda p: optim.AdamW(p), lambda p: optim.RMSprop(p),
                                  lambda p: optim.SGD(p, lr=0.1, weight_decay=0.1),
                                  lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1),
                                  lambda p: optim.Adagrad(p, weight_decay=0.1), lambda p: optim.Adadelta(p)])
def test_dense_only_rules_refuse_sparse_gradients(make):
    emb = nn.Embedding(5, 2, sparse=True)
    optimizer = make(emb.parameters())
    emb(fastgrad.tensor([1])).sum().backward()
    with pytest.raises(RuntimeError, match="does not support sparse gradients"):
        optimizer.step()


def test_sparse_adam_refuses_dense_gradients():
    layer = nn.Linear(2, 2)
    optimizer = optim.SparseAdam(layer.parameters())
    layer(fastgrad.ones(1, 2)).sum().backward()
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
        optimizer.step()


# -- groups, state, zero_grad -------------------------------------------------------------------------
def test_param_groups_override_defaults():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    optimizer = optim.SGD([{"params": a.parameters()}, {"params": b.parameters(), "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.5]
    assert optimizer.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [a.weight]})
    with pytest.raises(TypeError, match="unknown option"):
        optim.SGD([{"params": a.parameters(), "learning_rate": 1}], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])


def test_zero_grad():
    layer = nn.Linear(2, 2)
    optimizer = optim.SGD(layer.parameters(), lr=0.1)
    layer(fastgrad.ones(1, 2)).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(layer.weight.grad.numpy(), 0)
    optimizer.zero_grad()
    assert layer.weight.grad is None


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_resumes_the_same_trajectory(name):
    make, _ = CASES[name]
    expected = run_fastgrad(make)
    param = nn.Parameter(P0.copy())
    first = make([param])
    for _ in range(3):
        param.grad = fastgrad.tensor(gradient(param.detach().numpy()))
        first.step()
    resumed_param = nn.Parameter(param.detach().numpy().copy())
    resumed = make([resumed_param])
    resumed.param_groups[0]["lr"] = 123.0  # overwritten by the loaded hyperparameters
    resumed.load_state_dict(first.state_dict())
    for _ in range(STEPS - 3):
        resumed_param.grad = fastgrad.tensor(gradient(resumed_param.detach().numpy()))
        resumed.step()
    np.testing.assert_array_equal(resumed_param.detach().numpy(), expected[-1])


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_of_a_0d_parameter_resumes_the_same_trajectory(name):
    # The state arrays of a 0-d parameter are 0-d too: loading them must not turn them into numbers.
    make, _ = CASES[name]
    params = [nn.Parameter(np.array(0.7)) for _ in range(2)]
    first, second = make([params[0]]), make([params[1]])
    for step in range(4):
        for param in params:
            param.grad = fastgrad.tensor(np.array(0.3 - 0.2 * step))
        first.step()
        second.step()
        if step == 1:
            resumed = make([params[1]])
            resumed.load_state_dict(second.state_dict())
            second = resumed
    assert params[1].detach().numpy() == params[0].detach().numpy()


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p, lr=0.1)])
def test_a_parameter_viewing_other_memory_is_updated_in_that_memory(make):
    # a non-contiguous view (here a transpose) is updated through a contiguous copy, written back as PyTorch's
    # in-place update would be: the tensor it views changes too
    base = fastgrad.tensor(P0.T.copy())
    params = [nn.Parameter(base.t()), nn.Parameter(P0.copy())]
    optimizers = [make([params[0]]), make([params[1]])]
    for _ in range(3):
        for param, optimizer in zip(params, optimizers):
            param.grad = fastgrad.tensor(gradient(param.detach().numpy()))
            optimizer.step()
    np.testing.assert_array_equal(params[0].detach().numpy(), params[1].detach().numpy())
    np.testing.assert_array_equal(base.detach().numpy(), params[1].detach().numpy().T)


def test_adagrad_state_dict_saved_before_the_first_step_keeps_the_starting_sum():
    # As PyTorch's, the sum exists from construction: loading it into an Adagrad built with another
    # initial_accumulator_value must not restart the parameter from that other value.
    params = [nn.Parameter(P0.copy()) for _ in range(2)]
    saved = optim.Adagrad([params[0]], lr=0.3, initial_accumulator_value=0.5)
    np.testing.assert_array_equal(saved.state_dict()["state"][0]["sum"], np.full(P0.shape, 0.5))
    direct = optim.Adagrad([params[1]], lr=0.3, initial_accumulator_value=0.5)
    resumed = optim.Adagrad([params[0]], lr=0.3)
    resumed.load_state_dict(saved.state_dict())
    for _ in range(2):
        for param, optimizer in zip(params, (resumed, direct)):
            param.grad = fastgrad.tensor(gradient(param.detach().numpy()))
            optimizer.step()
    np.testing.assert_array_equal(params[0].detach().numpy(), params[1].detach().numpy())


def test_load_state_dict_checks_shapes_and_groups():
    optimizer = optim.Adam(nn.Linear(3, 2).parameters())
    other = nn.Linear(3, 4)
    other_optimizer = optim.Adam(other.parameters())
    other(fastgrad.ones(1, 3)).sum().backward()
    other_optimizer.step()
    with pytest.raises(ValueError, match="'exp_avg' of parameter 0 has shape"):
        optimizer.load_state_dict(other_optimizer.state_dict())
    with pytest.raises(ValueError, match="has 1 parameters, this optimizer's has 2"):
        optimizer.load_state_dict({"state": {}, "param_groups": [{"params": [0], "lr": 1.0}]})


def test_step_bumps_parameter_version_so_stale_graphs_are_caught():
    layer = nn.Linear(2, 2)
    optimizer = optim.SGD(layer.parameters(), lr=0.1)
    layer(fastgrad.ones(1, 2)).sum().backward()
    stale = (layer(fastgrad.ones(1, 2)) ** 2).sum()
    optimizer.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        stale.backward()


def test_closure_is_evaluated_with_grad():
    layer = nn.Linear(2, 1)
    optimizer = optim.SGD(layer.parameters(), lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = layer(fastgrad.ones(1, 2)).sum()
        loss.backward()
        return loss

    with fastgrad.no_grad():
        loss = optimizer.step(closure)
    assert math.isfinite(loss.item())


@pytest.mark.parametrize("make, option", [(optim.SGD, "decoupled_weight_decay"), (optim.Adam, "differentiable"),
                                          (optim.Adam, "capturable"), (optim.SGD, "fused")])
def test_loading_a_state_dict_that_turns_on_an_option_fastgrad_lacks_raises(make, option):
    """A PyTorch state dict with decoupled_weight_decay=True on SGD (say) would otherwise load and then
    step differently."""
    param = nn.Parameter(np.ones(2))
    optimizer = make([param], lr=0.1)
    state = optimizer.state_dict()
    state["param_groups"][0][option] = False  # PyTorch's default: harmless
    optimizer.load_state_dict(state)
    state["param_groups"][0][option] = True
    with pytest.raises(ValueError, match=f"{option}=True, which fastgrad's {make.__name__} does not implement"):
        optimizer.load_state_dict(state)


ALL_OPTIMIZERS = [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad, optim.Adadelta, optim.RMSprop, optim.NAdam,
                  optim.RAdam, optim.Adamax, optim.Rprop, optim.ASGD]


@pytest.mark.parametrize("make", ALL_OPTIMIZERS)
def test_maximize_ascends_exactly_as_minimizing_the_negated_gradient(make):
    grads = [gradient(P0 + step) for step in range(4)]
    ascending, descending = nn.Parameter(P0.copy()), nn.Parameter(P0.copy())
    ascent, descent = make([ascending], lr=0.01, maximize=True), make([descending], lr=0.01)
    for g in grads:
        ascending.grad, descending.grad = fastgrad.tensor(g), fastgrad.tensor(-g)
        ascent.step(), descent.step()
    np.testing.assert_array_equal(ascending.detach().numpy(), descending.detach().numpy())
    first = nn.Parameter(P0.copy())
    one_step = make([first], lr=0.01, maximize=True)
    first.grad = fastgrad.tensor(grads[0])
    one_step.step()
    assert np.all(np.sign(first.detach().numpy() - P0) == np.sign(grads[0]))  # moved up the gradient, coordinate-wise


@pytest.mark.parametrize("make", [lambda p, **kw: optim.SGD(p, lr=0.1, **kw), lambda p, **kw: optim.Adagrad(p, **kw),
                                  lambda p, **kw: optim.SparseAdam(p, lr=0.1, **kw)])
def test_maximize_with_sparse_gradients(make):
    sparse, _ = embedding_pair()
    start = sparse.weight.detach().numpy().copy()
    ascended = train(sparse, make(sparse.parameters(), maximize=True), steps=1)
    # one step: the loss (a sum of squares) grows, so the touched rows move away from the target
    descended_embedding, _ = embedding_pair()
    descended = train(descended_embedding, make(descended_embedding.parameters()), steps=1)
    touched = sorted({i for row in IDS for i in row})
    np.testing.assert_allclose(ascended[touched] - start[touched], start[touched] - descended[touched], rtol=1e-12)


@pytest.mark.parametrize("make, option", [(optim.SGD, "differentiable"), (optim.SGD, "fused"),
                                          (optim.Adam, "capturable"), (optim.AdamW, "fused"),
                                          (optim.Adagrad, "fused"), (optim.Adadelta, "capturable"),
                                          (optim.RMSprop, "differentiable"), (optim.NAdam, "capturable"),
                                          (optim.RAdam, "differentiable"), (optim.Adamax, "capturable"),
                                          (optim.Rprop, "capturable"), (optim.ASGD, "differentiable")])
def test_speed_options_are_accepted_off_and_refused_on(make, option):
    param = nn.Parameter(np.ones(2))
    make([param], **{option: False}, foreach=True)
    with pytest.raises(NotImplementedError, match=f"{make.__name__}: {option}=True is not implemented .* pass "
                                                  f"{option}=False"):
        make([param], **{option: True})


@pytest.mark.parametrize("make, kwargs, message", [
    (optim.NAdam, {"momentum_decay": -0.1}, "NAdam: momentum_decay must be >= 0, got -0.1"),
    (optim.NAdam, {"betas": (1.0, 0.9)}, r"NAdam: betas must be in \[0, 1\), got \(1.0, 0.9\)"),
    (optim.RAdam, {"lr": -1.0}, "RAdam: lr, eps and weight_decay must be >= 0, got -1.0, 1e-08, 0.0"),
    (optim.Adamax, {"weight_decay": -1.0}, "Adamax: lr, eps and weight_decay must be >= 0, got 0.002, 1e-08, -1.0"),
    (optim.Rprop, {"lr": -0.1}, "Rprop: lr must be >= 0, got -0.1"),
    (optim.Rprop, {"etas": (1.2, 0.5)}, r"Rprop: etas must be \(etaminus, etaplus\) with 0 < etaminus < 1 < etaplus, "
                                        r"got \(1.2, 0.5\)"),
    (optim.Rprop, {"etas": (0.5, 1.0)}, r"etaminus < 1 < etaplus, got \(0.5, 1.0\)"),
    (optim.Rprop, {"step_sizes": (1.0, 0.1)}, r"Rprop: step_sizes must be \(min, max\) with 0 <= min <= max, "
                                              r"got \(1.0, 0.1\)"),
    (optim.ASGD, {"lr": -1.0}, "ASGD: lr and weight_decay must be >= 0, got -1.0, 0"),
    (optim.ASGD, {"weight_decay": -0.5}, "ASGD: lr and weight_decay must be >= 0, got 0.01, -0.5"),
])
def test_new_optimizers_refuse_bad_hyperparameters(make, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make([nn.Parameter(np.ones(2))], **kwargs)


@pytest.mark.parametrize("make", [
    lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9), lambda p, lr: optim.Adam(p, lr=lr), optim.AdamW, optim.Adagrad,
    optim.Adadelta, optim.Adamax, optim.NAdam, optim.RAdam, optim.RMSprop, optim.Rprop, optim.ASGD,
    lambda p, lr: optim.Adam(p, lr=lr, betas=(fastgrad.tensor(0.8, dtype=fastgrad.float64), 0.9)),
])
def test_a_tensor_lr_steps_as_the_same_number(make):
    # PyTorch takes a 0-d tensor lr (and betas); with one the in-place NumPy updates used to leave the
    # parameters unchanged
    params = [nn.Parameter(P0.copy()) for _ in range(2)]
    optimizers = [make([params[0]], 0.1), make([params[1]], fastgrad.tensor(0.1, dtype=fastgrad.float64))]
    for _ in range(3):
        for param, optimizer in zip(params, optimizers):
            param.grad = fastgrad.tensor(gradient(param.detach().numpy()))
            optimizer.step()
    assert not np.array_equal(params[1].detach().numpy(), P0)
    np.testing.assert_array_equal(params[1].detach().numpy(), params[0].detach().numpy())


def test_lbfgs_with_a_tensor_lr_steps_as_with_the_same_number():
    params = [nn.Parameter(P0.copy()) for _ in range(2)]
    for param, lr in zip(params, (0.5, fastgrad.tensor(0.5, dtype=fastgrad.float64))):
        optimizer = optim.LBFGS([param], lr=lr, max_iter=5)

        def closure():
            optimizer.zero_grad()
            loss = (param * fastgrad.tensor(C) + param * param * fastgrad.tensor(D) / 2).sum()
            loss.backward()
            return loss
        optimizer.step(closure)
    np.testing.assert_array_equal(params[1].detach().numpy(), params[0].detach().numpy())


@pytest.mark.parametrize("make", [optim.Adam, optim.Adamax, optim.NAdam, optim.RAdam])
def test_an_average_with_no_memory_is_the_gradient_to_its_last_digit(make):
    # beta1 = 0 leaves the average equal to the gradient; in float32, a small gradient after a large one lost its
    # digits in m + (g - m), where PyTorch's lerp, measured from g, keeps them
    param = nn.Parameter(np.ones(3, dtype=np.float32))
    optimizer = make([param], betas=(0.0, 0.99))
    for grad in (np.full(3, 1000.1, dtype=np.float32), np.float32([np.pi, -np.e, 1.5]) * np.float32(1e-3)):
        param.grad = fastgrad.tensor(grad)
        optimizer.step()
    np.testing.assert_array_equal(optimizer.state[param]["exp_avg"], grad)


NAN = float("nan")


@pytest.mark.parametrize("make, kwargs", [
    (optim.SGD, {"lr": NAN}), (optim.Adam, {"eps": NAN}), (optim.AdamW, {"weight_decay": NAN}),
    (optim.Adagrad, {"initial_accumulator_value": NAN}), (optim.Adagrad, {"lr_decay": NAN}),
    (optim.Adadelta, {"lr": NAN}), (optim.Adamax, {"lr": NAN}), (optim.NAdam, {"momentum_decay": NAN}),
    (optim.RAdam, {"weight_decay": NAN}), (optim.RMSprop, {"momentum": NAN}), (optim.Rprop, {"lr": NAN}),
    (optim.ASGD, {"lr": NAN}), (optim.SparseAdam, {"eps": NAN}), (optim.LBFGS, {"lr": NAN}),
    (optim.SparseAdam, {"lr": 0.0}), (optim.SparseAdam, {"eps": 0.0}),
])
def test_optimizers_refuse_nan_hyperparameters_and_sparse_adams_zero_lr_and_eps(make, kwargs):
    # PyTorch's checks read `0 <= value` (SparseAdam's `0 < value`), which NaN fails too: a NaN rate would
    # silently turn every parameter into NaN at the first step
    (option, value), = kwargs.items()
    with pytest.raises(ValueError, match=f"{make.__name__}: .*{option}.* must be >= 0|{make.__name__}: .*{option}.* "
                                         f"must be > 0"):
        make([nn.Parameter(np.ones(2))], **kwargs)


@pytest.mark.parametrize("make", [optim.NAdam, optim.RAdam, optim.Adamax, optim.Rprop, optim.ASGD])
def test_new_optimizers_refuse_sparse_gradients(make):
    emb = nn.Embedding(5, 2, sparse=True)
    optimizer = make(emb.parameters())
    emb(fastgrad.tensor([1])).sum().backward()
    with pytest.raises(RuntimeError, match=f"{make.__name__} does not support sparse gradients"):
        optimizer.step()


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"rho": 1.5}, {"eps": -1.0}, {"weight_decay": -0.1}])
def test_adadelta_refuses_bad_hyperparameters(kwargs):
    with pytest.raises(ValueError, match="Adadelta: lr, eps and weight_decay must be >= 0 and rho in"):
        optim.Adadelta([nn.Parameter(fastgrad.zeros(2))], **kwargs)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.01)])
def test_updates_shared_among_two_threads_equal_the_serial_ones(counted_splits, make):
    import numba

    rng = np.random.default_rng(0)
    shapes = [(1000, 600), (600, 1000), (7,)]  # 1.2 million weights: worth two threads
    starts = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    grads = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    results = {}
    for count in (1, 2):
        numba.set_num_threads(count)
        params = [fastgrad.tensor(start.copy(), requires_grad=True) for start in starts]
        optimizer = make(params)
        for _ in range(2):
            for param, grad in zip(params, grads):
                param.grad = fastgrad.tensor(grad)
            optimizer.step()
        results[count] = [param.detach().numpy() for param in params]
    assert counted_splits == [2, 2]  # the two steps at two threads
    for threaded, serial in zip(results[2], results[1]):
        np.testing.assert_array_equal(threaded, serial)
