"""A seeded differential fuzz of dtype promotion, operand kinds and memory layouts against PyTorch.

Each case draws its operands from {Python bool/int/float, 0-d tensor, 1-element tensor, n-d tensor} x the eight
dtypes x {contiguous, transposed, sliced with a step, expanded (stride 0), empty}, with values at each dtype's limits,
0, -0.0, infinities and NaN, and runs one op (function, method, in-place method or operator) in both libraries.
Where PyTorch returns, fastgrad must give the same dtype, shape, values (NaN-aware, signed zeros included),
requires_grad and gradients, and an in-place op must return its tensor and write the right elements of the tensor
its view came from; where PyTorch raises, fastgrad must raise. Results of ops on inputs laid out otherwise must not
share their inputs' memory unless PyTorch's do.

Left out, as PyTorch 2.13's own defects or fastgrad's deliberate refusals (REFUSALS): a Python number where
PyTorch's signature wants a tensor (fastgrad takes it), PyTorch's median of expanded inputs (it reads the wrong
memory), its backward passes that raise, wrap around or overflow (INTEGER_BACKWARD_BUGS; hypot and prod near the
float maximum), its choice between -0.0 and 0.0 in ties (it depends on its vectorization) and its in-place
comparisons' gradients."""
import math

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]
SHAPES = [(3, 4), (2, 3, 4), (0, 4), (3, 0), (4,)]
LAYOUTS = ["contiguous", "transposed", "sliced", "expanded"]
PY_INTS = [0, 1, -1, 2, 3, -3, 7, 100, -128, 255, 256, 2 ** 31, 2 ** 62, -2 ** 63, 2 ** 63 - 1]
PY_FLOATS = [0.0, -0.0, 1.5, -2.5, 0.5, 2.0, 3.0, math.inf, -math.inf, math.nan, 1e150, -1e39]

BINARY = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow", "bitwise_and",
          "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "eq", "ne", "lt", "le", "gt",
          "ge", "minimum", "maximum", "fmin", "fmax", "atan2", "hypot", "copysign", "nextafter", "logaddexp",
          "xlogy", "logical_and", "logical_or", "logical_xor", "rsub", "float_power"]
OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
             "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b,
             "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
             "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b, "<": lambda a, b: a < b,
             "==": lambda a, b: a == b}
AUGMENTED = {"+=": "__iadd__", "-=": "__isub__", "*=": "__imul__", "/=": "__itruediv__", "//=": "__ifloordiv__",
             "%=": "__imod__", "**=": "__ipow__", "&=": "__iand__", "|=": "__ior__", "^=": "__ixor__",
             "<<=": "__ilshift__", ">>=": "__irshift__"}
UNARY = ["neg", "abs", "exp", "log", "sqrt", "sin", "floor", "ceil", "round", "trunc", "sign", "sigmoid",
         "reciprocal", "rsqrt", "bitwise_not", "logical_not", "frac", "square", "isnan", "isinf", "signbit", "expm1",
         "log1p", "tanh", "sgn", "relu", "nan_to_num", "i0", "erf", "deg2rad"]
REDUCTIONS = ["sum", "prod", "mean", "amax", "amin", "argmax", "argmin", "all", "any", "cumsum", "cumprod", "std",
              "var", "logsumexp", "nansum", "nanmean", "count_nonzero", "median", "cummax", "sort", "diff"]
TERNARY = ["lerp", "addcmul", "addcdiv", "where", "clamp", "masked_fill"]
# ops whose tie between -0.0 and 0.0 PyTorch breaks by its vectorization, and its powers (x ** 0.5 taken as
# sqrt(x) keeps -0.0, where pow gives 0.0)
SIGNED_ZERO_TIES = {"fmin", "fmax", "minimum", "maximum", "clamp", "amax", "amin", "median", "sort", "cummax", "pow",
                    "**", "**=", "float_power"}
