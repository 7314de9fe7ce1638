"""A seeded differential fuzz of in-place ops whose operands alias the tensor they write, against PyTorch.

Each case cuts a written tensor and its operands out of one base (a shifted slice, a transpose, a stepped view x[::2],
an expand, a view of a view, the whole base, or a fresh tensor) and runs one in-place op in both libraries: elementwise
arithmetic (alpha, rounding_mode, value, weight), clamp_, lerp_, addcmul_/addcdiv_, the unary math, fill_/zero_,
masked_fill_/masked_scatter_, index_add_/index_copy_/index_fill_, scatter_/scatter_add_/scatter_reduce_, put_,
index_put_ and x[key] = v, the matrix products addmm_/addmv_/addr_/baddbmm_/addbmm_ and t_/transpose_/squeeze_/
unsqueeze_. Three modes: no autograd; the base a leaf that requires grad (PyTorch refuses a change of it or of its
views); the base a non-leaf, which recorded ops saved, written whole or through a view of it (PyTorch's CopySlices),
with a backward through the base, the written tensor (used after the change) and the operands. Where PyTorch
returns, fastgrad must give the same values of the base and the written tensor, the same shape, return the tensor
itself, the same version counters (base, written tensor, operands) and the same gradient of the leaf (to 1e-10,
float64); where PyTorch raises (at the op or at backward), fastgrad must raise an exception of the same built-in
type.

Left out, as PyTorch's undefined results or fastgrad's deliberate choices:
- the values of an op whose operand shares elements with the written ones other than as the same layout (or at all,
  for the ops that are not elementwise), where PyTorch's overlap check gives up (a stepped or expanded view) and its
  result depends on its loop order, as do its BLAS-backed addmm_/addmv_/baddbmm_/addbmm_ for any overlap: fastgrad
  computes all of these as if from a copy (a write that PyTorch refuses fastgrad refuses too);
- writes through a tensor that shows one element at several places (an expand): fastgrad refuses them all, as its
  memory is read-only there, where PyTorch writes in its loop's order (fill_ and zero_ alike);
- PyTorch's backward refusals that come of saving a tensor for its general formula (scatter_reduce_'s src and self,
  whose sum and mean need neither), which show when the operand is a view of the base written through another view
  (fastgrad saves what PyTorch saves for index_copy_'s, index_add_'s and put_'s source and div_'s operands with
  rounding_mode, which its gradients do not read either)."""
import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

BASE = 48  # elements of the base the tensors are cut from
SHAPES = [(3, 4), (4, 4), (12,), (2, 3, 2), (), (4,)]
LAYOUTS = ["contiguous", "permuted", "stepped", "expanded", "nested", "fresh"]
FASTGRAD_REFUSALS = ("read-only",)
# (see the module's docstring)
PYTORCH_SAVES_MORE = ("scatter_reduce_",)
NOT_ELEMENTWISE = ("index", "scatter", "put_", "masked_scatter", "setitem", "addmm", "addmv", "addr", "baddbmm",
                   "addbmm", "cumsum")


def cut(flat, layout: str, shape: tuple, offset: int):
    """A tensor of `shape` laid out by `layout` in the memory of the 1-d `flat`, from element `offset` on."""
    n = int(np.prod(shape))
    reverse = list(reversed(range(len(shape))))
    if layout == "element":
        return flat[offset]
    if layout == "contiguous":
        return flat[offset:offset + n].view(shape)
    if layout == "permuted":  # (a transpose for 2 dims)
        if not shape:
            return flat[offset:offset + 1].view(())
        return flat[offset:offset + n].view(shape[::-1]).permute(*reverse)
    if layout == "stepped":
        return flat[offset:offset + 2 * n:2].view(shape)
    if layout == "expanded":
        return flat[offset:offset + (shape[-1] if shape else 1)].expand(shape)
    # nested: a column of a view, reshaped and permuted back and forth
    column = flat[offset:offset + 2 * n].view(n, 2)[:, 1]
    return column.view(shape[::-1]).permute(*reverse) if len(shape) > 1 else column.view(shape)


def elementwise(method, n_operands=1, positive=False, **choices):
    def draw(rng, shape):
        shapes = [broadcastable(rng, shape) for _ in range(n_operands)]
        return shapes, {name: values[rng.integers(len(values))] for name, values in choices.items()}
    return draw, lambda L, t, operands, params: getattr(t, method)(*operands, **params), positive


