"""A file whose every tag is O has no chunk F1 (recall is 0/0; conlleval prints 0.00): `train ner` and `eval`
refuse it as a dev, test or evaluated file instead of printing 'f1 0.0000' for a model that may have tagged every
token right, and refuse a training file with no entity to learn."""
import pytest


def conll(sentences):
    return "".join("".join(f"{word} X X {tag}\n" for word, tag in sentence) + "\n" for sentence in sentences)


TAGGED = [[("in", "O"), ("New", "B-LOC"), ("York", "I-LOC")], [("Ana", "B-PER"), ("left", "O")]] * 4
ALL_O = [[("in", "O"), ("the", "O")], [("Ana", "O"), ("left", "O")]]
SMALL = ("--epochs", 1, "--dim", 4, "--hidden", 4, "--threads", 1)


@pytest.fixture
def files(tmp_path):
    paths = {"tagged": tmp_path / "tagged.txt", "all_o": tmp_path / "all_o.txt"}
    paths["tagged"].write_text(conll(TAGGED), encoding="utf-8")
    paths["all_o"].write_text(conll(ALL_O), encoding="utf-8")
    return paths


@pytest.mark.parametrize("role", ["--dev", "--test"])
def test_training_refuses_a_scored_file_without_entities(cli, files, role):
    others = {"--dev": files["tagged"], "--test": files["tagged"], role: files["all_o"]}
    outcome = cli("train", "ner", "--train", files["tagged"], *[x for item in others.items() for x in item], *SMALL)
    assert outcome.code == 3
    assert outcome.err.strip() == f"fastgrad: {files['all_o']}: no entity in it, so its chunk F1 is undefined"
    assert " f1 " not in outcome.out  # no epoch was scored


def test_a_binary_task_refuses_a_dev_file_without_its_type(cli, files):
    outcome = cli("train", "ner", "--train", files["tagged"], "--dev", files["tagged"], "--test", files["tagged"],
                  "--binary-tag", "PER", *SMALL)
    assert outcome.code == 0, outcome.err
    no_per = files["tagged"].with_name("no_per.txt")
    no_per.write_text(conll([[("in", "O"), ("New", "B-LOC"), ("York", "I-LOC")]]), encoding="utf-8")
    outcome = cli("train", "ner", "--train", files["tagged"], "--dev", no_per, "--binary-tag", "PER", *SMALL)
    assert outcome.code == 3
    assert outcome.err.strip() == f"fastgrad: {no_per}: no PER entity in it, so its chunk F1 is undefined"


def test_training_refuses_a_training_file_without_entities(cli, files):
    outcome = cli("train", "ner", "--train", files["all_o"], "--dev", files["tagged"], *SMALL)
    assert outcome.code == 3
    assert outcome.err.strip() == f"fastgrad: {files['all_o']}: every tag is O, no entity to learn"


def test_eval_refuses_a_file_without_entities(cli, files, tmp_path):
    out = tmp_path / "run"
    trained = cli("train", "ner", "--train", files["tagged"], "--dev", files["tagged"], *SMALL, "--out", out)
    assert trained.code == 0, trained.err
    outcome = cli("eval", out, files["all_o"])
    assert (outcome.code, outcome.out) == (3, "")
    assert outcome.err.strip() == f"fastgrad: {files['all_o']}: no entity in it, so its chunk F1 is undefined"
