"""Word vectors: `fastgrad.train.word2vec(...)` (skip-gram or CBOW with negative sampling), which
`fastgrad train word2vec` only wraps.

There is no validation split: every epoch's vectors are the model. A snapshot of the model directory holds
vectors.bin (word2vec binary, which gensim's `KeyedVectors.load_word2vec_format(path, binary=True)` reads;
`text=True` adds vectors.txt), config.json, metrics.jsonl and resume.npz (both matrices and the epoch).
Analogy and similarity files, when given, score the final vectors. Under mpiexec each rank trains on its byte
range of the corpus and the ranks average their matrices every `sync_words` words
(`fastgrad.distributed.word2vec`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fastgrad.data.vectors import WordVectors
from fastgrad.metrics.word_vectors import evaluate_analogies, evaluate_similarity
from fastgrad.train import data_parallel
from fastgrad.train.classifiers import _settings
from fastgrad.train.directory import read_config
from fastgrad.train.errors import ConfigError
from fastgrad.train.loop import Task, TrainingResult, session
from fastgrad.train.report import plural
from fastgrad.train.settings import (NON_NEGATIVE, POSITIVE, POSITIVE_INT, PROBABILITY, AsPath, Choice, EpochConfig,
                                     required, setting)

VECTORS_FILE, TEXT_VECTORS_FILE = "vectors.bin", "vectors.txt"


@dataclass(kw_only=True)
class Word2VecConfig(EpochConfig):
    """`fastgrad.train.word2vec`; the defaults follow gensim's `Word2Vec` (and word2vec.c)."""

    corpus: Path = required(AsPath())
    model: str = setting("sg", Choice("sg", "cbow"))
    dim: int = setting(100, POSITIVE_INT)
    window: int = setting(5, POSITIVE_INT)
    negative: int = setting(5, POSITIVE_INT)
    min_count: int = setting(5, POSITIVE_INT)
    sample: float = setting(1e-3, PROBABILITY)
    epochs: int = setting(5, POSITIVE_INT)
    alpha: float = setting(0.025, POSITIVE)
    min_alpha: float = setting(0.0001, NON_NEGATIVE)
    workers: int = setting(2, POSITIVE_INT)
    # Under mpiexec: words of each rank's shard between averages of the matrices (the default is
    # fastgrad.distributed.word2vec.DEFAULT_SYNC_WORDS, not imported here: that module compiles the kernels).
    sync_words: int = setting(1_000_000, POSITIVE_INT)
    text: bool = False
    analogies: Path | None = setting(None, AsPath())
    similarity: list[Path] = field(default_factory=list)
    restrict_vocab: int = setting(30_000, POSITIVE_INT)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.similarity = [AsPath()(path, "--similarity") for path in self.similarity]
        if self.min_alpha > self.alpha:
            raise ConfigError(f"--min-alpha {self.min_alpha:g} must not exceed --alpha {self.alpha:g}")
        if self.backend != "compiled":
            raise ConfigError("word2vec trains with its compiled kernels only; drop --backend")


def evaluate_vectors(vectors: WordVectors, analogies: Path | None, similarity: list[Path], restrict_vocab: int = 30_000
                     ) -> dict[str, Any]:
    """Evaluate on the given files, print one line per file and return the numbers."""
    result: dict[str, Any] = {}
    if analogies:
        summary = evaluate_analogies(vectors, analogies, restrict_vocab=restrict_vocab).summary()
        percent = lambda value: "n/a" if value is None else f"{value:.2%}"  # None: no question of the kind asked
        print(f"analogies {analogies.name}: total {percent(summary['total_accuracy'])} "
              f"(semantic {percent(summary['semantic_accuracy'])}, syntactic {percent(summary['syntactic_accuracy'])}) "
              f"on {summary['asked']:,} of {plural(summary['questions'], 'question')}, {summary['oov_questions']:,} "
              "out of the vocabulary", flush=True)
        result["analogies"] = summary
    paths = [Path(path) for path in similarity]
    names = [path.name for path in paths]
    for path in paths:
        # A file is known by its name, unless another one has it too: then one result would replace the other.
        name = path.name if names.count(path.name) == 1 else str(path)
        scores = evaluate_similarity(vectors, path)
        # NaN (fewer than 2 pairs, or no spread in one of the rankings): no number, as for an analogy group
        # with no question asked (JSON has no NaN)
        defined = not math.isnan(scores.spearman)
        rho = f"{scores.spearman:.4f}" if defined else (
            "n/a (fewer than 2 pairs)" if scores.pairs < 2 else "n/a (the scores or the similarities are all equal)")
        print(f"similarity {name}: Spearman rho {rho} on {plural(scores.pairs, 'pair')}, "
              f"{scores.oov_pairs} out of the vocabulary", flush=True)
        result[f"similarity:{name}"] = {"spearman": scores.spearman if defined else None, "pairs": scores.pairs,
                                        "oov_pairs": scores.oov_pairs}
    return result


