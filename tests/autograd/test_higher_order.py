"""create_graph=True: every op that declares a recorded backward (backward_graph) is checked by gradgradcheck
(its gradient differentiated again, against central differences of the gradient) on every backend, its
recorded gradient equals the array backward's, and whatever is not covered raises instead of answering."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import ops
from fastgrad.autograd import grad, gradgradcheck
from fastgrad.autograd.graph import Op
from fastgrad.testing import float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3)
shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
TARGETS = fastgrad.tensor([2, 0, 1])
IDS = fastgrad.tensor([[0, 2], [2, 1], [1, 1]])
CLASS_WEIGHT = fastgrad.tensor([0.5, 1.0, 2.0, 1.5], dtype=fastgrad.float64)
GATHER_INDEX, SELECT_INDEX = fastgrad.tensor([[0, 0], [3, 1], [2, 2]]), fastgrad.tensor([1, 3, 3, 0])
SCATTER_INDEX = fastgrad.tensor([[0, 2], [3, 1], [2, 0]])  # no index twice in a row: a scatter's writes all land
BAG_IDS, BAG_OFFSETS = fastgrad.tensor([0, 2, 2, 1, 1, 0]), fastgrad.tensor([0, 3, 3])  # the middle bag is empty
# rows far apart (a * a is below 4.5) so that no max bag meets a tie, where differences cross the kink; each
# bag's max comes from different rows in different columns
BAG_MAX_SPREAD = fastgrad.tensor([[0.0, 10.0, 0.0, 10.0], [5.0, 5.0, 5.0, 5.0], [10.0, 0.0, 10.0, 0.0]],
                                 dtype=fastgrad.float64)
LDEXP_EXPONENTS = fastgrad.tensor([[1, -2, 0, 3]])
SINC_NEAR_ZERO = 0.05  # sinc's derivative is its series below 0.25

# one function per op with a recorded backward: (ops it covers, function of two (3, 4) leaves a and b)
CASES = {
    "arithmetic": ({"Add", "Sub", "Mul", "Div", "Neg"}, lambda a, b: (a + b) * (a - b) / (b * b + 1) - a * 3),
    "pow": ({"Pow", "PowOfConstant", "PowOfNumber"},
            lambda a, b: ((a * a + 0.5) ** b + (a * a + 0.5) ** 3 + (a * a + 0.5) ** 0.5 + 2 ** b
                          + (a * a + 1) ** fastgrad.tensor(1.5, dtype=fastgrad.float64))),
    "maximum": ({"Maximum", "Minimum"}, lambda a, b: fastgrad.maximum(a, b) * fastgrad.minimum(a, b * 2)),
    "where": ({"Where"}, lambda a, b: fastgrad.where(a > b, a * b, b.exp())),
    "clamp between tensors": ({"ClampBetweenTensors"},  # (min > max where b < -2)
                              lambda a, b: fastgrad.clamp(a, min=b * 0.5, max=b + 1) ** 2
                              + fastgrad.clamp(a, max=b) * b),
    "exp-log": ({"Exp", "Log", "Log1p", "Expm1"}, lambda a, b: (a.exp() + (a * a + 1).log() + (b * b).log1p()) * b.expm1()),
    "roots": ({"Sqrt", "Rsqrt", "Reciprocal", "Square"},
              lambda a, b: (a * a + 1).sqrt() * (b * b + 1).rsqrt() + (a * a + 0.5).reciprocal() * b.square()),
    "trig": ({"Sin", "Cos"}, lambda a, b: a.sin() * b.cos() * a),
    "more trig": ({"Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Atan2", "Hypot"},
                  lambda a, b: (a * 0.5).tan() * b + (a.tanh() * 0.9).asin() * (b.tanh() * 0.9).acos() + (a * b).atan()
                  + a.sinh() * b.cosh() + (a * b).asinh() + (a * a + 1.5).acosh() * (b.tanh() * 0.9).atanh()
                  + fastgrad.atan2(a, b) * a + fastgrad.hypot(a, b) * b),
    "logs and exponentials": ({"Log2", "Log10", "Exp2", "LogAddExp", "LogAddExp2", "Xlogy", "Ldexp", "Entr"},
                              lambda a, b: (a * a + 0.5).log2() * b + (b * b + 0.5).log10() * a + (a * b).exp2()
                              + fastgrad.logaddexp(a, b) * a + fastgrad.logaddexp2(a * b, b) + a.xlogy(b * b + 0.5)
                              + (a * b).ldexp(LDEXP_EXPONENTS) + fastgrad.special.entr(a * a + 0.1) * b),
    "special functions": ({"Erf", "Erfc", "Erfinv", "Lgamma", "Polygamma", "Sinc", "Ndtr", "Ndtri", "LogNdtr", "Logit"},
                          lambda a, b: (a * b).erf() + a.erfc() * b + (b.tanh() * 0.9).erfinv() * a
                          + (a * a + 0.5).lgamma() * b + (b * b + 0.5).digamma() * a + (a * a + 0.5).polygamma(1)
                          + (a * b).sinc() + (a * SINC_NEAR_ZERO).sinc() * b + fastgrad.special.ndtr(a * b)
                          + fastgrad.special.ndtri(b.sigmoid()) * a + fastgrad.special.log_ndtr(a * b)
                          + a.sigmoid().logit() * b + (a * b).sigmoid().logit(eps=0.2)),
    "bessel i0": ({"I0"}, lambda a, b: a.i0() * b + (a * b).i0()),
    "piecewise math": ({"Copysign", "Fmax", "Fmin", "Fmod", "Remainder", "RoundedDivide", "Nextafter", "Prelu",
                        "NanToNum", "ZeroNan"},
                       lambda a, b: a.copysign(b) * b + fastgrad.fmax(a, b) * fastgrad.fmin(a, b * 2)
                       + fastgrad.fmod(near_thrice(a, b), b) * a + fastgrad.remainder(near_thrice(a, b), b) * b
                       + fastgrad.div(near_thrice(a, b), b, rounding_mode="floor") * a + a.nextafter(b) * b
                       + F.prelu(a * b, a[0, :1]) + F.prelu(a, b[0]) * b + (a * b).nan_to_num() * a
                       + F.prelu(a.reshape(3, 2, 2), b[0, :2]).reshape(3, 4) * b  # channels along dim 1 of three
                       + (a * b).nansum(1, keepdim=True) * a),
    "steps": ({"Abs", "Sign", "Round", "Clamp"},
              lambda a, b: a.abs() * b + a.sign() * b * b + a.floor() * b + (a * b).clamp(-1, 1) * a),
    "mantissa and angle": ({"Frexp", "Angle"}, lambda a, b: (a * b).frexp()[0] * a + (a * b).angle() * b),
    "activations": ({"Relu", "Tanh", "Sigmoid"}, lambda a, b: (a * b).relu() * a + (a * b).tanh() * b.sigmoid()),
    "reductions": ({"Sum", "Mean"}, lambda a, b: (a * b).sum(1, keepdim=True) * a.mean(0) + (a * a * b).sum()),
    "views": ({"Reshape", "Permute", "Expand", "GetItem", "ScatterIndexed"},
              lambda a, b: (a.reshape(4, 3).T * b).permute(1, 0)[1:, ::2] * a[[0, 2, 2]].sum(0)[:2].expand(3, 2)),
    "joins": ({"Cat", "Stack", "Cast"},
              lambda a, b: (fastgrad.cat([a * b, a], 1).sum(1) * fastgrad.stack([a, b * b], 0).sum((0, 2)))[:, None]
              + a.clone() * b),  # clone is a Cast to the same dtype (a float32 round trip would spoil the differences)
    "products": ({"Matmul", "Linear"},
                 lambda a, b: ((a @ b.T).tanh() @ a[:, 0])[:, None] + F.linear(a, b, b[0, :3]).sin().sum() + (a[0] @ b[1]) * a),
    "softmax": ({"LogSoftmax", "Softmax"}, lambda a, b: F.log_softmax(a * b, 1) * F.softmax(a, 0)),
    "losses": ({"SoftmaxCrossEntropy", "NLLLoss"},
               lambda a, b: F.cross_entropy(a * b, TARGETS) + F.nll_loss(F.log_softmax(a, 1) * b, TARGETS,
                                                                         reduction="none")
               + F.cross_entropy(b * b, TARGETS, reduction="none", weight=fastgrad.tensor([1.0, 2.0, 0.5, 1.0], dtype=fastgrad.float64))),
    "binary losses": ({"BCEWithLogits"},
                      lambda a, b: F.binary_cross_entropy_with_logits(a * b, b.sigmoid())
                      + F.binary_cross_entropy_with_logits(a, b.sigmoid(), reduction="none", weight=CLASS_WEIGHT,
                                                           pos_weight=fastgrad.tensor(1.5, dtype=fastgrad.float64))
                      * b + F.binary_cross_entropy_with_logits(b, a.sigmoid(), reduction="sum")),
    "dropout": ({"Dropout"}, lambda a, b: F.dropout(a * b, 0.5, training=True) * a),
    "more activations": ({"LeakyRelu", "Hardtanh", "Silu", "Gelu", "Elu", "Softplus", "LogSigmoid"},
                         lambda a, b: F.leaky_relu(a * b, 0.1) + F.hardtanh(a, -5.0, 5.0) * b + F.silu(a) * b
                         + F.gelu(a * b) + F.gelu(a, approximate="tanh") * b + F.elu(a * b) + F.softplus(a * b, beta=2)
                         + F.logsigmoid(a) * b),
    "more reductions": ({"AMax", "AMin", "Max", "Min", "LogSumExp", "Cumsum"},
                        lambda a, b: (a * b).amax(1).sum() * (a - b).amin(0).sum() + a.max() * b.min()
                        + a.max(1)[0].sum() * b.min(0)[0].sum() + (a * b).logsumexp(1).sum() * b + (a * b).cumsum(1)),
    "spread": ({"Var", "Std", "Norm"},
               lambda a, b: (a * b).var(1, keepdim=True) * a.std() + a.var((0, 1), correction=0) * b
               + (a * b).norm(dim=1).sum() * b.norm(p=1) + a.norm() * b),
    "products and medians": ({"Prod", "Cumprod", "LogCumSumExp", "Median", "NanMedian", "Norm"},
                             lambda a, b: (a * b).prod(1, keepdim=True) * a + a.prod() * b + (a * b).cumprod(1) * a
                             + (a * b).logcumsumexp(0) * b + a.median() * b + (a * b).nanmedian() * a
                             + (a * b).norm(p=3, dim=1, keepdim=True) * a + a.norm(p=0.5) * b
                             + (a - b).norm(p=float("inf"), dim=0) * a + b.norm(p=-float("inf")) * a + a.norm(p=0) * b),
    "copies": ({"ConstantPad", "Diagonal", "Repeat", "RepeatInterleave", "Unfold", "AsStrided"},
               lambda a, b: fastgrad.cat([t.reshape(-1) for t in (
                   F.pad(a * b, (1, -1, 0, 2), value=0.5) * a.sum(), (a * b).diagonal(1) * a[0, :3],
                   a.repeat(2, 1)[1:4] * b, (a * b).repeat_interleave(fastgrad.tensor([2, 0, 1]), dim=0) * a,
                   (a * b).unfold(1, 2, 1) * a[:, :3, None], (a * b).as_strided((3, 3), (2, 1), 1) * a[:, 1:])])),
    "placements": ({"Tril", "Triu", "Roll", "Scatter", "ScatterAdd", "ScatterReduce", "IndexAdd", "MaskedSelect"},
                   lambda a, b: fastgrad.cat([t.reshape(-1) for t in (
                       (a * b).tril(-1) * a + a.triu(1) * b, (a * b).roll(1, 1) * a + a.roll(2) * b,
                       a.scatter(1, SCATTER_INDEX, a * b) * b, (a * b).scatter_add(1, GATHER_INDEX, a * a) * a,
                       (a * b).index_add(1, SELECT_INDEX, b * b, alpha=2) * a, (a * b).masked_select(a > b) * 2,
                       *((a * b).scatter_reduce(1, GATHER_INDEX, a * a, reduce, include_self=include_self) * b
                         for reduce in ("sum", "mean", "prod", "amax", "amin") for include_self in (True, False)))])),
    "assignments": ({"Fill", "RandomFill", "CopyFrom", "IndexPut"}, lambda a, b: assigned(a, b)),
    "embedding": ({"Embedding", "EmbeddingGradient"},
                  lambda a, b: F.embedding(IDS, a * b).tanh().sum((0, 1)) * a
                  + F.embedding(IDS, a * a).sum() * b),  # (padding_idx and scale_grad_by_freq: no derivatives)
    "embedding bag": ({"EmbeddingBag", "EmbeddingBagGradient"},
                      lambda a, b: F.embedding_bag(BAG_IDS, a * b, BAG_OFFSETS, mode="mean").tanh().sum(0) * a
                      + F.embedding_bag(BAG_IDS, a * a, BAG_OFFSETS, mode="sum").sum() * b),
    "gathers": ({"Gather", "IndexSelect", "MaskedFill", "Flip"},
                lambda a, b: a.gather(1, GATHER_INDEX) * b[:, :2] + (a * b).index_select(1, SELECT_INDEX)[:, :2]
                * a.masked_fill(a > b, 0.5)[:, 1:3] + a.flip(1)[:, :2] * b.masked_fill(a < 0, a[0, 0])[:, :2]),
    "layer norm": ({"LayerNorm"},
                   lambda a, b: F.layer_norm(a * b, (4,), weight=b[0], bias=a[1]) * a + F.layer_norm(a, (3, 4)) * b),
    "recurrent": ({"RNN", "LSTM", "GRU"}, lambda a, b: recurrent_layers(a, b)),
    "output layer": ({"LinearCrossEntropy", "BinaryCrossEntropy"},
                     lambda a, b: F.linear_cross_entropy(a * b, b, TARGETS, linear_bias=a[:, 0]) * a
                     + F.linear_cross_entropy(a, b * b, fastgrad.tensor([1, -100, 0]), reduction="none")[:, None]
                     + F.linear_cross_entropy(b, a, fastgrad.tensor([1, 1, 2]), ignore_index=2, reduction="sum")
                     + F.binary_cross_entropy((a * b).sigmoid(), b.sigmoid()) * b
                     + F.binary_cross_entropy(a.sigmoid(), b.sigmoid(), reduction="none")),
    "weighted and max bags": ({"WeightedEmbeddingBag", "EmbeddingBagMax"},
                              lambda a, b: F.embedding_bag(BAG_IDS, a * b, BAG_OFFSETS, mode="sum",
                                                           per_sample_weights=b[:2].reshape(-1)[:6]).tanh().sum(0) * a
                              + F.embedding_bag(BAG_IDS, a * a + BAG_MAX_SPREAD, BAG_OFFSETS, mode="max").sum() * b),
    "linear algebra": ({"Einsum", "Inv", "Det", "Slogdet", "Solve", "Cholesky", "MatrixExp", "Pinv"},
                       lambda a, b: linear_algebra(a, b)),
    "crf": ({"CRFLogPartition"},
            lambda a, b: F.crf_log_partition(a * b, [2, 1], b.T @ b * 0.3, b[0], a[1]).sum() * a
            + F.crf_log_partition(a, [3], a.T @ b * 0.2, b[1], b[2])),
    "factorizations": ({"Eigh", "Svd", "Qr"}, lambda a, b: factorizations(a, b)),
    "failed factorizations and triangles": ({"FailedAsNan", "SolveTriangular"}, lambda a, b: failed_and_triangular(a, b)),
    "view scatters": ({"ViewScatter"}, lambda a, b: a.diagonal_scatter(b[0, :3] * b[1, :3]).slice_scatter(
        a[:, :2] * b[:, 2:], 1, 1, 4, 2) * b),
}


def near_thrice(a, b):
    """A dividend whose quotient by b is 3 + tanh(a) / 4: the jumps of fmod, remainder and floor division are
    at whole quotients, and a * 3 / b came within 3e-4 of one (seed 48444, b = 0.09, where a step of 1e-6 in b
    moved the quotient by 5e-4). This quotient stays 0.0125 from 3 (a is kept 0.05 from 0) and moves by at
    most a quarter of a step in a, whatever b is; its floor is 2 or 3, by a's sign."""
    return b * (3 + a.tanh() / 4)


