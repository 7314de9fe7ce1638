"""Every benchmarked computation, defined once, in each implementation compared.

A `Workload` is one computation at one size (e.g. softmax + cross-entropy forward and backward on
(700, 10000) float32 logits); its `Case`s are the implementations: pure-Python loops, NumPy,
fastgrad on the "numpy" and "compiled" backends, PyTorch. A case's `make()` builds the inputs
(seeded) and returns the zero-argument function to time. Pure-Python loops are too slow at the full
size of most workloads, so they run on a slice (fewer rows, batch rows or time steps) whose cost is
proportional to the full one, and `scale` (full size / slice) turns the measured time into an
estimate; the case's label says so. Goals are stated as `Goal`s and checked by the runner.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import fastgrad
import fastgrad.nn.functional as F
from fastgrad.backends import numpy as numpy_kernels
from fastgrad.backends import python_loops as loop_kernels
from fastgrad.benchmarks.threads import import_torch

PYTHON, NUMPY, FASTGRAD_NUMPY, FASTGRAD, TORCH = (
    "python loops", "numpy", "fastgrad numpy backend", "fastgrad compiled", "torch")
DTYPE = np.float32  # PyTorch's default, and what the models train in


@dataclass(frozen=True)
class Case:
    """One implementation of a workload. `make()` returns the function to time; `backend` is the
    fastgrad backend to run it under; `scale` > 1 marks a slice whose time is multiplied to estimate
    the full size."""

    label: str
    make: Callable[[], Callable[[], object]]
    backend: str | None = None
    scale: float = 1.0
    note: str = ""
    needs_torch: bool = False

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
    goals: tuple[Goal, ...] = field(default=())


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


def _slice(full: int, part: int) -> tuple[int, float, str]:
    """Run `part` of `full` rows: the size, the factor back to full size and the label."""
    return part, full / part, f"{part} of {full} rows, x{full / part:g}"


# -- core: what the engine itself costs ----------------------------------------------------------------
def _add_tiny() -> Workload:
    rng = _rng()
    a, b = _normal(rng, 4), _normal(rng, 4)

    def python():
        a_list, b_list = a.tolist(), b.tolist()
        return lambda: [x + y for x, y in zip(a_list, b_list)]

    def engine():
        ta, tb = _leaves(a, b)
        return lambda: ta + tb

    def torch_case():
        ta, tb = _torch_leaves(import_torch(), a, b)
        return lambda: ta + tb

    return Workload("core", "add_tiny", "a + b on 4-element float32 tensors that require grad (forward only)",
                    (Case(PYTHON, python), Case(NUMPY, lambda: lambda: a + b), Case(FASTGRAD, engine, "compiled"),
                     Case(TORCH, torch_case, needs_torch=True)),
                    (Goal(FASTGRAD, 1.0, TORCH),))


def _mul_sum_backward() -> Workload:
    rng = _rng()
    a, b = _normal(rng, 4), _normal(rng, 4)

    def python():
        a_list, b_list = a.tolist(), b.tolist()

        def step():  # d(sum a*b)/da = b, d/db = a
            loss = sum(x * y for x, y in zip(a_list, b_list))
            return loss, list(b_list), list(a_list)
        return step

    def numpy():
        return lambda: ((a * b).sum(), b * np.float32(1), a * np.float32(1))

    def engine():
        leaves = _leaves(a, b)

        def step():
            _clear_grads(leaves)
            (leaves[0] * leaves[1]).sum().backward()
        return step

    def torch_case():
        leaves = _torch_leaves(import_torch(), a, b)

        def step():
            _clear_grads(leaves)
            (leaves[0] * leaves[1]).sum().backward()
        return step

    return Workload("core", "mul_sum_backward", "(a * b).sum().backward() on 4-element float32 tensors",
                    (Case(PYTHON, python), Case(NUMPY, numpy), Case(FASTGRAD, engine, "compiled"),
                     Case(TORCH, torch_case, needs_torch=True)),
                    (Goal(FASTGRAD, seconds=20e-6),))


MLP_BATCH, MLP_IN, MLP_HIDDEN, MLP_CLASSES, MLP_LR = 256, 300, 256, 10, 0.1


def _mlp_inputs(batch: int):
    rng = _rng()
    params = [_normal(rng, MLP_HIDDEN, MLP_IN, scale=0.05), np.zeros(MLP_HIDDEN, DTYPE),
              _normal(rng, MLP_CLASSES, MLP_HIDDEN, scale=0.05), np.zeros(MLP_CLASSES, DTYPE)]
    x = _normal(rng, MLP_BATCH, MLP_IN)[:batch]
    y = rng.integers(0, MLP_CLASSES, size=MLP_BATCH)[:batch]
    return params, x, y


def _mlp_engine_step(batch: int):
    """One SGD step of relu(x W1^T + b1) W2^T + b2 under cross-entropy, through fastgrad's engine."""
    arrays, x, y = _mlp_inputs(batch)
    params = _leaves(*arrays)
    x = fastgrad.tensor(x)

    def step():
        _clear_grads(params)
        w1, b1, w2, b2 = params
        F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y).backward()
        with fastgrad.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=MLP_LR)
    return step


