"""fastgrad.save/load against torch.save/load: what comes back keeps the types, requires_grad and shared
memory that PyTorch's keeps."""
from collections import OrderedDict

import pytest

import fastgrad

torch = pytest.importorskip("torch")


def round_trip(library, tmp_path):
    linear = library.nn.Linear(3, 2)
    linear.bias.requires_grad_(False)
    a = library.arange(6.0)
    library.save({"state": linear.state_dict(), "weight": linear.weight, "bias": linear.bias, "a": a,
                  "tail": a[1:]}, tmp_path / library.__name__)
    return library.load(tmp_path / library.__name__)


def test_types_requires_grad_and_sharing_match(tmp_path):
    ours, theirs = round_trip(fastgrad, tmp_path), round_trip(torch, tmp_path)
    for loaded, library in ((ours, fastgrad), (theirs, torch)):
        assert type(loaded["state"]) is OrderedDict and type(loaded["state"]["weight"]) is library.Tensor
        assert type(loaded["weight"]) is library.nn.Parameter and loaded["weight"].requires_grad
        assert type(loaded["bias"]) is library.nn.Parameter and not loaded["bias"].requires_grad
        loaded["a"][1] = -1.0
        assert loaded["tail"][0].item() == -1.0
