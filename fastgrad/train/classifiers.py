"""Sentence classifiers (NBOW / DAN, Iyyer et al. 2015) and the window tagger for NER (Collobert et al. 2011):
`fastgrad.train.nbow(...)` and `fastgrad.train.ner(...)`, which `fastgrad train nbow|ner` only wrap.

Both train shuffled mini-batches with early stopping on a dev score (`fastgrad.train.loop`). A snapshot of
the model directory holds config.json (everything needed to rebuild the model), vocab.txt, model.npz,
metrics.jsonl and resume.npz.

Label sets are never guessed silently: a classifier's labels are declared (`labels=[...]`) or inferred from
the training file only when they are few and consistent; a tagger's tags must be O or PREFIX-TYPE in IOB or
IOBES. Any label outside the set, in any file, is refused with its file and line. With `crf=True` the tagger
is trained with Collobert et al.'s sentence-level log-likelihood and decoded with Viterbi, so that every
predicted sentence is a valid IOB2/IOBES sequence.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

import fastgrad
from fastgrad import nn, optim
from fastgrad.data import tags as tag_grammar
from fastgrad.data.readers import LabelledSentences, TaggedSentences, read_conll, read_label_first, \
    read_text_tab_label, simple_tokenize
from fastgrad.data.vectors import iter_vectors, load_into, vector_file_dim
from fastgrad.data.vocab import Vocab
from fastgrad.distributed.batch_parts import BatchPart
from fastgrad.metrics import accuracy, conll_evaluate
from fastgrad.models.nbow import DAN, pack_bags
from fastgrad.models.window_ner import (CAPS_PAD, LEFT_PAD, RIGHT_PAD, WORD_SPECIALS, WindowCRFTagger, WindowTagger,
                                        caps_pattern, normalize_word, sentence_windows)
from fastgrad.nn import functional as F
from fastgrad.train import data_parallel
from fastgrad.train.directory import model_files, read_config
from fastgrad.train.errors import ConfigError, ModelDirectoryError
from fastgrad.train.loop import VOCAB_FILE, WEIGHTS_FILE, ModuleTask, TrainingResult, load_weights, session
from fastgrad.train.report import plural
from fastgrad.train.settings import (NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE_INT, PROBABILITY, AsPath, Choice,
                                     EpochConfig, required, setting)

EVAL_BATCH = 1024
MAX_INFERRED_LABELS = 20   # more distinct "labels" than this is a file read in the wrong format, not a label set


@dataclass(kw_only=True)
class ClassifierConfig(EpochConfig):
    """What the sentence classifier and the tagger share."""

    train: Path = required(AsPath())
    dev: Path = required(AsPath())
    test: Path | None = setting(None, AsPath())
    patience: int = setting(5, POSITIVE_INT)
    optimizer: str = setting("adagrad", Choice("sgd", "adagrad", "adam"))
    lr: float = setting(0.01, NON_NEGATIVE)
    weight_decay: float = setting(0.0, NON_NEGATIVE)
    batch_size: int = setting(16, POSITIVE_INT)
    dim: int | None = setting(None, POSITIVE_INT)
    hidden: int = setting(300, POSITIVE_INT)
    dropout: float = setting(0.5, PROBABILITY)
    min_count: int = setting(1, POSITIVE_INT)
    pretrained: Path | None = setting(None, AsPath())


@dataclass(kw_only=True)
class NBOWConfig(ClassifierConfig):
    """`fastgrad.train.nbow`: a deep averaging network (`model="nbow"`: no hidden layers)."""

    epochs: int = setting(30, POSITIVE_INT)
    format: str = setting("sst", Choice("sst", "tsv"))
    labels: list[str] | None = None
    model: str = setting("dan", Choice("nbow", "dan"))
    layers: int = setting(2, NON_NEGATIVE_INT)
    word_dropout: float = setting(0.4, PROBABILITY)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.labels is not None:
            self.labels = list(self.labels)
            if not self.labels or len(set(self.labels)) != len(self.labels) or not all(
                    isinstance(label, str) and label and not re.search(r"\s", label) for label in self.labels):
                raise ConfigError(f"--labels must be distinct non-empty labels without spaces, got {self.labels}")


@dataclass(kw_only=True)
class NERConfig(ClassifierConfig):
    """`fastgrad.train.ner`: the window tagger; `crf=True` adds tag transitions (sentence-level likelihood)."""

    epochs: int = setting(20, POSITIVE_INT)
    patience: int = setting(3, POSITIVE_INT)
    optimizer: str = setting("adam", Choice("sgd", "adagrad", "adam"))
    lr: float = setting(0.001, NON_NEGATIVE)
    batch_size: int = setting(64, POSITIVE_INT)
    min_count: int = setting(2, POSITIVE_INT)
    window: int = setting(2, NON_NEGATIVE_INT)
    caps: bool = False
    caps_dim: int = setting(5, POSITIVE_INT)
    activation: str = setting("relu", Choice("tanh", "relu"))
    binary_tag: str | None = None
    tag_scheme: str | None = setting(None, Choice("iob", "iobes"))
    crf: bool = False


# -- shared pieces ------------------------------------------------------------------------------------------
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
        return [optim.SGD(groups, lr=lr)]
    if name == "adagrad":
        return [optim.Adagrad(groups, lr=lr)]
    if name == "adam":
        return [optim.Adam(groups, lr=lr)] + ([optim.SparseAdam(sparse, lr=lr)] if sparse else [])
    raise ValueError(f"optimizer must be sgd, adagrad or adam, got {name!r}")


def vectors_file(path: Path | None) -> Path | None:
    """A vector file, or the vectors.bin of a `fastgrad train word2vec` model directory (another kind of model
    directory is refused by its kind: it has no vectors.bin, which was all the error said)."""
    if path is None or not Path(path).is_dir():
        return path
    files = model_files(path)
    kind = read_config(files).get("kind", "word2vec")  # (directories written before "kind" existed: by their files)
    if kind != "word2vec":
        raise ModelDirectoryError(f"{path}: holds a {kind} model, not word vectors; give a vector file or a "
                                  "`fastgrad train word2vec` directory")
    return files / "vectors.bin"


def _with_pretrained_words(vocab: Vocab, path: Path | None, key: Callable[[str], str]) -> Vocab:
    """The training vocabulary plus the key of every word of the vector file (`key`: how the model looks words
    up, e.g. lower-cased), so that words first seen at test time keep their pretrained vectors (Collobert et
    al. 2011 likewise take their dictionary from the unlabelled corpus)."""
    if path is None:
        return vocab
    extra = list(dict.fromkeys(k for k in (key(word) for word, _ in iter_vectors(path)) if k not in vocab.stoi))
    return Vocab(vocab.itos + extra, np.concatenate([vocab.counts, np.zeros(len(extra), np.int64)]),
                 vocab.specials, vocab.unk)


def _load_pretrained(weight: nn.Parameter, vocab: Vocab, path: Path, key: Callable[[str], str]) -> None:
    """Copy the vectors in, scaled to unit length, and report coverage of the training words (those with a
    count; specials aside). word2vec norms grow with word frequency (6 on average, 10-17 for "the", "of",
    "and" in our CBOW vectors); unit rows keep function words from dominating an average and stay near
    the scale of the random N(0, 0.1^2) rows (per coordinate 1/sqrt(dim), 0.1 at 100 dimensions)."""
    array = weight._data
    missing = set(load_into(array, vocab.itos, path, key=key).missing)
    found_rows = np.array([i for i, w in enumerate(vocab.itos) if w not in missing], dtype=np.int64)
    if found_rows.size:
        norms = np.linalg.norm(array[found_rows], axis=1, keepdims=True)
        array[found_rows] /= np.maximum(norms, np.finfo(array.dtype).tiny)
    words = [(w, c) for w, c in zip(vocab.itos, vocab.counts) if w not in vocab.specials]
    training_words = [w for w, c in words if c > 0]
    found = sum(w not in missing for w in training_words)
    print(f"pretrained vectors {path}: {found:,}/{plural(len(training_words), 'training word')} found "
          f"({100 * found / max(len(training_words), 1):.1f}%), {plural(len(words) - len(training_words), 'more word')} "
          "from the file", flush=True)


def _embedding_dim(config: ClassifierConfig, default: int) -> int:
    """--dim, or the pretrained file's dimension; they must agree when both are given."""
    if config.pretrained is None:
        return config.dim or default
    file_dim = vector_file_dim(vectors_file(config.pretrained))
    if config.dim and config.dim != file_dim:
        raise ConfigError(f"--dim {config.dim} differs from the dimension {file_dim} of --pretrained {config.pretrained}")
    return file_dim


