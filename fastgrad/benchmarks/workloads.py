"""Every benchmarked computation, defined once, in each implementation compared.

A `Workload` is one computation at one size (e.g. softmax + cross-entropy forward and backward on
(700, 10000) float32 logits); its `Case`s are the implementations: pure-Python loops, NumPy,
fastgrad on the "numpy" and "compiled" backends, PyTorch, gensim. A case's `make()` builds the inputs
(seeded) and returns the zero-argument function to time; that function returns the numbers it
computed (outputs, gradients or updated parameters), so that tests can hold every implementation
to the same values at a tiny size (the `*_workload` builders take sizes). Pure-Python loops are too
slow at the full size of most workloads, so they run on two slices (e.g. 8 and 16 of 256 rows) and
the runner fits time = fixed + per-unit x size through them and reads it off at the full size (see
`Slices`); the case's label says so. Goals are stated as `Goal`s and checked by the runner.

Each case is timed in a process of its own engine (`isolated.py` and `worker.py`): PyTorch and gensim
never share a process with fastgrad's thread pools. So this module imports no part of fastgrad when
it loads: a peer's process loads it from its file, and fastgrad's modules below are imported on
first use, which only fastgrad's own cases make.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


class _OnFirstUse:
    """A module imported when one of its attributes is first read."""

    def __init__(self, name: str):
        self._name, self._module = name, None

    def __getattr__(self, attribute: str):
        if self._module is None:  # kept: timed steps read attributes through here, import_module is not free
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)


fastgrad = _OnFirstUse("fastgrad")
F = _OnFirstUse("fastgrad.nn.functional")
numpy_kernels = _OnFirstUse("fastgrad.backends.numpy")
loop_kernels = _OnFirstUse("fastgrad.backends.python_loops")
fastgrad_sparse = _OnFirstUse("fastgrad.sparse")


def import_torch():
    """PyTorch, or None when it is not installed (its thread count is set by the worker process)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


PYTHON, NUMPY, FASTGRAD_NUMPY, FASTGRAD, TORCH, GENSIM = (
    "python loops", "numpy", "fastgrad numpy backend", "fastgrad compiled", "torch", "gensim")
PEERS = {TORCH: "torch", GENSIM: "gensim"}  # label -> the engine whose process runs the case
DTYPE = np.float32  # PyTorch's default, and what the models train in


@dataclass(frozen=True)
class Slices:
    """A case too slow to run at full size: `make_part(n)` builds it on n of `full` units (rows,
    row-steps); it is timed at both `parts`, and the line through the two times (a fixed cost, such
    as converting the weights to lists, plus a cost per unit) is read off at `full`."""

    make_part: Callable[[int], Callable[[], object]]
    parts: tuple[int, int]
    full: int

    def estimate(self, small_seconds: float, large_seconds: float) -> float:
        small, large = self.parts
        per_unit = (large_seconds - small_seconds) / (large - small)
        if per_unit <= 0:  # timing noise swamped the difference: proportional scaling, an upper bound
            return large_seconds / large * self.full
        return large_seconds + per_unit * (self.full - large)


@dataclass(frozen=True)
class Case:
    """One implementation of a workload. `make()` returns the function to time; `backend` is the
    fastgrad backend to run it under; `slices`, when set, says `make()` runs only part of the
    workload and how to estimate the whole."""

    label: str
    make: Callable[[], Callable[[], object]]
    backend: str | None = None
    note: str = ""
    needs_torch: bool = False
    slices: Slices | None = None

    @property
    def title(self) -> str:
        return f"{self.label} ({self.note})" if self.note else self.label

    @property
    def engine(self) -> str:
        """"torch" or "gensim" for a peer's case, else "fastgrad" (loops and NumPy run in fastgrad's process)."""
        return PEERS.get(self.label, "fastgrad")


@dataclass(frozen=True)
class Goal:
    """`case` should take at most `factor` x the time of `reference` (or at most `seconds`)."""

    case: str
    factor: float = 1.0
    reference: str | None = None
    seconds: float | None = None

    def describe(self) -> str:
        if self.seconds is not None:
            return f"{self.case} <= {self.seconds * 1e6:g} us"
        if self.factor < 1:
            return f"{self.case} >= {1 / self.factor:g}x faster than {self.reference}"
        return f"{self.case} <= {self.factor:g} x {self.reference}"


@dataclass(frozen=True)
class Workload:
    """`flops`: the floating-point operations of the matrix products in one call, for the share of the
    machine's measured matrix-product peak a case reaches; `recipe`: (builder name, keyword arguments),
    so that a worker process can build the same workload (set by `@workload_builder`)."""

    group: str
    name: str
    description: str
    cases: tuple[Case, ...]
    goals: tuple[Goal, ...] = ()
    flops: float | None = None
    recipe: tuple[str, dict] = field(default=("", {}), compare=False)


def workload_builder(build: Callable[..., Workload]) -> Callable[..., Workload]:
    """Records how the workload was built (all arguments, defaults included) in its `recipe`."""
    signature = inspect.signature(build)

    @functools.wraps(build)
    def recorded(*args, **kwargs) -> Workload:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dataclasses.replace(build(*args, **kwargs), recipe=(build.__name__, dict(bound.arguments)))

    return recorded


