"""A `.gz` vector file whose compressed data is corrupt is refused as input naming the file (it was a zlib.error
traceback)."""
import gzip

import pytest

from fastgrad.data.vectors import WordVectors, vector_file_dim


def corrupt(data: bytes) -> bytes:
    return data[:12] + bytes(b ^ 0xFF for b in data[12:-8]) + data[-8:]


@pytest.mark.parametrize("read", [WordVectors.load, vector_file_dim])
def test_corrupt_gzip_vectors_are_an_input_error_naming_the_file(tmp_path, read):
    path = tmp_path / "vectors.txt.gz"
    path.write_bytes(corrupt(gzip.compress(b"3 2\n" + b"king 1 2\nqueen 3 4\nman 5 6\n" * 1)))
    with pytest.raises(ValueError, match=r"vectors.txt.gz: cannot read vectors \(Error -3 while decompressing"):
        read(path)