# reductions whose float sums depend on the order of the additions: compared to a tolerance of their inputs' scale
SUMMING = {"sum", "mean", "cumsum", "std", "var", "logsumexp", "nansum", "nanmean", "prod", "cumprod"}
# fastgrad raises where PyTorch returns: writes through an expanded view (README: read-only, even when empty), a
# recorded write through a view (docs/design.md), a bool where a number goes, a fractional value for addcmul's
# integer product (PyTorch truncates it), the median of no elements (PyTorch's is NaN, or an arbitrary integer;
# of no bools too, which it refuses otherwise), lerp of integers (PyTorch's computes it where all are 0-d or
# 1-element, and refuses it otherwise)
REFUSALS = ("read-only", "must be a real number, got bool",
            "is not an integer, but the tensors have integer dtypes", "median of an empty tensor is undefined",
            "median: bool tensors are not supported", "lerp() needs a floating point tensor")
# PyTorch's backward of these computes in an integer operand's dtype (negates a uint8, multiplies int16s, takes 1
# from int64's minimum exponent, or takes a False exponent for a number), which wraps around: its gradients are
# wrong there
POWERS = {"pow", "**", "**=", "float_power"}
INTEGER_BACKWARD_BUGS = {"atan2", "addcmul", "addcdiv"} | POWERS
IN_PLACE_ARITHMETIC = {"add", "sub", "mul", "div", "pow", "lerp", "addcmul", "addcdiv", "clamp", "+=", "-=", "*=",
                       "/=", "**="}


class Operand:
    """An operand recipe, built the same way in both libraries."""

    def __init__(self, kind, dtype=None, layout="contiguous", shape=None, array=None, number=None, grad=False):
        self.kind, self.dtype, self.layout, self.shape = kind, dtype, layout, shape
        self.array, self.number, self.grad = array, number, grad

    def __repr__(self):
        if self.array is None:
            return repr(self.number)
        return f"{self.kind}[{self.dtype}, {self.layout}, {self.shape}, grad={self.grad}]({self.array.tolist()})"

    def build(self, lib):
        """(the operand, the leaf that gets the gradient or None, the tensor the operand is a view of)"""
        if self.array is None:
            return self.number, None, None
        base = lib.tensor(self.array.copy(), dtype=getattr(lib, self.dtype))
        leaf = base.requires_grad_(True) if self.grad else None
        if self.layout == "nonleaf":
            base = base * 1
        view = {"transposed": lambda t: t.transpose(-1, -2), "sliced": lambda t: t[..., ::2],
                "expanded": lambda t: t.expand(*self.shape)}.get(self.layout, lambda t: t)(base)
        return view, leaf, base


def values(rng, dtype, shape):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    dt = np.dtype(dtype)
    if dt.kind == "f":
        data = (rng.standard_normal(shape) * 3).astype(dt)
        # (squares and products of a few stay finite, and so do the quotients of remainder and fmod, which
        # PyTorch computes through a / b: it gives NaN where that overflows)
        large = 1e15 if dtype == "float32" else 1e150
        special = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, np.inf, -np.inf, np.nan, large, -large, 1e-30]
    else:
        info = np.iinfo(dt)
        data = rng.integers(-9 if dt.kind == "i" else 0, 10, size=shape).astype(dt)
        special = [v for v in (0, 1, 2, -1, -2, 7, info.max, info.min, info.max - 1, info.min + 1)
                   if info.min <= v <= info.max]
    if rng.random() < 0.5:
        picks = np.array(special, dtype=dt)[rng.integers(0, len(special), size=shape)]
        data = np.where(rng.random(shape) < 0.4, picks, data).astype(dt)
    return data


def operand(rng, shape, numbers=True, dtype=None, grad=True):
    kinds = ["n-d", "n-d", "n-d", "0-d", "1-element"] + (["bool", "int", "float"] if numbers else [])
    kind = kinds[rng.integers(len(kinds))]
    if kind == "bool":
        return Operand(kind, number=bool(rng.integers(2)))
    if kind == "int":
        return Operand(kind, number=int(PY_INTS[rng.integers(len(PY_INTS))]))
    if kind == "float":
        return Operand(kind, number=float(PY_FLOATS[rng.integers(len(PY_FLOATS))]))
    dtype = dtype or DTYPES[rng.integers(len(DTYPES))]
    grad = grad and dtype.startswith("float") and rng.random() < 0.4
    if kind != "n-d":
        single = () if kind == "0-d" else (1,)
        return Operand(kind, dtype, "contiguous", single, values(rng, dtype, single), grad=grad)
    drawn = list(shape)  # a shape that broadcasts to `shape`
    if rng.random() < 0.2 and len(drawn) > 1:
        drawn = drawn[1:]
    elif rng.random() < 0.2:
        drawn[rng.integers(len(drawn))] = 1
    drawn = tuple(drawn)
    layout = LAYOUTS[rng.integers(len(LAYOUTS))]
    stored = drawn
    if layout == "transposed" and len(drawn) >= 2:
        stored = drawn[:-2] + (drawn[-1], drawn[-2])
    elif layout == "sliced":
        stored = drawn[:-1] + (2 * drawn[-1],)
    elif layout == "expanded" and any(d > 1 for d in drawn):
        wide = [i for i, d in enumerate(drawn) if d > 1]
        i = wide[rng.integers(len(wide))]
        stored = drawn[:i] + (1,) + drawn[i + 1:]
    else:
        layout = "contiguous"
    return Operand(kind, dtype, layout, drawn, values(rng, dtype, stored), grad=grad)