def _batched(order: np.ndarray, batch_size: int, units: Callable[[np.ndarray], int] = len) -> Iterator[BatchPart]:
    """Batches of `order`; data-parallel, this rank's part of each, with the weight of its mean loss
    (`data_parallel.part_of`; `units` counts what the loss averages over)."""
    for start in range(0, len(order), batch_size):
        yield data_parallel.part_of(order[start:start + batch_size], units)


class SupervisedTask(ModuleTask):
    """Mini-batches of (inputs, gold labels), a loss per batch, and a score per split. `loss(module, inputs, gold)` runs the model as `module`: the
    model itself, or, data-parallel, the model wrapped in DistributedDataParallel."""

    def __init__(self, model: nn.Module, vocab: Vocab, model_config: dict[str, Any], config: ClassifierConfig,
                 batches: Callable[[np.random.Generator, int], Iterator[tuple[BatchPart, tuple, Any]]],
                 loss: Callable[[nn.Module, tuple, Any], fastgrad.Tensor], scores: Callable[[str], dict[str, float]],
                 splits: Sequence[str], examples: int, unit: str, metric: str):
        self.model, self.vocab, self._model_config, self._batches, self._loss = model, vocab, model_config, batches, loss
        self.trained = data_parallel.parallel(model)  # averages the gradients across ranks under mpiexec
        self._scores, self._splits = scores, set(splits)
        self.examples_per_epoch, self.unit, self.metric = examples, unit, metric
        self.patience, self.batch_size = config.patience, config.batch_size
        self.optimizers = make_optimizers(model, config.optimizer, config.lr, config.weight_decay)
        self.shuffle = np.random.default_rng(config.seed)
        self.remember_best()

    def train_epoch(self, progress) -> float:
        self.model.train()
        loss_sum = seen = 0.0
        # Data-parallel, the running loss on the progress line is rank 0's (the epoch's is every rank's).
        loss_field = "loss" if data_parallel.shard()[1] == 1 else "rank 0 loss"
        for part, inputs, gold in self._batches(self.shuffle, self.batch_size):
            for optimizer in self.optimizers:
                optimizer.zero_grad()
            loss = self._loss(self.trained, inputs, gold)
            (loss if part.weight == 1.0 else loss * part.weight).backward()
            for optimizer in self.optimizers:
                optimizer.step()
            loss_sum += loss.item() * part.count
            seen += part.count
            progress.update(part.total, **({loss_field: loss_sum / seen} if seen else {}))
        loss_sum, seen = data_parallel.sum_over_ranks(loss_sum, seen)
        return loss_sum / max(seen, 1)

    def evaluate(self, split: str) -> dict[str, float]:
        return self._scores(split)

    def has_split(self, split: str) -> bool:
        return split in self._splits

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizers": [o.state_dict() for o in self.optimizers],
                "shuffle": self.shuffle.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any], snapshot: Path) -> None:
        self.load_best(snapshot)
        self.model.load_state_dict(state["model"])
        for optimizer, saved in zip(self.optimizers, state["optimizers"], strict=True):
            saved_lr = [group["lr"] for group in optimizer.param_groups]
            optimizer.load_state_dict(saved)
            for group, lr in zip(optimizer.param_groups, saved_lr):
                if group["lr"] != lr:  # this command's --lr, not the saved one
                    print(f"--lr {lr:g} replaces the saved run's learning rate {group['lr']:g}", flush=True)
                    group["lr"] = lr
        self.shuffle.bit_generator.state = state["shuffle"]


