"""Language models: `fastgrad.train.ngram(...)` (interpolated modified Kneser-Ney), `fastgrad.train.fflm(...)`
(fixed-window, Bengio et al. 2003) and `fastgrad.train.rnnlm(...)` (Elman RNN, LSTM or GRU layers with
truncated BPTT), which `fastgrad train ngram|fflm|rnnlm` only wrap.

The data are three line-per-sentence files given together, or none of them for Penn Treebank from the data
folder (never a mix: a model trained on one text is never scored on another's held-out files). Every run
reports what share of the validation and test tokens became `<unk>`.

A snapshot of the model directory holds config.json ("kind", "model" and the sizes), vocab.txt, the weights
(model.npz, or kneser_ney.npz/.json), metrics.jsonl and, for the neural models, resume.npz.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import fastgrad
from fastgrad import nn, optim
from fastgrad.data.lm_corpus import EOS, PTB_FILES, UNK, LMCorpus, load_lm_corpus, read_lm_tokens
from fastgrad.data.paths import data_dir
from fastgrad.data.vocab import Vocab
from fastgrad.metrics.language_model import perplexity
from fastgrad.models import fflm as fixed_window, rnnlm as recurrent
from fastgrad.models.ngram import KneserNeyLM
from fastgrad.train import data_parallel
from fastgrad.train.classifiers import _settings
from fastgrad.train.directory import model_files, read_config
from fastgrad.train.errors import ConfigError, ModelDirectoryError
from fastgrad.train.loop import VOCAB_FILE, WEIGHTS_FILE, ModuleTask, TrainingResult, load_weights, session
from fastgrad.train.report import percent, plural
from fastgrad.train.settings import (DECAY_FACTOR, NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE_INT, PROBABILITY, AsPath,
                                     Check, Choice, EpochConfig, RunConfig, setting)

EVAL_BATCH = 1  # evaluation scores every token but the first, from its whole history


@dataclass(kw_only=True)
class CorpusConfig(RunConfig):
    """Three text files, one sentence per line; all None: Penn Treebank from the data folder."""

    train: Path | None = setting(None, AsPath())
    valid: Path | None = setting(None, AsPath())
    test: Path | None = setting(None, AsPath())
    max_vocab: int | None = setting(None, Check(int, 2))   # the specials <unk> and <eos> count
    min_count: int = setting(1, POSITIVE_INT)

    def __post_init__(self) -> None:
        super().__post_init__()
        given = [split for split in ("train", "valid", "test") if getattr(self, split) is not None]
        if given and len(given) < 3:
            missing = [f"--{split}" for split in ("train", "valid", "test") if split not in given]
            raise ConfigError(f"{', '.join('--' + s for s in given)} given without {' and '.join(missing)}: give "
                              "--train, --valid and --test together (or none of them for Penn Treebank)")

    def files(self) -> dict[str, Path]:
        if self.train is not None:
            return {"train": self.train, "valid": self.valid, "test": self.test}
        files = {split: data_dir() / relative for split, relative in PTB_FILES.items()}
        for split, path in files.items():
            if not path.exists():
                raise ConfigError(f"--{split} not given and Penn Treebank's {path} does not exist "
                                  "(set FASTGRAD_DATA or pass --train, --valid and --test)")
        return files


@dataclass(kw_only=True)
class NgramConfig(CorpusConfig):
    """`fastgrad.train.ngram`: Kneser-Ney of order `order`, fitted in one pass."""

    order: int = setting(5, POSITIVE_INT)


@dataclass(kw_only=True)
class NeuralLMConfig(CorpusConfig, EpochConfig):
    """What the fixed-window and the recurrent LM share."""

    embedding_dim: int = setting(256, POSITIVE_INT)
    hidden: int = setting(256, POSITIVE_INT)
    dropout: float = setting(0.3, PROBABILITY)
    tied: bool = True
    batch_size: int = setting(256, POSITIVE_INT)
    optimizer: str = setting("adam", Choice("sgd", "adam"))
    lr: float = setting(1e-3, NON_NEGATIVE)
    lr_decay: float = setting(0.5, DECAY_FACTOR)
    decay_after: int = setting(0, NON_NEGATIVE_INT)   # N > 0: decay after every epoch from the N-th on; 0: on plateaus
    clip: float = setting(1.0, NON_NEGATIVE)   # 0: no clipping

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.tied and self.hidden != self.embedding_dim:
            raise ConfigError(f"--tied (the default) needs --hidden equal to --embedding-dim, got --hidden {self.hidden} "
                              f"and --embedding-dim {self.embedding_dim}; pass --no-tied for different sizes")


@dataclass(kw_only=True)
class FFLMConfig(NeuralLMConfig):
    """`fastgrad.train.fflm`: the fixed-window LM (the defaults are the recipe measured on PTB)."""

    context: int = setting(4, POSITIVE_INT)


# `rnnlm` defaults by cell. "rnn": the tied Elman recipe measured on PTB (docs/notes/language_models.md).
# "lstm": the small configuration of Zaremba, Sutskever & Vinyals 2014 - 2 layers of 200 units, no dropout,
# weights from U(-0.1, 0.1), SGD halved after every epoch from the 4th on, 13 epochs, BPTT 20, batch 20. Their
# loss is summed over the 20 time steps (and averaged over the batch), with lr 1 and the gradient norm clipped
# at 5; ours is the mean over all tokens, 1/20 of theirs, so the same steps are lr 20 and a clip at 5/20 = 0.25
# (PyTorch's word_language_model example uses these numbers for the same reason). "gru": the LSTM's recipe,
# not tuned separately.
RNNLM_DEFAULTS = {
    "rnn": {"layers": 1, "embedding_dim": 256, "hidden": 256, "dropout": 0.25, "tied": True, "epochs": 20,
            "batch_size": 20, "optimizer": "sgd", "lr": 4.0, "clip": 0.25, "bptt": 35, "init_range": 0.0,
            "decay_after": 0},
    "lstm": {"layers": 2, "embedding_dim": 200, "hidden": 200, "dropout": 0.0, "tied": False, "epochs": 13,
             "batch_size": 20, "optimizer": "sgd", "lr": 20.0, "clip": 0.25, "bptt": 20, "init_range": 0.1,
             "decay_after": 4},
}
RNNLM_DEFAULTS["gru"] = RNNLM_DEFAULTS["lstm"]


@dataclass(kw_only=True)
class RNNLMConfig(NeuralLMConfig):
    """`fastgrad.train.rnnlm`: the recurrent LM with `layers` Elman RNN, LSTM or GRU layers (`cell`). A setting
    left at None takes the cell's default (`RNNLM_DEFAULTS`). `init_range` R > 0 draws the recurrent weights
    from U(-R, R); 0 keeps PyTorch's U(-1/sqrt(H), 1/sqrt(H))."""

    cell: str = setting("rnn", Choice(*recurrent.CELLS))
    layers: int | None = setting(None, POSITIVE_INT)
    embedding_dim: int | None = setting(None, POSITIVE_INT)
    hidden: int | None = setting(None, POSITIVE_INT)
    dropout: float | None = setting(None, PROBABILITY)
    tied: bool | None = None
    epochs: int | None = setting(None, POSITIVE_INT)
    batch_size: int | None = setting(None, POSITIVE_INT)
    optimizer: str | None = setting(None, Choice("sgd", "adam"))
    lr: float | None = setting(None, NON_NEGATIVE)
    decay_after: int | None = setting(None, NON_NEGATIVE_INT)
    clip: float | None = setting(None, NON_NEGATIVE)
    bptt: int | None = setting(None, POSITIVE_INT)
    init_range: float | None = setting(None, NON_NEGATIVE)

    def __post_init__(self) -> None:
        for name, value in RNNLM_DEFAULTS[Choice(*recurrent.CELLS)(self.cell, "--cell")].items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        super().__post_init__()


