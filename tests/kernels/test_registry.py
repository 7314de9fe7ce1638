"""The kernel registry: one declaration per kernel, every implementation held to the NumPy reference,
backends as views of it, and `describe`."""
import copy
import inspect

import numpy as np
import pytest

import fastgrad
from fastgrad import ops
from fastgrad.backends import numpy as reference
from fastgrad.kernels import checks, registry
from fastgrad.kernels.registry import BACKENDS, KERNELS

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def test_the_registry_declares_exactly_the_reference_kernels():
    public = {name for name, value in vars(reference).items()
              if callable(value) and not name.startswith("_") and not isinstance(value, type)}
    assert set(KERNELS) == public
    assert all(kernel.numpy is getattr(reference, name) for name, kernel in KERNELS.items())


@pytest.mark.parametrize("name", sorted(name for name, kernel in KERNELS.items() if kernel.kinds() != ("numpy",)))
def test_every_implementation_and_check_takes_the_reference_arguments(name):
    kernel = KERNELS[name]
    if isinstance(kernel.numpy, np.ufunc):  # NumPy's own kernel (matmul, tanh): its inputs, positionally
        expected = list(inspect.signature(getattr(kernel, kernel.kinds()[1])).parameters)
        assert len(expected) == kernel.numpy.nin
    else:
        expected = list(inspect.signature(kernel.numpy).parameters)
    for kind in kernel.kinds()[1:]:
        assert list(inspect.signature(getattr(kernel, kind)).parameters) == expected, kind
    if kernel.numba or kernel.native:
        assert kernel.check is getattr(checks, name)
        assert list(inspect.signature(kernel.check).parameters) == expected, "check"
    else:
        assert kernel.check is None


def op_kernel_names():
    """Every kernel an op names in a class attribute (forward_kernel, backward_kernel, kernel)."""
    names = set()
    for op in vars(ops).values():
        if isinstance(op, type):
            names |= {getattr(op, attr) for attr in ("forward_kernel", "backward_kernel", "kernel")
                      if getattr(op, attr, "")}
    return names


def test_every_kernel_an_op_names_is_declared():
    names = op_kernel_names()
    assert {"relu", "relu_backward", "log_softmax_backward", "maximum", "amax"} <= names
    assert names <= set(KERNELS)


def test_backends_are_views_of_the_registry():
    for backend, preference in BACKENDS.items():
        table = fastgrad.backends.load(backend)
        for name, kernel in KERNELS.items():
            kind = registry.chosen_kind(kernel, backend)
            assert kind == next(k for k in preference if getattr(kernel, k) is not None
                                and (k != "native" or registry._native.AVAILABLE))
            if kind in ("numpy", "loops"):
                assert getattr(table, name) is getattr(kernel, kind)
            else:  # behind the check
                assert getattr(table, name).__wrapped__ is getattr(kernel, kind)


def test_compiled_implementations_run_behind_their_check():
    relu = KERNELS["relu"].implementation("numba")
    with pytest.raises(TypeError, match="x: expected a numpy.ndarray, got list"):
        relu([1.0])
    assert KERNELS["relu"].implementation("numpy") is reference.relu
    with pytest.raises(LookupError, match="kernel 'add' has no numba implementation"):
        KERNELS["add"].implementation("numba")
    with pytest.raises(ValueError, match=r"kind: expected one of \('numpy', 'numba', 'native', 'loops'\), got 'c'"):
        KERNELS["add"].implementation("c")


def test_describe_prints_where_each_implementation_lives(capsys):
    fastgrad.kernels.describe("softmax_cross_entropy")
    text = capsys.readouterr().out
    assert text.startswith("kernel softmax_cross_entropy\n")
    assert "numpy   fastgrad.backends.numpy.softmax_cross_entropy (fastgrad/backends/numpy.py:" in text
    assert "numba   -" in text
    assert "native  fastgrad._native.softmax_cross_entropy (fastgrad/_native.py:" in text
    assert "C in csrc/softmax_xent.c" in text
    assert "loops   fastgrad.backends.python_loops.softmax_cross_entropy" in text
    assert "check   fastgrad.kernels.checks.softmax_cross_entropy (fastgrad/kernels/checks.py:" in text
    assert "numpy runs numpy, compiled runs native, python runs loops" in text
    fastgrad.kernels.describe("add")
    assert "numpy   numpy.add (NumPy's compiled ufunc)" in capsys.readouterr().out
    with pytest.raises(KeyError, match="no kernel named 'softmax_xent'; the kernels are: .*softmax_cross_entropy"):
        fastgrad.kernels.describe("softmax_xent")


