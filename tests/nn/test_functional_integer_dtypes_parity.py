"""nn functions given integer and bool tensors, against PyTorch 2.13: where PyTorch refuses a dtype fastgrad
refuses it too (naming the argument and the dtype expected and got), and where PyTorch computes fastgrad
returns its dtype and values."""
import numpy as np
import pytest

import fastgrad
from tests.parity_outcomes import same_exception_type
import fastgrad.nn.functional as F
from fastgrad import nn

torch = pytest.importorskip("torch")

INTEGERS = [np.int64, np.int32, np.uint8]
ALL = INTEGERS + [np.bool_]


def outcome(library, fn, arrays):
    """fn's output on `arrays` as library tensors: (dtype name, values), or the exception raised."""
    try:
        out = fn(library, *[library.tensor(a) for a in arrays])
    except (TypeError, ValueError, RuntimeError, NotImplementedError) as error:
        return error
    outs = out if isinstance(out, tuple) else (out,)
    return [(str(o.dtype).removeprefix("torch."), o.tolist()) for o in outs]


def check(fn, *arrays, refusal=None, rtol=0.0):
    """fastgrad's outcome is PyTorch's (floats to rtol); a refusal is of PyTorch's built-in exception type, and its
    message contains `refusal`."""
    ours, theirs = outcome(fastgrad, fn, arrays), outcome(torch, fn, arrays)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"PyTorch raises {theirs!r}, fastgrad returns {ours}"
        if refusal is not None:
            assert same_exception_type(ours, theirs) and refusal in str(ours), f"fastgrad {ours!r}, PyTorch {theirs!r}"
    else:
        assert not isinstance(ours, Exception), f"PyTorch returns {theirs}, fastgrad raises {ours!r}"
        assert [dtype for dtype, _ in ours] == [dtype for dtype, _ in theirs]
        for (_, values), (_, expected) in zip(ours, theirs):
            np.testing.assert_allclose(values, expected, rtol=rtol, atol=0)


def image(dtype, shape=(1, 2, 4, 4)):
    return (np.arange(int(np.prod(shape))) % 7).reshape(shape).astype(dtype)


@pytest.mark.parametrize("dtype", ALL)
def test_glu(dtype):
    name = np.dtype(dtype).name
    check(lambda lib, x: lib.nn.functional.glu(x), np.arange(4).astype(dtype),
          refusal=f"glu: expected a floating point input, got dtype {name}")
    check(lambda lib, x: lib.nn.GLU()(x), np.arange(4).astype(dtype))


@pytest.mark.parametrize("dtype", ALL)
def test_unfold_and_fold_take_floats_and_bools(dtype):
    name = np.dtype(dtype).name
    check(lambda lib, x: lib.nn.functional.unfold(x, 2), image(dtype),
          refusal=f"unfold: expected a floating point or bool input, got dtype {name}")
    check(lambda lib, x: lib.nn.Fold((2, 3), 2)(x), image(dtype, (1, 4, 2)),
          refusal=f"fold: expected a floating point or bool input, got dtype {name}")


@pytest.mark.parametrize("dtype", ALL)
def test_prelu(dtype):
    name = np.dtype(dtype).name
    check(lambda lib, x, w: lib.nn.functional.prelu(x, w), image(dtype), np.ones(1, dtype),
          refusal=f"prelu: expected a floating point input, got dtype {name}")
    check(lambda lib, x: lib.nn.PReLU()(x), image(dtype), refusal=f"got dtype {name}")


@pytest.mark.parametrize("input_dtype, weight_dtype", [(np.float64, np.float32), (np.float32, np.float64),
                                                       (np.float32, np.int64)])
def test_prelu_does_not_promote(input_dtype, weight_dtype):
    check(lambda lib, x, w: lib.nn.functional.prelu(x, w), image(input_dtype), np.ones(1, weight_dtype),
          refusal=f"prelu: weight has dtype {np.dtype(weight_dtype).name}, expected the input's dtype "
                  f"{np.dtype(input_dtype).name}")


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_pad_modes(dtype, mode, dims):
    x = image(dtype, (1, 2) + (3,) * dims)
    check(lambda lib, x: lib.nn.functional.pad(x, (1, 1) * dims, mode=mode), x,
          refusal=f"pad: mode {mode!r} is not implemented for bool inputs")


