"""gradcheck (float64 central differences) of every op and functional, over hypothesis-generated
shapes (scalars, size-1 dims, broadcasting pairs), on every backend."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf
import fastgrad.nn.functional as F

BACKENDS = ["numpy", "compiled"]
ALL_BACKENDS = BACKENDS + ["python"]
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("binary", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b * b + 0.5),
    lambda a, b: fastgrad.maximum(a, b), lambda a, b: fastgrad.minimum(a, b),
    lambda a, b: (a * a + 0.5) ** b, lambda a, b: fastgrad.where(a > 0, a, b),
], ids=["add", "sub", "mul", "div", "maximum", "minimum", "pow", "where"])
@SETTINGS
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_broadcasting_binary_ops(backend_name, binary, shapes, seed):
    a_shape, b_shape = shapes.input_shapes
    a = leaf(a_shape, seed)
    b = leaf(b_shape, seed + 1)
    if binary.__code__.co_consts and "maximum" in str(binary.__code__.co_names) or "minimum" in str(binary.__code__.co_names):
        b = fastgrad.tensor(b.detach().numpy() + 0.3, dtype=fastgrad.float64, requires_grad=True)  # no ties
    check(backend_name, binary, a, b)


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@pytest.mark.parametrize("rounding_mode", ["floor", "trunc"])
@SETTINGS
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_rounded_division_has_a_zero_gradient(backend_name, rounding_mode, shapes, seed):
    a, b = leaf(shapes.input_shapes[0], seed), leaf(shapes.input_shapes[1], seed + 1)
    check(backend_name, lambda a, b: a.div(b * b + 0.5, rounding_mode=rounding_mode) + a, a, b)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("unary,kink", [
    (lambda x: -x, None), (lambda x: x.exp(), None), (lambda x: (x * x + 0.1).log(), None),
    (lambda x: (x * x + 0.1).sqrt(), None), (lambda x: x.abs(), 0.0), (lambda x: x.clamp(-0.5, 0.7), 0.7),
    (lambda x: x.tanh(), None), (lambda x: x.sigmoid(), None), (lambda x: F.relu(x), 0.0),
    (lambda x: F.leaky_relu(x, 0.1), 0.0), (lambda x: F.hardtanh(x, -0.5, 0.5), 0.5), (lambda x: F.silu(x), None),
    (lambda x: x ** 2, None), (lambda x: 2.0 ** x, None), (lambda x: 1.0 / (x * x + 1.0), None),
], ids=["neg", "exp", "log", "sqrt", "abs", "clamp", "tanh", "sigmoid", "relu", "leaky_relu", "hardtanh", "silu",
        "pow_scalar", "rpow", "rdiv"])
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_unary_ops(backend_name, unary, kink, shape, seed):
    x = leaf(shape, seed, away_from=kink)
    if kink not in (None, 0.0):  # two kinks at +-kink, or -0.5 for clamp/hardtanh
        x = leaf(shape, seed, away_from=-0.5 if kink in (0.5, 0.7) else kink)
        x._data[np.abs(x._data - kink) < 0.05] += 0.1
    check(backend_name, unary, x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16),
       keepdim=st.booleans(), data=st.data())
def test_reductions(backend_name, shape, seed, keepdim, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.sum(), x)
    check(backend_name, lambda x: x.sum(dim, keepdim), x)
    check(backend_name, lambda x: x.mean(dim, keepdim), x)
    if len(shape) >= 2:
        check(backend_name, lambda x: x.mean((0, -1), keepdim), x)
    check(backend_name, lambda x: x.max(dim, keepdim).values, x)
    check(backend_name, lambda x: x.min(dim, keepdim).values, x)
    check(backend_name, lambda x: x.max(), x)
    check(backend_name, lambda x: x.amax(dim, keepdim), x)
    check(backend_name, lambda x: x.amin((0, dim), keepdim) if dim % len(shape) else x.amin(), x)
    check(backend_name, lambda x: x.prod(dim, keepdim), x)
    check(backend_name, lambda x: x.prod(), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16))
def test_shape_ops(backend_name, shape, seed):
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.reshape(-1), x)
    check(backend_name, lambda x: x.transpose(0, -1), x)
    check(backend_name, lambda x: x.permute(tuple(reversed(range(x.ndim)))) * 2, x)
    check(backend_name, lambda x: x.unsqueeze(1).squeeze(1), x)
    check(backend_name, lambda x: x.unsqueeze(0).expand((3,) + x.shape), x)
    check(backend_name, lambda x: x[0], x)
    check(backend_name, lambda x: x[..., ::2], x)
    check(backend_name, lambda x: x[fastgrad.tensor([0, 0, shape[0] - 1])], x)  # repeated ids accumulate
    check(backend_name, lambda x: x[x > 0], x)
    check(backend_name, lambda x: fastgrad.cat([x, x * 2], dim=-1), x)
    check(backend_name, lambda x: fastgrad.stack([x, x.exp()], dim=1), x)
    check(backend_name, lambda x: x.T, x)
    check(backend_name, lambda x: x.mT * 2, x)
    check(backend_name, lambda x: x.movedim(0, -1) * 2, x)
    check(backend_name, lambda x: x.swapaxes(0, -1) * 2, x)
    check(backend_name, lambda x: x.clone() * x.contiguous(), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4), batch=st.sampled_from([(), (1,), (2,), (2, 1)]),
       seed=st.integers(0, 2**16))
def test_matmul(backend_name, n, k, m, batch, seed):
    a = leaf(batch + (n, k), seed)
    b = leaf((k, m), seed + 1)
    check(backend_name, lambda a, b: a @ b, a, b)
    check(backend_name, lambda a, b: b.T @ a.transpose(-1, -2), a, b)
    v = leaf((k,), seed + 2)
    check(backend_name, lambda a, v: a @ v, a, v)
    check(backend_name, lambda v, b: v @ b, v, b)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(1, 6), seed=st.integers(0, 2**16), lead=st.sampled_from([(), (2,)]))
def test_softmax_family_and_losses(backend_name, n, c, seed, lead):
    x = leaf(lead + (n, c), seed, -3, 3)
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, c, size=n)
    check(backend_name, lambda x: F.softmax(x, dim=-1), x)
    check(backend_name, lambda x: F.softmax(x, dim=0), x)
    check(backend_name, lambda x: F.log_softmax(x, dim=-1), x)
    logits = leaf((n, c), seed + 3, -3, 3)
    for reduction in ("mean", "sum", "none"):
        check(backend_name, lambda z: F.cross_entropy(z, fastgrad.tensor(targets), reduction=reduction), logits)
        check(backend_name, lambda z: F.nll_loss(F.log_softmax(z, 1), fastgrad.tensor(targets), reduction=reduction),
              logits)
        y = fastgrad.tensor(rng.uniform(0, 1, (n, c)))
        check(backend_name, lambda z: F.binary_cross_entropy_with_logits(z, y, reduction=reduction), logits)
    if n > 1:  # with every target ignored the mean is NaN (as in PyTorch): nothing to check
        ignored = targets.copy()
        ignored[0] = -100
        check(backend_name, lambda z: F.cross_entropy(z, fastgrad.tensor(ignored)), logits)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=st.sampled_from([(), (1,), (3,), (2, 3)]), n_in=st.integers(1, 4), n_out=st.integers(1, 4),
       seed=st.integers(0, 2**16), bias=st.booleans())
def test_linear_and_prelu(backend_name, batch, n_in, n_out, seed, bias):
    x = leaf(batch + (n_in,), seed)
    w = leaf((n_out, n_in), seed + 1)
    b = leaf((n_out,), seed + 2) if bias else None
    inputs = (x, w, b) if bias else (x, w)
    check(backend_name, lambda *t: F.linear(*t), *inputs)
    channels = x.shape[1] if x.ndim >= 2 else 1
    slope = leaf((channels,), seed + 3, 0.1, 0.5)
    x_away = leaf(x.shape, seed, away_from=0.0)
    check(backend_name, lambda x, s: F.prelu(x, s), x_away, slope)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("sparse", [False, True])
@SETTINGS
@given(num=st.integers(1, 6), dim=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_embeddings(backend_name, sparse, num, dim, seed):
    rng = np.random.default_rng(seed)
    weight = leaf((num, dim), seed)
    ids = fastgrad.tensor(rng.integers(0, num, size=(2, 3)))
    check(backend_name, lambda w: F.embedding(ids, w, sparse=sparse), weight)
    flat = fastgrad.tensor(rng.integers(0, num, size=7))
    offsets = fastgrad.tensor([0, 2, 2, 5])  # bag 1 is empty
    for mode in ("mean", "sum"):
        check(backend_name, lambda w: F.embedding_bag(flat, w, offsets, mode=mode, sparse=sparse), weight)
        check(backend_name, lambda w: F.embedding_bag(ids, w, mode=mode, sparse=sparse), weight)


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@SETTINGS
@given(num=st.integers(1, 6), dim=st.integers(1, 3), lengths=st.lists(st.integers(0, 4), min_size=1, max_size=4),
       seed=st.integers(0, 2**16), padding=st.booleans(), data=st.data())
def test_embedding_bag_options(backend_name, num, dim, lengths, seed, padding, data):
    """max (gradient to each bag's largest element), per_sample_weights (w.r.t. the weight and the sample
    weights), padding_idx and include_last_offset, on bags of random lengths (empty ones too).
    (scale_grad_by_freq is no derivative by design: tests/nn/test_embedding_bag.py checks it.)"""
    rng = np.random.default_rng(seed)
    weight = leaf((num, dim), seed)
    ids = fastgrad.tensor(rng.integers(0, num, size=sum(lengths)))
    offsets = fastgrad.tensor(np.cumsum([0] + lengths))  # the number of ids last: for include_last_offset
    samples = leaf((sum(lengths),), seed + 1)
    padding_idx = data.draw(st.integers(-num, num - 1)) if padding else None
    options = dict(offsets=offsets, include_last_offset=True, padding_idx=padding_idx)
    check(backend_name, lambda w: F.embedding_bag(ids, w, mode="max", **options), weight)
    check(backend_name, lambda w, s: F.embedding_bag(ids, w, mode="sum", per_sample_weights=s, **options),
          weight, samples)
    check(backend_name, lambda w: F.embedding_bag(ids, w, mode="mean", **options), weight)
    grid = fastgrad.tensor(rng.integers(0, num, size=(2, 3)))
    check(backend_name, lambda w, s: F.embedding_bag(grid, w, mode="sum", per_sample_weights=s,
                                                     padding_idx=padding_idx), weight, leaf((2, 3), seed + 2))


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("reverse", [False, True])
@SETTINGS
@given(steps=st.integers(1, 3), batch=st.integers(1, 3), n_in=st.integers(1, 3), hidden=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_rnn(backend_name, nonlinearity, reverse, steps, batch, n_in, hidden, seed):
    x = leaf((steps, batch, n_in), seed)
    h0 = leaf((batch, hidden), seed + 1)
    w_ih = leaf((hidden, n_in), seed + 2, -0.8, 0.8)
    w_hh = leaf((hidden, hidden), seed + 3, -0.8, 0.8)
    b_ih = leaf((hidden,), seed + 4, 0.05, 0.5)
    b_hh = leaf((hidden,), seed + 5, 0.05, 0.5)
    check(backend_name, lambda *t: F.rnn(*t, nonlinearity=nonlinearity, reverse=reverse), x, h0, w_ih, w_hh, b_ih, b_hh)


def recurrent_layer(shape, gate_count, seed, states):
    """Leaves for one recurrent layer: x (T, B, I), `states` initial states (B, H), weight_ih, weight_hh and
    the two biases, with weights small enough that the gates stay away from saturation."""
    steps, batch, n_in, hidden = shape
    rows = gate_count * hidden
    return ([leaf((steps, batch, n_in), seed)] + [leaf((batch, hidden), seed + 1 + k) for k in range(states)]
            + [leaf((rows, n_in), seed + 5, -0.8, 0.8), leaf((rows, hidden), seed + 6, -0.8, 0.8),
               leaf((rows,), seed + 7, -0.5, 0.5), leaf((rows,), seed + 8, -0.5, 0.5)])


layer_shapes = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@pytest.mark.parametrize("reverse", [False, True])
@SETTINGS
@given(shape=layer_shapes, seed=st.integers(0, 2**16))
def test_lstm(backend_name, reverse, shape, seed):
    """Every input of the LSTM op: x, h_0, c_0, both weights and both biases, through output, h_n and c_n."""
    def run(x, h0, c0, *weights):
        output, (h_n, c_n) = F.lstm(x, (h0, c0), *weights, reverse=reverse)
        return output, h_n, c_n

    check(backend_name, run, *recurrent_layer(shape, 4, seed, states=2))


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@pytest.mark.parametrize("reverse", [False, True])
@SETTINGS
@given(shape=layer_shapes, seed=st.integers(0, 2**16))
def test_gru(backend_name, reverse, shape, seed):
    check(backend_name, lambda *t: F.gru(*t, reverse=reverse), *recurrent_layer(shape, 3, seed, states=1))


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@pytest.mark.parametrize("kind, gate_count", [("rnn", 1), ("gru", 3), ("lstm", 4)])
@pytest.mark.parametrize("reverse", [False, True])
@SETTINGS
@given(shape=layer_shapes, data=st.data(), seed=st.integers(0, 2**16))
def test_recurrent_layers_over_sequences_of_their_own_lengths(backend_name, kind, gate_count, reverse, shape, data,
                                                              seed):
    """`lengths`: each sequence of the padded batch read within its own steps (the reverse direction from
    its own last one), through the outputs and, for the LSTM, the final states of each sequence."""
    steps, batch = shape[:2]
    lengths = data.draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch))
    layer = recurrent_layer(shape, gate_count, seed, states=2 if kind == "lstm" else 1)

    def run(x, *states_and_weights):
        if kind != "lstm":
            return getattr(F, kind)(x, *states_and_weights, reverse=reverse, lengths=lengths)
        output, (h_n, c_n) = F.lstm(x, states_and_weights[:2], *states_and_weights[2:], reverse=reverse,
                                    lengths=lengths)
        return output, h_n, c_n

    check(backend_name, run, *layer)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_dropout_gradient_uses_the_forward_mask(backend_name):
    x = leaf((50, 4), 0)
    with fastgrad.backend(backend_name):
        fastgrad.manual_seed(3)
        y = F.dropout(x, p=0.3)
        y.sum().backward()
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7)
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() * kept / 0.7)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("sparse", [False, True])
def test_embedding_padding_row_gets_no_gradient(backend_name, sparse):
    """As in PyTorch: the padding row is looked up as usual but never updated."""
    weight = leaf((4, 3), 0)
    ids = fastgrad.tensor([[0, 1, 0], [2, 0, 2]])
    with fastgrad.backend(backend_name):
        F.embedding(ids, weight, padding_idx=0, sparse=sparse).sum().backward()
    grad = weight.grad.to_dense().detach().numpy() if sparse else weight.grad.numpy()
    np.testing.assert_array_equal(grad, [[0, 0, 0], [1, 1, 1], [2, 2, 2], [0, 0, 0]])


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@SETTINGS
@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=3), tags=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_crf_log_partition(backend_name, lengths, tags, seed):
    emissions = leaf((sum(lengths), tags), seed)
    transitions = leaf((tags, tags), seed + 1)
    start, end = leaf((tags,), seed + 2), leaf((tags,), seed + 3)
    check(backend_name, lambda *t: F.crf_log_partition(t[0], lengths, *t[1:]), emissions, transitions, start, end)


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
def test_crf_log_partition_with_forbidden_transitions(backend_name):
    """-inf scores (a tag scheme's grammar) added to learnt ones: gradients stay finite, zero where forbidden."""
    rng = np.random.default_rng(0)
    forbidden = np.where(rng.random((3, 3)) < 0.4, -np.inf, 0.0)
    forbidden[:, 0] = 0.0  # tag 0 may follow anything, so some path is always allowed
    emissions, transitions = leaf((6, 3), 1), leaf((3, 3), 2)
    start, end = leaf((3,), 3), leaf((3,), 4)
    mask = fastgrad.tensor(forbidden, dtype=fastgrad.float64)

    def log_z(e, a, s, t):
        return F.crf_log_partition(e, [4, 2], a + mask, s, t)

    check(backend_name, log_z, emissions, transitions, start, end)
    with fastgrad.backend(backend_name):
        log_z(emissions, transitions, start, end).sum().backward()
    assert np.isfinite(transitions.grad.numpy()).all() and (transitions.grad.numpy()[forbidden == -np.inf] == 0).all()


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@SETTINGS
@given(sizes=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 6)), min_size=1, max_size=3),
       classes=st.integers(2, 4), reduction=st.sampled_from(["none", "mean", "sum"]), seed=st.integers(0, 2**16))
