"""A differential fuzzer of fastgrad.nn's layers, and of the nn.functional functions behind them, against PyTorch
2.13's. For each layer both libraries have, random valid constructor arguments and inputs (unbatched inputs, batch
size 1, empty batches, non-contiguous and channels_last inputs, integer and bool inputs, integer targets of every
dtype, out-of-range targets), PyTorch's state dict loaded into ours, then in train() and eval() mode: whether each
raises, the outputs (shape, dtype, requires_grad, values), the gradients of the inputs and parameters, and the
buffers after the forward; and for every configuration the printout and the state dict's keys, shapes and dtypes.
Fixed seeds, so the cases are the same on every run.

LSTM projections (proj_size) are left to test_rnn_parity.py. Left out, as deviations the README or PyTorch's own
faults explain: CTCLoss (its gradient is the loss's own derivative, README), max pooling windows that hold padding
only and instance norm, multi-margin losses and pixel (un)shuffling of an empty batch (PyTorch 2.13 writes out of
bounds, raises, or returns uninitialised memory there), the backward of nll_loss on a non-contiguous input of 3 dims
or more and of huber_loss with an integer target (PyTorch's raise), a Poisson NLL target that requires grad with
full=True (PyTorch's gradient is NaN at 0), transposed convolutions whose output is empty (PyTorch's 1-d layer
returns it, its 2-d one mostly raises, fastgrad's raise) and a normalized shape holding a 0 (fastgrad raises)."""
import numpy as np
import pytest

import fastgrad
from fastgrad import nn
from tests.parity_outcomes import same_exception_type

torch = pytest.importorskip("torch")

CASES_PER_LAYER = 6
LAYOUTS = ("contiguous", "transposed", "strided", "channels_last")


class Array:
    """A constructor or forward argument that is a tensor: made in each library from the same values."""

    def __init__(self, values):
        self.values = values

    def made_by(self, library):
        return library.tensor(self.values)


def made_by(library, value):
    return value.made_by(library) if isinstance(value, Array) else value


def leaf(rng, shape, dtype, requires_grad=True, scale=1.0, layout=None):
    """(values, requires_grad, layout): an input of the layer; the layout is drawn from those the shape allows."""
    if layout is None:
        allowed = ["contiguous", "contiguous"] + ["transposed"] * (len(shape) >= 2) + ["strided"] * (len(shape) >= 1)
        allowed += ["channels_last"] * (len(shape) == 4)
        layout = allowed[rng.integers(len(allowed))]
    return (rng.standard_normal(shape) * scale).astype(dtype), requires_grad, layout


def constant(values):
    return values, False, "contiguous"


def laid_out(library, values, requires_grad, layout):
    """The input in `layout` and the leaf whose gradient is compared (the same tensor unless it is a view)."""
    if layout == "transposed":
        base = library.tensor(np.ascontiguousarray(np.swapaxes(values, -1, -2)), requires_grad=requires_grad)
        return base.transpose(-1, -2), base
    if layout == "strided":
        base = library.tensor(np.repeat(values, 2, axis=-1), requires_grad=requires_grad)
        return base[..., ::2], base
    tensor = library.tensor(values)
    if layout == "channels_last":
        tensor = tensor.contiguous(memory_format=library.channels_last)
    return tensor.requires_grad_(requires_grad), tensor


def size(rng, low, high):
    return int(rng.integers(low, high))


def batch(rng, empty=True):
    return int(rng.choice([0, 1, 1, 2, 3] if empty else [1, 1, 2, 3]))


def maybe_unbatched(rng, shape):
    return shape[1:] if rng.random() < 0.25 else shape


# -- the layers: each draws (args, kwargs, inputs, modes, forward kwargs) --------------------------------------
def activation(options):
    def draw(rng, dtype):
        shape = tuple(size(rng, 0 if rng.random() < 0.1 else 1, 4) for _ in range(size(rng, 0, 5)))
        if rng.random() < 0.15:  # integer and bool inputs: kept, promoted or refused as PyTorch's
            integer = rng.choice([np.int64, np.int32, np.uint8, np.bool_])
            return (), options(rng), [constant(rng.integers(0, 4, shape).astype(integer))], ("train",), {}
        return (), options(rng), [leaf(rng, shape, dtype, scale=2.0)], ("train", "eval"), {}
    return draw


def choice(rng, values):
    return values[rng.integers(len(values))]


LAYERS = {name: activation(options) for name, options in {
    "ReLU": lambda r: {}, "ReLU6": lambda r: {}, "SELU": lambda r: {}, "SiLU": lambda r: {}, "Mish": lambda r: {},
    "Hardswish": lambda r: {}, "Hardsigmoid": lambda r: {}, "Sigmoid": lambda r: {}, "Tanh": lambda r: {},
    "Softsign": lambda r: {}, "LogSigmoid": lambda r: {}, "Tanhshrink": lambda r: {}, "Identity": lambda r: {},
    "ELU": lambda r: {"alpha": choice(r, [1.0, 0.5])}, "CELU": lambda r: {"alpha": choice(r, [1.0, 2.0])},
    "GELU": lambda r: {"approximate": choice(r, ["none", "tanh"])},
    "Hardtanh": lambda r: {"min_val": choice(r, [-1.0, -0.5]), "max_val": choice(r, [1.0, 2.0])},
    "LeakyReLU": lambda r: {"negative_slope": choice(r, [0.01, -0.5])},
    "Softplus": lambda r: {"beta": choice(r, [1.0, 2.0]), "threshold": choice(r, [20.0, 1.0])},
    "Softshrink": lambda r: {"lambd": choice(r, [0.5, 0.1])}, "Hardshrink": lambda r: {"lambd": choice(r, [0.5, 0.1])},
    "Threshold": lambda r: {"threshold": choice(r, [0.1, -0.2]), "value": choice(r, [0.0, 3.0])}}.items()}


