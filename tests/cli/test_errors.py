"""The one error handler of `fastgrad`: a user error is one line on stderr with its own exit code;
`--debug` shows the traceback; a bug keeps Python's traceback."""
import json
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from fastgrad.cli import (EXIT_BROKEN_PIPE, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_MODEL_DIR, EXIT_OS, EXIT_TERMINATED,
                          EXIT_USAGE, exit_code, lm)
from fastgrad.serialization import CheckpointError
from fastgrad.train.directory import model_files
from fastgrad.train.errors import ConfigError, ModelDirectoryError, TrainingDiverged


@pytest.fixture
def text(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("the cat sat on the mat\na dog ran to the log\n" * 30, encoding="utf-8")
    return path


@pytest.fixture
def ngram_dir(tmp_path, text, cli):
    out = tmp_path / "kn"
    assert cli("train", "ngram", "--train", text, "--valid", text, "--test", text, "--order", "2", "--out", out).code == 0
    return out


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastgrad: ") and "Traceback" not in err, err
    return lines[0]


def test_every_kind_of_user_error_has_its_own_exit_code():
    errors = [ConfigError("x"), ValueError("x"), OSError(2, "x"), ModelDirectoryError("x"), TrainingDiverged("x"),
              KeyboardInterrupt(), BrokenPipeError()]
    codes = [exit_code(error) for error in errors]
    assert None not in codes and len(set(codes)) == len(codes) and 0 not in codes and 1 not in codes
    assert exit_code(CheckpointError("x")) == exit_code(ModelDirectoryError("x"))  # both: an unusable model
    assert exit_code(TypeError("a bug")) is None and exit_code(SystemExit(2)) is None


def test_missing_file_is_one_line_naming_it(tmp_path, cli):
    missing = tmp_path / "missing.txt"
    result = cli("train", "nbow", "--train", missing, "--dev", missing, "--threads", "1")
    assert result.code == EXIT_OS
    assert one_line(result.err) == f"fastgrad: {missing}: No such file or directory"


def test_bad_input_file_is_one_line_with_file_and_line(tmp_path, cli):
    broken = tmp_path / "broken.txt"
    broken.write_text("1 a fine film\n0\n", encoding="utf-8")
    result = cli("train", "nbow", "--train", broken, "--dev", broken, "--threads", "1")
    assert result.code == EXIT_INPUT and f"{broken}:2: expected 'LABEL SENTENCE'" in one_line(result.err)


def test_debug_adds_the_traceback_before_or_after_the_command(tmp_path, cli):
    missing = tmp_path / "missing.txt"
    for argv in (["--debug", "train", "nbow"], ["train", "nbow", "--debug"]):
        result = cli(*argv, "--train", missing, "--dev", missing, "--threads", "1")
        assert result.code == EXIT_OS and "Traceback (most recent call last)" in result.err
        assert result.err.strip().splitlines()[-1] == f"fastgrad: {missing}: No such file or directory"


def test_a_bug_keeps_its_traceback(monkeypatch, ngram_dir, text, cli):
    def bug(*args, **kwargs):
        raise TypeError("a bug in fastgrad")

    monkeypatch.setattr(lm, "evaluate_model", bug)
    with pytest.raises(TypeError, match="a bug in fastgrad"):
        cli("eval", ngram_dir, text)


def test_truncated_ngram_model_names_the_file(ngram_dir, text, cli):
    arrays = model_files(ngram_dir) / "kneser_ney.npz"
    arrays.write_bytes(arrays.read_bytes()[:100])
    result = cli("eval", ngram_dir, text)
    assert result.code == EXIT_MODEL_DIR and str(arrays) in one_line(result.err) and "truncated" in result.err


def test_altered_ngram_arrays_are_refused_before_use(ngram_dir, text, cli):
    arrays = model_files(ngram_dir) / "kneser_ney.npz"
    with np.load(arrays) as saved:
        content = dict(saved)
    content["keys_2"] = content["keys_2"][::-1].copy()  # unsorted: binary searches would read garbage
    np.savez(arrays, **content)
    result = cli("eval", ngram_dir, text)
    assert result.code == EXIT_MODEL_DIR and "keys must rise" in one_line(result.err)


@pytest.fixture
def rnnlm_dir(tmp_path, text, cli):
    out = tmp_path / "rnn"
    assert cli("train", "rnnlm", "--train", text, "--valid", text, "--test", text, "--embedding-dim", "4",
               "--hidden", "4", "--batch-size", "2", "--bptt", "3", "--epochs", "1", "--threads", "1",
               "--out", out).code == 0
    return out


@pytest.mark.parametrize("root", [
    "[" * 5000 + "]" * 5000,                                    # deeper than JSON's parser recurses
    "[" * 150 + "]" * 150,                                      # deep, but readable by json
    '{"float": ' + "9" * 5000 + "}",                            # more digits than Python converts
    '{"float": ' + "9" * 400 + "}",                             # a float too large
    '{"dict": [["w", ' + "7" * 1000 + "]]}",                     # an integer of thousands of bits
], ids=["json-depth", "depth", "digits", "float", "bits"])
def test_crafted_checkpoint_header_names_the_file(rnnlm_dir, text, cli, root):
    weights = model_files(rnnlm_dir) / "model.npz"
    header = '{"format": "fastgrad-checkpoint", "version": 1, "root": ' + root + "}"
    np.savez(weights, __fastgrad__=np.frombuffer(header.encode(), dtype=np.uint8))
    result = cli("eval", rnnlm_dir, text)
    assert result.code == EXIT_MODEL_DIR and f"{weights} is not a valid fastgrad checkpoint" in one_line(result.err)


def test_weights_that_do_not_fit_the_config_name_the_file(rnnlm_dir, text, cli):
    config_path = model_files(rnnlm_dir) / "config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "hidden": 8, "embedding_dim": 8}))
    result = cli("eval", rnnlm_dir, text)
    assert result.code == EXIT_MODEL_DIR and "do not fit the model in config.json" in one_line(result.err)


def test_ctrl_c_outside_training_is_one_line(monkeypatch, ngram_dir, text, cli):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lm, "evaluate_model", interrupted)
    result = cli("eval", ngram_dir, text)
    assert result.code == EXIT_INTERRUPTED and one_line(result.err) == "fastgrad: interrupted"


