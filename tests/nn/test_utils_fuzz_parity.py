"""Seeded differential fuzzing of fastgrad.nn.utils against torch.nn.utils: gradient clipping and norms
(clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_), the parameter/vector conversions and
the rnn padding and packing functions, on random sizes (empty and 0-d tensors among them), dtypes and arguments,
invalid ones included. Each case compares whether both raise, with exceptions of the same built-in type, and, where
neither does, the results' values, dtypes and shapes and the gradients left behind. Fixed seeds, so the cases are
the same on every run.

Left out, as deviations fastgrad chose or PyTorch's own faults explain: pack_padded_sequence with a length past
the padded input's time steps (PyTorch packs rows that are not there, and its pad_packed_sequence fails or gives
other values later; fastgrad raises at once), the unstored rows of a sparse gradient scaled by a NaN total norm
(they stay 0, the dense form's become NaN), and the parameters after vector_to_parameters raised (PyTorch has
already replaced the first ones; fastgrad checks the vector's length first and changes none)."""
import math

import numpy as np
import pytest

import fastgrad
from fastgrad.nn import utils as our_utils

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

SEEDS = range(150)
NORM_ORDERS = [2.0, 1.0, 0.0, 0.5, 3.0, math.inf, -math.inf, -1.0, -0.5]
TOLERANCE = {"float64": dict(rtol=1e-12, atol=1e-300), "float32": dict(rtol=2e-6, atol=1e-30)}


def plain(value):
    """A result in engine-neutral form: tensors as (dtype name, shape, array), containers kept."""
    if isinstance(value, (fastgrad.Tensor, torch.Tensor)):
        array = value.detach().numpy() if isinstance(value, torch.Tensor) else value.detach().numpy()
        return ("tensor", str(value.dtype).split(".")[-1], tuple(value.shape), np.array(array))
    if isinstance(value, (list, tuple)):
        return type(value).__name__ if not hasattr(value, "_fields") else "tuple", [plain(v) for v in value]
    return value


def assert_same(ours, theirs, where="", rounding=None):
    """Both raise, or neither and the results agree: dtypes and shapes exactly, values to the rounding of their
    dtype, or of `rounding` when the inputs were rounder (PyTorch rounds a float32 gradient's norm to float32
    before combining it with float64 ones; fastgrad keeps it in float64)."""
    assert isinstance(ours, Raised) == isinstance(theirs, Raised), f"{where}: fastgrad {ours!r}, PyTorch {theirs!r}"
    if isinstance(theirs, Raised):
        assert same_exception_type(ours, theirs), f"{where}: fastgrad {ours!r}, PyTorch {theirs!r}"
        return
    ours, theirs = plain(ours), plain(theirs)
    assert_same_plain(ours, theirs, where, rounding)


def assert_same_results(results, where, rounding=None):
    """assert_same for each of the outcomes that results["fastgrad"] and results["torch"] list."""
    assert len(results["fastgrad"]) == len(results["torch"]), where
    for mine, theirs in zip(results["fastgrad"], results["torch"]):
        assert_same(mine, theirs, where, rounding)


def assert_same_plain(ours, theirs, where, rounding):
    if isinstance(theirs, tuple) and theirs and theirs[0] == "tensor":
        assert ours[:3] == theirs[:3], f"{where}: dtype/shape {ours[:3]} != {theirs[:3]}"
        tolerance = TOLERANCE.get(rounding if theirs[1] in TOLERANCE and rounding else theirs[1], dict(rtol=0, atol=0))
        np.testing.assert_allclose(ours[3], theirs[3], err_msg=where, equal_nan=True, **tolerance)
    elif isinstance(theirs, tuple) and len(theirs) == 2 and isinstance(theirs[1], list):
        assert ours[0] == theirs[0] and len(ours[1]) == len(theirs[1]), f"{where}: {ours} != {theirs}"
        for mine, their in zip(ours[1], theirs[1]):
            assert_same_plain(mine, their, where, rounding)
    else:
        assert ours == theirs, f"{where}: {ours} != {theirs}"


def random_shape(rng, max_dims=3, max_size=4):
    return tuple(int(n) for n in rng.integers(0 if rng.random() < 0.15 else 1, max_size + 1,
                                               size=rng.integers(0, max_dims + 1)))


def random_values(rng, shape, dtype, special=0.1):
    """Normal values with some zeros, and where `special` allows, a NaN or an infinity."""
    values = rng.normal(scale=rng.choice([1e-3, 1.0, 10.0]), size=shape)
    values[rng.random(shape) < 0.2] = 0.0
    if rng.random() < special and values.size:
        values.reshape(-1)[rng.integers(values.size)] = rng.choice([np.nan, np.inf, -np.inf])
    return values.astype(dtype)


