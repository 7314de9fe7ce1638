"""Sampling (fastgrad/random.py and its Tensor wrappers): multinomial, bernoulli, randperm, randint_like
and Generator. Draws cannot be compared with PyTorch's, so these test the distributions (chi-square
statistics against the 0.1% critical value, with fixed seeds), the invariants (no repeats without
replacement, zero-probability categories never drawn), reproducibility, and the errors."""
import numpy as np
import pytest

import fastgrad

# chi-square critical values at p = 0.001 by degrees of freedom
CRITICAL = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 9: 27.88}


def chi_square(counts, probs) -> float:
    counts, probs = np.asarray(counts, dtype=float), np.asarray(probs, dtype=float)
    expected = counts.sum() * probs
    return float(((counts - expected) ** 2 / expected).sum())


# -- multinomial -----------------------------------------------------------------------------------
def test_multinomial_with_replacement_follows_the_weights():
    fastgrad.manual_seed(0)
    weights = fastgrad.tensor([1.0, 2.0, 0.0, 7.0])  # unnormalized, with a zero
    draws = fastgrad.multinomial(weights, 20000, replacement=True)
    assert draws.shape == (20000,) and draws.dtype == fastgrad.int64
    counts = np.bincount(draws.numpy(), minlength=4)
    assert counts[2] == 0
    assert chi_square(counts[[0, 1, 3]], [0.1, 0.2, 0.7]) < CRITICAL[2]


def test_multinomial_rows_are_separate_distributions():
    probs = fastgrad.tensor([[0.5, 0.5, 0.0], [0.0, 0.1, 0.9]], dtype=fastgrad.float64)
    draws = probs.multinomial(5000, replacement=True, generator=fastgrad.Generator().manual_seed(1))
    assert draws.shape == (2, 5000)
    first, second = (np.bincount(row, minlength=3) for row in draws.numpy())
    assert first[2] == 0 and second[0] == 0
    assert chi_square(first[:2], [0.5, 0.5]) < CRITICAL[1] and chi_square(second[1:], [0.1, 0.9]) < CRITICAL[1]


def test_multinomial_without_replacement_never_repeats_and_follows_sequential_sampling():
    p = np.array([0.5, 0.3, 0.2])
    fastgrad.manual_seed(2)
    draws = fastgrad.tensor(np.tile(p, (6000, 1))).multinomial(2).numpy()  # 6000 rows, 2 draws each
    assert (draws[:, 0] != draws[:, 1]).all()
    assert chi_square(np.bincount(draws[:, 0], minlength=3), p) < CRITICAL[2]
    # the second draw renormalizes after removing the first: P(j) = sum_i p_i p_j / (1 - p_i)
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(3) if i != j) for j in range(3)])
    assert chi_square(np.bincount(draws[:, 1], minlength=3), second) < CRITICAL[2]


def test_multinomial_without_replacement_skips_zero_weights_and_can_draw_all():
    fastgrad.manual_seed(3)
    draws = fastgrad.tensor([[0.0, 1.0, 2.0, 0.0, 3.0]] * 50).multinomial(3).numpy()
    assert all(sorted(row) == [1, 2, 4] for row in draws)
    perm = fastgrad.multinomial(fastgrad.ones(6), 6).numpy()
    assert sorted(perm) == list(range(6))


def test_multinomial_is_reproducible_and_generators_are_independent():
    probs = fastgrad.tensor([0.2, 0.3, 0.5])
    fastgrad.manual_seed(5)
    a = probs.multinomial(10, True).tolist()
    fastgrad.manual_seed(5)
    g = fastgrad.Generator().manual_seed(9)
    b = probs.multinomial(10, True, generator=g).tolist()  # must not advance the global stream
    assert probs.multinomial(10, True).tolist() == a
    assert probs.multinomial(10, True, generator=fastgrad.Generator().manual_seed(9)).tolist() == b