def test_usage_errors_exit_with_2(tmp_path, text, cli):
    result = cli("train", "fflm", "--train", text, "--valid", text, "--test", text, "--embedding-dim", "6",
                 "--hidden", "12")
    assert result.code == EXIT_USAGE and "pass --no-tied" in one_line(result.err)


def test_closed_pipe_is_one_line_and_its_own_exit_code(ngram_dir, tmp_path):
    """`fastgrad predict DIR < lines | head -1`: the reader goes away; no traceback, exit 141."""
    lines = tmp_path / "lines.txt"
    lines.write_text("the cat sat\n" * 20_000, encoding="utf-8")
    with open(lines, "rb") as stdin:
        process = subprocess.Popen([sys.executable, "-m", "fastgrad", "predict", str(ngram_dir)], stdin=stdin,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline().strip()
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == EXIT_BROKEN_PIPE
    model_line, rest = err.split("\n", 1)
    assert model_line.startswith("model: ")  # which model directory predict read
    assert one_line(rest) == "fastgrad: output closed before everything was written (broken pipe)"


def test_sigterm_stops_a_training_run_as_ctrl_c_does_with_its_own_exit_code(tmp_path, text):
    """`kill PID` (or a scheduler's stop) during training: one line naming the signal and the checkpoints, exit 143,
    not a silent death."""
    out = tmp_path / "model"
    process = subprocess.Popen([sys.executable, "-m", "fastgrad", "train", "rnnlm", "--train", str(text), "--valid",
                                str(text), "--test", str(text), "--embedding-dim", "4", "--hidden", "4", "--batch-size",
                                "4", "--bptt", "5", "--threads", "1", "--epochs", "100000", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:  # once epoch 2 is reported, epoch 1 is saved
        if line.startswith("epoch 2/"):
            break
    process.send_signal(signal.SIGTERM)
    err = process.communicate(timeout=120)[1]
    assert process.returncode == EXIT_TERMINATED, err
    assert re.fullmatch(rf"fastgrad: stopped by SIGTERM during epoch \d+; best model \(epoch \d+\): "
                        rf"{re.escape(str(out / 'current'))}, resumable after epoch \d+: .*resume\.npz \(run the same "
                        rf"command with --resume\)", err.strip().splitlines()[-1]), err
    assert (model_files(out) / "resume.npz").is_file()


def test_a_warning_is_one_line_too_and_debug_keeps_pythons_warning(cli, tmp_path):
    sentences = tmp_path / "s.txt"
    sentences.write_text("1 a good film\n\n0 a bad film\n1 good\n0 bad\n", encoding="utf-8")
    args = ["train", "nbow", "--train", sentences, "--dev", sentences, "--epochs", "1", "--dim", "4", "--hidden", "4"]
    with pytest.warns(UserWarning, match="skipped 1 blank line"):
        assert "fastgrad: warning" not in cli(*args, "--out", tmp_path / "debug", "--debug").err
    result = cli(*args, "--out", tmp_path / "plain")
    warnings = [line for line in result.err.splitlines() if "blank line" in line]
    assert warnings == [f"fastgrad: warning: {sentences}: skipped 1 blank line(s)"], result.err
    assert "UserWarning" not in result.err and "classifiers.py" not in result.err