def _settings(config_class: type, config: Any, settings: dict[str, Any]) -> Any:
    if config is not None and settings:
        raise TypeError("pass either a config or keyword settings, not both")
    return config if config is not None else config_class(**settings)


# -- sentence classification: NBOW / DAN -------------------------------------------------------------------
def read_sentences(path: Path, fmt: str, label_names: Sequence[str] | None = None) -> LabelledSentences:
    reader = read_label_first if fmt == "sst" else read_text_tab_label
    return reader(path, label_names)


def tokenize_line(line: str, fmt: str) -> list[str]:
    """Raw text to the tokens a model of this format was trained on (SST files are lower-cased, space-split)."""
    return line.lower().split() if fmt == "sst" else simple_tokenize(line)


def check_inferred_labels(data: LabelledSentences, path: Path, fmt: str) -> None:
    """An inferred label set must be small (at most MAX_INFERRED_LABELS), every label must occur at least twice,
    the labels must be all numbers or no numbers, and none may be one of the text's most frequent words (as the
    first words of unlabelled lines are); otherwise the file is probably not in `fmt`."""
    counts = Counter(data.label_names[i] for i in data.labels)
    examples = ", ".join(f"{label!r} (line {data.first_lines[label]})" for label in list(counts)[:4])
    numeric = [bool(re.fullmatch(r"-?[0-9]+", label)) for label in counts]
    frequent_words = {word for word, _ in Counter(t for tokens in data.tokens for t in tokens).most_common(20)}
    also_words = [label for label in counts if label.lower() in frequent_words]
    if len(counts) > MAX_INFERRED_LABELS:
        problem = f"{len(counts)} distinct labels (at most {MAX_INFERRED_LABELS} are inferred)"
    elif min(counts.values()) < 2:
        once = [label for label, n in counts.items() if n == 1]
        problem = f"{plural(len(once), 'label')} seen only once ({', '.join(map(repr, once[:4]))})"
    elif any(numeric) and not all(numeric):
        problem = "labels that mix numbers and words"
    elif also_words:
        problem = f"labels that are also frequent words of the text ({', '.join(map(repr, also_words[:4]))})"
    else:
        return
    where = "first field" if fmt == "sst" else "last tab-separated column"
    raise ValueError(f"{path}: the {where} of each line gives {problem}, e.g. {examples}; is --format {fmt} right? "
                     "If these are the labels, declare them with --labels A,B,...")