def assigned(a, b):
    """Tensors changed in place before anything reads them (their recorded backward runs; a read before the
    change is refused, see test_values_changed_in_place_are_refused)."""
    y = a * b
    y[0] = b[1] * 2
    y[1, [0, 2]] = a[2, :2] * b[2, 1:3]  # an int and an index array: a selection, then an advanced key
    y.index_put_((fastgrad.tensor([2, 0, 2]),), b * a[0], accumulate=True)
    filled, copied, drawn = a * b, b * 2, a * a
    filled.fill_(2.0)
    copied.copy_(a.sin()[0])
    drawn.uniform_()
    return y * a + filled * b + copied * a + drawn * b
def recurrent_layers(a, b):
    """An RNN, an LSTM (its final cell state used too) and a GRU over 3 steps of a batch of 2, in both
    directions, with parameters and initial states cut from a and b (relu's kink is left to the parity tests)."""
    x = a.reshape(3, 2, 2)
    rnn = F.rnn(x, a[:2, 2:], b[:2, :2], b[:2, 2:], b[2, :2], b[2, 2:]).sum(2)
    output, (_, c_n) = F.lstm(x * b.reshape(3, 2, 2), (a[1:, :1], b[1:, 3:]), b.T[:, :2], b.T[:, 2:3], a[0],
                              reverse=True)
    gru = F.gru(x, a[:2, 3:], b[:, :2], b[:, 2:3], b[:, 3], a[:, 3], reverse=True).sum(2)
    return rnn * gru + output.sum(2) * c_n.sum()