# ---- corpus --------------------------------------------------------------------------------------------
def read_corpus(config: CorpusConfig, files: dict[str, Path]) -> LMCorpus:
    """The three files over the training vocabulary; prints the vocabulary and the `<unk>` share of each split."""
    if config.train is None:
        print(f"no --train/--valid/--test: Penn Treebank from {data_dir()}", flush=True)
    corpus = load_lm_corpus(files["train"], files["valid"], files["test"], max_size=config.max_vocab,
                            min_count=config.min_count)
    print(f"vocabulary: {plural(len(corpus.vocab), 'word')} from the training file ({UNK} and {EOS} included)",
          flush=True)
    for split in ("valid", "test"):
        print(unknown_share(split, read_lm_tokens(files[split]), corpus.vocab), flush=True)
    return corpus


def unknown_share(split: str, tokens: list[str], vocab: Vocab) -> str:
    """'valid: 73,760 tokens, 4.81% are <unk>: 0.00% words outside the vocabulary, 4.81% written <unk>'."""
    written = sum(token == UNK for token in tokens)
    outside = sum(token not in vocab.stoi for token in tokens)
    return (f"{split}: {plural(len(tokens), 'token')}, {percent(written + outside, len(tokens))} are {UNK}: "
            f"{percent(outside, len(tokens))} words outside the vocabulary, {percent(written, len(tokens))} written "
            f"{UNK} in the file")