@pytest.mark.parametrize("probs,num_samples,replacement,error,message", [
    ([0.2, 0.8], 0, True, RuntimeError, "multinomial: num_samples must be positive, got 0"),
    ([0.2, 0.8], 3, False, RuntimeError, "multinomial: cannot draw 3 samples without replacement from 2 categories"),
    ([-0.1, 1.0], 1, True, RuntimeError, "multinomial: probs must be finite and non-negative"),
    ([float("nan"), 1.0], 1, True, RuntimeError, "multinomial: probs must be finite and non-negative"),
    ([float("inf"), 1.0], 1, True, RuntimeError, "multinomial: probs must be finite and non-negative"),
    ([[1.0, 0.0], [0.0, 0.0]], 1, True, RuntimeError, "multinomial: the probabilities of row 1 sum to 0"),
    (1.0, 1, True, RuntimeError, r"multinomial: probs must be 1-D or 2-D, got shape \(\)"),
    (np.ones((2, 2, 2)), 1, True, RuntimeError, r"multinomial: probs must be 1-D or 2-D, got shape \(2, 2, 2\)"),
    ([1, 2], 1, True, RuntimeError, "multinomial: probs must be a floating point tensor, got dtype int64"),
    ([0.2, 0.8], 1.0, True, TypeError, "multinomial: num_samples must be an int, got float"),
])
def test_multinomial_errors(probs, num_samples, replacement, error, message):
    with pytest.raises(error, match=message):
        fastgrad.multinomial(fastgrad.tensor(probs), num_samples, replacement)


def test_multinomial_generator_must_be_a_fastgrad_generator():
    with pytest.raises(TypeError, match="generator must be a fastgrad.Generator or None, got numpy.random"):
        fastgrad.multinomial(fastgrad.ones(2), 1, generator=np.random.default_rng(0))


def test_multinomial_with_no_rows():
    assert fastgrad.multinomial(fastgrad.ones(0, 3), 2).shape == (0, 2)


# -- bernoulli -------------------------------------------------------------------------------------
def test_bernoulli_draws_each_element_with_its_probability():
    fastgrad.manual_seed(4)
    p = np.array([0.0, 0.25, 0.5, 1.0])
    draws = fastgrad.bernoulli(fastgrad.tensor(np.tile(p, (4000, 1)), dtype=fastgrad.float32)).numpy()
    assert draws.dtype == np.float32 and set(np.unique(draws)) <= {0.0, 1.0}
    ones = draws.sum(axis=0)
    assert ones[0] == 0 and ones[3] == 4000
    for column in (1, 2):
        assert chi_square([ones[column], 4000 - ones[column]], [p[column], 1 - p[column]]) < CRITICAL[1]
    assert fastgrad.tensor([0.3], dtype=fastgrad.float64).bernoulli().dtype == fastgrad.float64


def test_bernoulli_in_place_with_number_or_tensor_p():
    fastgrad.manual_seed(6)
    x = fastgrad.zeros(20000)
    assert x.bernoulli_() is x
    assert chi_square([x.numpy().sum(), 20000 - x.numpy().sum()], [0.5, 0.5]) < CRITICAL[1]
    rows = fastgrad.zeros(3, 2).bernoulli_(fastgrad.tensor([0.0, 1.0]))  # p broadcasts
    assert rows.tolist() == [[0.0, 1.0]] * 3
    assert fastgrad.zeros(3, dtype=fastgrad.int64).bernoulli_(1.0).tolist() == [1, 1, 1]
    assert fastgrad.bernoulli(fastgrad.zeros(2, 2), p=1.0).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    a = fastgrad.zeros(8).bernoulli_(0.5, generator=fastgrad.Generator().manual_seed(3))
    assert a.tolist() == fastgrad.zeros(8).bernoulli_(0.5, generator=fastgrad.Generator().manual_seed(3)).tolist()


def test_bernoulli_errors():
    for bad in (1.5, -0.5, float("nan")):
        with pytest.raises(ValueError, match=rf"bernoulli: probabilities must be in \[0, 1\], got {bad}"):
            fastgrad.bernoulli(fastgrad.tensor([0.5, bad]))
        with pytest.raises(ValueError, match=rf"bernoulli_: p must be in \[0, 1\], got {bad}"):
            fastgrad.zeros(2).bernoulli_(bad)
        with pytest.raises(ValueError, match=rf"bernoulli_: p must be in \[0, 1\], got {bad}"):
            fastgrad.zeros(2).bernoulli_(fastgrad.tensor([0.5, bad]))
    with pytest.raises(NotImplementedError,
                       match="bernoulli: probabilities must be a floating point tensor, got dtype int64"):
        fastgrad.bernoulli(fastgrad.tensor([0, 1]))
    for p in (fastgrad.tensor([0, 1, 1]), fastgrad.tensor([True, False, True])):  # PyTorch has no kernel for these
        with pytest.raises(NotImplementedError, match=f"bernoulli_: p must be a floating point tensor, got dtype "
                                                      f"{p.dtype}"):
            fastgrad.zeros(3).bernoulli_(p)
    with pytest.raises(RuntimeError, match=r"bernoulli_: p: the expanded size of the tensor \(3\) must match the "
                                           r"existing size \(2\)"):
        fastgrad.zeros(3).bernoulli_(fastgrad.tensor([0.5, 0.5]))
    for bad in ("0.5", True, 0.5j, None):
        with pytest.raises(TypeError, match=f"bernoulli_: p must be a real number, got {type(bad).__name__}"):
            fastgrad.zeros(3).bernoulli_(bad)