def broadcastable(rng, shape):
    r = rng.random()
    return shape if r < 0.6 or not shape else () if r < 0.75 else shape[1:] if r < 0.9 else shape[:-1] + (1,)


def unary(method, positive=False, **params):
    return lambda rng, shape: ([], params), lambda L, t, operands, p: getattr(t, method)(**p), positive


def along_dim(rng, shape, unique=False, fill=False):
    """(operand shapes, params) of index_add_/index_copy_/index_fill_: a dim and an index of it."""
    if not shape:
        return None
    dim = int(rng.integers(len(shape)))
    k = int(rng.integers(1, shape[dim] + 1))
    index = rng.permutation(shape[dim])[:k] if unique else rng.integers(0, shape[dim], k)
    return [() if fill else shape[:dim] + (k,) + shape[dim + 1:]], {"dim": dim, "index": index}


def scattered(rng, shape, unique=False):
    if not shape:
        return None
    dim = int(rng.integers(len(shape)))
    if unique:  # (scatter_'s repeated indices leave it to the loop which write wins)
        moved = shape[:dim] + shape[dim + 1:] + (shape[dim],)
        rows = [rng.permutation(shape[dim]) for _ in range(int(np.prod(moved[:-1])))]
        index = np.moveaxis(np.array(rows).reshape(moved), -1, dim)
    else:
        index = rng.integers(0, shape[dim], shape)
    return [shape], {"dim": dim, "index": index}


def put(rng, shape, unique):
    n = int(np.prod(shape))
    k = int(rng.integers(1, n + 1))
    return [(k,)], {"index": rng.permutation(n)[:k] if unique else rng.integers(-n, n, k)}


def indexed(rng, shape, unique):
    if not shape:
        return None
    k = int(rng.integers(1, shape[0] + 1))
    index = rng.permutation(shape[0])[:k] if unique else rng.integers(0, shape[0], k)
    return [(k,) + shape[1:] if rng.random() < 0.7 else shape[1:]], {"index": index}


def masked(rng, shape, source_shape):
    return [source_shape], {"mask": rng.random(shape) < 0.5}


def index(L, array):
    return L.tensor(np.asarray(array), dtype=L.int64)


def mask(L, array):
    return L.tensor(np.asarray(array), dtype=L.bool)


def product(name, target_shape, operand_shapes):
    """A matrix product in place: its own shapes, and beta and alpha."""
    def draw(rng, shape):
        return operand_shapes, {"beta": [1, 0.5, 0][rng.integers(3)], "alpha": [1, 2][rng.integers(2)]}, target_shape
    return draw, lambda L, t, operands, params: getattr(t, name)(*operands, **params), False