# ---- models --------------------------------------------------------------------------------------------
def model_config(config: NgramConfig | NeuralLMConfig, kind: str, vocab_size: int) -> dict[str, Any]:
    """What config.json needs to rebuild the model."""
    described = {"kind": kind, "model": kind, "vocab_size": vocab_size}
    if kind == "ngram":
        return described | {"order": config.order}
    described |= {"embedding_dim": config.embedding_dim, "hidden": config.hidden, "dropout": config.dropout,
                  "tied": config.tied}
    if kind == "fflm":
        return described | {"context": config.context}
    return described | {"bptt": config.bptt, "cell": config.cell, "layers": config.layers,
                        "init_range": config.init_range}


def build_model(config: dict[str, Any]) -> nn.Module:
    """The untrained fixed-window or RNN LM that `config` (a model directory's config.json) describes."""
    common = dict(embedding_dim=config["embedding_dim"], hidden_size=config["hidden"], dropout=config["dropout"],
                  tie_weights=config["tied"])
    if config["model"] == "fflm":
        return fixed_window.FixedWindowLM(config["vocab_size"], context_size=config["context"], **common)
    if config["model"] == "rnnlm":  # directories written before cells existed hold one Elman layer
        return recurrent.RNNLM(config["vocab_size"], cell=config.get("cell", "rnn"), num_layers=config.get("layers", 1),
                               init_range=config.get("init_range", 0.0), **common)
    raise ValueError(f"unknown neural LM {config['model']!r}; expected 'fflm' or 'rnnlm'")


def load_language_model(model_dir: Path) -> tuple[dict[str, Any], Vocab, Any]:
    """(config, vocab, model) from a directory written by `fastgrad train ngram|fflm|rnnlm`."""
    files = model_files(model_dir)
    config = read_config(files, required=("model",))
    vocab = Vocab.load(files / VOCAB_FILE)
    if config["model"] == "ngram":
        return config, vocab, KneserNeyLM.load(files)
    try:
        model = build_model(config)
    except (KeyError, TypeError, ValueError) as err:
        raise ModelDirectoryError(f"{files / 'config.json'}: cannot build the model it describes ({err!r})") from None
    load_weights(model, files / WEIGHTS_FILE)
    model.eval()
    return config, vocab, model


def negative_log_likelihood(config: dict[str, Any], model, ids: np.ndarray, vocab: Vocab) -> tuple[float, int]:
    """(summed NLL in nats, predictions) of any of the three LMs over every token of `ids` but the first."""
    if config["model"] == "ngram":
        logprobs = model.logprobs(ids)
        return float(-logprobs.sum()), len(logprobs)
    if config["model"] == "fflm":
        return fixed_window.evaluate(model, ids, vocab.stoi[EOS])
    return recurrent.evaluate(model, ids, batch_size=EVAL_BATCH)