def random_parameters(rng):
    """(shape, dtype, gradient or None) for 0 to 4 parameters."""
    specs = []
    dtypes = [np.float32, np.float64] if rng.random() < 0.3 else [rng.choice([np.float32, np.float64])]
    for _ in range(rng.integers(0, 5)):
        shape, dtype = random_shape(rng), dtypes[rng.integers(len(dtypes))]
        specs.append((shape, dtype, None if rng.random() < 0.15 else random_values(rng, shape, dtype)))
    return specs


def make_parameters(library, specs):
    params = []
    for shape, dtype, grad in specs:
        param = library.zeros(shape, dtype=getattr(library, np.dtype(dtype).name), requires_grad=True)
        if grad is not None:
            param.grad = library.tensor(grad.copy())
        params.append(param)
    return params


def grads_of(params):
    return [p.grad for p in params]


def rounding_of(specs):
    """The dtype whose rounding the results carry: float32 when any gradient is float32."""
    return "float32" if any(dtype == np.float32 for _, dtype, _ in specs) else None


@pytest.mark.parametrize("seed", SEEDS)
def test_clip_grad_norm_and_value(seed):
    rng = np.random.default_rng(seed)
    specs = random_parameters(rng)
    norm_type = NORM_ORDERS[rng.integers(len(NORM_ORDERS))]
    max_norm = float(rng.choice([0.0, 1e-3, 1.0, 1e6, rng.uniform(0, 5)]))
    error_if_nonfinite = bool(rng.random() < 0.3)
    foreach = [None, False, True][rng.integers(3)]
    clip_value = float(rng.choice([0.0, 0.5, 2.0, rng.uniform(0, 3)]))
    results = {}
    for library, utils in ((fastgrad, our_utils), (torch, torch.nn.utils)):
        params = make_parameters(library, specs)
        total = outcome(lambda: utils.clip_grad_norm_(params, max_norm, norm_type, error_if_nonfinite, foreach))
        after_norm = grads_of(params)
        value_params = make_parameters(library, specs)
        clipped = outcome(lambda: utils.clip_grad_value_(value_params, clip_value, foreach))
        results[library.__name__] = total, after_norm, clipped, grads_of(value_params)
    where = f"seed {seed}: norm_type={norm_type}, max_norm={max_norm}, error_if_nonfinite={error_if_nonfinite}"
    ours, theirs = results["fastgrad"], results["torch"]
    assert_same(ours[0], theirs[0], where + " (total norm)", rounding_of(specs))
    if not isinstance(theirs[0], Raised):
        assert_same(ours[1], theirs[1], where + " (gradients)", rounding_of(specs))
    # (with no gradient at all, both raise: PyTorch 2.13 fails an internal check, whatever `foreach`)
    assert_same(ours[2], theirs[2], f"seed {seed}: clip_value={clip_value}")
    assert_same(ours[3], theirs[3], f"seed {seed}: clip_value={clip_value} (gradients)")


ARGUMENTS = {"max_norm": [1.0, 2, "0.5", None, "a", -1.0, float("nan"), float("inf")],
             "clip_value": [1.0, 0, "1", None, "a", -1.0, float("inf")],
             "norm_type": [2, "inf", "-inf", "2", "fro", None, True, -0.0]}


@pytest.mark.parametrize("seed", range(60))
def test_clipping_arguments_of_other_types(seed):
    # numbers given as ints, bools and numeric strings are taken, as PyTorch takes them (through float()), and
    # anything else is refused, None among them, which must not scale the gradients by NaN
    rng = np.random.default_rng(seed)
    specs = [spec for spec in random_parameters(rng) if spec[2] is not None]
    specs = specs or [((2,), np.float32, np.ones(2, np.float32))]
    max_norm, clip_value, norm_type = (values[rng.integers(len(values))] for values in ARGUMENTS.values())
    integer_tensor = rng.integers(-5, 5, size=3)
    results = {}
    for library, utils in ((fastgrad, our_utils), (torch, torch.nn.utils)):
        norm_params, value_params = make_parameters(library, specs), make_parameters(library, specs)
        results[library.__name__] = (
            outcome(lambda: utils.clip_grad_norm_(norm_params, max_norm, norm_type)), grads_of(norm_params),
            outcome(lambda: utils.clip_grad_value_(value_params, clip_value)), grads_of(value_params),
            outcome(lambda: utils.get_total_norm([library.tensor(integer_tensor)], norm_type)))
    where = f"seed {seed}: max_norm={max_norm!r}, clip_value={clip_value!r}, norm_type={norm_type!r}"
    assert_same_results(results, where, rounding_of(specs))


