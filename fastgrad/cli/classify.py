"""`fastgrad train nbow` (NBOW/DAN sentence classifiers) and `fastgrad train ner` (window tagger), and the
`evaluate_model` / `predict_lines` hooks that `fastgrad eval|predict MODEL_DIR` call.

Both commands share one loop: shuffled mini-batches, a progress bar, a summary line per epoch, early stopping
on the dev metric, the best weights kept (and saved to `--out`), then the test score of the best epoch.
A model directory holds `config.json` (everything needed to rebuild the model), `vocab.txt`, the weights
(`model.npz`, written by `fastgrad.save`) and `metrics.jsonl`.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

import fastgrad
from fastgrad import nn, optim
from fastgrad.cli.common import (load_weights, MetricsLog, Progress, add_run_arguments, plot_curves, print_config, read_model_config,
                                 set_threads, write_json_atomic)
from fastgrad.data.readers import (LabelledSentences, TaggedSentences, read_conll, read_label_first,
                                   read_text_tab_label, simple_tokenize, split_tag)
from fastgrad.data.vectors import iter_vectors, load_into, vector_file_dim
from fastgrad.data.vocab import Vocab
from fastgrad.metrics import accuracy, conll_evaluate
from fastgrad.models.nbow import DAN, pack_bags
from fastgrad.models.window_ner import (CAPS_PAD, LEFT_PAD, RIGHT_PAD, WORD_SPECIALS, WindowTagger, caps_pattern,
                                        normalize_word, sentence_windows)
from fastgrad.nn import functional as F
from fastgrad.train.errors import ConfigError

WEIGHTS_FILE, VOCAB_FILE, CONFIG_FILE, METRICS_FILE = "model.npz", "vocab.txt", "config.json", "metrics.jsonl"
EVAL_BATCH = 1024


# -- the shared training loop ---------------------------------------------------------------------------
@dataclass
class Task:
    """What the loop needs from a model family: how to batch, score and save it."""

    model: nn.Module
    vocab: Vocab
    config: dict[str, Any]               # saved as config.json; rebuilds the model with `load_model`
    train_size: int                      # examples per epoch (sentences or tokens)
    unit: str                            # progress unit: "sent" or "tok"
    batches: Callable[[np.random.Generator, int], Iterator[tuple[int, tuple, np.ndarray]]]  # (count, inputs, gold)
    evaluate: Callable[[Any], dict[str, float]]   # a split (dev or test, in the task's own form) -> metrics
    dev: Any
    test: Any | None
    metric: str                          # the dev metric that early stopping maximises


def _setup(args: argparse.Namespace) -> int:
    fastgrad.set_backend(args.backend)
    threads = set_threads(args.threads)
    fastgrad.manual_seed(args.seed)
    print_config(args, stream=sys.stdout)  # the default stream is bound at import time
    return threads


def make_optimizers(model: nn.Module, name: str, lr: float, weight_decay: float = 0.0) -> list[optim.Optimizer]:
    """One optimizer for the dense parameters and, for Adam, SparseAdam for the sparse embeddings (as in
    PyTorch, where Adam rejects sparse gradients). SGD and Adagrad update sparse rows themselves; weight
    decay applies to dense parameters only (it would make every sparse update dense)."""
    sparse_ids = {id(m.weight) for m in model.modules()
                  if isinstance(m, (nn.Embedding, nn.EmbeddingBag)) and m.sparse}
    sparse = [p for p in model.parameters() if id(p) in sparse_ids]
    dense = [p for p in model.parameters() if id(p) not in sparse_ids]
    groups = [{"params": dense, "weight_decay": weight_decay}] + ([{"params": sparse, "weight_decay": 0.0}]
                                                                 if sparse and name != "adam" else [])
    if name == "sgd":
        optimizers = [optim.SGD(groups, lr=lr)]
    elif name == "adagrad":
        optimizers = [optim.Adagrad(groups, lr=lr)]
    elif name == "adam":
        optimizers = [optim.Adam(groups, lr=lr)] + ([optim.SparseAdam(sparse, lr=lr)] if sparse else [])
    else:
        raise ValueError(f"optimizer must be sgd, adagrad or adam, got {name!r}")
    return optimizers


def _state_copy(model: nn.Module) -> dict[str, np.ndarray]:
    return {name: np.array(value.numpy(), copy=True) for name, value in model.state_dict().items()}


def fit(task: Task, args: argparse.Namespace) -> dict[str, Any]:
    """Train with early stopping on the dev metric; returns the summary of the best epoch with its test scores."""
    model, out = task.model, args.out
    optimizers = make_optimizers(model, args.optimizer, args.lr, args.weight_decay)
    log = MetricsLog(out / METRICS_FILE if out else None)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / METRICS_FILE).unlink(missing_ok=True)
        task.vocab.save(out / VOCAB_FILE)
    shuffle_rng = np.random.default_rng(args.seed)
    best: dict[str, Any] = {"epoch": 0, task.metric: -np.inf}
    best_state = _state_copy(model)
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        progress = Progress(task.train_size, task.unit, desc=f"epoch {epoch}", stream=sys.stderr)
        loss_sum = seen = 0.0
        for count, inputs, gold in task.batches(shuffle_rng, args.batch_size):
            for optimizer in optimizers:
                optimizer.zero_grad()
            loss = F.cross_entropy(model(*inputs), gold)
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            loss_sum += loss.item() * count
            seen += count
            progress.update(count, loss=loss_sum / seen)
        progress.close()
        train_seconds = time.perf_counter() - start
        dev = task.evaluate(task.dev)
        record = {"epoch": epoch, "train_loss": loss_sum / seen, "seconds": round(train_seconds, 2),
                  f"{task.unit}_per_s": round(seen / train_seconds),
                  **{f"dev_{k}": v for k, v in dev.items()}}
        improved = dev[task.metric] > best[task.metric]
        print(f"epoch {epoch:3d}  train loss {record['train_loss']:.4f}  dev {task.metric} {dev[task.metric]:.4f}  "
              f"{train_seconds:.1f}s ({record[f'{task.unit}_per_s']:,} {task.unit}/s){'  *' if improved else ''}",
              flush=True)
        log.write(**record)
        if improved:
            best = {"epoch": epoch, **dev}
            best_state = _state_copy(model)
            if out:
                _save_checkpoint(out, model, {**task.config, "best_epoch": epoch, "dev": dev})
        elif epoch - best["epoch"] >= args.patience:
            print(f"early stop: no dev improvement for {args.patience} epochs", flush=True)
            break
    model.load_state_dict({name: fastgrad.from_numpy(value) for name, value in best_state.items()})
    test = task.evaluate(task.test) if task.test is not None else {}
    summary = {"best_epoch": best["epoch"], "dev": {k: v for k, v in best.items() if k != "epoch"}, "test": test}
    print(f"best epoch {best['epoch']}: dev {task.metric} {best[task.metric]:.4f}"
          + (f", test {task.metric} {test[task.metric]:.4f}" if test else ""), flush=True)
    log.write(**{"best_epoch": best["epoch"], **{f"test_{k}": v for k, v in test.items()}})
    if out:
        write_json_atomic(out / CONFIG_FILE, {**task.config, **summary})
    if args.plot:
        plot_curves([r for r in log.records if "train_loss" in r], args.plot)
    return summary


def _save_checkpoint(out: Path, model: nn.Module, config: dict[str, Any]) -> None:
    fastgrad.save(model.state_dict(), out / WEIGHTS_FILE)
    write_json_atomic(out / CONFIG_FILE, config)


def _with_pretrained_words(vocab: Vocab, path: Path | None) -> Vocab:
    """The training vocabulary plus every word of the vector file, so that words first seen at test time keep
    their pretrained vectors (Collobert et al. 2011 likewise take their dictionary from the unlabelled corpus)."""
    if path is None:
        return vocab
    extra = [word for word, _ in iter_vectors(path) if word not in vocab.stoi]
    return Vocab(vocab.itos + extra, np.concatenate([vocab.counts, np.zeros(len(extra), np.int64)]),
                 vocab.specials, vocab.unk)


def _load_pretrained(weight: nn.Parameter, vocab: Vocab, path: Path) -> None:
    """Copy the vectors in, scaled to unit length, and report coverage of the training words (those with a
    count; specials aside). word2vec norms grow with word frequency (6 on average, 10-17 for "the", "of",
    "and" in our CBOW vectors); unit rows keep function words from dominating an average and stay near
    the scale of the random N(0, 0.1^2) rows (per coordinate 1/sqrt(dim), 0.1 at 100 dimensions)."""
    array = weight.numpy()
    missing = set(load_into(array, vocab.itos, path).missing)
    found_rows = np.array([i for i, w in enumerate(vocab.itos) if w not in missing], dtype=np.int64)
    if found_rows.size:
        norms = np.linalg.norm(array[found_rows], axis=1, keepdims=True)
        array[found_rows] /= np.maximum(norms, np.finfo(array.dtype).tiny)
    words = [(w, c) for w, c in zip(vocab.itos, vocab.counts) if w not in vocab.specials]
    training_words = [w for w, c in words if c > 0]
    found = sum(w not in missing for w in training_words)
    print(f"pretrained vectors {path}: {found}/{len(training_words)} training words found "
          f"({100 * found / max(len(training_words), 1):.1f}%), {len(words) - len(training_words)} more words "
          f"from the file", flush=True)


def _embedding_dim(args: argparse.Namespace, default: int) -> int:
    """--dim, or the pretrained file's dimension; they must agree when both are given."""
    if args.pretrained is None:
        return args.dim or default
    file_dim = vector_file_dim(args.pretrained)
    if args.dim and args.dim != file_dim:
        raise ConfigError(f"--dim {args.dim} differs from the dimension {file_dim} of --pretrained {args.pretrained}")
    return file_dim