# -- every non-reference implementation against the reference, on one example each ----------------
def example(name, rng, dtype):
    """Arguments for kernel `name` in float `dtype`."""
    def floats(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(dtype)

    x, g = floats(6, 7, scale=3.0), floats(6, 7)
    ids, offsets = rng.integers(0, 9, 12), np.array([0, 3, 3, 8])
    unique_rows = np.array([1, 4, 5, 8])
    steps, batch, inputs, hidden = 4, 3, 5, 6

    def layer(gate_count):
        return floats(steps, batch, inputs), floats(batch, hidden), floats(gate_count * hidden, inputs, scale=0.4), \
            floats(gate_count * hidden, hidden, scale=0.4)

    if name in ("relu", "sigmoid", "silu", "tanh"):
        return (x,)
    if name in ("relu_backward", "tanh_backward", "sigmoid_backward"):
        return g, getattr(reference, name.removesuffix("_backward"))(x)
    if name == "leaky_relu":
        return x, 0.1
    if name in ("leaky_relu_backward", "silu_backward"):
        return (g, x, 0.1)[:3 if name == "leaky_relu_backward" else 2]
    if name == "hardtanh_backward":
        return g, x, -1.0, 1.0
    if name == "matmul":
        return floats(6, 5), floats(5, 4)
    if name == "linear":
        return floats(6, 5), floats(4, 5), floats(4)
    if name == "linear_backward":
        return floats(6, 5), floats(4, 5), floats(6, 4), True, True, True
    if name == "softmax_cross_entropy":
        targets = rng.integers(0, 7, 6)
        targets[2] = -100
        return x, targets, -100, "mean", True
    if name == "embedding":
        return floats(9, 4), ids.reshape(3, 4)
    if name == "embedding_backward":
        return ids.reshape(3, 4), floats(3, 4, 5), 9, int(ids[0]), False
    if name == "embedding_bag":
        return floats(9, 4), ids, offsets, "mean"
    if name == "embedding_bag_backward":
        return ids, offsets, floats(4, 5), "mean", 9, False
    if name == "dropout_mask":
        return (40, 50), 0.3, np.dtype(dtype), 7
    if name == "rnn_forward":
        return (*layer(1), floats(hidden), "tanh")
    if name == "rnn_backward":
        x_in, h0, w_ih, w_hh = layer(1)
        hs = reference.rnn_forward(x_in, h0, w_ih, w_hh, floats(hidden), "tanh")
        return x_in, h0, w_ih, w_hh, hs, floats(*hs.shape), "tanh", True
    if name == "lstm_forward":
        x_in, h0, w_ih, w_hh = layer(4)
        return x_in, h0, floats(batch, hidden), w_ih, w_hh, floats(4 * hidden)
    if name == "lstm_backward":
        x_in, h0, w_ih, w_hh = layer(4)
        c0 = floats(batch, hidden)
        states, gates = reference.lstm_forward(x_in, h0, c0, w_ih, w_hh, floats(4 * hidden))
        return x_in, h0, c0, w_ih, w_hh, states, gates, floats(*states.shape), True
    if name == "gru_forward":
        return (*layer(3), floats(3 * hidden), floats(3 * hidden))
    if name == "gru_backward":
        x_in, h0, w_ih, w_hh = layer(3)
        hs, gates = reference.gru_forward(x_in, h0, w_ih, w_hh, floats(3 * hidden), floats(3 * hidden))
        return x_in, h0, w_ih, w_hh, hs, gates, floats(*hs.shape), True
    if name in ("crf_forward", "crf_backward", "crf_viterbi"):
        transitions = floats(4, 4)
        transitions[0, 1] = -np.inf  # a forbidden transition
        chain = floats(6, 4), np.array([3, 1, 2]), transitions, floats(4), floats(4)
        if name != "crf_backward":
            return chain
        log_z, alphas = reference.crf_forward(*chain)
        return (floats(3), *chain, alphas, log_z)
    if name in ("ctc_forward", "ctc_backward"):
        # repeated labels (2, 2), an empty target and one too long for its input (an infinite loss)
        sequence = floats(5, 4, 4), np.array([1, 2, 2, 3, 1, 1, 1]), np.array([3, 0, 1, 3]), np.array([5, 2, 4, 2]), 0
        if name == "ctc_forward":
            return sequence
        nll, log_alpha = reference.ctc_forward(*sequence)
        return (floats(4), *sequence, nll, log_alpha)
    if name == "coalesce_rows":
        return ids, floats(12, 3)
    if name == "sgd_rows_update":
        return floats(9, 3), ids, floats(12, 3), 0.5
    if name == "adagrad_rows_update":
        return floats(9, 3), np.abs(floats(9, 3)), unique_rows, floats(4, 3), 0.5, 1e-10
    if name == "sparse_adam_rows_update":
        return floats(9, 3), floats(9, 3), np.abs(floats(9, 3)), unique_rows, floats(4, 3), 0.01, 0.9, 0.999, 1e-8, 3
    raise KeyError(f"no example for kernel {name!r}: add one, so that its implementations are compared")


# Masks from another random generator: same distribution, different draws (compared by their values' set).
OWN_RANDOM_STREAM = {"dropout_mask"}


def assert_same_result(actual, expected, dtype):
    if expected is None or isinstance(expected, (str, int, float, bool)):
        assert actual == expected
    elif isinstance(expected, (tuple, list)):
        assert type(actual) is type(expected) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_same_result(a, e, dtype)
    else:
        assert isinstance(actual, np.ndarray) and actual.shape == expected.shape and actual.dtype == expected.dtype
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(actual, expected, **TOLERANCE[dtype])
        else:
            np.testing.assert_array_equal(actual, expected)


IMPLEMENTED = sorted((name, kind) for name, kernel in KERNELS.items() for kind in kernel.kinds()[1:]
                     if kind != "native" or registry._native.AVAILABLE)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, kind", IMPLEMENTED, ids=[f"{name}-{kind}" for name, kind in IMPLEMENTED])
def test_implementation_matches_the_reference(rng, name, kind, dtype):
    arguments = example(name, rng, dtype)
    reference_arguments = copy.deepcopy(arguments)
    expected = KERNELS[name].numpy(*reference_arguments)
    actual = KERNELS[name].implementation(kind)(*arguments)
    if name in OWN_RANDOM_STREAM:
        assert actual.shape == expected.shape and actual.dtype == expected.dtype
        assert set(np.unique(actual)) == set(np.unique(expected))
        return
    assert_same_result(actual, expected, dtype)
    assert_same_result(list(arguments), list(reference_arguments), dtype)  # the same in-place updates, if any


# -- kernels that write their results into arrays the caller gives (out=) -------------------------------
# what each such kernel's out= holds, picked from its result: linear's y, linear_backward's three gradients,
# softmax_cross_entropy's gradient
WRITTEN = {"linear": lambda y: y, "linear_backward": lambda grads: grads,
           "softmax_cross_entropy": lambda loss_and_grad: loss_and_grad[1]}
WITH_OUT = [(name, kind) for name in WRITTEN for kind in KERNELS[name].kinds()
            if kind != "native" or registry._native.AVAILABLE]


def as_tuple(arrays):
    return arrays if isinstance(arrays, tuple) else (arrays,)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, kind", WITH_OUT, ids=[f"{name}-{kind}" for name, kind in WITH_OUT])
def test_results_go_into_the_given_arrays(rng, name, kind, dtype):
    arguments = example(name, rng, dtype)
    expected = KERNELS[name].numpy(*copy.deepcopy(arguments))
    written = WRITTEN[name](expected)
    nan_filled = [np.full_like(array, np.nan) for array in as_tuple(written)]  # an element left unwritten shows
    out = tuple(nan_filled) if isinstance(written, tuple) else nan_filled[0]
    actual = KERNELS[name].implementation(kind)(*arguments, out=out)
    assert_same_result(actual, expected, dtype)
    assert all(result is given for result, given in zip(as_tuple(WRITTEN[name](actual)), as_tuple(out)))


@pytest.mark.parametrize("kind", [kind for name, kind in WITH_OUT if name == "softmax_cross_entropy"])
def test_softmax_cross_entropy_can_write_its_gradient_over_the_logits(rng, kind):
    logits, *rest = example("softmax_cross_entropy", rng, np.float64)
    expected = reference.softmax_cross_entropy(logits.copy(), *rest)
    actual = KERNELS["softmax_cross_entropy"].implementation(kind)(logits, *rest, out=logits)
    assert actual[1] is logits
    assert_same_result(actual, expected, np.float64)
