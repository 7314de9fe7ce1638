"""`fastgrad eval` of a tagger scores a file as its training run scored the test file, tags unseen in training
included (in IOBES, the I- of a chunk longer than any in the training file): it used to refuse such a file."""
import json

from fastgrad.train.directory import model_files


def conll(sentences):
    return "".join("".join(f"{word} X X {tag}\n" for word, tag in sentence) + "\n" for sentence in sentences)


def test_eval_of_the_test_file_gives_the_f1_the_training_run_printed(cli, tmp_path):
    train, test = tmp_path / "train.txt", tmp_path / "test.txt"
    train.write_text(conll([[("in", "O"), ("New", "B-LOC"), ("York", "I-LOC")],
                            [("Ana", "B-PER"), ("left", "O"), ("Oslo", "B-LOC")]] * 4), encoding="utf-8")
    test.write_text(conll([[("in", "O"), ("Rio", "B-LOC"), ("de", "I-LOC"), ("Janeiro", "I-LOC")],
                           [("Ana", "B-PER"), ("left", "O")]]), encoding="utf-8")
    out = tmp_path / "run"
    trained = cli("train", "ner", "--train", train, "--dev", train, "--test", test, "--tag-scheme", "iobes",
                  "--epochs", 2, "--dim", 4, "--hidden", 4, "--threads", 1, "--out", out)
    assert trained.code == 0, trained.err
    config = json.loads((model_files(out) / "config.json").read_text(encoding="utf-8"))
    assert "I-LOC" not in config["labels"]
    evaluated = cli("eval", out, test)
    assert evaluated.code == 0, evaluated.err
    result = json.loads(evaluated.out)
    assert result["f1"] == config["test"]["f1"] and result["sentences"] == 2