# -- uniform_ and normal_ ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [fastgrad.int64, fastgrad.int32, np.uint8, fastgrad.bool_])
@pytest.mark.parametrize("name, args", [("uniform_", (0, 1)), ("normal_", (5, 0.1))])
def test_uniform_and_normal_refuse_integer_and_bool_tensors(name, args, dtype):
    """PyTorch has no kernel for them; the cast truncated the draws (uniform_(0, 1) gave zeros, normal_(5, 0.1)
    gave 4s and 5s)."""
    target = fastgrad.zeros(3, dtype=dtype)
    with pytest.raises(NotImplementedError, match=f"{name}: expected a floating point tensor, got dtype "
                                                  f"{np.dtype(dtype).name}"):
        getattr(target, name)(*args)
    assert target._version == 0


def test_uniform_and_normal_take_degenerate_but_valid_arguments():
    """PyTorch's answers: a == b fills with a, std=0 with the mean, an empty tensor stays empty; a
    one-element tensor is a number."""
    assert fastgrad.zeros(3).uniform_(2, 2).tolist() == [2.0] * 3
    assert fastgrad.zeros(3, dtype=fastgrad.float64).normal_(-1.5, 0).tolist() == [-1.5] * 3
    assert fastgrad.zeros(2).normal_(fastgrad.tensor(4.0), fastgrad.tensor([0.0])).tolist() == [4.0, 4.0]
    assert fastgrad.zeros(0).uniform_(-1, 1).shape == (0,)
    assert fastgrad.zeros(3).normal_(float("inf"), 1).tolist() == [float("inf")] * 3  # mean may be infinite
    big = fastgrad.zeros(100).uniform_(-1.7e38, 1.7e38)  # b - a is just within float32's range
    assert np.abs(big.numpy()).max() <= 1.7e38 and np.isfinite(big.numpy()).all()


@pytest.mark.parametrize("call, error, message", [
    (lambda: fastgrad.zeros(3).normal_(0, -1), ValueError, "normal_: std must be non-negative, got -1.0"),
    (lambda: fastgrad.zeros(3).normal_(0, float("nan")), ValueError, "normal_: std must be non-negative, got nan"),
    (lambda: fastgrad.zeros(0).normal_(0, -0.5), ValueError, "normal_: std must be non-negative, got -0.5"),
    (lambda: fastgrad.zeros(3).uniform_(1, 0), ValueError,
     r"uniform_: the range \[a, b\) needs a <= b, got a=1.0, b=0.0"),
    (lambda: fastgrad.zeros(0).uniform_(5, 1), ValueError, r"uniform_: the range \[a, b\) needs a <= b"),
    (lambda: fastgrad.zeros(3).uniform_(float("nan"), 1), ValueError,
     "uniform_: a must be finite and at most 3.40282e[+]38 in magnitude for dtype float32, got nan"),
    (lambda: fastgrad.zeros(3).uniform_(0, float("inf")), ValueError,
     "uniform_: b must be finite and at most 3.40282e[+]38 in magnitude for dtype float32, got inf"),
    (lambda: fastgrad.zeros(3).uniform_(0, 1e39), ValueError, "uniform_: b must be finite .* got 1e[+]39"),
    (lambda: fastgrad.zeros(3).uniform_(-3e38, 3e38), ValueError,
     "uniform_: b - a must be at most 3.40282e[+]38, the largest float32, got a=-3e[+]38, b=3e[+]38"),
    (lambda: fastgrad.zeros(3, dtype=fastgrad.float64).uniform_(-1e308, 1e308), ValueError,
     "uniform_: b - a must be at most 1.79769e[+]308, the largest float64"),
    (lambda: fastgrad.zeros(3).uniform_("0", 1), TypeError, "uniform_: a must be a real number, got str '0'"),
    (lambda: fastgrad.zeros(3).uniform_(0, None), TypeError, "uniform_: b must be a real number, got NoneType"),
    (lambda: fastgrad.zeros(3).normal_(1j), TypeError, "normal_: mean must be a real number, got complex"),
    (lambda: fastgrad.zeros(3).normal_(0, fastgrad.ones(2)), TypeError, "normal_: std must be a real number, got "
                                                                        "Tensor"),
    (lambda: fastgrad.zeros(3).normal_(0, True), TypeError, "normal_: std must be a real number, got bool"),
])
def test_uniform_and_normal_argument_errors(call, error, message):
    """PyTorch raises for each of these; NumPy said only "scale < 0", or drew from a reversed range."""
    with pytest.raises(error, match=message):
        call()