def build_dan(config: dict[str, Any], vocab_size: int) -> DAN:
    m = config["model"]
    return DAN(vocab_size, len(config["labels"]), dim=m["dim"], hidden=m["hidden"], layers=m["layers"],
               dropout=m["dropout"], word_dropout=m["word_dropout"])


def predict_sentences(model: nn.Module, encoded: Sequence[np.ndarray]) -> np.ndarray:
    model.eval()
    predictions = []
    with fastgrad.no_grad():
        for start in range(0, len(encoded), EVAL_BATCH):
            ids, offsets = pack_bags(encoded[start:start + EVAL_BATCH])
            predictions.append(model(ids, offsets)._data.argmax(axis=1))
    return np.concatenate(predictions) if predictions else np.zeros(0, np.int64)


def nbow(config: NBOWConfig | None = None, **settings: Any) -> TrainingResult:
    """Train a sentence classifier: `fastgrad.train.nbow(train="train.txt", dev="dev.txt", epochs=5)` or
    `fastgrad.train.nbow(NBOWConfig(...))`. Returns the best model, its scores and the history."""
    config = _settings(NBOWConfig, config, settings)
    pretrained = vectors_file(config.pretrained)
    with session(config, {"train": config.train, "dev": config.dev, "test": config.test,
                          "pretrained": pretrained}) as run:
        train = read_sentences(config.train, config.format, config.labels)
        if config.labels is None:
            check_inferred_labels(train, config.train, config.format)
        counts = np.bincount(train.labels, minlength=len(train.label_names))
        print(f"labels ({'declared with --labels' if config.labels else 'inferred from the training file'}): "
              + ", ".join(f"{name} ({plural(int(n), 'sentence')})" for name, n in zip(train.label_names, counts)),
              flush=True)
        dev = read_sentences(config.dev, config.format, train.label_names)
        test = read_sentences(config.test, config.format, train.label_names) if config.test else None
        # both formats' readers lower-case, so a vector file's words are looked up lower-cased
        vocab = _with_pretrained_words(Vocab.build(train.tokens, min_count=config.min_count), pretrained, str.lower)
        model_config = {"kind": "nbow", "task": "classify", "format": config.format, "labels": train.label_names,
                        "model": {"kind": config.model, "dim": _embedding_dim(config, 300), "hidden": config.hidden,
                                  "layers": 0 if config.model == "nbow" else config.layers,
                                  "dropout": config.dropout, "word_dropout": config.word_dropout}}
        model = build_dan(model_config, len(vocab))
        if pretrained:
            with fastgrad.no_grad():
                _load_pretrained(model.embedding.weight, vocab, pretrained, str.lower)
        print(f"{config.model}: {plural(len(train), 'train sentence')}, {plural(len(dev), 'dev sentence')}, "
              f"{plural(len(test) if test else 0, 'test sentence')}, {plural(len(vocab), 'word')}", flush=True)
        encoded = {name: [vocab.encode(tokens) for tokens in split.tokens]
                   for name, split in (("train", train), ("dev", dev), ("test", test)) if split is not None}
        gold = {"train": train.labels, "dev": dev.labels, **({"test": test.labels} if test else {})}

        def batches(rng: np.random.Generator, batch_size: int):
            for part in _batched(rng.permutation(len(train)), batch_size):
                yield part, pack_bags([encoded["train"][i] for i in part.items]), train.labels[part.items]

        task = SupervisedTask(model, vocab, model_config, config, batches,
                              lambda module, inputs, labels: F.cross_entropy(module(*inputs),
                                                                             fastgrad.as_tensor(labels)),
                              lambda split: {"accuracy": accuracy(predict_sentences(model, encoded[split]), gold[split])},
                              list(encoded), len(train), "sentences", "accuracy")
        result = run.train(task, config)
    result.extras.update(vocab=vocab, labels=train.label_names)
    return result


