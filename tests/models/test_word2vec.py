"""Word2vec: corpus encoding, training behaviour on planted structure, argument checks, autodiff equivalence."""
import gzip
import json
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastgrad.data.vectors import WordVectors
from fastgrad.models import word2vec as w2v
from fastgrad.models.word2vec import Corpus, Word2Vec, corpus_from_sentences, read_corpus

TEXT = "the cat sat on the mat\nthe dog sat\n\n  a cat and a dog  \nthe end"


def write(tmp_path, name, text):
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def decode(corpus: Corpus) -> list[list[str]]:
    starts = corpus.sentence_starts
    return [[corpus.words[i] if i >= 0 else None for i in corpus.ids[a:b]] for a, b in zip(starts[:-1], starts[1:])]


# --- corpus encoding ---------------------------------------------------------------------------------------

def test_read_corpus_vocabulary_ids_and_sentences(tmp_path):
    corpus = read_corpus(write(tmp_path, "c.txt", TEXT), min_count=2)
    # Counts: the 4, cat 2, sat 2, a 2, dog 2; ties in alphabetical order; the rest below min_count.
    assert corpus.words == ["the", "a", "cat", "dog", "sat"]
    assert corpus.counts.tolist() == [4, 2, 2, 2, 2]
    assert corpus.raw_words == 16 and corpus.sentences == 4
    assert decode(corpus) == [["the", "cat", "sat", None, "the", None], ["the", "dog", "sat"],
                              ["a", "cat", None, "a", "dog"], ["the", None]]
    assert corpus.ids.dtype == np.int32 and corpus.sentence_starts.dtype == np.int64


def test_gzip_and_small_blocks_give_the_same_corpus(tmp_path, monkeypatch):
    plain = read_corpus(write(tmp_path, "c.txt", TEXT), min_count=1)
    monkeypatch.setattr(w2v, "_READ_BLOCK_BYTES", 3)  # words and lines cut by block edges
    for name in ("c.txt", "c.txt.gz"):
        other = read_corpus(write(tmp_path, name, TEXT), min_count=1)
        assert other.words == plain.words
        assert np.array_equal(other.ids, plain.ids)
        assert np.array_equal(other.sentence_starts, plain.sentence_starts)


@settings(max_examples=15, deadline=None)
@given(words=st.lists(st.sampled_from(["a", "bb", "ccc", "é", "日本", "x\ny", "z\t"]), max_size=30),
       shards=st.integers(1, 5), block=st.integers(1, 7), gz=st.booleans())
