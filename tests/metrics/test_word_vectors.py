"""Analogy and word-similarity evaluation on hand-built vectors and files."""
import numpy as np
import pytest

from fastgrad.data.vectors import WordVectors
from fastgrad.metrics.word_vectors import (evaluate_analogies, evaluate_similarity, read_analogies, read_word_pairs,
                                           spearman)


@pytest.fixture
def table():
    """Two orthogonal 'offsets': gender (axis 1) and plural (axis 2), on top of a base direction per noun."""
    words = ["man", "woman", "king", "queen", "boy", "girl", "car", "cars", "dog", "dogs", "cat", "cats", "rare"]
    base = {"man": 3, "king": 4, "boy": 5, "car": 6, "dog": 7, "cat": 8}
    rows = []
    for w in words:
        v = np.zeros(12)
        if w == "rare":
            v[9] = 1
        else:
            stem = {"woman": "man", "queen": "king", "girl": "boy", "cars": "car", "dogs": "dog", "cats": "cat"}.get(w, w)
            v[base[stem]] = 1.0
            v[1] = 0.6 if w in ("woman", "queen", "girl") else 0.0
            v[2] = 0.6 if w in ("cars", "dogs", "cats") else 0.0
        rows.append(v)
    return WordVectors(words, np.array(rows, dtype=np.float32))


def write_questions(tmp_path, text):
    path = tmp_path / "questions.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_analogy_accuracy_sections_and_oov(tmp_path, table):
    questions = write_questions(tmp_path, """: family
Man Woman King Queen
king queen boy girl
man woman boy dog
man woman prince princess
: gram8-plural
car cars dog dogs
dog dogs cat cats
cat cats car rare
""")
    result = evaluate_analogies(table, questions, restrict_vocab=30000)
    family, plural = result.sections
    assert (family.name, family.correct, family.asked, family.questions) == ("family", 2, 3, 4)
    assert (plural.name, plural.correct, plural.asked, plural.questions) == ("gram8-plural", 2, 3, 3)
    assert family.semantic and not plural.semantic
    assert result.accuracy(semantic=True) == pytest.approx(2 / 3)
    assert result.accuracy(semantic=False) == pytest.approx(2 / 3)
    assert result.accuracy() == pytest.approx(4 / 6)
    assert result.oov_questions == 1
    assert result.summary()["asked"] == 6


def test_restrict_vocab_limits_questions_and_answers(tmp_path, table):
    questions = write_questions(tmp_path, ": family\nman woman king queen\nking queen boy girl\n")
    result = evaluate_analogies(table, questions, restrict_vocab=4)
    assert result.sections[0].asked == 1 and result.sections[0].correct == 1
    # Answers come only from the first 4 words too: with 3 of them excluded, the 4th is the only candidate.
    assert evaluate_analogies(table, questions, restrict_vocab=4).accuracy() == 1.0


def test_a_question_without_candidates_is_wrong_even_when_d_is_a_question_word(tmp_path):
    """restrict_vocab 3 leaves only a, b and c: no answer, so not a correct one (it was counted correct when d
    was the first word, the argmax of an all -inf row)."""
    vectors = WordVectors(["c", "f", "g", "x"], np.eye(4, dtype=np.float32))
    questions = write_questions(tmp_path, ": s\nc f g c\nf c g f\n")
    result = evaluate_analogies(vectors, questions, restrict_vocab=3)
    assert (result.sections[0].asked, result.sections[0].correct) == (2, 0)


def test_question_words_are_never_the_answer(tmp_path):
    # b - a + c points almost exactly at c; without the exclusion c would be answered.
    vectors = WordVectors(["a", "b", "c", "d"], np.array([[1, 0, 0], [1, 0.01, 0], [0, 1, 0], [0, 0.9, 0.5]], np.float32))
    questions = write_questions(tmp_path, ": s\na b c d\n")
    assert evaluate_analogies(vectors, questions).accuracy() == 1.0


def test_case_sensitive_lookup(tmp_path, table):
    questions = write_questions(tmp_path, ": family\nMan Woman King Queen\n")
    assert evaluate_analogies(table, questions, lowercase=False).oov_questions == 1


def test_other_spellings_are_excluded_and_accepted_as_gensim_does(tmp_path):
    """Case-insensitive: a spelling of a query word is never the answer, and a spelling of d is right.
    "Man" (rarer than "man") lies exactly at woman - man + king, so it would be answered without the
    exclusion of the spellings of a, b and c; next comes "Queen", a spelling of the answer."""
    words = ["man", "woman", "king", "queen", "Queen", "Man"]
    woman = np.array([1, 0.6, 0, 0]) / np.linalg.norm([1, 0.6, 0, 0])
    rows = np.array([[1, 0, 0, 0], woman, [0, 0, 1, 0], [0, 0.55, 1, 0.3], [0, 0.6, 1, 0],
                     woman - [1, 0, 0, 0] + [0, 0, 1, 0]], np.float32)
    vectors = WordVectors(words, rows)
    questions = write_questions(tmp_path, ": family\nman woman king queen\n")
    assert evaluate_analogies(vectors, questions).accuracy() == 1.0
    assert evaluate_analogies(vectors, questions, lowercase=False).accuracy() == 0.0  # "Man" answers