def linear_algebra(a, b):
    """The linear-algebra ops on square matrices cut from a and b, kept well away from singular ones."""
    eye = fastgrad.eye(3, dtype=fastgrad.float64)
    square = a[:, :3] + 3 * eye
    products = fastgrad.einsum("ij,kj->ik", a, b) + fastgrad.einsum("ij,kl->ik", a, b * b)  # (l: b's alone)
    matrices = (fastgrad.linalg.inv(square) + fastgrad.linalg.cholesky(square @ square.mT + eye)
                + fastgrad.linalg.matrix_exp(b[:, 1:] * 0.5) + products)
    scale = fastgrad.linalg.det(square) * fastgrad.linalg.slogdet(square + b[:, :3] * 0.1)[1]
    return matrices @ fastgrad.linalg.solve(square, a * b) * scale + fastgrad.linalg.pinv(a * b).mT


def failed_and_triangular(a, b):
    """inv_ex and cholesky_ex of a batch holding a matrix they fail on (read only where they succeeded: the failed
    results are NaN), and a triangular solve."""
    eye = fastgrad.eye(3, dtype=fastgrad.float64)
    square = a[:, :3] + 3 * eye
    batch = fastgrad.stack([square, square * 0])
    inverse = fastgrad.linalg.inv_ex(batch).inverse[0]
    factor = fastgrad.linalg.cholesky_ex(fastgrad.stack([square @ square.mT + eye, -eye])).L[0]
    return (inverse + factor) @ fastgrad.linalg.solve_triangular(square, a * b, upper=True)


def factorizations(a, b):
    """eigh, svd and qr (tall and wide), through functions that do not depend on the signs of the vectors."""
    values, vectors = fastgrad.linalg.eigh(a[:, :3] + a[:, :3].mT + b[:, 1:] @ b[:, 1:].mT)
    u, s, vh = fastgrad.linalg.svd(a * b, full_matrices=False)
    tall_q, tall_r = fastgrad.linalg.qr((a * b).mT)
    wide_q, wide_r = fastgrad.linalg.qr(a - b)
    return ((vectors ** 2 * values) @ b + (u ** 2 * s) @ vh ** 2 + (tall_q ** 2 @ tall_r ** 2).mT
            + wide_q ** 2 @ wide_r ** 2)