def _mlp_numpy_step():
    """The same step with hand-written NumPy forward and backward."""
    (w1, b1, w2, b2), x, y = _mlp_inputs(MLP_BATCH)
    rows = np.arange(MLP_BATCH)

    def step():
        hidden = np.maximum(x @ w1.T + b1, 0)
        logits = hidden @ w2.T + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        probabilities = np.exp(shifted)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        dlogits = probabilities
        dlogits[rows, y] -= 1
        dlogits /= MLP_BATCH
        dhidden = (dlogits @ w2) * (hidden > 0)
        grads = (dhidden.T @ x, dhidden.sum(axis=0), dlogits.T @ hidden, dlogits.sum(axis=0))
        for p, g in zip((w1, b1, w2, b2), grads):
            p -= MLP_LR * g
    return step


def _mlp_torch_step():
    torch = import_torch()
    arrays, x, y = _mlp_inputs(MLP_BATCH)
    params = _torch_leaves(torch, *arrays)
    x, y = torch.tensor(x), torch.tensor(y)
    functional = torch.nn.functional

    def step():
        _clear_grads(params)
        w1, b1, w2, b2 = params
        functional.cross_entropy(functional.linear(functional.relu(functional.linear(x, w1, b1)), w2, b2),
                                 y).backward()
        with torch.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=MLP_LR)
    return step


def _mlp_step() -> Workload:
    part, scale, note = _slice(MLP_BATCH, 8)
    return Workload(
        "core", "mlp_step", f"2-layer MLP SGD step, batch {MLP_BATCH}, {MLP_IN}->{MLP_HIDDEN}->relu->{MLP_CLASSES}, "
        "cross-entropy",
        (Case(PYTHON, lambda: _mlp_engine_step(part), "python", scale, f"fastgrad python backend, {note}"),
         Case(NUMPY, _mlp_numpy_step), Case(FASTGRAD_NUMPY, lambda: _mlp_engine_step(MLP_BATCH), "numpy"),
         Case(FASTGRAD, lambda: _mlp_engine_step(MLP_BATCH), "compiled"),
         Case(TORCH, _mlp_torch_step, needs_torch=True)))


def _matmul_1024() -> Workload:
    size = 1024
    rng = _rng()
    a, b = _normal(rng, size, size), _normal(rng, size, size)
    part, scale, note = _slice(size, 4)

    def python():  # lists converted once, outside the timed loops
        a_rows, b_columns = a[:part].tolist(), b.T.tolist()
        return lambda: loop_kernels.matmul_lists(a_rows, b_columns)

    def engine():
        ta, tb = _leaves(a, b)
        return lambda: ta @ tb

    def torch_case():
        ta, tb = _torch_leaves(import_torch(), a, b)
        return lambda: ta @ tb

    return Workload("core", "matmul_1024", "1024x1024 @ 1024x1024 float32 forward (engine records the graph)",
                    (Case(PYTHON, python, scale=scale, note=note), Case(NUMPY, lambda: lambda: a @ b),
                     Case(FASTGRAD, engine, "compiled"), Case(TORCH, torch_case, needs_torch=True)),
                    (Goal(FASTGRAD, 1.05, NUMPY),))


