"""fastgrad.nn.functional refuses what PyTorch 2.13 refuses with an exception of PyTorch's built-in type (RuntimeError
for its C++ checks, NotImplementedError where it has no kernel for a dtype, ValueError and TypeError where its Python
code raises them), so that code catching PyTorch's exception catches fastgrad's: integer and bool inputs of
activations, losses, norms, pools, fold and interpolate; target dtypes and shapes of the losses; F.pad's modes, widths
and ranks; the kernel, stride, padding and window of the pools and convolutions; interpolate's sizes; fold and
unfold's sizes; the ranks of dropout1d/2d/3d; prelu's weight; glu's halving (checked before the dtype, as PyTorch);
relu of bools; flatten's dims; pdist; the losses' target shapes, class weights, 0-d inputs, beta and delta, and the
order of their checks where it decides the type (PyTorch checks shapes before arguments, arguments before dtypes).

The shapes of linear, bilinear, the norms, embedding, scaled_dot_product_attention and ctc_loss; one_hot's classes
and dtype; padding_idx (PyTorch's AssertionError, embedding_bag's RuntimeError); the arguments of rrelu, celu, gelu
and softshrink. Also the refusals of empty channels (pools, lp pools and interpolate: PyTorch takes an empty batch,
not empty channels), of integer dtypes PyTorch's avg and lp pools have no kernel for (all but int64, and p = +-inf in
1-D), of an int lp pool's negative p, of integer dropout that scales, and of ctc_loss's float lengths.

PyTorch's IndexError for an input of too few dims where it reads a dim before checking the rank (avg_pool2d and
lp_pool2d below 3 dims, unfold, max_unpool1d/2d below 1/2 dims), and max_unpool's refusal of empty dims after the
first. Where PyTorch returns and fastgrad used to refuse (integer avg and lp pools,
adaptive_avg_pool2d's (1, 1) output of any rank or of empty dims, gumbel_softmax's tau <= 0, a negative max_norm,
float ctc targets, dropout of integers with p = 1), the parity tests of those functions check PyTorch's answer;
ctc_loss's targets out of the classes' range (PyTorch computes with them) are left out."""
import numpy as np
import pytest

import fastgrad
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")


def t(lib, *shape, dtype="float64"):
    """A tensor of the shape holding 0.5, 1.5, 2.5, 0.5, ... (integers 0, 1, 2, 0, ... for an integer dtype)."""
    values = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape) % 3
    return lib.tensor(values + 0.5 if dtype[0] == "f" else values)


def ints(lib, *shape):
    return t(lib, *shape, dtype="int64")


def lp(lib, *shape):
    """Log-probabilities over the last dim."""
    return t(lib, *shape).log_softmax(-1)


def ctc(lib, log_probs=None, targets=None, input_lengths=(4,), target_lengths=(2,), **options):
    """ctc_loss of one sequence of 4 frames and 3 classes, target [1, 2], with the arguments changed."""
    return F(lib).ctc_loss(lp(lib, 4, 1, 3) if log_probs is None else log_probs,
                           lib.tensor([[1, 2]]) if targets is None else targets, lib.tensor(input_lengths),
                           lib.tensor(target_lengths), **options)


CALLS = {}


def add(name, call):
    CALLS[name] = call


def F(lib):
    return lib.nn.functional


# integer inputs
for fn, args in {"prelu": lambda lib: (ints(lib, 2, 3), ints(lib, 1)),
                 "glu": lambda lib: (ints(lib, 2, 4),),
                 "gumbel_softmax": lambda lib: (ints(lib, 2, 4),),
                 "nll_loss": lambda lib: (ints(lib, 2, 3), lib.tensor([0, 1])),
                 "huber_loss": lambda lib: (ints(lib, 3), t(lib, 3)),
                 "kl_div": lambda lib: (ints(lib, 3), t(lib, 3)),
                 "binary_cross_entropy": lambda lib: (ints(lib, 3), t(lib, 3)),
                 "binary_cross_entropy_with_logits": lambda lib: (ints(lib, 3), t(lib, 3)),
                 "soft_margin_loss": lambda lib: (ints(lib, 3), t(lib, 3)),
                 "multilabel_soft_margin_loss": lambda lib: (ints(lib, 2, 3), t(lib, 2, 3)),
                 "multilabel_margin_loss": lambda lib: (ints(lib, 2, 3), ints(lib, 2, 3)),
                 "multi_margin_loss": lambda lib: (ints(lib, 2, 3), lib.tensor([0, 1])),
                 "normalize": lambda lib: (ints(lib, 2, 3),),
                 "layer_norm": lambda lib: (ints(lib, 2, 3), (3,)),
                 "group_norm": lambda lib: (ints(lib, 2, 4), 2),
                 "instance_norm": lambda lib: (ints(lib, 2, 3, 4),),
                 "batch_norm": lambda lib: (ints(lib, 2, 3), None, None, None, None, True),
                 "alpha_dropout": lambda lib: (ints(lib, 2, 3), 0.5, True),
                 "pdist": lambda lib: (ints(lib, 3, 2),),
                 "adaptive_avg_pool1d": lambda lib: (ints(lib, 1, 2, 4), 2),
                 "adaptive_max_pool1d": lambda lib: (ints(lib, 1, 2, 4), 2),
                 "max_pool1d": lambda lib: (ints(lib, 1, 2, 4), 2),
                 "max_unpool1d": lambda lib: (ints(lib, 1, 1, 2), lib.tensor([[[0, 2]]]), 2),
                 "interpolate": lambda lib: (ints(lib, 1, 1, 4), 8),
                 }.items():
    add(f"{fn} int", lambda lib, fn=fn, args=args: getattr(F(lib), fn)(*args(lib)))
add("interpolate linear int", lambda lib: F(lib).interpolate(ints(lib, 1, 1, 4), 8, mode="linear"))
add("relu bool", lambda lib: F(lib).relu(lib.tensor([True, False])))
add("relu_ bool", lambda lib: F(lib).relu_(lib.tensor([True, False])))
add("torch.relu bool", lambda lib: lib.relu(lib.tensor([True, False])))
add("norm int", lambda lib: lib.norm(ints(lib, 3)))
add("tensor.norm int", lambda lib: ints(lib, 3).norm())
add("vector_norm int", lambda lib: lib.linalg.vector_norm(ints(lib, 3)))
add("matrix_norm int", lambda lib: lib.linalg.matrix_norm(ints(lib, 3, 3)))
add("linalg.norm int", lambda lib: lib.linalg.norm(ints(lib, 3)))
add("prelu 1-d weight 3", lambda lib: F(lib).prelu(t(lib, 3), t(lib, 3)))
add("prelu weight wrong", lambda lib: F(lib).prelu(t(lib, 2, 3), t(lib, 2)))
add("prelu weight dtype", lambda lib: F(lib).prelu(t(lib, 2, 3), t(lib, 1, dtype="float32")))
add("glu 0-d", lambda lib: F(lib).glu(t(lib)))
add("glu odd", lambda lib: F(lib).glu(t(lib, 3)))
add("glu 0-d int", lambda lib: F(lib).glu(ints(lib)))
add("glu odd int", lambda lib: F(lib).glu(ints(lib, 3)))
add("glu dim out", lambda lib: F(lib).glu(t(lib, 4), 2))
add("bce target float32", lambda lib: F(lib).binary_cross_entropy(t(lib, 3) / 3, t(lib, 3, dtype="float32") / 3))
add("bce target int", lambda lib: F(lib).binary_cross_entropy(t(lib, 3) / 3, ints(lib, 3)))
add("bce shape", lambda lib: F(lib).binary_cross_entropy(t(lib, 3) / 3, t(lib, 2) / 3))
add("bce out of range", lambda lib: F(lib).binary_cross_entropy(t(lib, 3), t(lib, 3) / 3))
add("bce weight shape", lambda lib: F(lib).binary_cross_entropy(t(lib, 3) / 3, t(lib, 3) / 3, weight=t(lib, 2)))
add("bcel target int", lambda lib: F(lib).binary_cross_entropy_with_logits(t(lib, 3), ints(lib, 3)))
add("bcel shape", lambda lib: F(lib).binary_cross_entropy_with_logits(t(lib, 3), t(lib, 2)))
add("bcel pos_weight shape", lambda lib: F(lib).binary_cross_entropy_with_logits(t(lib, 3), t(lib, 3),
                                                                                              pos_weight=t(lib, 2)))