# -- tagging: the window NER model ---------------------------------------------------------------------------
def _binary_tags(tags: list[list[str]], chunk_type: str) -> list[list[str]]:
    """The lecture's binary task: is this token part of a `chunk_type` entity? Positive tokens become
    I-TYPE, so conlleval scores maximal runs of them as chunks."""
    return [[f"I-{chunk_type}" if tag_grammar.parse_tag(t)[1] == chunk_type else "O" for t in sentence]
            for sentence in tags]


def check_tags(data: TaggedSentences, path: Path, types: Sequence[str] | None = None) -> str:
    """Every tag must be O or PREFIX-TYPE (IOB or IOBES) and, when `types` is given, of one of those types;
    ValueError with the file and line of the first tag that is not. Returns the scheme ("iob" or "iobes")."""
    for tag, line in data.first_lines.items():
        try:
            chunk_type = tag_grammar.parse_tag(tag)[1]
        except ValueError as err:
            raise ValueError(f"{path}:{line}: {err} (IOB or IOBES tags)") from None
        if types is not None and chunk_type and chunk_type not in types:
            raise ValueError(f"{path}:{line}: tag {tag!r} has a type that is not in the training data "
                             f"(types: {', '.join(types)})")
    return tag_grammar.scheme_of(list(data.first_lines))


def read_tagged(path: Path, config: dict[str, Any], types: Sequence[str] | None = None) -> TaggedSentences:
    """A CoNLL file with its tags checked (see `check_tags`), in the scheme `config` trains on."""
    data = read_conll(path)
    check_tags(data, path, types)
    if config.get("binary_tag"):
        data.tags = _binary_tags(data.tags, config["binary_tag"])
    if config.get("tag_scheme"):
        data.tags = [tag_grammar.convert(sentence, config["tag_scheme"]) for sentence in data.tags]
    return data


def check_scorable(data: TaggedSentences, path: Path, config: dict[str, Any]) -> None:
    """A file scored by chunk F1 must hold a chunk (of the --binary-tag type, with one): with none, recall and so
    F1 are 0/0, which conlleval prints as 0.00, a plausible score for a model that may have tagged every token right."""
    if not any(tag != "O" for sentence in data.tags for tag in sentence):
        entity = f"{config['binary_tag']} entity" if config.get("binary_tag") else "entity"
        raise ValueError(f"{path}: no {entity} in it, so its chunk F1 is undefined")