@pytest.mark.parametrize("module", ["ReflectionPad1d", "ReplicationPad2d", "ReflectionPad3d"])
def test_padding_modules_refuse_bools(module):
    dims = int(module[-2])
    check(lambda lib, x: getattr(lib.nn, module)(1)(x), image(np.bool_, (1, 2) + (3,) * dims), refusal="bool")


@pytest.mark.parametrize("dtypes", [(d, np.float32, np.float32) for d in ALL] + [(np.float32, d, np.float32) for d in ALL] +
                         [(np.float32, np.float32, d) for d in ALL] + [(d, d, d) for d in ALL])
def test_gaussian_nll_loss(dtypes):
    arrays = [np.array([1, 0, 1]).astype(d) for d in dtypes]
    check(lambda lib, x, y, v: lib.nn.functional.gaussian_nll_loss(x, y, v), *arrays, refusal="gaussian_nll_loss: expected")


@pytest.mark.parametrize("dtype", INTEGERS + [np.int8])
@pytest.mark.parametrize("margin", [1.0, 0.5, 1.5, -0.5, 2.7, 300.0, -1.0])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_hinge_embedding_loss_of_integers_keeps_their_dtype(dtype, margin, reduction):
    check(lambda lib, x, y: lib.nn.functional.hinge_embedding_loss(x, y, margin=margin, reduction=reduction),
          np.array([1, 2, 0, 5]).astype(dtype), np.array([1, -1, -1, 0]))


@pytest.mark.parametrize("target_dtype", [np.int64, np.uint8, np.bool_, np.float32])
@pytest.mark.parametrize("input_dtype", [np.float32, np.int32])
def test_hinge_embedding_loss_compares_the_target_in_its_own_dtype(input_dtype, target_dtype):
    """A uint8 target's 255 is PyTorch's -1 (the -1 converted to uint8); a bool target's True is 1."""
    target = np.array([1, -1, -1, 0]).astype(target_dtype)
    check(lambda lib, x, y: lib.nn.HingeEmbeddingLoss(reduction="sum")(x, y), np.array([1, 2, 0, 5]).astype(input_dtype),
          target)


POOLS = {
    "max_pool1d": lambda lib, x: lib.nn.functional.max_pool1d(x[0], 2),
    "max_pool1d indices": lambda lib, x: lib.nn.functional.max_pool1d(x[0], 3, 1, 1, return_indices=True),
    "MaxPool1d indices": lambda lib, x: lib.nn.MaxPool1d(2, return_indices=True)(x[0]),
    "max_pool2d": lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 1, 1),
    "max_pool2d indices": lambda lib, x: lib.nn.functional.max_pool2d(x, 2, return_indices=True),
    "max_pool2d dilated": lambda lib, x: lib.nn.functional.max_pool2d(x, 2, 2, 1, dilation=2, ceil_mode=True,
                                                                      return_indices=True),
    "MaxPool2d": lambda lib, x: lib.nn.MaxPool2d(3, 2, ceil_mode=True)(x),
    "adaptive_max_pool1d": lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x[0], 2, return_indices=True),
    "adaptive_max_pool2d": lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, 3),
}


@pytest.mark.parametrize("dtype", ALL + [np.int8])
@pytest.mark.parametrize("pool", POOLS)
def test_max_pooling(pool, dtype):
    """Integers pool in their dtype (indices int64) where PyTorch's kernels take them: max_pool2d, and
    max_pool1d with return_indices; max_pool1d without it, adaptive pooling and bools are refused."""
    x = image(dtype)
    if dtype != np.bool_ and dtype != np.uint8:
        x = x - 3  # negative values, lower than what padding could be mistaken for
    check(POOLS[pool], x, refusal=f"got dtype {np.dtype(dtype).name}")


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.float32])
@pytest.mark.parametrize("geometry", [dict(kernel_size=2, stride=1, padding=1), dict(kernel_size=3, stride=2, padding=1,
                                                                                        ceil_mode=True)])
def test_max_pool_indices_where_the_maximum_ties_the_padding(dtype, geometry):
    """A window whose maximum is the dtype's lowest value (which the padding holds): PyTorch gives the
    window's first place in the input."""
    lowest = -np.inf if dtype == np.float32 else np.iinfo(dtype).min
    x = np.array([[[lowest, lowest, 5, lowest]]], dtype=dtype)
    check(lambda lib, x: lib.nn.functional.max_pool1d(x, return_indices=True, **geometry), x)
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, return_indices=True, **geometry), x[None])