add("ce prob shape", lambda lib: F(lib).cross_entropy(t(lib, 2, 3), t(lib, 2, 4)))
add("ce prob shape2", lambda lib: F(lib).cross_entropy(t(lib, 2, 3), t(lib, 3)))
add("ce prob ignore", lambda lib: F(lib).cross_entropy(t(lib, 2, 3), t(lib, 2, 3), ignore_index=1))
add("ce class shape", lambda lib: F(lib).cross_entropy(t(lib, 2, 3), lib.tensor([0, 1, 2])))
add("ce class oob", lambda lib: F(lib).cross_entropy(t(lib, 2, 3), lib.tensor([0, 3])))
add("nll target float", lambda lib: F(lib).nll_loss(t(lib, 2, 3), t(lib, 2)))
add("ce weight shape", lambda lib: F(lib).cross_entropy(t(lib, 2, 3), lib.tensor([0, 1]), weight=t(lib, 4)))
add("ce weight dtype", lambda lib: F(lib).cross_entropy(t(lib, 2, 3), lib.tensor([0, 1]),
                                                        weight=t(lib, 3, dtype="float32")))
add("ce weight shape, target out of range", lambda lib: F(lib).cross_entropy(t(lib, 2, 3), lib.tensor([0, 3]),
                                                                             weight=t(lib, 4)))
add("ce prob weight shape", lambda lib: F(lib).cross_entropy(t(lib, 2, 3), t(lib, 2, 3), weight=t(lib, 4)))
add("ce 0-d input", lambda lib: F(lib).cross_entropy(t(lib), lib.tensor([0])))
add("ce 0-d input, 0-d index", lambda lib: F(lib).cross_entropy(t(lib), lib.tensor(0)))
add("ce 0-d input, 0-d probability", lambda lib: F(lib).cross_entropy(t(lib), t(lib)))
add("ce index of the input's shape", lambda lib: F(lib).cross_entropy(t(lib, 3), lib.tensor([0, 1, 2])))
add("ce (C,) input, float target", lambda lib: F(lib).cross_entropy(t(lib, 3), t(lib, 1)))
add("ce (C,) input, int32 target", lambda lib: F(lib).cross_entropy(t(lib, 3), lib.tensor([0, 1], dtype=lib.int32)))
add("nll weight shape", lambda lib: F(lib).nll_loss(t(lib, 2, 3), lib.tensor([0, 1]), weight=t(lib, 3, 1)))
add("nll weight dtype", lambda lib: F(lib).nll_loss(t(lib, 2, 3), lib.tensor([0, 1]),
                                                    weight=t(lib, 3, dtype="float32")))
for fn in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss"):
    add(f"{fn} shape", lambda lib, fn=fn: getattr(F(lib), fn)(t(lib, 3), t(lib, 4)))
add("gaussian target shape", lambda lib: F(lib).gaussian_nll_loss(t(lib, 1, 3), t(lib, 1, 4), t(lib, 1, 3)))
add("gaussian var before target", lambda lib: F(lib).gaussian_nll_loss(t(lib, 3), t(lib, 4), t(lib, 0)))
add("mse int", lambda lib: F(lib).mse_loss(ints(lib, 3), ints(lib, 3)))
add("smooth_l1 int", lambda lib: F(lib).smooth_l1_loss(ints(lib, 3), ints(lib, 3)))
add("huber int int", lambda lib: F(lib).huber_loss(ints(lib, 3), ints(lib, 3)))
add("l1 int mean", lambda lib: F(lib).l1_loss(ints(lib, 3), ints(lib, 3)))
for beta in (-1.0, float("nan")):
    add(f"smooth_l1 beta {beta}", lambda lib, beta=beta: F(lib).smooth_l1_loss(t(lib, 3), t(lib, 3), beta=beta))
    add(f"smooth_l1 int beta {beta}", lambda lib, beta=beta: F(lib).smooth_l1_loss(ints(lib, 3), ints(lib, 3),
                                                                                    beta=beta))
for delta in (0.0, -1.0, float("nan")):
    add(f"huber delta {delta}", lambda lib, delta=delta: F(lib).huber_loss(t(lib, 3), t(lib, 3), delta=delta))
    add(f"huber int delta {delta}", lambda lib, delta=delta: F(lib).huber_loss(ints(lib, 3), ints(lib, 3),
                                                                                delta=delta))
add("smooth_l1 shape before beta", lambda lib: F(lib).smooth_l1_loss(t(lib, 3), t(lib, 4), beta=-1.0))
add("huber shape before weight", lambda lib: F(lib).huber_loss(t(lib, 3), t(lib, 4), weight=t(lib, 2)))
add("huber weight before delta", lambda lib: F(lib).huber_loss(t(lib, 3), t(lib, 3), delta=-1.0, weight=t(lib, 2)))
add("huber shape before dtype", lambda lib: F(lib).huber_loss(ints(lib, 3), t(lib, 4)))
add("triplet dims", lambda lib: F(lib).triplet_margin_loss(t(lib, 3, 3), t(lib, 1, 3), t(lib, 3)))
add("triplet margin before dims", lambda lib: F(lib).triplet_margin_loss(t(lib, 3), t(lib, 3), t(lib, 1, 3),
                                                                         margin=-1.0))
add("triplet shapes", lambda lib: F(lib).triplet_margin_loss(t(lib, 2), t(lib, 2), t(lib, 3)))
add("pairwise_distance shapes", lambda lib: F(lib).pairwise_distance(t(lib, 3), t(lib, 4)))
add("cosine_similarity shapes", lambda lib: F(lib).cosine_similarity(t(lib, 3, 4), t(lib, 3, 5)))
add("multi_margin target out of range", lambda lib: F(lib).multi_margin_loss(t(lib, 2, 3), lib.tensor([0, 3])))
add("multi_margin target negative", lambda lib: F(lib).multi_margin_loss(t(lib, 2, 3), lib.tensor([0, -1])))
add("multi_margin weight dtype", lambda lib: F(lib).multi_margin_loss(t(lib, 2, 3), lib.tensor([0, 1]),
                                                                      weight=t(lib, 3, dtype="float32")))