def perplexity_of_loss(loss: float) -> float:
    """exp(mean NLL), infinite rather than an overflow error for a diverging loss."""
    return math.exp(loss) if loss < 709 else math.inf


# ---- training ------------------------------------------------------------------------------------------
def ngram(config: NgramConfig | None = None, **settings: Any) -> TrainingResult:
    """Fit a Kneser-Ney model and score it: `fastgrad.train.ngram(train=..., valid=..., test=..., order=3)`."""
    config = _settings(NgramConfig, config, settings)
    files = config.files()
    with session(config, files) as run:
        corpus = read_corpus(config, files)
        model = KneserNeyLM(config.order).fit(corpus.train, vocab_size=len(corpus.vocab))
        scores = {split: model.perplexity(getattr(corpus, split)) for split in ("valid", "test")}
        print(f"order {config.order}: valid perplexity {scores['valid']:.2f}, test perplexity {scores['test']:.2f}",
              flush=True)
        history = [{"valid_ppl": scores["valid"], "test_ppl": scores["test"]}]
        current = None
        if run.out is not None:
            described = {**model_config(config, "ngram", len(corpus.vocab)), "settings": config.as_json(),
                         "threads": run.threads, "data": run.data, "valid": {"ppl": scores["valid"]},
                         "test": {"ppl": scores["test"]}}
            current = run.out.commit({
                "kneser_ney.npz": lambda path: model.save(path.parent),  # writes kneser_ney.npz and kneser_ney.json
                VOCAB_FILE: corpus.vocab.save,
                "config.json": lambda path: path.write_text(_json(described), encoding="utf-8"),
                "metrics.jsonl": lambda path: path.write_text(_json(history[0], indent=None), encoding="utf-8")})
    return TrainingResult(model, 0, {"ppl": scores["valid"]}, {"ppl": scores["test"]}, history, current,
                          {"vocab": corpus.vocab})


def _json(obj: Any, indent: int | None = 2) -> str:
    import json

    return json.dumps(obj, indent=indent, sort_keys=True) + "\n"