def build_from_recipe(recipe: tuple[str, dict]) -> Workload:
    name, arguments = recipe
    builder = globals().get(name)
    if not hasattr(builder, "__wrapped__"):
        raise ValueError(f"recipe: no workload builder named {name!r}")
    return builder(**arguments)


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(DTYPE)


def _leaves(*arrays: np.ndarray) -> list[fastgrad.Tensor]:
    return [fastgrad.tensor(a, requires_grad=True) for a in arrays]


def _torch_leaves(torch, *arrays: np.ndarray) -> list:
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def _clear_grads(tensors) -> None:
    for t in tensors:
        t.grad = None


def _grads(tensors) -> tuple:
    return tuple(t.grad for t in tensors)


def _python_case(make_part: Callable[[int], Callable[[], object]], full: int, parts: tuple[int, int], unit: str,
                 backend: str | None = None, note: str = "") -> Case:
    """The pure-Python-loop case: at full size when that is within `parts`, else fitted from two slices."""
    if parts[1] >= full:
        return Case(PYTHON, lambda: make_part(full), backend, note)
    fitted = f"fitted from {parts[0]} and {parts[1]} of {full} {unit}"
    return Case(PYTHON, lambda: make_part(parts[1]), backend, ", ".join(filter(None, [note, fitted])),
                slices=Slices(make_part, parts, full))


# -- core: what the engine itself costs ----------------------------------------------------------------
@workload_builder
def add_tiny_workload(size: int = 4) -> Workload:
    rng = _rng()
    a, b = _normal(rng, size), _normal(rng, size)

    def python():
        a_list, b_list = a.tolist(), b.tolist()
        return lambda: [x + y for x, y in zip(a_list, b_list)]

    def engine():
        ta, tb = _leaves(a, b)
        return lambda: ta + tb

    def torch_case():
        ta, tb = _torch_leaves(import_torch(), a, b)
        return lambda: ta + tb

    return Workload("core", "add_tiny", f"a + b on {size}-element float32 tensors that require grad (forward only)",
                    (Case(PYTHON, python), Case(NUMPY, lambda: lambda: a + b), Case(FASTGRAD, engine, "compiled"),
                     Case(TORCH, torch_case, needs_torch=True)),
                    (Goal(FASTGRAD, 1.0, TORCH),))


@workload_builder
def mul_sum_backward_workload(size: int = 4) -> Workload:
    rng = _rng()
    a, b = _normal(rng, size), _normal(rng, size)

    def python():
        a_list, b_list = a.tolist(), b.tolist()

        def step():  # d(sum a*b)/da = b, d/db = a
            return sum(x * y for x, y in zip(a_list, b_list)), list(b_list), list(a_list)
        return step

    def numpy():
        return lambda: ((a * b).sum(), b.copy(), a.copy())

    def engine(torch=None):
        leaves = _torch_leaves(torch, a, b) if torch else _leaves(a, b)

        def step():
            _clear_grads(leaves)
            loss = (leaves[0] * leaves[1]).sum()
            loss.backward()
            return (loss, *_grads(leaves))
        return step

    return Workload("core", "mul_sum_backward", f"(a * b).sum().backward() on {size}-element float32 tensors",
                    (Case(PYTHON, python), Case(NUMPY, numpy), Case(FASTGRAD, engine, "compiled"),
                     Case(TORCH, lambda: engine(import_torch()), needs_torch=True)),
                    (Goal(FASTGRAD, seconds=20e-6),))


def _mlp_inputs(batch: int, sizes: tuple[int, int, int]):
    inputs, hidden, classes = sizes
    rng = _rng()
    params = [_normal(rng, hidden, inputs, scale=0.05), np.zeros(hidden, DTYPE),
              _normal(rng, classes, hidden, scale=0.05), np.zeros(classes, DTYPE)]
    return params, _normal(rng, batch, inputs), rng.integers(0, classes, size=batch)


def _mlp_engine_step(batch: int, part: int, sizes, lr: float):
    """One SGD step of relu(x W1^T + b1) W2^T + b2 under cross-entropy through fastgrad's engine,
    on the first `part` rows of the batch."""
    arrays, x, y = _mlp_inputs(batch, sizes)
    params, x, y = _leaves(*arrays), fastgrad.tensor(x[:part]), fastgrad.tensor(y[:part])
    # read once, as the other engines' steps read theirs: each read through an on-first-use stand-in is a Python call
    linear, relu, cross_entropy, no_grad = F.linear, F.relu, F.cross_entropy, fastgrad.no_grad

    def step():
        _clear_grads(params)
        w1, b1, w2, b2 = params
        cross_entropy(linear(relu(linear(x, w1, b1)), w2, b2), y).backward()
        with no_grad():
            for p in params:
                p.sub_(p.grad, alpha=lr)
        return tuple(params)
    return step


def _mlp_numpy_step(batch: int, sizes, lr: float):
    """The same step with hand-written NumPy forward and backward."""
    (w1, b1, w2, b2), x, y = _mlp_inputs(batch, sizes)
    rows = np.arange(batch)

    def step():
        hidden = np.maximum(x @ w1.T + b1, 0)
        logits = hidden @ w2.T + b2
        dlogits = np.exp(logits - logits.max(axis=1, keepdims=True))  # softmax - onehot, over the batch
        dlogits /= dlogits.sum(axis=1, keepdims=True)
        dlogits[rows, y] -= 1
        dlogits /= batch
        dhidden = (dlogits @ w2) * (hidden > 0)
        grads = (dhidden.T @ x, dhidden.sum(axis=0), dlogits.T @ hidden, dlogits.sum(axis=0))
        for p, g in zip((w1, b1, w2, b2), grads):
            p -= lr * g
        return w1, b1, w2, b2
    return step