add("multi_margin weight shape", lambda lib: F(lib).multi_margin_loss(t(lib, 2, 3), lib.tensor([0, 1]),
                                                                      weight=t(lib, 4)))
add("multi_margin weight 2-d", lambda lib: F(lib).multi_margin_loss(t(lib, 2, 3), lib.tensor([0, 1]),
                                                                    weight=t(lib, 1, 3)))
add("multi_margin int input, target out of range", lambda lib: F(lib).multi_margin_loss(ints(lib, 2, 3),
                                                                                        lib.tensor([0, 5])))
add("multilabel_margin int32 target", lambda lib: F(lib).multilabel_margin_loss(t(lib, 2, 3), ints(lib, 2, 3).int()))
add("multilabel_margin float target", lambda lib: F(lib).multilabel_margin_loss(t(lib, 2, 3), t(lib, 2, 3)))
add("multilabel_margin int32 shape", lambda lib: F(lib).multilabel_margin_loss(t(lib, 2, 3), ints(lib, 2, 4).int()))
add("multilabel_margin out of range", lambda lib: F(lib).multilabel_margin_loss(t(lib, 2, 3),
                                                                                lib.tensor([[3, 0, -1], [0, 1, 2]])))
add("multilabel_margin out of range int32", lambda lib: F(lib).multilabel_margin_loss(
    t(lib, 2, 3), lib.tensor([[3, 0, -1], [0, 1, 2]], dtype=lib.int32)))
add("multilabel_margin int input, out of range", lambda lib: F(lib).multilabel_margin_loss(
    ints(lib, 2, 3), lib.tensor([[3, 0, -1], [0, 1, 2]])))
add("multilabel_margin int input, 3-d", lambda lib: F(lib).multilabel_margin_loss(ints(lib, 2, 3, 1),
                                                                                  ints(lib, 2, 3, 1)))
add("linear in_features", lambda lib: F(lib).linear(t(lib, 2, 3), t(lib, 4, 5)))
add("linear bias", lambda lib: F(lib).linear(t(lib, 2, 3), t(lib, 4, 3), t(lib, 5)))
add("linear weight 3-d", lambda lib: F(lib).linear(t(lib, 2, 3), t(lib, 2, 4, 3)))
add("linear 0-d input", lambda lib: F(lib).linear(t(lib), t(lib, 4, 3)))
add("linear weight dtype", lambda lib: F(lib).linear(t(lib, 2, 3), t(lib, 4, 3, dtype="float32")))
add("linear bias dtype", lambda lib: F(lib).linear(t(lib, 2, 3), t(lib, 4, 3), t(lib, 4, dtype="float32")))
add("bilinear input1", lambda lib: F(lib).bilinear(t(lib, 2, 3), t(lib, 2, 4), t(lib, 5, 2, 4)))
add("bilinear input2", lambda lib: F(lib).bilinear(t(lib, 2, 3), t(lib, 2, 4), t(lib, 5, 3, 2)))
add("bilinear batch", lambda lib: F(lib).bilinear(t(lib, 2, 3), t(lib, 3, 4), t(lib, 5, 3, 4)))
add("bilinear bias", lambda lib: F(lib).bilinear(t(lib, 2, 3), t(lib, 2, 4), t(lib, 5, 3, 4), t(lib, 6)))
add("bilinear weight 2-d", lambda lib: F(lib).bilinear(t(lib, 2, 3), t(lib, 2, 4), t(lib, 3, 4)))
add("layer_norm shape", lambda lib: F(lib).layer_norm(t(lib, 2, 3), (4,)))
add("layer_norm too many dims", lambda lib: F(lib).layer_norm(t(lib, 3), (2, 3)))
add("layer_norm weight", lambda lib: F(lib).layer_norm(t(lib, 2, 3), (3,), t(lib, 4)))
add("layer_norm bias", lambda lib: F(lib).layer_norm(t(lib, 2, 3), (3,), None, t(lib, 4)))
add("layer_norm weight dtype", lambda lib: F(lib).layer_norm(t(lib, 2, 3), (3,), t(lib, 3, dtype="float32")))
add("rms_norm shape", lambda lib: F(lib).rms_norm(t(lib, 2, 3), (4,)))
add("rms_norm too many dims", lambda lib: F(lib).rms_norm(t(lib, 2, 3), (1, 2, 3)))
add("rms_norm weight", lambda lib: F(lib).rms_norm(t(lib, 2, 3), (3,), t(lib, 4)))
add("group_norm groups", lambda lib: F(lib).group_norm(t(lib, 2, 4), 3))
add("group_norm 0 groups", lambda lib: F(lib).group_norm(t(lib, 2, 4), 0))
add("group_norm negative groups", lambda lib: F(lib).group_norm(t(lib, 2, 4), -2))
add("group_norm weight", lambda lib: F(lib).group_norm(t(lib, 2, 4), 2, t(lib, 3)))
add("group_norm bias", lambda lib: F(lib).group_norm(t(lib, 2, 4), 2, None, t(lib, 3)))
add("group_norm weight dtype", lambda lib: F(lib).group_norm(t(lib, 2, 4), 2, t(lib, 4, dtype="float32")))
add("group_norm 1-d", lambda lib: F(lib).group_norm(t(lib, 4), 2))
add("group_norm int, groups", lambda lib: F(lib).group_norm(ints(lib, 2, 4), 3))
add("batch_norm running_mean", lambda lib: F(lib).batch_norm(t(lib, 2, 3), t(lib, 4), t(lib, 4)))
add("batch_norm weight", lambda lib: F(lib).batch_norm(t(lib, 2, 3), t(lib, 3), t(lib, 3), t(lib, 4)))
add("batch_norm bias", lambda lib: F(lib).batch_norm(t(lib, 2, 3), t(lib, 3), t(lib, 3), None, t(lib, 4)))
add("batch_norm 1-d", lambda lib: F(lib).batch_norm(t(lib, 3), t(lib, 3), t(lib, 3)))
add("batch_norm 1-d training", lambda lib: F(lib).batch_norm(t(lib, 3), None, None, training=True))
add("batch_norm 1-d eval", lambda lib: F(lib).batch_norm(t(lib, 3), None, None))
add("instance_norm running_mean", lambda lib: F(lib).instance_norm(t(lib, 2, 3, 4), t(lib, 4), t(lib, 4),
                                                                   use_input_stats=False))