# name: (draw(rng, shape) -> (operand shapes, params[, the written shape]) or None, call(L, t, operands, params),
# whether the values must be positive)
OPS = {
    "add_": elementwise("add_"), "add_ alpha": elementwise("add_", alpha=[2, 0.5, -1.5]),
    "sub_": elementwise("sub_"), "sub_ alpha": elementwise("sub_", alpha=[2, 0.5, -1.5]),
    "mul_": elementwise("mul_"), "div_": elementwise("div_"),
    "div_ rounding": elementwise("div_", rounding_mode=["floor", "trunc"]),
    "pow_": elementwise("pow_", positive=True), "atan2_": elementwise("atan2_"), "hypot_": elementwise("hypot_"),
    "fmod_": elementwise("fmod_"), "remainder_": elementwise("remainder_"), "copysign_": elementwise("copysign_"),
    "clamp_min_": elementwise("clamp_min_"), "clamp_max_": elementwise("clamp_max_"),
    "xlogy_": elementwise("xlogy_", positive=True), "lt_": elementwise("lt_"), "eq_": elementwise("eq_"),
    "floor_divide_": elementwise("floor_divide_"), "ldexp_": elementwise("ldexp_"), "copy_": elementwise("copy_"),
    "__iadd__": elementwise("__iadd__"), "__imul__": elementwise("__imul__"),
    "__ifloordiv__": elementwise("__ifloordiv__"),
    "lerp_ number": elementwise("lerp_", weight=[0.25, 0.75]), "lerp_ tensor": elementwise("lerp_", n_operands=2),
    "addcmul_": elementwise("addcmul_", n_operands=2, value=[1, 0.5, -2]),
    "addcdiv_": elementwise("addcdiv_", n_operands=2, value=[1, 0.5, -2]),
    "clamp_ tensors": elementwise("clamp_", n_operands=2),
    "clamp_ min tensor": (lambda rng, s: ([broadcastable(rng, s)], {}), lambda L, t, o, p: t.clamp_(min=o[0]), False),
    "clamp_ max tensor": (lambda rng, s: ([broadcastable(rng, s)], {}), lambda L, t, o, p: t.clamp_(max=o[0]), False),
    "fill_ tensor": (lambda rng, s: ([()], {}), lambda L, t, o, p: t.fill_(o[0]), False),
    "masked_fill_": (lambda rng, s: masked(rng, s, ()), lambda L, t, o, p: t.masked_fill_(mask(L, p["mask"]), o[0]),
                     False),
    "masked_scatter_": (lambda rng, s: masked(rng, s, s),
                        lambda L, t, o, p: t.masked_scatter_(mask(L, p["mask"]), o[0]), False),
    "index_add_": (along_dim, lambda L, t, o, p: t.index_add_(p["dim"], index(L, p["index"]), o[0], alpha=2), False),
    "index_copy_": (lambda rng, s: along_dim(rng, s, unique=True),
                    lambda L, t, o, p: t.index_copy_(p["dim"], index(L, p["index"]), o[0]), False),
    "index_fill_": (lambda rng, s: along_dim(rng, s, fill=True),
                    lambda L, t, o, p: t.index_fill_(p["dim"], index(L, p["index"]), o[0]), False),
    "scatter_": (lambda rng, s: scattered(rng, s, unique=True),
                 lambda L, t, o, p: t.scatter_(p["dim"], index(L, p["index"]), o[0]), False),
    "scatter_add_": (scattered, lambda L, t, o, p: t.scatter_add_(p["dim"], index(L, p["index"]), o[0]), False),
    "put_": (lambda rng, s: put(rng, s, True), lambda L, t, o, p: t.put_(index(L, p["index"]), o[0]), False),
    "put_ accumulate": (lambda rng, s: put(rng, s, False),
                        lambda L, t, o, p: t.put_(index(L, p["index"]), o[0], accumulate=True), False),
    "index_put_": (lambda rng, s: indexed(rng, s, True),
                   lambda L, t, o, p: t.index_put_((index(L, p["index"]),), o[0]), False),
    "index_put_ accumulate": (lambda rng, s: indexed(rng, s, False),
                              lambda L, t, o, p: t.index_put_((index(L, p["index"]),), o[0], accumulate=True), False),
    "setitem mask": (lambda rng, s: masked(rng, s, ()),
                     lambda L, t, o, p: t.__setitem__(mask(L, p["mask"]), o[0]) or t, False),
    "setitem slice": (lambda rng, s: ([s[1:]], {}) if s else None,
                      lambda L, t, o, p: t.__setitem__(slice(None, None, 2), o[0]) or t, False),
    "cumsum_": (lambda rng, s: ([], {"dim": 0}) if s else None, lambda L, t, o, p: t.cumsum_(**p), False),
    "fill_ number": unary("fill_", value=2.5), "clamp_ numbers": unary("clamp_", min=-0.5, max=1.0),
    "tril_": (lambda rng, s: ([], {}) if len(s) == 2 else None, lambda L, t, o, p: t.tril_(), False),
    "t_": (lambda rng, s: ([], {}) if len(s) <= 2 else None, lambda L, t, o, p: t.t_(), False),
    "transpose_": (lambda rng, s: ([], {}) if len(s) >= 2 else None, lambda L, t, o, p: t.transpose_(0, 1), False),
    "unsqueeze_": unary("unsqueeze_", dim=0), "squeeze_": unary("squeeze_"),
    "addmm_": product("addmm_", (3, 3), [(3, 3), (3, 3)]), "addmv_": product("addmv_", (3,), [(3, 3), (3,)]),
    "addr_": product("addr_", (3, 3), [(3,), (3,)]), "baddbmm_": product("baddbmm_", (2, 2, 2), [(2, 2, 2)] * 2),
    "addbmm_": product("addbmm_", (2, 2), [(2, 2, 2)] * 2),
}
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _include_self in (True, False):
        OPS[f"scatter_reduce_ {_reduce} {_include_self}"] = scattered, (
            lambda reduce, include_self: lambda L, t, o, p: t.scatter_reduce_(
                p["dim"], index(L, p["index"]), o[0], reduce, include_self=include_self))(_reduce, _include_self), False
