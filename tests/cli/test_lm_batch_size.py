"""`fastgrad train rnnlm` on a training text too short for its --batch-size streams: one line naming both."""


def test_a_training_text_too_short_for_the_batch_size_names_the_file_and_the_option(cli, tmp_path):
    train, other = tmp_path / "train.txt", tmp_path / "other.txt"
    train.write_text("the cat sat\n", encoding="utf-8")  # 4 tokens with <eos>
    other.write_text("the cat\n", encoding="utf-8")
    outcome = cli("train", "rnnlm", "--train", train, "--valid", other, "--test", other, "--batch-size", 3,
                  "--epochs", 1, "--hidden", 4, "--embedding-dim", 4, "--threads", 1, "--out", tmp_path / "run")
    assert outcome.code == 3
    assert outcome.err.strip().splitlines()[-1] == (
        f"fastgrad: --train {train} has 4 tokens (<eos> included): too few for 2 steps in each of the --batch-size 3 "
        "streams; give a smaller --batch-size or more text")
    assert not (tmp_path / "run" / "current").exists()


def test_two_steps_per_stream_are_enough(cli, tmp_path):
    train, other = tmp_path / "train.txt", tmp_path / "other.txt"
    train.write_text("the cat sat on the mat\n", encoding="utf-8")  # 7 tokens with <eos>: 2 steps of 3 streams
    other.write_text("the cat\n", encoding="utf-8")
    outcome = cli("train", "rnnlm", "--train", train, "--valid", other, "--test", other, "--batch-size", 3,
                  "--epochs", 1, "--hidden", 4, "--embedding-dim", 4, "--threads", 1, "--out", tmp_path / "run")
    assert outcome.code == 0, outcome.err
