"""`fastgrad demo`: the project in about two minutes, with no data files.

On the built-in corpus (Python's help topics and the stdlib/NumPy docstrings) it trains one small RNN
language model on every backend and compares their speed, shows the compiled run's profile, trains on
for `--seconds` while validation perplexity falls, samples a few sentences and says what to run next.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import fastgrad
from fastgrad import optim
from fastgrad.cli.common import add_threads_argument, parse_with, set_threads
from fastgrad.cli.lm import format_tokens
from fastgrad.data.builtin_corpus import builtin_lm_splits
from fastgrad.data.lm_corpus import EOS
from fastgrad.metrics.language_model import perplexity
from fastgrad.models.generation import RecurrentScorer, generate
from fastgrad.models.rnnlm import RNNLM, TruncatedBPTT, evaluate
from fastgrad.train.report import Progress, plot_curves
from fastgrad.train.settings import NON_NEGATIVE_INT, POSITIVE, PlotPath

# The demo model: small enough to learn visibly in a minute on two cores.
VOCAB_SIZE = 10_000
EMBEDDING_DIM = HIDDEN = 128
BATCH_SIZE, BPTT, LR, CLIP = 20, 35, 3.0, 0.25  # lr 20 (word_language_model's) diverges for this tanh RNN
VALID_TOKENS = 20_000  # validation perplexity is measured on this prefix of the held-out text
PYTHON_STEPS = 3  # the pure-Python loops take about a second per token: time a few one-token steps
BACKENDS = ("python", "numpy", "compiled")


def register(cli) -> None:
    p = cli.add_command("demo", help="train a small RNN language model on a built-in corpus, on every backend")
    p.add_argument("--seconds", type=POSITIVE.parse, default=60.0,
                   help="training time of the main run (default 60); the speed comparison takes a fifth of it")
    p.add_argument("--backend", choices=BACKENDS, default="compiled", help="backend of the profile and main run")
    p.add_argument("--plot", type=parse_with(PlotPath(), "--plot"), default=None, metavar="FILE",
                   help="write an image of validation perplexity against time (its suffix is the format; PNG without)")
    add_threads_argument(p)
    p.add_argument("--seed", type=NON_NEGATIVE_INT.parse, default=0, help="random seed (default 0)")
    p.set_defaults(run=run_demo)


def _fresh_run(vocab_size: int, train: np.ndarray, seed: int, batch_size: int = BATCH_SIZE,
               bptt: int = BPTT) -> TruncatedBPTT:
    """The same initial model and data order for every backend."""
    fastgrad.manual_seed(seed)
    model = RNNLM(vocab_size, EMBEDDING_DIM, HIDDEN)
    return TruncatedBPTT(model, optim.SGD(model.parameters(), lr=LR), train, batch_size, bptt, CLIP)


def _tokens_per_second(run: TruncatedBPTT, seconds: float, max_steps: int | None = None) -> float:
    """Training throughput over at least one step and at most `seconds` (after the first step) or `max_steps`."""
    tokens, steps, start = 0, 0, time.perf_counter()
    while steps == 0 or (time.perf_counter() - start < seconds and (max_steps is None or steps < max_steps)):
        tokens += run.step()[1]
        steps += 1
    return tokens / (time.perf_counter() - start)


def compare_backends(vocab_size: int, train: np.ndarray, seconds: float, seed: int) -> dict[str, float]:
    """Tokens/s of the same model on each backend, printed as a table with the speed-ups."""
    print(f"\n1. the same RNN LM ({EMBEDDING_DIM}-d embeddings, {HIDDEN} tanh units, {vocab_size:,}-word softmax, "
          f"batch {BATCH_SIZE} x {BPTT} steps; one token at a time in pure Python) for ~{seconds:.1f} s on each "
          "backend:", flush=True)
    rates = {}
    for name in BACKENDS:
        with fastgrad.backend(name):
            if name == "python":  # per-token cost of loops hardly depends on the batch: time single tokens
                rates[name] = _tokens_per_second(_fresh_run(vocab_size, train, seed, 1, 1), seconds, PYTHON_STEPS)
            else:
                run = _fresh_run(vocab_size, train, seed)
                run.step()  # untimed warm-up: kernel compilation and loading
                rates[name] = _tokens_per_second(run, seconds)
        rate = f"{rates[name]:,.0f}" if rates[name] >= 10 else f"{rates[name]:.2f}"
        print(f"   {name:<9}{rate:>12} tokens/s", flush=True)
    print(f"   compiled is {rates['compiled'] / rates['numpy']:.1f}x NumPy and "
          f"{rates['compiled'] / rates['python']:,.0f}x the pure-Python loops", flush=True)
    return rates


def show_profile(vocab_size: int, train: np.ndarray, seed: int, steps: int = 5) -> None:
    run = _fresh_run(vocab_size, train, seed)
    run.step()
    with fastgrad.profile() as prof:
        for _ in range(steps):
            run.step()
    print(f"\n2. where the time goes on the {fastgrad.get_backend()} backend ({steps} training steps, "
          f"{prof.wall_seconds * 1e3 / steps:.0f} ms each):", flush=True)
    print("   " + prof.table(top=8).replace("\n", "\n   "), flush=True)
    print("   the kernels inside them, and which implementation ran (native = C, numba, numpy = the reference "
          "where\n   the backend has none of its own; views, indexing and stacking are NumPy on every backend):",
          flush=True)
    print("   " + prof.kernel_table(top=8).replace("\n", "\n   "), flush=True)


def train_with_validation(vocab_size: int, train: np.ndarray, valid: np.ndarray, seconds: float, seed: int,
                          ) -> tuple[RNNLM, list[dict]]:
    """Train for `seconds`, measuring validation perplexity about ten times on the way (at most once a second)."""
    print(f"\n3. training on the {fastgrad.get_backend()} backend for {seconds:.0f} s "
          f"({len(train):,} training tokens, validation perplexity on {len(valid):,} held-out tokens):", flush=True)
    run = _fresh_run(vocab_size, train, seed)
    curve = [{"seconds": 0.0, "valid_ppl": perplexity(*evaluate(run.model, valid))}]
    print(f"   untrained: validation perplexity {curve[0]['valid_ppl']:,.0f} (uniform guessing: {vocab_size:,})",
          flush=True)
    progress = Progress(None, "tok", desc="   training")
    every = max(seconds / 10, 1.0)  # each measurement costs a pass over the validation tokens
    trained, next_check = 0.0, every
    while trained < seconds:
        start = time.perf_counter()
        loss, tokens = run.step()
        trained += time.perf_counter() - start
        progress.update(tokens, loss=loss)
        if trained >= next_check or trained >= seconds:
            next_check += every
            with progress.paused():  # its tokens/s is the training's, as the summary below
                curve.append({"seconds": trained, "valid_ppl": perplexity(*evaluate(run.model, valid))})
            progress.update(0, valid_ppl=curve[-1]["valid_ppl"])
    progress.close()
    for point in curve[1:]:
        print(f"   after {point['seconds']:5.1f} s: validation perplexity {point['valid_ppl']:8.1f}", flush=True)
    print(f"   {progress.count:,} tokens at {progress.count / max(trained, 1e-9):,.0f} tokens/s "
          f"(epoch {run.epoch + 1}, {run.tokens_per_epoch:,} tokens each)", flush=True)
    return run.model, curve


def run_demo(args: argparse.Namespace) -> int:
    threads = set_threads(args.threads)
    plural = "" if threads == 1 else "s"
    print(f"fastgrad {fastgrad.__version__} demo: {threads} thread{plural}, seed {args.seed}", flush=True)
    start = time.perf_counter()
    vocab, train, valid = builtin_lm_splits(max_size=VOCAB_SIZE)
    valid = valid[:VALID_TOKENS]
    print(f"built-in corpus (Python help topics, stdlib and NumPy docstrings): {len(train):,} training tokens, "
          f"{len(vocab):,}-word vocabulary ({time.perf_counter() - start:.1f} s to load)", flush=True)

    compare_backends(len(vocab), train, max(args.seconds / 15, 0.5), args.seed)
    with fastgrad.backend(args.backend):
        show_profile(len(vocab), train, args.seed)
        model, curve = train_with_validation(len(vocab), train, valid, args.seconds, args.seed)

        print("\n4. a sample (temperature 0.8, top 50 words, seed 0, prompt 'the'):", flush=True)
        ids = generate(RecurrentScorer(model), vocab.encode([EOS, "the"]), 40, temperature=0.8, top_k=50, seed=0)
        print("   " + format_tokens(["the"] + vocab.decode(ids)).replace("\n", "\n   "), flush=True)

    if args.plot is not None:
        written = plot_curves(curve, args.plot, x="seconds")
        print(f"\nvalidation curve written to {', '.join(map(str, written))}", flush=True)
    print(f"\n5. next steps (this demo took {time.perf_counter() - start:.0f} s):\n"
          "   fastgrad bench                                   measure every backend against PyTorch\n"
          "   fastgrad train rnnlm --train T --valid V --test E --out runs/rnnlm    an RNN LM on your own text\n"
          "   fastgrad train ngram|fflm ...                    Kneser-Ney and fixed-window LMs on the same files\n"
          "   fastgrad generate runs/rnnlm --prompt 'the' --tokens 50 --temperature 0.8\n"
          "   fastgrad train --help                            every model (classifiers, NER, word2vec, ...)",
          flush=True)
    return 0