# -- random_, exponential_, geometric_, cauchy_, log_normal_ ----------------------------------------
def test_random_with_bounds_is_uniform_over_them_and_keeps_the_dtype():
    fastgrad.manual_seed(30)
    for dtype in (fastgrad.int64, fastgrad.int32, np.int8, fastgrad.float32, fastgrad.float64):
        draws = fastgrad.zeros(14000, dtype=dtype).random_(-3, 4)
        assert draws.dtype == np.dtype(dtype)
        values = draws.numpy().astype(np.int64)
        assert (values == draws.numpy()).all() and values.min() == -3 and values.max() == 3
        assert chi_square(np.bincount(values + 3, minlength=7), [1 / 7] * 7) < CRITICAL[9]
    to_only = fastgrad.zeros(5000, dtype=np.uint8).random_(6).numpy()  # random_(to): [0, to)
    assert chi_square(np.bincount(to_only, minlength=6), [1 / 6] * 6) < CRITICAL[5]
    keyword = fastgrad.zeros(5000).random_(2, to=5).numpy()
    assert set(np.unique(keyword)) == {2.0, 3.0, 4.0}
    flags = fastgrad.zeros(4000, dtype=fastgrad.bool_).random_(0, 2).numpy()
    assert chi_square([flags.sum(), (~flags).sum()], [0.5, 0.5]) < CRITICAL[1]


@pytest.mark.parametrize("dtype, largest", [(fastgrad.float32, 2**24), (fastgrad.float64, 2**53), (np.int8, 127),
                                            (np.uint8, 255), (fastgrad.int32, 2**31 - 1), (fastgrad.int64, 2**63 - 1),
                                            (fastgrad.bool_, 1)])
def test_random_without_bounds_spans_zero_to_the_dtypes_largest(dtype, largest):
    """PyTorch's ranges: the integer dtype's, [0, 2^digits] for a floating one (every integer exact)."""
    fastgrad.manual_seed(31)
    values = fastgrad.zeros(20000, dtype=dtype).random_().numpy().astype(np.float64) / largest
    assert values.min() >= 0 and values.max() <= 1
    assert abs(values.mean() - 0.5) < 0.02 and abs(np.quantile(values, 0.9) - 0.9) < 0.02 or largest == 1
    from_only = fastgrad.zeros(20000, dtype=dtype).random_(1, None).numpy().astype(np.float64)
    assert from_only.min() >= 1 and from_only.max() <= largest and (largest == 1 or from_only.max() > largest / 2)


def test_random_takes_the_full_int64_range_and_warns_where_a_float_rounds():
    fastgrad.manual_seed(32)
    values = fastgrad.zeros(1000, dtype=fastgrad.int64).random_(-2**63, 2**63 - 1).numpy()
    assert values.min() < -2**61 and values.max() > 2**61
    with pytest.warns(UserWarning, match=r"random_: to - 1 = 16777217 is outside \[-\(2\^24\), 2\^24\], where dtype "
                                         "float32 holds every integer; draws there are rounded"):
        fastgrad.zeros(3).random_(0, 2**24 + 2)