add("instance_norm weight", lambda lib: F(lib).instance_norm(t(lib, 2, 3, 4), weight=t(lib, 4)))
add("instance_norm bias", lambda lib: F(lib).instance_norm(t(lib, 2, 3, 4), bias=t(lib, 4)))
add("embedding weight 1-d", lambda lib: F(lib).embedding(lib.tensor([0]), t(lib, 3)))
add("embedding weight 3-d", lambda lib: F(lib).embedding(lib.tensor([0]), t(lib, 3, 2, 2)))
for padding_idx in (3, -4):
    add(f"embedding padding_idx {padding_idx}",
        lambda lib, padding_idx=padding_idx: F(lib).embedding(lib.tensor([0]), t(lib, 3, 2), padding_idx=padding_idx))
    add(f"embedding_bag padding_idx {padding_idx}", lambda lib, padding_idx=padding_idx: F(lib).embedding_bag(
        lib.tensor([[0]]), t(lib, 3, 2), padding_idx=padding_idx))
    add(f"Embedding padding_idx {padding_idx}",
        lambda lib, padding_idx=padding_idx: lib.nn.Embedding(3, 2, padding_idx=padding_idx))
    add(f"EmbeddingBag padding_idx {padding_idx}",
        lambda lib, padding_idx=padding_idx: lib.nn.EmbeddingBag(3, 2, padding_idx=padding_idx))
add("Embedding.from_pretrained padding_idx", lambda lib: lib.nn.Embedding.from_pretrained(t(lib, 3, 2), padding_idx=3))
add("one_hot too large", lambda lib: F(lib).one_hot(lib.tensor([3]), 3))
add("one_hot negative", lambda lib: F(lib).one_hot(lib.tensor([-1]), 3))
add("one_hot negative inferred", lambda lib: F(lib).one_hot(lib.tensor([-1])))
add("one_hot num_classes -2", lambda lib: F(lib).one_hot(lib.tensor([0]), -2))
add("one_hot num_classes 0", lambda lib: F(lib).one_hot(lib.tensor([0]), 0))
add("one_hot empty inferred", lambda lib: F(lib).one_hot(lib.tensor([], dtype=lib.int64)))
for dtype in ("int32", "uint8", "bool", "float32"):
    add(f"one_hot {dtype}", lambda lib, dtype=dtype: F(lib).one_hot(lib.tensor([1], dtype=getattr(lib, dtype)), 3))
add("one_hot empty int32", lambda lib: F(lib).one_hot(lib.tensor([], dtype=lib.int32), 3))
add("sdpa 1-d", lambda lib: F(lib).scaled_dot_product_attention(t(lib, 4), t(lib, 4), t(lib, 4)))
add("sdpa query and key features", lambda lib: F(lib).scaled_dot_product_attention(t(lib, 2, 3, 4), t(lib, 2, 5, 3),
                                                                                   t(lib, 2, 5, 6)))
add("sdpa key and value lengths", lambda lib: F(lib).scaled_dot_product_attention(t(lib, 2, 3, 4), t(lib, 2, 5, 4),
                                                                                  t(lib, 2, 6, 6)))
add("sdpa batch", lambda lib: F(lib).scaled_dot_product_attention(t(lib, 2, 3, 4), t(lib, 3, 5, 4), t(lib, 3, 5, 6)))
add("sdpa mask shape", lambda lib: F(lib).scaled_dot_product_attention(t(lib, 2, 3, 4), t(lib, 2, 5, 4),
                                                                       t(lib, 2, 5, 6), attn_mask=t(lib, 4, 5)))
add("sdpa mask and causal", lambda lib: F(lib).scaled_dot_product_attention(
    t(lib, 2, 3, 4), t(lib, 2, 5, 4), t(lib, 2, 5, 6), attn_mask=t(lib, 3, 5), is_causal=True))
add("ctc input_lengths size", lambda lib: ctc(lib, input_lengths=(4, 4)))
add("ctc target_lengths size", lambda lib: ctc(lib, target_lengths=(2, 2)))
add("ctc input_length too large", lambda lib: ctc(lib, input_lengths=(5,)))
add("ctc input_length negative", lambda lib: ctc(lib, input_lengths=(-1,)))
add("ctc target_length too large", lambda lib: ctc(lib, target_lengths=(3,)))
add("ctc target_length negative", lambda lib: ctc(lib, target_lengths=(-1,)))
add("ctc targets batch", lambda lib: ctc(lib, targets=lib.tensor([[1, 2], [1, 2]])))
add("ctc targets 3-d", lambda lib: ctc(lib, targets=lib.tensor([[[1, 2]]])))
add("ctc concatenated targets short", lambda lib: ctc(lib, targets=lib.tensor([1])))
add("ctc blank", lambda lib: ctc(lib, blank=3))
add("ctc blank negative", lambda lib: ctc(lib, blank=-1))
add("ctc float lengths", lambda lib: ctc(lib, input_lengths=(4.0,)))
add("ctc int log_probs", lambda lib: ctc(lib, log_probs=ints(lib, 4, 1, 3)))
add("ctc int log_probs 1-d", lambda lib: ctc(lib, log_probs=ints(lib, 4)))
add("ctc log_probs 4-d", lambda lib: ctc(lib, log_probs=lp(lib, 4, 1, 1, 3)))
add("ctc log_probs empty", lambda lib: ctc(lib, log_probs=lp(lib, 0, 1, 3), input_lengths=(0,)))
for training in (False, True):
    add(f"rrelu lower > upper, training={training}",
        lambda lib, training=training: F(lib).rrelu(t(lib, 3), 0.5, 0.1, training=training))
add("celu alpha 0", lambda lib: F(lib).celu(t(lib, 3), alpha=0.0))
add("gelu approximate", lambda lib: F(lib).gelu(t(lib, 3), approximate="foo"))
add("softshrink negative", lambda lib: F(lib).softshrink(t(lib, 3), -1.0))
add("softshrink NaN", lambda lib: F(lib).softshrink(t(lib, 3), float("nan")))
add("softshrink beyond float32", lambda lib: F(lib).softshrink(t(lib, 3, dtype="float32"), 1e39))
add("soft_margin shape", lambda lib: F(lib).soft_margin_loss(t(lib, 3), t(lib, 1, 3)))
add("soft_margin shape2", lambda lib: F(lib).soft_margin_loss(t(lib, 3), t(lib, 2)))
for mode in ("reflect", "replicate", "circular"):
    if mode == "reflect":  # (replicate pads by any width)
        add(f"pad {mode} too large", lambda lib, mode=mode: F(lib).pad(t(lib, 1, 1, 2), (2, 2), mode=mode))
    if mode != "replicate":  # (circular wraps up to the dim's size once)
        add(f"pad {mode} way too large", lambda lib, mode=mode: F(lib).pad(t(lib, 1, 1, 2), (5, 5), mode=mode))
    add(f"pad {mode} 1-d", lambda lib, mode=mode: F(lib).pad(t(lib, 4), (1, 1), mode=mode))
    add(f"pad {mode} 5-d 1 pair", lambda lib, mode=mode: F(lib).pad(t(lib, 1, 1, 1, 1, 4), (1, 1), mode=mode))
    add(f"pad {mode} 6-d", lambda lib, mode=mode: F(lib).pad(t(lib, 1, 1, 1, 1, 2, 4), (1, 1, 1, 1, 1, 1), mode=mode))
    add(f"pad {mode} 2-d 2 pairs", lambda lib, mode=mode: F(lib).pad(t(lib, 3, 4), (1, 1, 1, 1), mode=mode))
    add(f"pad {mode} 4 pairs", lambda lib, mode=mode: F(lib).pad(t(lib, 1, 2, 3, 4, 5), (1,) * 8, mode=mode))
    add(f"pad {mode} odd", lambda lib, mode=mode: F(lib).pad(t(lib, 1, 2, 3), (1,), mode=mode))
    if mode != "circular":  # (circular takes empty dims and bools)
        add(f"pad {mode} empty", lambda lib, mode=mode: F(lib).pad(t(lib, 1, 0, 3), (1, 1), mode=mode))
        add(f"pad {mode} bool", lambda lib, mode=mode: F(lib).pad(lib.ones(1, 1, 3, dtype=lib.bool), (1, 1), mode=mode))
    add(f"pad {mode} negative crops all", lambda lib, mode=mode: F(lib).pad(t(lib, 1, 1, 3), (-2, -2), mode=mode))
    add(f"pad {mode} value", lambda lib, mode=mode: F(lib).pad(t(lib, 1, 1, 3), (1, 1), mode=mode, value=1.0))
