"""Every kernel, declared once: its NumPy reference and, where they exist, its Numba, C and loop versions.

A kernel is a function on NumPy arrays with the signature and results of its reference in
`fastgrad/backends/numpy.py`. `KERNELS` says which implementations each kernel has; a backend is a
view of this table, taking per kernel the first implementation it prefers (`BACKENDS`):

    numpy      the reference, vectorized NumPy
    compiled   C (`fastgrad/_native.py`, csrc/), else Numba (`fastgrad/kernels/*`), else the reference
    python     the pure-Python loops (`fastgrad/backends/python_loops.py`; the CRF's Numba loops run by the
               interpreter), else the reference

The compiled implementations trust their arguments, so the kernel's check from
`fastgrad.kernels.checks` (`check`, named like the kernel) runs in front of them. Only what was measured
faster than the reference has a Numba or C version (docs/notes/numba.md, docs/notes/native.md).
`describe(name)` prints where each implementation of a kernel lives.
"""
from __future__ import annotations

import inspect
import sys
import time
import warnings
from dataclasses import dataclass
from functools import wraps
from types import SimpleNamespace
from typing import Callable, TextIO

from fastgrad import _native
from fastgrad.backends import numpy as reference
from fastgrad.backends import python_loops as loops
from fastgrad.kernels import activation, checks, crf, ctc, dropout, embedding, optim
from fastgrad.profiler import PROFILE

IMPLEMENTATIONS = ("numpy", "numba", "native", "loops")
BACKENDS = {"numpy": ("numpy",), "compiled": ("native", "numba", "numpy"), "python": ("loops", "numpy")}


@dataclass(frozen=True)
class Kernel:
    """One kernel: its reference and the other implementations; `check` runs before `numba` and `native`,
    and `c_source` names the C file behind `native`."""

    name: str
    numpy: Callable
    numba: Callable | None = None
    native: Callable | None = None
    loops: Callable | None = None
    check: Callable | None = None
    c_source: str | None = None

    def implementation(self, kind: str) -> Callable:
        """The `kind` implementation ("numpy", "numba", "native" or "loops"), behind its check if compiled."""
        if kind not in IMPLEMENTATIONS:
            raise ValueError(f"kind: expected one of {IMPLEMENTATIONS}, got {kind!r}")
        function = getattr(self, kind)
        if function is None:
            raise LookupError(f"kernel {self.name!r} has no {kind} implementation")
        if kind in ("numba", "native"):
            return _behind_check(self.check, function)
        return function

    def kinds(self) -> tuple[str, ...]:
        """The kinds of implementation this kernel has, in IMPLEMENTATIONS order."""
        return tuple(kind for kind in IMPLEMENTATIONS if getattr(self, kind) is not None)


def _behind_check(check: Callable, function: Callable) -> Callable:
    @wraps(function)
    def checked(*args, **kwargs):
        return function(*check(*args, **kwargs))

    return checked


def _compiled(name: str, numba: Callable | None = None, native: Callable | None = None, loops: Callable | None = None,
              c_source: str | None = None) -> Kernel:
    """A kernel with a compiled implementation: its check is the function of the same name in checks."""
    return Kernel(name, getattr(reference, name), numba=numba, native=native, loops=loops,
                  check=getattr(checks, name), c_source=c_source)


def _reference_only(*names: str) -> list[Kernel]:
    return [Kernel(name, getattr(reference, name)) for name in names]


def _with_loops(*names: str) -> list[Kernel]:
    return [Kernel(name, getattr(reference, name), loops=getattr(loops, name)) for name in names]


