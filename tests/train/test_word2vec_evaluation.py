"""`evaluate_vectors`, behind `fastgrad eval-vectors` and word2vec's test scores: one result per file given."""
import numpy as np

from fastgrad.data.vectors import WordVectors
from fastgrad.train.word2vec import evaluate_vectors


def test_similarity_files_of_the_same_name_each_keep_their_result(tmp_path, capsys):
    words = ["love", "sex", "tiger", "cat", "book", "paper"]
    vectors = WordVectors(words, np.random.default_rng(0).normal(size=(len(words), 4)))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second, other = tmp_path / "a" / "pairs.tsv", tmp_path / "b" / "pairs.tsv", tmp_path / "other.tsv"
    first.write_text("love\tsex\t6.77\ntiger\tcat\t7.35\nbook\tpaper\t7.46\n", encoding="utf-8")
    second.write_text("love\tsex\t1\ntiger\tcat\t2\n", encoding="utf-8")
    other.write_text("love\tcat\t1\ntiger\tbook\t2\n", encoding="utf-8")
    result = evaluate_vectors(vectors, None, [first, second, other])
    assert {key: value["pairs"] for key, value in result.items()} == {
        f"similarity:{first}": 3, f"similarity:{second}": 2, "similarity:other.tsv": 2}
    printed = capsys.readouterr().out
    assert f"similarity {first}: " in printed and f"similarity {second}: " in printed
    assert "similarity other.tsv: " in printed