def _mlp_torch_step(batch: int, sizes, lr: float):
    torch = import_torch()
    arrays, x, y = _mlp_inputs(batch, sizes)
    params, x, y = _torch_leaves(torch, *arrays), torch.tensor(x), torch.tensor(y)
    functional = torch.nn.functional

    def step():
        _clear_grads(params)
        w1, b1, w2, b2 = params
        functional.cross_entropy(functional.linear(functional.relu(functional.linear(x, w1, b1)), w2, b2),
                                 y).backward()
        with torch.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=lr)
        return tuple(params)
    return step


@workload_builder
def mlp_step_workload(batch: int = 256, inputs: int = 300, hidden: int = 256, classes: int = 10,
                      lr: float = 0.1) -> Workload:
    sizes = (inputs, hidden, classes)
    return Workload(
        "core", "mlp_step", f"2-layer MLP SGD step, batch {batch}, {inputs}->{hidden}->relu->{classes}, cross-entropy",
        (_python_case(lambda part: _mlp_engine_step(batch, part, sizes, lr), batch, (8, 16), "rows", "python",
                      "fastgrad python backend"),
         Case(NUMPY, lambda: _mlp_numpy_step(batch, sizes, lr)),
         Case(FASTGRAD_NUMPY, lambda: _mlp_engine_step(batch, batch, sizes, lr), "numpy"),
         Case(FASTGRAD, lambda: _mlp_engine_step(batch, batch, sizes, lr), "compiled"),
         Case(TORCH, lambda: _mlp_torch_step(batch, sizes, lr), needs_torch=True)))


@workload_builder
def matmul_workload(size: int = 1024) -> Workload:
    def inputs():
        rng = _rng()
        return _normal(rng, size, size), _normal(rng, size, size)

    def python(part: int):  # lists converted once, outside the timed loops
        a, b = inputs()
        a_rows, b_columns = a[:part].tolist(), b.T.tolist()
        return lambda: loop_kernels.matmul_lists(a_rows, b_columns)

    def numpy():
        a, b = inputs()
        return lambda: a @ b

    def engine(torch=None):
        a, b = _torch_leaves(torch, *inputs()) if torch else _leaves(*inputs())
        return lambda: a @ b

    return Workload("core", f"matmul_{size}", f"{size}x{size} @ {size}x{size} float32 forward (the engine records "
                    "the graph)",
                    (_python_case(python, size, (2, 4), "rows of a"), Case(NUMPY, numpy),
                     Case(FASTGRAD, engine, "compiled"), Case(TORCH, lambda: engine(import_torch()), needs_torch=True)),
                    (Goal(FASTGRAD, 1.05, NUMPY),), flops=2.0 * size**3)


# -- the lecture's example: one window at a time vs one matrix product --------------------------------
@workload_builder
def window_scoring_workload(windows: int = 500, dim: int = 300, outputs: int = 5) -> Workload:
    """Results: one-at-a-time cases return one (outputs,) vector per window, the others the
    (outputs, windows) product."""
    def inputs():
        rng = _rng()
        weight, matrix = _normal(rng, outputs, dim), _normal(rng, dim, windows)
        return weight, matrix, [np.ascontiguousarray(matrix[:, i]) for i in range(windows)]

    def python():  # in plain Python one window at a time and all at once are the same loops
        weight, matrix, _ = inputs()
        weight_rows, window_columns = weight.tolist(), matrix.T.tolist()
        return lambda: loop_kernels.matmul_lists(weight_rows, window_columns)

    def numpy(batched: bool):
        weight, matrix, columns = inputs()
        return (lambda: weight @ matrix) if batched else (lambda: [weight @ c for c in columns])

    def engine(batched: bool, torch=None):
        weight, matrix, columns = inputs()
        as_tensor = torch.tensor if torch else fastgrad.tensor
        w = as_tensor(weight, requires_grad=True)
        if batched:
            x = as_tensor(matrix)
            return lambda: w @ x
        xs = [as_tensor(column) for column in columns]
        return lambda: [w @ x for x in xs]

    one, matrix = "one window at a time", f"one {dim}x{windows} matrix"
    return Workload(
        "window", "window_scoring", f"W ({outputs}x{dim}) applied to {windows} window vectors: {windows} products "
        "vs one W @ X",
        (Case(PYTHON, python), Case(NUMPY, lambda: numpy(False), note=one), Case(NUMPY, lambda: numpy(True), note=matrix),
         Case(FASTGRAD, lambda: engine(False), "compiled", note=one),
         Case(FASTGRAD, lambda: engine(True), "compiled", note=matrix),
         Case(TORCH, lambda: engine(False, import_torch()), note=one, needs_torch=True),
         Case(TORCH, lambda: engine(True, import_torch()), note=matrix, needs_torch=True)))


