"""`fastgrad.nn.functional` (import as F): activations, losses (and the fused linear_cross_entropy), dropout,
linear, normalization, embeddings, RNN, LSTM, GRU, CRF, convolution and pooling, attention.

Arguments are checked here, at the Python boundary, before any kernel runs: index tensors must be
integers inside their range (checked by `fastgrad.kernels.checks.index_array`, as in front of the compiled
kernels), shapes must agree, and errors say which argument was wrong.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from fastgrad import ops
from fastgrad.autograd.grad_mode import GRAD_MODE, no_grad
from fastgrad.autograd import graph
from fastgrad.autograd.graph import apply
from fastgrad.dtypes import promote_types
from fastgrad.functions import einsum, row_distances, where
from fastgrad.kernels.checks import first_out_of_order, index_array, mark_passed
from fastgrad.random import next_seed, rng_of
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import (broadcast_error, broadcasts_to, check_tensors, normalize_dims,
                                               number_of_dtype)


def _ids(ids, size: int, name: str, allowed: int | None = None, dtypes: tuple = (),
         out_of_range: type[Exception] = IndexError) -> np.ndarray:
    """An int64 array of indices, each in [0, size) (or equal to `allowed`), else `out_of_range` (IndexError, or
    the RuntimeError of PyTorch's kernels that raise that instead): the kernels' own index check, so every path
    reports a bad index the same way. Never the caller's memory: ops keep
    ids for backward, and a later in-place change of the caller's tensor must not change the gradient.
    Marked as checked, so the compiled kernels' checks do not scan it again. A dtype that is not an integer
    one, or not among `dtypes` when given (PyTorch's kernels take only those), raises RuntimeError, PyTorch's
    type ("expected target dtype to be Long or Byte", "Expected tensor for argument #1 'indices' to have one of
    the following scalar types")."""
    source = ids._data if isinstance(ids, Tensor) else np.asarray(ids)
    _check_id_dtype(source, name, dtypes)
    try:
        array = index_array(name, source, size, allowed)
    except IndexError as error:
        if out_of_range is IndexError:
            raise
        raise out_of_range(str(error)) from None
    # (`is` first: an int64 array comes back as it is, and NumPy's may_share_memory is a Python call)
    private = array.copy() if array is source or np.may_share_memory(array, source) else array
    return mark_passed(private, ("index", size, allowed))


def _check_id_dtype(ids: np.ndarray, name: str, dtypes: tuple = ()) -> None:
    if ids.dtype.kind not in "iu" or (dtypes and ids.dtype not in dtypes):
        expected = " or ".join(str(np.dtype(d)) for d in dtypes) if dtypes else "an integer dtype"
        raise RuntimeError(f"{name}: expected {'dtype ' if dtypes else ''}{expected}, got {ids.dtype}")


def _padding_index(padding_idx: int | None, num_embeddings: int, error: type[Exception] = AssertionError) -> int | None:
    """padding_idx as a row index in [0, num_embeddings). Out of range, PyTorch's exception: the AssertionError of
    F.embedding's and the modules' assert statements, the RuntimeError of embedding_bag's kernel."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise error(f"padding_idx {padding_idx} is out of range for {num_embeddings} embeddings (expected in "
                    f"[{-num_embeddings}, {num_embeddings - 1}])")
    return padding_idx % num_embeddings


def _reduction(reduction: str, size_average=None, reduce=None, *, elementwise_mean: bool = True) -> str:
    """The reduction a loss applies, read as PyTorch's losses read it: the deprecated size_average and reduce, when
    either is given, decide it (reduction is then ignored); 'elementwise_mean', the old name of 'mean', is 'mean'
    where the loss takes it (`elementwise_mean`: the losses PyTorch reduces in its kernels). Both warn, as PyTorch's."""
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean" and elementwise_mean:
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.", UserWarning,
                      stacklevel=3)
        return "mean"
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _legacy_reduction(size_average, reduce) -> str:
    """PyTorch's mapping of its deprecated arguments (None counts as True): size_average and reduce give 'mean',
    reduce alone 'sum', no reduce 'none'; with its warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  UserWarning, stacklevel=4)
    return reduction


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def _floating(input: Tensor, name: str, label: str = "input", error: type = RuntimeError) -> Tensor:
    """input, which must be floating point; refused with PyTorch's exception type: a RuntimeError mostly, a
    NotImplementedError where PyTorch has no kernel for the dtype ("glu_cpu" not implemented for 'Long')."""
    if input.dtype.kind != "f":
        raise error(f"{name}: expected a floating point {label}, got dtype {input.dtype}")
    return input


def _activation_input(input: Tensor, name: str) -> Tensor:
    """input, which must be floating point: PyTorch has no integer or bool kernel for these activations and raises
    NotImplementedError ("elu_cpu" not implemented for 'Long')."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"{name}: expected a floating point input, got dtype {input.dtype} (as in PyTorch, "
                                  "which has no kernel for it); convert with .float() first")
    return input


# -- activations -----------------------------------------------------------------------------------
def _activation(op, name: str, x: Tensor, inplace: bool, **attrs) -> Tensor:
    """`op` on x, or in place with PyTorch's `inplace=True` (under autograd's in-place rules)."""
    return graph.apply_inplace(op, f"{name}(inplace=True)", x, **attrs) if inplace else apply(op, x, **attrs)


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    return _activation(ops.Relu, "relu", x, inplace)


def relu_(x: Tensor) -> Tensor:
    return relu(x, inplace=True)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _activation(ops.LeakyRelu, "leaky_relu", _activation_input(x, "leaky_relu"), inplace,
                       slope=float(negative_slope))


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """One slope for all elements (weight of size 1) or one per channel, dim 1 of x."""
    _floating(x, "prelu", error=NotImplementedError)
    if weight.dtype != x.dtype:  # (PyTorch does not promote here either)
        raise RuntimeError(f"prelu: weight has dtype {weight.dtype}, expected the input's dtype {x.dtype}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.numel() not in (1, channels):
        raise RuntimeError(f"prelu: weight has {weight.numel()} elements, expected 1 or the {channels} channels of "
                           f"input shape {x.shape}")
    return apply(ops.Prelu, x, weight)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is greater than max_val {max_val}")
    if x.dtype.kind == "b":  # (the float kernel would return float64 values, where PyTorch refuses)
        raise RuntimeError("hardtanh: bool inputs are not supported (as in PyTorch)")
    if x.dtype.kind == "u" and np.trunc(min_val) < 0:  # (PyTorch checks the bound truncated to an integer)
        raise RuntimeError(f"hardtanh: cannot do hardtanh on an unsigned type ({x.dtype}) with negative limits "
                           f"(min_val={min_val}), as PyTorch")
    if x.dtype.kind in "iu":  # integers stay integers, with the bounds truncated to them, as PyTorch
        return x.clamp_(int(min_val), int(max_val)) if inplace else x.clamp(int(min_val), int(max_val))
    return _activation(ops.Hardtanh, "hardtanh", x, inplace, low=float(min_val), high=float(max_val))


def tanh(x: Tensor) -> Tensor:
    return x.tanh()  # (integers in the default float dtype, as PyTorch: NumPy's tanh gives int8 float16)


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x), also called swish."""
    return _activation(ops.Silu, "silu", _activation_input(x, "silu"), inplace)


swish = silu


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the standard normal CDF; approximate="tanh" uses the tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return apply(ops.Gelu, _activation_input(input, "gelu"), approximate=approximate)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise."""
    return _activation(ops.Elu, "elu", _activation_input(input, "elu"), inplace, alpha=float(alpha))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, a smooth relu; x itself where beta x > threshold."""
    return apply(ops.Softplus, _activation_input(input, "softplus"), beta=float(beta), threshold=float(threshold))


def softmin(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """softmax of -input: weights that favour the smallest values."""
    return softmax(-input, dim, dtype)


def log_sigmoid(input: Tensor) -> Tensor:
    """log(1 / (1 + e^-x)), computed without overflow."""
    return apply(ops.LogSigmoid, _activation_input(input, "log_sigmoid"))


logsigmoid = log_sigmoid  # PyTorch's spelling


def _composed_inplace(name: str, compute, input: Tensor, inplace: bool) -> Tensor:
    """compute(input), or with inplace=True its result written into input's memory; recorded under
    autograd as the in-place forms of composed tensor methods are (Tensor._assign_in_place)."""
    _activation_input(input, name)
    return input._assign_in_place(name, compute) if inplace else compute(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6): hardtanh on [0, 6], so the gradient is 0 at both corners, as PyTorch's."""
    return hardtanh(input, 0.0, 6.0, inplace)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946  # Klambauer et al.


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al. (2017)."""
    return _composed_inplace("selu", lambda x: elu(x, SELU_ALPHA) * SELU_SCALE, input, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^(x / alpha) - 1) otherwise (Barron, 2017): elu that is C1 for every alpha."""
    if alpha == 0:
        raise RuntimeError("celu: alpha cannot be 0 (it divides x)")
    # the exp branch sees x <= 0 only, so it never overflows; NaN takes the identity branch, as PyTorch's
    return _composed_inplace("celu", lambda x: where(x <= 0, (x.clamp(max=0.0) / alpha).expm1() * alpha, x), input,
                             inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x)) (Misra, 2019)."""
    return _composed_inplace("mish", lambda x: x * softplus(x).tanh(), input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6 (Howard et al., 2019), written piecewise so that the gradient at -3 and 3 is
    PyTorch's: that of the outer pieces, 0 and 1; a NaN takes the identity piece (gradient 1), as PyTorch's."""
    def pieces(x: Tensor) -> Tensor:
        # the middle piece reads x only where it is used, so a NaN elsewhere gives it no NaN gradient
        middle = where((x > -3) & (x < 3), x, 0.0)
        with np.errstate(invalid="ignore"):  # x * 0 on the left, PyTorch's product there: -0.0, and NaN at -inf
            left = x * 0.0
        return where(x <= -3, left, where(x < 3, middle * (middle + 3) / 6, x))

    return _composed_inplace("hardswish", pieces, input, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6, a piecewise-linear sigmoid, written piecewise so that the gradient is PyTorch's: 1/6 inside
    (-3, 3) only, so 0 at -3 and 3 and at NaN (which stays NaN; relu6's passes a NaN's gradient)."""
    def pieces(x: Tensor) -> Tensor:
        # the middle piece reads x only where it is used, so a NaN elsewhere gives it no NaN gradient
        middle = where((x > -3) & (x < 3), x, 0.0)
        return where(x <= -3, 0.0, where(x < 3, (middle + 3) / 6, where(x >= 3, 1.0, x.detach())))

    return _composed_inplace("hardsigmoid", pieces, input, inplace)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between (NaN stays NaN, with gradient 1, as PyTorch's)."""
    _activation_input(input, "softshrink")
    if not 0 <= lambd <= np.finfo(input.dtype).max:
        raise RuntimeError(f"softshrink: lambd must be in [0, {np.finfo(input.dtype).max:g}] for dtype {input.dtype}, "
                           f"got {lambd}")
    inside = Tensor._wrap(np.abs(input._data) <= lambd, False, None)
    with np.errstate(invalid="ignore"):  # (x * 0 is NaN at inf, which lies outside: not selected)
        zeros = input * 0.0  # x * 0 rather than 0: -0.0 stays -0.0, as PyTorch's
    return where(inside, zeros, input - input.sign() * lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0 (NaN stays NaN)."""
    _activation_input(input, "hardshrink")
    return where(Tensor._wrap(np.abs(input._data) <= lambd, False, None), input.new_zeros(()), input)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Leaky ReLU whose negative slope is drawn from U[lower, upper] per element in training (from
    fastgrad's generator: PyTorch's distribution, not its values), and is (lower + upper) / 2 otherwise."""
    if lower > upper:
        raise RuntimeError(f"rrelu: lower bound {lower} should be less than or equal to the upper bound {upper}")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    _activation_input(input, "rrelu")
    slopes = rng_of(None).uniform(lower, upper, input.shape).astype(input.dtype)
    scale = Tensor._wrap(np.where(input._data > 0, input.dtype.type(1), slopes), False, None)  # (0 too, as PyTorch)
    return input.mul_(scale) if inplace else input * scale


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x (NaN stays NaN, as PyTorch's); the gradient is 0 wherever value is
    taken."""
    if input.dtype == np.bool_:
        raise NotImplementedError("threshold: bool tensors are not supported (as in PyTorch, which has no kernel for "
                                  "them)")
    if input.dtype.kind in "iu":  # (PyTorch compares with the threshold converted to the input's dtype: truncated)
        threshold, value = (number_of_dtype(f"threshold: {label}", number, input.dtype).item()
                            for label, number in (("threshold", threshold), ("value", value)))
    below = input <= threshold
    return input.masked_fill_(below, value) if inplace else input.masked_fill(below, value)


_threshold = threshold  # (for threshold_, whose argument of that name, PyTorch's, hides the function)


# PyTorch's in-place spellings of the activations (relu_ is above): each is its activation with inplace=True.
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, inplace=True)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a sigmoid(b), a and b the first and second halves of input along dim (Dauphin et al., 2017)."""
    if input.ndim == 0:  # (PyTorch checks the shape before the dtype)
        raise RuntimeError("glu: a 0-dim input cannot be halved; expected at least 1 dim")
    (axis,) = normalize_dims(dim, input.ndim)
    if input.shape[axis] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {axis} is size {input.shape[axis]}")
    _floating(input, "glu", error=NotImplementedError)
    a, b = input.chunk(2, dim=axis)
    return a * b.sigmoid()


# -- softmax family and losses ------------------------------------------------------------------------
def _softmax_dim(name: str, dim: int | None, ndim: int) -> int:
    """dim, or PyTorch's deprecated implicit choice when it is None: 0 for 0-, 1- and 3-d inputs, else 1."""
    if dim is None:
        dim = 0 if ndim in (0, 1, 3) else 1
        warnings.warn(f"{name}: implicit dimension choice is deprecated (as in PyTorch); pass dim={dim} explicitly",
                      UserWarning, stacklevel=3)
    return dim


def softmax(x: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    return x.softmax(_softmax_dim("softmax", dim, x.ndim), dtype)


def log_softmax(x: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    return x.log_softmax(_softmax_dim("log_softmax", dim, x.ndim), dtype)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """A sample of the Gumbel-softmax (concrete) distribution (Jang et al., 2017; Maddison et al., 2017):
    softmax((logits + g) / tau) along dim, with g ~ Gumbel(0, 1) drawn from fastgrad's generator. With
    `hard`, the one-hot of that sample's argmax, whose gradient is the soft sample's (straight through).
    It is written hard + (soft - soft.detach()), whose second term is exactly 0, so the values are exactly
    one-hot (PyTorch's hard - soft.detach() + soft may round a 1). `eps` is deprecated and unused, as in
    PyTorch."""
    _floating(logits, "gumbel_softmax")
    if eps != 1e-10:
        warnings.warn("gumbel_softmax: `eps` parameter is deprecated and has no effect.", UserWarning, stacklevel=2)
    # any number divides, as in PyTorch: tau = 0 gives NaN, tau < 0 softmax(-(logits + g) / |tau|), tau = inf uniform
    if not isinstance(tau, (int, float, np.integer, np.floating)):
        raise TypeError(f"gumbel_softmax: tau must be a number, got {type(tau).__name__}")
    # -log of an Exponential(1) draw is Gumbel(0, 1); the floor keeps a draw that rounds to 0 from giving inf
    exponential = np.maximum(rng_of(None).standard_exponential(logits.shape), np.finfo(logits.dtype).tiny)
    soft = ((logits + Tensor._from_data(-np.log(exponential).astype(logits.dtype))) / tau).softmax(dim)
    if not hard:
        return soft
    one_hot = soft.new_zeros(soft.shape).scatter(dim, soft.argmax(dim, keepdim=True), 1.0)
    return one_hot + (soft - soft.detach())


def _class_count(input: Tensor, name: str, error: type[Exception] = ValueError) -> int:
    """The number of classes: the size of the class dim (1; 0 for an unbatched (C,) input). A 0-d input has none:
    PyTorch's nll_loss raises ValueError, its cross_entropy the IndexError of the class dim out of range."""
    shape = input._data.shape  # (the array's: a loss reads it on every step)
    if not shape:
        raise error(f"{name}: input must have a class dim (shape (C,), (N, C) or (N, C, d...)), got a 0-d input")
    return shape[1] if len(shape) >= 2 else shape[0]


def _class_scores(input: Tensor, target: Tensor, name: str) -> tuple[Tensor, np.ndarray]:
    """(N, C) scores and (N,) targets from (N, C) / (N,), (C,) / (), or (N, C, d...) / (N, d...)."""
    shape = input._data.shape  # (the array's: a loss reads it on every step)
    if len(shape) == 1:
        scores, expected = input.reshape(1, -1), ()
    elif len(shape) == 2:
        scores, expected = input, shape[:1]
    else:  # class dim 1, any number of extra dims
        scores = input.permute((0,) + tuple(range(2, len(shape))) + (1,)).reshape(-1, shape[1])
        expected = (shape[0],) + shape[2:]
    if target._data.shape != expected:
        if input.ndim == 1:  # (PyTorch checks the target's dtype of a (C,) input first)
            _check_id_dtype(target._data, f"{name} target", _target_dtypes(input))
        # PyTorch's ValueError for another batch size (a 1-D target of other than 1 element for a (C,) input), its
        # RuntimeError for the other shapes
        batch = (target.shape[:1] or (0,)) != input.shape[:1] if input.ndim >= 2 else target.ndim == 1
        raise (ValueError if batch else RuntimeError)(
            f"{name}: target has shape {target.shape}, expected {expected} for input of shape {input.shape}")
    return scores, target._data.reshape(-1)


def _target_dtypes(input: Tensor) -> tuple:
    """The class-index dtypes PyTorch's nll_loss takes: int64, and uint8 for an input of at most 2 dims."""
    return (np.int64, np.uint8) if input.ndim <= 2 else (np.int64,)


def _class_weight(weight, classes: int, name: str) -> Tensor | None:
    if weight is None:
        return None
    check_tensors(name, weight=weight)
    if weight.shape != (classes,):
        raise RuntimeError(f"{name}: weight has shape {weight.shape}, expected ({classes},): one weight per class")
    return weight


def _constant_class_weight(weight, input: Tensor, classes: int, name: str) -> np.ndarray | None:
    """Class weights for index targets: constants of the input's dtype (PyTorch's nll_loss does not
    differentiate them, and raises when they require grad)."""
    if weight is None:  # (the usual case, before any call)
        return None
    weight = _class_weight(weight, classes, name)
    if weight.dtype != input.dtype:
        raise RuntimeError(f"{name}: weight has dtype {weight.dtype}, expected the input's dtype {input.dtype}")
    if weight.requires_grad and GRAD_MODE.enabled:
        raise RuntimeError(f"{name}: weight requires grad, but the loss is not differentiable with respect to the "
                           "class weights of index targets (as in PyTorch); pass weight.detach()")
    return weight._data


def cross_entropy(input: Tensor, target, weight: Tensor | None = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0, size_average=None, reduce=None) -> Tensor:
    """Softmax over the class dim (1; 0 for an unbatched (C,) input) + negative log-likelihood, as PyTorch.

    `target` holds class indices ((N,), or (N, d...) for an (N, C, d...) input) or, as floats of the
    input's shape, class probabilities. `weight` (C,) scales each class's term; with index targets
    "mean" divides by the summed weights of the non-ignored targets, with probabilities by the number
    of rows. `label_smoothing` e mixes the target with the uniform distribution: (1 - e) target + e / C (a negative
    e or NaN is none, as PyTorch's, and one above 1 is refused).
    Index targets without smoothing run the fused softmax + cross-entropy kernel.
    """
    reduction = _reduction(reduction, size_average, reduce)
    label_smoothing = 0.0 if label_smoothing == 0 else _label_smoothing(label_smoothing)  # (the usual 0: no call)
    check_tensors("cross_entropy", input=input, target=target)
    # (as PyTorch tells them from class indices, whatever the dtype)
    probabilities = target._data.shape == input._data.shape
    if probabilities and target.dtype.kind != "f":
        raise RuntimeError(f"cross_entropy: a target of the input's shape {input.shape} holds class probabilities, "
                           f"expected a floating point dtype, got {target.dtype}")
    if probabilities and ignore_index >= 0:
        raise RuntimeError(f"cross_entropy: ignore_index is not supported for class-probability (floating point) "
                           f"targets, got ignore_index={ignore_index}")
    classes = _class_count(input, "cross_entropy", error=IndexError)
    if probabilities:
        return _cross_entropy_with_probabilities(input, target, _class_weight(weight, classes, "cross_entropy"),
                                                 reduction, label_smoothing)
    scores, targets = _class_scores(input, target, "cross_entropy")
    # (PyTorch's smoothed, class-weighted mean gathers the weights at the targets, which refuses uint8)
    dtypes = (np.int64,) if label_smoothing and weight is not None and reduction == "mean" else _target_dtypes(input)
    weight_array = _constant_class_weight(weight, input, classes, "cross_entropy")  # (checked first, as PyTorch's)
    targets = _ids(targets, classes, "cross_entropy target", allowed=ignore_index, dtypes=dtypes)
    if label_smoothing == 0:
        loss = apply(ops.SoftmaxCrossEntropy, scores, Tensor._wrap(targets, False, None), ignore_index=ignore_index,
                     reduction=reduction, weight=weight_array)
    else:
        loss = _smoothed_cross_entropy(scores, targets, weight_array, ignore_index, reduction, label_smoothing)
    if reduction == "none" and input.ndim != 2:
        loss = loss.reshape(target.shape)
    return loss


def _label_smoothing(label_smoothing: float) -> float:
    """The smoothing cross_entropy applies, as PyTorch's: one above 1 is refused (RuntimeError, PyTorch's type), and
    one that is negative or NaN is none (PyTorch smooths only where it is > 0)."""
    if label_smoothing > 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    return label_smoothing if label_smoothing > 0 else 0.0


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target, *, linear_bias: Tensor | None = None,
                         weight: Tensor | None = None, reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options=None) -> Tensor:
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...), as PyTorch's: input (N, H) or
    (H,); linear_weight (C, H), or (C, d1..dK, H) for a K-dimensional loss with target (N, d1..dK); target
    class indices (ignore_index None means -100) or probabilities of the logits' shape.

    Class-index targets without class weights or label smoothing (a language model's output layer) go
    through one fused op that never holds all (N, C) logits (ops.LinearCrossEntropy): the same loss and
    gradients, a fraction of the memory. That path is exact, so unlike PyTorch's it is taken with
    `options=None` too; `options.batch_chunk_size` sets its rows per block. The other cases build the
    logits and call cross_entropy, PyTorch's reference path."""
    reduction = _reduction(reduction)
    label_smoothing = _label_smoothing(label_smoothing)
    check_tensors("linear_cross_entropy", input=input, linear_weight=linear_weight, target=target)
    if input.ndim not in (1, 2):
        raise ValueError(f"linear_cross_entropy: expected input with dimensionality 1 or 2, got {input.ndim} "
                         f"(shape {input.shape})")
    if linear_weight.ndim < 2:
        raise ValueError(f"linear_cross_entropy: expected linear_weight with dimensionality at least 2, got shape "
                         f"{linear_weight.shape}")
    if input.shape[-1] != linear_weight.shape[-1]:
        raise ValueError(f"linear_cross_entropy: input of shape {input.shape} and linear_weight of shape "
                         f"{linear_weight.shape} must have the same last dim (in_features)")
    classes, out_features, in_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1]), input.shape[-1]
    if classes < 1:
        raise ValueError(f"linear_cross_entropy: linear_weight must have at least one row (class), got shape "
                         f"{linear_weight.shape}")
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise ValueError(f"linear_cross_entropy: expected linear_bias of shape {(classes, *out_features)}, got "
                         f"{tuple(linear_bias.shape)}")
    if out_features and input.ndim == 1:
        raise ValueError(f"linear_cross_entropy: a K-dimensional loss (linear_weight of shape {linear_weight.shape}) "
                         f"needs batched input (N, {in_features}), got shape {input.shape}")
    for name, t in (("linear_weight", linear_weight), ("linear_bias", linear_bias)):
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(f"linear_cross_entropy: input and {name} must have the same dtype, but got "
                               f"{input.dtype} and {t.dtype}")
    _floating(input, "linear_cross_entropy")
    logits_shape = (*input.shape[:-1], classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise ValueError("linear_cross_entropy: ignore_index cannot be given when target holds probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    if options is not None:
        from fastgrad.nn.modules.linear_cross_entropy_options import LinearCrossEntropyOptions  # (nn.modules imports F)

        if not isinstance(options, LinearCrossEntropyOptions):
            raise TypeError(f"linear_cross_entropy: options must be a LinearCrossEntropyOptions or None, got "
                            f"{type(options).__name__}")
    fused = weight is None and label_smoothing == 0.0 and not out_features and target.dtype.kind in "iu"
    if not fused:
        if options is not None:
            warnings.warn("linear_cross_entropy: options ignored; the chunked path needs class-index targets, no "
                          "class weights, label_smoothing == 0 and a 2-D linear_weight", stacklevel=2)
        flat_weight = linear_weight.reshape(-1, in_features)
        flat_bias = None if linear_bias is None else linear_bias.reshape(-1)
        return cross_entropy(linear(input, flat_weight, flat_bias).reshape(logits_shape), target, weight,
                             ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)
    if target.shape != input.shape[:-1]:
        raise ValueError(f"linear_cross_entropy: target has shape {target.shape}, expected {input.shape[:-1]} "
                         f"(input's shape without its last dim) for input of shape {input.shape}")
    targets = _ids(target._data.reshape(-1), classes, "linear_cross_entropy target", allowed=ignore_index)
    if linear_bias is None:  # zeros that need no gradient: one op either way
        linear_bias = Tensor._wrap(np.zeros(classes, dtype=linear_weight.dtype), False, None)
    loss = apply(ops.LinearCrossEntropy, input.reshape(-1, in_features), linear_weight, linear_bias,
                 Tensor._wrap(targets, False, None), ignore_index=int(ignore_index), reduction=reduction,
                 block_rows=None if options is None else options.batch_chunk_size)
    return loss.reshape(target.shape) if reduction == "none" else loss


def _smoothed_cross_entropy(scores: Tensor, targets: np.ndarray, weight: np.ndarray | None, ignore_index: int,
                            reduction: str, smoothing: float) -> Tensor:
    """Per row (1 - e) w[t] (-log p_t) + (e / C) sum_c w[c] (-log p_c), zero on ignored rows; "mean" divides
    by the summed w[t] of the counted rows, PyTorch's normalization of both terms."""
    classes = scores.shape[1]
    logp = log_softmax(scores, dim=1)
    targets_tensor = Tensor._wrap(targets, False, None)
    hard = apply(ops.NLLLoss, logp, targets_tensor, ignore_index=ignore_index, reduction="none", weight=weight)
    counted = Tensor._wrap(targets != ignore_index, False, None)
    # a copy of the weights: the caller's tensor may change before backward reads them
    weighted_logp = logp if weight is None else logp * Tensor._wrap(weight.copy(), False, None)
    # ignored rows selected away, not multiplied by 0: one with a NaN logit is 0, as PyTorch's (masked_fill)
    uniform = where(counted, -weighted_logp.sum(1), 0.0)
    rows = hard * (1 - smoothing) + uniform * (smoothing / classes)
    if reduction != "mean":
        return _reduce(rows, reduction)
    total_weight = float(weight[targets[counted._data]].sum(dtype=np.float64) if weight is not None
                         else counted._data.sum())
    if total_weight == 0:  # PyTorch's 0 / 0: NaN, with NaN gradients in the counted rows (of zero class weights)
        return rows.sum() * float("nan")  # (the ignored rows' gradients stay 0: both terms select them away)
    return rows.sum() / total_weight


def _cross_entropy_with_probabilities(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                                      smoothing: float) -> Tensor:
    """-sum_c w[c] q_c log p_c per row, q the (smoothed) target distribution; differentiable in the
    target and the weights too, as PyTorch's."""
    class_dim = 1 if input.ndim >= 2 else 0
    classes = input.shape[class_dim]
    if smoothing > 0:
        target = target * (1 - smoothing) + smoothing / classes
    if weight is not None:
        target = target * weight.reshape((classes,) + (1,) * (input.ndim - class_dim - 1))
    rows = -(log_softmax(input, dim=class_dim) * target).sum(class_dim)
    return _reduce(rows, reduction)  # "mean": over the N (x d...) rows, not over the weights


def nll_loss(input: Tensor, target, weight: Tensor | None = None, *, ignore_index: int = -100,
             reduction: str = "mean", size_average=None, reduce=None) -> Tensor:
    """Negative log-likelihood of log-probabilities (e.g. from log_softmax) at the targets; with `weight`
    (C,), "mean" divides by the summed weights of the non-ignored targets, as PyTorch."""
    reduction = _reduction(reduction, size_average, reduce)
    check_tensors("nll_loss", input=input, target=target)
    _floating(input, "nll_loss", error=NotImplementedError)  # (log-probabilities; PyTorch has no integer kernel)
    classes = _class_count(input, "nll_loss")
    scores, targets = _class_scores(input, target, "nll_loss")
    weight = _constant_class_weight(weight, input, classes, "nll_loss")  # (checked first, as PyTorch's)
    targets = _ids(targets, classes, "nll_loss target", allowed=ignore_index, dtypes=_target_dtypes(input))
    loss = apply(ops.NLLLoss, scores, Tensor._wrap(targets, False, None), ignore_index=ignore_index,
                 reduction=reduction, weight=weight)
    if reduction == "none" and input.ndim != 2:
        loss = loss.reshape(target.shape)
    return loss


def _loss_target(name: str, input: Tensor, target, warn_on_broadcast: bool = True) -> Tensor:
    """The target as a tensor that broadcasts with input, in a floating point dtype (_broadcast_target,
    _float_target)."""
    return _float_target(name, input, _broadcast_target(name, input, target, warn_on_broadcast, stacklevel=4))


def _broadcast_target(name: str, input: Tensor, target, warn_on_broadcast: bool = True, stacklevel: int = 3) -> Tensor:
    """The target as a tensor that broadcasts with input (else PyTorch's RuntimeError, raised before its kernels
    check their other arguments); a differing shape warns, as PyTorch does, since it is usually a mistake."""
    check_tensors(name, input=input, target=target)
    if target.shape != input.shape:
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise broadcast_error(name, input.shape, target.shape) from None
        if warn_on_broadcast:
            warnings.warn(f"{name}: using a target size ({target.shape}) that is different to the input size "
                          f"({input.shape}); this will likely lead to incorrect results due to broadcasting. "
                          "Please ensure they have the same size.", UserWarning, stacklevel=stacklevel)
    return target


def _float_target(name: str, input: Tensor, target: Tensor) -> Tensor:
    """The target in a floating point dtype, integers in the input's; an integer input and target are refused
    with PyTorch's NotImplementedError (it has no integer kernel for these losses: "mse_cpu" not implemented)."""
    if input.dtype.kind != "f" and target.dtype.kind != "f":
        raise NotImplementedError(f"{name}: expected a floating point input or target, got dtypes {input.dtype} and "
                                  f"{target.dtype}")
    return target if target.dtype.kind == "f" else target.to(input.dtype)


def _weighted_reduce(name: str, losses: Tensor, input: Tensor, weight, reduction: str) -> Tensor:
    """Elementwise weights (the input's shape) scale the losses; "mean" is then sum / sum(weight)."""
    if weight is None:
        return _reduce(losses, reduction)
    check_tensors(name, weight=weight)
    if weight.shape != input.shape:
        raise ValueError(f"{name}: weight has shape {weight.shape}, expected the input's shape {input.shape}")
    losses = losses * weight
    return losses.sum() / weight.sum() if reduction == "mean" else _reduce(losses, reduction)


def _kernel_difference(name: str, input: Tensor, target: Tensor) -> Tensor:
    """input - target as PyTorch's mse and smooth_l1 kernels take it (the target one that broadcasts, from
    _broadcast_target): a bool input in the float target's dtype (where the - operator, and so l1_loss, refuses a
    bool)."""
    target = _float_target(name, input, target)
    return (input.to(target.dtype) if input.dtype.kind == "b" else input) - target


def mse_loss(input: Tensor, target, *, reduction: str = "mean", weight: Tensor | None = None, size_average=None,
             reduce=None) -> Tensor:
    """(input - target)^2, reduced."""
    reduction = _reduction(reduction, size_average, reduce, elementwise_mean=weight is None)
    difference = _kernel_difference("mse_loss", input, _broadcast_target("mse_loss", input, target))
    return _weighted_reduce("mse_loss", difference * difference, input, weight, reduction)


def l1_loss(input: Tensor, target, *, reduction: str = "mean", weight: Tensor | None = None, size_average=None,
            reduce=None) -> Tensor:
    """|input - target|, reduced; the gradient at a zero difference is 0. As PyTorch's, which composes it of
    the - operator: a bool refused, integers kept as integers (whose mean is refused)."""
    reduction = _reduction(reduction, size_average, reduce, elementwise_mean=weight is None)
    losses = _l1_losses("l1_loss", input, _broadcast_target("l1_loss", input, target))
    return _weighted_reduce("l1_loss", losses, input, weight, reduction)


def _l1_losses(name: str, input: Tensor, target: Tensor) -> Tensor:
    """The unreduced |input - target| for a target that broadcasts with input, as PyTorch's l1_loss composes it
    of the - operator: a bool refused, integers kept as integers (whose mean mean() refuses)."""
    if target.dtype.kind == "b" or input.dtype.kind == "b":
        kinds = f"dtypes {input.dtype} and {target.dtype}"
        raise RuntimeError(f"{name}: subtraction (the - operator) with a bool tensor is not supported, got {kinds}")
    if input.dtype.kind in "iu" and target.dtype.kind in "iu":
        return (input - target).abs()
    return (input - _float_target(name, input, target)).abs()


def smooth_l1_loss(input: Tensor, target, *, reduction: str = "mean", beta: float = 1.0, size_average=None,
                   reduce=None) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target): quadratic near zero,
    linear beyond; beta = 0 is l1_loss, as PyTorch's, which then takes integers as l1_loss does."""
    name = "smooth_l1_loss"
    reduction = _reduction(reduction, size_average, reduce)
    target = _broadcast_target(name, input, target)
    _check_smooth_l1_width(name, "beta", beta, beta >= 0)
    losses = _l1_losses(name, input, target) if beta == 0 else _smooth_l1_losses(name, input, target, beta)
    return _reduce(losses, reduction)


def _check_smooth_l1_width(name: str, label: str, value: float, valid: bool) -> None:
    """PyTorch's check of smooth_l1's beta (>= 0) and huber's delta (> 0): a RuntimeError, after the shapes' and
    before the dtypes' (a NaN is refused too)."""
    if not valid:
        bound = ">= 0" if label == "beta" else "> 0"
        raise RuntimeError(f"{name}: {label} must be {bound}, got {value}")


def _smooth_l1_losses(name: str, input: Tensor, target: Tensor, beta: float) -> Tensor:
    """The unreduced smooth_l1 losses for a target that broadcasts with input and a beta > 0."""
    distance = _kernel_difference(name, input, target).abs()
    # the square only where it is used: an infinite distance's unused square gave a NaN gradient (0 times
    # infinity) where PyTorch's is the linear part's slope; a NaN distance is kept, to give NaN as PyTorch's
    near = where(distance > beta, 0.0, distance)
    return where(distance < beta, near * near * (0.5 / beta), distance - 0.5 * beta)


def huber_loss(input: Tensor, target, *, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): delta times smooth_l1_loss with beta = delta.
    `weight`, of the input's shape, scales each loss; unlike mse_loss's and l1_loss's, its "mean" is the plain
    mean of the weighted losses, as PyTorch's."""
    reduction = _reduction(reduction, elementwise_mean=weight is None)
    # PyTorch's order: the shapes, the weight's shape (its Python check), delta, the dtypes (its kernel's)
    target = _broadcast_target("huber_loss", input, target)
    if weight is not None:
        check_tensors("huber_loss", weight=weight)
        if weight.shape != input.shape:
            raise ValueError(f"huber_loss: weight has shape {weight.shape}, expected the input's shape {input.shape}")
    _check_smooth_l1_width("huber_loss", "delta", delta, delta > 0)
    # (an integer input with a float target: PyTorch's result would be cast back to the input's dtype, refused; with
    # an integer target, it has no kernel)
    _floating(input, "huber_loss", error=RuntimeError if target.dtype.kind == "f" else NotImplementedError)
    # PyTorch's kernel computes in the promoted dtype and writes the losses in the input's, then reduces
    losses = (_smooth_l1_losses("huber_loss", input, target, delta) * delta).to(input.dtype)
    return _reduce(losses if weight is None else losses * weight, reduction)


def kl_div(input: Tensor, target, *, reduction: str = "mean", log_target: bool = False, size_average=None,
           reduce=None) -> Tensor:
    """KL(target || q) pointwise, with input = log q: target (log target - input), 0 where target is 0
    (or exp(target) (target - input) when log_target). "batchmean" (sum / batch size) is the KL
    divergence; "mean" divides by every element, as PyTorch (which warns about it)."""
    legacy = size_average is not None or reduce is not None  # (then they decide, and reduction is not read)
    if not legacy and reduction not in ("mean", "batchmean", "sum", "none", "elementwise_mean"):
        raise ValueError(f"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r}")
    if reduction == "mean" and not legacy:
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size and the support "
                      "size; 'batchmean' divides by the batch size only, which is the KL divergence",
                      UserWarning, stacklevel=2)
    if reduction != "batchmean" or legacy:
        reduction = _reduction(reduction, size_average, reduce)
    check_tensors("kl_div", input=input, target=target)
    _floating(input, "kl_div")  # integral inputs are not supported, as in PyTorch
    _floating(target, "kl_div", "target")
    target = _loss_target("kl_div", input, target, warn_on_broadcast=False)
    if log_target:
        pointwise = target.exp() * (target - input)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            # target log target, with 0 log 0 = 0 (its gradient in the target stays NaN there, as PyTorch's);
            # a negative target gives NaN
            pointwise = where(target == 0, 0.0, target * target.log()) - target * input
    if reduction == "batchmean":
        total = pointwise.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(pointwise, reduction)


def binary_cross_entropy(input: Tensor, target, weight: Tensor | None = None, *, reduction: str = "mean",
                         size_average=None, reduce=None) -> Tensor:
    """Binary cross-entropy of probabilities `input` (each in [0, 1], e.g. a sigmoid's output) against
    targets of the input's shape and dtype, each log clamped at -100 as PyTorch's. `weight` (a constant)
    scales each element's loss and broadcasts to the input's shape. binary_cross_entropy_with_logits on
    the logits is the numerically safer form of the same loss."""
    name = "binary_cross_entropy"
    reduction = _reduction(reduction, size_average, reduce)
    check_tensors(name, input=input, target=target)
    _floating(input, name)
    if target.shape != input.shape:
        raise ValueError(f"{name}: target shape {target.shape} differs from input shape {input.shape}")
    if target.dtype != input.dtype:
        raise RuntimeError(f"{name}: target must have the input's dtype {input.dtype}, got {target.dtype}")
    data = input._data
    if not ((data >= 0) & (data <= 1)).all():
        raise RuntimeError(f"{name}: every element of input must be a probability in [0, 1], got values in "
                           f"[{np.nanmin(data) if not np.isnan(data).all() else np.nan}, {np.nanmax(data)}]"
                           + (" and NaN" if np.isnan(data).any() else ""))
    losses = apply(ops.BinaryCrossEntropy, input, target)
    if weight is not None:
        losses = losses * _constant_elementwise_weight(name, "weight", weight, input)
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, weight: Tensor | None = None, *, reduction: str = "mean",
                                     pos_weight: Tensor | None = None, size_average=None, reduce=None) -> Tensor:
    """Binary cross-entropy of sigmoid(input) against targets in [0, 1], in one numerically stable op.
    `weight` scales each element's loss; `pos_weight` scales the positive term (target y) of each, so
    p > 1 favours recall: a (C,) pos_weight weighs the classes along the last dim. Both broadcast to the
    input's shape and are constants (no gradient, as in PyTorch); "mean" divides by the element count."""
    name = "binary_cross_entropy_with_logits"
    reduction = _reduction(reduction, size_average, reduce)
    check_tensors(name, input=input, target=target)
    _floating(input, name, error=NotImplementedError)
    if target.shape != input.shape:  # (checked first, as PyTorch's ValueError)
        raise ValueError(f"{name}: target shape {target.shape} differs from input shape {input.shape}")
    _floating(target, name, "target")  # (PyTorch writes the loss in the target's dtype: an integer one is refused)
    promoted = input.to(promote_types(input.dtype, target.dtype))
    weights = {label: _constant_elementwise_weight(name, label, value, promoted)
               for label, value in (("weight", weight), ("pos_weight", pos_weight)) if value is not None}
    loss = apply(ops.BCEWithLogits, promoted, target.to(promoted.dtype), *weights.values(), reduction=reduction,
                 weighted=tuple(weights))
    return loss.to(target.dtype)


def _constant_elementwise_weight(name: str, label: str, weight, input: Tensor) -> Tensor:
    """A loss weight that broadcasts to the input's shape, in the input's dtype; a constant, as PyTorch's
    (which refuses one that requires grad). It is an input of the op, so an in-place change of it before
    backward is caught by its version counter."""
    check_tensors(name, **{label: weight})
    if weight.requires_grad and GRAD_MODE.enabled:
        raise RuntimeError(f"{name} is not differentiable with respect to {label} (as in PyTorch), which requires "
                           f"grad; pass {label}.detach()")
    if not broadcasts_to(weight.shape, input.shape):
        raise RuntimeError(f"{name}: {label} of shape {weight.shape} does not broadcast to the input's shape "
                           f"{input.shape}")
    return weight.to(input.dtype)


def _signs(target: Tensor, like: Tensor) -> Tensor:
    """A target of 1s and -1s (or any values: PyTorch does not check them) in the input's dtype."""
    return target if target.dtype == like.dtype else target.to(like.dtype)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target, margin: float = 0.0, *,
                        reduction: str = "mean", size_average=None, reduce=None) -> Tensor:
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 by margin where y = 1, below where y = -1.
    The three have one number of dims and broadcast, as PyTorch's."""
    reduction = _reduction(reduction, size_average, reduce)
    check_tensors("margin_ranking_loss", input1=input1, input2=input2, target=target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss: input1, input2 and target must have one number of dims, got "
                           f"shapes {input1.shape}, {input2.shape} and {target.shape}")
    return _margin_ranking_loss(input1, input2, target, margin, reduction)


def _margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float, reduction: str) -> Tensor:
    """margin_ranking_loss of tensors that broadcast, whatever their numbers of dims (as torch.margin_ranking_loss,
    which leaves out nn.functional's check of them)."""
    # (the target is promoted with the inputs, as PyTorch's: in a uint8 input's dtype -1 would be 255)
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input: Tensor, target, margin: float = 1.0, *, reduction: str = "mean", size_average=None,
                         reduce=None) -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x is usually a distance), as PyTorch adds the two:
    a target that is neither 1 nor -1 gets both terms. Input and target broadcast, as PyTorch's."""
    reduction = _reduction(reduction, size_average, reduce)
    check_tensors("hinge_embedding_loss", input=input, target=target)
    if reduction == "mean" and input.dtype.kind != "f":
        raise RuntimeError(f"hinge_embedding_loss: the mean of an integer input's losses needs a floating point input "
                           f"(PyTorch refuses it too), got dtype {input.dtype}")
    # (the target is compared in its own dtype, as PyTorch's: a uint8 target's 255 equals -1)
    if input.dtype.kind in "iu":
        # PyTorch computes in the input's integer dtype: margin truncated to it (refused where it does not fit),
        # margin - x wrapping as integers do; the sum is int64, as any integer sum
        margin = Tensor._from_data(number_of_dtype("hinge_embedding_loss: margin", margin, input.dtype))
    losses = where(target != 1, (margin - input).clamp(min=0), 0) + where(target != -1, input, 0)
    return _reduce(losses, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target, margin: float = 0.0, *,
                          reduction: str = "mean", size_average=None, reduce=None) -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, for (N, D) inputs and (N,)
    targets (or (D,) and a 0-d target); the three broadcast, as PyTorch's. The cosine is PyTorch's:
    sum(x1 x2) / sqrt((|x1|^2 + e) (|x2|^2 + e)), e its float 1e-12 (ops.nn.LOSS_EPSILON)."""
    reduction = _reduction(reduction, size_average, reduce)
    # (the target is compared with 1 and -1 in its own dtype: in a bool or uint8 input's dtype -1 would not be -1)
    check_tensors("cosine_embedding_loss", input1=input1, input2=input2, target=target)
    if target.ndim > 1:
        raise RuntimeError(f"cosine_embedding_loss: expected a target of 0 or 1 dims, got shape {target.shape}")
    if not input1.ndim == input2.ndim == target.ndim + 1:
        raise RuntimeError(f"cosine_embedding_loss: a {target.ndim}-d target needs {target.ndim + 1}-d inputs, got "
                           f"input1 {input1.shape} and input2 {input2.shape}")
    tiny = ops.nn.LOSS_EPSILON  # keeps zero vectors finite
    products = (input1 * input2).sum(-1)
    cosine = products / (((input1 * input1).sum(-1) + tiny) * ((input2 * input2).sum(-1) + tiny)).sqrt()
    losses = where(target == 1, 1 - cosine, 0.0) + where(target == -1, (cosine - margin).clamp(min=0), 0.0)
    return _reduce(losses, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, *, reduction: str = "mean", size_average=None,
                        reduce=None) -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with d the pairwise_distance (p-norm, eps); with swap, d(a, n)
    is the smaller of it and d(p, n) (Balntas et al., 2016)."""
    return _triplet_loss("triplet_margin_loss", anchor, positive, negative,
                         lambda x1, x2: pairwise_distance(x1, x2, p, eps), margin, swap,
                         _reduction(reduction, size_average, reduce), tensors_only=True)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """triplet_margin_loss with d = distance_function(x1, x2), any function of two tensors returning their
    distances (pairwise_distance when None)."""
    if distance_function is not None and not callable(distance_function):
        raise TypeError(f"triplet_margin_with_distance_loss: distance_function must be callable or None, got "
                        f"{type(distance_function).__name__}")
    return _triplet_loss("triplet_margin_with_distance_loss", anchor, positive, negative,
                         pairwise_distance if distance_function is None else distance_function, margin, swap,
                         _reduction(reduction, elementwise_mean=False))