@pytest.mark.parametrize("seed", SEEDS)
def test_get_total_norm_and_clip_grads_with_norm(seed):
    rng = np.random.default_rng(seed)
    specs = [spec for spec in random_parameters(rng) if spec[2] is not None]
    norm_type = NORM_ORDERS[rng.integers(len(NORM_ORDERS))]
    max_norm = float(rng.choice([0.0, 1.0, 1e6, rng.uniform(0, 5)]))
    given_norm = rng.choice(["computed", "given", "nan"])
    results = {}
    for library, utils in ((fastgrad, our_utils), (torch, torch.nn.utils)):
        params = make_parameters(library, specs)
        total = outcome(lambda: utils.get_total_norm([p.grad for p in params], norm_type))
        if given_norm == "computed" and not isinstance(total, Raised):
            scale_by = total
        else:
            scale_by = library.tensor(2.5 if given_norm == "given" else float("nan"))
        scaled = outcome(lambda: utils.clip_grads_with_norm_(params, max_norm, scale_by))
        results[library.__name__] = total, scaled, grads_of(params)
    where = f"seed {seed}: norm_type={norm_type}, max_norm={max_norm}, total norm {given_norm}"
    assert_same_results(results, where, rounding_of(specs))


@pytest.mark.parametrize("seed", SEEDS)
def test_parameters_to_vector_and_back(seed):
    rng = np.random.default_rng(seed)
    dtype = rng.choice([np.float32, np.float64])
    shapes = [random_shape(rng) for _ in range(rng.integers(0, 4))]
    arrays = [random_values(rng, shape, dtype, special=0) for shape in shapes]
    size = sum(a.size for a in arrays)
    vector_size = size if rng.random() < 0.7 else int(rng.integers(0, size + 3))
    vector = random_values(rng, (vector_size,), rng.choice([dtype, np.float32, np.float64]), special=0)
    results = {}
    for library, utils in ((fastgrad, our_utils), (torch, torch.nn.utils)):
        params = [library.tensor(a.copy(), requires_grad=True) for a in arrays]
        flat = outcome(lambda: utils.parameters_to_vector(params))
        restored = outcome(lambda: utils.vector_to_parameters(library.tensor(vector.copy()), params))
        results[library.__name__] = flat, restored, [p.detach() for p in params]
    where = f"seed {seed}: shapes {shapes}, vector of {vector_size} {vector.dtype}"
    (flat, restored, params), (torch_flat, torch_restored, torch_params) = results["fastgrad"], results["torch"]
    assert_same(flat, torch_flat, where)
    assert_same(restored, torch_restored, where)
    if not isinstance(torch_restored, Raised):
        assert_same(params, torch_params, where + " (parameters)")


def random_sequences(rng):
    dtype = rng.choice([np.float32, np.float64, np.int64, np.int32, np.bool_])
    trailing = random_shape(rng, max_dims=2, max_size=3)
    lengths = [int(n) for n in rng.integers(0 if rng.random() < 0.2 else 1, 6, size=rng.integers(1, 5))]
    return [random_values(rng, (n,) + trailing, np.float64, special=0).astype(dtype) for n in lengths], lengths


