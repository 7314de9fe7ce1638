"""One training step (forward, backward, optimizer) of the lecture's NER window network and of a DAN
classifier, fastgrad against PyTorch at the same thread count (FASTGRAD_BENCH_THREADS, default 2).

    python -m pytest bench/test_training_step.py --benchmark-only

NER window network: 5 word ids -> Embedding(20000, 50) -> concat (250) -> Linear 100 -> tanh ->
Linear 5 -> cross-entropy, batch 256, SGD; the embedding gradient dense or row-sparse.
DAN: 64 sentences x 20 ids -> Embedding(20000, 300) -> mean -> Linear 300 -> ReLU -> Linear 2 ->
cross-entropy with Adam, or EmbeddingBag(mode="mean", sparse=True) with SparseAdam for the table
and Adam for the rest.
"""
import os

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.nn.functional as F
import fastgrad.optim as optim
from fastgrad.threads import import_torch, set_threads

THREADS = set_threads(int(os.environ.get("FASTGRAD_BENCH_THREADS", "2")))
VOCAB = 20000
NER_SIZES = dict(window=5, dim=50, hidden=100, classes=5, batch=256)
DAN_SIZES = dict(dim=300, sentences=64, length=20, classes=2)


def _batch(shape: tuple[int, ...], classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, VOCAB, shape), rng.integers(0, classes, shape[0])


# -- fastgrad ---------------------------------------------------------------------------------------
class WindowTagger(nn.Module):
    def __init__(self, sparse: bool):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, NER_SIZES["dim"], sparse=sparse)
        self.hidden = nn.Linear(NER_SIZES["window"] * NER_SIZES["dim"], NER_SIZES["hidden"])
        self.out = nn.Linear(NER_SIZES["hidden"], NER_SIZES["classes"])

    def forward(self, windows):
        x = self.embed(windows).reshape(windows.shape[0], -1)
        return self.out(F.tanh(self.hidden(x)))


class DAN(nn.Module):
    def __init__(self, bag: bool):
        super().__init__()
        self.bag = bag
        self.embed = nn.EmbeddingBag(VOCAB, DAN_SIZES["dim"], mode="mean", sparse=True) if bag else nn.Embedding(VOCAB, DAN_SIZES["dim"])
        self.hidden = nn.Linear(DAN_SIZES["dim"], DAN_SIZES["dim"])
        self.out = nn.Linear(DAN_SIZES["dim"], DAN_SIZES["classes"])

    def forward(self, ids):
        x = self.embed(ids) if self.bag else self.embed(ids).mean(dim=1)
        return self.out(F.relu(self.hidden(x)))


def _fastgrad_step(model, optimizers, inputs, labels):
    inputs, labels = fastgrad.tensor(inputs), fastgrad.tensor(labels)

    def step():
        for optimizer in optimizers:
            optimizer.zero_grad()
        F.cross_entropy(model(inputs), labels).backward()
        for optimizer in optimizers:
            optimizer.step()

    return step


def fastgrad_ner_step(sparse: bool):
    fastgrad.manual_seed(0)
    model = WindowTagger(sparse)
    return _fastgrad_step(model, [optim.SGD(model.parameters(), lr=0.01)],
                          *_batch((NER_SIZES["batch"], NER_SIZES["window"]), NER_SIZES["classes"]))


def fastgrad_dan_step(sparse: bool):
    fastgrad.manual_seed(0)
    model = DAN(bag=sparse)
    if sparse:
        rest = [p for name, p in model.named_parameters() if not name.startswith("embed.")]
        optimizers = [optim.SparseAdam(model.embed.parameters()), optim.Adam(rest)]
    else:
        optimizers = [optim.Adam(model.parameters())]
    return _fastgrad_step(model, optimizers, *_batch((DAN_SIZES["sentences"], DAN_SIZES["length"]), DAN_SIZES["classes"]))


# -- PyTorch ----------------------------------------------------------------------------------------
def torch_ner_step(torch, sparse: bool):
    torch.manual_seed(0)
    embed = torch.nn.Embedding(VOCAB, NER_SIZES["dim"], sparse=sparse)
    layers = torch.nn.Sequential(torch.nn.Linear(NER_SIZES["window"] * NER_SIZES["dim"], NER_SIZES["hidden"]), torch.nn.Tanh(),
                                 torch.nn.Linear(NER_SIZES["hidden"], NER_SIZES["classes"]))
    optimizer = torch.optim.SGD(list(embed.parameters()) + list(layers.parameters()), lr=0.01)
    windows, labels = (torch.from_numpy(a) for a in _batch((NER_SIZES["batch"], NER_SIZES["window"]), NER_SIZES["classes"]))

    def step():
        optimizer.zero_grad()
        logits = layers(embed(windows).reshape(windows.shape[0], -1))
        torch.nn.functional.cross_entropy(logits, labels).backward()
        optimizer.step()

    return step


def torch_dan_step(torch, sparse: bool):
    torch.manual_seed(0)
    if sparse:
        embed = torch.nn.EmbeddingBag(VOCAB, DAN_SIZES["dim"], mode="mean", sparse=True)
    else:
        embed = torch.nn.Embedding(VOCAB, DAN_SIZES["dim"])
    layers = torch.nn.Sequential(torch.nn.Linear(DAN_SIZES["dim"], DAN_SIZES["dim"]), torch.nn.ReLU(),
                                 torch.nn.Linear(DAN_SIZES["dim"], DAN_SIZES["classes"]))
    if sparse:
        optimizers = [torch.optim.SparseAdam(embed.parameters()), torch.optim.Adam(layers.parameters())]
    else:
        optimizers = [torch.optim.Adam(list(embed.parameters()) + list(layers.parameters()))]
    ids, labels = (torch.from_numpy(a) for a in _batch((DAN_SIZES["sentences"], DAN_SIZES["length"]), DAN_SIZES["classes"]))

    def step():
        for optimizer in optimizers:
            optimizer.zero_grad()
        x = embed(ids) if sparse else embed(ids).mean(dim=1)
        torch.nn.functional.cross_entropy(layers(x), labels).backward()
        for optimizer in optimizers:
            optimizer.step()

    return step


# -- benchmarks -------------------------------------------------------------------------------------
VARIANTS = [False, True]
IDS = ["dense", "sparse"]


@pytest.mark.benchmark(group=f"training step: NER window net, SGD ({THREADS} threads)")
@pytest.mark.parametrize("sparse", VARIANTS, ids=IDS)
def test_ner_step_fastgrad(benchmark, sparse):
    benchmark(fastgrad_ner_step(sparse))


@pytest.mark.benchmark(group=f"training step: NER window net, SGD ({THREADS} threads)")
@pytest.mark.parametrize("sparse", VARIANTS, ids=IDS)
def test_ner_step_torch(benchmark, sparse):
    torch = import_torch() or pytest.skip("PyTorch is not installed")
    benchmark(torch_ner_step(torch, sparse))


@pytest.mark.benchmark(group=f"training step: DAN, Adam / SparseAdam ({THREADS} threads)")
@pytest.mark.parametrize("sparse", VARIANTS, ids=IDS)
def test_dan_step_fastgrad(benchmark, sparse):
    benchmark(fastgrad_dan_step(sparse))


@pytest.mark.benchmark(group=f"training step: DAN, Adam / SparseAdam ({THREADS} threads)")
@pytest.mark.parametrize("sparse", VARIANTS, ids=IDS)
def test_dan_step_torch(benchmark, sparse):
    torch = import_torch() or pytest.skip("PyTorch is not installed")
    benchmark(torch_dan_step(torch, sparse))