def _batched(order: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(order), batch_size):
        yield order[start:start + batch_size]


# -- sentence classification: NBOW / DAN -------------------------------------------------------------------
def _read_sentences(path: Path, fmt: str, label_names: Sequence[str] | None = None) -> LabelledSentences:
    reader = read_label_first if fmt == "sst" else read_text_tab_label
    return reader(path, label_names)


def _tokenize_line(line: str, fmt: str) -> list[str]:
    """Raw text to the tokens a model of this format was trained on (SST files are lower-cased, space-split)."""
    return line.lower().split() if fmt == "sst" else simple_tokenize(line)


def _build_dan(config: dict[str, Any], vocab_size: int) -> DAN:
    m = config["model"]
    return DAN(vocab_size, len(config["labels"]), dim=m["dim"], hidden=m["hidden"], layers=m["layers"],
               dropout=m["dropout"], word_dropout=m["word_dropout"])


def _predict_sentences(model: nn.Module, encoded: Sequence[np.ndarray]) -> np.ndarray:
    model.eval()
    predictions = []
    with fastgrad.no_grad():
        for start in range(0, len(encoded), EVAL_BATCH):
            ids, offsets = pack_bags(encoded[start:start + EVAL_BATCH])
            predictions.append(model(ids, offsets).numpy().argmax(axis=1))
    return np.concatenate(predictions) if predictions else np.zeros(0, np.int64)