add("pad constant crop", lambda lib: F(lib).pad(t(lib, 1, 1, 3), (-2, -2)))
add("pad constant too many", lambda lib: F(lib).pad(t(lib, 3), (1, 1, 1, 1)))
add("pad constant odd", lambda lib: F(lib).pad(t(lib, 3), (1,)))
add("pad bad mode", lambda lib: F(lib).pad(t(lib, 3), (1, 1), mode="foo"))
add("pad float pad", lambda lib: F(lib).pad(t(lib, 3), (1.5, 1)))
for d in (1, 2):
    shape = (1, 1) + (2,) * d
    for kind in ("max", "avg"):
        f = f"{kind}_pool{d}d"
        add(f"{f} too small", lambda lib, f=f, shape=shape: getattr(F(lib), f)(t(lib, *shape), 3))
        add(f"{f} kernel 0", lambda lib, f=f, shape=shape: getattr(F(lib), f)(t(lib, *shape), 0))
        add(f"{f} stride 0", lambda lib, f=f, shape=shape: getattr(F(lib), f)(t(lib, *shape), 1, 0))
        add(f"{f} pad big", lambda lib, f=f, shape=shape: getattr(F(lib), f)(t(lib, *shape), 2, 1, 2))
        add(f"{f} pad neg", lambda lib, f=f, shape=shape: getattr(F(lib), f)(t(lib, *shape), 2, 1, -1))
        add(f"{f} rank", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(2,) * (d + 3)), 1))
        for rank in range(d + 1):  # (PyTorch's avg_pool2d reads dim -3 first: IndexError, the others RuntimeError)
            add(f"{f} rank {rank}", lambda lib, f=f, rank=rank: getattr(F(lib), f)(t(lib, *(2,) * rank), 1))
        add(f"{f} rank low kernel 0", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(2,) * d), 0))
        add(f"{f} kernel tuple", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(1, 1) + (4,) * d), (2,) * (d + 1)))
        add(f"{f} empty spatial", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(1, 1, 0) + (4,) * (d - 1)), 1))
        add(f"{f} empty channels", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(2, 0) + (4,) * d), 2))
        add(f"{f} unbatched empty channels", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(0,) + (4,) * d), 2))
    add(f"max_pool{d}d dilation 0", lambda lib, d=d: getattr(F(lib), f"max_pool{d}d")(t(lib, *(1, 1) + (4,) * d), 2,
                                                                                                        dilation=0))
    for kind in ("avg", "max"):
        f = f"adaptive_{kind}_pool{d}d"
        add(f"{f} neg", lambda lib, f=f, shape=shape: getattr(F(lib), f)(t(lib, *shape), -1))
        size = 2 if kind == "avg" else 1  # (an average pool's output of 1 is a mean, of any rank and empty dims)
        add(f"{f} rank", lambda lib, f=f, d=d, size=size: getattr(F(lib), f)(t(lib, *(2,) * (d + 3)), size))
        add(f"{f} rank low", lambda lib, f=f, d=d, size=size: getattr(F(lib), f)(t(lib, *(2,) * d), size))
        add(f"{f} empty", lambda lib, f=f, d=d, size=size: getattr(F(lib), f)(t(lib, *(1, 1, 0) + (4,) * (d - 1)),
                                                                              size))
        add(f"{f} wrong len", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(1, 1) + (4,) * d), (2,) * (d + 1)))
for d in (1, 2):
    f = f"lp_pool{d}d"
    shape = (1, 1) + (2,) * d
    add(f"{f} too small", lambda lib, f=f, shape=shape: getattr(F(lib), f)(t(lib, *shape), 2.0, 3))
    add(f"{f} kernel 0", lambda lib, f=f, shape=shape: getattr(F(lib), f)(t(lib, *shape), 2.0, 0))
    add(f"{f} stride 0", lambda lib, f=f, shape=shape: getattr(F(lib), f)(t(lib, *shape), 2.0, 1, 0))
    add(f"{f} rank", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(2,) * (d + 3)), 2.0, 1))
    for rank in range(1, d + 1):  # (as avg_pool's, or max_pool's for p = inf)
        add(f"{f} rank {rank}", lambda lib, f=f, rank=rank: getattr(F(lib), f)(t(lib, *(2,) * rank), 2.0, 1))
        add(f"{f} rank {rank} p=inf", lambda lib, f=f, rank=rank: getattr(F(lib), f)(t(lib, *(2,) * rank),
                                                                                     float("inf"), 1))
    # (PyTorch's order: pow's TypeError for the norm_type, the pool's checks, then the root's 1 / norm_type)
    add(f"{f} p=0 empty channels", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(2, 0) + (4,) * d), 0, 2))
    add(f"{f} p=0 rank", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(2,) * (d + 3)), 0, 1))
    add(f"{f} p=0", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(1, 1) + (2,) * d), 0, 1))
    add(f"{f} p str rank", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(2,) * (d + 3)), "2", 1))
    add(f"{f} empty channels", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(2, 0) + (4,) * d), 2.0, 2))
    if d == 1:  # (PyTorch's 2-D max pool takes integers)
        add(f"{f} int p=inf", lambda lib, f=f: getattr(F(lib), f)(ints(lib, 1, 2, 4), float("inf"), 2))
    add(f"{f} int negative p", lambda lib, f=f, d=d: getattr(F(lib), f)(ints(lib, *(1, 2) + (4,) * d), -1, 2))
    add(f"{f} int32 int p", lambda lib, f=f, d=d: getattr(F(lib), f)(t(lib, *(1, 2) + (4,) * d, dtype="int32"), 2, 2))