def test_max_pool_indices_of_a_window_of_padding_only_are_refused():
    """PyTorch gives -inf and a position outside the input; fastgrad keeps the -inf and refuses the index."""
    x = np.ones((1, 1, 1), dtype=np.float32)
    out = F.max_pool1d(fastgrad.tensor(x), 2, stride=1, padding=1, dilation=2)
    assert out.tolist() == torch.nn.functional.max_pool1d(torch.tensor(x), 2, 1, 1, 2).tolist() == [[[-np.inf]]]
    with pytest.raises(ValueError, match="max_pool1d: with return_indices, a window covering only padding"):
        F.max_pool1d(fastgrad.tensor(x), 2, stride=1, padding=1, dilation=2, return_indices=True)
    with pytest.raises(ValueError, match="max_pool2d: with return_indices, a window covering only padding"):
        nn.MaxPool2d(2, stride=1, padding=1, dilation=2, return_indices=True)(fastgrad.tensor(x[None]))


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("shape", [(2, 5, 3), (1, 4, 3, 2), (1, 3, 2, 1, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 6])
def test_local_response_norm(dtype, shape, size):
    """PyTorch computes an int64 input (its avg_pool divides the sum of squares as integers) into float32,
    and refuses the other integers and bools."""
    x = (np.arange(int(np.prod(shape))) * 37 % 201 - 100).reshape(shape)
    check(lambda lib, x: lib.nn.functional.local_response_norm(x, size, alpha=0.5, beta=0.6, k=1.5),
          x.astype(dtype) if dtype != np.uint8 else np.abs(x).astype(dtype), refusal=f"got dtype {np.dtype(dtype).name}",
          rtol=1e-6)  # (PyTorch's float32 pow differs from NumPy's in the last bits)


@pytest.mark.parametrize("loss", ["mse_loss", "smooth_l1_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("dtypes", [(a, b) for a in ALL + [np.float32] for b in ALL + [np.float64]])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses(loss, dtypes, reduction):
    """mse and smooth_l1 take a bool input with a float target (their kernels promote it); l1_loss, which
    PyTorch composes of the - operator, refuses any bool and keeps integers as integers."""
    arrays = [np.array([1, 0, 3]).astype(dtypes[0]), np.array([0, 2, 1]).astype(dtypes[1])]
    check(lambda lib, x, y: getattr(lib.nn.functional, loss)(x, y, reduction=reduction), *arrays)


@pytest.mark.parametrize("dtypes", [(a, b) for a in ALL + [np.int8, np.float32] for b in ALL + [np.float64]])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_smooth_l1_loss_with_beta_0_is_l1_loss(dtypes, reduction):
    """PyTorch's smooth_l1_loss is l1_loss for beta = 0: integers are kept as integers (uint8 wraps around, the mean
    is refused) and a bool input or target is refused (RuntimeError), where beta > 0 has no integer kernel."""
    arrays = [np.array([1, 0, 3]).astype(dtypes[0]), np.array([0, 2, 1]).astype(dtypes[1])]
    check(lambda lib, x, y: lib.nn.functional.smooth_l1_loss(x, y, reduction=reduction, beta=0), *arrays, refusal="")
    check(lambda lib, x, y: lib.nn.SmoothL1Loss(reduction=reduction, beta=0.0)(x, y), *arrays, refusal="")


@pytest.mark.parametrize("var", [2.0, 2, True])
def test_gaussian_nll_loss_takes_a_float_var_not_an_int(var):
    x, y = np.ones(3, np.float32), np.zeros(3, np.float32)
    check(lambda lib, x, y: lib.nn.functional.gaussian_nll_loss(x, y, var), x, y,
          refusal=f"gaussian_nll_loss: var must be a Tensor or a float, got {type(var).__name__}")


AVERAGE_POOLS = {
    "avg_pool1d": lambda lib, x: lib.nn.functional.avg_pool1d(x[0], 2),
    "avg_pool1d padded": lambda lib, x: lib.nn.functional.avg_pool1d(x[0], 3, 2, 1, ceil_mode=True),
    "avg_pool1d padding not counted": lambda lib, x: lib.nn.AvgPool1d(3, 2, 1, ceil_mode=True,
                                                                      count_include_pad=False)(x[0]),
    "avg_pool2d": lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 1, 1),
    "avg_pool2d ceil_mode": lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                                                        count_include_pad=False),
    "avg_pool2d divisor_override": lambda lib, x: lib.nn.AvgPool2d((2, 3), 2, (1, 1), ceil_mode=True,
                                                                   divisor_override=4)(x),
    "avg_pool2d negative divisor_override": lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                                                                        divisor_override=-3),
}