# -- linear layer ------------------------------------------------------------------------------------
@workload_builder
def linear_workload(batch: int = 256, features: int = 300) -> Workload:
    """Results: y, dx, dW, db."""
    def inputs(part: int):
        rng = _rng()
        x, g = _normal(rng, batch, features)[:part], _normal(rng, batch, features)[:part]
        return x, _normal(rng, features, features, scale=0.05), _normal(rng, features), g

    def kernels(module, part: int):
        x, weight, bias, g = inputs(part)
        return lambda: (module.linear(x, weight, bias), *module.linear_backward(x, weight, g, True, True, True))

    def numpy():
        x, weight, bias, g = inputs(batch)
        return lambda: (x @ weight.T + bias, g @ weight, g.T @ x, g.sum(axis=0))

    def engine(torch=None):
        x, weight, bias, g = inputs(batch)
        leaves = _torch_leaves(torch, x, weight, bias) if torch else _leaves(x, weight, bias)
        g = torch.tensor(g) if torch else fastgrad.tensor(g)
        linear = torch.nn.functional.linear if torch else F.linear

        def step():
            _clear_grads(leaves)
            y = linear(*leaves)
            y.backward(g)
            return (y, *_grads(leaves))
        return step

    return Workload(
        "linear", f"linear_{batch}x{features}x{features}", f"linear layer forward + backward (dx, dW, db), "
        f"B={batch}, {features}->{features}, float32",
        (_python_case(lambda part: kernels(loop_kernels, part), batch, (8, 16), "rows"),
         Case(NUMPY, numpy, note="the four raw matrix products"),
         Case(FASTGRAD_NUMPY, engine, "numpy"), Case(FASTGRAD, engine, "compiled"),
         Case(TORCH, lambda: engine(import_torch()), needs_torch=True)),
        (Goal(FASTGRAD, 1.10, NUMPY),), flops=3 * 2.0 * batch * features * features)


# -- softmax + cross-entropy ---------------------------------------------------------------------------
@workload_builder
def cross_entropy_workload(rows: int, classes: int = 10000) -> Workload:
    """Results: the mean loss and d(loss)/d(logits)."""
    def inputs(part: int):
        rng = _rng()
        return _normal(rng, rows, classes)[:part], rng.integers(0, classes, size=rows)[:part]

    def kernel(module, part: int):
        logits, targets = inputs(part)
        return lambda: module.softmax_cross_entropy(logits, targets, -100, "mean", True)

    def engine(torch=None):
        logits, targets = inputs(rows)
        (leaf,) = _torch_leaves(torch, logits) if torch else _leaves(logits)
        targets = (torch or fastgrad).tensor(targets)
        cross_entropy = torch.nn.functional.cross_entropy if torch else F.cross_entropy

        def step():
            leaf.grad = None
            loss = cross_entropy(leaf, targets)
            loss.backward()
            return loss, leaf.grad
        return step

    return Workload(
        "softmax_xent", f"xent_{rows}x{classes}", f"softmax + cross-entropy forward + backward, ({rows}, {classes}) "
        "float32 logits, mean reduction",
        (_python_case(lambda part: kernel(loop_kernels, part), rows, (8, 16), "rows"),
         Case(NUMPY, lambda: kernel(numpy_kernels, rows), note="the NumPy reference kernel"),
         Case(FASTGRAD_NUMPY, engine, "numpy"), Case(FASTGRAD, engine, "compiled"),
         Case(TORCH, lambda: engine(import_torch()), needs_torch=True)),
        (Goal(FASTGRAD, 1 / 3, TORCH),))


# -- recurrent layers: forward + BPTT ---------------------------------------------------------------------
def recurrent_flops(gate_count: int, steps: int, batch: int, inputs: int, hidden: int) -> float:
    """Matrix-product FLOPs of one layer's forward and BPTT with gradients for x and the weights: the
    input and recurrent products forward, and per weight matrix the gradient and the product back."""
    forward = 2.0 * steps * batch * gate_count * hidden * (inputs + hidden)
    return 3 * forward