def test_byte_range_shards_hold_every_word_once(tmp_path_factory, words, shards, block, gz):
    text = " ".join(words) + ("\n" if len(words) % 2 else "")
    path = write(tmp_path_factory.mktemp("shards"), "c.txt.gz" if gz else "c.txt", text)
    size = w2v.text_size(path)
    assert size == len(text.encode("utf-8"))
    original, w2v._READ_BLOCK_BYTES = w2v._READ_BLOCK_BYTES, block  # ranges cut inside words and characters
    try:
        sharded = []
        for rank in range(shards):
            encoder = w2v._CorpusEncoder(1000)
            w2v.encode_text(encoder, path, (size * rank // shards, size * (rank + 1) // shards))
            corpus = encoder.finish(1)
            sharded += [corpus.words[i] for i in corpus.ids]
    finally:
        w2v._READ_BLOCK_BYTES = original
    assert sharded == text.split()


def test_a_shard_takes_the_vocabulary_of_the_whole_text():
    encoder = w2v._CorpusEncoder(100)
    encoder.add("b a b c".split())
    assert encoder.word_counts() == (["b", "a", "c"], pytest.approx(np.array([2, 1, 1])))
    corpus = encoder.finish(min_count=3, total_counts={"a": 5, "b": 3, "z": 4, "c": 1})
    assert corpus.words == ["a", "z", "b"] and corpus.counts.tolist() == [5, 4, 3]
    assert corpus.ids.tolist() == [2, 0, 2, -1]


def test_spans_cover_each_epoch_once_and_call_back_between_them():
    corpus = corpus_from_sentences([["a", "b", "c"]] * 40, min_count=1)
    model = Word2Vec(dim=8, min_count=1, epochs=2, seed=0)
    model.build(corpus)
    calls = []
    stats = model.train(corpus, spans_per_epoch=3, span_end=lambda: calls.append(1))
    assert len(calls) == 6 and stats.raw_words == 2 * 120


def test_long_lines_are_cut_into_sentences(tmp_path, monkeypatch):
    monkeypatch.setattr(w2v, "_READ_BLOCK_BYTES", 5)
    text = " " + " ".join(f"w{i % 7}" for i in range(23))  # one line without newline, like text8
    corpus = read_corpus(write(tmp_path, "one_line.txt", text), min_count=1, max_sentence_length=10)
    assert corpus.sentence_starts.tolist() == [0, 10, 20, 23]
    assert [w for sentence in decode(corpus) for w in sentence] == text.split()


def test_corpus_from_sentences_matches_read_corpus(tmp_path):
    from_file = read_corpus(write(tmp_path, "c.txt", TEXT), min_count=2)
    in_memory = corpus_from_sentences([line.split() for line in TEXT.split("\n")], min_count=2)
    assert in_memory.words == from_file.words
    assert np.array_equal(in_memory.ids, from_file.ids)
    assert np.array_equal(in_memory.sentence_starts, from_file.sentence_starts)
    with pytest.raises(TypeError, match="got a str"):
        corpus_from_sentences(["not split"])


def test_corpus_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        read_corpus(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="min_count must be at least 1"):
        read_corpus(write(tmp_path, "c.txt", TEXT), min_count=0)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf\xe9 ok\n")
    with pytest.raises(ValueError, match="latin1.txt: not UTF-8"):
        read_corpus(bad)


# --- training ----------------------------------------------------------------------------------------------

def topic_corpus(rng, topics=2, words_per_topic=8, sentences=1500, length=12):
    """Each sentence draws all its words from one topic: words of a topic share their contexts."""
    vocab = [[f"t{t}w{i}" for i in range(words_per_topic)] for t in range(topics)]
    text = [list(rng.choice(vocab[rng.integers(topics)], size=length)) for _ in range(sentences)]
    return corpus_from_sentences(text, min_count=1), vocab


def topic_purity(vectors, vocab, topn=3):
    """Share of each word's top-n neighbours that belong to its topic."""
    hits = total = 0
    for topic in vocab:
        for word in topic:
            neighbours = [w for w, _ in vectors.most_similar(word, topn=topn)]
            hits += sum(n in topic for n in neighbours)
            total += topn
    return hits / total


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_recovers_planted_topics(rng, model):
    corpus, vocab = topic_corpus(rng)
    trained = Word2Vec(model=model, dim=16, window=3, negative=4, sample=0, min_count=1, epochs=3, alpha=0.05, seed=3)
    trained.build(corpus)
    untrained_purity = topic_purity(trained.vectors, vocab)
    trained.train(corpus)
    assert untrained_purity < 0.8
    assert topic_purity(trained.vectors, vocab) >= 0.95


def test_skipgram_learns_planted_successor_pairs(rng):
    """Word a_i is always followed by b_i: a_i's input vector scores b_i highest among output vectors."""
    pairs = 10
    text = []
    for _ in range(3000):
        i = rng.integers(pairs)
        filler = list(rng.choice([f"f{j}" for j in range(20)], size=4))
        text.append(filler[:2] + [f"a{i}", f"b{i}"] + filler[2:])
    corpus = corpus_from_sentences(text, min_count=1)
    model = Word2Vec(model="sg", dim=24, window=1, negative=5, sample=0, min_count=1, epochs=3, alpha=0.05, seed=1)
    model.build(corpus)
    model.train(corpus)
    index = {w: i for i, w in enumerate(model.words)}
    b_ids = [index[f"b{i}"] for i in range(pairs)]
    for i in range(pairs):
        scores = model.output_vectors[b_ids] @ model.input_vectors[index[f"a{i}"]]
        assert int(np.argmax(scores)) == i


def test_one_worker_is_deterministic_and_two_workers_train(rng):
    corpus, vocab = topic_corpus(rng, sentences=600)
    runs = []
    for workers in (1, 1, 2):
        model = Word2Vec(model="sg", dim=8, window=2, negative=3, min_count=1, epochs=2, workers=workers, seed=5)
        model.build(corpus)
        stats = model.train(corpus)
        runs.append(model.input_vectors.copy())
        assert stats.raw_words == 2 * corpus.raw_words
        assert 0 < stats.effective_words <= stats.raw_words
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_training_seconds_count_the_tables_built_before_the_first_epoch(rng, monkeypatch):
    """The seconds (and so the effective words/s printed each epoch) are the whole call's, as gensim's epoch
    time is: they left out the subsampling and noise tables, so on a small corpus the effective rate came
    out above the raw words/s of the same epoch."""
    corpus, _ = topic_corpus(rng, sentences=50)
    model = Word2Vec(model="sg", dim=4, window=2, negative=2, min_count=1, epochs=1, workers=1, seed=0)
    model.build(corpus)
    build_table = w2v.kernels.unigram_alias_table

    def slow_table(counts):
        time.sleep(0.2)
        return build_table(counts)

    monkeypatch.setattr(w2v.kernels, "unigram_alias_table", slow_table)
    assert model.train(corpus).seconds >= 0.2


def test_progress_and_epoch_callbacks(rng):
    corpus, _ = topic_corpus(rng, sentences=200)
    model = Word2Vec(dim=8, min_count=1, epochs=3, workers=2, alpha=0.03, min_alpha=0.001)
    model.build(corpus)
    seen, alphas, epochs = [], [], []
    model.train(corpus, progress=lambda words, alpha: (seen.append(words), alphas.append(alpha)),
                epoch_end=lambda epoch, stats: epochs.append((epoch, stats.raw_words)))
    assert sum(seen) == 3 * corpus.raw_words
    assert alphas == sorted(alphas, reverse=True) and alphas[-1] == pytest.approx(0.001)
    assert epochs == [(0, corpus.raw_words), (1, 2 * corpus.raw_words), (2, 3 * corpus.raw_words)]


@pytest.mark.parametrize("kwargs, message", [
    ({"model": "glove"}, "model must be 'sg' or 'cbow'"),
    ({"dim": 0}, "dim must be an integer >= 1"),
    ({"window": 2.5}, "window must be an integer"),
    ({"workers": 0}, "workers must be an integer >= 1"),
    ({"sample": 1.0}, "sample must be in"),
    ({"alpha": 0.01, "min_alpha": 0.1}, "min_alpha <= alpha"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Word2Vec(**kwargs)


def test_train_checks_the_corpus_before_any_kernel(rng):
    corpus, _ = topic_corpus(rng, sentences=20)
    model = Word2Vec(dim=4, min_count=1)
    with pytest.raises(RuntimeError, match="call build"):
        model.train(corpus)
    model.build(corpus)
    bad = Corpus(corpus.words, corpus.counts, corpus.ids.copy(), corpus.sentence_starts)
    bad.ids[5] = len(corpus.words)
    with pytest.raises(IndexError, match=f"word id {len(corpus.words)} out of range for a vocabulary of {len(corpus.words)}"):
        model.train(bad)
    bad.ids[5] = -2
    with pytest.raises(IndexError, match="word id -2"):
        model.train(bad)
    shifted = Corpus(corpus.words, corpus.counts, corpus.ids, corpus.sentence_starts + 1)
    with pytest.raises(ValueError, match="must rise from 0"):
        model.train(shifted)
    with pytest.raises(ValueError, match="vocabulary is empty"):
        Word2Vec(min_count=5).build(corpus_from_sentences([["rare"]], min_count=5))


# --- the same model through the autodiff engine ---------------------------------------------------------------

def test_kernel_step_equals_autodiff_sgd_step(rng):
    """One batch of (context, target, negatives) triples with no shared rows: the kernel's update equals
    one SGD step on embedding lookups + dot products + binary cross-entropy with logits (summed)."""
    fastgrad = pytest.importorskip("fastgrad")
    nn = pytest.importorskip("fastgrad.nn")
    optim = pytest.importorskip("fastgrad.optim")
    if not hasattr(optim, "SGD"):
        pytest.skip("fastgrad.optim.SGD is not there yet")
    vocab, dim, alpha = 40, 6, 0.1
    ids = rng.permutation(vocab)
    contexts, targets, negatives = ids[:4], ids[4:8], ids[8:20].reshape(4, 3)
    inp = rng.standard_normal((vocab, dim)).astype(np.float32) * 0.5
    out = rng.standard_normal((vocab, dim)).astype(np.float32) * 0.5

    model = w2v.SkipGramNegativeSampling(vocab, dim)
    model.load_weights(inp, out)
    sgd = optim.SGD(model.parameters(), lr=alpha)
    sgd.zero_grad()
    loss = model(fastgrad.tensor(contexts), fastgrad.tensor(targets), fastgrad.tensor(negatives))
    loss.backward()
    sgd.step()

    inp_k, out_k = inp.copy(), out.copy()
    w2v.train_skipgram_pairs(inp_k, out_k, contexts, targets, negatives, alpha)
    np.testing.assert_allclose(model.input.weight.detach().numpy(), inp_k, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.output.weight.detach().numpy(), out_k, rtol=1e-5, atol=1e-6)
    assert not np.allclose(inp_k, inp)


def test_train_skipgram_pairs_checks_indices():
    inp = np.zeros((5, 2), dtype=np.float32)
    with pytest.raises(IndexError, match="negatives id 5 out of range for 5 words"):
        w2v.train_skipgram_pairs(inp, inp.copy(), np.array([0]), np.array([1]), np.array([[5]]), 0.1)
    with pytest.raises(ValueError, match="negatives must have shape"):
        w2v.train_skipgram_pairs(inp, inp.copy(), np.array([0]), np.array([1]), np.array([1, 2]), 0.1)


@pytest.mark.data
@pytest.mark.slow
def test_ptb_corpus_counts_and_a_short_training_run(data_dir):
    corpus = read_corpus(data_dir / "ptb" / "ptb.train.txt.gz", min_count=1)
    assert corpus.raw_words == 887_521  # published PTB train token count (no <eos>)
    assert len(corpus.words) == 9_999 and corpus.sentences == 42_068
    model = Word2Vec(model="sg", dim=32, min_count=1, epochs=1, workers=2, seed=0)
    model.build(corpus)
    model.train(corpus)
    vectors = model.vectors
    # One epoch already puts weekdays near weekdays and months near months.
    weekdays = {"tuesday", "wednesday", "thursday", "friday"}
    months = {"january", "february", "march", "april", "may", "july", "august", "september", "october",
              "november", "december", "sept.", "aug.", "oct.", "nov.", "dec.", "jan.", "feb."}
    assert len(weekdays & {w for w, _ in vectors.most_similar("monday", topn=10)}) >= 2
    assert len(months & {w for w, _ in vectors.most_similar("june", topn=10)}) >= 3


# --- command line ----------------------------------------------------------------------------------------------

def test_cli_train_eval_similar(tmp_path, rng, capsys):
    from fastgrad.cli import main
    from fastgrad.train.directory import model_files

    _, vocab = topic_corpus(rng)
    text = "\n".join(" ".join(rng.choice(vocab[rng.integers(2)], size=12)) for _ in range(800))
    corpus_path = write(tmp_path, "corpus.txt.gz", text)
    questions = tmp_path / "q.txt"
    questions.write_text(": topics\nt0w0 t0w1 t1w0 t1w1\n: gram-none\nt0w0 t0w1 t1w0 absent\n", encoding="utf-8")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("t0w0\tt0w1\t9\nt0w0\tt1w0\t1\nt1w2\tt1w3\t8\nt1w2\tt0w5\t2\n", encoding="utf-8")
    out = tmp_path / "run"
    assert main(["train", "word2vec", "--corpus", str(corpus_path), "--model", "cbow", "--dim", "12", "--min-count", "1",
                 "--epochs", "2", "--workers", "2", "--alpha", "0.05", "--text", "--out", str(out),
                 "--analogies", str(questions), "--similarity", str(pairs)]) == 0
    files = model_files(out)
    config = json.loads((files / "config.json").read_text())
    assert config["kind"] == "word2vec" and config["model"]["model"] == "cbow"
    assert config["corpus"]["raw_words"] == 800 * 12
    records = [json.loads(line) for line in (files / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records[:2]] == [1, 2]
    assert records[2]["test_analogies:oov_questions"] == 1
    assert records[2]["test_similarity:pairs.tsv:pairs"] == 4
    binary, text_vectors = WordVectors.load(files / "vectors.bin"), WordVectors.load(files / "vectors.txt")
    assert binary.words == text_vectors.words and len(binary.words) == 16
    capsys.readouterr()

    assert main(["similar", str(out), "t0w3", "--topn", "3"]) == 0
    neighbours = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert len(neighbours) == 3 and all(w.startswith("t0") for w in neighbours)

    assert main(["eval-vectors", str(files / "vectors.txt"), "--similarity", str(pairs)]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert result["similarity:pairs.tsv"]["spearman"] == pytest.approx(records[2]["test_similarity:pairs.tsv:spearman"],
                                                                       abs=1e-4)

    assert main(["eval", str(out), str(questions)]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["analogies"]["asked"] == 1


def test_fit_reads_builds_and_trains(tmp_path, rng):
    _, vocab = topic_corpus(rng)
    text = "\n".join(" ".join(rng.choice(vocab[rng.integers(2)], size=10)) for _ in range(300))
    model = Word2Vec(dim=8, min_count=1, epochs=1, seed=2)
    stats = model.fit(write(tmp_path, "c.txt", text))
    assert stats.raw_words == 3000 and len(model.words) == 16
    assert model.vectors.vectors is model.input_vectors