# -- the lecture's example: one window at a time vs one matrix product --------------------------------
def _window_scoring() -> Workload:
    rng = _rng()
    weight, windows = _normal(rng, 5, 300), _normal(rng, 300, 500)
    columns = [np.ascontiguousarray(windows[:, i]) for i in range(500)]

    def python():  # in plain Python one window at a time and all at once are the same loops
        weight_rows, window_columns = weight.tolist(), windows.T.tolist()
        return lambda: loop_kernels.matmul_lists(weight_rows, window_columns)

    def engine(batched: bool):
        w = fastgrad.tensor(weight, requires_grad=True)
        if batched:
            x = fastgrad.tensor(windows)
            return lambda: w @ x
        xs = [fastgrad.tensor(column) for column in columns]
        return lambda: [w @ x for x in xs]

    def torch_case(batched: bool):
        torch = import_torch()
        w = torch.tensor(weight, requires_grad=True)
        if batched:
            x = torch.tensor(windows)
            return lambda: w @ x
        xs = [torch.tensor(column) for column in columns]
        return lambda: [w @ x for x in xs]

    one, matrix = "one window at a time", "one 300x500 matrix"
    return Workload(
        "window", "window_scoring", "W (5x300) applied to 500 window vectors: 500 products vs one W @ X",
        (Case(PYTHON, python), Case(NUMPY, lambda: lambda: [weight @ c for c in columns], note=one),
         Case(NUMPY, lambda: lambda: weight @ windows, note=matrix),
         Case(FASTGRAD, lambda: engine(False), "compiled", note=one),
         Case(FASTGRAD, lambda: engine(True), "compiled", note=matrix),
         Case(TORCH, lambda: torch_case(False), note=one, needs_torch=True),
         Case(TORCH, lambda: torch_case(True), note=matrix, needs_torch=True)))


# -- linear layer ------------------------------------------------------------------------------------
LINEAR_BATCH, LINEAR_FEATURES = 256, 300


def _linear_inputs(batch: int):
    rng = _rng()
    x = _normal(rng, LINEAR_BATCH, LINEAR_FEATURES)[:batch]
    weight = _normal(rng, LINEAR_FEATURES, LINEAR_FEATURES, scale=0.05)
    bias = _normal(rng, LINEAR_FEATURES)
    g = _normal(rng, LINEAR_BATCH, LINEAR_FEATURES)[:batch]
    return x, weight, bias, g


def _linear() -> Workload:
    part, scale, note = _slice(LINEAR_BATCH, 8)

    def kernels(module, batch: int):
        x, weight, bias, g = _linear_inputs(batch)
        return lambda: (module.linear(x, weight, bias), module.linear_backward(x, weight, g, True, True, True))

    def numpy():
        x, weight, bias, g = _linear_inputs(LINEAR_BATCH)
        return lambda: (x @ weight.T + bias, g @ weight, g.T @ x, g.sum(axis=0))

    def engine():
        x, weight, bias, g = _linear_inputs(LINEAR_BATCH)
        leaves = _leaves(x, weight, bias)

        def step():
            _clear_grads(leaves)
            F.linear(*leaves).backward(g)
        return step

    def torch_case():
        torch = import_torch()
        x, weight, bias, g = _linear_inputs(LINEAR_BATCH)
        leaves, g = _torch_leaves(torch, x, weight, bias), torch.tensor(g)

        def step():
            _clear_grads(leaves)
            torch.nn.functional.linear(*leaves).backward(g)
        return step

    return Workload(
        "linear", "linear_256x300x300", f"linear layer forward + backward (dx, dW, db), B={LINEAR_BATCH}, "
        f"{LINEAR_FEATURES}->{LINEAR_FEATURES}, float32",
        (Case(PYTHON, lambda: kernels(loop_kernels, part), scale=scale, note=note),
         Case(NUMPY, numpy, note="the four raw matrix products"),
         Case(FASTGRAD_NUMPY, engine, "numpy"), Case(FASTGRAD, engine, "compiled"),
         Case(TORCH, torch_case, needs_torch=True)),
        (Goal(FASTGRAD, 1.10, NUMPY),))


