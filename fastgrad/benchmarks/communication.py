"""What data-parallel training costs in communication (docs/distributed.md):

    mpiexec -n 2 python -m fastgrad.benchmarks.communication

times the gradient allreduce and the sparse-row allgather that DistributedDataParallel uses, for
message sizes from 4 KB to 64 MB (median of repeats, after a warm-up), and prints the bytes each
model exchanges per step. Rank 0 prints; every rank must run it.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import fastgrad.distributed as dist
from fastgrad.models.nbow import DAN
from fastgrad.models.rnnlm import RNNLM


def time_collective(run, repeats: int) -> float:
    """Median seconds of `run()` on rank 0; a barrier before each call lines the ranks up."""
    run()  # warm-up: connections and buffers
    times = []
    for _ in range(repeats):
        dist.barrier()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def parameter_bytes(model) -> int:
    return sum(p._data.nbytes for p in model.parameters())


def model_traffic() -> list[tuple[str, str]]:
    """Bytes each rank contributes per step (per synchronisation for word2vec), with CLI defaults."""
    rnnlm = RNNLM(10_000, 256, 256, tie_weights=True)  # PTB, `fastgrad train rnnlm`
    dan = DAN(14_830, 2, dim=300, hidden=300, layers=2)  # SST-2 (14,828 training words), `train nbow`
    dense_dan = parameter_bytes(dan) - dan.embedding.weight._data.nbytes
    word2vec = 2 * 71_290 * 100 * 4  # text8 at min_count 5, 100 dimensions: input and output matrices
    return [
        ("rnnlm (PTB, 256/256 tied)", f"{parameter_bytes(rnnlm):,} B dense allreduce per step"),
        ("dan (SST-2, 300/300, 2 layers)", f"{dense_dan:,} B dense allreduce + 1,208 B per distinct word of the "
                                           "batch (rows + values) allgathered per step"),
        ("word2vec (text8, 100 dims)", f"{word2vec:,} B allreduce per synchronisation"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    group = dist.init()
    dist.print_on_main(f"{group.size} ranks")
    dist.print_on_main(f"{'bytes':>12} {'allreduce ms':>13} {'GB/s (2(p-1)/p n/t)':>20} {'allgather ms':>13}")
    for exponent in range(12, 27, 2):
        size = 2 ** exponent
        array = np.ones(size // 4, dtype=np.float32)
        allreduce = time_collective(lambda: group.allreduce_(array), args.repeats)
        rows = np.ones((size // 4 // 300, 300), dtype=np.float32)
        allgather = time_collective(lambda: group.allgather_rows(rows), args.repeats)
        bus_bandwidth = 2 * (group.size - 1) / group.size * size / allreduce / 1e9
        dist.print_on_main(f"{size:>12,} {allreduce * 1e3:>13.3f} {bus_bandwidth:>20.2f} {allgather * 1e3:>13.3f}")
    for name, traffic in model_traffic():
        dist.print_on_main(f"{name}: {traffic}")


if __name__ == "__main__":
    main()