add("interpolate size 0", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), 0))
add("interpolate scale small", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), scale_factor=0.1))
add("interpolate scale neg", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), scale_factor=-1.0))
add("interpolate size neg", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), -2))
add("interpolate size len", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), (2, 2)))
add("interpolate scale len", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), scale_factor=(2.0, 2.0)))
add("interpolate both", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), 2, scale_factor=2.0))
add("interpolate neither", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4)))
add("interpolate bilinear 3d", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), 8, mode="bilinear"))
add("interpolate linear 4d", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4, 4), 8, mode="linear"))
add("interpolate bicubic 3d", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), 8, mode="bicubic"))
add("interpolate bicubic 5d", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4, 4, 4), 8, mode="bicubic"))
add("interpolate bicubic int", lambda lib: F(lib).interpolate(ints(lib, 1, 1, 4, 4), 8, mode="bicubic"))
add("interpolate bicubic empty channels", lambda lib: F(lib).interpolate(t(lib, 2, 0, 4, 4), 8, mode="bicubic"))
add("interpolate antialias nearest", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4, 4), 8, antialias=True))
add("interpolate antialias linear", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), 8, mode="linear", antialias=True))
add("interpolate antialias bicubic 5d", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4, 4, 4), 8, mode="bicubic",
                                                                       antialias=True))
add("interpolate antialias size len", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), (2, 2), antialias=True))
add("interpolate 2d input", lambda lib: F(lib).interpolate(t(lib, 1, 4), 8))
add("interpolate bad mode", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), 8, mode="foo"))
add("interpolate align nearest", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), 8, align_corners=True))
add("interpolate empty input", lambda lib: F(lib).interpolate(t(lib, 1, 1, 0), 8))
add("interpolate bilinear empty", lambda lib: F(lib).interpolate(t(lib, 1, 1, 0, 2), (8, 8), mode="bilinear"))
for mode, shape in (("nearest", (2, 0, 4)), ("linear", (2, 0, 4)), ("nearest-exact", (0, 0, 4)),
                    ("bilinear", (2, 0, 4, 4)), ("nearest", (1, 0, 4, 4))):
    add(f"interpolate {mode} empty channels {shape}",
        lambda lib, mode=mode, shape=shape: F(lib).interpolate(t(lib, *shape), scale_factor=2.0, mode=mode))
add("avg_pool1d int32", lambda lib: F(lib).avg_pool1d(t(lib, 1, 2, 4, dtype="int32"), 2))
add("avg_pool2d bool", lambda lib: F(lib).avg_pool2d(t(lib, 1, 2, 4, 4).bool(), 2))
add("adaptive_avg_pool2d int global", lambda lib: F(lib).adaptive_avg_pool2d(ints(lib, 1, 2, 4, 4), 1))
add("dropout int", lambda lib: F(lib).dropout(ints(lib, 2, 3), 0.5))
add("dropout2d bool", lambda lib: F(lib).dropout2d(t(lib, 2, 3, 2, 2).bool(), 0.5))
add("ctc_loss float lengths", lambda lib: F(lib).ctc_loss(t(lib, 4, 2, 3).log_softmax(2), ints(lib, 2, 2) + 1,
                                                          lib.tensor([4, 4]), lib.tensor([2.0, 1.0])))
add("interpolate size float", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), 2.5))
add("interpolate recompute size", lambda lib: F(lib).interpolate(t(lib, 1, 1, 4), 2, recompute_scale_factor=True))
add("unfold too small", lambda lib: F(lib).unfold(t(lib, 1, 1, 2, 2), 3))
add("unfold 5d", lambda lib: F(lib).unfold(t(lib, 1, 1, 2, 2, 2), 1))
add("unfold empty channel", lambda lib: F(lib).unfold(t(lib, 1, 0, 2, 2), 1))
add("unfold kernel 0", lambda lib: F(lib).unfold(t(lib, 1, 1, 2, 2), 0))
add("unfold stride 0", lambda lib: F(lib).unfold(t(lib, 1, 1, 2, 2), 1, stride=0))
add("unfold pad neg", lambda lib: F(lib).unfold(t(lib, 1, 1, 2, 2), 1, padding=-1))
add("unfold int", lambda lib: F(lib).unfold(ints(lib, 1, 1, 2, 2), 1))
# (PyTorch's im2col checks the sizes, then reads dims 1 and 2, dim 2 only when dim 1 is not empty: IndexError)
for shape in ((), (4,), (0,), (4, 4), (0, 4), (4, 0), (0, 0)):
    add(f"unfold input {shape}", lambda lib, shape=shape: F(lib).unfold(t(lib, *shape), 2))
add("unfold 2d kernel 0", lambda lib: F(lib).unfold(t(lib, 4, 4), 0))
add("unfold 2d kernel 3 sizes", lambda lib: F(lib).unfold(t(lib, 4, 4), (2, 2, 2)))
add("unfold 2d int", lambda lib: F(lib).unfold(ints(lib, 4, 4), 2))
add("avg_pool2d divisor 0", lambda lib: F(lib).avg_pool2d(t(lib, 1, 1, 4, 4), 2, divisor_override=0))
add("avg_pool2d 2d divisor 0", lambda lib: F(lib).avg_pool2d(t(lib, 4, 4), 2, divisor_override=0))
add("avg_pool2d 2d kernel 3 sizes", lambda lib: F(lib).avg_pool2d(t(lib, 4, 4), (2, 2, 2)))
add("avg_pool2d 2d stride 3 sizes", lambda lib: F(lib).avg_pool2d(t(lib, 4, 4), 2, (1, 1, 1)))
add("avg_pool2d 2d padding 3 sizes", lambda lib: F(lib).avg_pool2d(t(lib, 4, 4), 2, 1, (0, 0, 0)))
add("avg_pool2d 2d stride ()", lambda lib: F(lib).avg_pool2d(t(lib, 4, 4), 2, ()))
add("avg_pool2d 2d padding -1", lambda lib: F(lib).avg_pool2d(t(lib, 4, 4), 2, 1, -1))
add("fold blocks", lambda lib: F(lib).fold(t(lib, 1, 4, 3), (3, 3), 2))
add("fold channels", lambda lib: F(lib).fold(t(lib, 1, 3, 4), (3, 3), 2))
add("fold rank", lambda lib: F(lib).fold(t(lib, 4), (3, 3), 2))
add("fold 4d", lambda lib: F(lib).fold(t(lib, 1, 1, 4, 4), (3, 3), 2))
add("fold empty L", lambda lib: F(lib).fold(t(lib, 4, 0), (1, 1), 2))
add("fold empty batch L", lambda lib: F(lib).fold(t(lib, 0, 4, 0), (1, 1), 2))
add("fold no blocks", lambda lib: F(lib).fold(t(lib, 1, 4, 1), (1, 1), 2))
add("fold int", lambda lib: F(lib).fold(ints(lib, 1, 4, 4), (3, 3), 2))
add("fold kernel 0", lambda lib: F(lib).fold(t(lib, 1, 4, 4), (3, 3), 0))
add("fold output size len", lambda lib: F(lib).fold(t(lib, 1, 4, 4), (3, 3, 3), 2))
for n in (0, 1, 4, 5, 6):  # (dropout2d and dropout3d warn for the other ranks, and refuse only 0-d and 1-d inputs)
    add(f"dropout1d rank {n}", lambda lib, n=n: F(lib).dropout1d(t(lib, *(2,) * n), 0.5))
    add(f"dropout1d eval rank {n}", lambda lib, n=n: F(lib).dropout1d(t(lib, *(2,) * n), 0.5, training=False))
