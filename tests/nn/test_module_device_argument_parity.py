"""The `device=` factory argument of the nn modules: every module whose PyTorch constructor takes it takes
it here too (code written as `nn.LSTM(..., device=device)` must run unchanged), a CPU device builds the
same parameters as PyTorch, and a device that is not one is refused naming the module."""
import inspect

import pytest

torch = pytest.importorskip("torch")

import fastgrad  # noqa: E402
from fastgrad import nn  # noqa: E402

BUILT_ON_THE_CPU = [
    ("LSTM", (3, 4), {"num_layers": 2, "bidirectional": True}),
    ("GRU", (3, 4), {"bias": False}),
    ("RNN", (3, 4), {"nonlinearity": "relu"}),
    ("LSTMCell", (3, 4), {}),
    ("GRUCell", (3, 4), {}),
    ("RNNCell", (3, 4), {"nonlinearity": "relu"}),
    ("LayerNorm", ((2, 5),), {"bias": False}),
    ("PReLU", (6,), {"init": 0.1}),
]


def takes_device(cls) -> bool:
    parameters = inspect.signature(cls.__init__).parameters.values()
    return any(p.name == "device" or p.kind is p.VAR_KEYWORD for p in parameters)


def test_every_module_pytorch_builds_on_a_device_takes_device():
    missing = []
    for name in dir(torch.nn):
        theirs, ours = getattr(torch.nn, name), getattr(nn, name, None)
        if not (isinstance(theirs, type) and issubclass(theirs, torch.nn.Module)) or ours is None:
            continue
        if "device" in inspect.signature(theirs.__init__).parameters and not takes_device(ours):
            missing.append(name)
    assert missing == []


@pytest.mark.parametrize("name, args, kwargs", BUILT_ON_THE_CPU, ids=[case[0] for case in BUILT_ON_THE_CPU])
@pytest.mark.parametrize("device", ["cpu", "device"])
def test_module_built_on_the_cpu_has_pytorchs_parameters(name, args, kwargs, device):
    ours = getattr(nn, name)(*args, **kwargs, device=fastgrad.device("cpu") if device == "device" else "cpu")
    theirs = getattr(torch.nn, name)(*args, **kwargs, device=torch.device("cpu") if device == "device" else "cpu")
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
           {k: tuple(v.shape) for k, v in theirs.state_dict().items()}


@pytest.mark.parametrize("name, args, kwargs", BUILT_ON_THE_CPU, ids=[case[0] for case in BUILT_ON_THE_CPU])
def test_module_refuses_a_device_that_is_not_one(name, args, kwargs):
    with pytest.raises(TypeError, match=f"{name}: device must be"):
        getattr(nn, name)(*args, **kwargs, device=3.0)
