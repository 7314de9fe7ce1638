"""`fastgrad train word2vec`, `fastgrad eval-vectors` and `fastgrad similar`.

`train word2vec --out DIR` writes `DIR/vectors.bin` (word2vec binary, which gensim's
`KeyedVectors.load_word2vec_format(path, binary=True)` reads; `--text` adds `vectors.txt`),
`DIR/config.json` and `DIR/metrics.jsonl` (one line per epoch, then the evaluation if asked for).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Iterable, Iterator

from fastgrad.cli.common import MetricsLog, Progress, add_run_arguments, plot_curves, print_config, set_threads, write_json_atomic
from fastgrad.data.vectors import WordVectors
from fastgrad.metrics.word_vectors import evaluate_analogies, evaluate_similarity
from fastgrad.train.errors import ConfigError

VECTORS_FILE = "vectors.bin"
TEXT_VECTORS_FILE = "vectors.txt"


def register(cli) -> None:
    p = cli.add_train_model("word2vec", help="word vectors: skip-gram or CBOW with negative sampling")
    p.add_argument("--corpus", type=Path, required=True, help="text file (.gz allowed), one sentence per line")
    p.add_argument("--model", choices=("sg", "cbow"), default="sg", help="skip-gram (default) or CBOW")
    p.add_argument("--dim", type=int, default=100, help="vector size (default 100)")
    p.add_argument("--window", type=int, default=5, help="maximum context distance (default 5)")
    p.add_argument("--negative", type=int, default=5, help="negative samples per target (default 5)")
    p.add_argument("--min-count", type=int, default=5, help="ignore words seen fewer times (default 5)")
    p.add_argument("--sample", type=float, default=1e-3, help="subsampling threshold t, 0 to disable (default 1e-3)")
    p.add_argument("--epochs", type=int, default=5, help="passes over the corpus (default 5)")
    p.add_argument("--alpha", type=float, default=0.025, help="initial learning rate (default 0.025)")
    p.add_argument("--min-alpha", type=float, default=0.0001, help="final learning rate (default 0.0001)")
    p.add_argument("--workers", type=int, default=2, help="training threads (default 2)")
    p.add_argument("--text", action="store_true", help=f"also write {TEXT_VECTORS_FILE} (word2vec text format)")
    _add_eval_arguments(p)
    add_run_arguments(p)
    p.set_defaults(run=run_train)

    p = cli.add_command("eval-vectors", help="word-analogy accuracy and word-similarity Spearman rho of word vectors")
    p.add_argument("vectors", type=Path, help="word2vec .bin/.txt or GloVe file, or a trained word2vec directory")
    _add_eval_arguments(p)
    p.set_defaults(run=run_eval_vectors)

    p = cli.add_command("similar", help="nearest words by cosine similarity")
    p.add_argument("vectors", type=Path, help="word2vec .bin/.txt or GloVe file, or a trained word2vec directory")
    p.add_argument("word")
    p.add_argument("--topn", type=int, default=10)
    p.set_defaults(run=run_similar)


def _add_eval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--analogies", type=Path, help="questions-words.txt style analogy file")
    # str, not Path: print_config turns Path values into JSON strings but not lists of them.
    p.add_argument("--similarity", nargs="+", default=[], help="word-pair similarity files (TSV)")
    p.add_argument("--restrict-vocab", type=int, default=30_000,
                   help="analogies: answer among the N most frequent words, as word2vec.c does (default 30000)")


def run_train(args: argparse.Namespace) -> int:
    # Imported here: the kernels have explicit signatures and compile (or load) at import, which
    # every other `fastgrad` command would otherwise pay for when the parser is built.
    from fastgrad.models.word2vec import Word2Vec, read_corpus

    if args.backend != "compiled":
        raise ConfigError("word2vec trains with its compiled kernels only; drop --backend")
    threads = set_threads(args.threads)
    config = print_config(args)
    model = Word2Vec(model=args.model, dim=args.dim, window=args.window, negative=args.negative, sample=args.sample,
                     min_count=args.min_count, alpha=args.alpha, min_alpha=args.min_alpha, epochs=args.epochs,
                     workers=args.workers, seed=args.seed)
    start = time.perf_counter()
    corpus = read_corpus(args.corpus, min_count=args.min_count)
    read_seconds = time.perf_counter() - start
    model.build(corpus)
    print(f"corpus: {corpus.raw_words:,} words, {corpus.sentences:,} sentences, vocabulary {len(corpus.words):,} "
          f"(min count {args.min_count}), read in {read_seconds:.1f}s", flush=True)
    metrics = MetricsLog(args.out / "metrics.jsonl" if args.out else None)
    bar = Progress(total=corpus.raw_words * args.epochs, unit="words", desc=f"word2vec {args.model}")

    def epoch_end(epoch: int, stats) -> None:
        metrics.write(epoch=epoch + 1, seconds=round(stats.seconds, 3), raw_words_per_second=round(stats.raw_words_per_second),
                      effective_words_per_second=round(stats.effective_words_per_second))

    stats = model.train(corpus, progress=lambda words, alpha: bar.update(words, alpha=alpha), epoch_end=epoch_end)
    bar.close()
    print(f"trained {stats.epochs} epochs in {stats.seconds:.1f}s: {stats.raw_words_per_second:,.0f} raw words/s, "
          f"{stats.effective_words_per_second:,.0f} effective words/s ({args.workers} workers)", flush=True)
    vectors = model.vectors
    result = _evaluate(vectors, args)
    if result:
        metrics.write(**result)
    if args.out:
        vectors.save(args.out / VECTORS_FILE, binary=True)
        if args.text:
            vectors.save(args.out / TEXT_VECTORS_FILE, binary=False)
        write_json_atomic(args.out / "config.json", {
            "kind": "word2vec", "model": model.config(), "args": config, "threads": threads,
            "corpus": {"path": str(args.corpus), "raw_words": corpus.raw_words, "vocabulary": len(corpus.words)},
            "training": {"seconds": stats.seconds, "raw_words_per_second": stats.raw_words_per_second,
                         "effective_words_per_second": stats.effective_words_per_second,
                         "read_seconds": read_seconds}})
        print(f"wrote {args.out / VECTORS_FILE}", flush=True)
    if args.plot:
        plot_curves(metrics.records, args.plot)
    return 0


def _evaluate(vectors: WordVectors, args: argparse.Namespace) -> dict:
    """Evaluate on the files named in args, print one line per file and return the numbers."""
    result: dict = {}
    if args.analogies:
        summary = evaluate_analogies(vectors, args.analogies, restrict_vocab=args.restrict_vocab).summary()
        print(f"analogies {args.analogies.name}: total {summary['total_accuracy']:.2%} "
              f"(semantic {summary['semantic_accuracy']:.2%}, syntactic {summary['syntactic_accuracy']:.2%}) "
              f"on {summary['asked']:,} of {summary['questions']:,} questions, {summary['oov_questions']:,} OOV", flush=True)
        result["analogies"] = summary
    for path in map(Path, args.similarity):
        similarity = evaluate_similarity(vectors, path)
        print(f"similarity {path.name}: Spearman rho {similarity.spearman:.4f} on {similarity.pairs} pairs, "
              f"{similarity.oov_pairs} OOV", flush=True)
        result[f"similarity:{path.name}"] = {"spearman": similarity.spearman, "pairs": similarity.pairs,
                                             "oov_pairs": similarity.oov_pairs}
    return result


def _load_vectors(path: Path) -> WordVectors:
    return WordVectors.load(path / VECTORS_FILE if path.is_dir() else path)


def run_eval_vectors(args: argparse.Namespace) -> int:
    if not args.analogies and not args.similarity:
        raise ConfigError("eval-vectors: give --analogies FILE and/or --similarity FILE [FILE ...]")
    print(json.dumps(_evaluate(_load_vectors(args.vectors), args), sort_keys=True))
    return 0


def run_similar(args: argparse.Namespace) -> int:
    vectors = _load_vectors(args.vectors)
    if args.word not in vectors:
        raise ConfigError(f"{args.word!r} is not in the vocabulary of {args.vectors} ({len(vectors):,} words)")
    for word, score in vectors.most_similar(args.word, topn=args.topn):
        print(f"{word}\t{score:.4f}")
    return 0


# The `fastgrad eval/predict MODEL_DIR` commands (fastgrad.cli.model_dir) call these two.

def evaluate_model(model_dir: Path, path: Path, args: argparse.Namespace) -> dict:
    """An analogy file (it has ': section' lines) gives analogy accuracy, anything else similarity rho."""
    with open(path, encoding="utf-8") as f:
        is_analogies = any(line.startswith(":") for line in f)
    eval_args = argparse.Namespace(analogies=path if is_analogies else None, similarity=[] if is_analogies else [path],
                                   restrict_vocab=30_000)
    return _evaluate(_load_vectors(model_dir), eval_args)


def predict_lines(model_dir: Path, lines: Iterable[str], args: argparse.Namespace) -> Iterator[str]:
    """For each input word, the word and its ten nearest neighbours."""
    vectors = _load_vectors(model_dir)
    for line in lines:
        word = line.strip()
        if not word:
            continue
        if word not in vectors:
            yield f"{word}\t(not in vocabulary)"
            continue
        yield word + "\t" + " ".join(w for w, _ in vectors.most_similar(word, topn=10))