for _name in ("exp_", "neg_", "abs_", "sin_", "floor_", "sigmoid_", "tanh_", "relu_", "zero_", "square_", "frac_",
              "sign_"):
    OPS[_name] = unary(_name)
for _name in ("sqrt_", "log_", "rsqrt_", "reciprocal_"):
    OPS[_name] = unary(_name, positive=True)


def draw_layout(rng, shape, room=BASE, layouts=LAYOUTS):
    """(layout, shape, offset) of a tensor cut from `room` elements."""
    layout = layouts[rng.integers(len(layouts))]
    if layout == "fresh":
        return layout, shape, 0
    if shape == ():
        return "element", (), int(rng.integers(room))
    n = int(np.prod(shape))
    span = shape[-1] if layout == "expanded" else n * (2 if layout in ("stepped", "nested") else 1)
    if span > room:
        return "fresh", shape, 0
    return layout, shape, 0 if rng.random() < 0.3 else int(rng.integers(room - span + 1))


def draw_case(rng, autograd: bool):
    """(op name, [(layout, shape, offset) of the written tensor, then of each operand], params, base values, fresh
    operands' values), or None where the op takes no drawn shape. With `autograd`, half the cases write the whole
    base (of the written shape), with operands cut from its memory; the others write through a view of it."""
    name = list(OPS)[rng.integers(len(OPS))]
    draw, _, positive = OPS[name]
    shape = SHAPES[rng.integers(len(SHAPES))]
    drawn = draw(rng, shape)
    if drawn is None:
        return None
    operand_shapes, params = drawn[:2]
    shape = drawn[2] if len(drawn) == 3 else shape
    if autograd and rng.random() < 0.5:
        written, room = ("whole", shape, 0), int(np.prod(shape))
        operands = [draw_layout(rng, s, room, ["contiguous", "permuted", "expanded", "fresh"]) for s in operand_shapes]
    else:
        written = draw_layout(rng, shape, layouts=LAYOUTS[:-1])
        operands = [draw_layout(rng, s) for s in operand_shapes]
    values = rng.integers(-8, 9, BASE) / 4.0
    fresh = [rng.integers(-8, 9, int(np.prod(s))) / 4.0 for s in operand_shapes]
    if positive:
        values, fresh = np.abs(values) + 0.25, [np.abs(v) + 0.25 for v in fresh]
    return name, [written] + operands, params, values, fresh


def build(L, layouts, values, fresh, mode):
    """(leaf, base, [written tensor, operands...]); mode "plain", "leaf" (the base a leaf that requires grad) or
    "non-leaf" (the base computed from such a leaf)."""
    whole = layouts[0][0] == "whole"
    shape = layouts[0][1]
    leaf = L.tensor(values[:int(np.prod(shape))].reshape(shape) if whole else values, dtype=L.float64,
                    requires_grad=mode != "plain")
    base = leaf * 1 if mode == "non-leaf" else leaf
    flat = base.view(-1) if whole else base
    tensors = [base if layout == "whole" else L.tensor(numbers, dtype=L.float64).reshape(shape) if layout == "fresh"
               else cut(flat, layout, shape, offset)
               for (layout, shape, offset), numbers in zip(layouts, [None] + fresh)]
    return leaf, base, tensors