def _triplet_loss(name: str, anchor: Tensor, positive: Tensor, negative: Tensor, distance, margin: float, swap: bool,
                  reduction: str, tensors_only: bool = False) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) for a distance function d, reduced; with swap, d(a, n) is the smaller
    of it and d(p, n) (Balntas et al., 2016); `reduction` read by _reduction. `tensors_only` refuses any other
    anchor, positive or negative, as PyTorch's triplet_margin_loss; its with-distance form hands them to the distance
    function, which may take others."""
    if margin <= 0:  # (checked first, as PyTorch's)
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    if tensors_only:
        check_tensors(name, anchor=anchor, positive=positive, negative=negative)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{name}: anchor, positive and negative must have one number of dims, got "
                           f"{anchor.ndim}, {positive.ndim} and {negative.ndim}")
    to_positive, to_negative = distance(anchor, positive), distance(anchor, negative)
    if swap:
        to_negative = to_negative.minimum(distance(positive, negative))
    return _reduce((margin + to_positive - to_negative).clamp(min=0), reduction)


def soft_margin_loss(input: Tensor, target, *, reduction: str = "mean", size_average=None, reduce=None) -> Tensor:
    """log(1 + e^(-y x)), computed as -log_sigmoid(y x) so it never overflows (PyTorch's gives inf for
    y x below about -710)."""
    reduction = _reduction(reduction, size_average, reduce)
    check_tensors("soft_margin_loss", input=input, target=target)
    target = _signs(target, _floating(input, "soft_margin_loss"))
    # the target broadcasts to the input's shape, as PyTorch's (whose loss is written in that shape)
    if not broadcasts_to(target.shape, input.shape):
        raise RuntimeError(f"soft_margin_loss: target of shape {tuple(target.shape)} does not broadcast to the input's "
                           f"shape {tuple(input.shape)}")
    if target.requires_grad and GRAD_MODE.enabled:
        raise RuntimeError("soft_margin_loss is not differentiable with respect to target (as in PyTorch), which "
                           "requires grad; pass target.detach()")
    return _reduce(-log_sigmoid(target * input), reduction)


def multilabel_soft_margin_loss(input: Tensor, target, weight: Tensor | None = None, *,
                                reduction: str = "mean", size_average=None, reduce=None) -> Tensor:
    """Binary cross-entropy of sigmoid(x) against 0/1 targets, averaged over the classes (the input's last dim),
    each class's term scaled by weight (C,), when given. As PyTorch's, target and weight are factors like any
    other: they broadcast with the input (the sum is over dim input.ndim - 1 of the broadcast losses, which
    may have more dims), are differentiable and promote the losses' dtype."""
    reduction = _reduction(reduction, size_average, reduce, elementwise_mean=False)
    check_tensors("multilabel_soft_margin_loss", input=input)
    _floating(input, "multilabel_soft_margin_loss", error=NotImplementedError)
    # (a number target or weight, or an array weight after the losses, is an operand as any; an array target before
    # them or a list is refused by the operators, as PyTorch's)
    losses = -(target * log_sigmoid(input) + (1 - target) * log_sigmoid(-input))
    if weight is not None:
        losses = losses * weight
    if input.ndim == 0:  # (checked after the arithmetic's broadcast errors, as PyTorch's IndexError)
        raise IndexError("multilabel_soft_margin_loss: expected an input of at least 1 dim (N, C) or (C,), got 0-d")
    return _reduce(losses.sum(input.ndim - 1) / input.shape[-1], reduction)


def multilabel_margin_loss(input: Tensor, target, *, reduction: str = "mean", size_average=None,
                           reduce=None) -> Tensor:
    """Per sample, sum over its target classes j (the target row's leading class indices, up to the first
    -1; a repeated index counts again) and its other classes i of max(0, 1 - (x[j] - x[i])), over the
    number of classes, as PyTorch's (whose kernel skips a pair whose margin is NaN). input (C,) or (N, C), a 0-d
    input one score; target of the input's shape (or its C values in any shape of at most 1 dim), int64."""
    reduction = _reduction(reduction, size_average, reduce)
    check_tensors("multilabel_margin_loss", input=input, target=target)
    # PyTorch's order, each a RuntimeError but the input's dtype: the shapes, the target's range (its values as
    # integers, whatever its dtype), the input's dtype (no kernel: NotImplementedError), the target's dtype (int64,
    # read only when there are targets)
    width = input.shape[-1] if input.ndim else 1
    if input.ndim > 2 or width == 0 or (target.shape != input.shape if input.ndim == 2 else
                                         target.ndim > 1 or target.numel() != width):
        raise RuntimeError(f"multilabel_margin_loss: expected input (C,) or (N, C) and a target of the same shape "
                           f"(C > 0), got input {input.shape} and target {target.shape}")
    classes = target._data.reshape(-1, width)
    size = classes.shape[1]
    lowest, highest = np.trunc(np.array([classes.min(), classes.max()] if classes.size else [0, 0], dtype=np.float64))
    if lowest < -1 or highest >= size:
        raise RuntimeError(f"multilabel_margin_loss: target values must be class indices in [0, {size}) or -1, got "
                           f"values in [{classes.min()}, {classes.max()}]")
    _floating(input, "multilabel_margin_loss", error=NotImplementedError)
    if classes.size and target.dtype != np.int64:
        raise RuntimeError(f"multilabel_margin_loss: target must hold int64 class indices, got dtype {target.dtype}")
    rows, classes = input.reshape(-1, width), classes.astype(np.int64)
    listed = np.cumprod(classes != -1, axis=1).astype(bool)  # the indices before each row's first -1
    counts = np.zeros(classes.shape, dtype=input.dtype)
    np.add.at(counts, (np.nonzero(listed)[0], classes[listed]), 1)
    pair_weights = Tensor._wrap(counts[:, :, None] * (counts == 0)[:, None, :], False, None)  # (target j, other i)
    with np.errstate(invalid="ignore"):  # inf - inf: NaN, a pair skipped (see below)
        margins = 1 - rows.unsqueeze(-1) + rows.unsqueeze(-2)
        # selected, not only weighted: a pair that does not count, or whose margin is NaN or not positive (PyTorch's
        # kernel adds a margin only where it is > 0), adds 0
        counted = (pair_weights > 0) & (margins > 0)
    losses = (where(counted, margins, 0.0) * pair_weights).sum((-2, -1)) / size
    return _reduce(losses.reshape(()) if input.ndim < 2 else losses, reduction)


def multi_margin_loss(input: Tensor, target, p: int = 1, margin: float = 1.0, weight: Tensor | None = None, *,
                      reduction: str = "mean", size_average=None, reduce=None) -> Tensor:
    """The multi-class hinge loss: sum over j != y of max(0, margin - x[y] + x[j])^p / C, for scores (N, C)
    or (C,) (a 0-d input is one score) and class targets (N,), or one target of shape () or (1,) for a single
    sample, as PyTorch's (whose "none" losses take the target's shape); weight (C,), of the input's dtype,
    scales each sample's terms by weight[y]."""
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p!r}")
    if weight is not None:  # (PyTorch's Python check, before its kernel's)
        check_tensors("multi_margin_loss", weight=weight)
        if weight.ndim != 1:
            raise ValueError(f"multi_margin_loss: weight must be one-dimensional, got shape {weight.shape}")
    check_tensors("multi_margin_loss", input=input, target=target)
    _floating(input, "multi_margin_loss", error=NotImplementedError)
    if input.ndim > 2 or input.ndim and input.shape[-1] == 0:
        raise RuntimeError(f"multi_margin_loss: expected input (N, C) or (C,) with C > 0, got shape {input.shape}")
    samples = input.shape[0] if input.ndim == 2 else 1
    scores = input.reshape(samples, input.shape[-1] if input.ndim else 1)
    if target.ndim > 1 or target.numel() != samples:
        raise RuntimeError(f"multi_margin_loss: expected target of shape ({samples},)"
                           f"{' or ()' if samples == 1 else ''} for input {input.shape}, got {target.shape}")
    classes = scores.shape[1]
    weight = _constant_class_weight(weight, input, classes, "multi_margin_loss")
    targets = _ids(target.reshape(-1), classes, "multi_margin_loss target", dtypes=(np.int64,),
                   out_of_range=RuntimeError)
    true_class = np.arange(classes) == targets[:, None]  # (N, C): the term j == y is left out
    true_scores = scores[np.arange(len(targets)), targets].unsqueeze(1)
    margins = margin - true_scores + scores
    terms = where(Tensor._from_data(~true_class) & (margins > 0), margins, 0.0)
    if p == 2:
        terms = terms * terms
    if weight is not None:
        terms = terms * Tensor._from_data(weight[targets][:, None])
    losses = terms.sum(1) / classes
    return _reduce(losses.reshape(target.shape if target.ndim else ()), reduction)