for n in (0, 1):
    add(f"dropout2d rank {n}", lambda lib, n=n: F(lib).dropout2d(t(lib, *(2,) * n), 0.5))
add("dropout3d rank 0", lambda lib: F(lib).dropout3d(t(lib), 0.5))
add("feature_alpha_dropout 1d", lambda lib: F(lib).feature_alpha_dropout(t(lib, 3), 0.5, True))
add("feature_alpha_dropout 0d", lambda lib: F(lib).feature_alpha_dropout(t(lib), 0.5, True))
add("dropout p", lambda lib: F(lib).dropout(t(lib, 3), 1.5))
add("dropout2d p", lambda lib: F(lib).dropout2d(t(lib, 1, 2, 3), 1.5))
add("flatten start after end", lambda lib: t(lib, 2, 3).flatten(1, 0))
add("conv1d too small", lambda lib: F(lib).conv1d(t(lib, 1, 1, 2), t(lib, 1, 1, 3)))
add("conv2d too small", lambda lib: F(lib).conv2d(t(lib, 1, 1, 2, 2), t(lib, 1, 1, 3, 3)))
add("conv1d channels", lambda lib: F(lib).conv1d(t(lib, 1, 2, 5), t(lib, 1, 1, 3)))
add("conv1d rank", lambda lib: F(lib).conv1d(t(lib, 5), t(lib, 1, 1, 3)))
add("conv1d weight rank", lambda lib: F(lib).conv1d(t(lib, 1, 1, 5), t(lib, 1, 3)))
add("conv1d dtype", lambda lib: F(lib).conv1d(t(lib, 1, 1, 5), t(lib, 1, 1, 3, dtype="float32")))
add("conv1d bias shape", lambda lib: F(lib).conv1d(t(lib, 1, 1, 5), t(lib, 1, 1, 3), t(lib, 2)))
add("conv1d same stride", lambda lib: F(lib).conv1d(t(lib, 1, 1, 5), t(lib, 1, 1, 3), stride=2, padding="same"))
add("conv1d bad padding", lambda lib: F(lib).conv1d(t(lib, 1, 1, 5), t(lib, 1, 1, 3), padding="foo"))
add("conv1d stride 0", lambda lib: F(lib).conv1d(t(lib, 1, 1, 5), t(lib, 1, 1, 3), stride=0))
add("conv1d padding neg", lambda lib: F(lib).conv1d(t(lib, 1, 1, 5), t(lib, 1, 1, 3), padding=-1))
add("conv1d groups", lambda lib: F(lib).conv1d(t(lib, 1, 2, 5), t(lib, 3, 1, 3), groups=2))
add("conv_transpose1d output_padding", lambda lib: F(lib).conv_transpose1d(t(lib, 1, 1, 5), t(lib, 1, 1, 3),
                                                                                              output_padding=2))
add("conv_transpose1d channels", lambda lib: F(lib).conv_transpose1d(t(lib, 1, 2, 5), t(lib, 1, 1, 3)))
add("conv_transpose1d empty out", lambda lib: F(lib).conv_transpose1d(t(lib, 1, 1, 1), t(lib, 1, 1, 1), padding=1))
add("conv_transpose2d empty out", lambda lib: F(lib).conv_transpose2d(t(lib, 1, 1, 1, 1), t(lib, 1, 1, 1, 1),
                                                                                            padding=1))
add("pdist 3d", lambda lib: F(lib).pdist(t(lib, 2, 2, 2)))
add("pdist p neg", lambda lib: F(lib).pdist(t(lib, 2, 2), -1.0))
add("normalize int", lambda lib: F(lib).normalize(ints(lib, 2, 2)))
add("pixel_shuffle channels", lambda lib: F(lib).pixel_shuffle(t(lib, 1, 3, 2, 2), 2))
add("pixel_shuffle rank", lambda lib: F(lib).pixel_shuffle(t(lib, 4, 2), 2))
add("pixel_shuffle 0", lambda lib: F(lib).pixel_shuffle(t(lib, 1, 4, 2, 2), 0))
add("pixel_unshuffle size", lambda lib: F(lib).pixel_unshuffle(t(lib, 1, 1, 3, 2), 2))
add("channel_shuffle", lambda lib: F(lib).channel_shuffle(t(lib, 1, 3, 2, 2), 2))
add("channel_shuffle rank", lambda lib: F(lib).channel_shuffle(t(lib, 3, 2), 2))
add("local_response_norm rank", lambda lib: F(lib).local_response_norm(t(lib, 3, 2), 2))
add("local_response_norm int", lambda lib: F(lib).local_response_norm(t(lib, 1, 3, 2, dtype="int32"), 2))
add("hardtanh min>max", lambda lib: F(lib).hardtanh(t(lib, 3), 2.0, 1.0))
add("reduction", lambda lib: F(lib).mse_loss(t(lib, 3), t(lib, 3), reduction="foo"))
add("kl_div reduction", lambda lib: F(lib).kl_div(t(lib, 3), t(lib, 3), reduction="foo"))
add("kl_div target int", lambda lib: F(lib).kl_div(t(lib, 3), ints(lib, 3)))
add("gaussian var neg", lambda lib: F(lib).gaussian_nll_loss(t(lib, 3), t(lib, 3), -t(lib, 3)))
add("gaussian var shape", lambda lib: F(lib).gaussian_nll_loss(t(lib, 3, 2), t(lib, 3, 2), t(lib, 2, 2)))
add("triplet margin 0", lambda lib: F(lib).triplet_margin_with_distance_loss(t(lib, 3, 2), t(lib, 3, 2), t(lib, 3,
                                                                                                           2),
margin=0.0))
add("multi_margin p", lambda lib: F(lib).multi_margin_loss(t(lib, 2, 3), lib.tensor([0, 1]), p=3))
add("batch_norm 1 value", lambda lib: F(lib).batch_norm(t(lib, 1, 3), None, None, training=True))
add("instance_norm 1 value", lambda lib: F(lib).instance_norm(t(lib, 1, 3, 1)))
add("max_unpool idx shape", lambda lib: F(lib).max_unpool1d(t(lib, 1, 1, 2), lib.tensor([[[0]]]), 2))
add("max_unpool idx oob", lambda lib: F(lib).max_unpool1d(t(lib, 1, 1, 2), lib.tensor([[[0, 9]]]), 2))
add("max_unpool idx dtype", lambda lib: F(lib).max_unpool1d(t(lib, 1, 1, 2), lib.tensor([[[0, 2]]], dtype=lib.int32),
                                                                                        2))