def run(L, case, mode):
    name, layouts, params, values, fresh = case
    leaf, base, tensors = build(L, layouts, values, fresh, mode)
    written, operands = tensors[0], tensors[1:]
    if mode == "non-leaf":
        saved_output, saved_input = base.exp(), base * base  # (exp's backward reads its output, mul's its inputs)
    returned = OPS[name][1](L, written, operands, dict(params))
    result = {"itself": returned is written, "base": base.detach().numpy().tolist(),
              "written": written.detach().numpy().tolist(), "versions": [t._version for t in [base] + tensors]}
    if mode == "non-leaf":
        weights = L.tensor(np.linspace(-1, 1, base.numel()), dtype=L.float64).reshape(base.shape)
        loss = (base * weights).sum() + written.sum() * 0.25 + sum((o * 0.5).sum() for o in operands if o.requires_grad)
        result["gradient"] = outcome(lambda: (loss.backward(), leaf.grad.numpy().tolist())[1])
        result["saved"] = outcome(lambda: (saved_output.sum() + saved_input.sum()).backward())
    return result


def addresses(t) -> set:
    """The addresses of the elements a PyTorch tensor shows."""
    offsets = {0} if t.numel() else set()
    for size, stride in zip(t.shape, t.stride()):
        offsets = {o + i * stride for o in offsets for i in range(size)}
    return {t.data_ptr() + o * t.element_size() for o in offsets}


def order_dependent(case) -> bool:
    """Whether PyTorch's values depend on its loop order here (see the module's docstring)."""
    _, layouts, _, values, fresh = case
    _, _, tensors = build(torch, layouts, values, fresh, "plain")
    written = tensors[0]
    shown = addresses(written)
    elementwise = not case[0].startswith(NOT_ELEMENTWISE)

    def layout(t):
        return t.data_ptr(), tuple(t.shape), tuple(s for s, n in zip(t.stride(), t.shape) if n != 1)
    return len(shown) < written.numel() or any(
        shown & addresses(o) and not (elementwise and layout(o) == layout(written)) for o in tensors[1:])


def differences(name, ours, theirs) -> str | None:
    if isinstance(ours, Raised) or isinstance(theirs, Raised):
        if isinstance(ours, Raised) and isinstance(theirs, Raised) and same_exception_type(ours, theirs):
            return None
        if isinstance(ours, Raised) and not isinstance(theirs, Raised) and any(
                refusal in str(ours.error) for refusal in FASTGRAD_REFUSALS):
            return None
        if name.startswith(PYTORCH_SAVES_MORE) and "modified by an inplace operation" in str(
                getattr(theirs, "error", "")):
            return None
        return f"fastgrad {ours!r}, PyTorch {theirs!r}"
    for key, expected in theirs.items():
        got = ours[key]
        if isinstance(got, Raised) or isinstance(expected, Raised):  # (at backward)
            difference = differences(name, got, expected)
        elif key == "gradient":
            difference = None if np.allclose(got, expected, rtol=1e-10, atol=1e-10) else f"{got} != {expected}"
        elif key in ("base", "written"):
            difference = None if np.shape(got) == np.shape(expected) and np.allclose(
                got, expected, rtol=1e-12, atol=1e-12, equal_nan=True) else f"{got} != {expected}"
        else:
            difference = None if got == expected else f"{got} != {expected}"
        if difference:
            return f"{key}: {difference}"
    return None


@pytest.mark.parametrize("mode", ["plain", "leaf", "non-leaf"])
def test_in_place_ops_on_aliased_operands_match_torch(mode):
    failures = []
    for seed in range(120):
        rng = np.random.default_rng([seed, ["plain", "leaf", "non-leaf"].index(mode)])
        case = draw_case(rng, autograd=mode != "plain")
        if case is None:
            continue
        theirs = outcome(lambda: run(torch, case, mode))
        ours = outcome(lambda: run(fastgrad, case, mode))
        if not isinstance(theirs, Raised) and not isinstance(ours, Raised) and order_dependent(case):
            ours, theirs = ({key: r[key] for key in ("itself", "versions")} for r in (ours, theirs))  # (defined)
        difference = differences(case[0], ours, theirs)
        if difference:
            failures.append(f"seed {seed} {case[0]} {case[1]} {case[2]}: {difference[:300]}")
    assert not failures, "\n".join(failures)


def arange(L):
    return L.arange(1.0, 9.0, dtype=L.float64)


