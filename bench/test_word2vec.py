"""Word2vec training speed: fastgrad's kernels against gensim's Word2Vec, same words, same settings.

    python -m pytest bench/test_word2vec.py --benchmark-group-by=group --benchmark-columns=min,mean,max

Corpus: the first 2,000,000 words of `w2v-corpus/wiki2015-text8.gz` (text8 layout: one line, cut into
10,000-word sentences by both engines). One epoch, dim 100, window 5, negative 5, sample 1e-3,
min_count 5, alpha 0.025 -> 0.0001, the same `WORKERS` threads for both. Only `train` is timed
(vocabulary and weights are set up outside the timer). Both engines see every raw word once per
round, so the time ratio in a group is the words/s ratio; `extra_info` has raw and effective words/s
(gensim's log reports effective words/s: words left after dropping rare and subsampled ones).
gensim is optional: its benchmarks skip when it is not installed.
"""
import gzip

import pytest

from fastgrad.data.paths import data_dir
from fastgrad.models.word2vec import Word2Vec, read_corpus

PREFIX_WORDS = 2_000_000
WORKERS = 2
ROUNDS = 3
SETTINGS = dict(dim=100, window=5, negative=5, sample=1e-3, min_count=5, alpha=0.025, min_alpha=0.0001, epochs=1)


@pytest.fixture(scope="module")
def prefix_file(tmp_path_factory):
    source = data_dir() / "w2v-corpus" / "wiki2015-text8.gz"
    if not source.is_file():
        pytest.skip(f"{source} not found (set FASTGRAD_DATA)")
    with gzip.open(source, "rt", encoding="ascii") as f:
        text = f.read(8 * PREFIX_WORDS)  # about 6 characters per word
    words = text[:text.rfind(" ")].split()[:PREFIX_WORDS]  # drop the word the read may have cut
    assert len(words) == PREFIX_WORDS
    path = tmp_path_factory.mktemp("w2v") / "prefix.txt"
    path.write_text(" ".join(words), encoding="ascii")
    return path


@pytest.fixture(scope="module")
def corpus(prefix_file):
    return read_corpus(prefix_file, min_count=SETTINGS["min_count"])


def record(benchmark, raw_words: int, effective_words: int) -> None:
    seconds = benchmark.stats.stats.min
    benchmark.extra_info["raw_words"] = raw_words
    benchmark.extra_info["raw_words_per_second"] = round(raw_words / seconds)
    benchmark.extra_info["effective_words_per_second"] = round(effective_words / seconds)
    benchmark.extra_info["workers"] = WORKERS


def train_fastgrad(benchmark, corpus, model: str) -> tuple[int, int]:
    def setup():
        trainer = Word2Vec(model=model, workers=WORKERS, seed=1, **SETTINGS)
        trainer.build(corpus)
        return (trainer,), {}

    stats = benchmark.pedantic(lambda trainer: trainer.train(corpus), setup=setup, rounds=ROUNDS)
    return stats.raw_words, stats.effective_words


def train_gensim(benchmark, prefix_file, model: str) -> tuple[int, int]:
    gensim_word2vec = pytest.importorskip("gensim.models.word2vec")
    sentences = list(gensim_word2vec.LineSentence(str(prefix_file)))  # 10,000-word sentences, in memory

    def setup():
        trainer = gensim_word2vec.Word2Vec(vector_size=SETTINGS["dim"], window=SETTINGS["window"],
                                           negative=SETTINGS["negative"], hs=0, sample=SETTINGS["sample"],
                                           min_count=SETTINGS["min_count"], alpha=SETTINGS["alpha"],
                                           min_alpha=SETTINGS["min_alpha"], sg=int(model == "sg"),
                                           workers=WORKERS, seed=1)
        trainer.build_vocab(sentences)
        return (trainer,), {}

    effective, raw = benchmark.pedantic(
        lambda trainer: trainer.train(sentences, total_examples=len(sentences), epochs=1), setup=setup, rounds=ROUNDS)
    return raw, effective


# Model outermost, so the two engines of a group run back to back (the machine's load drifts).
@pytest.mark.parametrize("model, engine", [("sg", "fastgrad"), ("sg", "gensim"), ("cbow", "fastgrad"), ("cbow", "gensim")])
def test_word2vec_training(benchmark, prefix_file, corpus, model, engine):
    benchmark.group = f"word2vec-{model}-{WORKERS}workers"
    if engine == "fastgrad":
        raw, effective = train_fastgrad(benchmark, corpus, model)
    else:
        raw, effective = train_gensim(benchmark, prefix_file, model)
    assert raw == PREFIX_WORDS
    record(benchmark, raw, effective)
