"""autograd.grad(materialize_grads=True): an input the outputs do not reach gets zeros that, with create_graph, are
a leaf requiring grad, as PyTorch 2.13's (plain and batched), so a second grad can take them in."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def materialized(lib, create_graph, batched):
    x = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
    unused = lib.tensor([[0.5, 3.0]], dtype=lib.float64, requires_grad=True)
    y = x * x
    rows = lib.eye(2, dtype=lib.float64) if batched else lib.ones(2, dtype=lib.float64)
    g, zeros = lib.autograd.grad(y, [x, unused], rows, create_graph=create_graph, materialize_grads=True,
                                 is_grads_batched=batched)
    flags = [(t.requires_grad, t.is_leaf, t.grad_fn is None, tuple(t.shape)) for t in (g, zeros)]
    if create_graph:
        second = lib.autograd.grad((g * g).sum() + (zeros * zeros).sum(), [x, unused], allow_unused=True)
        flags.append([None if s is None else s.numpy().tolist() for s in second])
    return flags, zeros.detach().numpy()


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
def test_materialized_zeros_have_torch_s_flags(create_graph, batched):
    (ours, our_zeros), (theirs, their_zeros) = (materialized(lib, create_graph, batched) for lib in (fastgrad, torch))
    assert ours == theirs
    np.testing.assert_array_equal(our_zeros, their_zeros)
