"""Word vectors: word2vec text/binary and GloVe formats, gensim interop, neighbours, load_into."""

import numpy as np
import pytest

from fastgrad.data.vectors import WordVectors, iter_vectors, load_into, vector_file_dim


@pytest.fixture
def vectors(rng):
    words = ["the", "King", "queen", "naïve", "x"]
    return WordVectors(words, rng.standard_normal((5, 7)).astype(np.float32))


@pytest.mark.parametrize("name, binary", [("v.bin", None), ("v.txt", None), ("v.bin.gz", None), ("v.txt.gz", None),
                                          ("v.vec", True)])
def test_round_trip(tmp_path, vectors, name, binary):
    path = tmp_path / name
    vectors.save(path, binary=binary)
    loaded = WordVectors.load(path, binary=binary)
    assert loaded.words == vectors.words
    assert loaded.vectors.dtype == np.float32
    is_binary = binary if binary is not None else ".bin" in name
    if is_binary:
        assert np.array_equal(loaded.vectors, vectors.vectors)
    else:
        np.testing.assert_allclose(loaded.vectors, vectors.vectors, rtol=1e-5)
    assert not list(tmp_path.glob(".*tmp*")), "the temporary file must be renamed into place"


def test_binary_layout_is_word2vec_c(tmp_path):
    vectors = WordVectors(["ab", "c"], np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32))
    path = tmp_path / "v.bin"
    vectors.save(path)
    expected = (b"2 2\n" + b"ab " + np.array([1.0, -2.0], "<f4").tobytes() + b"\n"
                + b"c " + np.array([0.5, 3.0], "<f4").tobytes() + b"\n")
    assert path.read_bytes() == expected


def test_reads_binary_without_newlines_as_gensim_writes(tmp_path):
    data = b"2 2\n" + b"ab " + np.array([1, 2], "<f4").tobytes() + b"c " + np.array([3, 4], "<f4").tobytes()
    (tmp_path / "g.bin").write_bytes(data)
    loaded = WordVectors.load(tmp_path / "g.bin")
    assert loaded.words == ["ab", "c"]
    assert loaded.vectors.tolist() == [[1, 2], [3, 4]]


def test_reads_glove_text_without_header(tmp_path):
    (tmp_path / "glove.txt").write_text("the 0.1 0.2 0.3\ncat -1 0 1.5\n", encoding="utf-8")
    loaded = WordVectors.load(tmp_path / "glove.txt")
    assert loaded.words == ["the", "cat"]
    np.testing.assert_allclose(loaded.vectors, [[0.1, 0.2, 0.3], [-1, 0, 1.5]])
    assert vector_file_dim(tmp_path / "glove.txt") == 3


def test_limit_reads_the_first_words(tmp_path, vectors):
    vectors.save(tmp_path / "v.txt")
    assert WordVectors.load(tmp_path / "v.txt", limit=2).words == ["the", "King"]


@pytest.mark.parametrize("content, message", [
    (b"2 3\nthe 1 2 3\ncat 1 2\n", r"bad.txt:3: expected a word and 3 values, got 2"),
    (b"2 3\nthe 1 2 3\ncat 1 two 3\n", r"bad.txt:3: non-numeric value in the vector of 'cat'"),
    (b"3 3\nthe 1 2 3\ncat 1 2 3\n", r"header says 3 vectors, the file has 2"),
    (b"the 1 2 3\ncat 1 2 3 4\n", r"bad.txt:2: expected a word and 3 values, got 4"),
    (b"2 3\nthe 1 2 3\n\xff\xfe 1 2 3\n", r"bad.txt:3: not UTF-8"),
    # tab-separated values: the tabs are named, not the value count they hide
    (b"2 3\nthe\t1\t2\t3\ncat\t1\t2\t3\n", r"bad.txt:2: expected a word and 3 values separated by spaces, "
                                           r"but the line holds tabs"),
    (b"the\t1\t2\t3\n", r"bad.txt:1: expected a word and at least one value separated by spaces, but the line "
                        r"holds tabs"),
])
def test_malformed_text_names_file_and_line(tmp_path, content, message):
    (tmp_path / "bad.txt").write_bytes(content)
    with pytest.raises(ValueError, match=message):
        WordVectors.load(tmp_path / "bad.txt")