def draw_case(rng, group):
    """(op, form, operands, keyword arguments)"""
    shape = SHAPES[rng.integers(len(SHAPES))]
    if group in ("binary", "operators"):
        if group == "binary":
            op, form = BINARY[rng.integers(len(BINARY))], ["function", "method", "in place"][rng.integers(3)]
        elif rng.random() < 0.6:
            op, form = list(OPERATORS)[rng.integers(len(OPERATORS))], "operator"
        else:
            op, form = list(AUGMENTED)[rng.integers(len(AUGMENTED))], "augmented"
        in_place = form in ("in place", "augmented")
        first = operand(rng, shape, numbers=form in ("function", "operator"),
                        grad=not in_place or op in IN_PLACE_ARITHMETIC)
        if in_place and first.grad:
            first.layout = "nonleaf"  # (autograd refuses writes into a leaf, and into views, that require grad)
        second = operand(rng, shape, numbers=first.array is not None, grad=not in_place or op in IN_PLACE_ARITHMETIC)
        kwargs = {}
        if op in ("add", "sub", "rsub") and rng.random() < 0.3:
            kwargs["alpha"] = [2, -1, 0.5, 3][rng.integers(4)]
        if op == "div" and rng.random() < 0.5:
            kwargs["rounding_mode"] = ["floor", "trunc"][rng.integers(2)]
        return op, form, [first, second], kwargs
    if group == "unary":
        op, form = UNARY[rng.integers(len(UNARY))], ["function", "method", "in place"][rng.integers(3)]
        return op, form, [operand(rng, shape, numbers=False, grad=form != "in place")], {}
    if group == "reductions":
        op, form = REDUCTIONS[rng.integers(len(REDUCTIONS))], ["function", "method"][rng.integers(2)]
        x = operand(rng, shape, numbers=False)
        if op == "median" and x.layout == "expanded":
            x.layout, x.array = "contiguous", np.broadcast_to(x.array, x.shape).copy()
        kwargs = {}
        if x.shape and (rng.random() < 0.6 or op in ("cumsum", "cumprod", "cummax")):
            kwargs["dim"] = int(rng.integers(-len(x.shape), len(x.shape)))
            if rng.random() < 0.3 and op not in ("cumsum", "cumprod", "cummax", "sort", "diff"):
                kwargs["keepdim"] = True
        elif op in ("cumsum", "cumprod", "cummax"):
            kwargs["dim"] = 0
        if op in ("sum", "prod", "cumsum", "mean", "nansum") and rng.random() < 0.25:
            kwargs["dtype"] = ["int64", "float64", "float32", "int32"][rng.integers(4)]
        return op, form, [x], kwargs
    op, form = TERNARY[rng.integers(len(TERNARY))], ["function", "method", "in place"][rng.integers(3)]
    grad = form != "in place" or op in IN_PLACE_ARITHMETIC
    if op == "where":
        condition = operand(rng, shape, numbers=False, dtype="bool", grad=False)
        return op, "function", [condition, operand(rng, shape), operand(rng, shape)], {}
    first = operand(rng, shape, numbers=False, grad=grad)
    if form == "in place" and first.grad:
        first.layout = "nonleaf"
    if op == "masked_fill":
        mask = operand(rng, shape, numbers=False, dtype="bool", grad=False)
        value = operand(rng, shape, grad=False)
        if value.array is not None:  # (a 0-d tensor or a number)
            value = Operand("0-d", value.dtype, "contiguous", (), values(rng, value.dtype, ()))
        return op, form, [first, mask, value], {}
    numbers = op in ("lerp", "clamp")
    second, third = operand(rng, shape, numbers=numbers, grad=grad), operand(rng, shape, numbers=numbers, grad=grad)
    if op == "clamp" and (second.array is None) != (third.array is None):
        third = Operand("none", number=None)  # (PyTorch's mixed number and tensor bounds: fastgrad refuses them)
    kwargs = {"value": [2, 0.5, -1][rng.integers(3)]} if op in ("addcmul", "addcdiv") and rng.random() < 0.4 else {}
    return op, form, [first, second, third], kwargs