# -- softmax + cross-entropy ---------------------------------------------------------------------------
XENT_CLASSES = 10000
XENT_ROWS = (64, 700, 2240)


def _xent_inputs(rows: int, part: int):
    rng = _rng()
    return _normal(rng, rows, XENT_CLASSES)[:part], rng.integers(0, XENT_CLASSES, size=rows)[:part]


def _cross_entropy(rows: int) -> Workload:
    part, scale, note = _slice(rows, 8)

    def kernel(module, count: int):
        logits, targets = _xent_inputs(rows, count)
        return lambda: module.softmax_cross_entropy(logits, targets, -100, "mean", True)

    def engine():
        logits, targets = _xent_inputs(rows, rows)
        (leaf,) = _leaves(logits)

        def step():
            leaf.grad = None
            F.cross_entropy(leaf, targets).backward()
        return step

    def torch_case():
        torch = import_torch()
        logits, targets = _xent_inputs(rows, rows)
        (leaf,), targets = _torch_leaves(torch, logits), torch.tensor(targets)

        def step():
            leaf.grad = None
            torch.nn.functional.cross_entropy(leaf, targets).backward()
        return step

    return Workload(
        "softmax_xent", f"xent_{rows}x{XENT_CLASSES}", f"softmax + cross-entropy forward + backward, ({rows}, "
        f"{XENT_CLASSES}) float32 logits, mean reduction",
        (Case(PYTHON, lambda: kernel(loop_kernels, part), scale=scale, note=note),
         Case(NUMPY, lambda: kernel(numpy_kernels, rows), note="the NumPy reference kernel"),
         Case(FASTGRAD_NUMPY, engine, "numpy"), Case(FASTGRAD, engine, "compiled"),
         Case(TORCH, torch_case, needs_torch=True)),
        (Goal(FASTGRAD, 1 / 3, TORCH),))


# -- Elman RNN forward + BPTT ---------------------------------------------------------------------------
RNN_BATCH, RNN_STEPS = 20, 35


def _rnn_inputs(hidden: int, steps: int, batch: int):
    rng = _rng()
    bound = 1 / np.sqrt(hidden)  # PyTorch's nn.RNN initialisation range
    x = _normal(rng, RNN_STEPS, RNN_BATCH, hidden)[:steps, :batch]
    h0 = np.zeros((batch, hidden), DTYPE)
    weights = [rng.uniform(-bound, bound, size=shape).astype(DTYPE)
               for shape in [(hidden, hidden), (hidden, hidden), (hidden,), (hidden,)]]
    g = _normal(rng, RNN_STEPS, RNN_BATCH, hidden, scale=0.01)[:steps, :batch]
    return np.ascontiguousarray(x), h0, weights, np.ascontiguousarray(g)