def layer(*names):
    def register(draw):
        for name in names:
            LAYERS[name] = lambda rng, dtype, name=name: draw(name, rng, dtype)
        return draw
    return register


@layer("Softmax", "LogSoftmax", "Softmin")
def _softmax(name, rng, dtype):
    shape = tuple(size(rng, 1, 4) for _ in range(size(rng, 0, 4)))
    dim = size(rng, -len(shape), len(shape)) if shape else choice(rng, [0, -1])
    return (), {"dim": dim}, [leaf(rng, shape, dtype)], ("train",), {}


@layer("GLU")
def _glu(name, rng, dtype):
    shape = [size(rng, 1, 4) for _ in range(size(rng, 1, 4))]
    dim = size(rng, -len(shape), len(shape))
    shape[dim] = 2 * size(rng, 0, 3) + (rng.random() < 0.1)
    return (), {"dim": dim}, [leaf(rng, tuple(shape), dtype)], ("train",), {}


@layer("PReLU")
def _prelu(name, rng, dtype):
    channels, shape = choice(rng, [1, 3]), [size(rng, 1, 3) for _ in range(size(rng, 0, 4))]
    if shape:
        shape[min(1, len(shape) - 1)] = channels
    return (), {"num_parameters": channels, "init": choice(rng, [0.25, -0.3])}, [leaf(rng, tuple(shape), dtype)], \
        ("train",), {}


@layer("Linear", "Bilinear")
def _linear(name, rng, dtype):
    sizes = [size(rng, 1, 4) for _ in range(3)]
    lead = tuple(size(rng, 0 if rng.random() < 0.1 else 1, 3) for _ in range(size(rng, 0, 3)))
    inputs = [leaf(rng, lead + (sizes[0],), dtype)]
    if name == "Bilinear":
        return tuple(sizes), {"bias": rng.random() < 0.7}, inputs + [leaf(rng, lead + (sizes[1],), dtype)], \
            ("train",), {}
    return (sizes[0], sizes[2]), {"bias": rng.random() < 0.7}, inputs, ("train",), {}


@layer("Flatten", "Unflatten")
def _flatten(name, rng, dtype):
    shape = [size(rng, 0 if rng.random() < 0.1 else 1, 4) for _ in range(size(rng, 1, 5))]
    if name == "Flatten":
        dims = [size(rng, -len(shape), len(shape)) for _ in range(2)]
        return (), {"start_dim": dims[0], "end_dim": dims[1]}, [leaf(rng, tuple(shape), dtype)], ("train",), {}
    dim, sizes = size(rng, -len(shape), len(shape)), [size(rng, 1, 3) for _ in range(size(rng, 1, 3))]
    shape[dim] = int(np.prod(sizes))
    if rng.random() < 0.3:
        sizes[size(rng, 0, len(sizes))] = -1
    return (dim, tuple(sizes)), {}, [leaf(rng, tuple(shape), dtype)], ("train",), {}


@layer("Dropout", "AlphaDropout", "FeatureAlphaDropout", "Dropout1d", "Dropout2d", "Dropout3d")
def _dropout(name, rng, dtype):  # (in eval mode: the identity; their draws are fastgrad's own in training)
    shape = tuple(size(rng, 0 if rng.random() < 0.1 else 1, 3) for _ in range(size(rng, 1, 6)))
    return (), {"p": choice(rng, [0.0, 0.3, 1.0])}, [leaf(rng, shape, dtype)], ("eval",), {}


@layer(*[f"{kind}Pad{dims}d" for kind in ("Reflection", "Replication", "Circular", "Constant", "Zero")
         for dims in (1, 2, 3)])
def _pad(name, rng, dtype):
    dims = int(name[-2])
    low = -1 if ("Constant" in name or "Zero" in name) and rng.random() < 0.3 else 0
    padding = tuple(size(rng, low, 3) for _ in range(2 * dims)) if rng.random() < 0.7 else size(rng, 0, 3)
    shape = tuple(size(rng, 1, 4) for _ in range(dims + 1 + (rng.random() < 0.6)))
    args = (padding, choice(rng, [0.0, 1.5])) if "Constant" in name else (padding,)
    return args, {}, [leaf(rng, shape, dtype)], ("train",), {}


@layer("PixelShuffle", "PixelUnshuffle", "ChannelShuffle")
def _shuffle(name, rng, dtype):
    factor = size(rng, 1, 4)
    if name == "ChannelShuffle":
        shape = (batch(rng), factor * size(rng, 1, 3)) + tuple(size(rng, 1, 3) for _ in range(size(rng, 1, 3)))
    elif name == "PixelShuffle":
        shape = maybe_unbatched(rng, (batch(rng, empty=False), factor ** 2 * size(rng, 1, 3), size(rng, 1, 3), 2))
    else:
        shape = maybe_unbatched(rng, (batch(rng, empty=False), size(rng, 1, 3), factor * 2, factor * size(rng, 1, 3)))
    return (factor,), {}, [leaf(rng, shape, dtype)], ("train",), {}


@layer("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d")
def _upsample(name, rng, dtype):
    options, dims = {}, 2
    if name == "Upsample":
        options["mode"] = choice(rng, ["nearest", "linear", "bilinear", "trilinear", "nearest-exact"])
        dims = {"linear": 1, "bilinear": 2, "trilinear": 3}.get(options["mode"], size(rng, 1, 4))
        if options["mode"] in ("linear", "bilinear", "trilinear") and rng.random() < 0.5:
            options["align_corners"] = bool(rng.random() < 0.5)
    if rng.random() < 0.5:
        options["scale_factor"] = choice(rng, [2.0, 1.5, 0.5, 2])
    else:
        options["size"] = size(rng, 1, 6) if rng.random() < 0.5 else tuple(size(rng, 1, 6) for _ in range(dims))
    shape = (batch(rng), size(rng, 1, 3)) + tuple(size(rng, 1, 5) for _ in range(dims))
    return (), options, [leaf(rng, shape, dtype)], ("train",), {}


