"""Calls PyTorch 2.13 refuses, refused by fastgrad too (never a plausible number in their place), and calls it
computes that fastgrad used to refuse, computed the same."""
import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

REFUSED = {
    "cov of bools": lambda L: L.cov(L.tensor([[True, False], [True, True]])),
    "corrcoef of bools": lambda L: L.tensor([[True, False], [True, True]]).corrcoef(),
    "trace of bools": lambda L: L.trace(L.tensor([[True, False], [True, True]])),
    "dot of bools": lambda L: L.dot(L.tensor([True, False]), L.tensor([True, True])),
    "matmul of bools": lambda L: L.tensor([[True, False]]) @ L.tensor([[True], [True]]),
    "mm of bools": lambda L: L.mm(L.ones(2, 2, dtype=L.bool), L.ones(2, 2, dtype=L.bool)),
    "bmm of bools": lambda L: L.bmm(L.ones(1, 2, 2, dtype=L.bool), L.ones(1, 2, 2, dtype=L.bool)),
    "addmm of bools": lambda L: L.addmm(*[L.ones(2, 2, dtype=L.bool)] * 3),
    "mv of bools": lambda L: L.mv(L.tensor([[True, False]]), L.tensor([True, True])),
    "cross of float32 and int64": lambda L: L.cross(L.tensor([1.0, 2.0, 3.0]), L.tensor([1, 2, 3]), dim=0),
    "cross of float32 and float64": lambda L: L.tensor([1.0, 2.0, 3.0]).cross(
        L.tensor([1.0, 2.0, 3.0], dtype=L.float64), dim=0),
    "linalg.cross of mixed dtypes": lambda L: L.linalg.cross(L.tensor([1.0, 2.0, 3.0]), L.tensor([1, 2, 3])),
    "stack of one tensor": lambda L: L.stack(L.ones(2, 2)),
    "cat of one tensor": lambda L: L.cat(L.ones(2, 2)),
    "concat of one tensor": lambda L: L.concat(L.ones(2, 2)),
    "hstack of one tensor": lambda L: L.hstack(L.ones(2, 2)),
    "vstack of one tensor": lambda L: L.vstack(L.ones(2, 2)),
    "row_stack of one tensor": lambda L: L.row_stack(L.ones(2, 2)),
    "dstack of one tensor": lambda L: L.dstack(L.ones(2, 2)),
    "column_stack of one tensor": lambda L: L.column_stack(L.ones(2, 2)),
    "min(a, b, 0.5)": lambda L: L.min(L.tensor([1.0, 2.0]), L.tensor([0.0, 3.0]), 0.5),
    "max(a, b, True)": lambda L: L.max(L.tensor([1.0, 2.0]), L.tensor([0.0, 3.0]), True),
    "a.max(b, True)": lambda L: L.tensor([1.0, 2.0]).max(L.tensor([0.0, 3.0]), True),
    "Multinomial(total_count=0).sample()": lambda L: L.distributions.Multinomial(
        total_count=0, probs=L.tensor([0.5, 0.5])).sample(),
    "trunc_normal_ with std 0": lambda L: L.nn.init.trunc_normal_(L.empty(3), std=0.0),
    "Gumbel.cdf underflowing": lambda L: L.distributions.Gumbel(L.tensor(0.0), L.tensor(1.0)).cdf(L.tensor([-10.0])),
    "Gumbel.cdf rounding to 1": lambda L: L.distributions.Gumbel(L.tensor(0.0), L.tensor(1.0)).cdf(L.tensor([50.0])),
    "Gumbel.cdf float64 underflowing": lambda L: L.distributions.Gumbel(
        L.tensor(0.0, dtype=L.float64), L.tensor(1.0, dtype=L.float64)).cdf(L.tensor([-10.0], dtype=L.float64)),
    "huber_loss of an integer input": lambda L: L.nn.functional.huber_loss(L.tensor([1, 0]), L.tensor([1.0, 0.5])),
    "kl_div of an integer input": lambda L: L.nn.functional.kl_div(L.tensor([1, 0]), L.tensor([0.5, 0.5])),
    "kl_div of an integer target": lambda L: L.nn.functional.kl_div(L.tensor([0.5, 0.2]), L.tensor([1, 0])),
    "bce_with_logits of an integer input": lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        L.tensor([1, 0]), L.tensor([1.0, 0.0])),
    "bce_with_logits of an integer target": lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        L.tensor([1.0, 0.0]), L.tensor([1, 0])),
    "hinge_embedding_loss mean of an integer input": lambda L: L.nn.functional.hinge_embedding_loss(
        L.tensor([1, 0]), L.tensor([1.0, -1.0])),
    "nll_loss of an integer input": lambda L: L.nn.functional.nll_loss(L.tensor([[1, 0], [0, 1]]), L.tensor([0, 1])),
    "relu of bools": lambda L: L.relu(L.tensor([True, False])),
}
COMPUTED = {
    "poisson_nll_loss of an integer input": lambda L: L.nn.functional.poisson_nll_loss(
        L.tensor([[1, 0], [0, 1]]), L.tensor([[1.0, 0.0], [0.0, 1.0]])),
    "poisson_nll_loss of integers": lambda L: L.nn.functional.poisson_nll_loss(
        L.tensor([[1, 0], [0, 2]]), L.tensor([[1, 0], [0, 1]]), log_input=False),
    "gaussian_nll_loss of an integer input": lambda L: L.nn.functional.gaussian_nll_loss(
        L.tensor([[1, 0], [0, 1]]), L.tensor([[1.0, 0.5], [0.0, 1.0]]), L.ones(2, 2)),
    "a.max(b)": lambda L: L.tensor([1.0, 2.0]).max(L.tensor([0.0, 3.0])),
    "a.min(b)": lambda L: L.tensor([1.0, 2.0]).min(L.tensor([0.0, 3.0])),
    "max(a, b)": lambda L: L.max(L.tensor([1.0, 2.0]), L.tensor([0.0, 3.0])),
    "min(a, 0, True)": lambda L: L.min(L.tensor([[1.0, 2.0]]), 0, True).values,
    "stack of a list": lambda L: L.stack([L.ones(2), L.zeros(2)]),
    "cat of a tuple": lambda L: L.cat((L.ones(2), L.zeros(2))),
    "relu of int64": lambda L: L.relu(L.tensor([-3, 0, 2])),
    "F.relu of uint8": lambda L: L.nn.functional.relu(L.tensor([3, 0], dtype=L.uint8)),
    "relu_ of int32": lambda L: L.tensor([-3, 5], dtype=L.int32).relu_(),
}