def test_every_recorded_backward_has_a_case():
    declared = {name for module in (ops, ops.linalg) for name in dir(module) if isinstance(getattr(module, name), type)
                and issubclass(getattr(module, name), Op) and "backward_graph" in vars(getattr(module, name))}
    declared |= {"ScatterIndexed", "EmbeddingGradient", "EmbeddingBagGradient"}  # the gradients of indexing and
    # lookups, not exported
    covered = set().union(*(names for names, _ in CASES.values()))
    assert declared == covered


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("case", sorted(CASES))
@SETTINGS
@given(seed=st.integers(0, 2**16))
def test_gradgradcheck(backend_name, case, seed):
    _, fn = CASES[case]
    a, b = leaf((3, 4), seed, away_from=0.0), leaf((3, 4), seed + 1, away_from=0.0)
    with fastgrad.backend(backend_name):
        fastgrad.manual_seed(seed)  # the same dropout mask on every run of fn

        def seeded(a, b):
            fastgrad.manual_seed(seed)
            return fn(a, b)

        assert gradgradcheck(seeded, (a, b))


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_recorded_gradient_is_the_array_backward_gradient(backend_name, case):
    _, fn = CASES[case]
    a, b = leaf((3, 4), 7, away_from=0.0), leaf((3, 4), 8, away_from=0.0)
    with fastgrad.backend(backend_name):
        fastgrad.manual_seed(0)
        out = fn(a, b)
        weights = fastgrad.tensor(np.random.default_rng(0).normal(size=out.shape))
        plain = grad(out, (a, b), weights, retain_graph=True)
        recorded = grad(out, (a, b), weights, create_graph=True)
    for p, r in zip(plain, recorded):
        assert r.requires_grad and not p.requires_grad
        np.testing.assert_allclose(r.detach().numpy(), p.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_broadcasting_is_summed_back_through_recorded_ops(backend_name, shapes, seed):
    a, b = leaf(shapes.input_shapes[0], seed), leaf(shapes.input_shapes[1], seed + 1)
    with fastgrad.backend(backend_name):
        assert gradgradcheck(lambda a, b: (a * b).tanh() * a + b / (a * a + 1), (a, b))


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_the_recorded_embedding_bag_gradient_with_frequency_scaling(mode):
    from fastgrad.autograd.graph import apply
    from fastgrad.ops.nn import EmbeddingBagGradient

    g = leaf((3, 4), 0)
    assert fastgrad.gradcheck(lambda g: apply(EmbeddingBagGradient, g, ids=BAG_IDS.numpy(), offsets=BAG_OFFSETS.numpy(),
                                              mode=mode, num_rows=3, scale_grad_by_freq=True), (g,))
    weight = leaf((3, 4), 1)
    out = F.embedding_bag(BAG_IDS, weight, BAG_OFFSETS, mode=mode, scale_grad_by_freq=True)
    plain = grad(out, weight, g.detach(), retain_graph=True)[0]
    recorded = grad(out, weight, g.detach(), create_graph=True)[0]
    np.testing.assert_allclose(recorded.detach().numpy(), plain.numpy(), rtol=1e-12)


@pytest.mark.parametrize("padding_idx", [None, 1])
@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
def test_the_recorded_embedding_gradient_and_its_own_gradient(padding_idx, scale_grad_by_freq):
    """padding_idx and scale_grad_by_freq make the lookup's gradient another one than its derivative (as in
    PyTorch), so gradgradcheck cannot cover them: the recorded op is checked on its own (its backward is the
    exact transpose of its forward), and its values against the array backward."""
    from fastgrad.autograd.graph import apply
    from fastgrad.ops.nn import EmbeddingGradient

    g = leaf((3, 2, 4), 0)
    assert fastgrad.gradcheck(lambda g: apply(EmbeddingGradient, g, ids=IDS.numpy(), num_rows=3, padding_idx=padding_idx,
                                              scale_grad_by_freq=scale_grad_by_freq), (g,))
    weight = leaf((3, 4), 1)
    out = F.embedding(IDS, weight, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)
    plain = grad(out, weight, g.detach(), retain_graph=True)[0]
    recorded = grad(out, weight, g.detach(), create_graph=True)[0]
    np.testing.assert_allclose(recorded.detach().numpy(), plain.numpy(), rtol=1e-12)


def test_hessian_vector_product_of_a_cubic():
    """f(x) = sum(x^3): the gradient 3x^2, the Hessian diag(6x)."""
    x = fastgrad.tensor([1.0, -2.0, 0.5], requires_grad=True)
    (g,) = grad((x ** 3).sum(), x, create_graph=True)
    v = fastgrad.tensor([1.0, 1.0, 2.0])
    (hv,) = grad(g, x, v)
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0, 0.75])
    np.testing.assert_allclose(hv.numpy(), [6.0, -12.0, 6.0])


def test_backward_with_create_graph_leaves_differentiable_grads_and_keeps_the_graph():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x * x).sum()
    y.backward(create_graph=True)  # retain_graph defaults to create_graph, as in PyTorch
    first = x.grad
    assert first.requires_grad and first.grad_fn is not None
    np.testing.assert_allclose(first.detach().numpy(), [3.0, 12.0])
    y.backward(create_graph=True)  # accumulates out of place: the first .grad is unchanged
    np.testing.assert_allclose(x.grad.detach().numpy(), [6.0, 24.0])
    np.testing.assert_allclose(first.detach().numpy(), [3.0, 12.0])
    (second,) = grad(x.grad.sum(), x)
    np.testing.assert_allclose(second.numpy(), [12.0, 24.0])  # d/dx of 2 * 3x^2


def test_the_gradient_of_a_differentiable_grad_output():
    """The double-backward trick of jvp: the gradient is linear in grad_outputs, which may require grad."""
    x = fastgrad.tensor([0.3, -1.2], requires_grad=True)
    for dtype in (fastgrad.float32, fastgrad.float64):  # float64 u for a float32 output: cast, and recorded
        u = fastgrad.zeros(2, dtype=dtype, requires_grad=True)
        (vjp,) = grad(x.sin() * x, x, u, create_graph=True)  # u . J, J diagonal
        (jv,) = grad(vjp, u, fastgrad.tensor([1.0, 1.0]))  # J . v
        xs = x.detach().numpy()
        np.testing.assert_allclose(jv.numpy(), np.cos(xs) * xs + np.sin(xs), rtol=1e-6)
        assert jv.dtype == dtype