@layer("Unfold", "Fold")
def _fold(name, rng, dtype):
    kernel, dilation, padding, stride = (size(rng, 1, 3), size(rng, 1, 3)), size(rng, 1, 3), size(rng, 0, 2), size(
        rng, 1, 3)
    options = {"kernel_size": kernel, "dilation": dilation, "padding": padding, "stride": stride}
    if name == "Unfold":
        shape = (batch(rng), size(rng, 1, 3), size(rng, 2, 6), size(rng, 2, 6))
    else:
        options["output_size"] = (size(rng, 2, 6), size(rng, 2, 6))
        blocks = np.prod([(n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
                          for n, k in zip(options["output_size"], kernel)])
        shape = (batch(rng), size(rng, 1, 3) * kernel[0] * kernel[1], max(int(blocks), 0))
    return (), options, [leaf(rng, maybe_unbatched(rng, shape), dtype)], ("train",), {}


@layer("CosineSimilarity", "PairwiseDistance")
def _distance(name, rng, dtype):
    shape = tuple(size(rng, 1, 4) for _ in range(size(rng, 1, 4)))
    other = ((1,) + shape[1:]) if len(shape) > 1 and rng.random() < 0.3 else shape
    if name == "CosineSimilarity":
        options = {"dim": size(rng, -len(shape), len(shape)), "eps": choice(rng, [1e-8, 1e-3])}
    else:
        options = {"p": choice(rng, [2.0, 1.0, 3.0, 0.5, np.inf]), "eps": choice(rng, [1e-6, 0.0]),
                   "keepdim": bool(rng.random() < 0.5)}
    return (), options, [leaf(rng, shape, dtype), leaf(rng, other, dtype)], ("train",), {}


@layer("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d")
def _norm(name, rng, dtype):
    channels, instance = size(rng, 1, 4), "Instance" in name
    options = {"eps": choice(rng, [1e-5, 1e-3]), "momentum": choice(rng, [0.1, 0.5, None]),
               "affine": bool(rng.random() < (0.5 if instance else 0.7)),
               "track_running_stats": bool(rng.random() < (0.5 if instance else 0.7))}
    spatial = () if name == "BatchNorm1d" and rng.random() < 0.4 else tuple(
        size(rng, 1, 4) for _ in range(int(name[-2])))
    shape = (batch(rng, empty=not instance), channels) + spatial
    if instance and rng.random() < 0.3:
        shape = shape[1:]
    return (channels,), options, [leaf(rng, shape, dtype, scale=2.0)], ("train", "eval"), {}


@layer("LayerNorm", "RMSNorm", "GroupNorm", "LocalResponseNorm")
def _other_norms(name, rng, dtype):
    if name == "GroupNorm":
        groups = size(rng, 1, 4)
        channels = groups * size(rng, 1, 3)
        shape = (batch(rng), channels) + tuple(size(rng, 1, 3) for _ in range(size(rng, 0, 3)))
        return (groups, channels), {"eps": choice(rng, [1e-5, 1e-2]), "affine": bool(rng.random() < 0.7)}, \
            [leaf(rng, shape, dtype)], ("train",), {}
    if name == "LocalResponseNorm":
        shape = (batch(rng), size(rng, 1, 6)) + tuple(size(rng, 1, 3) for _ in range(size(rng, 0, 3)))
        options = {"size": size(rng, 1, 5), "alpha": choice(rng, [1e-4, 0.5]), "beta": choice(rng, [0.75, 1.5]),
                   "k": choice(rng, [1.0, 2.0])}
        return (), options, [leaf(rng, shape, dtype)], ("train",), {}
    shape = tuple(size(rng, 1, 4) for _ in range(size(rng, 1, 4)))
    normalized = shape[-size(rng, 1, len(shape) + 1):]
    if rng.random() < 0.1:  # an empty batch (a normalized shape holding a 0 is not drawn: fastgrad's kernels raise)
        shape = (0,) + shape
    options = {"eps": choice(rng, [1e-5, 1e-2, None] if name == "RMSNorm" else [1e-5, 1e-2]),
               "elementwise_affine": bool(rng.random() < 0.7)}
    if name == "LayerNorm":
        options["bias"] = bool(rng.random() < 0.7)
    return (list(normalized) if rng.random() < 0.5 else normalized,), options, [leaf(rng, shape, dtype)], \
        ("train",), {}


@layer("Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d")
def _conv(name, rng, dtype):
    dims, groups = int(name[-2]), choice(rng, [1, 1, 2, 3])
    channels_in, channels_out = groups * size(rng, 1, 3), groups * size(rng, 1, 3)
    kernel = size(rng, 1, 4) if rng.random() < 0.5 else tuple(size(rng, 1, 4) for _ in range(dims))
    options = {"stride": size(rng, 1, 3), "dilation": size(rng, 1, 3), "groups": groups, "bias": rng.random() < 0.7}
    spatial = tuple(size(rng, 2, 7) for _ in range(dims))
    if "Transpose" in name:
        # (below stride or dilation: PyTorch skips that check for an empty batch, fastgrad does not; README)
        options["output_padding"] = size(rng, 0, max(options["stride"], options["dilation"]))
        # (with padding past the kernel's reach the output is empty: PyTorch 2.13's 1-d layer returns that, its 2-d
        # one raises and fastgrad's raise; not drawn)
        options["padding"] = size(rng, 0, 2)
    else:
        draw = rng.random()
        options["padding"] = "same" if draw < 0.2 else "valid" if draw < 0.3 else size(rng, 0, 3)
        if options["padding"] == "same":
            options["stride"] = 1
        options["padding_mode"] = choice(rng, ["zeros", "zeros", "reflect", "replicate", "circular"])
    shape = maybe_unbatched(rng, (batch(rng), channels_in) + spatial)
    return (channels_in, channels_out, kernel), options, [leaf(rng, shape, dtype)], ("train",), {}


def padding_only_window(spatial, kernel, stride, padding, dilation, ceil_mode):
    for length in spatial:
        span = dilation * (kernel - 1) + 1
        count = -(-(length + 2 * padding - span) // stride) + 1 if ceil_mode else (
            length + 2 * padding - span) // stride + 1
        if ceil_mode and (count - 1) * stride >= length + padding:
            count -= 1
        if any(all(not 0 <= i * stride - padding + j * dilation < length for j in range(kernel))
               for i in range(count)):
            return True
    return False


@layer("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "LPPool1d", "LPPool2d")
def _pool(name, rng, dtype):
    dims, kernel = int(name[-2]), size(rng, 1, 4)
    options = {"kernel_size": kernel if rng.random() < 0.6 or name == "LPPool1d" else (kernel,) * dims,
               "stride": choice(rng, [None, 1, 2, 3]), "ceil_mode": bool(rng.random() < 0.4)}
    args = (choice(rng, [1.0, 2.0, 3.0]),) if "LP" in name else ()
    if "LP" not in name:
        options["padding"] = size(rng, 0, kernel // 2 + 1)
    if "Max" in name:
        options.update(dilation=size(rng, 1, 3), return_indices=bool(rng.random() < 0.4))
    if "Avg" in name:
        options["count_include_pad"] = bool(rng.random() < 0.5)
        if dims == 2 and rng.random() < 0.3:
            options["divisor_override"] = size(rng, 1, 4)
    spatial = tuple(size(rng, 1, 7) for _ in range(dims))
    if "Max" in name and padding_only_window(spatial, kernel, options["stride"] or kernel, options["padding"],
                                             options["dilation"], options["ceil_mode"]):
        return _pool(name, rng, dtype)
    shape = maybe_unbatched(rng, (batch(rng), size(rng, 1, 3)) + spatial)
    return args, options, [leaf(rng, shape, dtype)], ("train",), {}


@layer("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d")
def _adaptive_pool(name, rng, dtype):
    dims = int(name[-2])
    output = size(rng, 1, 5) if rng.random() < 0.5 or dims == 1 else tuple(
        None if rng.random() < 0.2 else size(rng, 1, 5) for _ in range(dims))
    options = {"output_size": output}
    if "Max" in name:
        options["return_indices"] = bool(rng.random() < 0.4)
    shape = maybe_unbatched(rng, (batch(rng), size(rng, 1, 3)) + tuple(size(rng, 1, 7) for _ in range(dims)))
    return (), options, [leaf(rng, shape, dtype)], ("train",), {}


@layer("Embedding", "EmbeddingBag")
def _embedding(name, rng, dtype):
    rows, dim = size(rng, 1, 6), size(rng, 1, 4)
    options = {"padding_idx": size(rng, -rows, rows)} if rng.random() < 0.4 else {}
    integer = choice(rng, [np.int64, np.int64, np.int32, np.int16, np.int8, np.uint8])
    if name == "Embedding":
        if rng.random() < 0.2:
            options["scale_grad_by_freq"] = True
        if rng.random() < 0.2:
            options.update(max_norm=choice(rng, [1.0, 0.5]), norm_type=choice(rng, [2.0, 1.0]))
        shape = tuple(size(rng, 0 if rng.random() < 0.1 else 1, 4) for _ in range(size(rng, 0, 3)))
        ids = rng.integers(0, rows + (rng.random() < 0.1), shape)
        return (rows, dim), options, [constant(ids.astype(integer))], ("train",), {}
    options["mode"] = choice(rng, ["sum", "mean", "max"])
    integer = choice(rng, [np.int64, np.int32])
    if rng.random() < 0.5:
        bags, length = size(rng, 0, 3), size(rng, 1, 4)
        inputs, weights_shape = [constant(rng.integers(0, rows, (bags, length)).astype(integer)), None], (bags, length)
    else:
        count = size(rng, 0, 6)
        offsets = np.sort(rng.integers(0, count + 1, size(rng, 1, 4)))
        offsets[0] = 0
        if rng.random() < 0.3:
            options["include_last_offset"], offsets = True, np.append(offsets, count)
        inputs = [constant(rng.integers(0, rows, count).astype(integer)), constant(offsets.astype(integer))]
        weights_shape = (count,)
    if options["mode"] == "sum" and rng.random() < 0.4:
        inputs.append(leaf(rng, weights_shape, dtype, layout="contiguous"))
    return (rows, dim), options, inputs, ("train",), {}


@layer("RNN", "LSTM", "GRU")
def _recurrent(name, rng, dtype):
    features, hidden = size(rng, 1, 4), size(rng, 1, 4)
    options = {"num_layers": size(rng, 1, 3), "bias": bool(rng.random() < 0.8), "batch_first": bool(rng.random() < 0.4),
               "bidirectional": bool(rng.random() < 0.4)}
    if name == "RNN":
        options["nonlinearity"] = choice(rng, ["tanh", "relu"])
    modes = ("train", "eval")
    if options["num_layers"] > 1 and rng.random() < 0.2:
        options["dropout"], modes = 0.5, ("eval",)
    steps, samples, unbatched = size(rng, 1, 4), choice(rng, [0, 1, 2, 3]), rng.random() < 0.3
    shape = (steps, features) if unbatched else (samples, steps, features) if options["batch_first"] else (
        steps, samples, features)
    inputs = [leaf(rng, shape, dtype)]
    if not unbatched and samples and rng.random() < 0.3:
        lengths = rng.integers(1, steps + 1, samples)
        enforce_sorted = bool(rng.random() < 0.5)
        if enforce_sorted:
            lengths = np.sort(lengths)[::-1].copy()
        inputs = [("packed", inputs[0][0], lengths, options["batch_first"], enforce_sorted)]
    if rng.random() < 0.4:
        state_shape = (options["num_layers"] * (1 + options["bidirectional"]),) + (
            () if unbatched else (samples,)) + (hidden,)
        state = leaf(rng, state_shape, dtype, layout="contiguous")
        inputs.append(("pair", state, leaf(rng, state_shape, dtype, layout="contiguous")) if name == "LSTM" else state)
    return (features, hidden), options, inputs, modes, {}


@layer("RNNCell", "LSTMCell", "GRUCell")
def _cell(name, rng, dtype):
    features, hidden = size(rng, 1, 4), size(rng, 1, 4)
    options = {"bias": bool(rng.random() < 0.8)}
    if name == "RNNCell":
        options["nonlinearity"] = choice(rng, ["tanh", "relu"])
    lead = () if rng.random() < 0.3 else (choice(rng, [0, 1, 2, 3]),)
    inputs = [leaf(rng, lead + (features,), dtype)]
    if rng.random() < 0.5:
        state = leaf(rng, lead + (hidden,), dtype, layout="contiguous")
        inputs.append(("pair", state, leaf(rng, lead + (hidden,), dtype, layout="contiguous"))
                      if name == "LSTMCell" else state)
    return (features, hidden), options, inputs, ("train",), {}


@layer("MultiheadAttention")
def _attention(name, rng, dtype):
    heads = size(rng, 1, 3)
    embed = heads * size(rng, 1, 3)
    options = {"bias": bool(rng.random() < 0.8), "add_bias_kv": bool(rng.random() < 0.2),
               "add_zero_attn": bool(rng.random() < 0.2), "batch_first": bool(rng.random() < 0.4)}
    if rng.random() < 0.3:
        options.update(kdim=size(rng, 1, 4), vdim=size(rng, 1, 4))
    targets, sources, samples, unbatched = size(rng, 1, 4), size(rng, 1, 4), size(rng, 1, 3), rng.random() < 0.3

    def shape(length, features):
        return (length, features) if unbatched else (samples, length, features) if options["batch_first"] else (
            length, samples, features)
    inputs = [leaf(rng, shape(targets, embed), dtype), leaf(rng, shape(sources, options.get("kdim", embed)), dtype),
              leaf(rng, shape(sources, options.get("vdim", embed)), dtype)]
    forward = {}
    if rng.random() < 0.3:
        forward.update(need_weights=bool(rng.random() < 0.5), average_attn_weights=bool(rng.random() < 0.5))
    if rng.random() < 0.3:
        padding = rng.random((sources,) if unbatched else (samples, sources)) < 0.3
        padding[..., 0] = False
        forward["key_padding_mask"] = Array(padding if rng.random() < 0.5 else np.where(padding, -1.5, 0.0).astype(
            dtype))
    if rng.random() < 0.3:
        if targets == sources and rng.random() < 0.3:
            forward["attn_mask"] = Array(np.triu(np.ones((targets, sources), bool), 1))
            forward["is_causal"] = bool(rng.random() < 0.5)
        else:
            mask = rng.random((targets, sources) if unbatched or rng.random() < 0.6 else (
                samples * heads, targets, sources)) < 0.3
            mask[..., 0] = False
            forward["attn_mask"] = Array(mask if rng.random() < 0.5 else np.where(mask, -2.0, 0.0).astype(dtype))
    return (embed, heads), options, inputs, ("train", "eval"), forward


@layer("TransformerEncoderLayer", "TransformerDecoderLayer")
def _transformer(name, rng, dtype):
    heads = size(rng, 1, 3)
    width = heads * size(rng, 1, 3)
    options = {"dim_feedforward": size(rng, 1, 5), "dropout": 0.0, "activation": choice(rng, ["relu", "gelu"]),
               "batch_first": bool(rng.random() < 0.5), "norm_first": bool(rng.random() < 0.5),
               "bias": bool(rng.random() < 0.8), "layer_norm_eps": choice(rng, [1e-5, 1e-3])}
    targets, sources, samples = size(rng, 1, 4), size(rng, 1, 4), size(rng, 1, 3)

    def shape(length):
        return (samples, length, width) if options["batch_first"] else (length, samples, width)
    inputs, forward = [leaf(rng, shape(targets), dtype)], {}
    causal = Array(np.triu(np.ones((targets, targets), bool), 1))
    if name == "TransformerDecoderLayer":
        inputs.append(leaf(rng, shape(sources), dtype))
        if rng.random() < 0.3:
            forward.update(tgt_mask=causal, tgt_is_causal=bool(rng.random() < 0.5))
    elif rng.random() < 0.3:
        forward.update(src_mask=causal, is_causal=bool(rng.random() < 0.5))
    return (width, heads), options, inputs, ("train", "eval"), forward


REDUCTIONS = ["mean", "sum", "none"]
INTEGERS = [np.int64, np.int64, np.int32, np.int16, np.int8, np.uint8]


def any_shape(rng):
    return tuple(size(rng, 0 if rng.random() < 0.1 else 1, 4) for _ in range(size(rng, 0, 4)))


@layer("L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "SoftMarginLoss", "BCELoss", "BCEWithLogitsLoss",
       "KLDivLoss", "PoissonNLLLoss")
def _elementwise_loss(name, rng, dtype):
    options, shape = {"reduction": choice(rng, REDUCTIONS)}, any_shape(rng)
    target_shape = shape
    if rng.random() < 0.15 and name not in ("BCEWithLogitsLoss",):  # broadcasting targets (refused by some)
        target_shape = (1,) + shape if rng.random() < 0.5 else shape[1:]
    x, target = leaf(rng, shape, dtype), leaf(rng, target_shape, dtype, requires_grad=rng.random() < 0.3)
    if name == "SmoothL1Loss":
        options["beta"] = choice(rng, [1.0, 0.5, 0.0])
    elif name == "HuberLoss":
        options["delta"] = choice(rng, [1.0, 0.5, 2.0])
    elif name == "SoftMarginLoss":
        target = constant(np.sign(rng.standard_normal(target_shape)).astype(dtype))
    elif name in ("BCELoss", "BCEWithLogitsLoss"):
        if name == "BCELoss":
            x = (rng.random(shape).astype(dtype), True, "contiguous")
        target = (rng.random(target_shape).astype(choice(rng, [dtype, dtype, np.float32, np.float64])),
                  rng.random() < 0.3, "contiguous")
        if shape and rng.random() < 0.3:
            options["weight"] = Array(rng.random(shape[-1:] if rng.random() < 0.5 else shape).astype(dtype))
        if name == "BCEWithLogitsLoss" and shape and rng.random() < 0.3:
            options["pos_weight"] = Array((2 * rng.random(shape[-1:])).astype(dtype))
    elif name == "KLDivLoss":
        options.update(reduction=choice(rng, REDUCTIONS + ["batchmean"]), log_target=bool(rng.random() < 0.5))
        x = (np.log(rng.random(shape) + 0.01).astype(dtype), True, "contiguous")
        values = rng.random(target_shape) + 0.01
        target = ((np.log(values) if options["log_target"] else values).astype(dtype), rng.random() < 0.3,
                  "contiguous")
    elif name == "PoissonNLLLoss":
        options.update(log_input=bool(rng.random() < 0.5), full=bool(rng.random() < 0.5),
                       eps=choice(rng, [1e-8, 0.1]))
        if not options["log_input"]:
            x = ((rng.random(shape) + 0.1).astype(dtype), True, "contiguous")
        target = (rng.integers(0, 4, target_shape).astype(dtype), not options["full"] and rng.random() < 0.3,
                  "contiguous")
    if name in ("L1Loss", "MSELoss", "SmoothL1Loss") and rng.random() < 0.1:
        target = constant(rng.integers(-2, 3, target_shape).astype(choice(rng, [np.int64, np.int32])))
    return (), options, [x, target], ("train",), {}


@layer("CrossEntropyLoss", "NLLLoss")
def _class_loss(name, rng, dtype):
    classes = size(rng, 1, 5)
    if rng.random() < 0.25:
        shape, target_shape = (classes,), ()
    else:
        extra = tuple(size(rng, 1, 3) for _ in range(size(rng, 0, 3)))
        samples = choice(rng, [0, 1, 2, 4])
        shape, target_shape = (samples, classes) + extra, (samples,) + extra
    options = {"reduction": choice(rng, REDUCTIONS)}
    if rng.random() < 0.3:
        options["weight"] = Array((rng.random(classes) + 0.1).astype(dtype))
    if rng.random() < 0.3:
        options["ignore_index"] = choice(rng, [-100, 0, 1, -1])
    if name == "CrossEntropyLoss" and rng.random() < 0.3:
        options["label_smoothing"] = choice(rng, [0.1, 0.5, 1.0])
    layout = "contiguous" if name == "NLLLoss" and len(shape) >= 3 else None
    x = leaf(rng, shape, dtype, layout=layout)
    if name == "NLLLoss":
        x = (np.log(rng.random(shape) + 0.01).astype(dtype),) + x[1:]
    if name == "CrossEntropyLoss" and rng.random() < 0.25:
        return (), options, [x, (rng.random(shape).astype(dtype), rng.random() < 0.3, "contiguous")], ("train",), {}
    integer = choice(rng, INTEGERS)
    classes_drawn = rng.integers(0, classes + (rng.random() < 0.1), target_shape)
    if classes_drawn.size and rng.random() < 0.3:
        classes_drawn.flat[0] = options.get("ignore_index", -100) if integer != np.uint8 else classes
    return (), options, [x, constant(classes_drawn.astype(integer))], ("train",), {}


@layer("MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss", "TripletMarginLoss")
def _pair_loss(name, rng, dtype):
    options = {"margin": choice(rng, [0.0, 0.5, 1.0]), "reduction": choice(rng, REDUCTIONS)}
    if name in ("MarginRankingLoss", "HingeEmbeddingLoss"):
        shape = any_shape(rng)
        signs = constant(np.sign(rng.standard_normal(shape)).astype(dtype))
        scores = [leaf(rng, shape, dtype) for _ in range(1 + (name == "MarginRankingLoss"))]
        return (), options, scores + [signs], ("train",), {}
    features = size(rng, 1, 4)
    shape = (features,) if rng.random() < 0.3 else (choice(rng, [0, 1, 2, 3]), features)
    if name == "TripletMarginLoss":
        options.update(p=choice(rng, [2.0, 1.0]), swap=bool(rng.random() < 0.4))
        return (), options, [leaf(rng, shape, dtype) for _ in range(3)], ("train",), {}
    signs = np.sign(rng.standard_normal(shape[:-1])).astype(choice(rng, [dtype, np.int64]))
    return (), options, [leaf(rng, shape, dtype), leaf(rng, shape, dtype), constant(signs)], ("train",), {}


@layer("MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "MultiMarginLoss")
def _multi_label_loss(name, rng, dtype):
    classes = size(rng, 1, 5)
    samples = choice(rng, [1, 2, 3])
    shape = (classes,) if rng.random() < 0.3 else (samples, classes)
    options = {"reduction": choice(rng, REDUCTIONS)}
    if name != "MultiLabelMarginLoss" and rng.random() < 0.3:
        options["weight"] = Array(rng.random(classes).astype(dtype))
    if name == "MultiLabelSoftMarginLoss":
        target = constant(rng.integers(0, 2, shape).astype(choice(rng, [dtype, np.float32, np.float64])))
    elif name == "MultiLabelMarginLoss":
        target = constant(rng.integers(-1, classes, shape).astype(np.int64))
    else:
        options.update(p=choice(rng, [1, 2]), margin=choice(rng, [1.0, 0.5]))
        target = constant(rng.integers(0, classes + (rng.random() < 0.1), shape[:-1]).astype(choice(rng, INTEGERS)))
    return (), options, [leaf(rng, shape, dtype), target], ("train",), {}


@layer("GaussianNLLLoss")
def _gaussian_nll(name, rng, dtype):
    shape = (choice(rng, [0, 1, 2, 3]), size(rng, 1, 4))
    shape = shape[1:] if rng.random() < 0.2 else shape
    variance_shape = choice(rng, [shape, shape, shape[:-1] + (1,), shape[:-1]])
    options = {"full": bool(rng.random() < 0.5), "eps": choice(rng, [1e-6, 0.1]), "reduction": choice(rng, REDUCTIONS)}
    return (), options, [leaf(rng, shape, dtype), leaf(rng, shape, dtype, requires_grad=rng.random() < 0.3),
                         ((rng.random(variance_shape) + 0.05).astype(dtype), True, "contiguous")], ("train",), {}


# -- the functional forms: F.<function>(inputs..., args..., **options) with a layer's arguments ---------------
FUNCTIONS = {
    "ReLU": "relu", "ReLU6": "relu6", "SELU": "selu", "SiLU": "silu", "Mish": "mish", "Hardswish": "hardswish",
    "Hardsigmoid": "hardsigmoid", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softsign": "softsign",
    "LogSigmoid": "logsigmoid", "Tanhshrink": "tanhshrink", "ELU": "elu", "CELU": "celu", "GELU": "gelu",
    "Hardtanh": "hardtanh", "LeakyReLU": "leaky_relu", "Softplus": "softplus", "Softshrink": "softshrink",
    "Hardshrink": "hardshrink", "Threshold": "threshold", "Softmax": "softmax", "LogSoftmax": "log_softmax",
    "Softmin": "softmin", "GLU": "glu", "PixelShuffle": "pixel_shuffle", "PixelUnshuffle": "pixel_unshuffle",
    "ChannelShuffle": "channel_shuffle", "Unfold": "unfold", "Fold": "fold", "CosineSimilarity": "cosine_similarity",
    "PairwiseDistance": "pairwise_distance", "LocalResponseNorm": "local_response_norm", "MaxPool1d": "max_pool1d",
    "MaxPool2d": "max_pool2d", "AvgPool1d": "avg_pool1d", "AvgPool2d": "avg_pool2d", "LPPool1d": "lp_pool1d",
    "LPPool2d": "lp_pool2d", "AdaptiveAvgPool1d": "adaptive_avg_pool1d", "AdaptiveAvgPool2d": "adaptive_avg_pool2d",
    "AdaptiveMaxPool1d": "adaptive_max_pool1d", "AdaptiveMaxPool2d": "adaptive_max_pool2d",
    "Upsample": "interpolate",
    "L1Loss": "l1_loss", "MSELoss": "mse_loss", "SmoothL1Loss": "smooth_l1_loss", "HuberLoss": "huber_loss",
    "SoftMarginLoss": "soft_margin_loss", "BCELoss": "binary_cross_entropy",
    "BCEWithLogitsLoss": "binary_cross_entropy_with_logits", "KLDivLoss": "kl_div",
    "PoissonNLLLoss": "poisson_nll_loss",
    "CrossEntropyLoss": "cross_entropy", "NLLLoss": "nll_loss", "MarginRankingLoss": "margin_ranking_loss",
    "HingeEmbeddingLoss": "hinge_embedding_loss", "CosineEmbeddingLoss": "cosine_embedding_loss",
    "TripletMarginLoss": "triplet_margin_loss", "MultiLabelSoftMarginLoss": "multilabel_soft_margin_loss",
    "MultiLabelMarginLoss": "multilabel_margin_loss", "MultiMarginLoss": "multi_margin_loss",
    "GaussianNLLLoss": "gaussian_nll_loss"}


def function_layer(library, function, args, options):
    """A layer of no state that calls the library's F.<function> (one class name in both: equal printouts)."""
    def forward(self, *inputs):
        return getattr(library.nn.functional, function)(*inputs, *args, **options)
    return type("Functional", (library.nn.Module,), {"forward": forward, "extra_repr": lambda self: function})()


# -- running one case in both libraries ----------------------------------------------------------------------
def build(library, name, args, options, dtype):
    made = [made_by(library, a) for a in args]
    kwargs = {key: made_by(library, value) for key, value in options.items()}
    if name.startswith("F."):
        return function_layer(library, FUNCTIONS[name[2:]], made, kwargs)
    layer = getattr(library.nn, name)(*made, **kwargs)
    if not layer.state_dict():  # (the layers without parameters or buffers take no dtype)
        return layer
    return getattr(library.nn, name)(*made, **kwargs, dtype=library.float64 if dtype == np.float64 else library.float32)


def make_inputs(library, inputs):
    """The forward's arguments and the leaves whose gradients are compared (None where not)."""
    arguments, leaves = [], []
    for spec in inputs:
        if spec is None:
            arguments.append(None)
        elif isinstance(spec[0], str) and spec[0] == "packed":
            _, values, lengths, batch_first, enforce_sorted = spec
            base = library.tensor(values, requires_grad=True)
            arguments.append(library.nn.utils.rnn.pack_padded_sequence(
                base, library.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted))
            leaves.append(base)
        elif isinstance(spec[0], str):  # ("pair", state, state): an LSTM's (h, c)
            pair = [laid_out(library, *state) for state in spec[1:]]
            arguments.append(tuple(tensor for tensor, _ in pair))
            leaves += [base for _, base in pair]
        else:
            tensor, base = laid_out(library, *spec)
            arguments.append(tensor)
            leaves.append(base if spec[1] else None)
    return arguments, leaves


def flat(output):
    if isinstance(output, (tuple, list)):
        return [item for part in output for item in flat(part)]
    if hasattr(output, "batch_sizes"):  # a PackedSequence
        return [output.data, output.batch_sizes, output.sorted_indices, output.unsorted_indices]
    return [output]


def dtype_name(tensor):
    return str(tensor.dtype).removeprefix("torch.") if isinstance(tensor, torch.Tensor) else str(tensor.dtype)


def assert_close(ours, theirs, dtype, what):
    ours = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, PyTorch's {theirs.shape}"
    if theirs.dtype.kind in "iub":
        np.testing.assert_array_equal(ours, theirs, err_msg=what)
    else:  # (float32: PyTorch's rounding noise, e.g. a group of one value normalizing to ~1e-5, not 0)
        tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(ours, theirs, err_msg=what, **tolerance)


def outcome(call):
    try:
        return call(), None
    except Exception as error:  # noqa: BLE001  (compared with PyTorch's)
        return None, error


def assert_same_refusal(ours, theirs, what):
    """Both raise or neither, with exceptions of the same built-in type."""
    assert theirs is not None, f"{what}: fastgrad raised {ours!r}, PyTorch returned"
    assert ours is not None, f"{what}: PyTorch raised {theirs!r}, fastgrad returned"
    assert same_exception_type(ours, theirs), f"{what}: fastgrad raised {ours!r}, PyTorch {theirs!r}"


def check_case(name, args, options, inputs, modes, forward, dtype):
    theirs, error_theirs = outcome(lambda: build(torch, name, args, options, dtype))
    ours, error_ours = outcome(lambda: build(fastgrad, name, args, options, dtype))
    if error_theirs or error_ours:
        assert_same_refusal(error_ours, error_theirs, "constructor")
        return
    assert repr(ours) == repr(theirs)
    state = theirs.state_dict()
    assert [(key, tuple(value.shape), dtype_name(value)) for key, value in ours.state_dict().items()] == [
        (key, tuple(value.shape), dtype_name(value)) for key, value in state.items()]
    ours.load_state_dict({key: fastgrad.tensor(value.numpy().copy()) for key, value in state.items()})
    for mode in modes:
        ours.train(mode == "train"), theirs.train(mode == "train")
        our_inputs, our_leaves = make_inputs(fastgrad, inputs)
        their_inputs, their_leaves = make_inputs(torch, inputs)
        our_forward = {key: made_by(fastgrad, value) for key, value in forward.items()}
        their_forward = {key: made_by(torch, value) for key, value in forward.items()}
        our_out, error_ours = outcome(lambda: ours(*our_inputs, **our_forward))
        their_out, error_theirs = outcome(lambda: theirs(*their_inputs, **their_forward))
        if error_theirs or error_ours:
            assert_same_refusal(error_ours, error_theirs, f"{mode} forward")
            continue
        our_out, their_out = flat(our_out), flat(their_out)
        assert len(our_out) == len(their_out)
        upstream = np.random.default_rng(1)
        ends = ([], [], [])
        for index, (mine, reference) in enumerate(zip(our_out, their_out)):
            assert (mine is None) == (reference is None), f"{mode} output {index}"
            if reference is None:
                continue
            assert dtype_name(mine) == dtype_name(reference), f"{mode} output {index} dtype"
            assert mine.requires_grad == reference.requires_grad, f"{mode} output {index} requires_grad"
            assert_close(mine, reference, dtype, f"{mode} output {index}")
            if reference.requires_grad and reference.is_floating_point():
                gradient = upstream.standard_normal(tuple(reference.shape)).astype(dtype_name(reference))
                ends[0].append(mine), ends[1].append(reference), ends[2].append(gradient)
        if ends[0]:
            fastgrad.autograd.backward(ends[0], [fastgrad.tensor(g) for g in ends[2]])
            torch.autograd.backward(ends[1], [torch.tensor(g) for g in ends[2]])
            for index, (mine, reference) in enumerate(zip(our_leaves, their_leaves)):
                if reference is not None:
                    assert (mine.grad is None) == (reference.grad is None), f"{mode} input {index} gradient"
                    if reference.grad is not None:
                        assert_close(mine.grad, reference.grad, dtype, f"{mode} gradient of input {index}")
            our_parameters = dict(ours.named_parameters())
            for key, reference in theirs.named_parameters():
                mine = our_parameters[key]
                assert (mine.grad is None) == (reference.grad is None), f"{mode} gradient of {key}"
                if reference.grad is not None:
                    assert_close(mine.grad, reference.grad, dtype, f"{mode} gradient of {key}")
        ours.zero_grad(), theirs.zero_grad()
        for key, value in theirs.state_dict().items():
            assert_close(ours.state_dict()[key], value, dtype, f"{key} after a {mode} forward")


@pytest.mark.filterwarnings("ignore")  # (broadcast targets, deprecated input forms: both libraries warn alike)
@pytest.mark.parametrize("name", sorted(LAYERS) + [f"F.{name}" for name in sorted(FUNCTIONS)])
def test_layer_against_pytorch(name):
    for case in range(CASES_PER_LAYER):
        rng = np.random.default_rng([case, sum(map(ord, name))])
        dtype = np.float64 if rng.random() < 0.8 else np.float32
        torch.manual_seed(case)
        args, options, inputs, modes, forward = LAYERS[name.removeprefix("F.")](rng, dtype)
        try:
            check_case(name, args, options, inputs, modes, forward, dtype)
        except AssertionError as failure:
            raise AssertionError(f"case {case}: {name}{args} {options} inputs {[describe(i) for i in inputs]} "
                                 f"forward {sorted(forward)} {np.dtype(dtype)}") from failure


def describe(spec):
    if spec is None or isinstance(spec[0], str):
        return spec if spec is None else spec[0]
    return f"{spec[0].shape} {spec[0].dtype} {spec[2]}{' requires grad' if spec[1] else ''}"