def test_malformed_binary(tmp_path):
    good = b"2 2\n" + b"ab " + np.array([1, 2], "<f4").tobytes() + b"\n"
    (tmp_path / "short.bin").write_bytes(good + b"c " + b"\x00" * 5)
    with pytest.raises(ValueError, match=r"short.bin: record 2 \('c'\) ends after 5 of 8 vector bytes"):
        WordVectors.load(tmp_path / "short.bin")
    (tmp_path / "noword.bin").write_bytes(good)
    with pytest.raises(ValueError, match="record 2: file ends inside a word"):
        WordVectors.load(tmp_path / "noword.bin")
    (tmp_path / "noheader.bin").write_bytes(b"ab " + np.array([1, 2], "<f4").tobytes())
    with pytest.raises(ValueError, match=r"noheader.bin:1: expected a word2vec header"):
        WordVectors.load(tmp_path / "noheader.bin")
    (tmp_path / "extra.bin").write_bytes(b"1 2\n" + b"ab " + np.array([1, 2], "<f4").tobytes() + b"\nzz ")
    with pytest.raises(ValueError, match="more data after the 1 vectors"):
        WordVectors.load(tmp_path / "extra.bin")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.bin"):
        WordVectors.load(tmp_path / "nothing.bin")


def test_save_rejects_words_with_whitespace(tmp_path):
    with pytest.raises(ValueError, match="cannot save word 'new york'"):
        WordVectors(["new york"], np.ones((1, 2), np.float32)).save(tmp_path / "v.txt")


def test_constructor_checks_shape_and_duplicates():
    with pytest.raises(ValueError, match=r"shape \(2, dim\), got \(3, 4\)"):
        WordVectors(["a", "b"], np.zeros((3, 4)))
    with pytest.raises(ValueError, match="duplicate"):
        WordVectors(["a", "a"], np.zeros((2, 4)))


# --- queries -------------------------------------------------------------------------------------------------

@pytest.fixture
def planar():
    # man/woman/king/queen on a plane: king - man + woman = queen exactly.
    words = ["man", "woman", "king", "queen", "apple"]
    vectors = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 1, 1], [-1, -1, 0.2]], dtype=np.float32)
    return WordVectors(words, vectors)


def test_most_similar_and_similarity(planar):
    assert planar.similarity("king", "queen") == pytest.approx(0.5)
    result = planar.most_similar("king", topn=2)
    assert [w for w, _ in result] == ["man", "queen"]
    assert result[0][1] == pytest.approx(1 / np.sqrt(2))
    assert [w for w, _ in planar.most_similar("king", topn=10)] == ["man", "queen", "woman", "apple"]
    assert [w for w, _ in planar.most_similar("king", topn=10, restrict_vocab=2)] == ["man", "woman"]


def test_analogy_excludes_the_question_words(planar):
    assert planar.analogy("man", "king", "woman")[0][0] == "queen"
    # b - a + c is closest to the question words themselves here; they must not be answered.
    assert all(w not in ("man", "woman", "king") for w, _ in planar.analogy("man", "king", "woman", topn=5))


def test_unknown_word(planar):
    with pytest.raises(KeyError, match="'prince' not in the vocabulary"):
        planar.most_similar("prince")
    with pytest.raises(ValueError, match="topn must be at least 1"):
        planar.most_similar("king", topn=0)


# --- load_into -----------------------------------------------------------------------------------------------

def test_load_into_copies_known_rows_and_reports_coverage(tmp_path, vectors):
    vectors.save(tmp_path / "v.bin")
    itos = ["<pad>", "the", "king", "Queen", "zebra"]
    weight = np.full((5, 7), 9.0, dtype=np.float32)
    coverage = load_into(weight, itos, tmp_path / "v.bin")
    assert (coverage.found, coverage.total, coverage.missing) == (2, 5, ["<pad>", "king", "zebra"])
    assert coverage.fraction == pytest.approx(0.4)
    assert np.array_equal(weight[1], vectors["the"])
    assert np.array_equal(weight[3], vectors["queen"])  # lowercase fallback
    assert np.all(weight[[0, 2, 4]] == 9.0)  # the fallback lowercases the vocabulary word, not the file's "King"