def test_a_gradient_that_is_the_callers_own_tensor_is_copied():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    v = fastgrad.tensor([3.0, 4.0])
    (g,) = grad(x + 1, x, v, create_graph=True)
    assert g is not v
    g.detach().zero_()
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])


class Doubled(Op):
    """An op with an array backward and no recorded one."""

    def forward(ctx, K, x):
        return x * 2

    def backward(ctx, K, g):
        return (g * 2,)


def test_an_op_without_a_recorded_backward_raises():
    from fastgrad.autograd.graph import apply

    x = fastgrad.tensor([[1.0, 2.0], [3.0, 0.5]], requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph=True: the backward of Doubled is not "
                                                  "differentiable in fastgrad"):
        grad(apply(Doubled, x).sum(), x, create_graph=True)
    assert x.grad is None


def hooked_square_chain(x):
    """y = x^2 whose gradient a hook multiplies by sin(x): a replaced gradient that carries a graph. The hook
    removes itself, so that it changes the first gradient only (not the second backward, which reaches y too)."""
    y = x * x

    def hook(g):
        handle.remove()
        return g * x.sin()

    handle = y.register_hook(hook)
    return (y * y.exp()).sum()


def test_a_tensor_hook_replaces_the_recorded_gradient():
    x = leaf((4,), 5)
    assert gradgradcheck(hooked_square_chain, (x,))
    seen = []
    handle = x.register_hook(lambda g: seen.append(g) or g * x)  # on a leaf: 3 x^2 becomes 3 x^3
    (g,) = grad((x ** 3).sum(), x, create_graph=True)
    handle.remove()  # (it would multiply the second gradient by x too)
    assert seen[0].requires_grad
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 3, rtol=1e-12)
    np.testing.assert_allclose(grad(g.sum(), x)[0].numpy(), 9 * x.detach().numpy() ** 2, rtol=1e-12)


def test_a_retained_gradient_carries_a_graph_and_accumulates_recorded():
    x = leaf((3,), 6)
    y = x ** 3
    y.retain_grad()
    (y * y).sum().backward(create_graph=True)  # y.grad = 2 y
    (y * x).sum().backward(create_graph=True)  # + x
    expected = 2 * x.detach().numpy() ** 3 + x.detach().numpy()
    np.testing.assert_allclose(y.grad.detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(grad(y.grad.sum(), x)[0].numpy(), 6 * x.detach().numpy() ** 2 + 1, rtol=1e-12)


def test_backward_into_a_non_leaf_input_records_its_gradient():
    x = leaf((3,), 7)
    y = x * x
    (y ** 3).sum().backward(create_graph=True, inputs=[y])  # y.grad = 3 y^2 = 3 x^4
    assert x.grad is None
    np.testing.assert_allclose(grad(y.grad.sum(), x)[0].numpy(), 12 * x.detach().numpy() ** 3, rtol=1e-12)


def test_a_post_accumulate_hook_sees_the_recorded_grad():
    x = leaf((3,), 8)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad))
    (x ** 3).sum().backward(create_graph=True)
    assert seen == [x.grad] and x.grad.requires_grad


def changed_after_use(x):
    """exp reads h, then h changes in place: the gradient through exp goes to h's history before the change."""
    h = x * 2
    y = h.exp()
    h.mul_(x)
    return y.sum() + (h * h).sum()


def view_of_a_base_changed_after_use(x):
    """A view read before its base changed in place: its gradient goes into the base's history at that time."""
    base = x * 1.0
    window = base[1:]
    y = window.exp() * window.tanh()
    base.mul_(x)
    return y.sum() + (base * base).sum()


@pytest.mark.parametrize("fn", [changed_after_use, view_of_a_base_changed_after_use])
def test_in_place_histories_are_differentiated_twice(fn):
    assert gradgradcheck(fn, (leaf((4,), 9),))


def test_values_changed_in_place_are_refused():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    logits = x.reshape(1, 2) * 1.0
    loss = F.cross_entropy(logits, fastgrad.tensor([1]))
    with fastgrad.no_grad():  # no new history, only a new version: the array backward needs no logits
        logits.mul_(3)
    grad(loss, x, retain_graph=True)
    with pytest.raises(RuntimeError, match="the logits of cross_entropy.* modified by an in-place operation"):
        grad(loss, x, create_graph=True)
    spread = x * 1.0
    variance = spread.var()
    with fastgrad.no_grad():
        spread.mul_(3)
    with pytest.raises(RuntimeError, match="the input of var or std.* modified by an in-place operation"):
        grad(variance, x, create_graph=True)


def test_row_sparse_embedding_gradients_are_refused():
    """PyTorch returns a differentiable sparse COO gradient here; fastgrad's row-sparse gradients hold arrays, so
    create_graph refuses them (naming the way out) rather than answering with a gradient that has no graph."""
    weight = leaf((5, 3), 11)
    ids = fastgrad.tensor([0, 2, 2])
    with pytest.raises(NotImplementedError, match=r"Embedding\(sparse=True\) gives a row-sparse gradient"):
        grad((F.embedding(ids, weight, sparse=True) ** 2).sum(), weight, create_graph=True)
    with pytest.raises(NotImplementedError, match=r"EmbeddingBag\(sparse=True\) gives a row-sparse gradient"):
        grad((F.embedding_bag(ids, weight, fastgrad.tensor([0, 1]), sparse=True) ** 2).sum(), weight,
             create_graph=True)
    F.embedding(ids, weight, sparse=True).sum().backward()
    with pytest.raises(NotImplementedError, match="a leaf whose .grad is row-sparse cannot accumulate"):
        (weight ** 2).sum().backward(create_graph=True)


class Cube(fastgrad.autograd.Function):
    """x^3 with a saved input and a saved output: d/dx = 3 y / x... written as 3 x^2 from the input, and the
    output used too (g * y * 0 + ...) so that a lost link through the output would change the answer."""

    @staticmethod
    def forward(ctx, x):
        y = x * x * x
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * (x * x * 2 + y / x)  # 2 x^2 + x^2 = 3 x^2, a third of it through the saved output


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_a_custom_function_is_differentiated_twice_through_its_saved_input_and_output(backend_name):
    x = leaf((4,), 3, away_from=0.0)
    with fastgrad.backend(backend_name):
        assert gradgradcheck(lambda x: Cube.apply(x) * x, (x,))
        (g,) = grad(Cube.apply(x).sum(), x, create_graph=True)
        (h,) = grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * x.detach().numpy(), rtol=1e-12)


