"""`fastgrad train ngram|fflm|rnnlm` and, for the model directories they write, `fastgrad eval` (perplexity),
`fastgrad generate` (sampling) and `fastgrad predict` (per-line perplexity).

A model directory holds `config.json` ("kind", "model" and the hyper-parameters), `vocab.txt`, the
best weights (`model.npz` via `fastgrad.save`, or `kneser_ney.*` for the n-gram model), `metrics.jsonl`
and, for the neural models, `resume.npz` (weights, optimizer, learning rate, random states and position
after the last finished epoch) which `--resume` continues from.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

import fastgrad
from fastgrad import nn, optim
from fastgrad.cli.common import (load_weights, MetricsLog, Progress, add_run_arguments, plot_curves, print_config,
                                 read_model_config, set_threads, write_json_atomic)
from fastgrad.data.lm_corpus import EOS, PTB_FILES, LMCorpus, load_lm_corpus, read_lm_tokens
from fastgrad.data.paths import data_dir
from fastgrad.data.vocab import Vocab
from fastgrad.metrics.language_model import perplexity
from fastgrad.models import fflm, rnnlm
from fastgrad.models.generation import NgramScorer, RecurrentScorer, WindowScorer, generate
from fastgrad.models.ngram import KneserNeyLM
from fastgrad.train.errors import ConfigError, ModelDirectoryError

EVAL_BATCH = 1  # evaluation scores every token but the first, from its whole history


# ---- arguments ------------------------------------------------------------------------------------
def _add_corpus_arguments(parser: argparse.ArgumentParser) -> None:
    for split in ("train", "valid", "test"):
        parser.add_argument(f"--{split}", type=Path, default=None,
                            help=f"{split} text, one sentence per line (default: the data folder's {PTB_FILES[split]})")
    parser.add_argument("--max-vocab", type=int, default=None, help="keep at most this many words (specials included)")
    parser.add_argument("--min-count", type=int, default=1, help="drop training words seen fewer times (default 1)")
    add_run_arguments(parser)


def _add_neural_arguments(parser: argparse.ArgumentParser, *, embedding_dim: int, hidden: int, dropout: float,
                          tied: bool, epochs: int, batch_size: int, optimizer: str, lr: float, clip: float) -> None:
    parser.add_argument("--embedding-dim", type=int, default=embedding_dim, help=f"word vector size (default {embedding_dim})")
    parser.add_argument("--hidden", type=int, default=hidden, help=f"hidden layer size (default {hidden})")
    parser.add_argument("--dropout", type=float, default=dropout, help=f"dropout probability (default {dropout})")
    parser.add_argument("--tied", action=argparse.BooleanOptionalAction, default=tied,
                        help="share the input embedding and output matrices; needs --hidden equal to --embedding-dim "
                             f"(default {'on' if tied else 'off'})")
    parser.add_argument("--epochs", type=int, default=epochs, help=f"training epochs (default {epochs})")
    parser.add_argument("--batch-size", type=int, default=batch_size, help=f"minibatch size (default {batch_size})")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default=optimizer, help=f"default {optimizer}")
    parser.add_argument("--lr", type=float, default=lr, help=f"learning rate (default {lr})")
    parser.add_argument("--lr-decay", type=float, default=0.5,
                        help="multiply the learning rate by this when validation perplexity stops improving (default 0.5)")
    parser.add_argument("--clip", type=float, default=clip, help=f"gradient-norm clipping threshold, 0 for none (default {clip})")
    parser.add_argument("--resume", action="store_true", help="continue the run saved in --out")


def register(cli) -> None:
    p = cli.add_train_model("ngram", help="interpolated modified Kneser-Ney n-gram language model")
    _add_corpus_arguments(p)
    p.add_argument("--order", type=int, default=5, help="n-gram order (default 5)")
    p.set_defaults(run=run_train_ngram)

    p = cli.add_train_model("fflm", help="fixed-window neural language model (Bengio et al. 2003)")
    _add_corpus_arguments(p)
    p.add_argument("--context", type=int, default=4, help="words of context, n-1 (default 4)")
    _add_neural_arguments(p, embedding_dim=256, hidden=256, dropout=0.3, tied=True, epochs=10, batch_size=256,
                          optimizer="adam", lr=1e-3, clip=1.0)
    p.set_defaults(run=run_train_neural, model="fflm")

    p = cli.add_train_model("rnnlm", help="Elman RNN language model with truncated BPTT")
    _add_corpus_arguments(p)
    p.add_argument("--bptt", type=int, default=35, help="truncated BPTT length in steps (default 35)")
    _add_neural_arguments(p, embedding_dim=256, hidden=256, dropout=0.25, tied=True, epochs=20, batch_size=20,
                          optimizer="sgd", lr=4.0, clip=0.25)
    p.set_defaults(run=run_train_neural, model="rnnlm")


# ---- corpus and model directory ---------------------------------------------------------------------
def _corpus(args: argparse.Namespace) -> LMCorpus:
    def path(split: str) -> Path:
        given = getattr(args, split)
        if given is not None:
            return given
        default = data_dir() / PTB_FILES[split]
        if not default.exists():
            raise ConfigError(f"--{split} not given and the default {default} does not exist "
                             "(set FASTGRAD_DATA or pass --train/--valid/--test)")
        return default

    return load_lm_corpus(path("train"), path("valid"), path("test"), max_size=args.max_vocab, min_count=args.min_count)


def _stream(vocab: Vocab, path: Path) -> np.ndarray:
    return vocab.encode(read_lm_tokens(path))


def _model_config(args: argparse.Namespace, vocab_size: int) -> dict[str, Any]:
    config = {"kind": args.model, "model": args.model, "vocab_size": vocab_size}
    if args.model == "ngram":
        return config | {"order": args.order}
    config |= {"embedding_dim": args.embedding_dim, "hidden": args.hidden, "dropout": args.dropout, "tied": args.tied}
    return config | ({"context": args.context} if args.model == "fflm" else {"bptt": args.bptt})


def build_model(config: dict[str, Any]) -> nn.Module:
    """The untrained fixed-window or RNN LM that `config` (a model directory's config.json) describes."""
    common = dict(embedding_dim=config["embedding_dim"], hidden_size=config["hidden"], dropout=config["dropout"],
                  tie_weights=config["tied"])
    if config["model"] == "fflm":
        return fflm.FixedWindowLM(config["vocab_size"], context_size=config["context"], **common)
    if config["model"] == "rnnlm":
        return rnnlm.RNNLM(config["vocab_size"], **common)
    raise ValueError(f"unknown neural LM {config['model']!r}; expected 'fflm' or 'rnnlm'")


def load_model(model_dir: Path) -> tuple[dict[str, Any], Vocab, Any]:
    """(config, vocab, model) from a directory written by `fastgrad train ngram|fflm|rnnlm`."""
    config = read_model_config(model_dir)
    vocab = Vocab.load(Path(model_dir) / "vocab.txt")
    if config["model"] == "ngram":
        return config, vocab, KneserNeyLM.load(model_dir)
    model = build_model(config)
    load_weights(model, Path(model_dir) / "model.npz")
    model.eval()
    return config, vocab, model


def negative_log_likelihood(config: dict[str, Any], model, ids: np.ndarray, vocab: Vocab) -> tuple[float, int]:
    """(summed NLL in nats, predictions) of any of the three LMs over every token of `ids` but the first."""
    if config["model"] == "ngram":
        logprobs = model.logprobs(ids)
        return float(-logprobs.sum()), len(logprobs)
    if config["model"] == "fflm":
        return fflm.evaluate(model, ids, vocab.stoi[EOS])
    return rnnlm.evaluate(model, ids, batch_size=EVAL_BATCH)


# ---- training -------------------------------------------------------------------------------------
def run_train_ngram(args: argparse.Namespace) -> int:
    set_threads(args.threads)
    print_config(args)
    corpus = _corpus(args)
    start = time.perf_counter()
    model = KneserNeyLM(args.order).fit(corpus.train, vocab_size=len(corpus.vocab))
    record = {"epoch": 1, "seconds": time.perf_counter() - start, "valid_ppl": model.perplexity(corpus.valid),
              "test_ppl": model.perplexity(corpus.test)}
    print(f"order {args.order}: valid perplexity {record['valid_ppl']:.2f}, test perplexity {record['test_ppl']:.2f} "
          f"({record['seconds']:.1f} s)", flush=True)
    if args.out is not None:
        model.save(args.out)
        corpus.vocab.save(args.out / "vocab.txt")
        write_json_atomic(args.out / "config.json", _model_config(args, len(corpus.vocab)))
        MetricsLog(args.out / "metrics.jsonl").write(**record)
    return 0


class _EpochRunner:
    """What differs between the neural LMs during training: one epoch, and the state of its position."""

    def __init__(self, args: argparse.Namespace, model: nn.Module, optimizer, corpus: LMCorpus):
        self.model, self.args = model, args
        if args.model == "rnnlm":
            self.bptt = rnnlm.TruncatedBPTT(model, optimizer, corpus.train, args.batch_size, args.bptt, args.clip)
            self.tokens_per_epoch = self.bptt.tokens_per_epoch
        else:
            self.optimizer, self.train_ids, self.pad_id = optimizer, corpus.train, corpus.vocab.stoi[EOS]
            self.shuffle_rng = np.random.default_rng(args.seed)
            self.tokens_per_epoch = len(corpus.train) - 1

    def run_epoch(self, progress: Progress) -> float:
        if self.args.model == "rnnlm":
            return self.bptt.run_epoch(progress)
        return fflm.train_epoch(self.model, self.train_ids, self.pad_id, self.optimizer, self.args.batch_size,
                                self.shuffle_rng, self.args.clip, progress)

    def state(self) -> dict[str, Any]:
        if self.args.model == "rnnlm":
            return self.bptt.state_dict()
        return {"shuffle_rng": self.shuffle_rng.bit_generator.state}

    def load_state(self, state: dict[str, Any]) -> None:
        if self.args.model == "rnnlm":
            self.bptt.load_state_dict(state)
        else:
            self.shuffle_rng.bit_generator.state = state["shuffle_rng"]


def _set_lr(optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def run_train_neural(args: argparse.Namespace) -> int:
    if args.resume and args.out is None:
        raise ConfigError("--resume needs --out (the directory of the run to continue)")
    if args.tied and args.hidden != args.embedding_dim:
        raise ConfigError(f"--tied (the default) needs --hidden equal to --embedding-dim, got --hidden {args.hidden} "
                         f"and --embedding-dim {args.embedding_dim}; pass --no-tied for different sizes")
    threads = set_threads(args.threads)
    with fastgrad.backend(args.backend):
        return _train_neural(args, threads)


def _train_neural(args: argparse.Namespace, threads: int) -> int:
    print_config(args)
    corpus = _corpus(args)
    config = _model_config(args, len(corpus.vocab))
    fastgrad.manual_seed(args.seed)
    model = build_model(config)
    optimizer = (optim.Adam if args.optimizer == "adam" else optim.SGD)(model.parameters(), lr=args.lr)
    runner = _EpochRunner(args, model, optimizer, corpus)
    progress_state = {"epoch": 0, "lr": args.lr, "best_valid_ppl": math.inf}
    resume_path = args.out / "resume.npz" if args.out is not None else None
    if args.resume:
        progress_state = _load_resume(resume_path, model, optimizer, runner)
        print(f"resuming after epoch {progress_state['epoch']} (lr {progress_state['lr']:.4g}, best valid perplexity "
              f"{progress_state['best_valid_ppl']:.2f})", flush=True)
    elif args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "metrics.jsonl").unlink(missing_ok=True)
        corpus.vocab.save(args.out / "vocab.txt")
        write_json_atomic(args.out / "config.json", config)
    metrics = MetricsLog(args.out / "metrics.jsonl" if args.out is not None else None)
    print(f"{args.model}: {sum(p.numel() for p in model.parameters()):,} parameters, vocabulary {len(corpus.vocab):,}, "
          f"{runner.tokens_per_epoch:,} training tokens per epoch, backend {fastgrad.get_backend()}, {threads} threads",
          flush=True)
    best_state = None
    for epoch in range(progress_state["epoch"] + 1, args.epochs + 1):
        _set_lr(optimizer, progress_state["lr"])
        progress = Progress(runner.tokens_per_epoch, "tok", desc=f"epoch {epoch}")
        start = time.perf_counter()
        train_loss = runner.run_epoch(progress)
        seconds = time.perf_counter() - start
        progress.close()
        valid_nll, valid_count = negative_log_likelihood(config, model, corpus.valid, corpus.vocab)
        valid_ppl = perplexity(valid_nll, valid_count)
        record = {"epoch": epoch, "train_ppl": math.exp(min(train_loss, 700)), "valid_ppl": valid_ppl,
                  "lr": progress_state["lr"], "seconds": seconds, "tokens_per_s": runner.tokens_per_epoch / seconds}
        metrics.write(**record)
        improved = valid_ppl < progress_state["best_valid_ppl"]
        print(f"epoch {epoch}: train perplexity {record['train_ppl']:.2f}, valid perplexity {valid_ppl:.2f}"
              f"{' (best)' if improved else ''}, lr {progress_state['lr']:.4g}, {record['tokens_per_s']:,.0f} tokens/s",
              flush=True)
        if improved:
            progress_state["best_valid_ppl"] = valid_ppl
            best_state = {name: value.numpy().copy() for name, value in model.state_dict().items()}
            if args.out is not None:
                fastgrad.save(model.state_dict(), args.out / "model.npz")
        else:  # learning-rate annealing on a validation plateau (Mikolov 2010; word_language_model)
            progress_state["lr"] *= args.lr_decay
        progress_state["epoch"] = epoch
        if resume_path is not None:
            _save_resume(resume_path, model, optimizer, runner, progress_state)
    if best_state is None and args.out is not None and (args.out / "model.npz").exists():  # best before resuming
        best_state = fastgrad.load(args.out / "model.npz")
    if best_state is not None:
        model.load_state_dict(best_state)
    test_nll, test_count = negative_log_likelihood(config, model, corpus.test, corpus.vocab)
    result = {"best_valid_ppl": progress_state["best_valid_ppl"], "test_ppl": perplexity(test_nll, test_count)}
    metrics.write(**result)
    print(f"best valid perplexity {result['best_valid_ppl']:.2f}, test perplexity {result['test_ppl']:.2f}", flush=True)
    if args.plot is not None:
        plot_curves(metrics.records if not args.resume else _read_metrics(args.out), args.plot)
    return 0


def _save_resume(path: Path, model: nn.Module, optimizer, runner: _EpochRunner, state: dict[str, Any]) -> None:
    fastgrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "runner": runner.state(),
                   "progress": state, "rng": fastgrad.get_rng_state()}, path)