def tagger_inputs(sentences: Sequence[Sequence[str]], vocab: Vocab, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Word-id and case-pattern windows for every token of `sentences`."""
    words = [vocab.encode([normalize_word(t) for t in s]) for s in sentences]
    caps = [np.array([caps_pattern(t) for t in s], dtype=np.int64) for s in sentences]
    word_windows = sentence_windows(words, window, vocab.stoi[LEFT_PAD], vocab.stoi[RIGHT_PAD])
    return word_windows, sentence_windows(caps, window, CAPS_PAD, CAPS_PAD)


def build_tagger(config: dict[str, Any], vocab_size: int) -> WindowTagger:
    m = config["model"]
    sizes = dict(window=m["window"], dim=m["dim"], hidden=m["hidden"], caps_dim=m["caps_dim"],
                 activation=m["activation"], dropout=m["dropout"])
    if config.get("crf"):
        allowed = tag_grammar.allowed_transitions(config["labels"], config["tag_scheme"])
        return WindowCRFTagger(vocab_size, len(config["labels"]), allowed, **sizes)
    return WindowTagger(vocab_size, len(config["labels"]), **sizes)


def predict_tags(model: WindowTagger, inputs: tuple[np.ndarray, np.ndarray], lengths: Sequence[int]) -> np.ndarray:
    """The tag ids of every token of sentences of `lengths` tokens: the best path of each sentence (Viterbi)
    for a CRF tagger, the best tag of each token on its own otherwise."""
    model.eval()
    word_windows, caps_windows = inputs
    scores = []
    with fastgrad.no_grad():
        for start in range(0, len(word_windows), EVAL_BATCH):
            scores.append(model(word_windows[start:start + EVAL_BATCH], caps_windows[start:start + EVAL_BATCH])._data)
    if not scores:
        return np.zeros(0, np.int64)
    scores = np.concatenate(scores)
    return model.decode(scores, np.asarray(lengths)) if isinstance(model, WindowCRFTagger) else scores.argmax(axis=1)


def split_like(flat: Sequence[str], sentences: Sequence[Sequence[str]]) -> list[list[str]]:
    lengths = np.cumsum([len(s) for s in sentences])[:-1]
    return [list(part) for part in np.split(np.asarray(flat, dtype=object), lengths)]


def score_tags(model: WindowTagger, labels: Sequence[str], data: TaggedSentences, inputs) -> dict[str, float]:
    """conlleval's chunk F1. conlleval reads IOB1, IOB2 and B/I/E but not S-: IOBES tags are scored after
    rewriting both sides to IOB2 (the same chunks)."""
    predicted = np.asarray(labels, dtype=object)[predict_tags(model, inputs, [len(s) for s in data.tokens])]
    gold, predicted = data.tags, split_like(predicted, data.tokens)
    if any(tag.startswith(("S-", "E-")) for tag in [*labels, *data.first_lines]):
        gold = [tag_grammar.convert(s, "iob") for s in gold]
        predicted = [tag_grammar.convert(s, "iob") for s in predicted]
    result = conll_evaluate(gold, predicted)
    return {"f1": result.overall.f1, "precision": result.overall.precision, "recall": result.overall.recall,
            "token_accuracy": result.token_accuracy}


def ner(config: NERConfig | None = None, **settings: Any) -> TrainingResult:
    """Train the window tagger on CoNLL files: `fastgrad.train.ner(train=..., dev=..., caps=True)`."""
    config = _settings(NERConfig, config, settings)
    pretrained = vectors_file(config.pretrained)
    with session(config, {"train": config.train, "dev": config.dev, "test": config.test,
                          "pretrained": pretrained}) as run:
        raw_train = read_conll(config.train)
        scheme = check_tags(raw_train, config.train)
        types = sorted({tag_grammar.parse_tag(t)[1] for t in raw_train.first_lines} - {""})
        if not types:
            raise ValueError(f"{config.train}: every tag is O, no entity to learn")
        if config.binary_tag is not None and config.binary_tag not in types:
            raise ConfigError(f"--binary-tag {config.binary_tag}: no such entity type in {config.train} "
                              f"(types: {', '.join(types)})")
        # The CRF's grammar is IOB2 or IOBES: IOB1 files are rewritten (chunks unchanged) to the scheme it learns.
        tag_scheme = config.tag_scheme or (scheme if config.crf else None)
        model_config = {"kind": "ner", "task": "tag", "binary_tag": config.binary_tag, "tag_scheme": tag_scheme,
                        "crf": config.crf}
        train = read_tagged(config.train, model_config)
        dev = read_tagged(config.dev, model_config, types)
        check_scorable(dev, config.dev, model_config)
        test = read_tagged(config.test, model_config, types) if config.test else None
        if test is not None:
            check_scorable(test, config.test, model_config)
        if config.crf:  # every tag of the scheme, seen in training or not, so that any valid path can be decoded
            labels = tag_grammar.tag_set([config.binary_tag] if config.binary_tag else types, tag_scheme)
        else:
            labels = sorted({t for sentence in train.tags for t in sentence})
        print(f"tags ({'binary, ' if config.binary_tag else ''}{(tag_scheme or scheme).upper()}"
              f"{', CRF' if config.crf else ''}, "
              f"{plural(len(types), 'entity type')} inferred from the training file: {', '.join(types)}): "
              f"{', '.join(labels)}", flush=True)
        vocab = _with_pretrained_words(Vocab.build(([normalize_word(t) for t in s] for s in train.tokens),
                                                   min_count=config.min_count, specials=WORD_SPECIALS), pretrained,
                                       normalize_word)
        model_config.update(labels=labels, model={
            "window": config.window, "dim": _embedding_dim(config, 50), "hidden": config.hidden,
            "caps_dim": config.caps_dim if config.caps else 0, "activation": config.activation,
            "dropout": config.dropout})
        model = build_tagger(model_config, len(vocab))
        if pretrained:
            with fastgrad.no_grad():
                _load_pretrained(model.words.weight, vocab, pretrained, normalize_word)
        print(f"ner: {plural(len(train), 'train sentence')}, {plural(len(dev), 'dev sentence')}, "
              f"{plural(len(test) if test else 0, 'test sentence')}, {plural(len(vocab), 'word')}", flush=True)
        tag_ids = {t: i for i, t in enumerate(labels)}
        splits = {name: (split, tagger_inputs(split.tokens, vocab, config.window))
                  for name, split in (("train", train), ("dev", dev), ("test", test)) if split is not None}
        (words, caps), train_gold = splits["train"][1], np.array([tag_ids[t] for s in train.tags for t in s])
        lengths = np.array([len(s) for s in train.tokens])
        starts = np.cumsum(lengths) - lengths

        def token_batches(rng: np.random.Generator, batch_size: int):
            for part in _batched(rng.permutation(len(train_gold)), batch_size):
                yield part, (words[part.items], caps[part.items]), train_gold[part.items]

        def sentence_batches(rng: np.random.Generator, batch_size: int):  # --batch-size sentences per step
            # the CRF's loss is a mean over tokens, so a part's weight counts its tokens
            for part in _batched(rng.permutation(len(lengths)), batch_size, units=lambda s: int(lengths[s].sum())):
                tokens = np.concatenate([np.arange(starts[s], starts[s] + lengths[s]) for s in part.items])
                yield part, (words[tokens], caps[tokens], lengths[part.items]), train_gold[tokens]

        if config.crf:  # DistributedDataParallel averages gradients from hooks on the parameters: model.loss is fine
            batches, loss = sentence_batches, lambda module, inputs, gold: model.loss(inputs[0], inputs[1], gold,
                                                                                      inputs[2])
        else:
            batches, loss = token_batches, lambda module, inputs, gold: F.cross_entropy(module(*inputs),
                                                                                         fastgrad.as_tensor(gold))
        task = SupervisedTask(model, vocab, model_config, config, batches, loss,
                              lambda split: score_tags(model, labels, *splits[split]),
                              [name for name in splits if name != "train"], len(train_gold), "tokens", "f1")
        result = run.train(task, config)
    result.extras.update(vocab=vocab, labels=labels)
    return result


# -- saved models ----------------------------------------------------------------------------------------------
def load_classifier(model_dir: Path) -> tuple[nn.Module, Vocab, dict[str, Any]]:
    """The best weights of a `nbow` or `ner` run, in eval mode, with their vocabulary and config."""
    files = model_files(model_dir)
    config = read_config(files, required=("task", "labels", "model"))
    vocab = Vocab.load(files / VOCAB_FILE)
    try:
        model = (build_dan if config["task"] == "classify" else build_tagger)(config, len(vocab))
    except (KeyError, TypeError, ValueError) as err:
        raise ModelDirectoryError(f"{files / 'config.json'}: cannot build the model it describes ({err!r})") from None
    load_weights(model, files / WEIGHTS_FILE)
    model.eval()
    return model, vocab, config