# Each of these gave another outcome than PyTorch's before: a refusal, a value, or no refusal
CASES = {
    # an expand that repeats no element is writable (fastgrad's was read-only)
    "mul_ of an expand to its own shape": lambda L: (lambda x: (x[:4].expand(4).mul_(2), x)[1])(arange(L)),
    "zero_ of an expand that adds a dim of size 1": lambda L: (lambda x: (x[:4].expand(1, 4).zero_(), x)[1])(arange(L)),
    # div_ with rounding_mode refuses a partial overlap, as div_ without it (it was computed as if from a copy)
    "div_ floor of a shifted slice": lambda L: (lambda x: x[1:].div_(x[:-1], rounding_mode="floor"))(arange(L)),
    "div_ trunc by one of its elements": lambda L: (lambda x: x.div_(x[2], rounding_mode="trunc"))(arange(L)),
    # PyTorch's scatters, index_copy_ and put_ refuse src in the written memory, even the same memory
    "scatter_ of itself": lambda L: (lambda x: x.scatter_(0, L.tensor([3, 2, 1, 0, 4, 5, 6, 7]), x))(arange(L)),
    "scatter_add_ of itself": lambda L: (lambda x: x.scatter_add_(0, L.tensor([1, 1, 0, 0, 4, 5, 6, 7]), x))(arange(L)),
    "scatter_reduce_ of itself": lambda L: (lambda x: x.scatter_reduce_(0, L.tensor([1, 1, 0, 0, 4, 5, 6, 7]), x,
                                                                        "amax"))(arange(L)),
    "index_copy_ of itself": lambda L: (lambda x: x.index_copy_(0, L.tensor([3, 2, 1, 0, 4, 5, 6, 7]), x))(arange(L)),
    "put_ into a 0-d tensor of itself": lambda L: (lambda x: x[0].put_(L.tensor([0]), x[:1], accumulate=True))(
        arange(L)),
    # a one-element value that PyTorch reads as a number before it writes may lie in the written memory (refused)
    "fill_ with one of its elements": lambda L: (lambda x: x.fill_(x[2]))(arange(L)),
    "masked_fill_ with one of its elements": lambda L: (lambda x: x.masked_fill_(x > 3, x[2]))(arange(L)),
    "index_fill_ with one of its elements": lambda L: (lambda x: x.index_fill_(0, L.tensor([0, 5]), x[2]))(arange(L)),
    "x[:4] = x[2]": lambda L: (lambda x: (x.__setitem__(slice(0, 4), x[2]), x)[1])(arange(L)),
    "x[:4] = x[2:3]": lambda L: (lambda x: (x.__setitem__(slice(0, 4), x[2:3]), x)[1])(arange(L)),
    "x[mask] = x[2:3]": lambda L: (lambda x: (x.__setitem__(x > 3, x[2:3]), x)[1])(arange(L)),
    "index_put_ through a mask of x[2:3]": lambda L: (lambda x: x.index_put_((x > 3,), x[2:3].view(1, 1)))(arange(L)),
    "x[index] = x[2] is refused as before": lambda L: (lambda x: (x.__setitem__(L.tensor([0, 5]), x[2]), x)[1])(
        arange(L)),
    # PyTorch's "the same memory laid out alike" compares every stride, a size-1 dim's too: x[::2] of an x with one
    # row (or two) steps 2 rows along its size-1 dim, its value 1 (fastgrad ignored size-1 dims, and passed these)
    "x[::2] = x[0] of an x with one row": lambda L: (lambda x: (x.__setitem__(slice(None, None, 2), x[0]), x)[1])(
        arange(L).view(1, 8)),
    "x[::2] = x[0] of an x with two rows": lambda L: (lambda x: (x.__setitem__(slice(None, None, 2), x[0]), x)[1])(
        arange(L).view(2, 4)),
    "x[::2] = x of one element": lambda L: (lambda x: (x.__setitem__(slice(None, None, 2), x), x)[1])(arange(L)[:1]),
    "x[0, ::2] = x[0] of a 1x1 x": lambda L: (lambda x: (x.__setitem__((0, slice(None, None, 2)), x[0]), x)[1])(
        arange(L)[:1].view(1, 1)),
    "x[::2].add_(x[:1]) of an x with two rows": lambda L: (lambda x: x[::2].add_(x[:1]))(arange(L).view(2, 4)),
    "x[::2].expand(1, 4).add_(x[:1])": lambda L: (lambda x: x[::2].expand(1, 4).add_(x[:1]))(arange(L).view(2, 4)),
    # passed, as in PyTorch: a 0-d value is read as a number first; a new size-1 dim is laid out as contiguous
    "x[::2] = x[0] of a 1-d x of one element": lambda L: (lambda x: (x.__setitem__(slice(None, None, 2), x[0]), x)[1])(
        arange(L)[:1]),
    "x[0:1] = x[0] of an x with one row": lambda L: (lambda x: (x.__setitem__(slice(0, 1), x[0]), x)[1])(
        arange(L).view(1, 8)),
    "x[None] = x": lambda L: (lambda x: (x.__setitem__(None, x), x)[1])(arange(L)),
    "x[None].add_(x[None])": lambda L: (lambda x: (x[None].add_(x[None]), x)[1])(arange(L)),
    "x.expand(1, 8).add_(x.view(1, 8))": lambda L: (lambda x: (x.expand(1, 8).add_(x.view(1, 8)), x)[1])(arange(L)),
    # PyTorch does not check a value that its expand to the written shape repeats (it was refused)
    "x[:] = x[0] of an x with two rows": lambda L: (lambda x: (x.__setitem__(slice(None), x[0]), x)[1])(
        arange(L).view(2, 4)),
}