@pytest.mark.parametrize("call, error, message", [
    (lambda: fastgrad.zeros(3).random_(0, 0), ValueError, "random_: expected from < to, got from=0, to=0"),
    (lambda: fastgrad.zeros(0).random_(3, 2), ValueError, "random_: expected from < to, got from=3, to=2"),
    (lambda: fastgrad.zeros(3).random_(-1), ValueError, "random_: expected from < to, got from=0, to=-1"),
    (lambda: fastgrad.zeros(3).random_(0.5), TypeError, "random_: to must be an int, got float 0.5"),
    (lambda: fastgrad.zeros(3).random_(1.5, 3), TypeError, "random_: from must be an int, got float 1.5"),
    (lambda: fastgrad.zeros(3).random_(True), TypeError, "random_: to must be an int, got bool"),
    (lambda: fastgrad.zeros(3).random_(None), TypeError, "random_: to must be an int, got NoneType"),
    (lambda: fastgrad.zeros(3).random_(1, 2, 3), TypeError,
     "random_: expected random_.., random_.to. or random_.from, to., got 3"),
    (lambda: fastgrad.zeros(3).random_(1, 2, to=3), TypeError, "got 2 positional bounds and to="),
    (lambda: fastgrad.zeros(3).random_(2**70), ValueError, "random_: to must fit in int64, got 1180591620717411303424"),
    (lambda: fastgrad.zeros(3, dtype=np.int8).random_(0, 200), ValueError,
     r"random_: to - 1 must be in \[-128, 127\] for dtype int8, got 199"),
    (lambda: fastgrad.zeros(3, dtype=np.int8).random_(-200, 0), ValueError,
     r"random_: from must be in \[-128, 127\] for dtype int8, got -200"),
    (lambda: fastgrad.zeros(3, dtype=np.uint8).random_(-1, 3), ValueError, r"random_: from must be in \[0, 255\]"),
    (lambda: fastgrad.zeros(3, dtype=fastgrad.bool_).random_(0, 3), ValueError,
     r"random_: to - 1 must be in \[0, 1\] for dtype bool, got 2"),
    (lambda: fastgrad.zeros(3, dtype=np.int8).random_(200, None), ValueError,
     "random_: from must be at most 127, the largest value random_ draws for dtype int8, got from=200"),
    (lambda: fastgrad.zeros(3).random_(2**24 + 1, None), ValueError,
     "random_: from must be at most 16777216, the largest value random_ draws for dtype float32"),
    (lambda: fastgrad.zeros(3).exponential_(0), ValueError, "exponential_: lambd must be positive, got 0.0"),
    (lambda: fastgrad.zeros(3).exponential_(-1), ValueError, "exponential_: lambd must be positive, got -1.0"),
    (lambda: fastgrad.zeros(3).exponential_(float("nan")), ValueError, "exponential_: lambd must be positive, got nan"),
    (lambda: fastgrad.zeros(3).geometric_(0), ValueError, r"geometric_: p must be in \(0, 1\), got 0.0"),
    (lambda: fastgrad.zeros(3).geometric_(1), ValueError, r"geometric_: p must be in \(0, 1\), got 1.0"),
    (lambda: fastgrad.zeros(3).geometric_(float("nan")), ValueError, r"geometric_: p must be in \(0, 1\), got nan"),
    (lambda: fastgrad.zeros(3).geometric_(), TypeError, "missing 1 required positional argument: 'p'"),
    (lambda: fastgrad.zeros(3).cauchy_(0, 0), ValueError, "cauchy_: sigma must be positive, got 0.0"),
    (lambda: fastgrad.zeros(3).cauchy_(0, float("nan")), ValueError, "cauchy_: sigma must be positive, got nan"),
    (lambda: fastgrad.zeros(3).cauchy_("0"), TypeError, "cauchy_: median must be a real number, got str"),
    (lambda: fastgrad.zeros(3).log_normal_(0, 0), ValueError, "log_normal_: std must be positive, got 0.0"),
    (lambda: fastgrad.zeros(3).log_normal_(0, -1), ValueError, "log_normal_: std must be positive, got -1.0"),
    (lambda: fastgrad.zeros(3).log_normal_(None), TypeError, "log_normal_: mean must be a real number, got NoneType"),
    (lambda: fastgrad.zeros(3, dtype=fastgrad.int64).exponential_(), NotImplementedError,
     "exponential_: expected a floating point tensor, got dtype int64"),
    (lambda: fastgrad.zeros(3, dtype=fastgrad.int32).cauchy_(), NotImplementedError,
     "cauchy_: expected a floating point tensor, got dtype int32"),
    (lambda: fastgrad.zeros(3, dtype=fastgrad.bool_).log_normal_(), NotImplementedError,
     "log_normal_: expected a floating point tensor, got dtype bool"),
    (lambda: fastgrad.zeros(3, dtype=fastgrad.bool_).geometric_(0.5), NotImplementedError,
     "geometric_: expected a floating point or integer tensor, got dtype bool"),
])
def test_random_exponential_geometric_cauchy_log_normal_argument_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_geometric_into_a_too_narrow_integer_dtype_raises_rather_than_wrapping():
    """PyTorch wraps around (uint8 with p=1e-9 gives numbers below 256 that look like draws)."""
    target = fastgrad.zeros(3, dtype=np.uint8)
    with pytest.raises(OverflowError, match="geometric_: a draw of .* trials does not fit dtype uint8"):
        target.geometric_(1e-9)
    assert target.tolist() == [0, 0, 0]