# (PyTorch's Python code reads the spatial sizes first: IndexError below `dims` dims; its kernel refuses empty dims
# after the first, before its dtype dispatch)
for d in (1, 2):
    # (an empty first dim, of a batch or of an unbatched input's channels, is taken)
    for shape in [(4,) * rank for rank in (*range(d + 1), d + 3)] + [(1, 0) + (2,) * d, (2, 0) + (2,) * (d - 1),
                                                                      (2,) * d + (0,)]:
        add(f"max_unpool{d}d input {shape}", lambda lib, d=d, shape=shape: getattr(F(lib), f"max_unpool{d}d")(
            t(lib, *shape), lib.zeros(shape, dtype=lib.int64), 2))
    add(f"max_unpool{d}d int empty", lambda lib, d=d: getattr(F(lib), f"max_unpool{d}d")(
        ints(lib, *(1, 0) + (2,) * d), lib.zeros((1, 0) + (2,) * d, dtype=lib.int64), 2))
    add(f"max_unpool{d}d int idx dtype", lambda lib, d=d: getattr(F(lib), f"max_unpool{d}d")(
        ints(lib, *(1, 1) + (2,) * d), lib.zeros((1, 1) + (2,) * d, dtype=lib.int32), 2))

# a loss's target, weight or input that is not a tensor: PyTorch's TypeError (its argument parser's, or the error of its
# Python code reading target.size() of an array) or AttributeError (that of a list or a number)
NOT_TENSORS = {"array": lambda shape: np.full(shape, 0.5), "list": lambda shape: np.full(shape, 0.5).tolist(),
               "float": lambda shape: 0.5, "NumPy float": lambda shape: np.float64(0.5)}
CLASS_LOSSES = ("cross_entropy", "nll_loss", "multi_margin_loss", "multilabel_margin_loss")
for kind, value in NOT_TENSORS.items():
    for fn in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "binary_cross_entropy",
               "binary_cross_entropy_with_logits", "soft_margin_loss", "poisson_nll_loss", "hinge_embedding_loss"):
        add(f"{fn} target {kind}", lambda lib, fn=fn, value=value: getattr(F(lib), fn)(t(lib, 2, 3) / 3, value((2, 3))))
        add(f"{fn} input {kind}", lambda lib, fn=fn, value=value: getattr(F(lib), fn)(value((2, 3)), t(lib, 2, 3) / 3))
    for fn in ("mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"):
        add(f"{fn} weight {kind}", lambda lib, fn=fn, value=value: getattr(F(lib), fn)(
            t(lib, 2, 3) / 3, t(lib, 2, 3) / 3, weight=value((2, 3))))
    add(f"bcel pos_weight {kind}", lambda lib, value=value: F(lib).binary_cross_entropy_with_logits(
        t(lib, 2, 3), t(lib, 2, 3) / 3, pos_weight=value((3,))))
    for fn in CLASS_LOSSES:
        add(f"{fn} target {kind}", lambda lib, fn=fn, value=value: getattr(F(lib), fn)(t(lib, 2, 3), value((2,))))
        add(f"{fn} input {kind}", lambda lib, fn=fn, value=value: getattr(F(lib), fn)(
            value((2, 3)), lib.tensor([[0, 1, 2]] * 2 if "multilabel" in fn else [0, 1])))
    for fn in CLASS_LOSSES[:3]:
        add(f"{fn} weight {kind}", lambda lib, fn=fn, value=value: getattr(F(lib), fn)(t(lib, 2, 3), lib.tensor([0, 1]),
                                                                                      weight=value((3,))))
    add(f"ce probabilities weight {kind}", lambda lib, value=value: F(lib).cross_entropy(t(lib, 2, 3), t(lib, 2, 3),
                                                                                          weight=value((3,))))
    add(f"linear_cross_entropy target {kind}", lambda lib, value=value: F(lib).linear_cross_entropy(
        t(lib, 2, 3), t(lib, 4, 3), value((2,))))
    for fn in ("margin_ranking_loss", "cosine_embedding_loss"):
        add(f"{fn} target {kind}", lambda lib, fn=fn, value=value: getattr(F(lib), fn)(t(lib, 2, 3), t(lib, 2, 3),
                                                                                      value((2,))))
        add(f"{fn} input2 {kind}", lambda lib, fn=fn, value=value: getattr(F(lib), fn)(t(lib, 2, 3), value((2, 3)),
                                                                                      lib.tensor([1.0, -1.0])))
    add(f"torch.margin_ranking_loss target {kind}", lambda lib, value=value: lib.margin_ranking_loss(
        t(lib, 2), t(lib, 2), value((2,))))
    add(f"triplet_margin_loss negative {kind}", lambda lib, value=value: F(lib).triplet_margin_loss(
        t(lib, 2, 3), t(lib, 2, 3), value((2, 3))))
    add(f"pairwise_distance x2 {kind}", lambda lib, value=value: F(lib).pairwise_distance(t(lib, 2, 3), value((2, 3))))
    add(f"gaussian_nll_loss input {kind}", lambda lib, value=value: F(lib).gaussian_nll_loss(
        value((2, 3)), t(lib, 2, 3), t(lib, 2, 3)))
    add(f"multilabel_soft_margin_loss input {kind}", lambda lib, value=value: F(lib).multilabel_soft_margin_loss(
        value((2, 3)), t(lib, 2, 3) / 3))
    add(f"embedding_bag per_sample_weights {kind}", lambda lib, value=value: F(lib).embedding_bag(
        lib.tensor([[0, 1]]), t(lib, 2, 3), per_sample_weights=value((1, 2)), mode="sum"))
for fn in ("multilabel_soft_margin_loss", "gaussian_nll_loss"):  # (where PyTorch takes an array or a number)
    add(f"{fn} target list", lambda lib, fn=fn: getattr(F(lib), fn)(t(lib, 2, 3), np.full((2, 3), 0.5).tolist(),
                                                                    *[t(lib, 2, 3)] * (fn == "gaussian_nll_loss")))
add("multilabel_soft_margin_loss target array", lambda lib: F(lib).multilabel_soft_margin_loss(t(lib, 2, 3),
                                                                                              np.full((2, 3), 0.5)))
add("multilabel_soft_margin_loss weight list", lambda lib: F(lib).multilabel_soft_margin_loss(
    t(lib, 2, 3), t(lib, 2, 3) / 3, weight=[1.0, 2.0, 3.0]))
add("gaussian_nll_loss target array of an input that requires grad", lambda lib: F(lib).gaussian_nll_loss(
    t(lib, 2, 3).requires_grad_(), np.full((2, 3), 0.5), t(lib, 2, 3)))


@pytest.mark.filterwarnings("ignore")  # (deprecated forms warn alike in both)
@pytest.mark.parametrize("name", CALLS)
def test_refusals_raise_pytorch_s_exception_type(name):
    theirs = outcome(lambda: CALLS[name](torch))
    assert isinstance(theirs, Raised), f"PyTorch returns {theirs!r}"
    assert_raised_alike(outcome(lambda: CALLS[name](fastgrad)), theirs, name)


def test_multilabel_margin_loss_reads_the_target_s_dtype_only_when_there_are_targets():
    # (with reduction "none": PyTorch's mean and sum of no samples are uninitialized memory)
    ours, theirs = (F(lib).multilabel_margin_loss(lib.ones(0, 3, dtype=lib.float64), lib.ones(0, 3, dtype=lib.int32),
                                                  reduction="none") for lib in (fastgrad, torch))
    assert ours.shape == tuple(theirs.shape) == (0,)
