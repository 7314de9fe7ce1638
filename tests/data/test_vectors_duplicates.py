"""A vector file that lists a word twice is refused with the file, the word and both entries."""
import pytest

from fastgrad.data.vectors import WordVectors


@pytest.mark.parametrize("name, content", [
    ("dup.txt", b"3 2\nking 1 2\nqueen 3 4\nking 5 6\n"),
    ("dup.glove", b"king 1 2\nqueen 3 4\nking 5 6\n"),
    ("dup.bin", b"3 2\nking " + bytes(8) + b"\nqueen " + bytes(8) + b"\nking " + bytes(8) + b"\n"),
])
def test_a_word_with_two_vectors_names_the_file_the_word_and_its_entries(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"{name}: the word 'king' has two vectors \(entries 1 and 3\)"):
        WordVectors.load(path)
