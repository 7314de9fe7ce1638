"""`with fastgrad.profile() as prof:` counts calls and time per op and backend, forward and backward.

When no profile is active, the graph layer pays one attribute check per op.
"""
from __future__ import annotations

import time


class _ProfileState:
    active: "Profile | None" = None


PROFILE = _ProfileState()


class Profile:
    def __init__(self):
        # (op name, backend name) -> [forward calls, forward seconds, backward calls, backward seconds]
        self._stats: dict[tuple[str, str], list] = {}
        self._outer: Profile | None = None

    def __enter__(self) -> "Profile":
        self._outer, PROFILE.active = PROFILE.active, self
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall_seconds = time.perf_counter() - self._start
        PROFILE.active = self._outer

    def record(self, op: str, backend: str, backward: bool, seconds: float) -> None:
        stats = self._stats.setdefault((op, backend), [0, 0.0, 0, 0.0])
        base = 2 if backward else 0
        stats[base] += 1
        stats[base + 1] += seconds

    def to_dict(self) -> dict[str, dict]:
        """{"op[backend]": {op, backend, forward_calls, forward_s, backward_calls, backward_s, total_s}}."""
        out = {}
        for (op, backend), (fc, ft, bc, bt) in self._stats.items():
            out[f"{op}[{backend}]"] = {"op": op, "backend": backend, "forward_calls": fc, "forward_s": ft,
                                       "backward_calls": bc, "backward_s": bt, "total_s": ft + bt}
        return out

    def table(self, top: int | None = None) -> str:
        """Ops sorted by total time, with each one's share of the profiled ops' total."""
        rows = sorted(self.to_dict().values(), key=lambda r: r["total_s"], reverse=True)[:top]
        total = sum(r["total_s"] for r in self.to_dict().values()) or 1e-12
        lines = [f"{'op':<26}{'backend':<10}{'fwd calls':>10}{'fwd ms':>10}{'bwd calls':>10}{'bwd ms':>10}{'total ms':>10}{'share':>8}"]
        for r in rows:
            lines.append(f"{r['op']:<26}{r['backend']:<10}{r['forward_calls']:>10}{r['forward_s'] * 1e3:>10.2f}"
                         f"{r['backward_calls']:>10}{r['backward_s'] * 1e3:>10.2f}{r['total_s'] * 1e3:>10.2f}"
                         f"{100 * r['total_s'] / total:>7.1f}%")
        return "\n".join(lines)


def profile() -> Profile:
    return Profile()