def test_spellings_are_joined_upper_cased_as_gensim_joins_them(tmp_path):
    """"Strasse" is "STRASSE" upper-cased, as is "straße", the most frequent spelling: its vector is the one
    looked up. Lower-cased, "strasse" matched only the rarer "STRASSE" and gave another rho."""
    words = ["straße", "weg", "platz", "STRASSE"]
    rows = np.array([[1, 0, 0], [0.9, 0.1, 0], [0.2, 1, 0], [0, 0.1, 1]], np.float32)
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("Strasse weg 9\nStrasse platz 1\nweg platz 2\n", encoding="utf-8")
    result = evaluate_similarity(WordVectors(words, rows), pairs)
    assert result.pairs == 3 and result.spearman == pytest.approx(1.0)
    questions = write_questions(tmp_path, ": s\nweg Strasse platz straße\nweg platz STRASSE Platz\n")
    assert evaluate_analogies(WordVectors(words, rows), questions).sections[0].asked == 2


def test_a_group_without_questions_has_no_accuracy(tmp_path, table):
    """Only semantic questions: the syntactic accuracy is undefined, not 0%."""
    result = evaluate_analogies(table, write_questions(tmp_path, ": family\nman woman king queen\n"))
    assert np.isnan(result.accuracy(semantic=False))
    assert result.summary()["syntactic_accuracy"] is None and result.summary()["semantic_accuracy"] == 1.0


def test_read_analogies_errors(tmp_path):
    with pytest.raises(ValueError, match=r"questions.txt:2: expected 4 words"):
        read_analogies(write_questions(tmp_path, ": s\na b c\n"))
    with pytest.raises(ValueError, match=r"questions.txt:1: question before the first"):
        read_analogies(write_questions(tmp_path, "a b c d\n"))
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        read_analogies(tmp_path / "nope.txt")


def test_spearman_hand_values():
    assert spearman(np.array([1, 2, 3, 4]), np.array([1, 3, 2, 4])) == pytest.approx(0.8)
    assert spearman(np.array([1, 2, 3]), np.array([3, 2, 1])) == pytest.approx(-1.0)
    # Ties share their mean rank: x ranks (1.5, 1.5, 3), y ranks (1, 2, 3) -> r = 0.8660...
    assert spearman(np.array([5, 5, 7]), np.array([1, 2, 3])) == pytest.approx(np.sqrt(3) / 2)
    with pytest.raises(ValueError, match="same length"):
        spearman(np.array([1, 2]), np.array([1, 2, 3]))


def test_spearman_matches_scipy(rng):
    stats = pytest.importorskip("scipy.stats")
    x = rng.integers(0, 10, size=200).astype(float)  # many ties
    y = x + rng.normal(0, 3, size=200)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)


def test_similarity_rho_and_oov(tmp_path, table):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# header\n# Word 1\tWord 2\tHuman\nman\twoman\t8\nking\tqueen\t7.5\nman\tcar\t1\n"
                     "dog\tunicorn\t5\ncar\tcars\t9\n", encoding="utf-8")
    result = evaluate_similarity(table, pairs)
    assert (result.pairs, result.oov_pairs) == (4, 1)
    cosines = [table.similarity(a, b) for a, b in [("man", "woman"), ("king", "queen"), ("man", "car"), ("car", "cars")]]
    assert result.spearman == pytest.approx(spearman(np.array([8, 7.5, 1, 9]), np.array(cosines)))


def test_read_word_pairs_errors(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\t1\nc\td\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:2: expected 'word1 word2 score'"):
        read_word_pairs(bad)
    bad.write_text("a\tb\thigh\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:1: score 'high' is not a number"):
        read_word_pairs(bad)


@pytest.mark.data
def test_real_evaluation_files_parse(data_dir):
    sections = read_analogies(data_dir / "word2vec-eval" / "questions-words.txt")
    assert len(sections) == 14 and sum(len(q) for _, q in sections) == 19_544
    assert sum(len(q) for name, q in sections if not name.startswith("gram")) == 8_869
    assert len(read_word_pairs(data_dir / "word2vec-eval" / "wordsim353.tsv")) == 353
    assert len(read_word_pairs(data_dir / "word2vec-eval" / "simlex999.txt")) == 999