class ExpAndSquare(fastgrad.autograd.Function):
    """Two outputs, exp(x) and x^2, the first saved and read by backward: terms through it need its graph."""

    @staticmethod
    def forward(ctx, x):
        exp = x.exp()
        ctx.save_for_backward(x, exp)
        return exp, x * x

    @staticmethod
    def backward(ctx, g_exp, g_square):
        x, exp = ctx.saved_tensors
        return g_exp * exp + g_square * 2 * x


def both_outputs(x):
    exp, square = ExpAndSquare.apply(x)
    return (exp * square).sum() + exp.sum()


def second_output_only(x):  # the first output's gradient is materialized as zeros
    return (ExpAndSquare.apply(x)[1] ** 3).sum()


@pytest.mark.parametrize("fn", [both_outputs, second_output_only])
def test_a_custom_function_with_several_outputs_is_differentiated_twice(fn):
    assert gradgradcheck(fn, (leaf((3,), 10),))


class ScaleInPlace(fastgrad.autograd.Function):
    """x *= exp(w) in place (mark_dirty), with w^2 as a second output when `square`; backward reads the changed
    x, saved after the change: terms through it need its graph as the Function's output."""

    @staticmethod
    def forward(ctx, x, w, square):
        x.mul_(w.exp())
        ctx.mark_dirty(x)
        ctx.save_for_backward(x, w)
        return (x, w * w) if square else x

    @staticmethod
    def backward(ctx, g, g_square=None):
        out, w = ctx.saved_tensors
        g_w = g * out if g_square is None else g * out + g_square * 2 * w
        return g * w.exp(), g_w, None


def scaled_in_place(x, w):
    y = ScaleInPlace.apply(x * 1.0, w, False)
    return (y * y * x).sum()


def scaled_in_place_and_squared(x, w):
    y, square = ScaleInPlace.apply(x * 1.0, w, True)
    return (y * y * x).sum() + (square * y).sum()


@pytest.mark.parametrize("fn", [scaled_in_place, scaled_in_place_and_squared])
def test_a_custom_function_changing_its_input_in_place_is_differentiated_twice(fn):
    assert gradgradcheck(fn, (leaf((3,), 12), leaf((3,), 13)))


SPECIAL_POINTS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -3.0, 1e-300, 40.0, -40.0]
# the unary math ops at their poles, domain edges, infinities and NaN (and a clipped logit)
UNARY_AT_SPECIAL_POINTS = {
    "tan": lambda x: x.tan(), "asin": lambda x: x.asin(), "acos": lambda x: x.acos(), "atan": lambda x: x.atan(),
    "sinh": lambda x: x.sinh(), "cosh": lambda x: x.cosh(), "asinh": lambda x: x.asinh(), "acosh": lambda x: x.acosh(),
    "atanh": lambda x: x.atanh(), "log2": lambda x: x.log2(), "log10": lambda x: x.log10(), "exp2": lambda x: x.exp2(),
    "erf": lambda x: x.erf(), "erfc": lambda x: x.erfc(), "erfinv": lambda x: x.erfinv(), "sinc": lambda x: x.sinc(),
    "lgamma": lambda x: x.lgamma(), "digamma": lambda x: x.digamma(), "polygamma 2": lambda x: x.polygamma(2),
    "ndtr": fastgrad.special.ndtr, "ndtri": fastgrad.special.ndtri, "log_ndtr": fastgrad.special.log_ndtr,
    "entr": fastgrad.special.entr, "logit": lambda x: x.logit(), "clipped logit": lambda x: x.logit(eps=0.25),
    "nan_to_num": lambda x: x.nan_to_num(), "nansum": lambda x: x.reshape(2, 7).nansum(1),
    "nanmean": lambda x: x.reshape(7, 2).nanmean(1),  # a row all NaN: an infinite g reaches ZeroNan
}
# the binary ones on every pair of special points
BINARY_AT_SPECIAL_POINTS = {
    "atan2": fastgrad.atan2, "hypot": fastgrad.hypot, "logaddexp": fastgrad.logaddexp,
    "logaddexp2": fastgrad.logaddexp2, "xlogy": fastgrad.xlogy, "copysign": fastgrad.copysign, "fmax": fastgrad.fmax,
    "fmin": fastgrad.fmin, "fmod": fastgrad.fmod, "remainder": fastgrad.remainder,
    "floor div": lambda a, b: fastgrad.div(a, b, rounding_mode="floor"), "nextafter": fastgrad.nextafter,
    "prelu": lambda a, b: F.prelu(a * b, b[:1]),
    "ldexp": lambda a, b: a.ldexp(fastgrad.tensor([3, -1000, 1100, 0] * 49)) * b,  # 2^1100 overflows g
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the forward passes at poles and outside the domain
@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(UNARY_AT_SPECIAL_POINTS) + sorted(BINARY_AT_SPECIAL_POINTS))
def test_the_recorded_gradient_is_the_array_backward_gradient_at_special_points(name, dtype, backend_name):
    """NaN, inf and 0 where the array backward gives them, and nowhere else."""
    values = np.array(SPECIAL_POINTS)
    if name in UNARY_AT_SPECIAL_POINTS:
        fn, inputs = UNARY_AT_SPECIAL_POINTS[name], [values]
    else:
        fn, inputs = BINARY_AT_SPECIAL_POINTS[name], [np.repeat(values, len(values)), np.tile(values, len(values))]
    inputs = [fastgrad.tensor(x, dtype=getattr(fastgrad, dtype), requires_grad=True) for x in inputs]
    with fastgrad.backend(backend_name):
        out = fn(*inputs)
        weights = np.random.default_rng(0).normal(size=out.shape)
        weights.flat[::5] = 0.0  # a zero g: xlogy's gradient is 0 there whatever log(b) is
        weights = fastgrad.tensor(weights, dtype=out.dtype)
        plain = grad(out, inputs, weights, retain_graph=True)
        recorded = grad(out, inputs, weights, create_graph=True)
    for p, r in zip(plain, recorded):
        assert r.dtype == p.dtype  # (not r.requires_grad: a step's gradient is a constant)
        np.testing.assert_allclose(r.detach().numpy(), p.numpy(), rtol=1e-12 if dtype == "float64" else 1e-6, atol=0)


def _second_derivative(fn, values):
    x = fastgrad.tensor(values, dtype=fastgrad.float64, requires_grad=True)
    (g,) = grad(fn(x).sum(), x, create_graph=True)
    return g.detach().numpy(), grad(g.sum(), x)[0].numpy()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # atan2's NaN at the origin