@workload_builder
def rnn_workload(hidden: int, batch: int = 20, steps: int = 35) -> Workload:
    """Results: all hidden states, then the gradients of x, W_ih, W_hh, b_ih, b_hh."""
    def inputs(part_steps: int, part_batch: int):
        rng = _rng()
        bound = 1 / np.sqrt(hidden)  # PyTorch's nn.RNN initialisation range
        x = np.ascontiguousarray(_normal(rng, steps, batch, hidden)[:part_steps, :part_batch])
        weights = [rng.uniform(-bound, bound, size=shape).astype(DTYPE)
                   for shape in [(hidden, hidden), (hidden, hidden), (hidden,), (hidden,)]]
        g = np.ascontiguousarray(_normal(rng, steps, batch, hidden, scale=0.01)[:part_steps, :part_batch])
        return x, np.zeros((part_batch, hidden), DTYPE), weights, g

    def kernels(module, part_steps: int, part_batch: int):
        x, h0, (w_ih, w_hh, b_ih, b_hh), g = inputs(part_steps, part_batch)

        def step():
            hs = module.rnn_forward(x, h0, w_ih, w_hh, b_ih + b_hh, "tanh")
            dx, _, dw_ih, dw_hh, db = module.rnn_backward(x, h0, w_ih, w_hh, hs, g, "tanh", True)
            return hs, dx, dw_ih, dw_hh, db, db
        return step

    def engine():
        x, h0, weights, g = inputs(steps, batch)
        leaves, h0, g = _leaves(x, *weights), fastgrad.tensor(h0), fastgrad.tensor(g)

        def step():
            _clear_grads(leaves)
            hs = F.rnn(leaves[0], h0, *leaves[1:])
            hs.backward(g)
            return (hs, *_grads(leaves))
        return step

    def torch_case():
        torch = import_torch()
        x, h0, weights, g = inputs(steps, batch)
        layer = torch.nn.RNN(hidden, hidden)
        parameters = [layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0]
        with torch.no_grad():
            for parameter, value in zip(parameters, weights):
                parameter.copy_(torch.tensor(value))
        (x,), h0, g = _torch_leaves(torch, x), torch.tensor(h0[None]), torch.tensor(g)
        leaves = [x, *parameters]

        def step():
            _clear_grads(leaves)
            hs = layer(x, h0)[0]
            hs.backward(g)
            return (hs, *_grads(leaves))
        return step

    def python(row_steps: int):  # one batch row: the loops cost the same per (batch row, step)
        return kernels(loop_kernels, row_steps, 1) if row_steps < batch * steps else kernels(loop_kernels, steps, batch)

    return Workload(
        "rnn", f"rnn_h{hidden}", f"tanh RNN forward + BPTT, B={batch}, T={steps}, I=H={hidden}, float32 (gradients "
        "for x and all weights)",
        (_python_case(python, batch * steps, (5, 10) if hidden <= 200 else (2, 4), "row-steps"),
         Case(NUMPY, lambda: kernels(numpy_kernels, steps, batch), note="the NumPy reference kernels"),
         Case(FASTGRAD_NUMPY, engine, "numpy"), Case(FASTGRAD, engine, "compiled"),
         Case(TORCH, torch_case, note="nn.RNN", needs_torch=True)),
        (Goal(FASTGRAD, 1.0 if hidden <= 200 else 1.2, TORCH),), flops=recurrent_flops(1, steps, batch, hidden, hidden))


# -- embedding bag -----------------------------------------------------------------------------------
@workload_builder
def embedding_bag_workload(vocab: int = 20000, dim: int = 300, bags: int = 64, length: int = 20) -> Workload:
    """Results: the bag means and the sparse gradient of the table."""
    def inputs():
        rng = _rng()
        ids = rng.integers(0, vocab, size=bags * length)
        offsets = np.arange(0, ids.size, length, dtype=np.int64)
        return _normal(rng, vocab, dim), ids, offsets, _normal(rng, bags, dim)

    def kernels(module):
        weight, ids, offsets, g = inputs()

        def step():
            rows, values = module.embedding_bag_backward(ids, offsets, g, "mean", vocab, True)
            bags = module.embedding_bag(weight, ids, offsets, "mean")
            return bags, fastgrad_sparse.SparseRowGrad(rows, values, weight.shape)
        return step

    def engine():
        weight, ids, offsets, g = inputs()
        (leaf,) = _leaves(weight)
        ids, offsets, g = fastgrad.from_numpy(ids), fastgrad.from_numpy(offsets), fastgrad.from_numpy(g)

        def step():
            leaf.grad = None
            out = F.embedding_bag(ids, leaf, offsets, mode="mean", sparse=True)
            out.backward(g)
            return out, leaf.grad
        return step

    def torch_case():
        torch = import_torch()
        weight, ids, offsets, g = inputs()
        bag = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(weight), freeze=False, mode="mean", sparse=True)
        ids, offsets, g = torch.tensor(ids), torch.tensor(offsets), torch.tensor(g)

        def step():
            bag.weight.grad = None
            out = bag(ids, offsets)
            out.backward(g)
            return out, bag.weight.grad
        return step

    return Workload(
        "embedding_bag", "bag_mean_sparse", f"embedding-bag mean forward + backward with sparse gradient, V={vocab}, "
        f"d={dim}, {bags} bags of {length} ids, float32",
        (Case(PYTHON, lambda: kernels(loop_kernels)),
         Case(NUMPY, lambda: kernels(numpy_kernels), note="the NumPy reference kernels"),
         Case(FASTGRAD_NUMPY, engine, "numpy"), Case(FASTGRAD, engine, "compiled"),
         Case(TORCH, torch_case, note="nn.EmbeddingBag(mode='mean', sparse=True)", needs_torch=True)),
        (Goal(FASTGRAD, 0.5, TORCH),))


