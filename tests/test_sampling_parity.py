"""poisson and binomial against PyTorch: shapes, dtypes, requires_grad and gradients (zero for poisson, a raising
backward for binomial), means over many draws (the draws themselves are fastgrad's own), and the errors of the
arguments PyTorch refuses. Where PyTorch returns garbage (an infinite rate, a probability outside [0, 1], a
fractional or negative count), fastgrad raises: those are tested in test_sampling.py."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3)])
def test_poisson_shapes_dtypes_and_gradients_match_torch(dtype, shape):
    results = []
    for lib in (fastgrad, torch):
        rates = lib.full(shape, 3.0, dtype=getattr(lib, dtype), requires_grad=True)
        out = lib.poisson(rates)
        assert out.requires_grad
        (out * 2).sum().backward()
        results.append((tuple(out.shape), str(out.dtype).replace("torch.", ""), rates.grad.numpy()))
    assert results[0][:2] == results[1][:2]
    np.testing.assert_array_equal(results[0][2], results[1][2])  # zeros


@pytest.mark.parametrize("count_shape, prob_shape", [((3,), (3,)), ((2, 1), (3,)), ((), (4,))])
def test_binomial_shapes_dtypes_and_gradients_match_torch(count_shape, prob_shape):
    for lib in (fastgrad, torch):
        count = lib.full(count_shape, 6.0, requires_grad=True)
        out = lib.binomial(count, lib.full(prob_shape, 0.5))
        assert tuple(out.shape) == tuple(np.broadcast_shapes(count_shape, prob_shape))
        assert out.dtype == lib.float32 and out.requires_grad
        with pytest.raises(RuntimeError, match="derivative"):
            out.sum().backward()


def test_means_agree_with_torchs():
    rates, counts, probs = np.array([0.5, 3.0, 30.0]), np.array([1.0, 10.0, 50.0]), np.array([0.5, 0.2, 0.9])
    fastgrad.manual_seed(0)
    torch.manual_seed(0)
    means = []
    for lib in (fastgrad, torch):
        poisson = lib.poisson(lib.tensor(np.tile(rates, (20000, 1)))).numpy().mean(0)
        binomial = lib.binomial(lib.tensor(np.tile(counts, (20000, 1))), lib.tensor(np.tile(probs, (20000, 1))))
        means.append((poisson, binomial.numpy().mean(0)))
    for ours, theirs, sd in ((means[0][0], means[1][0], np.sqrt(rates / 20000)),
                             (means[0][1], means[1][1], np.sqrt(counts * probs * (1 - probs) / 20000))):
        assert (np.abs(ours - theirs) < 8 * sd).all()  # (two samples' means: within 5.6 sd of each other)


@pytest.mark.parametrize("call", [
    lambda lib: lib.poisson(lib.tensor([-1.0, 2.0])), lambda lib: lib.poisson(lib.tensor([np.nan])),
    lambda lib: lib.poisson(lib.tensor([1, 2])), lambda lib: lib.poisson([1.0]),
    lambda lib: lib.poisson(lib.ones(2), generator=1),
    lambda lib: lib.binomial(lib.tensor([1, 2]), lib.tensor([0.5, 0.5])),
    lambda lib: lib.binomial(lib.tensor([1.0, 2.0]), lib.tensor([0, 1])),
    lambda lib: lib.binomial(lib.tensor([1.0]), lib.tensor([0.5], dtype=lib.float64)),
    lambda lib: lib.binomial(lib.tensor([1.0]), 0.5), lambda lib: lib.binomial(lib.ones(2), lib.ones(3)),
], ids=["negative", "nan", "int", "list", "generator", "int count", "int prob", "dtypes", "number", "shapes"])
def test_both_refuse(call):
    with pytest.raises((RuntimeError, TypeError, ValueError, NotImplementedError)) as theirs:
        call(torch)
    expected = {RuntimeError: (RuntimeError, ValueError)}.get(theirs.type, theirs.type)
    with pytest.raises(expected):
        call(fastgrad)
