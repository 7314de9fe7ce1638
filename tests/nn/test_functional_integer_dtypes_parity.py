"""nn functions given integer and bool tensors, against PyTorch 2.13: where PyTorch refuses a dtype fastgrad
refuses it too (naming the argument and the dtype expected and got), and where PyTorch computes fastgrad
returns its dtype and values."""
import numpy as np
import pytest

import fastgrad
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


def check(fn, *arrays, refusal=None):
    """fastgrad's outcome is PyTorch's; a refusal's message matches `refusal` (a regex)."""
    ours, theirs = outcome(fastgrad, fn, arrays), outcome(torch, fn, arrays)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"PyTorch raises {theirs!r}, fastgrad returns {ours}"
        if refusal is not None:
            assert isinstance(ours, TypeError) and refusal in str(ours), ours
    else:
        assert not isinstance(ours, Exception), f"PyTorch returns {theirs}, fastgrad raises {ours!r}"
        assert ours == theirs


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
