"""`fastgrad train nbow` (NBOW/DAN sentence classifiers) and `fastgrad train ner` (window tagger), which wrap
`fastgrad.train.nbow` and `fastgrad.train.ner`, and the `evaluate_model` / `predict_lines` hooks that
`fastgrad eval|predict MODEL_DIR` call."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Iterable, Iterator

import fastgrad.train
from fastgrad.cli.common import add_epoch_arguments, add_option, add_run_arguments, run_training
from fastgrad.metrics import accuracy
from fastgrad.train.classifiers import (NBOWConfig, NERConfig, check_scorable, load_classifier, predict_sentences,
                                        read_sentences, read_tagged, score_tags, tagger_inputs, tokenize_line)


def evaluate_model(model_dir: Path, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Accuracy (classifiers) or CoNLL chunk F1 (taggers) of a saved model on a labelled file."""
    model, vocab, config = load_classifier(model_dir)
    if config["task"] == "classify":
        data = read_sentences(path, config["format"], config["labels"])
        return {"accuracy": accuracy(predict_sentences(model, [vocab.encode(t) for t in data.tokens]), data.labels),
                "sentences": len(data)}
    types = sorted({label.partition("-")[2] for label in config["labels"]} - {""})
    # (a tag of a known type that training never saw, such as IOBES's I- of a chunk longer than any there, is
    # scored as the training run scores its test file: the model never predicts it, and misses its chunks)
    data = read_tagged(path, config, None if config.get("binary_tag") else types)
    check_scorable(data, path, config)
    return {**score_tags(model, config["labels"], data, tagger_inputs(data.tokens, vocab, config["model"]["window"])),
            "sentences": len(data)}


def predict_lines(model_dir: Path, lines: Iterable[str], args: argparse.Namespace) -> Iterator[str]:
    """One output line per input line: the label of the sentence, or `token/TAG` pairs (blank stays blank)."""
    from fastgrad.train.classifiers import predict_tags

    model, vocab, config = load_classifier(model_dir)
    for line in lines:
        if config["task"] == "classify":
            tokens = tokenize_line(line, config["format"])
            if not tokens:
                yield ""
                continue
            yield config["labels"][int(predict_sentences(model, [vocab.encode(tokens)])[0])]
        else:
            tokens = line.split()
            if not tokens:
                yield ""
                continue
            tags = predict_tags(model, tagger_inputs([tokens], vocab, config["model"]["window"]), [len(tokens)])
            yield " ".join(f"{token}/{config['labels'][tag]}" for token, tag in zip(tokens, tags))


def _add_training_arguments(p: argparse.ArgumentParser, config_class: type) -> None:
    add_option(p, config_class, "train", "training file", metavar="FILE")
    add_option(p, config_class, "dev", "development file (picks the best epoch)", metavar="FILE")
    add_option(p, config_class, "test", "test file, scored once with the best weights", metavar="FILE")
    add_option(p, config_class, "epochs", "maximum epochs")
    add_option(p, config_class, "patience", "stop after this many epochs without a better dev score")
    add_option(p, config_class, "optimizer", "adam uses SparseAdam for the embeddings",
               choices=("sgd", "adagrad", "adam"))
    add_option(p, config_class, "lr", "learning rate")
    add_option(p, config_class, "weight_decay", "L2 penalty on the dense layers")
    add_option(p, config_class, "batch_size", "examples per step")
    add_option(p, config_class, "dim", "embedding size (default: see above, or the pretrained size)")
    add_option(p, config_class, "hidden", "hidden layer size")
    add_option(p, config_class, "dropout", "dropout before each linear layer")
    add_option(p, config_class, "min_count", "rarer training words map to <unk>")
    add_option(p, config_class, "pretrained", "word2vec text/binary or GloVe vectors (or a `fastgrad train word2vec` "
                                              "directory) to initialise the word embeddings; their words join the "
                                              "vocabulary", metavar="VECTORS")
    add_run_arguments(p, config_class)
    add_epoch_arguments(p, config_class)


def _labels(text: str) -> list[str]:
    return [label.strip() for label in text.split(",")]


def register(cli) -> None:
    p = cli.add_train_model("nbow", help="NBOW / deep averaging network sentence classifier (Iyyer et al. 2015); "
                                         "embedding size 300 by default")
    add_option(p, NBOWConfig, "format", "sst: 'LABEL tokenized sentence' lines; tsv: 'raw text<TAB>LABEL' lines",
               choices=("sst", "tsv"))
    p.add_argument("--labels", type=_labels, default=None, metavar="A,B,...",
                   help="the label set; without it the labels are taken from the training file when they are few "
                        f"and consistent (at most {fastgrad.train.classifiers.MAX_INFERRED_LABELS}, each seen twice)")
    add_option(p, NBOWConfig, "model", "nbow: no hidden layers", choices=("nbow", "dan"))
    add_option(p, NBOWConfig, "layers", "hidden ReLU layers of the DAN")
    add_option(p, NBOWConfig, "word_dropout", "probability of dropping each token before averaging, at train time")
    _add_training_arguments(p, NBOWConfig)
    p.set_defaults(run=run_training(fastgrad.train.nbow, NBOWConfig))

    p = cli.add_train_model("ner", help="window tagger for NER, CoNLL files (Collobert et al. 2011); "
                                        "embedding size 50 by default")
    add_option(p, NERConfig, "window", "words on each side of the tagged one")
    add_option(p, NERConfig, "caps", "add the capitalisation-pattern feature")
    add_option(p, NERConfig, "caps_dim", "size of the caps feature embedding")
    add_option(p, NERConfig, "activation", "hidden nonlinearity", choices=("tanh", "relu"))
    add_option(p, NERConfig, "binary_tag", "binary task: is the token part of a TYPE entity (e.g. LOC)?",
               metavar="TYPE")
    add_option(p, NERConfig, "tag_scheme", "train on the tags rewritten in this scheme (default: as in the files; "
                                           "IOB1 becomes IOB2 with --crf)", choices=("iob", "iobes"))
    add_option(p, NERConfig, "crf", "sentence-level log-likelihood (Collobert et al. 2011): tag transition scores "
                                    "learnt with the network, Viterbi decoding, so every predicted sentence is a "
                                    "valid IOB2/IOBES sequence; --batch-size then counts sentences")
    _add_training_arguments(p, NERConfig)
    p.set_defaults(run=run_training(fastgrad.train.ner, NERConfig))