_DECLARATIONS = [
    # elementwise math, reductions and contractions: NumPy's own ufuncs and BLAS
    *_reference_only("add", "subtract", "multiply", "divide", "power", "negative", "exp", "log", "sqrt", "absolute",
                     "sign", "maximum", "minimum", "clip", "where", "log1p", "expm1", "sin", "cos", "square",
                     "floor_divide", "remainder", "reciprocal", "rsqrt", "sum", "amax", "amin", "prod", "cumsum",
                     "cumprod", "logsumexp", "einsum"),
    *_with_loops("matmul", "linear", "linear_backward", "embedding"),
    # activations
    _compiled("relu", numba=activation.relu, loops=loops.relu),
    _compiled("relu_backward", numba=activation.relu_backward, loops=loops.relu_backward),
    _compiled("leaky_relu", numba=activation.leaky_relu),
    _compiled("leaky_relu_backward", numba=activation.leaky_relu_backward),
    _compiled("hardtanh_backward", numba=activation.hardtanh_backward),
    Kernel("tanh", reference.tanh, loops=loops.tanh),
    _compiled("tanh_backward", numba=activation.tanh_backward, loops=loops.tanh_backward),
    _compiled("sigmoid", numba=activation.sigmoid),
    _compiled("sigmoid_backward", numba=activation.sigmoid_backward),
    _compiled("silu", numba=activation.silu),
    _compiled("silu_backward", numba=activation.silu_backward),
    *_reference_only("hardtanh", "gelu", "gelu_backward", "elu", "elu_backward", "softplus", "softplus_backward",
                     "log_sigmoid", "log_sigmoid_backward", "log_softmax", "log_softmax_backward", "softmax",
                     "softmax_backward", "layer_norm", "layer_norm_backward"),
    # losses
    _compiled("softmax_cross_entropy", native=_native.softmax_cross_entropy, loops=loops.softmax_cross_entropy,
              c_source="csrc/softmax_xent.c"),
    # embeddings and dropout
    _compiled("embedding_backward", numba=embedding.embedding_backward, loops=loops.embedding_backward),
    _compiled("embedding_bag", numba=embedding.embedding_bag, loops=loops.embedding_bag),
    _compiled("embedding_bag_backward", numba=embedding.embedding_bag_backward, loops=loops.embedding_bag_backward),
    # (the weighted sum and max run the NumPy reference on every backend: they have no compiled version yet)
    *_reference_only("embedding_bag_weighted", "embedding_bag_weighted_backward", "embedding_bag_max",
                     "embedding_bag_max_backward"),
    _compiled("dropout_mask", numba=dropout.dropout_mask),
    # recurrent layers over a whole sequence
    _compiled("rnn_forward", native=_native.rnn_forward, loops=loops.rnn_forward, c_source="csrc/elman_rnn.c"),
    _compiled("rnn_backward", native=_native.rnn_backward, loops=loops.rnn_backward, c_source="csrc/elman_rnn.c"),
    _compiled("lstm_forward", native=_native.lstm_forward, loops=loops.lstm_forward, c_source="csrc/gated_rnn.c"),
    _compiled("lstm_backward", native=_native.lstm_backward, loops=loops.lstm_backward, c_source="csrc/gated_rnn.c"),
    _compiled("gru_forward", native=_native.gru_forward, loops=loops.gru_forward, c_source="csrc/gated_rnn.c"),
    _compiled("gru_backward", native=_native.gru_backward, loops=loops.gru_backward, c_source="csrc/gated_rnn.c"),
    # linear-chain CRF (forward algorithm, its gradient, Viterbi); the loop version is the Numba loops' own
    # source run by the interpreter
    _compiled("crf_forward", numba=crf.crf_forward, loops=crf.interpreted_forward),
    _compiled("crf_backward", numba=crf.crf_backward, loops=crf.interpreted_backward),
    _compiled("crf_viterbi", numba=crf.crf_viterbi, loops=crf.interpreted_viterbi),
    # connectionist temporal classification (its loss and gradient); the loop version is the Numba loops'
    # own source run by the interpreter
    _compiled("ctc_forward", numba=ctc.ctc_forward, loops=ctc.interpreted_forward),
    _compiled("ctc_backward", numba=ctc.ctc_backward, loops=ctc.interpreted_backward),
    # sparse row updates of the optimizers
    _compiled("coalesce_rows", numba=optim.coalesce_rows),
    _compiled("sgd_rows_update", numba=optim.sgd_rows_update),
    _compiled("adagrad_rows_update", numba=optim.adagrad_rows_update),
    _compiled("sparse_adam_rows_update", numba=optim.sparse_adam_rows_update),
]
KERNELS: dict[str, Kernel] = {kernel.name: kernel for kernel in _DECLARATIONS}

