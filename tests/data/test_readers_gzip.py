"""A `.gz` data file that is not gzip, is cut short or is corrupt is refused as input naming the file."""
import gzip

import pytest

from fastgrad.data.readers import read_lines


def lines(path):
    return list(read_lines(path))


@pytest.mark.parametrize("damage, reason", [
    (lambda data: b"0 plain text\n", "Not a gzipped file"),
    (lambda data: data[: len(data) // 2], "Compressed file ended before the end-of-stream marker"),
    (lambda data: data[:12] + bytes(b ^ 0xFF for b in data[12:-8]) + data[-8:], "invalid"),
])
def test_a_damaged_gzip_file_is_an_input_error_naming_it(tmp_path, damage, reason):
    good = gzip.compress(b"".join(b"the cat sat on the mat %d\n" % i for i in range(200)))
    path = tmp_path / "text.gz"
    path.write_bytes(damage(good))
    with pytest.raises(ValueError, match=rf"text.gz: cannot read the gzip file \(.*{reason}"):
        lines(path)


def test_a_whole_gzip_file_reads_as_its_text(tmp_path):
    path = tmp_path / "text.gz"
    path.write_bytes(gzip.compress(b"a b\nc\n"))
    assert lines(path) == [(1, "a b"), (2, "c")]