@workload_builder
def gated_workload(cell: str, hidden: int = 200, batch: int = 20, steps: int = 35) -> Workload:
    """One LSTM or GRU layer over a sequence, forward and BPTT. Results: the outputs (hidden states),
    then the gradients of x, W_ih, W_hh, b_ih, b_hh."""
    gate_count = {"lstm": 4, "gru": 3}[cell]

    def inputs():
        rng = _rng()
        bound = 1 / np.sqrt(hidden)  # PyTorch's initialisation range
        weights = [rng.uniform(-bound, bound, size=shape).astype(DTYPE) for shape in
                   [(gate_count * hidden, hidden), (gate_count * hidden, hidden), (gate_count * hidden,),
                    (gate_count * hidden,)]]
        return _normal(rng, steps, batch, hidden), weights, _normal(rng, steps, batch, hidden, scale=0.01)

    def kernels():
        x, (w_ih, w_hh, b_ih, b_hh), g = inputs()
        zeros = np.zeros((batch, hidden), DTYPE)

        def step():
            if cell == "lstm":
                states, gates = numpy_kernels.lstm_forward(x, zeros, zeros, w_ih, w_hh, b_ih + b_hh)
                g_states = np.stack([g, np.zeros_like(g)])
                dx, _, _, dw_ih, dw_hh, db = numpy_kernels.lstm_backward(x, zeros, zeros, w_ih, w_hh, states, gates,
                                                                         g_states, True)
                return states[0], dx, dw_ih, dw_hh, db, db
            hs, gates = numpy_kernels.gru_forward(x, zeros, w_ih, w_hh, b_ih, b_hh)
            dx, _, dw_ih, dw_hh, db_ih, db_hh = numpy_kernels.gru_backward(x, zeros, w_ih, w_hh, hs, gates, g, True)
            return hs, dx, dw_ih, dw_hh, db_ih, db_hh
        return step

    def engine():
        x, weights, g = inputs()
        leaves, g = _leaves(x, *weights), fastgrad.tensor(g)
        zeros = fastgrad.zeros(batch, hidden)

        def step():
            _clear_grads(leaves)
            if cell == "lstm":
                outputs, _ = F.lstm(leaves[0], (zeros, zeros), *leaves[1:])
            else:
                outputs = F.gru(leaves[0], zeros, *leaves[1:])
            outputs.backward(g)
            return (outputs, *_grads(leaves))
        return step

    def torch_case():
        torch = import_torch()
        x, weights, g = inputs()
        layer = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(hidden, hidden)
        parameters = [layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0]
        with torch.no_grad():
            for parameter, value in zip(parameters, weights):
                parameter.copy_(torch.tensor(value))
        (x,), g = _torch_leaves(torch, x), torch.tensor(g)
        leaves = [x, *parameters]

        def step():
            _clear_grads(leaves)
            outputs = layer(x)[0]
            outputs.backward(g)
            return (outputs, *_grads(leaves))
        return step

    return Workload(
        "rnn", f"{cell}_h{hidden}", f"{cell.upper()} layer forward + BPTT, B={batch}, T={steps}, I=H={hidden}, float32 "
        "(gradients for x and all weights)",
        (Case(NUMPY, kernels, note="the NumPy reference kernels"), Case(FASTGRAD_NUMPY, engine, "numpy"),
         Case(FASTGRAD, engine, "compiled"), Case(TORCH, torch_case, note=f"nn.{cell.upper()}", needs_torch=True)),
        (Goal(FASTGRAD, 1 / 1.5, TORCH),), flops=recurrent_flops(gate_count, steps, batch, hidden, hidden))


# -- language-model training steps (issues 12 and 14) -----------------------------------------------------
rnnlm = _OnFirstUse("fastgrad.models.rnnlm")
fastgrad_optim = _OnFirstUse("fastgrad.optim")
fastgrad_nn = _OnFirstUse("fastgrad.nn")


@workload_builder
def lm_step_workload(cell: str = "rnn", layers: int = 1, vocab: int = 10000, dim: int = 200, batch: int = 20,
                     bptt: int = 35, clip: float = 0.25, lr: float = 1.0) -> Workload:
    """One truncated-BPTT training step of the RNN LM: ids (bptt, batch) -> embedding -> `layers` recurrent
    layers of `dim` -> linear to the vocabulary -> cross-entropy -> backward -> clip_grad_norm_ -> SGD, the
    recurrent state carried (detached) from step to step. Results: the step's loss."""
    stream = np.random.default_rng(0).integers(0, vocab, batch * (50 * bptt + 1))  # 50 segments, then it wraps

    def engine():
        fastgrad.manual_seed(0)
        # only what differs from the Elman defaults, so that a baseline fastgrad from before LSTMs runs it too
        gated = {"cell": cell, "num_layers": layers} if (cell, layers) != ("rnn", 1) else {}
        model = rnnlm.RNNLM(vocab, dim, dim, **gated)
        run = rnnlm.TruncatedBPTT(model, fastgrad_optim.SGD(model.parameters(), lr=lr), stream, batch, bptt, clip)
        return lambda: run.step()[0]

    def torch_case():
        torch = import_torch()
        torch.manual_seed(0)
        recurrent = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](dim, dim, layers)
        encoder, decoder = torch.nn.Embedding(vocab, dim), torch.nn.Linear(dim, vocab)
        params = [*encoder.parameters(), *recurrent.parameters(), *decoder.parameters()]
        optimizer = torch.optim.SGD(params, lr=lr)
        batched = torch.from_numpy(stream.reshape(batch, -1).T.copy())
        zeros = torch.zeros(layers, batch, dim)
        state = {"hidden": (zeros, zeros) if cell == "lstm" else zeros, "start": 0}

        def step():
            start = state["start"]
            inputs, targets = batched[start:start + bptt], batched[start + 1:start + 1 + bptt]
            hidden = state["hidden"]
            hidden = tuple(h.detach() for h in hidden) if cell == "lstm" else hidden.detach()
            outputs, hidden = recurrent(encoder(inputs), hidden)
            loss = torch.nn.functional.cross_entropy(decoder(outputs).reshape(-1, vocab), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, clip)
            optimizer.step()
            state["hidden"], state["start"] = hidden, (start + bptt) % (len(batched) - 1 - bptt)
            return loss.item()
        return step

    gate_count = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    output_layer = 3 * 2.0 * bptt * batch * dim * vocab  # logits, and the products back to W and to h
    return Workload(
        "lm", f"{cell}lm_step" + (f"_{layers}layers" if layers > 1 else ""),
        f"{cell.upper()} LM training step: V={vocab}, E=H={dim}, {layers} layer{'s' * (layers > 1)}, B={batch}, "
        f"T={bptt}, full softmax, clip {clip}, SGD",
        (Case(FASTGRAD, engine, "compiled"), Case(TORCH, torch_case, needs_torch=True)),
        (Goal(FASTGRAD, 1 / (1.25 if cell == "rnn" else 1.2), TORCH),),
        flops=output_layer + layers * recurrent_flops(gate_count, bptt, batch, dim, dim))