def test_exponential_mean_and_median_follow_the_rate():
    fastgrad.manual_seed(33)
    for dtype in (fastgrad.float32, fastgrad.float64):
        draws = fastgrad.zeros(40000, dtype=dtype).exponential_(4.0)
        values = draws.numpy()
        assert draws.dtype == dtype and values.min() >= 0
        assert abs(values.mean() - 0.25) < 0.01  # standard error 0.25 / 200
        assert abs(np.median(values) - np.log(2) / 4) < 0.01
    assert fastgrad.zeros(3).exponential_(float("inf")).tolist() == [0.0] * 3  # as PyTorch


@pytest.mark.parametrize("dtype", [fastgrad.float32, fastgrad.int64, np.int16])
def test_geometric_counts_trials_to_the_first_success(dtype):
    fastgrad.manual_seed(34)
    draws = fastgrad.zeros(30000, dtype=dtype).geometric_(0.3)
    values = draws.numpy().astype(np.int64)
    assert draws.dtype == np.dtype(dtype) and values.min() == 1
    assert abs(values.mean() - 1 / 0.3) < 0.05  # standard error sqrt(0.7) / 0.3 / 173 = 0.016
    observed = [np.sum(values == k) for k in (1, 2, 3)] + [np.sum(values > 3)]
    expected = [0.3, 0.3 * 0.7, 0.3 * 0.49, 0.7 ** 3]
    assert chi_square(observed, expected) < CRITICAL[3]


def test_cauchy_quartiles_are_median_plus_minus_sigma():
    fastgrad.manual_seed(35)
    values = fastgrad.zeros(40000, dtype=fastgrad.float64).cauchy_(1.0, 2.0).numpy()
    low, middle, high = np.quantile(values, [0.25, 0.5, 0.75])
    assert abs(middle - 1) < 0.05 and abs(low + 1) < 0.08 and abs(high - 3) < 0.08
    assert abs(np.mean(np.abs(values - 1) < 2 * np.tan(np.pi * 0.45)) - 0.9) < 0.01  # the 5%-95% range


def test_log_normal_takes_the_logs_mean_and_std():
    fastgrad.manual_seed(36)
    draws = fastgrad.zeros(40000).log_normal_(0.5, 0.25)
    logs = np.log(draws.numpy().astype(np.float64))
    assert draws.dtype == fastgrad.float32 and abs(logs.mean() - 0.5) < 0.005 and abs(logs.std() - 0.25) < 0.005
    defaults = np.log(fastgrad.zeros(40000, dtype=fastgrad.float64).log_normal_().numpy())
    assert abs(defaults.mean() - 1) < 0.04 and abs(defaults.std() - 2) < 0.04  # PyTorch's mean=1, std=2


# -- in-place fills under autograd ------------------------------------------------------------------
FILLS = {"uniform_": lambda t, **kw: t.uniform_(**kw), "normal_": lambda t, **kw: t.normal_(**kw),
         "bernoulli_": lambda t, **kw: t.bernoulli_(**kw), "random_": lambda t, **kw: t.random_(0, 100, **kw),
         "exponential_": lambda t, **kw: t.exponential_(**kw), "geometric_": lambda t, **kw: t.geometric_(0.2, **kw),
         "cauchy_": lambda t, **kw: t.cauchy_(**kw), "log_normal_": lambda t, **kw: t.log_normal_(**kw)}


@pytest.mark.parametrize("name", FILLS)
def test_fills_refuse_a_leaf_that_requires_grad_and_take_no_draws(name):
    """As PyTorch: "a leaf Variable that requires grad is being used in an in-place operation"."""
    leaf = fastgrad.zeros(3, requires_grad=True)
    fastgrad.manual_seed(0)
    with pytest.raises(RuntimeError, match=f"{name}: a leaf tensor that requires grad is being used in an in-place"):
        FILLS[name](leaf)
    assert leaf.tolist() == [0.0, 0.0, 0.0] and leaf._version == 0
    after_refusal = FILLS[name](fastgrad.zeros(5)).tolist()
    fastgrad.manual_seed(0)
    assert FILLS[name](fastgrad.zeros(5)).tolist() == after_refusal  # the refused fill drew nothing
    with fastgrad.no_grad():
        assert FILLS[name](leaf) is leaf and leaf._version == 1 and leaf.requires_grad


@pytest.mark.parametrize("name", FILLS)
def test_fill_of_a_non_leaf_is_recorded_with_a_zero_gradient(name):
    """PyTorch records it (NormalBackward0 and the like): the old values no longer reach the output."""
    x = fastgrad.ones(4, requires_grad=True)
    y = x * 3
    assert FILLS[name](y) is y and y.requires_grad and not y.is_leaf
    (y * 2).sum().backward()
    assert x.grad.tolist() == [0.0] * 4