def test_ctc_loss(backend_name, sizes, classes, reduction, seed):
    """The exact gradient with respect to log_probs themselves, not normalized (targets that fit their input)."""
    target_lengths = [min(target, frames // 2) for target, frames in sizes]
    input_lengths = [frames for _, frames in sizes]
    rng = np.random.default_rng(seed)
    targets = fastgrad.tensor(rng.integers(1, classes, size=sum(target_lengths)))
    log_probs = leaf((max(input_lengths), len(sizes), classes), seed)
    check(backend_name, lambda x: F.ctc_loss(x, targets, input_lengths, target_lengths, reduction=reduction), log_probs)


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@SETTINGS
@given(n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3), offset=st.integers(-3, 3),
       seed=st.integers(0, 2**16))
def test_matrix_functions(backend_name, n, k, m, offset, seed):
    c, a, b = leaf((n, m), seed), leaf((n, k), seed + 1), leaf((k, m), seed + 2)
    check(backend_name, lambda c, a, b: fastgrad.addmm(c, a, b, beta=0.5, alpha=-2), c, a, b)
    check(backend_name, lambda c, a, b: c[0].addmv(b.T, a[0], beta=3), c, a, b)
    check(backend_name, lambda c, a, b: fastgrad.baddbmm(c, a.expand(2, n, k), b.expand(2, k, m)), c, a, b)
    check(backend_name, lambda c, a, b: c.clone().addbmm_(a.expand(2, n, k), b.expand(2, k, m), alpha=0.5), c, a, b)
    check(backend_name, lambda a: (a.diagonal(offset), a.diag_embed(offset, 0, 2), a.trace()), a)
    check(backend_name, lambda a, b: (fastgrad.kron(a, b), fastgrad.tensordot(a, b, 1), a.tile(2, 1, 2)), a, b)
    check(backend_name, lambda a, b: fastgrad.cartesian_prod(a[0], b[0]).sum(1) + fastgrad.combinations(b[0]).sum(),
          a, b)


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@pytest.mark.parametrize("unary", [
    lambda x: x.tan(), lambda x: (x * 0.4).asin(), lambda x: (x * 0.4).acos(), lambda x: x.atan(), lambda x: x.sinh(),
    lambda x: x.cosh(), lambda x: x.asinh(), lambda x: (x * x + 1.1).acosh(), lambda x: (x * 0.4).atanh(),
    lambda x: x.erf(), lambda x: x.erfc(),
], ids=["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc"])
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_trigonometric_and_error_functions(backend_name, unary, shape, seed):
    check(backend_name, unary, leaf(shape, seed, -1.2, 1.2))


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@pytest.mark.parametrize("binary", [
    fastgrad.atan2, fastgrad.hypot, fastgrad.logaddexp, fastgrad.logaddexp2, lambda a, b: fastgrad.fmod(a, b),
    lambda a, b: a.lerp(b, 0.3), lambda a, b: fastgrad.lerp(a, b, b.sigmoid()),
    lambda a, b: a.addcmul(a, b, value=0.5), lambda a, b: a.addcdiv(a, b, value=2),
], ids=["atan2", "hypot", "logaddexp", "logaddexp2", "fmod", "lerp", "lerp_weight", "addcmul", "addcdiv"])
@SETTINGS
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_binary_math(backend_name, binary, shapes, seed):
    a_shape, b_shape = shapes.input_shapes
    a = leaf(a_shape, seed)
    b = leaf(b_shape, seed + 1, 0.5, 2.0)  # a divisor away from zero; fmod's quotients away from integers below
    a._data[np.abs(a._data / b._data.mean() - np.round(a._data / b._data.mean())) < 0.05] += 0.1
    check(backend_name, binary, a, b)


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16))
def test_picking_and_spreading_functions(backend_name, shape, seed):
    x = fastgrad.tensor(np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) * 0.3 - 1.05,
                        dtype=fastgrad.float64, requires_grad=True)  # distinct values: medians and modes are unique
    check(backend_name, lambda x: (x.median(), x.median(-1).values, x.mode(0).values, x.nansum(1), x.nanmean(),
                                   x.take(fastgrad.tensor([0, -1]))), x)
    check(backend_name, lambda x: (x.renorm(2, 0, 1.0), x.dist(x.flip(0)), fastgrad.cdist(x, x.flip(-1) + 0.1)), x)
    check(backend_name, lambda x: (x.index_fill(-1, fastgrad.tensor([0]), 2.0),
                                   x.masked_scatter(x > 0, x.flip(0) * 2), x.index_copy(0, fastgrad.tensor([0]), x[:1] * 3)), x)