# -- training steps of the lecture's classifiers ------------------------------------------------------------
@workload_builder
def training_step_workload(model: str, sparse: bool, vocab: int = 20000) -> Workload:
    """One training step (forward, backward, optimizer) written once against the PyTorch-shaped API, so
    fastgrad and PyTorch run the same code. "ner": the window network, 5 word ids -> Embedding(vocab, 50)
    -> concatenation (250) -> Linear 100 -> tanh -> Linear 5 -> cross-entropy, batch 256, SGD, embedding
    gradient dense or row-sparse. "dan": 64 sentences x 20 ids -> mean of Embedding(vocab, 300) (or
    EmbeddingBag(mode="mean", sparse=True)) -> Linear 300 -> ReLU -> Linear 2 -> cross-entropy, Adam (or
    SparseAdam for the table). Results: the step's loss."""
    rng = _rng()
    if model == "ner":
        ids, labels = rng.integers(0, vocab, (256, 5)), rng.integers(0, 5, 256)
    else:
        ids, labels = rng.integers(0, vocab, (64, 20)), rng.integers(0, 2, 64)

    def step(lib):
        lib.manual_seed(0)
        nn = lib.nn
        if model == "ner":
            embed = nn.Embedding(vocab, 50, sparse=sparse)
            layers = nn.Sequential(nn.Linear(250, 100), nn.Tanh(), nn.Linear(100, 5))
            optimizers = [lib.optim.SGD([*embed.parameters(), *layers.parameters()], lr=0.01)]
        else:
            embed = nn.EmbeddingBag(vocab, 300, mode="mean", sparse=True) if sparse else nn.Embedding(vocab, 300)
            layers = nn.Sequential(nn.Linear(300, 300), nn.ReLU(), nn.Linear(300, 2))
            optimizers = ([lib.optim.SparseAdam(list(embed.parameters())), lib.optim.Adam(list(layers.parameters()))]
                          if sparse else [lib.optim.Adam([*embed.parameters(), *layers.parameters()])])
        inputs, targets = lib.from_numpy(ids), lib.from_numpy(labels)

        def run():
            for optimizer in optimizers:
                optimizer.zero_grad()
            if model == "ner":
                features = embed(inputs).reshape(inputs.shape[0], -1)
            else:
                features = embed(inputs) if sparse else embed(inputs).mean(dim=1)
            loss = lib.nn.functional.cross_entropy(layers(features), targets)
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            return loss.item()
        return run

    described = {"ner": "NER window network, SGD", "dan": "DAN, Adam" + (" / SparseAdam" if sparse else "")}[model]
    return Workload("training", f"{model}_step_{'sparse' if sparse else 'dense'}",
                    f"training step: {described}, {'row-sparse' if sparse else 'dense'} embedding gradient, V={vocab}",
                    (Case(FASTGRAD, lambda: step(fastgrad), "compiled"),
                     Case(TORCH, lambda: step(import_torch()), needs_torch=True)))


# -- word2vec against gensim ----------------------------------------------------------------------------------
class Unavailable(Exception):
    """A case cannot run here (a data set or an optional package is missing); the message says what."""


word2vec_model = _OnFirstUse("fastgrad.models.word2vec")
W2V_CORPUS = "w2v-corpus/wiki2015-text8.gz"
W2V_SETTINGS = dict(dim=100, window=5, negative=5, sample=1e-3, min_count=5, alpha=0.025, min_alpha=0.0001)