@pytest.mark.parametrize("name", FILLS)
def test_fills_bump_the_version_so_saved_values_refuse_to_backward(name):
    x = fastgrad.ones(3, requires_grad=True)
    factor = fastgrad.ones(3)
    product = x * factor  # backward reads factor
    FILLS[name](factor[1:])  # through a view: the counter belongs to the memory
    assert factor._version == 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation: it is at version 1, expected version 0"):
        product.sum().backward()


@pytest.mark.parametrize("name", FILLS)
def test_fills_draw_from_the_generator_given_and_reproduce_under_manual_seed(name):
    fastgrad.manual_seed(21)
    seeded = FILLS[name](fastgrad.zeros(6)).tolist()
    fastgrad.manual_seed(21)
    drawn = FILLS[name](fastgrad.zeros(6), generator=fastgrad.Generator().manual_seed(4)).tolist()
    assert FILLS[name](fastgrad.zeros(6)).tolist() == seeded  # the generator's draw left the global stream alone
    assert FILLS[name](fastgrad.zeros(6), generator=fastgrad.Generator().manual_seed(4)).tolist() == drawn
    assert drawn != seeded
    with pytest.raises(TypeError, match="generator must be a fastgrad.Generator or None, got builtins.int"):
        FILLS[name](fastgrad.zeros(6), generator=4)


# -- randperm and randint_like ---------------------------------------------------------------------
def test_randperm_is_a_uniform_permutation():
    fastgrad.manual_seed(7)
    perms = np.stack([fastgrad.randperm(4).numpy() for _ in range(4000)])
    assert all(sorted(p) == [0, 1, 2, 3] for p in perms[:50]) and perms.dtype == np.int64
    for position in range(4):
        assert chi_square(np.bincount(perms[:, position], minlength=4), [0.25] * 4) < CRITICAL[3]
    assert fastgrad.randperm(0).shape == (0,)
    assert fastgrad.randperm(5, dtype=fastgrad.float32).dtype == fastgrad.float32
    g = fastgrad.Generator().manual_seed(1)
    assert fastgrad.randperm(10, generator=g).tolist() == fastgrad.randperm(
        10, generator=fastgrad.Generator().manual_seed(1)).tolist()


def test_randperm_errors():
    with pytest.raises(ValueError, match="randperm: n must be non-negative, got -1"):
        fastgrad.randperm(-1)
    with pytest.raises(TypeError, match="randperm: n must be an int, got float"):
        fastgrad.randperm(3.0)
    with pytest.raises(TypeError, match="randperm: dtype must be an integer or floating point type, got bool"):
        fastgrad.randperm(3, dtype=fastgrad.bool_)
    with pytest.raises(ValueError, match="randperm: n=300 is too large for dtype int8"):
        fastgrad.randperm(300, dtype=np.int8)


def test_randint_like_shape_dtype_range_and_uniformity():
    fastgrad.manual_seed(8)
    x = fastgrad.zeros(200, 50)
    draws = fastgrad.randint_like(x, 3, 13)
    assert draws.shape == (200, 50) and draws.dtype == fastgrad.float32
    values = draws.numpy().astype(int)
    assert values.min() >= 3 and values.max() <= 12
    assert chi_square(np.bincount(values.ravel() - 3, minlength=10), [0.1] * 10) < CRITICAL[9]
    assert set(np.unique(fastgrad.randint_like(x, 2).numpy())) == {0.0, 1.0}  # high alone: [0, high)
    assert fastgrad.randint_like(x, high=4, dtype=fastgrad.int64).dtype == fastgrad.int64
    assert fastgrad.randint_like(x, 5, requires_grad=True).requires_grad
    flags = fastgrad.randint_like(x.bool(), 2)
    assert flags.dtype == fastgrad.bool_ and flags.numpy().any() and not flags.numpy().all()


def test_randint_like_errors():
    x = fastgrad.zeros(2)
    with pytest.raises(ValueError, match="randint_like: low must be less than high, got low=5, high=5"):
        fastgrad.randint_like(x, 5, 5)
    with pytest.raises(ValueError, match="randint_like: low must be less than high, got low=0, high=-1"):
        fastgrad.randint_like(x, -1)
    with pytest.raises(TypeError, match="randint_like: missing the upper bound high"):
        fastgrad.randint_like(x)
    with pytest.raises(TypeError, match="randint_like: high must be an int, got float"):
        fastgrad.randint_like(x, 5.5)
    with pytest.raises(ValueError, match=r"randint_like: \[0, 3\) does not fit dtype bool"):
        fastgrad.randint_like(x.bool(), 3)
    with pytest.raises(ValueError, match=r"randint_like: \[0, 1099511627776\) does not fit dtype int32"):
        fastgrad.randint_like(x.int(), 2**40)