def run_train_nbow(args: argparse.Namespace) -> dict[str, Any]:
    threads = _setup(args)
    train = _read_sentences(args.train, args.format)
    dev = _read_sentences(args.dev, args.format, train.label_names)
    test = _read_sentences(args.test, args.format, train.label_names) if args.test else None
    vocab = _with_pretrained_words(Vocab.build(train.tokens, min_count=args.min_count), args.pretrained)
    layers = 0 if args.model == "nbow" else args.layers
    config = {"kind": "nbow", "task": "classify", "format": args.format, "labels": train.label_names,
              "seed": args.seed, "threads": threads,
              "model": {"kind": args.model, "dim": _embedding_dim(args, 300), "hidden": args.hidden, "layers": layers,
                        "dropout": args.dropout, "word_dropout": args.word_dropout}}
    model = _build_dan(config, len(vocab))
    if args.pretrained:
        with fastgrad.no_grad():
            _load_pretrained(model.embedding.weight, vocab, args.pretrained)
    print(f"{args.model}: {len(train)} train / {len(dev)} dev / {len(test) if test else 0} test sentences, "
          f"{len(vocab)} words, {len(train.label_names)} labels", flush=True)
    encode = lambda data: [vocab.encode(tokens) for tokens in data.tokens]  # noqa: E731
    train_ids, dev_ids = encode(train), encode(dev)
    test_ids = encode(test) if test else None

    def batches(rng: np.random.Generator, batch_size: int):
        for batch in _batched(rng.permutation(len(train_ids)), batch_size):
            yield len(batch), pack_bags([train_ids[i] for i in batch]), train.labels[batch]

    def evaluate(split: tuple[list[np.ndarray], np.ndarray]) -> dict[str, float]:
        return {"accuracy": accuracy(_predict_sentences(model, split[0]), split[1])}

    task = Task(model, vocab, config, len(train), "sent", batches, evaluate,
                (dev_ids, dev.labels), (test_ids, test.labels) if test else None, "accuracy")
    return fit(task, args)