def run(lib, op, form, operands, kwargs):
    built = [o.build(lib) for o in operands]
    args = [b[0] for b in built]
    kwargs = {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
    if form == "function":
        out = getattr(lib, op)(*args, **kwargs)
    elif form == "method":
        out = getattr(args[0], op)(*args[1:], **kwargs)
    elif form == "in place":
        out = getattr(args[0], op + "_")(*args[1:], **kwargs)
    elif form == "operator":
        out = OPERATORS[op](*args)
    else:
        out = getattr(args[0], AUGMENTED[op])(args[1])
    return out, args, [b[1] for b in built], [b[2] for b in built]


def as_array(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.detach().numpy()


def difference(got, expected, what, rtol, atol, signed_zeros=True):
    """None, or what differs between two arrays."""
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return f"{what}: {got.dtype}{got.shape} vs {expected.dtype}{expected.shape}"
    if expected.dtype.kind in "biu":
        return None if np.array_equal(got, expected) else f"{what}: {got.tolist()} vs {expected.tolist()}"
    g, e = got.astype(np.float64), expected.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = (np.isnan(g) & np.isnan(e)) | (g == e) | (np.isfinite(g) & np.isfinite(e)
                                                         & (np.abs(g - e) <= rtol * np.abs(e) + atol))
    if not close.all():
        i = tuple(np.argwhere(~close)[0])
        return f"{what}: {g[i]!r} vs {e[i]!r} at {i}"
    flipped = (g == 0) & (e == 0) & (np.signbit(g) != np.signbit(e))
    if signed_zeros and flipped.any():
        return f"{what}: signed zero at {tuple(np.argwhere(flipped)[0])}"
    return None


def shares_memory(a, b):
    if not isinstance(b, (torch.Tensor, fastgrad.Tensor)) or a.numel() == 0 or b.numel() == 0:
        return False
    if isinstance(a, torch.Tensor):
        return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    return np.shares_memory(a._data, b._data)


def mismatch(op, form, operands, kwargs):
    """None, or how fastgrad differs from PyTorch on the case."""
    try:
        expected, their_args, their_leaves, their_bases = run(torch, op, form, operands, kwargs)
    except TypeError as error:
        if "must be Tensor" in str(error) or "invalid combination" in str(error):
            return None  # (a number where PyTorch's signature wants a tensor: fastgrad takes it)
        expected = error
    except Exception as error:  # noqa: BLE001 (any exception PyTorch raises, fastgrad must raise)
        expected = error
    try:
        got, our_args, our_leaves, our_bases = run(fastgrad, op, form, operands, kwargs)
    except Exception as error:  # noqa: BLE001
        if isinstance(expected, Exception) or any(refusal in str(error) for refusal in REFUSALS):
            return None
        if isinstance(error, TypeError) and all(t.numel() == 0 for t in (
                expected if isinstance(expected, tuple) else (expected,))):
            return None  # (a dtype fastgrad refuses, which PyTorch checks only where there are elements: lerp's)
        return f"raised {error!r} where PyTorch returns"
    if isinstance(expected, Exception):
        return f"returned where PyTorch raises {expected!r}"
    if op == "lerp" and any(np.isinf(o.array).any() for o in operands
                            if o.array is not None and o.array.dtype.kind == "f"):
        return None  # (PyTorch's vectorized lerp gives NaN for some infinite ends where the formula gives inf)
    expected = list(expected) if isinstance(expected, tuple) else [expected]
    got = list(got) if isinstance(got, tuple) else [got]
    numbers = [o.array.astype(np.float64) for o in operands if o.array is not None]  # (dtype= casts integers)
    scale = max([float(np.abs(a[np.isfinite(a)]).sum()) for a in numbers if np.isfinite(a).any()] + [1.0])
    for i, (ours, theirs) in enumerate(zip(got, expected)):
        if str(ours.dtype) != str(theirs.dtype).replace("torch.", ""):
            return f"output {i}: dtype {ours.dtype} vs {theirs.dtype}"
        rtol = 1e-6 if theirs.dtype == torch.float64 else 1e-4
        found = difference(as_array(ours), as_array(theirs), f"output {i}", rtol,
                           rtol * scale if op in SUMMING else rtol * 1e-2, op not in SIGNED_ZERO_TIES)
        if found:
            return found
        if ours.requires_grad != theirs.requires_grad:
            return f"output {i}: requires_grad {ours.requires_grad} vs {theirs.requires_grad}"
        if form in ("function", "method", "operator"):
            for j, (our_arg, their_arg) in enumerate(zip(our_args, their_args)):
                if shares_memory(ours, our_arg) and not shares_memory(theirs, their_arg):
                    return f"output {i} shares operand {j}'s memory, PyTorch's does not"
    if form in ("in place", "augmented"):
        if got[0] is not our_args[0]:
            return "the in-place op did not return its tensor"
        found = difference(as_array(our_bases[0]), as_array(their_bases[0]), "the written tensor's base", 1e-6, 0.0)
        if found:
            return found
    return gradient_mismatch(op, operands, got, expected, our_leaves, their_leaves)


def gradient_mismatch(op, operands, got, expected, our_leaves, their_leaves):
    differentiable = [i for i, t in enumerate(expected) if t.requires_grad]
    arrays = [o.array for o in operands if o.array is not None]
    floats = [a for a in arrays if a.dtype.kind == "f"]
    integral = [a.dtype.kind in "biu" for a in arrays] + [isinstance(o.number, bool) for o in operands]
    if (not differentiable or op in INTEGER_BACKWARD_BUGS and any(integral)
            or op in POWERS and any((a == 0).any() for a in floats)  # (PyTorch's sqrt path: 1 / (2 * -0.0))
            or any(np.abs(a[np.isfinite(a)]).max(initial=0) > 1e10 or not np.isfinite(a).all() for a in floats)):
        return None  # (near the float maximum PyTorch's backward overflows where fastgrad rescales; with an inf or
        # NaN input, its order of operations decides between inf and NaN (prod / x, sums of +-inf terms))
    weights = [np.random.default_rng(0).standard_normal(tuple(expected[i].shape)) for i in differentiable]
    try:
        sum((expected[i] * torch.tensor(w, dtype=expected[i].dtype)).sum()
            for i, w in zip(differentiable, weights)).backward()
    except RuntimeError:
        return None  # (PyTorch 2.13's backward raises for some broadcast or bool operands; fastgrad's works)
    sum((got[i] * fastgrad.tensor(w, dtype=got[i].dtype)).sum() for i, w in zip(differentiable, weights)).backward()
    single = any(expected[i].dtype == torch.float32 for i in differentiable)
    for j, (ours, theirs) in enumerate(zip(our_leaves, their_leaves)):
        if theirs is None:
            continue
        if (ours.grad is None) != (theirs.grad is None):
            return f"operand {j}: gradient {ours.grad} vs {theirs.grad}"
        if theirs.grad is not None:
            found = difference(as_array(ours.grad), as_array(theirs.grad), f"gradient {j}", 1e-4 if single else 1e-6,
                               1e-6, signed_zeros=False)
            if found:
                return found
    return None


@pytest.mark.parametrize("group, cases", [("binary", 500), ("operators", 400), ("unary", 250), ("reductions", 250),
                                          ("ternary", 300)])
def test_fastgrad_matches_torch_on_drawn_operands(group, cases):
    rng = np.random.default_rng(sum(map(ord, group)))
    found = []
    with np.errstate(all="ignore"):
        for _ in range(cases):
            op, form, operands, kwargs = draw_case(rng, group)
            problem = mismatch(op, form, operands, kwargs)
            if problem:
                found.append(f"{op} ({form}) of {operands} {kwargs}: {problem}")
    assert not found, "\n".join(found[:10])
