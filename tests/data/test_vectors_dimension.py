"""The dimension of a vector file (what --pretrained is checked against) is read or refused, never made up."""
import pytest

from fastgrad.data.vectors import vector_file_dim


@pytest.mark.parametrize("content", [b"", b"\n", b"\xef\xbb\xbf\n", b"king\n", b"   \r\n"])
def test_a_file_without_a_header_or_vector_on_its_first_line_is_refused(tmp_path, content):
    path = tmp_path / "vectors.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"vectors.txt:1: expected a word2vec header 'COUNT DIM' or a word and its"):
        vector_file_dim(path)


@pytest.mark.parametrize("content, dim", [(b"2 3\n", 3), (b"king 1 2\n", 2), (b"\xef\xbb\xbfking 1\r\n", 1)])
def test_the_dimension_comes_from_the_header_or_the_first_vector(tmp_path, content, dim):
    path = tmp_path / "vectors.txt"
    path.write_bytes(content)
    assert vector_file_dim(path) == dim