@pytest.mark.parametrize("seed", SEEDS)
def test_pad_and_pack_sequences(seed):
    rng = np.random.default_rng(seed)
    sequences, lengths = random_sequences(rng)
    batch_first = bool(rng.random() < 0.5)
    padding_value = float(rng.choice([0.0, -1.0, 2.5]))
    padding_side = rng.choice(["right", "left"])
    enforce_sorted = bool(rng.random() < 0.5)
    if rng.random() < 0.5:
        sequences.sort(key=len, reverse=True)
        lengths.sort(reverse=True)
    given_lengths = list(lengths)
    if rng.random() < 0.1:  # an invalid length
        given_lengths[rng.integers(len(lengths))] = 0
    lengths_form = rng.choice(["list", "int64 tensor", "int32 tensor", "bool list", "bool tensor"])
    if lengths_form.startswith("bool"):  # (PyTorch takes bools as the lengths 0 and 1)
        given_lengths = [bool(n) for n in given_lengths]
    total_length = None if rng.random() < 0.6 else int(rng.integers(0, max(lengths) + 3))
    results = {}
    for library, utils in ((fastgrad, our_utils.rnn), (torch, torch.nn.utils.rnn)):
        tensors = [library.tensor(s.copy()) for s in sequences]
        padded = outcome(lambda: utils.pad_sequence(tensors, batch_first, padding_value, padding_side))
        results[library.__name__] = [padded]
        if isinstance(padded, Raised):
            continue
        dtypes = {"int64 tensor": library.int64, "int32 tensor": library.int32, "bool tensor": library.bool}
        given = library.tensor(given_lengths, dtype=dtypes[lengths_form]) if lengths_form in dtypes else given_lengths
        packed = outcome(lambda: utils.pack_padded_sequence(
            utils.pad_sequence(tensors, batch_first, padding_value), given, batch_first, enforce_sorted))
        results[library.__name__].append(packed)
        if not isinstance(packed, Raised):
            results[library.__name__].append(outcome(lambda: utils.pad_packed_sequence(
                packed, not batch_first, padding_value, total_length)))
        results[library.__name__].append(outcome(lambda: utils.pack_sequence(tensors, enforce_sorted)))
    where = (f"seed {seed}: lengths {given_lengths} ({lengths_form}), {sequences[0].dtype}, batch_first={batch_first}, "
             f"padding_side={padding_side}, enforce_sorted={enforce_sorted}, total_length={total_length}")
    ours, theirs = results["fastgrad"], results["torch"]
    assert len(ours) == len(theirs), f"{where}: {ours} vs {theirs}"
    for mine, their in zip(ours, theirs):
        assert_same(mine, their, where)


def sparse_gradient_embedding(rng, dtype):
    """A fastgrad Embedding(sparse=True) whose gradient stores some rows (repeated ones among them, or none),
    and that gradient in dense form, as PyTorch's clipping is given it (it has no norm of a sparse gradient)."""
    rows, width = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    indices = rng.integers(0, rows, size=rng.integers(0, 2 * rows + 1))
    weights = random_values(rng, (len(indices), width), dtype, special=0.05)
    embedding = fastgrad.nn.Embedding(rows, width, sparse=True, dtype=fastgrad.float32 if dtype == np.float32
                                      else fastgrad.float64)
    (embedding(fastgrad.tensor(indices, dtype=fastgrad.int64)) * fastgrad.tensor(weights)).sum().backward()
    dense = np.zeros((rows, width), dtype)
    np.add.at(dense, indices, weights)
    return embedding.weight, dense


def dense_form(gradient):
    return gradient.to_dense() if getattr(gradient, "is_sparse", False) else gradient


@pytest.mark.parametrize("seed", SEEDS)
def test_clip_grad_norm_of_sparse_gradients_as_of_their_dense_form(seed):
    rng = np.random.default_rng(seed)
    specs = random_parameters(rng)
    norm_type = NORM_ORDERS[rng.integers(len(NORM_ORDERS))]
    max_norm = float(rng.choice([0.0, 1e-3, 1.0, 1e6]))
    sparse = [sparse_gradient_embedding(rng, rng.choice([np.float32, np.float64])) for _ in range(rng.integers(1, 3))]
    specs += [(dense.shape, dense.dtype.type, dense) for _, dense in sparse]
    results = {}
    for library, utils in ((fastgrad, our_utils), (torch, torch.nn.utils)):
        params = make_parameters(library, specs)
        if library is fastgrad:
            params[len(params) - len(sparse):] = [weight for weight, _ in sparse]
        norm = outcome(lambda: utils.get_total_norm([p.grad for p in params if p.grad is not None], norm_type))
        total = outcome(lambda: utils.clip_grad_norm_(params, max_norm, norm_type))
        results[library.__name__] = norm, total, [None if p.grad is None else dense_form(p.grad) for p in params]
    where = f"seed {seed}: norm_type={norm_type}, max_norm={max_norm}, sparse gradients {[d.shape for _, d in sparse]}"
    rounding = rounding_of(specs)
    assert_same(results["fastgrad"][0], results["torch"][0], where + " (get_total_norm)", rounding)
    assert_same(results["fastgrad"][1], results["torch"][1], where + " (clip_grad_norm_)", rounding)
    # (a NaN total scales by NaN: a sparse gradient's unstored rows stay 0 where the dense form's become NaN)
    if not isinstance(results["torch"][1], Raised) and not results["torch"][1].isnan():
        assert_same(results["fastgrad"][2], results["torch"][2], where + " (gradients)", rounding)
