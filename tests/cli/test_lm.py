import argparse
import json

import numpy as np
import pytest

import fastgrad
from fastgrad import nn
from fastgrad.cli import build_parser, main
from fastgrad.cli.lm import evaluate_model, generate_text, predict_lines
from fastgrad.data.lm_corpus import load_lm_corpus, read_lm_tokens
from fastgrad.models.ngram import KneserNeyLM
from fastgrad.train.directory import model_files
from fastgrad.train.language_models import RNNLM_DEFAULTS, RNNLMConfig, load_language_model
from fastgrad.train.settings import from_namespace

TINY_RNN = ["--threads", "1", "--embedding-dim", "8", "--hidden", "8", "--batch-size", "4", "--bptt", "6", "--lr", "1.0"]
TINY_FFLM = ["--threads", "1", "--context", "2", "--embedding-dim", "6", "--hidden", "12", "--no-tied", "--batch-size", "16",
             "--lr", "0.02"]


@pytest.fixture
def corpus(tmp_path):
    """Sentences from a small grammar: 'the cat sat on a mat', 'a dog ran to the log', ..."""
    rng = np.random.default_rng(0)
    paths = {}
    for split, lines in (("train", 300), ("valid", 40), ("test", 40)):
        path = tmp_path / f"{split}.txt"
        with open(path, "w", encoding="utf-8") as f:
            for _ in range(lines):
                f.write(" ".join([rng.choice(["the", "a"]), rng.choice(["cat", "dog"]), rng.choice(["sat", "ran"]),
                                  rng.choice(["on", "to"]), rng.choice(["the", "a"]), rng.choice(["mat", "log"])]) + "\n")
        paths[split] = path
    return paths


def corpus_args(corpus):
    return ["--train", str(corpus["train"]), "--valid", str(corpus["valid"]), "--test", str(corpus["test"])]


def metrics(out):
    return [json.loads(line) for line in (model_files(out) / "metrics.jsonl").read_text().splitlines()]


def saved_config(out):
    return json.loads((model_files(out) / "config.json").read_text())


def generate_args(**kwargs):
    return argparse.Namespace(**{"prompt": "the", "tokens": 12, "temperature": 1.0, "top_k": 0, "seed": 0, **kwargs})


def test_ngram_train_eval_generate(corpus, tmp_path, capsys):
    out = tmp_path / "ngram"
    assert main(["train", "ngram", *corpus_args(corpus), "--order", "3", "--out", str(out)]) == 0
    config = saved_config(out)
    assert config["kind"] == config["model"] == "ngram"
    data = load_lm_corpus(corpus["train"], corpus["valid"], corpus["test"])
    expected = KneserNeyLM(3).fit(data.train, len(data.vocab)).perplexity(data.test)
    assert evaluate_model(out, corpus["test"], None)["perplexity"] == pytest.approx(expected)
    assert metrics(out)[0]["test_ppl"] == pytest.approx(expected)
    text = generate_text(out, generate_args())
    assert text.split()[0] == "the" and len(text.split()) + text.count("\n") in (12, 13)  # <eos> is a line break
    capsys.readouterr()
    assert main(["generate", str(out), "--prompt", "the", "--tokens", "12"]) == 0
    assert capsys.readouterr().out.strip() == text