def _corpus_prefix(words: int) -> str:
    """A text file of the first `words` words of the text8-layout corpus (one line), in a temporary folder."""
    import gzip
    import os
    import tempfile
    from pathlib import Path

    # fastgrad.data.paths.data_dir's rule, which a gensim process cannot import: $FASTGRAD_DATA, else ../shared/data
    data = os.environ.get("FASTGRAD_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data"
    source = Path(data) / W2V_CORPUS
    if not source.is_file():
        raise Unavailable(f"{source} not found (set FASTGRAD_DATA)")
    with gzip.open(source, "rt", encoding="ascii") as f:
        text = f.read(8 * words)  # about 6 characters per word
    prefix = text[:text.rfind(" ")].split()[:words]  # drop the word the read may have cut
    path = Path(tempfile.mkdtemp(prefix="w2v-bench-")) / "prefix.txt"
    path.write_text(" ".join(prefix), encoding="ascii")
    return str(path)


@workload_builder
def word2vec_workload(model: str, words: int = 2_000_000, workers: int = 2) -> Workload:
    """One epoch of word2vec training (skip-gram or CBOW, negative sampling) over the first `words` words of
    the shared text8-layout corpus, cut into 10,000-word sentences by both engines: dim 100, window 5,
    negative 5, sample 1e-3, min_count 5, alpha 0.025 -> 0.0001, `workers` threads (the runner passes its
    thread count). The vocabulary is built once, outside the timed epochs. Results: words trained."""
    def engine():
        corpus = word2vec_model.read_corpus(_corpus_prefix(words), min_count=W2V_SETTINGS["min_count"])
        trainer = word2vec_model.Word2Vec(model=model, workers=workers, seed=1, epochs=1, **W2V_SETTINGS)
        trainer.build(corpus)
        return lambda: trainer.train(corpus).raw_words

    def gensim_case():
        try:
            from gensim.models import word2vec as gensim_word2vec
        except ImportError as err:
            raise Unavailable("gensim is not installed") from err
        sentences = list(gensim_word2vec.LineSentence(_corpus_prefix(words)))  # 10,000-word sentences
        trainer = gensim_word2vec.Word2Vec(vector_size=W2V_SETTINGS["dim"], window=W2V_SETTINGS["window"],
                                           negative=W2V_SETTINGS["negative"], hs=0, sample=W2V_SETTINGS["sample"],
                                           min_count=W2V_SETTINGS["min_count"], alpha=W2V_SETTINGS["alpha"],
                                           min_alpha=W2V_SETTINGS["min_alpha"], sg=int(model == "sg"),
                                           workers=workers, seed=1)
        trainer.build_vocab(sentences)
        return lambda: trainer.train(sentences, total_examples=len(sentences), epochs=1)[1]

    return Workload("word2vec", f"word2vec_{model}", f"word2vec {model} with negative sampling, one epoch over "
                    f"{words:,} words, {workers} worker threads",
                    (Case(FASTGRAD, engine, "compiled"), Case(GENSIM, gensim_case)))


# -- the machine's matrix-product peak ------------------------------------------------------------------
@workload_builder
def sgemm_peak_workload(size: int = 2048) -> Workload:
    """A long float32 matrix product in NumPy's BLAS: the machine's peak, against which the other workloads'
    matrix products are measured (the "% of peak" column)."""
    def product():
        rng = _rng()
        a, b = _normal(rng, size, size), _normal(rng, size, size)
        out = np.empty((size, size), DTYPE)
        return lambda: np.matmul(a, b, out=out)

    return Workload("peak", f"sgemm_{size}", f"{size}x{size} @ {size}x{size} float32 (OpenBLAS through NumPy)",
                    (Case(NUMPY, product, note="sgemm"),), flops=2.0 * size**3)


XENT_ROWS = (64, 700, 2240)
RNN_HIDDEN = (200, 650)


def all_workloads() -> list[Workload]:
    """Every workload at its benchmark size (the peak's only when asked for by group)."""
    return [add_tiny_workload(), mul_sum_backward_workload(), mlp_step_workload(), matmul_workload(),
            window_scoring_workload(), linear_workload(), *[cross_entropy_workload(rows) for rows in XENT_ROWS],
            *[rnn_workload(hidden) for hidden in RNN_HIDDEN], gated_workload("lstm"), gated_workload("gru"),
            embedding_bag_workload(), lm_step_workload("rnn"), lm_step_workload("lstm", layers=2),
            *[training_step_workload(model, sparse) for model in ("ner", "dan") for sparse in (False, True)],
            word2vec_workload("sg"), word2vec_workload("cbow")]


GROUPS = {
    "core": "engine overhead: tiny ops, a 2-layer MLP step, a 1024x1024 matmul",
    "window": "the lecture's example: W (5x300) on 500 windows one by one vs as one matrix",
    "linear": "linear layer forward + backward, B=256, 300->300",
    "softmax_xent": "softmax + cross-entropy forward + backward at (64|700|2240, 10000)",
    "rnn": "recurrent layers forward + BPTT, B=20, T=35: tanh RNN (H=200, 650), LSTM and GRU (H=200)",
    "embedding_bag": "embedding-bag mean forward + backward, sparse gradient, V=20000, d=300",
    "lm": "RNN LM and 2-layer LSTM LM training steps, V=10000, E=H=200, B=20, T=35",
    "training": "training steps of the NER window network and the DAN classifier, dense and sparse embeddings",
    "word2vec": "word2vec skip-gram and CBOW epochs against gensim (needs the shared text8 corpus)",
}
ON_REQUEST = {"peak": "the machine's sgemm peak at 1 and N threads (fills the % of peak columns; runs only when "
                      "named)"}


def workloads_in(groups: list[str] | None = None) -> list[Workload]:
    """The workloads of `groups` (all of GROUPS when None), in definition order; unknown names raise ValueError."""
    unknown = [g for g in groups or [] if g not in GROUPS and g not in ON_REQUEST]
    if unknown:
        raise ValueError(f"unknown benchmark group(s) {', '.join(unknown)}; expected some of "
                         f"{', '.join([*GROUPS, *ON_REQUEST])}")
    chosen = [w for w in all_workloads() if groups is None or w.group in groups]
    return chosen + ([sgemm_peak_workload()] if groups and "peak" in groups else [])