def _load_resume(path: Path, model: nn.Module, optimizer, runner: _EpochRunner) -> dict[str, Any]:
    if not path.is_file():
        raise ModelDirectoryError(f"--resume: no saved run at {path}")
    saved = fastgrad.load(path)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    runner.load_state(saved["runner"])
    fastgrad.set_rng_state(saved["rng"])
    return saved["progress"]


def _read_metrics(out: Path) -> list[dict[str, Any]]:
    with open(out / "metrics.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ---- model-directory commands -------------------------------------------------------------------------
def evaluate_model(model_dir: Path, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Perplexity of the saved model on a text file (one sentence per line, `<eos>` after each)."""
    config, vocab, model = load_model(model_dir)
    ids = _stream(vocab, path)
    nll, count = negative_log_likelihood(config, model, ids, vocab)
    return {"model": config["model"], "tokens": count, "perplexity": perplexity(nll, count)}


def predict_lines(model_dir: Path, lines: Iterable[str], args: argparse.Namespace) -> Iterator[str]:
    """The perplexity of each input line on its own (`<eos>` before it as context and after it as a target)."""
    config, vocab, model = load_model(model_dir)
    for line in lines:
        ids = vocab.encode([EOS, *line.split(), EOS])
        nll, count = negative_log_likelihood(config, model, ids, vocab)
        yield f"{perplexity(nll, count):.2f}"


def scorer_for(config: dict[str, Any], model, vocab: Vocab):
    """The `NextTokenScorer` that samples from this kind of model."""
    if config["model"] == "ngram":
        return NgramScorer(model)
    if config["model"] == "fflm":
        return WindowScorer(model, vocab.stoi[EOS])
    return RecurrentScorer(model)


def generate_text(model_dir: Path, args: argparse.Namespace) -> str:
    """`args.tokens` words sampled after `<eos>` and `args.prompt`; a sentence end prints as a line break."""
    config, vocab, model = load_model(model_dir)
    prompt = [EOS, *args.prompt.split()]
    ids = generate(scorer_for(config, model, vocab), vocab.encode(prompt), args.tokens, args.temperature,
                   args.top_k or None, args.seed)
    return format_tokens(prompt[1:] + vocab.decode(ids))


def format_tokens(tokens: list[str]) -> str:
    return " ".join(tokens).replace(f" {EOS} ", "\n").replace(f" {EOS}", "\n").replace(f"{EOS} ", "\n").strip()