class Word2VecTask(Task):
    """One epoch is one pass of the compiled kernels over the corpus; the latest vectors are the model."""

    unit, split, metric = "words", None, None

    def __init__(self, config: Word2VecConfig, model, corpus, raw_words: int, sentences: int):
        """`raw_words` and `sentences`: the whole corpus's (data-parallel, `corpus` is this rank's shard)."""
        self.model, self.corpus, self.settings = model, corpus, config
        self.examples_per_epoch, self.sentences = raw_words, sentences
        self.weight_files = (VECTORS_FILE, TEXT_VECTORS_FILE) if config.text else (VECTORS_FILE,)
        self.next_epoch, self.alpha, self.effective_rate = 0, config.alpha, 0.0

    def train_epoch(self, progress) -> float:
        progress = data_parallel.count_all_ranks(progress, self.corpus.raw_words, self.examples_per_epoch)

        def report(words: int, alpha: float) -> None:
            self.alpha = alpha
            progress.update(words, alpha=alpha)

        stats = data_parallel.train_word2vec(self.model, self.corpus, self.settings.sync_words, report,
                                             self.next_epoch, self.next_epoch + 1)
        self.next_epoch += 1
        self.effective_rate = stats.effective_words_per_second
        return math.nan  # the kernels do not compute the loss

    def evaluate(self, split: str) -> dict[str, float]:
        result = evaluate_vectors(self.model.vectors, self.settings.analogies, self.settings.similarity,
                                  self.settings.restrict_vocab)
        return {f"{'analogies' if file == 'analogies' else file}:{k}": v for file, scores in result.items()
                for k, v in scores.items() if isinstance(v, (int, float))}

    def has_split(self, split: str) -> bool:
        return split == "test" and (self.settings.analogies is not None or bool(self.settings.similarity))

    def parameters(self):
        return (("input_vectors", self.model.input_vectors), ("output_vectors", self.model.output_vectors))

    def epoch_fields(self) -> dict[str, str]:
        return {"alpha": f"{self.alpha:.4g}", "effective": f"{self.effective_rate:,.0f} words/s"}

    def epoch_record(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "effective_words_per_s": round(self.effective_rate)}

    def remember_best(self) -> None:
        """Every epoch's vectors are the best so far: nothing to keep."""

    def restore_best(self) -> None:
        """The vectors in the model are the ones to keep."""

    def write_weights(self):
        writers = {VECTORS_FILE: lambda path: self.model.vectors.save(path, binary=True)}
        if self.settings.text:
            writers[TEXT_VECTORS_FILE] = lambda path: self.model.vectors.save(path, binary=False)
        return writers

    def model_config(self) -> dict[str, Any]:
        settings = {k: v for k, v in self.model.config().items() if k not in ("epochs", "workers", "seed")}
        return {"kind": "word2vec", "model": settings, "vocabulary": len(self.model.words)}

    def config(self) -> dict[str, Any]:
        corpus = {"raw_words": self.examples_per_epoch, "sentences": self.sentences}
        return {**self.model_config(), "corpus": corpus, **self.run_info}

    def state_dict(self) -> dict[str, Any]:
        return {"input_vectors": self.model.input_vectors, "output_vectors": self.model.output_vectors,
                "next_epoch": self.next_epoch}

    def load_state_dict(self, state: dict[str, Any], snapshot: Path) -> None:
        for name in ("input_vectors", "output_vectors"):
            saved = np.asarray(state[name])
            current = getattr(self.model, name)
            if saved.shape != current.shape:
                raise ConfigError(f"--resume: the saved {name} have shape {saved.shape}, this corpus gives {current.shape}")
            current[...] = saved
        self.next_epoch = int(state["next_epoch"])
        planned, epochs = read_config(snapshot).get("settings", {}).get("epochs"), self.settings.epochs
        if planned is not None and planned != epochs and self.next_epoch < epochs:
            # The other models' schedules do not depend on the number of epochs; this one's does.
            print(f"--epochs {epochs} is not the saved run's {planned}: the learning rate falls linearly from "
                  f"--alpha to --min-alpha over all {epochs} epochs, so it goes on from where a {epochs}-epoch run "
                  f"is after epoch {self.next_epoch} ({'higher' if epochs > planned else 'lower'} than where the saved "
                  f"run stopped); the vectors differ from those of a direct {epochs}-epoch run", flush=True)

    def divergence_hint(self) -> str:
        return f"try a smaller --alpha (it was {self.settings.alpha:g})"


def word2vec(config: Word2VecConfig | None = None, **settings: Any) -> TrainingResult:
    """Train word vectors: `fastgrad.train.word2vec(corpus="text.txt.gz", model="sg", epochs=5)`; the result's
    model is the `fastgrad.models.word2vec.Word2Vec` (its `.vectors` are the word vectors)."""
    # Imported here: the kernels have explicit signatures and compile (or load) at import, which every
    # other `fastgrad` command would otherwise pay for.
    from fastgrad.models.word2vec import Word2Vec

    config = _settings(Word2VecConfig, config, settings)
    with session(config, {"corpus": config.corpus, "analogies": config.analogies,
                          **{f"similarity {i + 1}": p for i, p in enumerate(config.similarity)}}) as run:
        model = Word2Vec(model=config.model, dim=config.dim, window=config.window, negative=config.negative,
                         sample=config.sample, min_count=config.min_count, alpha=config.alpha,
                         min_alpha=config.min_alpha, epochs=config.epochs, workers=config.workers, seed=config.seed)
        corpus = data_parallel.read_word2vec_corpus(config.corpus, config.min_count)  # this rank's shard under mpiexec
        model.build(corpus)
        raw_words, sentences = (int(n) for n in data_parallel.sum_over_ranks(corpus.raw_words, corpus.sentences))
        print(f"corpus: {plural(raw_words, 'word')}, {plural(sentences, 'sentence')}, vocabulary "
              f"{plural(len(corpus.words), 'word')} (min count {config.min_count}), {config.workers} "
              f"{'worker' if config.workers == 1 else 'workers'}", flush=True)
        result = run.train(Word2VecTask(config, model, corpus, raw_words, sentences), config)
    return result