@pytest.mark.parametrize("dtype", ALL + [np.int8])
@pytest.mark.parametrize("pool", AVERAGE_POOLS)
def test_average_pooling(pool, dtype):
    """An int64 input stays int64, each window's sum divided as integers, truncated toward zero (-3 / 2 is -1);
    PyTorch has no kernel for the other integers and bools."""
    x = (np.arange(2 * 5 * 7) * 37 % 23 - 11).reshape(1, 2, 5, 7)
    check(AVERAGE_POOLS[pool], x.astype(dtype) if dtype != np.uint8 else np.abs(x).astype(dtype),
          refusal=f"got dtype {np.dtype(dtype).name}")


@pytest.mark.filterwarnings("ignore:(invalid value|divide by zero) encountered in power")
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("norm_type", [1, 2, 3, -1, 2.0, 0.5, -1.0, np.inf, -np.inf])
@pytest.mark.parametrize("pool", ["lp_pool1d", "lp_pool2d", "LPPool1d", "LPPool2d"])
def test_lp_pooling(pool, norm_type, dtype):
    """Composed as PyTorch's (x^p, avg_pool, times the window, ^(1/p)), each step in PyTorch's dtypes: an int p
    keeps int64 through the (truncating) average and only the root is float32, so other integers are refused
    there; a float p is float32 throughout; p = +-inf pools |x| in its dtype, refused by the 1-D max pool; an
    int negative p is refused by pow. The modules pass float(p), as PyTorch's."""
    x = (np.arange(2 * 4 * 5) * 37 % 23 - 11).reshape(1, 2, 4, 5)
    x = x.astype(dtype) if dtype != np.uint8 else np.abs(x).astype(dtype)
    call = {"lp_pool1d": lambda lib, x: lib.nn.functional.lp_pool1d(x[0], norm_type, 2, ceil_mode=True),
            "lp_pool2d": lambda lib, x: lib.nn.functional.lp_pool2d(x, norm_type, (2, 3), 2, ceil_mode=True),
            "LPPool1d": lambda lib, x: lib.nn.LPPool1d(norm_type, 3, 2)(x[0]),
            "LPPool2d": lambda lib, x: lib.nn.LPPool2d(norm_type, 2)(x)}[pool]
    check(call, x, rtol=1e-6)  # (float32 pow rounds differently in PyTorch and NumPy)


def test_lp_pool_of_int64_with_an_int_norm_type_truncates_the_mean():
    """[1, 2] squared sums to 5, whose int64 mean is 2: F.lp_pool1d(x, 2, 2) is sqrt(2 * 2), and LPPool1d(2, 2),
    which passes norm_type 2.0, is sqrt(5)."""
    x = np.array([[[1, 2]]])
    check(lambda lib, x: lib.nn.functional.lp_pool1d(x, 2, 2), x)
    check(lambda lib, x: lib.nn.LPPool1d(2, 2)(x), x, rtol=1e-6)
    assert F.lp_pool1d(fastgrad.tensor(x), 2, 2).tolist() == [[[2.0]]]
    assert nn.LPPool1d(2, 2)(fastgrad.tensor(x)).tolist() == [[[np.float32(np.sqrt(5))]]]


DROPOUT_SHAPES = {"dropout": (3, 4), "dropout1d": (2, 3, 4), "dropout2d": (2, 2, 3, 4), "dropout3d": (2, 2, 1, 3, 4),
                  "alpha_dropout": (3, 4), "feature_alpha_dropout": (2, 3, 4)}


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("p, training", [(0.5, True), (1.0, True), (0.0, True), (0.5, False)])
@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("name", DROPOUT_SHAPES)
def test_dropout_of_integers(name, p, training, inplace, dtype):
    """An integer or bool input is returned as it is when nothing is dropped, and zeroed in its dtype for p = 1;
    a dropout that scales is refused with RuntimeError, as PyTorch cannot cast the scaled values back."""
    x = (np.arange(int(np.prod(DROPOUT_SHAPES[name]))) % 5 + 1).reshape(DROPOUT_SHAPES[name]).astype(dtype)
    check(lambda lib, x: getattr(lib.nn.functional, name)(x, p, training, inplace), x,
          refusal=f"{name}: expected a floating point input, got dtype {np.dtype(dtype).name}")