@pytest.mark.parametrize("call", REFUSED)
def test_what_torch_refuses_is_refused(call):
    with pytest.raises((RuntimeError, TypeError, ValueError, NotImplementedError, ZeroDivisionError)):
        REFUSED[call](torch)
    with pytest.raises((RuntimeError, TypeError, ValueError, NotImplementedError, ZeroDivisionError)):
        REFUSED[call](fastgrad)


@pytest.mark.parametrize("call", COMPUTED)
def test_what_torch_computes_is_computed_alike(call):
    expected, got = COMPUTED[call](torch), COMPUTED[call](fastgrad)
    assert str(got.dtype).replace("torch.", "") == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


def test_trunc_normal_with_a_negative_std_draws_from_the_same_distribution_as_torch():
    torch.manual_seed(0)
    fastgrad.manual_seed(0)
    theirs = torch.nn.init.trunc_normal_(torch.empty(20000), mean=0.5, std=-1.0, a=-1.0, b=1.5).numpy()
    ours = fastgrad.nn.init.trunc_normal_(fastgrad.empty(20000), mean=0.5, std=-1.0, a=-1.0, b=1.5).numpy()
    assert ours.min() >= -1.0 and ours.max() <= 1.5
    np.testing.assert_allclose([ours.mean(), ours.std()], [theirs.mean(), theirs.std()], atol=0.03)


TYPED_REFUSALS = {
    "matmul of unaligned matrices": lambda L: L.ones(2, 3) @ L.ones(2, 3),
    "matmul of vectors of two lengths": lambda L: L.ones(3) @ L.ones(4),
    "matmul of a 0-d tensor": lambda L: L.ones(()) @ L.ones(2),
    "matmul of unaligned batches": lambda L: L.ones(2, 2, 3) @ L.ones(3, 3, 1),
    "matmul with an unaligned array": lambda L: L.ones(2, 3) @ np.ones((2, 3), np.float32),
    "permute without dims": lambda L: L.ones(2, 3).permute(),
    "permute with a repeated dim": lambda L: L.ones(2, 3).permute(0, 0),
    "permute with too many dims": lambda L: L.ones(2, 3).permute(0, 1, 2),
    "masked_fill_ with a 1-d value": lambda L: L.ones(3).masked_fill_(L.ones(3) > 0, L.ones(1)),
    "masked_fill with a 1-d value": lambda L: L.ones(3).masked_fill(L.ones(3) > 0, L.ones(1)),
    "index_fill_ with a 1-d value": lambda L: L.ones(2).index_fill_(0, L.tensor([0]), L.ones(1)),
}


@pytest.mark.parametrize("call", TYPED_REFUSALS)
def test_refusals_have_torchs_exception_type(call):
    # fastgrad raised ValueError for these where PyTorch raises RuntimeError (TypeError for permute())
    theirs = outcome(lambda: TYPED_REFUSALS[call](torch))
    assert isinstance(theirs, Raised)
    assert_raised_alike(outcome(lambda: TYPED_REFUSALS[call](fastgrad)), theirs)