_warned_missing_native = False


def _usable(kernel: Kernel, kind: str) -> bool:
    global _warned_missing_native
    if getattr(kernel, kind) is None:
        return False
    if kind == "native" and not _native.AVAILABLE:
        if not _warned_missing_native:
            _warned_missing_native = True
            warnings.warn(f"fastgrad's C kernels are unavailable ({_native.IMPORT_ERROR!r}); using the Numba and "
                          "NumPy kernels. Build them with `pip install -e .`", RuntimeWarning, stacklevel=4)
        return False
    return True


def chosen_kind(kernel: Kernel, backend: str) -> str:
    """Which implementation of `kernel` the backend named `backend` runs."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    return next(kind for kind in BACKENDS[backend] if _usable(kernel, kind))


def backend_table(backend: str, profiled: bool = False) -> SimpleNamespace:
    """The kernels of `backend` as a namespace (K.relu, K.softmax_cross_entropy, ...), named `backend`.
    `profiled`: each kernel reports its time and the implementation that ran to the active profile."""
    table = {}
    for name, kernel in KERNELS.items():
        kind = chosen_kind(kernel, backend)
        table[name] = _timed(name, kind, kernel.implementation(kind)) if profiled else kernel.implementation(kind)
    return SimpleNamespace(name=backend, **table)


def _timed(name: str, kind: str, function: Callable) -> Callable:
    def timed(*args, **kwargs):
        profile = PROFILE.active
        if profile is None:  # a node recorded during a profile, run backward after it ended
            return function(*args, **kwargs)
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            profile.record_kernel(name, kind, time.perf_counter() - start)

    return timed


def implementations(kind: str) -> SimpleNamespace:
    """Every kernel's `kind` implementation (behind its check if compiled), for kernels that have one:
    e.g. implementations("numba").relu, to test or time one kind of implementation on its own."""
    return SimpleNamespace(**{name: kernel.implementation(kind) for name, kernel in KERNELS.items()
                              if getattr(kernel, kind) is not None})


def _location(function: Callable) -> str:
    """module.function (path:line) of a Python function, or its name for a NumPy ufunc."""
    try:
        path = inspect.getsourcefile(function)
        line = inspect.getsourcelines(function)[1]
    except TypeError:  # a ufunc or builtin: no Python source
        return f"numpy.{function.__name__} (NumPy's compiled ufunc)"
    package_root = path[:path.rindex("fastgrad/")] if "fastgrad/" in path else ""
    return f"{function.__module__}.{function.__qualname__} ({path[len(package_root):]}:{line})"


def describe(name: str, file: TextIO | None = None) -> None:
    """Print where each implementation of kernel `name` lives and which one every backend runs."""
    if name not in KERNELS:
        raise KeyError(f"no kernel named {name!r}; the kernels are: {', '.join(sorted(KERNELS))}")
    kernel = KERNELS[name]
    lines = [f"kernel {name}"]
    for kind in IMPLEMENTATIONS:
        function = getattr(kernel, kind)
        where = "-" if function is None else _location(function)
        if kind == "native" and function is not None:
            where += f", C in {kernel.c_source}" + ("" if _native.AVAILABLE else " (library not built)")
        lines.append(f"  {kind:<7} {where}")
    lines.append(f"  {'check':<7} {'-' if kernel.check is None else _location(kernel.check)}")
    lines.append("  backends: " + ", ".join(f"{backend} runs {chosen_kind(kernel, backend)}" for backend in BACKENDS))
    print("\n".join(lines), file=file or sys.stdout)