@pytest.mark.parametrize("case", CASES)
def test_in_place_aliasing_cases_match_torch(case):
    ours, theirs = outcome(lambda: CASES[case](fastgrad)), outcome(lambda: CASES[case](torch))
    if isinstance(theirs, Raised):
        assert isinstance(ours, Raised) and same_exception_type(ours, theirs), (ours, theirs)
    else:
        assert not isinstance(ours, Raised), ours
        assert ours.tolist() == theirs.tolist()


def gradient_after(change):
    """The gradient of a leaf through a non-leaf x changed in place by change(L, x), then weighted."""
    def call(L):
        leaf = L.arange(1.0, 7.0, dtype=L.float64, requires_grad=True)
        x = leaf * 1
        change(L, x)
        (x * L.arange(6.0, dtype=L.float64)).sum().backward()
        return leaf.grad
    return call


# An in-place op that reads a view of the tensor it changes: the view's gradient went to the op's own result, and
# was lost (it must go to the history the tensor had before the op)
GRADIENT_CASES = {
    "add_ of the same memory through views": gradient_after(lambda L, x: x.add_(x.view(2, 3).view(6))),
    "copy_ of the same memory through a view": gradient_after(lambda L, x: x.copy_(x.view(6))),
    "x[::2] = x[1::2]": gradient_after(lambda L, x: x.__setitem__(slice(0, None, 2), x[1::2])),
    "x[:3] = x[3:]": gradient_after(lambda L, x: x.__setitem__(slice(0, 3), x[3:])),
    "x[2:5] = x[1]": gradient_after(lambda L, x: x.__setitem__(slice(2, 5), x[1])),
    "x[x > 2] = x[1]": gradient_after(lambda L, x: x.__setitem__(x > 2, x[1])),
    "masked_fill_ with x[1]": gradient_after(lambda L, x: x.masked_fill_(x > 2, x[1])),
    "index_fill_ with x[1]": gradient_after(lambda L, x: x.index_fill_(0, L.tensor([0, 4]), x[1])),
    "fill_ with x[1]": gradient_after(lambda L, x: x.fill_(x[1])),
    "lerp_ towards the same memory": gradient_after(lambda L, x: x.lerp_(x.view(6), 0.3)),
    # copysign_ saves its sign operand no more than PyTorch's does (its gradient is zero; fastgrad's backward refused
    # once the write had changed the operand's memory)
    "copysign_ by itself": gradient_after(lambda L, x: (x.sub_(3.5), x.copysign_(x))),
    "copysign_ by the same memory through a view": gradient_after(lambda L, x: (x.sub_(3.5), x.copysign_(x.view(6)))),
    "copysign_ of a view by another view": gradient_after(lambda L, x: (x.sub_(3.5), x[:3].copysign_(x[3:]))),
}


@pytest.mark.parametrize("case", GRADIENT_CASES)
def test_gradients_through_views_read_by_an_in_place_op_match_torch(case):
    ours, theirs = outcome(lambda: GRADIENT_CASES[case](fastgrad)), outcome(lambda: GRADIENT_CASES[case](torch))
    assert not isinstance(ours, Raised) and not isinstance(theirs, Raised), (ours, theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