# -- tagging: the window NER model ---------------------------------------------------------------------------
def _binary_tags(tags: list[list[str]], chunk_type: str) -> list[list[str]]:
    """The lecture's binary task: is this token part of a `chunk_type` entity? Positive tokens become
    I-TYPE, so conlleval scores maximal runs of them as chunks."""
    return [[f"I-{chunk_type}" if split_tag(t)[1] == chunk_type else "O" for t in sentence] for sentence in tags]


def _read_tagged(path: Path, config: dict[str, Any]) -> TaggedSentences:
    data = read_conll(path)
    if config.get("binary_tag"):
        data.tags = _binary_tags(data.tags, config["binary_tag"])
    return data


def _tagger_inputs(sentences: Sequence[Sequence[str]], vocab: Vocab, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Word-id and case-pattern windows for every token of `sentences`."""
    words = [vocab.encode([normalize_word(t) for t in s]) for s in sentences]
    caps = [np.array([caps_pattern(t) for t in s], dtype=np.int64) for s in sentences]
    word_windows = sentence_windows(words, window, vocab.stoi[LEFT_PAD], vocab.stoi[RIGHT_PAD])
    return word_windows, sentence_windows(caps, window, CAPS_PAD, CAPS_PAD)


def _build_tagger(config: dict[str, Any], vocab_size: int) -> WindowTagger:
    m = config["model"]
    return WindowTagger(vocab_size, len(config["labels"]), window=m["window"], dim=m["dim"], hidden=m["hidden"],
                        caps_dim=m["caps_dim"], activation=m["activation"], dropout=m["dropout"])


def _predict_tags(model: WindowTagger, inputs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    model.eval()
    word_windows, caps_windows = inputs
    predictions = []
    with fastgrad.no_grad():
        for start in range(0, len(word_windows), EVAL_BATCH):
            scores = model(word_windows[start:start + EVAL_BATCH], caps_windows[start:start + EVAL_BATCH])
            predictions.append(scores.numpy().argmax(axis=1))  # greedy: the best tag per token
    return np.concatenate(predictions) if predictions else np.zeros(0, np.int64)


def _split_like(flat: Sequence[str], sentences: Sequence[Sequence[str]]) -> list[list[str]]:
    lengths = np.cumsum([len(s) for s in sentences])[:-1]
    return [list(part) for part in np.split(np.asarray(flat, dtype=object), lengths)]


def _score_tags(model: WindowTagger, labels: Sequence[str], data: TaggedSentences, inputs) -> dict[str, float]:
    predicted = np.asarray(labels, dtype=object)[_predict_tags(model, inputs)]
    result = conll_evaluate(data.tags, _split_like(predicted, data.tokens))
    return {"f1": result.overall.f1, "precision": result.overall.precision, "recall": result.overall.recall,
            "token_accuracy": result.token_accuracy}


def run_train_ner(args: argparse.Namespace) -> dict[str, Any]:
    threads = _setup(args)
    config = {"kind": "ner", "task": "tag", "binary_tag": args.binary_tag, "seed": args.seed,
              "threads": threads}
    train = _read_tagged(args.train, config)
    dev = _read_tagged(args.dev, config)
    test = _read_tagged(args.test, config) if args.test else None
    labels = sorted({t for sentence in train.tags for t in sentence})
    vocab = _with_pretrained_words(Vocab.build(([normalize_word(t) for t in s] for s in train.tokens),
                                               min_count=args.min_count, specials=WORD_SPECIALS), args.pretrained)
    config.update(labels=labels, model={"window": args.window, "dim": _embedding_dim(args, 50), "hidden": args.hidden,
                                        "caps_dim": args.caps_dim if args.caps else 0,
                                        "activation": args.activation, "dropout": args.dropout})
    model = _build_tagger(config, len(vocab))
    if args.pretrained:
        with fastgrad.no_grad():
            _load_pretrained(model.words.weight, vocab, args.pretrained)
    print(f"ner: {len(train)} train / {len(dev)} dev / {len(test) if test else 0} test sentences, "
          f"{len(vocab)} words, tags {labels}", flush=True)
    tag_ids = {t: i for i, t in enumerate(labels)}
    train_inputs = _tagger_inputs(train.tokens, vocab, args.window)
    train_gold = np.array([tag_ids[t] for s in train.tags for t in s], dtype=np.int64)

    def batches(rng: np.random.Generator, batch_size: int):
        for batch in _batched(rng.permutation(len(train_gold)), batch_size):
            yield len(batch), (train_inputs[0][batch], train_inputs[1][batch]), train_gold[batch]

    def evaluate(split: tuple[TaggedSentences, tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
        return _score_tags(model, labels, *split)

    task = Task(model, vocab, config, len(train_gold), "tok", batches, evaluate,
                (dev, _tagger_inputs(dev.tokens, vocab, args.window)),
                (test, _tagger_inputs(test.tokens, vocab, args.window)) if test else None, "f1")
    return fit(task, args)


# -- saved models: `fastgrad eval|predict MODEL_DIR` ------------------------------------------------------------
def load_model(model_dir: Path) -> tuple[nn.Module, Vocab, dict[str, Any]]:
    """The best checkpoint of a training run, in eval mode, with its vocabulary and config."""
    model_dir = Path(model_dir)
    config = read_model_config(model_dir)
    vocab = Vocab.load(model_dir / VOCAB_FILE)
    build = _build_dan if config["task"] == "classify" else _build_tagger
    model = build(config, len(vocab))
    load_weights(model, model_dir / WEIGHTS_FILE)
    model.eval()
    return model, vocab, config


def evaluate_model(model_dir: Path, path: Path, args: argparse.Namespace) -> dict[str, float]:
    """Accuracy (classifiers) or CoNLL chunk F1 (taggers) of a saved model on a labelled file."""
    model, vocab, config = load_model(model_dir)
    if config["task"] == "classify":
        data = _read_sentences(path, config["format"], config["labels"])
        return {"accuracy": accuracy(_predict_sentences(model, [vocab.encode(t) for t in data.tokens]), data.labels),
                "sentences": len(data)}
    data = _read_tagged(path, config)
    unknown = sorted({t for s in data.tags for t in s} - set(config["labels"]))
    if unknown:
        raise ValueError(f"{path}: tags {unknown} were not in the training data (model tags: {config['labels']})")
    return {**_score_tags(model, config["labels"], data, _tagger_inputs(data.tokens, vocab, config["model"]["window"])),
            "sentences": len(data)}


def predict_lines(model_dir: Path, lines: Iterable[str], args: argparse.Namespace) -> Iterator[str]:
    """One output line per input line: the label of the sentence, or `token/TAG` pairs (blank stays blank)."""
    model, vocab, config = load_model(model_dir)
    for line in lines:
        if config["task"] == "classify":
            tokens = _tokenize_line(line, config["format"])
            if not tokens:
                yield ""
                continue
            yield config["labels"][int(_predict_sentences(model, [vocab.encode(tokens)])[0])]
        else:
            tokens = line.split()
            if not tokens:
                yield ""
                continue
            tags = _predict_tags(model, _tagger_inputs([tokens], vocab, config["model"]["window"]))
            yield " ".join(f"{token}/{config['labels'][tag]}" for token, tag in zip(tokens, tags))


# -- argument parsing ------------------------------------------------------------------------------------------
def _add_training_arguments(p: argparse.ArgumentParser, epochs: int, lr: float, optimizer: str, batch_size: int,
                            dropout: float, hidden: int, min_count: int, patience: int) -> None:
    p.add_argument("--train", type=Path, required=True, help="training file")
    p.add_argument("--dev", type=Path, required=True, help="development file (early stopping)")
    p.add_argument("--test", type=Path, default=None, help="test file, scored once with the best checkpoint")
    p.add_argument("--epochs", type=int, default=epochs, help=f"maximum epochs (default {epochs})")
    p.add_argument("--patience", type=int, default=patience,
                   help=f"stop after this many epochs without a better dev score (default {patience})")
    p.add_argument("--optimizer", choices=("sgd", "adagrad", "adam"), default=optimizer,
                   help=f"default {optimizer}; adam uses SparseAdam for the embeddings")
    p.add_argument("--lr", type=float, default=lr, help=f"learning rate (default {lr})")
    p.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty on the dense layers (default 0)")
    p.add_argument("--batch-size", type=int, default=batch_size, help=f"examples per step (default {batch_size})")
    p.add_argument("--dim", type=int, default=None, help="embedding size (default: see above, or the pretrained size)")
    p.add_argument("--hidden", type=int, default=hidden, help=f"hidden layer size (default {hidden})")
    p.add_argument("--dropout", type=float, default=dropout, help=f"dropout before each linear layer (default {dropout})")
    p.add_argument("--min-count", type=int, default=min_count,
                   help=f"rarer training words map to <unk> (default {min_count})")
    p.add_argument("--pretrained", type=Path, default=None,
                   help="word2vec text/binary or GloVe vectors to initialise the word embeddings; "
                        "their words join the vocabulary")
    add_run_arguments(p)


def _run(train: Callable[[argparse.Namespace], dict[str, Any]]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        for name in ("epochs", "batch_size", "patience", "min_count"):
            if getattr(args, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
        for name in ("dropout", "word_dropout"):
            if not 0.0 <= getattr(args, name, 0.0) < 1.0:
                raise ConfigError(f"--{name.replace('_', '-')} must be in [0, 1), got {getattr(args, name)}")
        train(args)
        return 0
    return run


def register(cli) -> None:
    p = cli.add_train_model("nbow", help="NBOW / deep averaging network sentence classifier (Iyyer et al. 2015); "
                                         "embedding size 300 by default")
    p.add_argument("--format", choices=("sst", "tsv"), default="sst",
                   help="sst: 'LABEL tokenized sentence' lines; tsv: 'raw text<TAB>LABEL' lines")
    p.add_argument("--model", choices=("nbow", "dan"), default="dan", help="nbow: no hidden layers (default dan)")
    p.add_argument("--layers", type=int, default=2, help="hidden ReLU layers of the DAN (default 2)")
    p.add_argument("--word-dropout", type=float, default=0.4,
                   help="probability of dropping each token before averaging, at train time (default 0.4)")
    _add_training_arguments(p, epochs=30, lr=0.01, optimizer="adagrad", batch_size=16, dropout=0.5, hidden=300,
                            min_count=1, patience=5)
    p.set_defaults(run=_run(run_train_nbow))

    p = cli.add_train_model("ner", help="window tagger for NER, CoNLL files (Collobert et al. 2011); "
                                        "embedding size 50 by default")
    p.add_argument("--window", type=int, default=2, help="words on each side of the tagged one (default 2)")
    p.add_argument("--caps", action="store_true", help="add the capitalisation-pattern feature")
    p.add_argument("--caps-dim", type=int, default=5, help="size of the caps feature embedding (default 5)")
    p.add_argument("--activation", choices=("tanh", "relu"), default="relu", help="hidden nonlinearity (default relu)")
    p.add_argument("--binary-tag", metavar="TYPE", default=None,
                   help="binary task: is the token part of a TYPE entity (e.g. LOC)?")
    _add_training_arguments(p, epochs=20, lr=0.001, optimizer="adam", batch_size=64, dropout=0.5, hidden=300,
                            min_count=2, patience=3)
    p.set_defaults(run=_run(run_train_ner))