def test_rnnlm_train_eval_generate_round_trip(corpus, tmp_path, capsys):
    out = tmp_path / "rnnlm"
    assert main(["train", "rnnlm", *corpus_args(corpus), *TINY_RNN, "--epochs", "3", "--out", str(out)]) == 0
    records = metrics(out)
    assert [r["epoch"] for r in records[:3]] == [1, 2, 3]
    best = min(r["valid_ppl"] for r in records[:3])
    assert best < 6  # about 2 is reachable (two choices per word); 11 words in all
    # the saved model is the best epoch's: evaluating it on the validation file gives the same number
    assert evaluate_model(out, corpus["valid"], None)["perplexity"] == pytest.approx(best, rel=1e-4)
    scored = evaluate_model(out, corpus["test"], None)
    assert records[-1]["test_ppl"] == pytest.approx(scored["perplexity"], rel=1e-4)
    # the file's tokens, as the training log counts them, and the scored ones: all but the first
    assert scored["tokens"] == len(read_lm_tokens(corpus["test"])) == scored["predicted_tokens"] + 1
    greedy = generate_text(out, generate_args(temperature=0.0, seed=1))
    assert greedy == generate_text(out, generate_args(temperature=0.0, seed=2))
    sample = generate_text(out, generate_args(seed=3))
    assert sample == generate_text(out, generate_args(seed=3))
    assert set(sample.split()) <= {"the", "a", "cat", "dog", "sat", "ran", "on", "to", "mat", "log", "<unk>"}
    assert list(predict_lines(out, ["the cat sat on a mat", "mat mat mat mat"], None))[0] < "9"
    capsys.readouterr()
    assert main(["eval", str(out), str(corpus["test"])]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "rnnlm"


def test_fflm_train_and_eval(corpus, tmp_path):
    out = tmp_path / "fflm"
    assert main(["train", "fflm", *corpus_args(corpus), *TINY_FFLM, "--epochs", "2", "--out", str(out)]) == 0
    best = min(r["valid_ppl"] for r in metrics(out)[:2])
    assert best < 6
    assert evaluate_model(out, corpus["valid"], None)["perplexity"] == pytest.approx(best, rel=1e-4)
    assert generate_text(out, generate_args(tokens=5)).startswith("the ")


@pytest.mark.parametrize("model, extra", [("rnnlm", TINY_RNN + ["--dropout", "0.3"]),
                                          ("fflm", TINY_FFLM + ["--dropout", "0.3"])])
def test_resume_continues_exactly(corpus, tmp_path, model, extra):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    common = ["train", model, *corpus_args(corpus), *extra, "--seed", "3"]
    main([*common, "--epochs", "3", "--out", str(straight)])
    main([*common, "--epochs", "1", "--out", str(resumed)])
    main([*common, "--epochs", "3", "--out", str(resumed), "--resume"])
    epochs = lambda out: [(r["epoch"], r["valid_ppl"], r["lr"]) for r in metrics(out) if "epoch" in r]
    assert epochs(resumed) == epochs(straight)
    a, b = (fastgrad.load(model_files(out) / "resume.npz")["task"] for out in (straight, resumed))
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value.numpy(), b["model"][name].numpy())


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_cells_train_eval_generate_and_resume(corpus, tmp_path, capsys, cell):
    """One epoch, then --resume to a second: the same numbers and weights as two epochs straight; the
    model directory records the cell as data, and eval / generate rebuild the right model from it."""
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    common = ["train", "rnnlm", *corpus_args(corpus), *TINY_RNN, "--cell", cell, "--layers", "2", "--dropout", "0.2",
              "--seed", "3", "--optimizer", "adam", "--lr", "0.01"]  # SGD needs more than 2 epochs to get going here
    assert main([*common, "--epochs", "2", "--out", str(straight)]) == 0
    assert main([*common, "--epochs", "1", "--out", str(resumed)]) == 0
    config = saved_config(resumed)
    assert config["cell"] == cell and config["layers"] == 2 and config["init_range"] == 0.1
    assert main([*common, "--epochs", "2", "--out", str(resumed), "--resume"]) == 0
    epochs = lambda out: [(r["epoch"], r["valid_ppl"], r["lr"]) for r in metrics(out) if "epoch" in r]
    assert epochs(resumed) == epochs(straight)
    a, b = (fastgrad.load(model_files(out) / "resume.npz")["task"] for out in (straight, resumed))
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value.numpy(), b["model"][name].numpy())
    best = min(r["valid_ppl"] for r in metrics(resumed) if "epoch" in r)
    assert best < 5  # 12 words with <eos> (a uniform guess: 12); the grammar allows about 2 per position
    model = load_language_model(resumed)[2]
    assert isinstance(model.rnn, nn.LSTM if cell == "lstm" else nn.GRU) and model.rnn.num_layers == 2
    assert evaluate_model(resumed, corpus["valid"], None)["perplexity"] == pytest.approx(best, rel=1e-4)
    sample = generate_text(resumed, generate_args(seed=5))
    assert sample == generate_text(resumed, generate_args(seed=5))
    assert set(sample.split()) <= {"the", "a", "cat", "dog", "sat", "ran", "on", "to", "mat", "log", "<unk>"}
    capsys.readouterr()
    assert main(["generate", str(resumed), "--prompt", "the", "--tokens", "12", "--seed", "5"]) == 0
    assert capsys.readouterr().out.strip() == sample
    assert main(["eval", str(resumed), str(corpus["test"])]) == 0
    assert json.loads(capsys.readouterr().out)["perplexity"] == pytest.approx(metrics(resumed)[-1]["test_ppl"])


def test_defaults_depend_on_the_cell():
    def parsed(*argv):
        return from_namespace(RNNLMConfig, build_parser().parse_args(["train", "rnnlm", *argv]))

    lstm = parsed("--cell", "lstm")  # Zaremba et al. 2014, small configuration
    assert (lstm.layers, lstm.hidden, lstm.embedding_dim, lstm.dropout, lstm.tied) == (2, 200, 200, 0.0, False)
    assert (lstm.lr, lstm.clip, lstm.epochs, lstm.bptt, lstm.batch_size, lstm.init_range, lstm.decay_after) == \
        (20.0, 0.25, 13, 20, 20, 0.1, 4)  # their lr 1 and clip 5 on a loss summed over 20 steps, for our mean
    rnn = parsed()  # the Elman recipe, unchanged
    assert (rnn.cell, rnn.layers, rnn.hidden, rnn.embedding_dim, rnn.dropout, rnn.tied, rnn.lr, rnn.clip, rnn.epochs,
            rnn.bptt, rnn.init_range, rnn.decay_after) == ("rnn", 1, 256, 256, 0.25, True, 4.0, 0.25, 20, 35, 0.0, 0)
    given = parsed("--cell", "gru", "--hidden", "64", "--embedding-dim", "64", "--tied", "--lr", "0.5")
    assert (given.hidden, given.tied, given.lr, given.epochs) == (64, True, 0.5, RNNLM_DEFAULTS["gru"]["epochs"])
    assert RNNLMConfig(cell="lstm", hidden=300, embedding_dim=300).as_json()["layers"] == 2  # from Python alike


