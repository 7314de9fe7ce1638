"""`fastgrad train word2vec` (which wraps `fastgrad.train.word2vec`), `fastgrad eval-vectors` and `fastgrad similar`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

import fastgrad.train
from fastgrad.cli.common import add_epoch_arguments, add_option, add_run_arguments, add_threads_argument, \
    run_training, set_threads
from fastgrad.data.readers import read_lines
from fastgrad.data.vectors import WordVectors
from fastgrad.train.classifiers import vectors_file
from fastgrad.train.errors import ConfigError
from fastgrad.train.report import describe_inputs
from fastgrad.train.settings import POSITIVE_INT
from fastgrad.train.word2vec import TEXT_VECTORS_FILE, Word2VecConfig, evaluate_vectors


def register(cli) -> None:
    p = cli.add_train_model("word2vec", help="word vectors: skip-gram or CBOW with negative sampling")
    add_option(p, Word2VecConfig, "corpus", "text file (.gz allowed), one sentence per line", metavar="FILE")
    add_option(p, Word2VecConfig, "model", "skip-gram or CBOW", choices=("sg", "cbow"))
    add_option(p, Word2VecConfig, "dim", "vector size")
    add_option(p, Word2VecConfig, "window", "maximum context distance")
    add_option(p, Word2VecConfig, "negative", "negative samples per target")
    add_option(p, Word2VecConfig, "min_count", "ignore words seen fewer times")
    add_option(p, Word2VecConfig, "sample", "subsampling threshold t, 0 to disable")
    add_option(p, Word2VecConfig, "epochs", "passes over the corpus")
    add_option(p, Word2VecConfig, "alpha", "initial learning rate")
    add_option(p, Word2VecConfig, "min_alpha", "final learning rate")
    add_option(p, Word2VecConfig, "workers", "training threads")
    add_option(p, Word2VecConfig, "sync_words", "under mpiexec: words of each rank's shard between averages of the "
                                                "matrices")
    add_option(p, Word2VecConfig, "text", f"also write {TEXT_VECTORS_FILE} (word2vec text format)")
    _add_eval_arguments(p)
    add_run_arguments(p, Word2VecConfig)
    add_epoch_arguments(p, Word2VecConfig)
    p.set_defaults(run=run_training(fastgrad.train.word2vec, Word2VecConfig))

    p = cli.add_command("eval-vectors", help="word-analogy accuracy and word-similarity Spearman rho of word vectors")
    p.add_argument("vectors", type=Path, help="word2vec .bin/.txt or GloVe file, or a trained word2vec directory")
    _add_eval_arguments(p)
    add_threads_argument(p)
    p.set_defaults(run=run_eval_vectors)

    p = cli.add_command("similar", help="nearest words by cosine similarity")
    p.add_argument("vectors", type=Path, help="word2vec .bin/.txt or GloVe file, or a trained word2vec directory")
    p.add_argument("word")
    p.add_argument("--topn", type=POSITIVE_INT.parse, default=10, help="how many neighbours (default 10)")
    add_threads_argument(p)
    p.set_defaults(run=run_similar)


def _add_eval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--analogies", type=Path, help="questions-words.txt style analogy file")
    p.add_argument("--similarity", type=Path, nargs="+", default=[], help="word-pair similarity files (TSV)")
    p.add_argument("--restrict-vocab", type=POSITIVE_INT.parse, default=30_000,
                   help="analogies: answer among the N most frequent words, as word2vec.c does (default 30000)")


def _load_vectors(path: Path) -> WordVectors:
    """The vectors of `path`; a file without any is refused (every score on it would be empty or NaN)."""
    file = vectors_file(path)
    vectors = WordVectors.load(file)
    if not len(vectors):
        raise ValueError(f"{file}: no vectors in it")
    return vectors


def run_eval_vectors(args: argparse.Namespace) -> int:
    if not args.analogies and not args.similarity:
        raise ConfigError("eval-vectors: give --analogies FILE and/or --similarity FILE [FILE ...]")
    set_threads(args.threads)
    describe_inputs({"vectors": vectors_file(args.vectors), "analogies": args.analogies,
                     **{f"similarity {i}": path for i, path in enumerate(args.similarity, start=1)}})
    result = evaluate_vectors(_load_vectors(args.vectors), args.analogies, args.similarity, args.restrict_vocab)
    print(json.dumps(result, sort_keys=True))
    return 0


def run_similar(args: argparse.Namespace) -> int:
    set_threads(args.threads)
    describe_inputs({"vectors": vectors_file(args.vectors)}, sys.stderr)  # (stdout holds only the neighbours)
    vectors = _load_vectors(args.vectors)
    if args.word not in vectors:
        raise ConfigError(f"{args.word!r} is not in the vocabulary of {args.vectors} ({len(vectors):,} words)")
    for word, score in vectors.most_similar(args.word, topn=args.topn):
        print(f"{word}\t{score:.4f}")
    return 0


# The `fastgrad eval/predict MODEL_DIR` commands (fastgrad.cli.model_dir) call these two.

def evaluate_model(model_dir: Path, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """An analogy file (it has ': section' lines) gives analogy accuracy, anything else similarity rho."""
    is_analogies = any(line.startswith(":") for _, line in read_lines(path))
    return evaluate_vectors(_load_vectors(model_dir), path if is_analogies else None, [] if is_analogies else [path])


def predict_lines(model_dir: Path, lines: Iterable[str], args: argparse.Namespace) -> Iterator[str]:
    """For each input word, the word and its ten nearest neighbours; a blank line stays blank, so that output line
    N answers input line N."""
    vectors = _load_vectors(model_dir)
    for line in lines:
        word = line.strip()
        if not word:
            yield ""
            continue
        if word not in vectors:
            yield f"{word}\t(not in vocabulary)"
            continue
        yield word + "\t" + " ".join(w for w, _ in vectors.most_similar(word, topn=10))
