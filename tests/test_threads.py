"""`--threads N` means N threads in total: during training steps, count the threads of the process that
are runnable (state R in /proc/<pid>/task/*/stat) - working or waiting for a core, never sleeping."""
import collections
import os
import subprocess
import sys
import time

import pytest

from fastgrad import threads

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux's /proc")

# RNN LM steps whose matrix products (OpenBLAS), softmax cross-entropy (C, OpenMP) and embedding and
# dropout kernels (Numba) all run threaded at 2 threads; steps go on for `seconds` after a warm-up.
TRAINING = r"""
import sys, time
import fastgrad  # first, as the command line does
import numpy as np
from fastgrad import nn, optim
import fastgrad.nn.functional as F
from fastgrad.models.rnnlm import RNNLM

fastgrad.threads.set_threads(int(sys.argv[1]))
fastgrad.manual_seed(0)
vocab = 4000
model = RNNLM(vocab, 128, 128, dropout=0.2)
optimizer = optim.SGD(model.parameters(), lr=1.0)
ids = np.random.default_rng(0).integers(0, vocab, (36, 20))

def step():
    logits, _ = model(fastgrad.from_numpy(ids[:-1]), model.init_hidden(20))
    loss = F.cross_entropy(logits.reshape(-1, vocab), fastgrad.from_numpy(ids[1:].reshape(-1)))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 0.25)
    optimizer.step()

step()
print("ready", flush=True)
end = time.perf_counter() + float(sys.argv[2])
while time.perf_counter() < end:
    step()
"""


def runnable(pid: int) -> int | None:
    """How many threads of process `pid` are runnable now; None once it has exited."""
    task_dir = f"/proc/{pid}/task"
    try:
        tids = os.listdir(task_dir)
    except OSError:
        return None
    count = 0
    for tid in tids:
        try:
            with open(f"{task_dir}/{tid}/stat", "rb") as stat:
                text = stat.read()
        except OSError:  # the thread ended
            continue
        count += text[text.rindex(b")") + 2:text.rindex(b")") + 3] == b"R"  # state follows "(comm) "
    return count


def runnable_counts_while_training(thread_count: int, seconds: float = 2.0, **environment: str) -> collections.Counter:
    """{runnable threads: samples} over the training steps of a fresh process, sampled from this one."""
    env = {k: v for k, v in os.environ.items() if k not in threads.IDLE_POLICY}  # fastgrad must set them itself
    env.update(environment)
    process = subprocess.Popen([sys.executable, "-c", TRAINING, str(thread_count), str(seconds)], env=env,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    counts = collections.Counter()
    while (count := runnable(process.pid)) is not None and process.poll() is None:
        counts[count] += 1
        time.sleep(0.0002)
    assert process.wait() == 0
    return counts


@pytest.mark.parametrize("thread_count", [1, 2])
def test_at_most_the_requested_threads_run_at_once(thread_count):
    counts = runnable_counts_while_training(thread_count)
    samples = sum(counts.values())
    assert samples >= 100, counts
    oversubscribed = sum(n for runnable_now, n in counts.items() if runnable_now > thread_count)
    # Threads are read one after another, so a sample can catch one pool's worker just before it
    # sleeps and the next pool's just after it wakes: about 0.1% of the samples on a quiet machine, and
    # up to 2% measured while other jobs loaded both cores (a thread stays runnable longer when it waits
    # for a core). Two pools working at once would be oversubscribed in a large share of the samples.
    assert oversubscribed <= 0.05 * samples, counts
    if thread_count == 2:
        assert counts[2] > 0, counts  # the second thread did work, or this test proves nothing


@pytest.fixture
def restore_threads():
    before = threads.STATE.count
    yield
    threads.set_threads(before)


def test_a_count_above_numbas_pool_is_lowered_everywhere_and_reported(restore_threads):
    import numba

    most = numba.config.NUMBA_NUM_THREADS
    with pytest.warns(RuntimeWarning, match=f"{most + 3} requested.*at most {most}"):
        in_force = threads.set_threads(most + 3)
    assert in_force == most  # the count the command line prints and config.json records
    assert threads.in_force()["numba"] == most
    blas = threads.in_force()["blas"]
    assert blas is None or blas == most


def test_kernels_called_from_another_python_thread_use_the_count(restore_threads):
    """Numba keeps its thread count per Python thread: set in the main one, it must still bound kernels run
    from others (the C loops take Numba's count)."""
    import threading

    from fastgrad import _native

    threads.set_threads(1)
    seen = {}

    def run():
        seen["c_loop_threads"] = _native._num_threads(1 << 20)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert seen == {"c_loop_threads": 1}


def test_set_and_get_num_threads_as_in_pytorch(restore_threads):
    import fastgrad

    fastgrad.set_num_threads(1)
    assert fastgrad.get_num_threads() == 1 and threads.in_force()["numba"] == 1
    with pytest.raises(RuntimeError, match="set_num_threads: count must be a positive int, got 0"):
        fastgrad.set_num_threads(0)
    with pytest.raises(TypeError, match="set_num_threads: count must be an int, got float"):
        fastgrad.set_num_threads(1.5)
