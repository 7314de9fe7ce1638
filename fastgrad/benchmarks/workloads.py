"""Every benchmarked computation, defined once, in each implementation compared.

A `Workload` is one computation at one size (e.g. softmax + cross-entropy forward and backward on
(700, 10000) float32 logits); its `Case`s are the implementations: pure-Python loops, NumPy,
fastgrad on the "numpy" and "compiled" backends, PyTorch. A case's `make()` builds the inputs
(seeded) and returns the zero-argument function to time; that function returns the numbers it
computed (outputs, gradients or updated parameters), so that tests can hold every implementation
to the same values at a tiny size (the `*_workload` builders take sizes). Pure-Python loops are too
slow at the full size of most workloads, so they run on two slices (e.g. 8 and 16 of 256 rows) and
the runner fits time = fixed + per-unit x size through them and reads it off at the full size (see
`Slices`); the case's label says so. Goals are stated as `Goal`s and checked by the runner.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import fastgrad
import fastgrad.nn.functional as F
from fastgrad.backends import numpy as numpy_kernels
from fastgrad.backends import python_loops as loop_kernels
from fastgrad.threads import import_torch
from fastgrad.sparse import SparseRowGrad

PYTHON, NUMPY, FASTGRAD_NUMPY, FASTGRAD, TORCH = (
    "python loops", "numpy", "fastgrad numpy backend", "fastgrad compiled", "torch")
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
    group: str
    name: str
    description: str
    cases: tuple[Case, ...]
    goals: tuple[Goal, ...] = ()


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
    params, x, y = _leaves(*arrays), fastgrad.tensor(x[:part]), y[:part]

    def step():
        _clear_grads(params)
        w1, b1, w2, b2 = params
        F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y).backward()
        with fastgrad.no_grad():
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
                    (Goal(FASTGRAD, 1.05, NUMPY),))


# -- the lecture's example: one window at a time vs one matrix product --------------------------------
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
        g = torch.tensor(g) if torch else g
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
        (Goal(FASTGRAD, 1.10, NUMPY),))


# -- softmax + cross-entropy ---------------------------------------------------------------------------
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
        targets = torch.tensor(targets) if torch else targets
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


# -- Elman RNN forward + BPTT ---------------------------------------------------------------------------
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
        leaves, h0 = _leaves(x, *weights), fastgrad.tensor(h0)

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
        (Goal(FASTGRAD, 1.0 if hidden <= 200 else 1.2, TORCH),))


# -- embedding bag -----------------------------------------------------------------------------------
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
            return module.embedding_bag(weight, ids, offsets, "mean"), SparseRowGrad(rows, values, weight.shape)
        return step

    def engine():
        weight, ids, offsets, g = inputs()
        (leaf,) = _leaves(weight)

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


XENT_ROWS = (64, 700, 2240)
RNN_HIDDEN = (200, 650)


def all_workloads() -> list[Workload]:
    """Every workload at its benchmark size."""
    return [add_tiny_workload(), mul_sum_backward_workload(), mlp_step_workload(), matmul_workload(),
            window_scoring_workload(), linear_workload(), *[cross_entropy_workload(rows) for rows in XENT_ROWS],
            *[rnn_workload(hidden) for hidden in RNN_HIDDEN], embedding_bag_workload()]


GROUPS = {
    "core": "engine overhead: tiny ops, a 2-layer MLP step, a 1024x1024 matmul",
    "window": "the lecture's example: W (5x300) on 500 windows one by one vs as one matrix",
    "linear": "linear layer forward + backward, B=256, 300->300",
    "softmax_xent": "softmax + cross-entropy forward + backward at (64|700|2240, 10000)",
    "rnn": "tanh RNN forward + BPTT, B=20, T=35, H=200 and 650",
    "embedding_bag": "embedding-bag mean forward + backward, sparse gradient, V=20000, d=300",
}


def workloads_in(groups: list[str] | None = None) -> list[Workload]:
    """The workloads of `groups` (all when None), in definition order; unknown names raise ValueError."""
    unknown = [g for g in groups or [] if g not in GROUPS]
    if unknown:
        raise ValueError(f"unknown benchmark group(s) {', '.join(unknown)}; expected some of {', '.join(GROUPS)}")
    return [w for w in all_workloads() if groups is None or w.group in groups]