def poisson_nll_loss(input: Tensor, target, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of target ~ Poisson(rate), up to a constant: e^x - y x with x = log rate
    (log_input), else rate - y log(rate + eps). full adds Stirling's approximation of log(y!),
    y log y - y + log(2 pi y) / 2, where y > 1."""
    reduction = _reduction(reduction, size_average, reduce, elementwise_mean=False)
    check_tensors("poisson_nll_loss", input=input, target=target)
    input = input._floating()  # an integer input is taken in the default float dtype, as PyTorch's
    target = _loss_target("poisson_nll_loss", input, target, warn_on_broadcast=False)
    losses = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:  # (the logs see y >= 1 only, so the branch left out stays finite, and so does its gradient)
        at_least_1 = target.clamp(min=1)
        stirling = target * at_least_1.log() - target + 0.5 * (2 * np.pi * at_least_1).log()
        losses = losses + where(target > 1, stirling, 0.0)
    return _reduce(losses, reduction)


def gaussian_nll_loss(input: Tensor, target, var, full: bool = False, eps: float = 1e-6, *,
                      reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of target ~ N(input, var), up to a constant: (log var + (x - y)^2 / var) / 2
    (plus log(2 pi) / 2 with full). var has the input's shape, or one dim of size 1 (or the last dim left
    out): one variance shared along it. var is clamped at eps for stability, as PyTorch, which leaves
    the gradient that of the unclamped var."""
    name = "gaussian_nll_loss"
    _reduction(reduction, elementwise_mean=False)
    check_tensors(name, input=input)
    for label, value in (("input", input), ("target", target), ("var", var)):
        # PyTorch subtracts input and target (refused for bools) and clamps var in place (refused for integers)
        if isinstance(value, Tensor) and value.dtype.kind in ("biu" if label == "var" else "b"):
            raise RuntimeError(f"{name}: expected a {'floating point' if label == 'var' else 'numeric'} {label}, got "
                               f"dtype {value.dtype}")
    input = input._floating()  # an integer input is taken in the default float dtype, as PyTorch's
    if isinstance(var, float):  # (not an int: PyTorch's check of a number var breaks on one, and raises)
        var = Tensor._from_data(np.full(input.shape, var, dtype=input.dtype))
    if not isinstance(var, Tensor):
        raise TypeError(f"{name}: var must be a Tensor or a float, got {type(var).__name__}")
    if var.shape != input.shape:
        if var.shape == input.shape[:-1]:
            var = var.unsqueeze(-1)
        elif var.ndim != input.ndim or sum(v != n for v, n in zip(var.shape, input.shape)) != 1 or \
                any(v != n and v != 1 for v, n in zip(var.shape, input.shape)):
            raise ValueError(f"{name}: var of shape {var.shape} is of incorrect size for input of shape {input.shape}: "
                             "expected the input's shape, one dim of size 1, or the last dim left out")
    if (var._data < 0).any():
        raise ValueError(f"{name}: var has negative entry/entries")
    if isinstance(target, Tensor):  # (checked after var, as PyTorch's)
        target = _loss_target(name, input, target, warn_on_broadcast=False)
    # (else an operand of the subtraction, as in PyTorch's: an array or a number taken, a list refused)
    floor = np.maximum(var._data, eps) - var._data  # the clamp as a constant: the gradient stays var's
    var = var + Tensor._from_data(floor.astype(var.dtype))
    losses = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        losses = losses + 0.5 * np.log(2 * np.pi)
    return _reduce(losses, reduction)


# -- dropout -----------------------------------------------------------------------------------------
def _dropout_probability(name: str, p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: dropout probability p must be a number in [0, 1], got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability must be in [0, 1], got {p}")
    return float(p)


def _dropped_all(input: Tensor, inplace: bool) -> Tensor:
    """Dropout with p = 1: zeros in the input's dtype (integers and bools too, as PyTorch's multiplies by a zero of
    that dtype), with a zero gradient."""
    zero = Tensor._from_data(np.zeros((), dtype=input.dtype))
    return input.mul_(zero) if inplace else input * zero


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: at train time zero each element with probability p and scale the rest by 1/(1-p)."""
    p = _dropout_probability("dropout", p)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return _dropped_all(x, inplace)
    _floating(x, "dropout")  # (PyTorch's cannot cast the scaled values back to an integer or bool dtype)
    return _activation(ops.Dropout, "dropout", x, inplace, p=float(p), seed=next_seed())


SELU_SATURATION = -SELU_SCALE * SELU_ALPHA  # selu's limit at -inf: the value alpha dropout gives dropped units


def _masked_dropout(name: str, input: Tensor, p: float, inplace: bool, mask_shape: tuple[int, ...],
                    alpha: bool) -> Tensor:
    """Dropout with one keep-or-drop draw (keep with probability 1 - p, from fastgrad's generator) per
    element of `mask_shape`, which broadcasts to the input's shape: a size-1 dim shares its draw. Plain
    dropout scales kept values by 1/(1-p) and zeroes dropped ones. Alpha dropout (Klambauer et al., 2017)
    sets dropped values to selu's saturation a' and maps everything by x -> a x + b, with
    a = ((1 - p)(1 + p a'^2))^(-1/2) and b = -a a' p, which keeps zero mean and unit variance. Either way
    the result is input * scale (+ shift) with constant scale and shift, so autograd differentiates it.
    p = 1 gives zeros in both, as PyTorch's."""
    if p == 1.0:
        return _dropped_all(input, inplace)
    _floating(input, name)  # (PyTorch's cannot cast the scaled values back to an integer or bool dtype)
    kept = rng_of(None).random(mask_shape) >= p
    if not alpha:
        scale = Tensor._from_data(kept.astype(input.dtype) / input.dtype.type(1 - p))
        return input.mul_(scale) if inplace else input * scale
    a = ((1 - p) * (1 + p * SELU_SATURATION ** 2)) ** -0.5
    b = -a * SELU_SATURATION * p
    scale = Tensor._from_data((kept * a).astype(input.dtype))
    shift = Tensor._from_data(np.where(kept, b, a * SELU_SATURATION + b).astype(input.dtype))
    return input.mul_(scale).add_(shift) if inplace else input * scale + shift


def _feature_dropout(name: str, input: Tensor, p: float, training: bool, inplace: bool, batched: bool,
                     alpha: bool = False) -> Tensor:
    """Dropout of whole channels: one draw per (sample, channel) of a batched (N, C, *) input, or per
    channel of an unbatched (C, *) one, shared by all the channel's elements."""
    if not training or p == 0.0:
        return input
    shape = input.shape if batched else (1,) + input.shape
    if len(shape) < 2:
        raise RuntimeError(f"{name}: dropping channels needs at least 2 dims (N, C, *) once a batch dim is added, "
                           f"got input of shape {input.shape}")
    mask_shape = shape[:2] + (1,) * (len(shape) - 2)
    return _masked_dropout(name, input, p, inplace, mask_shape if batched else mask_shape[1:], alpha)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Dropout of whole channels of (N, C, L) or unbatched (C, L) inputs: each channel is zeroed with
    probability p, and the kept ones are scaled by 1/(1-p)."""
    p = _dropout_probability("dropout1d", p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {input.shape}")
    return _feature_dropout("dropout1d", input, p, training, inplace, batched=input.ndim == 3)


def _warn_channel_dims(name: str, input: Tensor, spatial: int) -> None:
    """PyTorch's deprecation warning for dropout2d/3d inputs of other ranks than (C, *spatial) or (N, C, *spatial)."""
    if input.ndim not in (spatial + 1, spatial + 2):
        warnings.warn(f"{name}: received a {input.ndim}-D input, which is deprecated (as in PyTorch, where it will "
                      f"become an error); {name} drops channels of {spatial + 1}-D or {spatial + 2}-D inputs, use "
                      "dropout for others", UserWarning, stacklevel=3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Dropout of whole channels (N, C, H, W) (dim 1 of any input of 2 dims or more, as PyTorch). A 3-D input is
    taken as a batch (N, C, L), not as an unbatched (C, H, W) one: PyTorch's current behaviour, which it warns
    about."""
    p = _dropout_probability("dropout2d", p)
    _warn_channel_dims("dropout2d", input, 2)
    if input.ndim == 3:
        warnings.warn("dropout2d: a 3-D input is taken as (N, C, L) and its channels (dim 1) are dropped, as PyTorch "
                      "does today (it plans to read it as an unbatched (C, H, W)); use dropout1d for this",
                      UserWarning, stacklevel=2)
    return _feature_dropout("dropout2d", input, p, training, inplace, batched=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Dropout of whole channels of (N, C, D, H, W) or unbatched (C, D, H, W) inputs (a batch for 5-D
    inputs, unbatched for any other rank, as PyTorch)."""
    p = _dropout_probability("dropout3d", p)
    _warn_channel_dims("dropout3d", input, 3)
    return _feature_dropout("dropout3d", input, p, training, inplace, batched=input.ndim == 5)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for self-normalizing (selu) networks (Klambauer et al., 2017): dropped elements take selu's
    saturation value, and an affine map keeps zero mean and unit variance (see _masked_dropout). Note
    PyTorch's default training=False: the identity unless asked."""
    p = _dropout_probability("alpha_dropout", p)
    if not training or p == 0.0:
        return input
    return _masked_dropout("alpha_dropout", input, p, inplace, input.shape, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels (dim 1 of inputs of 2 dims or more); training=False by default, as
    PyTorch."""
    p = _dropout_probability("feature_alpha_dropout", p)
    return _feature_dropout("feature_alpha_dropout", input, p, training, inplace, batched=True, alpha=True)


# -- distances and normalization ------------------------------------------------------------------
def _norm(x: Tensor, p: float, dim: int, keepdim: bool) -> Tensor:
    """The p-norm of x along dim (of every element for a 0-d x)."""
    (axis,) = normalize_dims(dim, x.ndim)
    return apply(ops.Norm, x, p=float(p), axis=(axis,) if x.ndim else None, keepdims=keepdim)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p, eps) along dim: unit vectors, and zero vectors stay zero."""
    _floating(input, "normalize")
    return input / _norm(input, p, dim, keepdim=True).clamp(min=eps)


def _broadcast_pair(name: str, x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise broadcast_error(name, x1.shape, x2.shape) from None
    return (x1 if x1.shape == shape else x1.expand(shape)), (x2 if x2.shape == shape else x2.expand(shape))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 x2) / (max(||x1||, eps) max(||x2||, eps)) along dim, after broadcasting x1 with x2.

    As PyTorch, each input is divided by its own clamped norm before the product (the result stays in
    [-1, 1]), and the clamp only changes values: the gradient is that of the unclamped norm.
    """
    if x1.dtype.kind != "f" and x2.dtype.kind != "f":
        raise TypeError(f"cosine_similarity: expected floating point inputs, got dtypes {x1.dtype} and {x2.dtype}")
    dtype = promote_types(x1.dtype, x2.dtype)  # (before the norms: an integer input's norm would be float64)
    x1, x2 = _broadcast_pair("cosine_similarity", x1.to(dtype), x2.to(dtype))

    def unit(x: Tensor) -> Tensor:
        norm = _norm(x, 2, dim, keepdim=True)
        floored = np.maximum(norm._data, eps)
        return x / (norm + Tensor._wrap((floored - norm._data).astype(norm.dtype), False, None))

    product = unit(x1) * unit(x2)
    return product.sum(dim) if product.ndim else product


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (after broadcasting): eps keeps the gradient finite for
    equal rows."""
    check_tensors("pairwise_distance", x1=x1, x2=x2)
    x1, x2 = _broadcast_pair("pairwise_distance", x1, x2)
    return _norm(x1 - x2 + eps, p, -1, keepdim)


# -- layers ---------------------------------------------------------------------------------------------
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b over the last dim of x; W is (out_features, in_features) as in PyTorch."""
    # (the arrays' shapes and dtypes, read once: a layer's every call runs these checks)
    x_data, weight_data = x._data, weight._data
    weight_shape = weight_data.shape
    if len(weight_shape) != 2 or not x_data.ndim or x_data.shape[-1] != weight_shape[1]:
        raise RuntimeError(f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape} "
                           f"(expected input (..., {weight.shape[1] if weight.ndim == 2 else '?'}))")
    if bias is not None and bias._data.shape != weight_shape[:1]:
        raise RuntimeError(f"linear: bias has shape {bias.shape}, expected ({weight.shape[0]},)")
    dtype = x_data.dtype
    if weight_data.dtype != dtype or (bias is not None and bias._data.dtype != dtype):
        name, t = ("weight", weight) if weight_data.dtype != dtype else ("bias", bias)
        raise RuntimeError(f"linear: input and {name} must have the same dtype, but got {x.dtype} and {t.dtype}")
    return apply(ops.Linear, x, weight) if bias is None else apply(ops.Linear, x, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = x1 W[o] x2^T + b[o]: input1 (*, in1) and input2 (*, in2) with the same leading dims,
    weight (out, in1, in2) and bias (out,) give (*, out). One einsum (x1 with W first, then x2), so its
    gradients are einsum's."""
    name = "bilinear"
    for label, t in (("input1", input1), ("input2", input2), ("weight", weight), ("bias", bias)):
        if not isinstance(t, Tensor) and not (label == "bias" and t is None):
            raise TypeError(f"{name}: {label} must be a Tensor, got {type(t).__name__}")
    if weight.ndim != 3:
        raise RuntimeError(f"{name}: weight must be 3-D (out_features, in1_features, in2_features), got shape "
                           f"{weight.shape}")
    if input1.ndim != input2.ndim or input1.ndim == 0 or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"{name}: input1 and input2 must have the same leading (batch) dims and a feature dim "
                           f"each, got shapes {input1.shape} and {input2.shape}")
    out_features, in1_features, in2_features = weight.shape
    for label, t, size in (("input1", input1, in1_features), ("input2", input2, in2_features)):
        if t.shape[-1] != size:
            raise RuntimeError(f"{name}: {label} has {t.shape[-1]} features (last dim of shape {t.shape}), but weight "
                               f"of shape {weight.shape} expects {size}")
    if bias is not None and bias.shape != (out_features,):
        raise RuntimeError(f"{name}: bias has shape {bias.shape}, expected ({out_features},)")
    dtypes = {label: t.dtype for label, t in (("input1", input1), ("input2", input2), ("weight", weight),
                                              ("bias", bias)) if t is not None}
    if len(set(dtypes.values())) > 1:
        raise RuntimeError(f"{name}: all tensors must have one dtype, got " +
                           ", ".join(f"{label} {dtype}" for label, dtype in dtypes.items()))
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing dims `normalized_shape` to zero mean and unit (biased) variance, then
    scale by weight and shift by bias (each of shape normalized_shape, each optional)."""
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    _floating(input, "layer_norm", error=NotImplementedError)
    _check_normalized_shape("layer_norm", input, shape)
    affine, params = [], []
    for name, param in (("weight", weight), ("bias", bias)):
        if param is None:
            continue
        if param.shape != shape:
            raise RuntimeError(f"layer_norm: {name} has shape {param.shape}, expected normalized_shape {shape}")
        if param.dtype != input.dtype:
            raise RuntimeError(f"layer_norm: {name} has dtype {param.dtype}, expected the input's dtype {input.dtype}")
        affine.append(name)
        params.append(param)
    return apply(ops.LayerNorm, input, *params, normalized_ndim=len(shape), eps=float(eps), affine=tuple(affine))


def _check_normalized_shape(name: str, input: Tensor, shape: tuple[int, ...]) -> None:
    if not shape or len(shape) > input.ndim or input.shape[input.ndim - len(shape):] != shape:
        raise RuntimeError(f"{name}: normalized_shape {shape} must be non-empty and match the trailing dims of "
                           f"the input, got input of shape {input.shape}")


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * weight over the trailing dims `normalized_shape` (Zhang and Sennrich,
    2019): layer_norm without centring and bias. eps None is the machine epsilon of the input's dtype, as
    PyTorch; a weight of another dtype is cast to the input's, the result's dtype, as PyTorch does. Composed
    of differentiable ops."""
    name = "rms_norm"
    _floating(input, name, error=NotImplementedError)
    if not isinstance(normalized_shape, (tuple, list)) or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in normalized_shape):
        raise TypeError(f"{name}: normalized_shape must be a list or tuple of ints (as PyTorch's), got "
                        f"{normalized_shape!r}")
    shape = tuple(int(n) for n in normalized_shape)
    if len(shape) > input.ndim:  # (PyTorch's Python check, a ValueError; its kernel's others are RuntimeErrors)
        raise ValueError(f"{name}: normalized_shape {shape} has more dims than the input of shape {input.shape}")
    _check_normalized_shape(name, input, shape)
    if weight is not None and weight.shape != shape:
        raise RuntimeError(f"{name}: weight has shape {weight.shape}, expected normalized_shape {shape}")
    eps = float(np.finfo(input.dtype).eps) if eps is None else float(eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(dim=dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        out = out * (weight if weight.dtype == input.dtype else weight.to(input.dtype))
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Group normalization (Wu and He, 2018): the channels (dim 1) of an (N, C, *) input split into
    num_groups groups of C / num_groups, and each sample's group, with its trailing dims, is normalized to
    zero mean and unit (biased) variance; then per-channel weight and bias (C,), each optional. It is
    layer_norm over the (N, groups, rest) view, so its gradient is layer_norm's."""
    name = "group_norm"
    # PyTorch's order: its Python checks (the rank, RuntimeError; a division by num_groups; one value per group,
    # ValueError), then its kernel's (num_groups, weight and bias, RuntimeError; the dtype, NotImplementedError)
    if input.ndim < 2:
        raise RuntimeError(f"{name}: expected an input of at least 2 dims (N, C, *), got shape {input.shape}")
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)):
        raise TypeError(f"{name}: num_groups must be an int, got {type(num_groups).__name__}")
    if num_groups == 0:
        raise ZeroDivisionError(f"{name}: num_groups must be a positive divisor of the input's channels, got 0")
    channels, rest = input.shape[1], int(np.prod(input.shape[2:], dtype=np.int64))
    if input.shape[0] * channels // num_groups * rest == 1:  # (PyTorch's check, as it writes it)
        raise ValueError(f"{name}: expected more than 1 value per group, got input of shape {input.shape} with "
                         f"num_groups={num_groups}")
    if num_groups < 1 or channels % num_groups:
        raise RuntimeError(f"{name}: num_groups must be a positive divisor of the input's {channels} channels (dim 1 "
                           f"of shape {input.shape}), got num_groups={num_groups}")
    for label, param in (("weight", weight), ("bias", bias)):
        if param is None:
            continue
        if param.shape != (channels,):
            raise RuntimeError(f"{name}: {label} has shape {param.shape}, expected ({channels},) (the input's "
                               "channels)")
        if param.dtype != input.dtype:
            raise RuntimeError(f"{name}: {label} has dtype {param.dtype}, expected the input's dtype {input.dtype}")
    _floating(input, name, error=NotImplementedError)
    per_group = channels // num_groups * rest
    if input.numel():
        grouped = input.reshape(input.shape[0], num_groups, per_group)
        out = layer_norm(grouped, (per_group,), eps=eps).reshape(input.shape)
    else:  # nothing to normalize (and layer_norm refuses rows of 0 values)
        out = input.clone()
    broadcast = (channels,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(broadcast)
    if bias is not None:
        out = out + bias.reshape(broadcast)
    return out


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel (dim 1) over the batch and any trailing dims, then scale and shift.

    In training the batch's mean and biased variance normalize, and the running statistics, when given,
    move towards the batch's mean and unbiased variance by `momentum` (in place, outside autograd).
    Otherwise the running statistics normalize (they must be given, as in PyTorch). Built from differentiable
    ops, so the gradient includes the paths through the batch mean and variance."""
    _floating(input, "batch_norm", error=NotImplementedError)
    if input.ndim < 2:  # (PyTorch's RuntimeError for per-channel tensors or evaluation mode, else IndexError: no dim 1)
        given = any(t is not None for t in (running_mean, running_var, weight, bias)) or not training
        raise (RuntimeError if given else IndexError)(
            f"batch_norm: expected an input of at least 2 dims (N, C, ...), got shape {input.shape}")
    channels = input.shape[1]
    _check_per_channel("batch_norm", input, running_mean=running_mean, running_var=running_var, weight=weight,
                       bias=bias)
    reduced = (0,) + tuple(range(2, input.ndim))
    broadcast = (1, channels) + (1,) * (input.ndim - 2)
    if (running_mean is None) != (running_var is None):  # (one alone would silently not be updated)
        raise ValueError("batch_norm: running_mean and running_var must either both be None or neither be None, "
                         f"got running_mean={'None' if running_mean is None else 'a tensor'} and "
                         f"running_var={'None' if running_var is None else 'a tensor'}")
    if not training and running_mean is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be defined in evaluation mode "
                           "(training=False)")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.integer, np.floating)):
        raise TypeError(f"batch_norm: momentum must be a number, got {type(momentum).__name__} (the modules' "
                        "momentum=None, a cumulative average, is worked out by the module)")
    if training:
        count = input.numel() // max(channels, 1)
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        if count == 0:  # an empty batch: an empty output, and the running statistics stay, as PyTorch's
            return _affine_per_channel(input.clone(), weight, bias, broadcast)
        mean = input.mean(dim=reduced, keepdim=True)
        variance = ((input - mean) ** 2).mean(dim=reduced, keepdim=True)
        if running_mean is not None:
            with no_grad():
                unbiased = variance.detach().reshape(channels) * (count / max(count - 1, 1))
                running_mean.mul_(1 - momentum).add_(mean.detach().reshape(channels).to(running_mean.dtype),
                                                     alpha=momentum)
                running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype), alpha=momentum)
    else:
        mean, variance = running_mean.reshape(broadcast), running_var.reshape(broadcast)
    return _affine_per_channel((input - mean) / (variance + eps).sqrt(), weight, bias, broadcast)


def _affine_per_channel(output: Tensor, weight: Tensor | None, bias: Tensor | None, broadcast: tuple) -> Tensor:
    if weight is not None:
        output = output * weight.reshape(broadcast)
    if bias is not None:
        output = output + bias.reshape(broadcast)
    return output


def _check_per_channel(name: str, input: Tensor, **tensors: Tensor | None) -> None:
    """Each given tensor must hold one value per channel (dim 1) of the input."""
    channels = input.shape[1]
    for label, tensor in tensors.items():
        if tensor is not None and tensor.shape != (channels,):
            raise RuntimeError(f"{name}: {label} has shape {tensor.shape}, expected ({channels},) (the input's "
                               f"channels, dim 1 of shape {input.shape})")


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each sample's channels (N, C, *) over their trailing dims, then scale and shift per channel:
    batch_norm of the (1, N * C, *) view, as PyTorch computes it. With use_input_stats each instance's own
    mean and biased variance normalize, and the running statistics, when given, move by `momentum`
    towards their averages over the batch (in place, outside autograd); without, the running statistics
    normalize (they must be given)."""
    name = "instance_norm"
    _floating(input, name, error=NotImplementedError)
    if input.ndim < 2:
        raise ValueError(f"{name}: expected an input of at least 2 dims (N, C, *), got shape {input.shape}")
    _check_per_channel(name, input, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    if use_input_stats and int(np.prod(input.shape[2:], dtype=np.int64)) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    if input.numel() == 0:  # nothing to normalize (and batch_norm refuses empty channels)
        return input.clone()
    batch, channels = input.shape[:2]
    per_instance = [None if t is None else t.repeat(batch) for t in (running_mean, running_var, weight, bias)]
    out = batch_norm(input.reshape(1, batch * channels, *input.shape[2:]), *per_instance,
                     training=use_input_stats, momentum=momentum, eps=eps)
    if use_input_stats:
        with no_grad():
            for running, instances in zip((running_mean, running_var), per_instance):
                if running is not None:
                    running.copy_(instances.reshape(batch, channels).mean(dim=0))
    return out.reshape(input.shape)


def _renorm_rows_(weight: Tensor, ids: np.ndarray, max_norm: float | None, norm_type: float, what: str) -> None:
    """PyTorch's max_norm: each looked-up row whose p-norm exceeds max_norm is scaled, in place and outside
    autograd, to norm max_norm (divided by norm + 1e-7, as PyTorch; a negative max_norm, which PyTorch takes,
    flips every looked-up row's sign). Bumps the weight's version, so a
    graph that saved the old rows refuses to backward, as in PyTorch."""
    if max_norm is None:
        return
    for name, value in (("max_norm", max_norm), ("norm_type", norm_type)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise TypeError(f"{what}: {name} must be a number, got {type(value).__name__}")
    rows = np.unique(ids)
    norms = np.linalg.norm(weight._data[rows].astype(np.float64), ord=norm_type, axis=1)
    too_long = norms > max_norm
    if too_long.any():
        with no_grad():
            scale = (max_norm / (norms[too_long] + 1e-7)).astype(weight.dtype)
            weight[rows[too_long]] = weight._data[rows[too_long]] * scale[:, None]


def embedding(input, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight (num_embeddings, dim) at the int ids in input; output shape input.shape + (dim,).
    With max_norm, the looked-up rows are first renormalised in place (see _renorm_rows_);
    scale_grad_by_freq divides each row's gradient by its id's count in input (dense gradients only)."""
    check_tensors("embedding", input=input)  # (a list or NumPy array too, as PyTorch refuses them)
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, dim), got shape {weight.shape}")
    ids = _ids(input, weight.shape[0], "embedding input", dtypes=(np.int64, np.int32))
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    _renorm_rows_(weight, ids, max_norm, norm_type, "embedding")
    return apply(ops.Embedding, weight, Tensor._wrap(ids, False, None), padding_idx=padding_idx, sparse=sparse,
                 scale_grad_by_freq=bool(scale_grad_by_freq))


def embedding_bag(input, weight: Tensor, offsets=None, max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False, per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of embedding rows per bag: input (B, L) gives B bags of L ids; a 1-D input with
    `offsets` (B,) gives bag b = input[offsets[b]:offsets[b+1]] (with include_last_offset, offsets has B + 1
    entries, the last the number of ids). Empty bags give zeros. per_sample_weights (input's shape, mode
    "sum" only) scales each row before the sum; ids equal to padding_idx leave their bag (and a mean's
    count). With max_norm, the looked-up rows are first renormalised in place, as in `embedding`;
    scale_grad_by_freq divides each row's gradient by its id's count in input (not in mode "max")."""
    check_tensors("embedding_bag", input=input)  # (a list or NumPy array too, as PyTorch refuses them)
    if offsets is not None:
        check_tensors("embedding_bag", offsets=offsets)
    if mode not in ("mean", "sum", "max"):
        raise ValueError(f"embedding_bag: mode must be 'mean', 'sum' or 'max', got {mode!r}")
    if mode == "max" and (scale_grad_by_freq or sparse):
        raise ValueError(f"embedding_bag: mode 'max' supports neither scale_grad_by_freq nor sparse gradients, got "
                         f"scale_grad_by_freq={scale_grad_by_freq}, sparse={sparse}")
    if per_sample_weights is not None and mode != "sum":  # (PyTorch's error type)
        raise NotImplementedError(f"embedding_bag: per_sample_weights is only supported with mode='sum', got "
                                  f"mode={mode!r}")
    if weight.ndim != 2:
        raise ValueError(f"embedding_bag: weight must be 2-D (num_embeddings, dim), got shape {weight.shape}")
    ids = _ids(input, weight.shape[0], "embedding_bag input")
    samples = _per_sample_weights(per_sample_weights, ids.shape, weight.dtype)
    padding_idx = _padding_index(padding_idx, weight.shape[0], RuntimeError)
    ids, offset_array = _bags(ids, offsets, include_last_offset, weight.shape[0])
    _renorm_rows_(weight, ids, max_norm, norm_type, "embedding_bag")  # (the padding rows too, as PyTorch)
    if padding_idx is not None:
        ids, offset_array, samples = _without_padding(ids, offset_array, samples, padding_idx, weight.shape[0])
    mark_passed(offset_array, ("offsets", ids.size))  # (_bags refused empty offsets for ids)
    ids, offset_array = Tensor._wrap(ids, False, None), Tensor._wrap(offset_array, False, None)
    if samples is not None:
        return apply(ops.WeightedEmbeddingBag, weight, ids, offset_array, samples, sparse=sparse,
                     scale_grad_by_freq=bool(scale_grad_by_freq))
    if mode == "max":
        return apply(ops.EmbeddingBagMax, weight, ids, offset_array)
    return apply(ops.EmbeddingBag, weight, ids, offset_array, mode=mode, sparse=sparse,
                 scale_grad_by_freq=bool(scale_grad_by_freq))


def _per_sample_weights(per_sample_weights, ids_shape: tuple, dtype: np.dtype) -> Tensor | None:
    """embedding_bag's per_sample_weights as a flat tensor of the weight's dtype (a tensor keeps its graph)."""
    if per_sample_weights is None:
        return None
    check_tensors("embedding_bag", per_sample_weights=per_sample_weights)
    samples = per_sample_weights
    if samples.shape != ids_shape:
        raise ValueError(f"embedding_bag: per_sample_weights must have the input's shape {ids_shape}, got shape "
                         f"{samples.shape}")
    if samples.dtype != dtype:  # (PyTorch raises too: no silent promotion)
        raise TypeError(f"embedding_bag: per_sample_weights must have the weight's dtype {dtype}, got dtype "
                        f"{samples.dtype}")
    return samples.reshape(-1)


def _bags(ids: np.ndarray, offsets, include_last_offset: bool, num_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """embedding_bag's input as flat ids and the start of each bag (int64, checked)."""
    if ids.ndim == 2:  # B bags of L ids; include_last_offset does not apply (as PyTorch)
        if offsets is not None:
            raise ValueError("embedding_bag: offsets must be None when input is 2-D (B, L)")
        if ids.shape[1] == 0:  # (PyTorch raises too; empty bags are spelled with a 1-D input and offsets)
            raise ValueError(f"embedding_bag: a 2-D input needs bags of at least one id, got shape {ids.shape}")
        offset_array = np.arange(0, ids.size, ids.shape[1], dtype=np.int64)
        return mark_passed(ids.reshape(-1), ("index", num_rows, None)), offset_array
    if ids.ndim != 1:
        raise ValueError(f"embedding_bag: input must be 1-D (with offsets) or 2-D, got shape {ids.shape}")
    if offsets is None:
        raise ValueError("embedding_bag: a 1-D input needs offsets (the start of each bag)")
    source = np.asarray(offsets._data if isinstance(offsets, Tensor) else offsets)
    if source.dtype.kind not in "iu":  # a float offset would be truncated to a different bag boundary
        raise TypeError(f"embedding_bag: offsets must be integers (int64 or int32), got dtype {source.dtype}")
    offset_array = np.ascontiguousarray(source, dtype=np.int64)
    if np.may_share_memory(offset_array, source):  # the caller's memory may change before backward
        offset_array = offset_array.copy()
    if offset_array.ndim != 1 or (offset_array.size and (offset_array[0] != 0 or offset_array[-1] > ids.size
                                                         or first_out_of_order(offset_array, False) >= 0)):
        raise ValueError(f"embedding_bag: offsets must be 1-D, start at 0, not decrease and stay <= {ids.size} "
                         f"(the number of ids), got {offset_array.tolist()[:10]}")
    if include_last_offset:
        # PyTorch's CPU kernel would put ids past the last offset into the last bag, its documentation and
        # other devices into none: refused rather than choosing
        if offset_array.size == 0 or offset_array[-1] != ids.size:
            raise ValueError(f"embedding_bag: with include_last_offset=True, offsets needs at least one entry and "
                             f"its last must be the number of ids ({ids.size}), got {offset_array.tolist()[-10:]}")
        return ids, offset_array[:-1]
    if offset_array.size == 0 and ids.size:  # (PyTorch crashes here)
        raise ValueError(f"embedding_bag: offsets is empty, but input has {ids.size} ids to put in bags")
    return ids, offset_array


def _without_padding(ids: np.ndarray, offsets: np.ndarray, samples: Tensor | None, padding_idx: int,
                     num_rows: int) -> tuple[np.ndarray, np.ndarray, Tensor | None]:
    """The bags with every id equal to padding_idx taken out (so an all-padding bag is empty and gives 0),
    and the per-sample weights that go with the ids kept (their gradient at the padding positions is 0)."""
    keep = ids != padding_idx
    if keep.all():
        return ids, offsets, samples
    kept_before = np.concatenate(([0], np.cumsum(keep)))  # ids kept before each position
    kept = np.flatnonzero(keep)
    return (mark_passed(ids[kept], ("index", num_rows, None)), kept_before[offsets],
            None if samples is None else samples[Tensor._wrap(kept, False, None)])


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """Rows of the identity at int64 class values, each in [0, num_classes) (num_classes -1: the largest value
    + 1); refused with PyTorch's RuntimeError."""
    check_tensors("one_hot", input=tensor)
    array = tensor._data
    _check_id_dtype(array, "one_hot input", (np.int64,))
    if num_classes == -1:
        if not array.size:
            raise RuntimeError("one_hot: cannot infer the number of classes (num_classes=-1) from an empty tensor")
        num_classes = int(array.max()) + 1
    if num_classes < 0:  # (PyTorch's message: its class values are then never smaller than num_classes)
        raise RuntimeError(f"one_hot: num_classes must be -1 or >= 0, got {num_classes}")
    ids = _ids(array, num_classes, "one_hot input", out_of_range=RuntimeError)
    return Tensor._wrap(np.eye(num_classes, dtype=np.int64)[ids], False, None)


# -- recurrent layers: each function runs one layer in one direction over a whole sequence ---------------
def _layer_biases(name: str, input: Tensor, states: dict[str, Tensor], weight_ih: Tensor, weight_hh: Tensor,
                  bias_ih: Tensor | None, bias_hh: Tensor | None, gate_count: int) -> tuple[Tensor, Tensor]:
    """Check one layer's arguments (weights hold `gate_count` blocks of `hidden` rows); returns the two
    biases, zeros where None."""
    if input.ndim != 3:
        raise ValueError(f"{name}: input has shape {input.shape}, expected a 3-D (T, B, I) sequence")
    if weight_hh.ndim != 2 or weight_hh.shape[0] != gate_count * weight_hh.shape[1]:
        raise ValueError(f"{name}: weight_hh has shape {weight_hh.shape}, expected ({gate_count} * hidden, hidden)")
    hidden = weight_hh.shape[1]
    rows = gate_count * hidden
    if weight_ih.shape != (rows, input.shape[2]):
        raise ValueError(f"{name}: weight_ih has shape {weight_ih.shape}, expected ({gate_count} * hidden, input "
                         f"size) = ({rows}, {input.shape[2]}) for input of shape {input.shape}")
    for state_name, state in states.items():
        if state.shape != (input.shape[1], hidden):
            raise ValueError(f"{name}: {state_name} has shape {state.shape}, expected (batch, hidden) = "
                             f"({input.shape[1]}, {hidden})")
    for bias_name, bias in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if bias is not None and bias.shape != (rows,):
            raise ValueError(f"{name}: {bias_name} has shape {bias.shape}, expected ({rows},)")
    arguments = {"input": input, **states, "weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih,
                 "bias_hh": bias_hh}
    for argument_name, argument in arguments.items():  # (NumPy would promote silently; PyTorch raises)
        if argument is not None and argument.dtype != weight_ih.dtype:
            raise RuntimeError(f"{name}: {argument_name} has dtype {argument.dtype}, expected the weights' dtype "
                               f"{weight_ih.dtype}")
    zeros = Tensor._wrap(np.zeros(rows, dtype=weight_ih.dtype), False, None)
    return (bias_ih if bias_ih is not None else zeros), (bias_hh if bias_hh is not None else zeros)


def _sequence_lengths(name: str, lengths, input: Tensor) -> np.ndarray | None:
    """`lengths` as an int64 array (B,) of valid step counts, each in [1, T]; None stays None."""
    if lengths is None:
        return None
    array = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths)
    steps, batch = input.shape[:2]
    if array.dtype.kind not in "iu" or array.shape != (batch,):
        raise ValueError(f"{name}: lengths must be {batch} integers (one per sequence of input {input.shape}), got "
                         f"dtype {array.dtype} and shape {array.shape}")
    if array.size and (array.min() < 1 or array.max() > steps):
        raise ValueError(f"{name}: lengths must lie in [1, {steps}] (the input's time steps), got {array.tolist()}")
    return array.astype(np.int64)


def _within_lengths(run, input: Tensor, lengths: np.ndarray | None, reverse: bool) -> Tensor:
    """run(input, reverse, batch) -> the states of every step, time on axis -3 ((T, B, H), or (2, T, B, H) for
    h and c), from the initial states of the sequences `batch` (an index array; None: all), over sequences whose
    valid steps come first and whose padding follows. The forward direction reaches each valid step before any
    padding, so it runs as it is; the reverse direction must start at each sequence's own last valid step, so
    each sequence's valid steps are reversed in place (a per-sequence gather, its own inverse), run forward, and
    reversed back. Padding never reaches a valid step; the states computed on it are set to zero.

    Unless a state the padding reads is not finite (an infinite or NaN initial state, or one that overflows on
    the padding): the backward through the padding would multiply its zero gradients by it (0 * inf = NaN) and
    carry NaN into the valid steps, where PyTorch, which never runs the padding, has none. Then each group of
    sequences of one length runs over its valid steps alone."""
    if lengths is None:
        return run(input, reverse, None)
    step = np.arange(input.shape[0])[:, None]
    valid = step < lengths  # (T, B)
    if reverse:
        time = np.where(valid, lengths - 1 - step, step)
        batch = np.broadcast_to(np.arange(len(lengths)), time.shape)
        input = input[time, batch]
    states = run(input, False, None)
    read_by_padding = (step >= lengths - 1) & (lengths < input.shape[0])  # (T, B): a padded step reads these
    if not np.isfinite(states._data[..., read_by_padding, :]).all():
        states = _by_length(run, input, lengths)
    if reverse:
        states = states[..., time, batch, :]
    return states.masked_fill(Tensor._from_data(~valid[:, :, None]), 0.0)


def _by_length(run, input: Tensor, lengths: np.ndarray) -> Tensor:
    """The states of every step as _within_lengths's, each group of sequences of one length run over its own
    valid steps only (one run per distinct length), zeros on the padding."""
    from fastgrad.functions import cat  # (fastgrad.functions imports this module's package)

    parts, members = [], []
    for length in np.unique(lengths):
        group = np.nonzero(lengths == length)[0]
        part = run(input[:length, group], False, group)
        if length < input.shape[0]:
            padding = part.shape[:-3] + (input.shape[0] - length,) + part.shape[-2:]
            part = cat([part, Tensor._from_data(np.zeros(padding, dtype=part.dtype))], dim=-3)
        parts.append(part), members.append(group)
    return cat(parts, dim=-2)[..., np.argsort(np.concatenate(members)), :]


def _of_batch(state: Tensor, batch: np.ndarray | None) -> Tensor:
    """The initial states (B, H) of the sequences `batch` (all for None)."""
    return state if batch is None else state[batch]


def _final_states(states: Tensor, reverse: bool, lengths: np.ndarray | None) -> Tensor:
    """Each sequence's state after the last step its direction reads, from the states of every step (time
    on axis -3): step 0 in reverse, else step T - 1, or each sequence's lengths - 1."""
    if reverse:
        return states[..., 0, :, :]
    if lengths is None:
        return states[..., -1, :, :]
    return states[..., lengths - 1, np.arange(len(lengths)), :]


def rnn(input: Tensor, hx: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None = None,
        bias_hh: Tensor | None = None, nonlinearity: str = "tanh", reverse: bool = False, lengths=None) -> Tensor:
    """One Elman layer over a whole sequence: input (T, B, I), hx (B, H) -> every hidden state (T, B, H).
    With `reverse` the layer reads the sequence from its last step to its first (the second direction of
    a bidirectional layer); output[t] still belongs to input[t], and its final state is output[0].
    With `lengths` (B integers in [1, T]) sequence b holds lengths[b] valid steps followed by padding:
    its final state is output[lengths[b] - 1, b] (output[0, b] in reverse, which starts at its last valid
    step), and the output on its padding is zero."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    biases = _layer_biases("rnn", input, {"hx": hx}, weight_ih, weight_hh, bias_ih, bias_hh, 1)
    return _within_lengths(lambda x, backwards, batch: apply(ops.RNN, x, _of_batch(hx, batch), weight_ih, weight_hh,
                                                             *biases, nonlinearity=nonlinearity, reverse=backwards),
                           input, _sequence_lengths("rnn", lengths, input), bool(reverse))


def gru(input: Tensor, hx: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None = None,
        bias_hh: Tensor | None = None, reverse: bool = False, lengths=None) -> Tensor:
    """One GRU layer over a whole sequence, with PyTorch's gates and parameter layout (weight_ih (3H, I) in
    the order r, z, n): input (T, B, I), hx (B, H) -> every hidden state (T, B, H). `reverse` and `lengths`
    as in `rnn`."""
    biases = _layer_biases("gru", input, {"hx": hx}, weight_ih, weight_hh, bias_ih, bias_hh, 3)
    return _within_lengths(lambda x, backwards, batch: apply(ops.GRU, x, _of_batch(hx, batch), weight_ih, weight_hh,
                                                             *biases, reverse=backwards),
                           input, _sequence_lengths("gru", lengths, input), bool(reverse))


def lstm(input: Tensor, hx: tuple[Tensor, Tensor], weight_ih: Tensor, weight_hh: Tensor,
         bias_ih: Tensor | None = None, bias_hh: Tensor | None = None,
         reverse: bool = False, lengths=None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """One LSTM layer over a whole sequence, with PyTorch's gates and parameter layout (weight_ih (4H, I) in
    the order i, f, g, o): input (T, B, I), hx = (h_0, c_0), each (B, H) -> (output (T, B, H), the hidden
    state of every step, and (h_n, c_n), the final states). `reverse` and `lengths` as in `rnn`: with
    lengths, (h_n, c_n) are each sequence's states after its last valid step read."""
    if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
        raise TypeError(f"lstm: hx must be a pair (h_0, c_0) of (batch, hidden) tensors, got {type(hx).__name__}")
    h0, c0 = hx
    biases = _layer_biases("lstm", input, {"h_0": h0, "c_0": c0}, weight_ih, weight_hh, bias_ih, bias_hh, 4)
    lengths = _sequence_lengths("lstm", lengths, input)
    states = _within_lengths(lambda x, backwards, batch: apply(ops.LSTM, x, _of_batch(h0, batch), _of_batch(c0, batch),
                                                               weight_ih, weight_hh, *biases, reverse=backwards),
                             input, lengths, bool(reverse))
    if input.shape[0] == 0:  # no steps: the final states are the initial ones
        return states[0], (h0, c0)
    final = _final_states(states, bool(reverse), lengths)
    return states[0], (final[0], final[1])


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the trailing dims: `pad` holds (before, after) widths for the last dim, then the one before it,
    and so on; negative widths crop. Modes, as PyTorch's:
    - "constant": `value` (0 by default), any number of dims;
    - "reflect": the input mirrored at its edges without repeating them (widths below the dim's size);
    - "replicate": the edge values repeated;
    - "circular": the input wrapped around (widths at most the dim's size), after any cropping.
    The last three pad 1, 2 or 3 trailing dims of a batched or unbatched input: 2 widths need a 2-D or 3-D
    input, 4 a 3-D or 4-D one, 6 a 4-D or 5-D one. They gather the input along each padded dim by an
    index (index_select), so their gradients add each copy's gradient back to the element it copies."""
    if mode not in _PAD_INDEX and mode != "constant":
        raise NotImplementedError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    widths = tuple(pad)
    if not all(isinstance(w, (int, np.integer)) and not isinstance(w, bool) for w in widths):
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}")
    if len(widths) % 2:
        raise RuntimeError(f"pad: the padding length must be divisible by 2 (before, after pairs), got {len(widths)}")
    if len(widths) // 2 > input.ndim:
        raise RuntimeError(f"pad: padding length {len(widths)} pads {len(widths) // 2} dims, but the input has "
                           f"{input.ndim} (shape {input.shape})")
    per_dim = [(0, 0)] * input.ndim
    for k in range(len(widths) // 2):
        per_dim[input.ndim - 1 - k] = (int(widths[2 * k]), int(widths[2 * k + 1]))
    if mode != "constant":
        return _pad_by_index(input, per_dim, len(widths) // 2, mode, value)
    for dim, (n, (before, after)) in enumerate(zip(input.shape, per_dim)):
        if n + min(before, 0) + min(after, 0) < 0:  # PyTorch crops first: both crops must fit in the size
            raise RuntimeError(f"pad: padding ({before}, {after}) of dim {dim} (size {n}) crops more than its size")
    return apply(ops.ConstantPad, input, widths=tuple(per_dim), value=0 if value is None else value)


def _pad_by_index(input: Tensor, per_dim: list[tuple[int, int]], padded_dims: int, mode: str, value) -> Tensor:
    """pad's reflect, replicate and circular modes: PyTorch's checks, then one gather per padded dim."""
    if value is not None and value != 0:
        raise RuntimeError(f"pad: mode {mode!r} takes no value (it copies the input's), got value={value!r}")
    if not 1 <= padded_dims <= 3 or input.ndim not in (padded_dims + 1, padded_dims + 2):
        raise NotImplementedError(f"pad: mode {mode!r} pads 1, 2 or 3 trailing dims of an input with one or two "
                                  f"more dims (channels, and maybe a batch): padding of length {2 * padded_dims} "
                                  f"needs a {padded_dims + 1}-D or {padded_dims + 2}-D input, got shape {input.shape}")
    if mode != "circular" and input.dtype.kind == "b":
        raise NotImplementedError(f"pad: mode {mode!r} is not implemented for bool inputs (as in PyTorch), got dtype "
                                  "bool")
    batched = input.ndim == padded_dims + 2
    if mode != "circular" and 0 in input.shape[int(batched):]:
        raise RuntimeError(f"pad: mode {mode!r} needs non-empty dims (a batch dim may be empty), got shape "
                           f"{input.shape}")
    out = input
    for dim in range(input.ndim - padded_dims, input.ndim):
        before, after = per_dim[dim]
        if before or after:
            index = _PAD_INDEX[mode](input.shape[dim], before, after, dim)
            out = out.index_select(dim, Tensor._from_data(index))
    return out


def _check_padded_size(mode: str, size: int, before: int, after: int, dim: int, smallest: int) -> int:
    padded = size + before + after
    if padded < smallest:
        raise RuntimeError(f"pad: padding ({before}, {after}) of dim {dim} (size {size}) gives size {padded}; mode "
                           f"{mode!r} needs at least {smallest}")
    return padded


def _reflect_index(size: int, before: int, after: int, dim: int) -> np.ndarray:
    """Each output position's source: its place in the input's coordinates, mirrored at 0 and size - 1."""
    if before >= size or after >= size:
        raise RuntimeError(f"pad: reflect padding must be smaller than the padded dim, got ({before}, {after}) for dim "
                           f"{dim} of size {size}")
    position = np.abs(np.arange(_check_padded_size("reflect", size, before, after, dim, 1)) - before)
    return np.where(position > size - 1, 2 * (size - 1) - position, position)


def _replicate_index(size: int, before: int, after: int, dim: int) -> np.ndarray:
    """Each output position's source: its place in the input's coordinates, clamped to the input."""
    return np.clip(np.arange(_check_padded_size("replicate", size, before, after, dim, 1)) - before, 0, size - 1)


def _circular_index(size: int, before: int, after: int, dim: int) -> np.ndarray:
    """Negative widths crop first; the positive ones then wrap around what is left, as PyTorch's. Each width
    must be at most the dim's size (PyTorch's rule) and the part left (where PyTorch would read
    uninitialized memory)."""
    padded = _check_padded_size("circular", size, before, after, dim, 0)
    first, kept = max(-before, 0), size - max(-before, 0) - max(-after, 0)
    if max(before, after) > size or (padded and max(before, after) > kept):
        raise RuntimeError(f"pad: circular padding ({before}, {after}) of dim {dim} (size {size}) wraps around more "
                           f"than once: each width must be at most the size left after cropping, {max(kept, 0)}")
    return first + (np.arange(padded) - max(before, 0)) % max(kept, 1)


_PAD_INDEX = {"reflect": _reflect_index, "replicate": _replicate_index, "circular": _circular_index}


def crf_log_partition(emissions: Tensor, lengths, transitions: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """log Z of a linear-chain CRF for each of B sentences (the forward algorithm; not a PyTorch function):
    emissions (N, K) are the sentences' tag scores stacked, `lengths` (B,) their token counts (each >= 1,
    summing to N), transitions (K, K) the score of tag j after tag i, start/end (K,) the scores of the first
    and last tags. -inf scores forbid a transition. Returns (B,); the gradient is the tag marginals."""
    lengths = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths)
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu":
        raise TypeError(f"crf_log_partition: lengths must be a 1-D integer array, got dtype {lengths.dtype} "
                        f"and shape {lengths.shape}")
    if emissions.ndim != 2:
        raise ValueError(f"crf_log_partition: emissions must be (N, K), got shape {tuple(emissions.shape)}")
    tags = emissions.shape[1]
    for name, value, shape in (("transitions", transitions, (tags, tags)), ("start", start, (tags,)),
                               ("end", end, (tags,))):
        if tuple(value.shape) != shape:
            raise ValueError(f"crf_log_partition: {name} must have shape {shape} for {tags} tags, "
                             f"got {tuple(value.shape)}")
    if lengths.size and lengths.min() < 1:
        raise ValueError(f"crf_log_partition: every sentence needs a token, got a length of {int(lengths.min())}")
    if int(lengths.sum()) != emissions.shape[0]:
        raise ValueError(f"crf_log_partition: lengths add up to {int(lengths.sum())}, but emissions has "
                         f"{emissions.shape[0]} rows")
    # One floating dtype for the four, promoted as PyTorch's arithmetic would (the compiled kernels need one).
    scores = (emissions, transitions, start, end)
    dtype = np.result_type(*(score.dtype for score in scores))
    if dtype.kind != "f":
        raise TypeError(f"crf_log_partition: scores must be floating point, got dtypes "
                        f"{[str(score.dtype) for score in scores]}")
    scores = tuple(score if score.dtype == dtype else score.to(dtype) for score in scores)
    return apply(ops.CRFLogPartition, *scores, lengths=lengths.astype(np.int64))


# -- convolution and pooling over time (Kim 2014's sentence CNN) ---------------------------------------
def _sizes(name: str, value, dims: int, low: int) -> tuple[int, ...]:
    """A size argument of a `dims`-D layer: one int for every dim, or a tuple of `dims` ints (a 1-D layer
    stores 1-tuples, as PyTorch's; a 1-tuple counts for every dim, as PyTorch accepts), each at least `low`."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    values = values * dims if len(values) == 1 else values
    if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
        raise TypeError(f"{name} must be an int or a tuple of {dims} int{'s' if dims > 1 else ''}, got {value!r}")
    if len(values) != dims:  # (PyTorch's argument parser takes it; the op then raises RuntimeError)
        raise RuntimeError(f"{name} must be an int or a tuple of {dims} int{'s' if dims > 1 else ''}, got {value!r}")
    for v in values:
        if v < low:
            raise RuntimeError(f"{name} must be at least {low}, got {v}")
    return tuple(int(v) for v in values)


def _one_int(name: str, value, low: int) -> int:
    """An int argument (or a 1-tuple of one, as PyTorch's 1-D layers store them) of at least `low`."""
    return _sizes(name, value, 1, low)[0]


def _spatial_input(name: str, input: Tensor, dims: int) -> tuple[Tensor, bool]:
    """(N, C, *spatial) as it is, or an unbatched (C, *spatial) with a batch dim of 1 added; and whether
    it was added."""
    spatial = "L" if dims == 1 else ", ".join("DHW"[3 - dims:])
    expected = f"a {dims + 1}-D (C, {spatial}) or {dims + 2}-D (N, C, {spatial}) input"
    if not isinstance(input, Tensor):  # (PyTorch's argument parser: TypeError)
        raise TypeError(f"{name}: expected {expected}, got {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}: expected {expected}, got {input.shape}")
    return (input, False) if input.ndim == dims + 2 else (input.unsqueeze(0), True)


def _check_dims_read(name: str, input, count: int) -> None:
    """An input of fewer than `count` dims raises IndexError, as PyTorch's ops that read its dim -count (the
    channels of an unbatched image) before they check its rank do (its other ops raise RuntimeError)."""
    if isinstance(input, Tensor) and input.ndim < count:
        raise IndexError(f"{name}: dimension out of range: expected an input of at least {count} dims, got shape "
                         f"{tuple(input.shape)}")


def _padding_sides(name: str, padding, spans: list, stride: tuple) -> list:
    """(before, after) per spatial dim for a convolution's `padding` (numbers, "valid" or "same") and its
    kernels' spans (dilation * (size - 1) + 1); "same" puts the odd element after, as PyTorch does."""
    if padding == "same":
        if any(s != 1 for s in stride):
            raise RuntimeError(f"{name}: padding='same' needs stride 1 (as in PyTorch)")
        return [((span - 1) // 2, span - 1 - (span - 1) // 2) for span in spans]
    if padding == "valid":
        return [(0, 0)] * len(spans)
    if isinstance(padding, str):
        raise RuntimeError(f"{name}: padding must be an int, a tuple of ints, 'valid' or 'same', got {padding!r}")
    return [(p, p) for p in _sizes(f"{name}: padding", padding, len(spans), 0)]


def _check_bias(name: str, bias) -> None:
    """A convolution's bias is a tensor or None (a size given where it was meant raises TypeError, as PyTorch's)."""
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{name}: bias must be a Tensor or None, got {type(bias).__name__}")


def _convolution(name: str, input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation, groups,
                 dims: int) -> Tensor:
    """The `dims`-D cross-correlation behind conv1d and conv2d: zero padding, then every window of the
    kernel's span (unfold per spatial dim, dilation as a step within the window) contracted with the
    kernels by einsum, per group."""
    x, unbatched = _spatial_input(name, input, dims)
    if not isinstance(weight, Tensor) or weight.ndim != dims + 2:
        kernel = "K" if dims == 1 else ", ".join(f"K{'HW'[d]}" for d in range(dims))
        raise RuntimeError(f"{name}: weight must be a {dims + 2}-D tensor (C_out, C_in / groups, {kernel}), got "
                           f"{weight.shape if isinstance(weight, Tensor) else type(weight).__name__}")
    stride, dilation = _sizes(f"{name}: stride", stride, dims, 1), _sizes(f"{name}: dilation", dilation, dims, 1)
    groups = _one_int(f"{name}: groups", groups, 1)
    out_channels, group_channels, *kernel = weight.shape
    if x.shape[1] != group_channels * groups or out_channels % groups:
        raise RuntimeError(f"{name}: weight of shape {weight.shape} with groups={groups} expects input with "
                           f"{group_channels * groups} channels and out channels divisible by groups; got input of "
                           f"shape {input.shape}")
    _check_bias(name, bias)
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise RuntimeError(f"{name}: input, weight and bias must have one dtype, got {x.dtype}, {weight.dtype}"
                           + (f" and {bias.dtype}" if bias is not None else ""))
    if bias is not None and bias.shape != (out_channels,):
        raise RuntimeError(f"{name}: bias must have shape ({out_channels},) for weight {weight.shape}, got "
                           f"{bias.shape}")
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    sides = _padding_sides(name, padding, spans, stride)
    for d, ((left, right), span) in enumerate(zip(sides, spans)):
        if x.shape[2 + d] + left + right < span:
            raise RuntimeError(f"{name}: the padded input size {x.shape[2 + d] + left + right} (spatial dim {d}) is "
                               f"smaller than the kernel's span {span}")
    if any(left or right for left, right in sides):
        x = pad(x, tuple(size for side in reversed(sides) for size in side))  # pad lists the last dim first
    windows = x
    for d in range(dims):  # (N, C_in, *out_sizes, *kernel): one window axis appended per spatial dim
        windows = windows.unfold(2 + d, spans[d], stride[d])[..., ::dilation[d]]
    n, out_sizes = windows.shape[0], tuple(windows.shape[2:2 + dims])
    windows = windows.reshape(n, groups, group_channels, *out_sizes, *kernel)
    kernels = weight.reshape(groups, out_channels // groups, group_channels, *kernel)
    spatial, taps = "hwd"[:dims], "ijk"[:dims]
    out = einsum(f"ngc{spatial}{taps},goc{taps}->ngo{spatial}", windows, kernels).reshape(n, out_channels, *out_sizes)
    if bias is not None:
        out = out + bias.reshape(out_channels, *(1,) * dims)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """The 1-D cross-correlation of input (N, C_in, L) with weight (C_out, C_in / groups, K), plus bias
    (C_out,): out[n, o, t] = sum over c, k of input[n, c, t * stride + k * dilation] * weight[o, c, k]
    (after zero padding). `padding` is a number of zeros on each side, "valid" (none) or "same" (the
    input's length; stride 1 only). Built from pad, unfold and einsum, so its gradients are theirs."""
    return _convolution("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """The 2-D cross-correlation of input (N, C_in, H, W) with weight (C_out, C_in / groups, KH, KW), plus
    bias, as conv1d per spatial dim (stride, padding and dilation: an int or a pair). Kim (2014)'s CNN is
    often written with it: a (N, 1, L, E) sentence and kernels of (k, E)."""
    return _convolution("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


def _pool_windows(name: str, input: Tensor, dims: int, kernel_size, stride, padding, dilation, ceil_mode: bool,
                  fill: float | None, integers: str) -> tuple[Tensor, bool, dict]:
    """Every pooling window of a (N, C, *spatial) or unbatched (C, *spatial) input, flattened on the last
    axis: (N, C, *out_sizes, prod(kernel_size)), after padding `padding` on the left of each spatial dim and
    as much as the last window needs on the right with `fill` (None: the lowest value of the input's
    dtype, -inf for floats). Besides floats, the input may have the integer dtypes `integers` names
    ("all", or one dtype's name) and no other, as PyTorch's kernels take. Also whether a batch dim was
    added, and the geometry per dim (kernel, stride, padding, dilation, input and output sizes). A window
    spans dilation (kernel - 1) + 1 elements, and windows are stride apart (kernel_size when stride is
    None); with ceil_mode a last partial window counts, unless it would start in the right padding
    (PyTorch's rule)."""
    x, unbatched = _spatial_input(name, input, dims)
    if 0 in input.shape[-(dims + 1):]:  # (an empty batch is taken; an unbatched input has none)
        raise RuntimeError(f"{name}: expected an input with non-empty channel and spatial dims, got shape "
                           f"{input.shape}")
    taken = x.dtype.kind == "f" or (x.dtype.kind in "iu" and integers in ("all", x.dtype.name))
    if not taken:
        expected = "floating point" + ("" if integers == "all" else f" or {integers}")
        raise NotImplementedError(f"{name}: expected a {expected} input, got dtype {x.dtype}")
    if fill is None:
        fill = np.iinfo(x.dtype).min if x.dtype.kind in "iu" else -np.inf
    kernel = _sizes(f"{name}: kernel_size", kernel_size, dims, 1)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    stride = kernel if no_stride else _sizes(f"{name}: stride", stride, dims, 1)
    padding, dilation = _sizes(f"{name}: padding", padding, dims, 0), _sizes(f"{name}: dilation", dilation, dims, 1)
    sizes, counts, rights = x.shape[2:], [], []
    for k, s, p, d, length in zip(kernel, stride, padding, dilation, sizes):
        if p > k // 2:
            raise RuntimeError(f"{name}: padding should be at most half of kernel_size, got padding={padding} and "
                               f"kernel_size={kernel}")
        span = d * (k - 1) + 1
        reach = length + 2 * p - span
        count = (-(-reach // s) if ceil_mode else reach // s) + 1
        if ceil_mode and (count - 1) * s >= length + p:
            count -= 1  # a last window may not start in the right padding
        if count < 1:
            raise RuntimeError(f"{name}: input size {tuple(sizes)} gives no window of kernel_size {kernel} "
                               f"(dilation {dilation}, padding {padding})")
        counts.append(count)
        rights.append(max(0, (count - 1) * s + span - length - p))
    if any(padding) or any(rights):
        x = pad(x, tuple(w for p, r in zip(reversed(padding), reversed(rights)) for w in (p, r)), value=fill)
    windows = x
    for axis, (k, s, d, count) in enumerate(zip(kernel, stride, dilation, counts)):  # one window axis per dim
        windows = windows.unfold(2 + axis, d * (k - 1) + 1, s).narrow(2 + axis, 0, count)[..., ::d]
    # (the window size, not -1: reshape cannot infer a size from an input of 0 elements)
    windows = windows.reshape(*windows.shape[:2 + dims], int(np.prod(kernel, dtype=np.int64)))
    geometry = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation, sizes=tuple(sizes),
                    counts=tuple(counts))
    return windows, unbatched, geometry


def _max_pool(name: str, input: Tensor, dims: int, kernel_size, stride, padding, dilation, ceil_mode: bool,
              return_indices: bool):
    """The maximum of each window (see _pool_windows, padding with the dtype's lowest value); each window's
    gradient goes to its first maximum in row-major order, as PyTorch's. The indices are positions in the
    flattened spatial dims of the input. Integers are pooled as PyTorch 2.13 pools them: in 2-D, and in 1-D
    only with return_indices (its other 1-D kernel, which lp_pool1d's p = +-inf calls too, refuses them)."""
    if dims == 1 and not return_indices and input.dtype.kind in "iu":
        raise NotImplementedError(f"{name}: expected a floating point input without return_indices (PyTorch's kernel "
                                  f"takes integers only with return_indices=True), got dtype {input.dtype}")
    windows, unbatched, g = _pool_windows(name, input, dims, kernel_size, stride, padding, dilation, ceil_mode, None,
                                          "all")
    values, positions = windows.max(dim=-1)
    if any(g["padding"]) and windows._data.dtype.kind == "f" and np.isneginf(values._data).any():
        # (rare) a window whose values are all -inf ties its padding, which max takes when it comes first: its
        # gradient would be lost in the padding; PyTorch's kernel gives it to the window's first place in the input
        lost = np.isneginf(values._data)
        positions = Tensor._from_data(np.where(lost, _first_places_in_windows(g), positions._data))
        values = windows.gather(-1, positions.unsqueeze(-1)).squeeze(-1)
    if unbatched:
        values, positions = values.squeeze(0), positions.squeeze(0)
    if not return_indices:
        return values
    offsets = np.unravel_index(positions._data, g["kernel"])  # each maximum's place in its window, per dim
    coordinates, firsts, inside = [], [], True
    for axis, (size, stride_, pad_, dilation_) in enumerate(zip(g["sizes"], g["stride"], g["padding"], g["dilation"])):
        starts = np.arange(g["counts"][axis]) * stride_ - pad_
        starts = starts.reshape((-1,) + (1,) * (dims - 1 - axis))  # broadcasts along output dim `axis`
        first = starts + _taps_in_left_padding(starts, dilation_) * dilation_  # the window's first place in the input
        if (first >= size).any():
            raise ValueError(f"{name}: with return_indices, a window covering only padding has no input position to "
                             f"give (kernel_size={g['kernel']}, dilation={g['dilation']}, padding={g['padding']}, "
                             f"input size {g['sizes']}); PyTorch gives a position outside the input there")
        coordinates.append(starts + offsets[axis] * dilation_)
        firsts.append(first)
        inside = inside & (coordinates[-1] >= 0) & (coordinates[-1] < size)
    # a maximum found in the padding ties it (the dtype's lowest value): PyTorch gives the window's first place
    coordinates = [np.where(inside, c, f) for c, f in zip(coordinates, firsts)]
    return values, Tensor._from_data(np.ravel_multi_index(tuple(coordinates), g["sizes"]).astype(np.int64))


def _first_places_in_windows(g: dict) -> np.ndarray:
    """The place of each window's first input element (not padding) in the window's row-major order, shaped as the
    output's spatial dims: per dim, the taps that fall in the left padding."""
    first = np.zeros((), dtype=np.int64)
    for axis, (kernel, stride_, pad_, dilation_, count) in enumerate(
            zip(g["kernel"], g["stride"], g["padding"], g["dilation"], g["counts"])):
        taps = _taps_in_left_padding(np.arange(count) * stride_ - pad_, dilation_)
        first = first * kernel + taps.reshape((-1,) + (1,) * (len(g["kernel"]) - 1 - axis))
    return first


def _taps_in_left_padding(starts: np.ndarray, dilation: int) -> np.ndarray:
    """How many taps of windows starting at `starts` (negative: in the left padding) fall in the padding:
    ceil(max(-start, 0) / dilation)."""
    return -(-np.maximum(-starts, 0) // dilation)


def _avg_pool(name: str, input: Tensor, dims: int, kernel_size, stride, padding, ceil_mode: bool,
              count_include_pad: bool, divisor_override: int | None) -> Tensor:
    """The mean of each window (see _pool_windows, padding with zeros), as PyTorch divides: by the part of
    the window inside the padded input (count_include_pad) or inside the input itself (not), or by
    divisor_override. An int64 input stays int64, its window sums divided as integers (truncated toward
    zero), as PyTorch's kernel divides them; its other integer dtypes are refused."""
    lowest = np.iinfo(np.int64).min
    if dims == 2:
        # PyTorch's 2-D kernel checks how many sizes it got and divisor_override, then reads the channel dim,
        # input.size(-3), then checks the rest; its 1-D one checks the rank first
        for label, value in (("kernel_size", kernel_size), ("stride", stride), ("padding", padding)):
            if value is not None and not (isinstance(value, (tuple, list)) and len(value) == 0):
                _sizes(f"{name}: {label}", value, dims, lowest)
    if divisor_override is not None:  # (PyTorch's takes any but 0, a negative one too)
        divisor_override = _one_int(f"{name}: divisor_override", divisor_override, lowest)
        if divisor_override == 0:
            raise RuntimeError(f"{name}: divisor_override must be a nonzero int, got 0")
    if dims == 2:
        _check_dims_read(name, input, 3)
    windows, unbatched, g = _pool_windows(name, input, dims, kernel_size, stride, padding, 1, ceil_mode, 0, "int64")
    if divisor_override is not None:
        divisor = np.asarray(float(divisor_override))
    else:
        divisor = np.ones((), dtype=np.float64)
        for k, s, p, length, count in zip(g["kernel"], g["stride"], g["padding"], g["sizes"], g["counts"]):
            starts = np.arange(count) * s - p
            ends = np.minimum(starts + k, length + p)  # a window of the last partial (ceil_mode) window is cut
            if not count_include_pad:
                starts, ends = np.maximum(starts, 0), np.minimum(ends, length)
            divisor = divisor[..., None] * (ends - starts)  # outer product over the dims
    sums, divisor = windows.sum(dim=-1), Tensor._from_data(divisor.astype(windows.dtype))
    out = sums / divisor if windows.dtype.kind == "f" else sums.div(divisor, rounding_mode="trunc")
    return out.squeeze(0) if unbatched else out


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """The maximum of each window of kernel_size elements (dilation apart), stride apart (kernel_size by
    default), over the last dim of (N, C, L) or (C, L), after padding both ends with -inf; with ceil_mode
    a last partial window counts. Each window's gradient goes to its first maximum, as in PyTorch.
    `F.max_pool1d(x, x.size(2))` is max-pooling over time. With return_indices, also the positions."""
    return _max_pool("max_pool1d", input, 1, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """max_pool1d over the last two dims of (N, C, H, W) or (C, H, W): each size argument is an int or a
    pair. The indices (return_indices) are positions in the flattened H * W plane, as PyTorch's."""
    return _max_pool("max_pool2d", input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """The mean of each window of kernel_size elements, stride apart (kernel_size by default), over the last
    dim of (N, C, L) or (C, L), after zero padding of both ends; the zeros count in the mean unless
    count_include_pad=False. With ceil_mode a last partial window counts (divided by its own size)."""
    return _avg_pool("avg_pool1d", input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """avg_pool1d over the last two dims of (N, C, H, W) or (C, H, W) (each size an int or a pair);
    divisor_override, when given, divides every window's sum instead."""
    return _avg_pool("avg_pool2d", input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


# -- attention -------------------------------------------------------------------------------------
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v over the last two dims (..., L, E) x (..., S, E) -> (..., L, Ev), as
    PyTorch's: scale defaults to 1/sqrt(E); a bool attn_mask says which keys each query may attend to
    (True: attend), a float one is added to the scores; is_causal lets query i see keys 0..i; dropout
    (dropout_p, always applied, as PyTorch's) acts on the attention weights. A query that may attend to no
    key gets zeros (and no gradient), as PyTorch's CPU kernel gives, not NaN."""
    name = "scaled_dot_product_attention"
    for label, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.ndim < 2:
            raise RuntimeError(f"{name}: {label} must be a tensor of at least 2 dims (..., length, features), got "
                               f"{t.shape if isinstance(t, Tensor) else type(t).__name__}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{name}: query {query.shape}, key {key.shape} and value {value.shape} do not fit: query "
                           "and key need one feature size, key and value one length")
    try:
        np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise broadcast_error(name, query.shape[:-2], key.shape[:-2], value.shape[:-2]) from None
    if enable_gqa:
        raise NotImplementedError(f"{name}: enable_gqa=True (grouped-query attention) is not implemented")
    if attn_mask is not None and is_causal:
        raise RuntimeError(f"{name}: give attn_mask or is_causal=True, not both (as PyTorch)")
    length, keys = query.shape[-2], key.shape[-2]
    scale = 1.0 / np.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        attn_mask = Tensor._from_data(np.tril(np.ones((length, keys), dtype=bool)))
    blocked_rows = None
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"{name}: attn_mask must be a Tensor or None, got {type(attn_mask).__name__}")
        try:
            np.broadcast_shapes(attn_mask.shape, scores.shape)
        except ValueError:
            raise RuntimeError(f"{name}: attn_mask of shape {attn_mask.shape} does not broadcast to the scores' "
                               f"shape {scores.shape}") from None
        if attn_mask.dtype == np.bool_:
            blocked = ~attn_mask._data
            blocked_rows = blocked.all(axis=-1, keepdims=True)
            # rows with no allowed key keep finite scores (their weights are zeroed below): no NaN anywhere
            scores = scores.masked_fill(Tensor._from_data(blocked & ~blocked_rows), float("-inf"))
        else:
            if attn_mask.dtype != query.dtype:
                raise RuntimeError(f"{name}: attn_mask must be bool or of the query's dtype {query.dtype}, got "
                                   f"{attn_mask.dtype} (as PyTorch)")
            scores = scores + attn_mask
            # a row that the mask blocks entirely (all -inf) gets zeros too, as PyTorch's: not NaN
            blocked_rows = np.isneginf(scores._data).all(axis=-1, keepdims=True)
            if blocked_rows.any():
                scores = scores.masked_fill(Tensor._from_data(np.broadcast_to(blocked_rows, scores.shape)), 0.0)
    weights = softmax(scores, dim=-1)
    if blocked_rows is not None and blocked_rows.any():
        weights = weights.masked_fill(Tensor._from_data(np.broadcast_to(blocked_rows, weights.shape)), 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ value


# Built on the functions above, so imported last; PyTorch users call them as F.multi_head_attention_forward
# and F.ctc_loss.
from fastgrad.nn.multi_head_attention import multi_head_attention_forward  # noqa: E402,F401
from fastgrad.nn.ctc import ctc_loss  # noqa: E402,F401
from fastgrad.nn.fold import conv_transpose1d, conv_transpose2d, fold, unfold  # noqa: E402,F401
from fastgrad.nn.interpolate import interpolate, upsample, upsample_bilinear, upsample_nearest  # noqa: E402,F401


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distance between every pair of rows i < j of an (N, M) input, in row-major order: the upper
    triangle of cdist(input, input), N (N - 1) / 2 values. As PyTorch's, a zero distance has a zero gradient."""
    _floating(input, "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"pdist: expected a 2-D input (N, M), got shape {input.shape}")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"pdist: p must be a number, got {type(p).__name__} {p!r}")
    if not p >= 0:
        raise RuntimeError(f"pdist: p must be non-negative, got {p}")
    first, second = (Tensor._wrap(rows, False, None) for rows in np.triu_indices(input.shape[0], 1))
    return row_distances(input.index_select(0, first) - input.index_select(0, second), p)
from fastgrad.nn.adaptive_pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d,  # noqa: E402,F401
                                        adaptive_max_pool1d, adaptive_max_pool1d_with_indices, adaptive_max_pool2d,
                                        adaptive_max_pool2d_with_indices)
from fastgrad.nn.pixel_shuffle import (channel_shuffle, native_channel_shuffle, pixel_shuffle,  # noqa: E402,F401
                                     pixel_unshuffle)
from fastgrad.nn.lp_pool import lp_pool1d, lp_pool2d  # noqa: E402,F401
from fastgrad.nn.local_response_norm import local_response_norm  # noqa: E402,F401
from fastgrad.nn.unpool import (max_pool1d_with_indices, max_pool2d_with_indices, max_unpool1d,  # noqa: E402,F401
                             max_unpool2d)
