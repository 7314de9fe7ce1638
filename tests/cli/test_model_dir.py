"""`fastgrad eval|predict|generate MODEL_DIR`: config.json's "kind" picks fastgrad's own code from a fixed
table; a model directory never names a module to import."""
import json
import re
import sys

import pytest

from fastgrad.cli import classify, lm, main, word2vec
from fastgrad.cli.model_dir import MODEL_KINDS, commands_for
from fastgrad.train.directory import model_files
from fastgrad.train.errors import ModelDirectoryError

KINDS = "'ngram', 'fflm', 'rnnlm', 'nbow', 'ner', 'word2vec'"


def model_dir(tmp_path, config, name="model"):
    directory = tmp_path / name
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return directory


def test_every_kind_is_a_train_command_whose_module_has_the_hooks():
    assert set(MODEL_KINDS) == {"ngram", "fflm", "rnnlm", "nbow", "ner", "word2vec"}
    for kind, module in MODEL_KINDS.items():
        assert callable(module.evaluate_model) and callable(module.predict_lines), kind
    assert all(hasattr(MODEL_KINDS[kind], "generate_text") for kind in ("ngram", "fflm", "rnnlm"))


@pytest.mark.parametrize("config, module", [
    ({"kind": "rnnlm"}, lm), ({"kind": "ner"}, classify), ({"kind": "word2vec"}, word2vec),
    ({"cli_module": "fastgrad.cli.lm", "model": "ngram"}, lm),  # written before "kind" existed
    ({"cli_module": "fastgrad.cli.classify", "task": "tag"}, classify),
    ({"cli_module": "fastgrad.cli.word2vec"}, word2vec),
])
def test_kind_and_fastgrads_own_legacy_module_names_pick_the_commands(tmp_path, config, module):
    assert commands_for(model_dir(tmp_path, config)) is module


def test_the_zen_of_python_is_not_a_model(tmp_path, monkeypatch, cli):
    monkeypatch.delitem(sys.modules, "this", raising=False)
    directory = model_dir(tmp_path, {"cli_module": "this"})
    message = (f"{re.escape(str(directory / 'config.json'))}: unknown \"cli_module\" 'this'; expected one of "
               f"'fastgrad.cli.lm', 'fastgrad.cli.classify', 'fastgrad.cli.word2vec' "
               rf"\(or, instead, \"kind\": one of {KINDS}\)")
    result = cli("eval", directory, tmp_path / "test.txt")
    assert result.code == 5 and re.search(message, result.err)
    assert "this" not in sys.modules
    assert "Beautiful is better than ugly" not in result.out


@pytest.mark.parametrize("field", ["cli_module", "kind"])
def test_a_module_in_the_working_directory_is_never_imported(tmp_path, monkeypatch, field, cli):
    planted = "planted_model_commands"
    marker = tmp_path / "planted module was imported"
    (tmp_path / f"{planted}.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "def evaluate_model(model_dir, path, args):\n"
        "    return {'accuracy': 1.0}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("")  # the working directory is importable, as under `python -m fastgrad.cli`
    monkeypatch.delitem(sys.modules, planted, raising=False)
    directory = model_dir(tmp_path, {field: planted})
    result = cli("eval", directory, tmp_path / "test.txt")
    assert result.code == 5 and re.search(f"{re.escape(str(directory / 'config.json'))}: unknown .*'{planted}'", result.err)
    assert not marker.exists() and planted not in sys.modules


@pytest.mark.parametrize("kind", ["lstm", "fastgrad.cli.lm", "RNNLM", "", 3, None, ["rnnlm"]])
def test_unknown_kind_names_the_file_the_value_and_the_kinds(tmp_path, kind):
    directory = model_dir(tmp_path, {"kind": kind})
    message = f"{re.escape(str(directory / 'config.json'))}: unknown model kind {re.escape(repr(kind))}; " \
              f"expected one of {KINDS}$"
    with pytest.raises(ModelDirectoryError, match=message):
        commands_for(directory)


@pytest.mark.parametrize("text, message", [
    ('{"model": "rnnlm"}', f'no "kind"; expected one of {KINDS}$'),
    ('["rnnlm"]', "expected a JSON object, got list$"),
    ('{"kind": "rnnlm"', "not valid JSON"),
])
def test_config_without_a_kind_or_not_an_object_is_named(tmp_path, text, message):
    directory = tmp_path / "model"
    directory.mkdir()
    (directory / "config.json").write_text(text, encoding="utf-8")
    with pytest.raises(ModelDirectoryError, match=f"{re.escape(str(directory / 'config.json'))}: {message}"):
        commands_for(directory)


def test_directory_without_config_is_not_a_model_directory(tmp_path):
    with pytest.raises(ModelDirectoryError, match=r"not a fastgrad model directory \(no config.json\)"):
        commands_for(tmp_path)


def test_generate_refuses_a_model_that_is_not_a_language_model(tmp_path, cli):
    directory = model_dir(tmp_path, {"kind": "nbow"})
    result = cli("generate", directory)
    assert result.code == 2 and "this model does not generate text" in result.err


def test_a_directory_written_before_kind_existed_still_evaluates(tmp_path, capsys):
    train = tmp_path / "train.txt"
    train.write_text("the cat sat\na dog ran\nthe dog sat\n" * 20, encoding="utf-8")
    out = tmp_path / "ngram"
    assert main(["train", "ngram", "--train", str(train), "--valid", str(train), "--test", str(train),
                 "--order", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["eval", str(out), str(train)]) == 0
    current = json.loads(capsys.readouterr().out)
    config_path = model_files(out) / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    del config["kind"]
    config_path.write_text(json.dumps({**config, "cli_module": "fastgrad.cli.lm"}), encoding="utf-8")
    assert main(["eval", str(out), str(train)]) == 0
    assert json.loads(capsys.readouterr().out) == current and current["model"] == "ngram"