def test_load_into_prefers_the_exact_spelling(tmp_path):
    (tmp_path / "g.txt").write_text("apple 1 1\nApple 2 2\n", encoding="utf-8")
    weight = np.zeros((2, 2), dtype=np.float32)
    load_into(weight, ["Apple", "APPLE"], tmp_path / "g.txt")
    assert weight.tolist() == [[2, 2], [1, 1]]
    weight[:] = 0
    assert load_into(weight, ["Apple", "APPLE"], tmp_path / "g.txt", lowercase_fallback=False).found == 1


def test_load_into_with_a_key_reads_file_words_as_the_model_looks_words_up(tmp_path):
    """The NER vocabulary holds lower-cased words with digits as 0: "Paris", "John" and "1999" in the file
    fill the rows "paris", "john" and "0000", the first spelling of a key winning (frequent words come first)."""
    from fastgrad.models.window_ner import normalize_word
    (tmp_path / "g.txt").write_text("Paris 1 1\nparis 2 2\nJohn 3 3\n1999 4 4\n2024 5 5\n", encoding="utf-8")
    weight = np.zeros((4, 2), dtype=np.float32)
    coverage = load_into(weight, ["paris", "john", "0000", "rome"], tmp_path / "g.txt", key=normalize_word)
    assert weight.tolist() == [[1, 1], [3, 3], [4, 4], [0, 0]] and coverage.missing == ["rome"]


def test_load_into_errors(tmp_path, vectors):
    vectors.save(tmp_path / "v.txt")
    with pytest.raises(ValueError, match="v.txt: vectors have dimension 7, embedding_weight expects 5"):
        load_into(np.zeros((2, 5), np.float32), ["the", "x"], tmp_path / "v.txt")
    with pytest.raises(ValueError, match="embedding_weight has 3 rows but itos has 2 words"):
        load_into(np.zeros((3, 7), np.float32), ["the", "x"], tmp_path / "v.txt")
    with pytest.raises(FileNotFoundError, match="none.txt"):
        load_into(np.zeros((2, 7), np.float32), ["the", "x"], tmp_path / "none.txt")


def test_iter_vectors_wanted_checks_every_line(tmp_path):
    (tmp_path / "v.txt").write_text("2 2\na 1 2\nb 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="v.txt:3"):
        list(iter_vectors(tmp_path / "v.txt", wanted={"a"}))


# --- gensim interop (optional peer) ---------------------------------------------------------------------------

@pytest.mark.parametrize("binary", [True, False])
def test_gensim_reads_our_files(tmp_path, vectors, binary):
    gensim_models = pytest.importorskip("gensim.models")
    path = tmp_path / ("v.bin" if binary else "v.txt")
    vectors.save(path)
    kv = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert list(kv.index_to_key) == vectors.words
    np.testing.assert_allclose(kv.vectors, vectors.vectors, rtol=1e-5)


@pytest.mark.parametrize("binary", [True, False])
def test_we_read_gensim_files(tmp_path, vectors, binary):
    gensim_models = pytest.importorskip("gensim.models")
    kv = gensim_models.KeyedVectors(vector_size=vectors.dim)
    kv.add_vectors(vectors.words, vectors.vectors)
    path = tmp_path / ("g.bin" if binary else "g.txt")
    kv.save_word2vec_format(str(path), binary=binary)
    loaded = WordVectors.load(path)
    assert loaded.words == vectors.words
    np.testing.assert_allclose(loaded.vectors, vectors.vectors, rtol=1e-5)


def test_a_byte_order_mark_is_not_part_of_the_header_and_nan_values_are_refused(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes("\ufeff2 2\nthe 1 2\ncat 3 4\n".encode("utf-8"))
    assert [w for w, _ in iter_vectors(path)] == ["the", "cat"] and vector_file_dim(path) == 2
    path.write_text("the 1 2\ncat nan 4\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"v.txt:2: the vector of 'cat' holds NaN or infinite values"):
        list(iter_vectors(path))