def test_randint_takes_pytorchs_high_size_form_and_checks_like_randint_like():
    fastgrad.manual_seed(10)
    draws = fastgrad.randint(10, (4000,))  # PyTorch's randint(high, size): [0, 10)
    assert draws.shape == (4000,) and draws.dtype == fastgrad.int64
    assert chi_square(np.bincount(draws.numpy(), minlength=10), [0.1] * 10) < CRITICAL[9]
    values = fastgrad.randint(3, 6, (500,), dtype=fastgrad.float32)
    assert values.dtype == fastgrad.float32 and set(values.tolist()) == {3.0, 4.0, 5.0}
    assert fastgrad.randint(2, size=(3,)).shape == (3,)
    g = fastgrad.Generator().manual_seed(4)
    first = fastgrad.randint(100, (8,), generator=g).tolist()
    assert fastgrad.randint(100, (8,), generator=g.manual_seed(4)).tolist() == first
    with pytest.raises(ValueError, match="randint: low must be less than high, got low=5, high=5"):
        fastgrad.randint(5, 5, (2,))
    with pytest.raises(ValueError, match=r"randint: \[0, 300\) does not fit dtype uint8"):
        fastgrad.randint(0, 300, (4,), dtype=np.uint8)  # would wrap around to small numbers
    with pytest.raises(TypeError, match="randint: high must be an int, got float"):
        fastgrad.randint(0, 2.5, (2,))


@pytest.mark.parametrize("make", [lambda: fastgrad.rand(3, dtype=fastgrad.int64),
                                  lambda: fastgrad.randn(3, dtype=fastgrad.int64),
                                  lambda: fastgrad.rand(3, dtype=fastgrad.bool_)])
def test_rand_and_randn_refuse_integer_dtypes(make):
    """PyTorch raises; a cast would truncate the draws (rand's to all zeros)."""
    with pytest.raises(TypeError, match="needs a floating point dtype"):
        make()


# -- Generator ---------------------------------------------------------------------------------------
def test_generator_seed_and_state():
    g = fastgrad.Generator()
    assert g.initial_seed() == 67280421310721  # torch.Generator's default
    assert g.manual_seed(11) is g and g.initial_seed() == 11
    state = g.get_state()
    first = fastgrad.randperm(20, generator=g).tolist()
    g.set_state(state)
    assert fastgrad.randperm(20, generator=g).tolist() == first
    with pytest.raises(RuntimeError, match="CPU only"):
        fastgrad.Generator("cuda")


def test_global_state_round_trip_still_works():
    fastgrad.manual_seed(12)
    state = fastgrad.get_rng_state()
    a = fastgrad.rand(3).tolist()
    fastgrad.set_rng_state(state)
    assert fastgrad.rand(3).tolist() == a


def test_seeds_take_pytorchs_range_negative_ones_modulo_2_64():
    assert fastgrad.Generator().manual_seed(-1).initial_seed() == 2**64 - 1  # as torch.Generator reports
    assert fastgrad.Generator().manual_seed(-2**63).initial_seed() == 2**63
    fastgrad.manual_seed(-1)
    drawn = fastgrad.rand(4).tolist()
    fastgrad.manual_seed(2**64 - 1)
    assert fastgrad.rand(4).tolist() == drawn


@pytest.mark.parametrize("seed, error, message", [
    (1.5, TypeError, "manual_seed: seed must be an int, got float"),  # was truncated to 1
    ("3", TypeError, "manual_seed: seed must be an int, got str"),
    (True, TypeError, "manual_seed: seed must be an int, got bool"),
    (2**64, ValueError, r"manual_seed: seed must be in \[-2\*\*63, 2\*\*64 - 1\], got 18446744073709551616"),
])
def test_bad_seeds_raise(seed, error, message):
    with pytest.raises(error, match=message):
        fastgrad.manual_seed(seed)
    with pytest.raises(error, match=message):
        fastgrad.Generator().manual_seed(seed)


def test_set_state_refuses_what_is_not_a_generator_state():
    with pytest.raises(ValueError, match="set_state: state must be a dict from get_state"):
        fastgrad.set_rng_state({"bit_generator": "seed"})  # np.random.seed is not a bit generator
    with pytest.raises(ValueError, match="set_state: state must be a dict from get_state"):
        fastgrad.Generator().set_state([1, 2])
