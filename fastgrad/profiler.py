"""`with fastgrad.profile() as prof:` counts calls and time per op and backend, forward and backward, and per
kernel and the implementation of it that ran.

An op's backend is the one selected when it ran; a backend runs its own implementation of a kernel where it
has one and NumPy's reference elsewhere (fastgrad/kernels/registry.py), so the kernel table says what ran:
`native` (C), `numba`, `loops` (pure Python) or `numpy`. While a profile runs, the backends hand out kernel
tables whose kernels time themselves (`fastgrad.backends.load`); when none runs, the graph layer pays one
attribute check per op and the kernels nothing.
"""
from __future__ import annotations

import threading
import time


class _ProfileState:
    def __init__(self) -> None:
        # an instance attribute, not a class default: every op reads it, and Python reads those fastest
        self.active: Profile | None = None


PROFILE = _ProfileState()


class Profile:
    """Op times are self times: an op that runs other ops (a custom Function's forward or backward) is
    charged its time minus theirs, so that no time is counted twice and the ops' total stays within
    the wall time. An op belongs to the pass it ran in: one that a Function's backward or a tensor hook
    runs during backward counts as backward."""

    def __init__(self):
        # (op name, backend name) -> [forward calls, forward seconds, backward calls, backward seconds]
        self._stats: dict[tuple[str, str], list] = {}
        # (kernel name, implementation) -> [calls, seconds]
        self._kernels: dict[tuple[str, str], list] = {}
        self._outer: Profile | None = None
        self._running = threading.local()  # per thread: ops running now (`nested`), backward walks (`backwards`)

    def __enter__(self) -> "Profile":
        from fastgrad import backends

        self._outer, PROFILE.active = PROFILE.active, self
        backends.CURRENT.kernels = backends.load(backends.CURRENT.kernels.name)  # the timed table
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        from fastgrad import backends

        self.wall_seconds = time.perf_counter() - self._start
        PROFILE.active = self._outer
        backends.CURRENT.kernels = backends.load(backends.CURRENT.kernels.name)  # untimed again once none runs

    def _thread(self):
        running = self._running
        if not hasattr(running, "nested"):
            running.nested, running.backwards = [], 0  # per op running, outermost first: time of the ops it ran
        return running

    def start_op(self) -> float:
        """An op starts; returns the time to hand to `end_op`."""
        self._thread().nested.append(0.0)
        return time.perf_counter()

    def end_op(self, op: str, backend: str, backward: bool, start: float) -> None:
        """The op that started at `start` ended: record its self time under the pass it ran in."""
        seconds = time.perf_counter() - start
        running = self._thread()
        nested = running.nested.pop()
        if running.nested:
            running.nested[-1] += seconds
        stats = self._stats.setdefault((op, backend), [0, 0.0, 0, 0.0])
        base = 2 if backward or running.backwards else 0
        stats[base] += 1
        stats[base + 1] += seconds - nested

    def enter_backward(self) -> None:
        self._thread().backwards += 1

    def exit_backward(self) -> None:
        self._thread().backwards -= 1

    def record_kernel(self, kernel: str, implementation: str, seconds: float) -> None:
        stats = self._kernels.setdefault((kernel, implementation), [0, 0.0])
        stats[0] += 1
        stats[1] += seconds

    def to_dict(self) -> dict[str, dict]:
        """{"op[backend]": {op, backend, forward_calls, forward_s, backward_calls, backward_s, total_s}}."""
        out = {}
        for (op, backend), (fc, ft, bc, bt) in self._stats.items():
            out[f"{op}[{backend}]"] = {"op": op, "backend": backend, "forward_calls": fc, "forward_s": ft,
                                       "backward_calls": bc, "backward_s": bt, "total_s": ft + bt}
        return out

    def kernels(self) -> dict[str, dict]:
        """{"kernel[implementation]": {kernel, implementation, calls, total_s}}: every kernel call, the ops'
        and those made outside ops (an optimizer's sparse row updates, Viterbi decoding)."""
        return {f"{kernel}[{implementation}]": {"kernel": kernel, "implementation": implementation, "calls": calls,
                                                "total_s": seconds}
                for (kernel, implementation), (calls, seconds) in self._kernels.items()}

    def table(self, top: int | None = None) -> str:
        """Ops sorted by total (self) time, with each one's share of the profiled ops' total. `backend` is
        the backend selected; which implementation each kernel ran is in `kernel_table()`."""
        rows = sorted(self.to_dict().values(), key=lambda r: r["total_s"], reverse=True)[:top]
        total = sum(r["total_s"] for r in self.to_dict().values()) or 1e-12
        lines = [f"{'op':<26}{'backend':<10}{'fwd calls':>10}{'fwd ms':>10}{'bwd calls':>10}{'bwd ms':>10}{'total ms':>10}{'share':>8}"]
        for r in rows:
            lines.append(f"{r['op']:<26}{r['backend']:<10}{r['forward_calls']:>10}{r['forward_s'] * 1e3:>10.2f}"
                         f"{r['backward_calls']:>10}{r['backward_s'] * 1e3:>10.2f}{r['total_s'] * 1e3:>10.2f}"
                         f"{100 * r['total_s'] / total:>7.1f}%")
        return "\n".join(lines)

    def kernel_table(self, top: int | None = None) -> str:
        """Kernels sorted by total time, each with the implementation that ran (native = C, numba, loops =
        pure Python, numpy = the reference) and its share of the kernels' total. Ops that call no kernel
        (views, indexing, stacking) are NumPy on every backend."""
        stats = self.kernels().values()
        rows = sorted(stats, key=lambda r: r["total_s"], reverse=True)[:top]
        total = sum(r["total_s"] for r in stats) or 1e-12
        lines = [f"{'kernel':<26}{'ran':<10}{'calls':>10}{'total ms':>10}{'share':>8}"]
        for r in rows:
            lines.append(f"{r['kernel']:<26}{r['implementation']:<10}{r['calls']:>10}{r['total_s'] * 1e3:>10.2f}"
                         f"{100 * r['total_s'] / total:>7.1f}%")
        return "\n".join(lines)


def profile() -> Profile:
    return Profile()