def test_second_derivatives_where_a_branch_is_not_taken():
    """The branch a formula does not take is computed where it is finite, so its NaN does not reach the second
    derivative: sinc's at 0 is -pi^2/3 (and finite far from 0), logit's is 0 where eps clips (PyTorch 2.13 gives
    NaN at both), and prelu's slope gradient has no NaN from an infinite positive x (its x = 0 stays on the
    negative side, as in the gradient; PyTorch's double backward moves it). At atan2's origin the gradient is 0
    by convention and its derivative does not exist: NaN, as PyTorch's."""
    mpmath = pytest.importorskip("mpmath")
    points = [0.0, 0.1, -0.2, 0.3, 2.5]  # the series, then the closed form
    first, second = _second_derivative(lambda x: x.sinc(), points)
    for order, values in ((1, first), (2, second)):
        exact = [float(mpmath.diff(mpmath.sincpi, x, order)) for x in points]
        np.testing.assert_allclose(values, exact, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(second[0], -np.pi ** 2 / 3, rtol=1e-14)
    _, second = _second_derivative(lambda x: x.sinc(), [1e20, -1e200])  # where the series would overflow
    assert np.isfinite(second).all() and np.all(np.abs(second) < 1e-15)
    first, second = _second_derivative(lambda x: x.logit(eps=0.2), [0.0, 0.1, 0.5, 0.9, 1.0])
    np.testing.assert_array_equal(first, [0.0, 0.0, 4.0, 0.0, 0.0])
    np.testing.assert_array_equal(second, [0.0, 0.0, 0.0, 0.0, 0.0])
    a = fastgrad.tensor([0.0, 1.0], dtype=fastgrad.float64, requires_grad=True)
    b = fastgrad.tensor([0.0, 2.0], dtype=fastgrad.float64, requires_grad=True)
    u = fastgrad.tensor([1.0, 1.0], dtype=fastgrad.float64, requires_grad=True)
    g_a, g_b = grad(fastgrad.atan2(a, b), (a, b), u, create_graph=True)
    np.testing.assert_array_equal(g_a.detach().numpy(), [0.0, 0.4])
    second = grad(g_a.sum() + g_b.sum(), (a, b, u))
    np.testing.assert_allclose(second[0].numpy(), [np.nan, -0.28], rtol=1e-14)
    np.testing.assert_allclose(second[1].numpy(), [np.nan, 0.04], rtol=1e-14)
    np.testing.assert_allclose(second[2].numpy(), [0.0, 0.2], rtol=1e-14)  # linear in the upstream gradient
    x = fastgrad.tensor([np.inf, -2.0, np.nan, 0.0], dtype=fastgrad.float64, requires_grad=True)
    slope = fastgrad.tensor([0.25], dtype=fastgrad.float64, requires_grad=True)
    u = fastgrad.tensor([1.0, 2.0, 3.0, 4.0], dtype=fastgrad.float64, requires_grad=True)
    g_x, g_slope = grad(F.prelu(x, slope), (x, slope), u, create_graph=True)
    np.testing.assert_array_equal(g_x.detach().numpy(), [1.0, 0.5, 0.75, 1.0])  # x = 0 takes the slope
    second = grad(g_slope.sum(), (x, u), retain_graph=True)
    np.testing.assert_array_equal(second[0].numpy(), [0.0, 2.0, 3.0, 4.0])  # and so does the second derivative
    np.testing.assert_array_equal(second[1].numpy(), [0.0, -2.0, np.nan, 0.0])
    np.testing.assert_array_equal(grad(g_x.sum(), u)[0].numpy(), [1.0, 0.25, 0.25, 0.25])
# one zero in a row, two, two leading
WITH_ZEROS = np.array([[0.0, 1.5, -2.0, 0.5], [1.2, 0.0, 0.7, 0.0], [0.0, 0.0, 3.0, -1.0]])


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_products_and_norms_are_differentiated_twice_at_zeros(backend_name):
    """Past a zero the gradient of a running product is 0, but not its slope in that zero. (Products are
    multilinear, so central differences are exact across the zeros too.) A 3-norm's slope is 0 at a zero
    element, and so is the slope of that slope."""
    x = fastgrad.tensor(WITH_ZEROS, requires_grad=True)
    with fastgrad.backend(backend_name):
        assert gradgradcheck(lambda x: x.cumprod(1) * x[:, :1] + x.cumprod(0) + x.prod(1, keepdim=True) * x
                             + x[0].prod() * x[1, :3].prod() * x + x.norm(p=3, dim=1, keepdim=True) * x, (x,))


SPECIAL = np.array([[0.0, np.inf, -2.0, 0.5], [np.nan, 1.0, 0.0, 0.0], [-np.inf, 0.0, 3.0, -1.0]])


@pytest.mark.parametrize("fn", [lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.prod(0), lambda x: x.cumprod(1),
                                lambda x: x.cumprod(0), lambda x: x.logcumsumexp(1), lambda x: x.logcumsumexp(0),
                                lambda x: x.median(), lambda x: x.nanmedian(), lambda x: x.norm(p=float("inf"), dim=1),
                                lambda x: x.norm(p=3, dim=0), lambda x: x.norm(p=0.5, dim=1),
                                lambda x: x.scatter_reduce(1, GATHER_INDEX, x[:, 1:3], "prod"),
                                lambda x: x.scatter_reduce(1, GATHER_INDEX, x[:, 1:3], "prod", include_self=False)])
@pytest.mark.parametrize("values", [SPECIAL, np.where(np.isnan(SPECIAL), 2.5, SPECIAL), WITH_ZEROS],
                         ids=["nan-inf", "inf", "zeros"])
def test_recorded_gradients_at_zeros_infinities_and_nan_are_the_array_backwards(fn, values):
    x = fastgrad.tensor(values, requires_grad=True)
    out = fn(x)
    weights = fastgrad.tensor(np.random.default_rng(0).normal(size=out.shape) * np.resize([1.0, 0.0, -1.0], out.shape))
    plain = grad(out, x, weights, retain_graph=True)[0]
    recorded = grad(out, x, weights, create_graph=True)[0]
    np.testing.assert_allclose(recorded.detach().numpy(), plain.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_is_differentiated_twice_at_zeros(include_self):
    """Zeros of x and src meeting at one position, or alone (products are multilinear: central differences
    are exact across the zeros)."""
    x = fastgrad.tensor(WITH_ZEROS, requires_grad=True)
    assert gradgradcheck(lambda x: x.scatter_reduce(1, GATHER_INDEX, x[:, 1:3] * 2, "prod",
                                                    include_self=include_self), (x,))


def test_scatter_reduce_prod_with_two_zeros_of_src_at_one_position_is_not_differentiated_twice():
    """As in PyTorch: the recorded gradient has its values, and differentiating src's raises."""
    x = leaf((3, 4), 0)
    src = fastgrad.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]], dtype=fastgrad.float64, requires_grad=True)
    out = x.scatter_reduce(1, GATHER_INDEX, src, "prod")
    plain = grad(out.sum(), (x, src), retain_graph=True)
    recorded = grad(out.sum(), (x, src), create_graph=True)
    for p, r in zip(plain, recorded):
        np.testing.assert_allclose(r.detach().numpy(), p.numpy(), rtol=1e-12)
    grad(recorded[0].sum(), src, retain_graph=True)  # x's gradient is differentiable
    with pytest.raises(NotImplementedError, match="two zeros of src are scattered to one position"):
        grad(recorded[1].sum(), x)
