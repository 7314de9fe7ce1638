"""A `.gz` word2vec corpus whose compressed data is corrupt is refused as input naming the file (it was a
zlib.error traceback)."""
import gzip

import pytest

from fastgrad.models.word2vec import read_corpus, text_size


@pytest.mark.parametrize("read", [read_corpus, text_size])
def test_a_corrupt_gzip_corpus_is_an_input_error_naming_the_file(tmp_path, read):
    data = gzip.compress(b"the cat sat on the mat\n" * 100)
    path = tmp_path / "corpus.gz"
    path.write_bytes(data[:12] + bytes(b ^ 0xFF for b in data[12:-8]) + data[-8:])
    with pytest.raises(ValueError, match=r"corpus.gz: cannot read corpus \(Error -3 while decompressing"):
        read(path)
