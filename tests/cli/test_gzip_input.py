"""A damaged `.gz` data file is one error line naming it and exit code 3 (a truncated one was a traceback)."""
import gzip


def test_a_truncated_gzip_training_file_is_one_line_and_exit_code_3(cli, tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("the cat sat\n" * 50, encoding="utf-8")
    truncated = tmp_path / "train.txt.gz"
    truncated.write_bytes(gzip.compress(text.read_bytes())[:20])
    outcome = cli("train", "ngram", "--train", truncated, "--valid", text, "--test", text, "--order", 2)
    assert outcome.code == 3
    assert outcome.err.strip().splitlines() == [
        f"fastgrad: {truncated}: cannot read the gzip file (Compressed file ended before the end-of-stream marker was "
        "reached)"]