def test_determinant_gradients_at_a_singular_matrix():
    """det's recorded backward, det(A) A^-T, needs the inverse: at a singular matrix it raises rather than
    answer (the array backward's cofactors are finite there); slogdet's gradient is NaN there either way."""
    a = fastgrad.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=fastgrad.float64, requires_grad=True)
    np.testing.assert_allclose(grad(fastgrad.linalg.det(a), a)[0].numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    with pytest.raises(NotImplementedError, match="linalg.det .* needs invertible matrices"):
        grad(fastgrad.linalg.det(a), a, create_graph=True)
    logabsdet = fastgrad.linalg.slogdet(a)[1]
    plain = grad(logabsdet, a, retain_graph=True)[0]
    recorded = grad(logabsdet, a, create_graph=True)[0]
    assert np.isnan(plain.numpy()).all()
    np.testing.assert_array_equal(recorded.detach().numpy(), plain.numpy())


def test_a_crf_with_forbidden_transitions_is_refused():
    """-inf scores forbid transitions; logsumexp's recorded derivative over forbidden paths only is NaN where
    the marginals' is 0, so the recorded backward refuses them instead of answering NaN."""
    emissions = leaf((3, 2), 0)
    transitions = fastgrad.tensor([[0.5, -np.inf], [0.0, 0.3]], dtype=fastgrad.float64, requires_grad=True)
    start, end = leaf((2,), 1), leaf((2,), 2)
    log_z = F.crf_log_partition(emissions, [3], transitions, start, end)
    assert np.isfinite(grad(log_z.sum(), transitions, retain_graph=True)[0].numpy()).all()
    with pytest.raises(NotImplementedError, match="crf_log_partition with -inf"):
        grad(log_z.sum(), transitions, create_graph=True)


def test_factorizations_refuse_second_derivatives_where_their_gradients_are_undefined():
    """eigh and svd: the recorded backward keeps the vectors' terms (dropping them where their gradient is zero
    would drop their derivative), which need distinct values; qr's undefined cases raise as the array backward."""
    symmetric = fastgrad.tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 5.0]], dtype=fastgrad.float64,
                                requires_grad=True)
    np.testing.assert_allclose(grad(fastgrad.linalg.eigh(symmetric)[0].sum(), symmetric)[0].numpy(), np.eye(3))
    with pytest.raises(NotImplementedError, match="linalg.eigh needs distinct eigenvalues"):
        grad(fastgrad.linalg.eigh(symmetric)[0].sum(), symmetric, create_graph=True)
    with pytest.raises(NotImplementedError, match="linalg.svd needs distinct singular values"):
        grad(fastgrad.linalg.svd(symmetric)[1].sum(), symmetric, create_graph=True)
    wide = leaf((2, 3), 0)
    with pytest.raises(NotImplementedError, match="linalg.svd needs .* nonzero ones"):
        grad(fastgrad.linalg.svd(wide * fastgrad.tensor([[1.0], [0.0]], dtype=fastgrad.float64))[1].sum(), wide,
             create_graph=True)
    for mode in ("r", "complete"):
        with pytest.raises(RuntimeError, match=f"linalg.qr: .*mode='{mode}'"):
            grad(fastgrad.linalg.qr(wide.mT, mode=mode)[1].sum(), wide, create_graph=True)


@pytest.mark.parametrize("padding_idx", [None, 1])
@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
def test_the_lookup_gradients_differentiated_twice(padding_idx, scale_grad_by_freq):
    """A third derivative of a lookup goes through the recorded backward of its gradient op (here under a tanh,
    so that the second derivative is not zero)."""
    from fastgrad.autograd.graph import apply
    from fastgrad.ops.nn import EmbeddingBagGradient, EmbeddingGradient

    g = leaf((3, 2, 4), 0)
    assert gradgradcheck(lambda g: apply(EmbeddingGradient, g, ids=IDS.numpy(), num_rows=3, padding_idx=padding_idx,
                                         scale_grad_by_freq=scale_grad_by_freq).tanh(), (g,))
    for mode in ("sum", "mean"):
        assert gradgradcheck(lambda g: apply(EmbeddingBagGradient, g, ids=BAG_IDS.numpy(), offsets=BAG_OFFSETS.numpy(),
                                             mode=mode, num_rows=3, scale_grad_by_freq=scale_grad_by_freq).tanh(),
                             (g[:, 0],))


@pytest.mark.parametrize("weight", [None, CLASS_WEIGHT])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_an_ignored_row_with_a_nan_logit_gets_a_zero_recorded_gradient(weight, reduction):
    """The kernels set an ignored row's gradient to zero whatever its logits; the recorded backward selects it."""
    logits = leaf((3, 4), 0)
    with fastgrad.no_grad():
        logits[1, 2] = float("nan")
    targets = fastgrad.tensor([2, -100, 0])
    for loss in (F.cross_entropy(logits * 1.0, targets, weight=weight, reduction=reduction),
                 F.linear_cross_entropy(logits, fastgrad.eye(4, dtype=fastgrad.float64), targets, reduction=reduction)):
        upstream = fastgrad.ones(loss.shape, dtype=fastgrad.float64)
        plain = grad(loss, logits, upstream, retain_graph=True)[0].numpy()
        recorded = grad(loss, logits, upstream, create_graph=True)[0].detach().numpy()
        assert not np.isnan(plain).any()
        np.testing.assert_allclose(recorded, plain, rtol=1e-12, atol=1e-12)


def test_binary_cross_entropy_recorded_gradient_at_probabilities_0_and_1_is_the_array_backwards():
    # both floors x (1 - x) at the same number (PyTorch's float 1e-12)
    x = fastgrad.tensor([0.0, 1.0, 0.3, 1e-13], dtype=fastgrad.float64, requires_grad=True)
    out = F.binary_cross_entropy(x, fastgrad.tensor([0.2, 0.7, 0.5, 0.9], dtype=fastgrad.float64), reduction="none")
    plain = grad(out, x, fastgrad.ones_like(out), retain_graph=True)[0]
    recorded = grad(out, x, fastgrad.ones_like(out), create_graph=True)[0]
    np.testing.assert_allclose(recorded.detach().numpy(), plain.numpy(), rtol=1e-14)
