"""PyTorch training scripts (tests/dropin/scripts/) run on fastgrad with only their imports changed
(`import torch` -> `import fastgrad as torch`, `import torch.nn as nn` -> `import fastgrad.nn as nn`,
...); where PyTorch is installed, their losses and gradients must match PyTorch's."""
import pathlib

import numpy as np
import pytest

SCRIPTS = pathlib.Path(__file__).parent / "scripts"
NAMES = ["rnn_language_model", "window_ner", "averaging_classifier"]


def on_fastgrad(source: str) -> str:
    """The script with its torch imports pointed at fastgrad, and nothing else changed."""
    lines = source.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("import torch\n"):
            lines[i] = "import fastgrad as torch\n"
        elif line.startswith("import torch."):
            lines[i] = line.replace("import torch.", "import fastgrad.", 1)
        assert "from torch" not in line
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
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=2e-4, atol=1e-5)
    assert ours["grads"].keys() == theirs["grads"].keys()
    for key in ours["grads"]:
        np.testing.assert_allclose(ours["grads"][key], theirs["grads"][key], rtol=2e-3, atol=2e-5, err_msg=key)
    for key in ("weights", "lr"):
        if key in ours:
            if isinstance(ours[key], dict):
                for k in ours[key]:
                    np.testing.assert_allclose(ours[key][k], theirs[key][k], rtol=1e-3, atol=1e-5, err_msg=k)
            else:
                np.testing.assert_allclose(ours[key], theirs[key])


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