def test_bad_cell_settings_are_refused(cli):
    result = cli("train", "rnnlm", "--cell", "lstm", "--layers", "0")
    assert result.code == 2 and "argument --layers: expected an integer >= 1, got '0'" in result.err
    result = cli("train", "rnnlm", "--cell", "cnn")
    assert result.code == 2 and "--cell" in result.err
    with pytest.raises(fastgrad.train.ConfigError, match="--cell must be one of 'rnn', 'lstm', 'gru', got 'cnn'"):
        RNNLMConfig(cell="cnn")
    with pytest.raises(fastgrad.train.ConfigError, match="--init-range must be a number >= 0, got -0.1"):
        RNNLMConfig(cell="gru", init_range=-0.1)


def test_fixed_schedule_decays_after_the_given_epoch(corpus, tmp_path):
    out = tmp_path / "schedule"
    assert main(["train", "rnnlm", *corpus_args(corpus), *TINY_RNN, "--cell", "gru", "--layers", "1", "--epochs", "4",
                 "--decay-after", "2", "--lr-decay", "0.5", "--out", str(out)]) == 0
    assert [r["lr"] for r in metrics(out) if "epoch" in r] == [1.0, 1.0, 0.5, 0.25]


def test_resume_with_another_cell_says_which_setting_differs(corpus, tmp_path, cli):
    out = tmp_path / "lstm"
    common = ["train", "rnnlm", *corpus_args(corpus), *TINY_RNN, "--layers", "1", "--out", str(out)]
    assert cli(*common, "--cell", "lstm", "--epochs", "1").code == 0
    result = cli(*common, "--cell", "gru", "--epochs", "2", "--resume")
    assert result.code == 2 and "is a different model (cell: saved 'lstm', now 'gru')" in result.err


def test_directories_from_before_cells_load_as_one_elman_layer(corpus, tmp_path):
    out = tmp_path / "old"
    assert main(["train", "rnnlm", *corpus_args(corpus), *TINY_RNN, "--epochs", "1", "--out", str(out)]) == 0
    config = saved_config(out)
    expected = evaluate_model(out, corpus["test"], None)["perplexity"]
    for key in ("cell", "layers", "init_range"):
        del config[key]
    (model_files(out) / "config.json").write_text(json.dumps(config))
    model = load_language_model(out)[2]
    assert type(model.rnn) is nn.RNN and model.rnn.num_layers == 1
    assert evaluate_model(out, corpus["test"], None)["perplexity"] == pytest.approx(expected)


def test_resume_needs_out(corpus, cli):
    result = cli("train", "rnnlm", *corpus_args(corpus), "--resume")
    assert result.code == 2 and "--resume needs --out" in result.err


def test_tied_default_with_unequal_sizes_says_what_to_pass(corpus, cli):
    result = cli("train", "fflm", *corpus_args(corpus), "--embedding-dim", "6", "--hidden", "12")
    assert result.code == 2 and "--hidden 12 and --embedding-dim 6; pass --no-tied" in result.err


def test_tied_flag_reaches_the_model(corpus, tmp_path):
    out = tmp_path / "tied"
    main(["train", "fflm", *corpus_args(corpus), "--threads", "1", "--context", "2", "--embedding-dim", "6",
          "--hidden", "6", "--epochs", "1", "--out", str(out)])
    assert saved_config(out)["tied"] is True
    model = load_language_model(out)[2]
    assert model.output.weight is model.embedding.weight


def test_missing_default_data_says_what_to_pass(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("FASTGRAD_DATA", str(tmp_path / "nowhere"))
    result = cli("train", "ngram")
    assert result.code == 2 and "--train" in result.err


def test_eval_warns_when_most_of_the_file_is_unk_to_the_model(corpus, tmp_path, cli):
    """A file of another format or language is mostly <unk>, a frequent token: its perplexity came out low (lower than
    the model's on its own test file) with nothing but "unk_share" in the JSON to say why."""
    out = tmp_path / "kn"
    assert cli("train", "ngram", *corpus_args(corpus), "--order", 2, "--out", out).code == 0
    foreign = tmp_path / "foreign.txt"
    foreign.write_text("zebra quokka wombat the\n", encoding="utf-8")  # 3 of 5 tokens, <eos> included
    outcome = cli("eval", out, foreign)
    assert outcome.code == 0, outcome.err
    assert outcome.err.strip() == (f"fastgrad: warning: {foreign}: 60.00% of its tokens are <unk> to the model, so its "
                                   "perplexity mostly measures how well the model predicts <unk>, a frequent token "
                                   "(the number comes out low)")
    assert json.loads(outcome.out)["unk_share"] == 0.6
    assert cli("eval", out, corpus["test"]).err == ""
