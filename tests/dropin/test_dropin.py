"""PyTorch training scripts (tests/dropin/scripts/) run on fastgrad with only their imports changed
(`import torch` -> `import fastgrad as torch`, `import torch.nn as nn` -> `import fastgrad.nn as nn`,
`from torch import nn` -> `from fastgrad import nn`, ...); where PyTorch is installed, their losses and
gradients must match PyTorch's, and so must everything else they return (weights, learning rates,
predictions, decoded text, metrics) except draws from the engine's own random generator."""
import pathlib
import re

import numpy as np
import pytest

SCRIPTS = pathlib.Path(__file__).parent / "scripts"
NAMES = ["rnn_language_model", "window_ner", "averaging_classifier", "bilstm_tagger", "skipgram_negative_sampling",
         "char_rnn", "seq2seq_attention", "attention_classifier", "ngram_feedforward_lm", "cnn_text_classifier",
         "dataloader_classifier", "ddp_classifier", "packed_bilstm_classifier", "transformer_encoder_classifier",
         "tiny_vision", "bilstm_crf_tagger", "embedding_bag_classifier",
         "lstmcell_char_lm", "gru_encoder_decoder", "decomposable_attention_nli"]
SAMPLED = {"sample"}  # drawn from each engine's own random generator: not comparable


def on_fastgrad(source: str) -> str:
    """The script with its torch imports pointed at fastgrad, and nothing else changed."""
    lines = source.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("import torch\n"):
            lines[i] = "import fastgrad as torch\n"
        elif line.startswith("import torch."):
            lines[i] = line.replace("import torch.", "import fastgrad.", 1)
        elif line.startswith(("from torch import ", "from torch.")):
            lines[i] = line.replace("from torch", "from fastgrad", 1)
        assert not re.match(r"\s*(import|from)\s+torch\b", lines[i]), f"an import left on torch: {line}"
    return "".join(lines)


def run_script(name: str, engine: str, **options) -> dict:
    source = (SCRIPTS / f"{name}.py").read_text()
    if engine == "fastgrad":
        source = on_fastgrad(source)
    namespace = {"__name__": f"dropin_{name}_{engine}"}
    exec(compile(source, str(SCRIPTS / f"{name}.py"), "exec"), namespace)
    return namespace["run"](**options)


@pytest.mark.parametrize("name", NAMES)
def test_script_trains_on_fastgrad(name):
    result = run_script(name, "fastgrad")
    losses = result["losses"]
    assert all(np.isfinite(losses))
    assert np.mean(losses[-3:]) < np.mean(losses[:3])


@pytest.mark.parametrize("name", NAMES)
def test_script_matches_pytorch(name):
    pytest.importorskip("torch")
    ours, theirs = run_script(name, "fastgrad"), run_script(name, "torch")
    assert ours.keys() == theirs.keys()
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=2e-4, atol=1e-5)
    assert ours["grads"].keys() == theirs["grads"].keys()
    for key in ours["grads"]:
        np.testing.assert_allclose(ours["grads"][key], theirs["grads"][key], rtol=2e-3, atol=2e-5, err_msg=key)
    for key in ours.keys() - {"losses", "grads"} - SAMPLED:  # weights, learning rates, predictions, metrics
        assert_same(ours[key], theirs[key], key)


def assert_same(ours, theirs, where: str) -> None:
    """Integers, strings and bools exactly (predicted ids, decoded text), floats to float32 precision."""
    if isinstance(ours, dict):
        assert ours.keys() == theirs.keys(), where
        for key in ours:
            assert_same(ours[key], theirs[key], f"{where}.{key}")
        return
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    if ours.dtype.kind in "fc" or theirs.dtype.kind in "fc":
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-5, err_msg=where)
    else:
        np.testing.assert_array_equal(ours, theirs, err_msg=where)


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH"])
def test_word_language_model_example_matches_pytorch_step_by_step(rnn_type):
    """PyTorch's word-language-model class, unmodified, without dropout: the same losses step by step."""
    pytest.importorskip("torch")
    ours = run_script("word_language_model", "fastgrad", rnn_type=rnn_type, epochs=1)
    theirs = run_script("word_language_model", "torch", rnn_type=rnn_type, epochs=1)
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-3)


def test_word_language_model_example_with_dropout_reaches_pytorchs_perplexity():
    """With dropout the random masks differ between engines; the perplexity after the same steps must
    agree within 5%."""
    ours = run_script("word_language_model", "fastgrad", dropout=0.3, epochs=3)
    assert ours["losses"][-1] < ours["losses"][0]
    pytest.importorskip("torch")
    theirs = run_script("word_language_model", "torch", dropout=0.3, epochs=3)
    assert abs(ours["valid_ppl"] / theirs["valid_ppl"] - 1) < 0.05, (ours["valid_ppl"], theirs["valid_ppl"])


def plain_result(result: dict) -> dict:
    """A script's result as JSON-ready lists."""
    return {key: plain_result(value) if isinstance(value, dict) else np.asarray(value).tolist()
            for key, value in result.items()}


if __name__ == "__main__":
    # One script on fastgrad, its result as JSON in OUT/rank<r>.json: tests/distributed/test_mpi.py runs
    # the data-parallel script this way under mpiexec.
    import json
    import sys

    import fastgrad.distributed as dist

    script, out = sys.argv[1], pathlib.Path(sys.argv[2])
    result = run_script(script, "fastgrad")
    (out / f"rank{dist.get_rank()}.json").write_text(json.dumps(plain_result(result)))
