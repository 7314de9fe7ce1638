"""One training job that tests/distributed/test_mpi.py runs both as one process and under `mpiexec -n 2`.

It trains a small NBOW classifier (sparse embedding bag) and a small RNN language model with
DistributedDataParallel on a global batch split across the ranks, and writes to --out (rank 0 only):
the first step's gradients (grads_nbow.npz, grads_rnnlm.npz), the per-step losses averaged over the
ranks (losses.json) and, with --checkpoint-at, an RNN LM checkpoint. --resume continues the RNN LM from
a checkpoint. --fail die|hang makes rank 1 die (SIGKILL) or stop calling collectives at NBOW step 2.
--word2vec CORPUS instead trains skip-gram data-parallel on CORPUS and writes each rank's matrices
(word2vec_rank<r>.npz) and the vocabulary and statistics (word2vec.json).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path

import numpy as np

import fastgrad
import fastgrad.distributed as dist
import fastgrad.nn.functional as F
from fastgrad import optim
from fastgrad.models.nbow import DAN, pack_bags
from fastgrad.distributed.word2vec import read_corpus_shard, train_data_parallel
from fastgrad.models.rnnlm import RNNLM, TruncatedBPTT
from fastgrad.models.word2vec import Word2Vec

NBOW_SENTENCES, NBOW_BATCH, NBOW_EPOCHS = 64, 16, 2
RNN_TOKENS, RNN_BATCH, RNN_BPTT, RNN_STEPS = 600, 4, 5, 12


def nbow_data() -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(1)
    sentences = [rng.integers(0, 60, size=rng.integers(2, 9)) for _ in range(NBOW_SENTENCES)]
    labels = np.array([int(s.sum() % 3) for s in sentences])
    return sentences, labels


def rnn_tokens() -> np.ndarray:
    rng = np.random.default_rng(2)
    # a Markov chain, so there is something to learn
    ids = [0]
    for _ in range(RNN_TOKENS - 1):
        ids.append(int((ids[-1] * 7 + rng.integers(0, 3)) % 30))
    return np.array(ids, dtype=np.int64)


def mean_over_ranks(value: float) -> float:
    total = fastgrad.tensor(np.array([value], dtype=np.float64))
    dist.all_reduce(total, dist.ReduceOp.AVG)
    return float(total.item())


def dense_grads(model) -> dict[str, np.ndarray]:
    return {name: (p.grad.to_dense_array() if p.grad.is_sparse else p.grad.numpy().copy())
            for name, p in model.named_parameters()}


def train_nbow(out: Path, fail: str | None) -> list[float]:
    group = dist.group()
    fastgrad.manual_seed(0)
    model = DAN(60, 3, dim=8, hidden=8, layers=1, sparse=True)
    ddp = dist.DistributedDataParallel(model, bucket_cap_mb=0.001)  # several buckets even for this small model
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    sentences, labels = nbow_data()
    sampler = dist.DistributedSampler(range(NBOW_SENTENCES), seed=3)
    local_batch = NBOW_BATCH // group.size
    losses = []
    for epoch in range(NBOW_EPOCHS):
        sampler.set_epoch(epoch)
        order = sampler.indices()
        for start in range(0, len(order), local_batch):
            if fail is not None and len(losses) == 2 and group.rank == 1:
                if fail == "die":
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(600)  # "hang": alive, but never reaches the next collective
            batch = order[start:start + local_batch]
            ids, offsets = pack_bags([sentences[i] for i in batch])
            loss = F.cross_entropy(ddp(ids, offsets), fastgrad.tensor(labels[batch]))
            optimizer.zero_grad()
            loss.backward()
            if not losses:
                grads = dense_grads(model)
                if dist.is_main_process():
                    np.savez(out / "grads_nbow.npz", **grads)
            optimizer.step()
            losses.append(mean_over_ranks(loss.item()))
    return losses


def rnn_model_and_trainer(group) -> tuple:
    fastgrad.manual_seed(0)
    model = RNNLM(30, embedding_dim=8, hidden_size=8)
    ddp = dist.DistributedDataParallel(model)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    trainer = TruncatedBPTT(ddp, optimizer, rnn_tokens(), RNN_BATCH, RNN_BPTT, clip=0.25,
                            shard=(group.rank, group.size))
    return model, ddp, optimizer, trainer


def train_rnnlm(out: Path, checkpoint_at: int | None, resume: Path | None) -> list[float]:
    group = dist.group()
    model, ddp, optimizer, trainer = rnn_model_and_trainer(group)
    first = 0
    if resume is not None:
        state = fastgrad.load(resume)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        trainer.load_state_dict(state["trainer"])
        first = int(state["step"])
    else:
        segment = trainer.batched[:RNN_BPTT + 1]
        logits, _ = ddp(fastgrad.from_numpy(segment[:-1]), model.init_hidden(segment.shape[1]))
        F.cross_entropy(logits.reshape(-1, 30), fastgrad.from_numpy(segment[1:].reshape(-1))).backward()
        grads = dense_grads(model)
        if dist.is_main_process():
            np.savez(out / "grads_rnnlm.npz", **grads)
        optimizer.zero_grad()
    losses = []
    for step in range(first, RNN_STEPS):
        if step == checkpoint_at:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "trainer": trainer.state_dict(), "step": step}
            dist.save_on_main(state, out / "rnnlm.ckpt")
        losses.append(mean_over_ranks(trainer.step()[0]))
    return losses


def train_word2vec(out: Path, corpus_path: Path) -> None:
    group = dist.group()
    shard = read_corpus_shard(corpus_path, min_count=2)
    model = Word2Vec(model="sg", dim=16, window=3, negative=4, sample=0, min_count=2, epochs=3, alpha=0.05, seed=3)
    model.build(shard)
    stats = train_data_parallel(model, shard, sync_words=3000)
    np.savez(out / f"word2vec_rank{group.rank}.npz", input=model.input_vectors, output=model.output_vectors)
    if dist.is_main_process():
        summary = {"words": model.words, "counts": model.counts.tolist(), "raw_words": stats.raw_words,
                   "shard_words": shard.raw_words}
        (out / "word2vec.json").write_text(json.dumps(summary))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--checkpoint-at", type=int, default=None)
    parser.add_argument("--resume", type=Path, default=None)
    parser.add_argument("--fail", choices=("die", "hang"), default=None)
    parser.add_argument("--word2vec", type=Path, default=None)
    args = parser.parse_args()
    group = dist.init()
    fastgrad.set_backend("compiled")
    if args.word2vec is not None:
        train_word2vec(args.out, args.word2vec)
        return
    result = {"world_size": group.size}
    if args.resume is None:
        result["nbow"] = train_nbow(args.out, args.fail)
    result["rnnlm"] = train_rnnlm(args.out, args.checkpoint_at, args.resume)
    if dist.is_main_process():
        (args.out / "losses.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
