"""autograd.grad and backward(inputs=) with respect to a tensor changed in place after an op read it (v[mask] += c
reads v, then writes it): the gradient is that of v's current version, as PyTorch 2.13's, and the op that read the
older version does not lead to it (the walk ran it and freed what it needed, then raised)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def changed(lib, how):
    x = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
    v = x * x - x
    if how == "masked add":
        v[v > 0] += 1.48
    else:
        w = v.exp()
        v.mul_(2)
        v = v + w
    weights = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    (alone,) = lib.autograd.grad((v * weights).sum(), [v])
    both = lib.autograd.grad((v * weights).sum(), [v, x], retain_graph=True)
    v.retain_grad()
    (v * weights).sum().backward(inputs=[v])
    return [alone.numpy()] + [g.numpy() for g in both] + [v.grad.numpy()]


@pytest.mark.parametrize("how", ["masked add", "mul_ after a use"])
def test_gradient_of_a_tensor_changed_after_use_matches_torch(how):
    for ours, theirs in zip(changed(fastgrad, how), changed(torch, how), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def changed_after_use_on_another_branch(lib, create_graph):
    x = lib.tensor([0.5, -0.3], dtype=lib.float64, requires_grad=True)
    d = x.detach()
    y = (d + x).unsqueeze(0).pow(2)  # (a longer branch: the node of mul_ below runs before the one of +)
    d.mul_(x.exp())
    (y.sum() + d.sum()).backward(create_graph=create_graph)
    return x.grad.tolist()


@pytest.mark.filterwarnings("ignore:Using backward")  # (torch warns of the .grad reference cycle)
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_backward_runs_an_op_that_read_a_tensor_before_a_change_that_ran_first_as_torch(create_graph):
    """The history that `d + x` read (d before mul_) is held by mul_'s node only: a backward without retain_graph
    that runs mul_'s node first still reaches it (it raised, "freed by an earlier backward")."""
    assert changed_after_use_on_another_branch(fastgrad, create_graph) == pytest.approx(
        changed_after_use_on_another_branch(torch, create_graph), rel=1e-12)