class NeuralLMTask(ModuleTask):
    """The fixed-window or recurrent LM: one epoch is a pass over the training stream; the learning rate is
    multiplied by `lr_decay` after every epoch from the `decay_after`-th on (a fixed schedule, Zaremba et al.
    2014) or, with `decay_after` 0, after every epoch that does not lower the validation perplexity (Mikolov
    2010). The recurrent LM trains data-parallel under mpiexec."""

    unit, split, metric, maximize = "tokens", "valid", "ppl", False

    def __init__(self, config: NeuralLMConfig, kind: str, corpus: LMCorpus):
        self.kind, self.corpus, self.vocab = kind, corpus, corpus.vocab
        self.lr, self.lr_decay = config.lr, config.lr_decay
        self.decay_after = config.decay_after
        self.given_lr = config.lr
        self._model_config = model_config(config, kind, len(corpus.vocab))
        self.model = build_model(self._model_config)
        self.optimizer = (optim.Adam if config.optimizer == "adam" else optim.SGD)(self.model.parameters(), lr=config.lr)
        if kind == "rnnlm":
            if len(corpus.train) < 2 * config.batch_size:  # batchify's own error would name neither option
                where = f"--train {config.train}" if config.train else "the training text"
                raise ValueError(f"{where} has {plural(len(corpus.train), 'token')} "
                                 f"(<eos> included): too few for 2 steps in each of the --batch-size "
                                 f"{config.batch_size} streams; give a smaller --batch-size or more text")
            self.bptt = recurrent.TruncatedBPTT(data_parallel.parallel(self.model), self.optimizer, corpus.train,
                                                config.batch_size, config.bptt, config.clip, shard=data_parallel.shard())
            self.examples_per_epoch = self.bptt.tokens_per_epoch
        else:
            # under mpiexec: averages the gradients across ranks (hooks on the parameters; model.loss is fine)
            self.trained = data_parallel.parallel(self.model)
            self.shuffle = np.random.default_rng(config.seed)
            self.batch_size = config.batch_size
            self.examples_per_epoch = len(corpus.train) - 1
        self.clip = config.clip
        self.remember_best()
        self.last_loss = math.nan
        parameters = sum(p.numel() for p in self.model.parameters())
        print(f"{kind}: {parameters:,} parameters, {plural(self.examples_per_epoch, 'training token')} per epoch, "
              f"backend {fastgrad.get_backend()}", flush=True)

    def train_epoch(self, progress) -> float:
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr
        if self.kind == "rnnlm":
            self.last_loss = self.bptt.run_epoch(progress)
        else:
            self.last_loss = fixed_window.train_epoch(self.model, self.corpus.train, self.corpus.vocab.stoi[EOS],
                                                      self.optimizer, self.batch_size, self.shuffle, self.clip, progress,
                                                      shard=data_parallel.shard())
        return self.last_loss

    def evaluate(self, split: str) -> dict[str, float]:
        nll, count = negative_log_likelihood(self._model_config, self.model, getattr(self.corpus, split), self.corpus.vocab)
        return {"ppl": perplexity(nll, count)}

    def format_loss(self, loss: float) -> str:
        return f"{loss:.4f} (ppl {self.format_metric(perplexity_of_loss(loss))})"

    def format_metric(self, value: float) -> str:
        return f"{value:.2f}" if value < 1e6 else f"{value:.3g}"

    def epoch_fields(self) -> dict[str, str]:
        return {"lr": f"{self.lr:.4g}"}

    def epoch_record(self) -> dict[str, Any]:
        return {"lr": self.lr, "train_ppl": perplexity_of_loss(self.last_loss)}

    def after_epoch(self, epoch: int, improved: bool) -> None:
        if self.decay_after > 0:  # a fixed schedule (Zaremba et al. 2014)
            if epoch >= self.decay_after:
                self.lr *= self.lr_decay
        elif not improved:  # learning-rate annealing on a validation plateau (Mikolov 2010; word_language_model)
            self.lr *= self.lr_decay

    def state_dict(self) -> dict[str, Any]:
        position = self.bptt.state_dict() if self.kind == "rnnlm" else {"shuffle": self.shuffle.bit_generator.state}
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "position": position,
                "lr": self.lr, "given_lr": self.given_lr}

    def load_state_dict(self, state: dict[str, Any], snapshot: Path) -> None:
        self.load_best(snapshot)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.kind == "rnnlm":
            self.bptt.load_state_dict(state["position"])
        else:
            self.shuffle.bit_generator.state = state["position"]["shuffle"]
        # The annealed rate continues, unless this command asks for another one than the saved run was given.
        self.lr = float(state["lr"]) if float(state["given_lr"]) == self.given_lr else self.given_lr
        if self.lr != float(state["lr"]):
            print(f"--lr {self.given_lr:g} replaces the saved run's learning rate {float(state['lr']):g}", flush=True)
        else:
            self.given_lr = float(state["given_lr"])

    def divergence_hint(self) -> str:
        return f"try a smaller --lr (it was {self.lr:g})" + ("" if self.clip else " or gradient clipping (--clip)")


def _neural(config_class: type, kind: str, config: NeuralLMConfig | None, settings: dict[str, Any]) -> TrainingResult:
    config = _settings(config_class, config, settings)
    files = config.files()
    with session(config, files) as run:
        corpus = read_corpus(config, files)
        result = run.train(NeuralLMTask(config, kind, corpus), config)
    result.extras["vocab"] = corpus.vocab
    return result


def fflm(config: FFLMConfig | None = None, **settings: Any) -> TrainingResult:
    """Train the fixed-window LM: `fastgrad.train.fflm(train=..., valid=..., test=..., epochs=3)`."""
    return _neural(FFLMConfig, "fflm", config, settings)


def rnnlm(config: RNNLMConfig | None = None, **settings: Any) -> TrainingResult:
    """Train the recurrent LM: `fastgrad.train.rnnlm(train=..., valid=..., test=..., cell="lstm", epochs=3, ...)`."""
    return _neural(RNNLMConfig, "rnnlm", config, settings)
