"""Tensor hooks in walks pruned to some inputs (autograd.grad, backward(inputs=)) against PyTorch: the hooks of a
single root run on its gradient, retain_grad's too, even when no input lies beyond the root; those of one root of
several, and of a tensor that is not on a path to an input, do not."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def hooked_grads(lib, case, create_graph):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    root = x.exp()
    root.retain_grad()
    seen = []
    root.register_hook(lambda g: seen.append(g.tolist()))
    beyond = root * 3
    if case == "no input beyond the root":
        lib.autograd.grad(root, [beyond], lib.ones(2, dtype=lib.float64), allow_unused=True,
                          create_graph=create_graph)
    elif case == "one root of two, none beyond it":
        other = x * 2
        lib.autograd.backward([root, other], [lib.ones(2, dtype=lib.float64)] * 2, inputs=[other],
                              create_graph=create_graph)
    elif case == "a tensor off the path to the input":
        other = x * 2
        lib.autograd.grad((root + other).sum(), [other], create_graph=create_graph)
    return None if root.grad is None else root.grad.tolist(), seen


@pytest.mark.filterwarnings("ignore:Using backward")
@pytest.mark.parametrize("create_graph", [False, True])
def test_the_hooks_of_a_leaf_root_run_as_torch_s_when_it_is_not_an_input(create_graph):
    def hooks_seen(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        seen = []
        x.register_hook(lambda g: seen.append(g.tolist()))
        result = lib.autograd.grad(x, [x * 2], lib.ones(2, dtype=lib.float64), allow_unused=True,
                                   create_graph=create_graph)
        return result, seen, x.grad

    assert hooks_seen(fastgrad) == hooks_seen(torch)


@pytest.mark.filterwarnings("ignore:Using backward")  # (torch warns of the .grad reference cycle)
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", ["no input beyond the root",
                                  "one root of two, none beyond it",
                                  "a tensor off the path to the input"])
def test_the_hooks_of_roots_run_as_torch_s_when_no_input_lies_beyond_them(case, create_graph):
    assert hooked_grads(fastgrad, case, create_graph) == hooked_grads(torch, case, create_graph)
