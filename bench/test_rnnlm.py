"""One truncated-BPTT training step of the RNN language model, fastgrad against PyTorch at the same
thread count (FASTGRAD_BENCH_THREADS, default 2).

    python -m pytest bench/test_rnnlm.py --benchmark-only

Model and step: ids (35, 20) -> Embedding(10000, 200) -> tanh RNN(200, 200) -> Linear(200, 10000) ->
cross-entropy over the full vocabulary -> backward -> clip_grad_norm_(0.25) -> SGD; the hidden state
is carried (detached) from step to step, as in training. Tokens/s = 700 / the step time (extra_info).
"""
import os

import numpy as np
import pytest

import fastgrad
import fastgrad.optim as optim
from fastgrad.threads import import_torch, set_threads
from fastgrad.models.rnnlm import RNNLM, TruncatedBPTT

THREADS = set_threads(int(os.environ.get("FASTGRAD_BENCH_THREADS", "2")))
VOCAB, DIM, BATCH, BPTT, CLIP, LR = 10_000, 200, 20, 35, 0.25, 1.0
STREAM = np.random.default_rng(0).integers(0, VOCAB, BATCH * (50 * BPTT + 1))  # 50 segments, then it wraps
GROUP = f"RNN LM training step: V={VOCAB}, H={DIM}, B={BATCH}, T={BPTT} ({THREADS} threads)"


def fastgrad_step():
    fastgrad.manual_seed(0)
    model = RNNLM(VOCAB, DIM, DIM)
    run = TruncatedBPTT(model, optim.SGD(model.parameters(), lr=LR), STREAM, BATCH, BPTT, CLIP)
    return run.step


def torch_step(torch):
    torch.manual_seed(0)
    encoder, rnn = torch.nn.Embedding(VOCAB, DIM), torch.nn.RNN(DIM, DIM, nonlinearity="tanh")
    decoder = torch.nn.Linear(DIM, VOCAB)
    params = [*encoder.parameters(), *rnn.parameters(), *decoder.parameters()]
    optimizer = torch.optim.SGD(params, lr=LR)
    batched = torch.from_numpy(STREAM.reshape(BATCH, -1).T.copy())
    state = {"hidden": torch.zeros(1, BATCH, DIM), "start": 0}

    def step():
        start = state["start"]
        inputs, targets = batched[start:start + BPTT], batched[start + 1:start + 1 + BPTT]
        outputs, hidden = rnn(encoder(inputs), state["hidden"].detach())
        loss = torch.nn.functional.cross_entropy(decoder(outputs).reshape(-1, VOCAB), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        optimizer.step()
        state["hidden"], state["start"] = hidden, (start + BPTT) % (len(batched) - 1 - BPTT)
        return loss.item()

    return step


def _run(benchmark, step):
    step()  # compilation, first-touch allocation
    benchmark.pedantic(step, rounds=20, iterations=1, warmup_rounds=2)
    benchmark.extra_info.update(threads=THREADS, tokens_per_s=BATCH * BPTT / benchmark.stats.stats.mean)


@pytest.mark.benchmark(group=GROUP)
def test_rnnlm_step_fastgrad(benchmark):
    _run(benchmark, fastgrad_step())


@pytest.mark.benchmark(group=GROUP)
def test_rnnlm_step_torch(benchmark):
    torch = import_torch() or pytest.skip("PyTorch is not installed")
    _run(benchmark, torch_step(torch))