def _rnn(hidden: int) -> Workload:
    steps = 10 if hidden <= 200 else 4  # the loop slice: 1 batch row, a few steps
    scale = RNN_BATCH * RNN_STEPS / steps

    def kernels(module, steps: int, batch: int):
        x, h0, (w_ih, w_hh, b_ih, b_hh), g = _rnn_inputs(hidden, steps, batch)

        def step():
            hs = module.rnn_forward(x, h0, w_ih, w_hh, b_ih + b_hh, "tanh")
            return module.rnn_backward(x, h0, w_ih, w_hh, hs, g, "tanh", True)
        return step

    def engine():
        x, h0, weights, g = _rnn_inputs(hidden, RNN_STEPS, RNN_BATCH)
        leaves = _leaves(x, *weights)
        h0 = fastgrad.tensor(h0)

        def step():
            _clear_grads(leaves)
            F.rnn(leaves[0], h0, *leaves[1:]).backward(g)
        return step

    def torch_case():
        torch = import_torch()
        x, h0, weights, g = _rnn_inputs(hidden, RNN_STEPS, RNN_BATCH)
        layer = torch.nn.RNN(hidden, hidden)
        with torch.no_grad():
            for parameter, value in zip((layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0),
                                        weights):
                parameter.copy_(torch.tensor(value))
        (x,), h0, g = _torch_leaves(torch, x), torch.tensor(h0[None]), torch.tensor(g)
        leaves = [x, *layer.parameters()]

        def step():
            _clear_grads(leaves)
            layer(x, h0)[0].backward(g)
        return step

    return Workload(
        "rnn", f"rnn_h{hidden}", f"tanh RNN forward + BPTT, B={RNN_BATCH}, T={RNN_STEPS}, I=H={hidden}, float32 "
        "(gradients for x and all weights)",
        (Case(PYTHON, lambda: kernels(loop_kernels, steps, 1), scale=scale,
              note=f"1 of {RNN_BATCH} batch rows x {steps} of {RNN_STEPS} steps, x{scale:g}"),
         Case(NUMPY, lambda: kernels(numpy_kernels, RNN_STEPS, RNN_BATCH), note="the NumPy reference kernels"),
         Case(FASTGRAD_NUMPY, engine, "numpy"), Case(FASTGRAD, engine, "compiled"),
         Case(TORCH, torch_case, note="nn.RNN", needs_torch=True)),
        (Goal(FASTGRAD, 1.0 if hidden <= 200 else 1.2, TORCH),))


# -- embedding bag -----------------------------------------------------------------------------------
BAG_VOCAB, BAG_DIM, BAG_COUNT, BAG_LENGTH = 20000, 300, 64, 20


def _bag_inputs():
    rng = _rng()
    weight = _normal(rng, BAG_VOCAB, BAG_DIM)
    ids = rng.integers(0, BAG_VOCAB, size=BAG_COUNT * BAG_LENGTH)
    offsets = np.arange(0, ids.size, BAG_LENGTH, dtype=np.int64)
    return weight, ids, offsets, _normal(rng, BAG_COUNT, BAG_DIM)


def _embedding_bag() -> Workload:
    def kernels(module):
        weight, ids, offsets, g = _bag_inputs()

        def step():
            return (module.embedding_bag(weight, ids, offsets, "mean"),
                    module.embedding_bag_backward(ids, offsets, g, "mean", BAG_VOCAB, True))
        return step

    def engine():
        weight, ids, offsets, g = _bag_inputs()
        (leaf,) = _leaves(weight)

        def step():
            leaf.grad = None
            F.embedding_bag(ids, leaf, offsets, mode="mean", sparse=True).backward(g)
        return step

    def torch_case():
        torch = import_torch()
        weight, ids, offsets, g = _bag_inputs()
        bag = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(weight), freeze=False, mode="mean", sparse=True)
        ids, offsets, g = torch.tensor(ids), torch.tensor(offsets), torch.tensor(g)

        def step():
            bag.weight.grad = None
            bag(ids, offsets).backward(g)
        return step

    return Workload(
        "embedding_bag", "bag_mean_sparse", f"embedding-bag mean forward + backward with sparse gradient, "
        f"V={BAG_VOCAB}, d={BAG_DIM}, {BAG_COUNT} bags of {BAG_LENGTH} ids, float32",
        (Case(PYTHON, lambda: kernels(loop_kernels)), Case(NUMPY, lambda: kernels(numpy_kernels),
                                                            note="the NumPy reference kernels"),
         Case(FASTGRAD_NUMPY, engine, "numpy"), Case(FASTGRAD, engine, "compiled"),
         Case(TORCH, torch_case, note="nn.EmbeddingBag(mode='mean', sparse=True)", needs_torch=True)),
        (Goal(FASTGRAD, 0.5, TORCH),))


def all_workloads() -> list[Workload]:
    return [_add_tiny(), _mul_sum_backward(), _mlp_step(), _matmul_1024(), _window_scoring(), _linear(),
            *[_cross_entropy(rows) for rows in XENT_ROWS], _rnn(200), _rnn(650), _embedding_bag()]


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
