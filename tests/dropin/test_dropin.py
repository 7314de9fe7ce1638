"""Three PyTorch training scripts (tests/dropin/scripts/) run on fastgrad with only `import torch`
changed to `import fastgrad as torch`; where PyTorch is installed, their losses and final gradients
must match PyTorch's."""
import pathlib

import numpy as np
import pytest

SCRIPTS = pathlib.Path(__file__).parent / "scripts"
NAMES = ["rnn_language_model", "window_ner", "averaging_classifier"]


def run_script(name: str, engine: str) -> dict:
    source = (SCRIPTS / f"{name}.py").read_text()
    assert source.count("import torch\n") == 1 and "from torch" not in source and "import torch." not in source
    if engine == "fastgrad":
        source = source.replace("import torch\n", "import fastgrad as torch\n")
    namespace = {"__name__": f"dropin_{name}_{engine}"}
    exec(compile(source, str(SCRIPTS / f"{name}.py"), "exec"), namespace)
    return namespace["run"]()


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
