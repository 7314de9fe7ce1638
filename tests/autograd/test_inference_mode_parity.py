"""Inference mode against PyTorch: whether it is on, grad mode inside inference_mode(False), and which tensors
are inference tensors (made inside, views of them, copies made outside)."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def inference_flags(lib):
    normal = lib.ones(2)
    flags = []
    with lib.inference_mode():
        made = lib.ones(2)
        flags += [lib.is_inference_mode_enabled(), made.is_inference(), (made + 1).is_inference(),
                  made[:1].is_inference(), normal[:1].is_inference(), normal.detach().is_inference(),
                  (normal * 2).is_inference(), lib.zeros_like(normal).is_inference()]
        with lib.inference_mode(False):
            flags += [lib.is_inference_mode_enabled(), lib.ones(1).is_inference(), made.view(2).is_inference()]
    with lib.no_grad():
        flags += [lib.is_inference_mode_enabled(), lib.ones(1).is_inference()]
        with lib.inference_mode(False):
            flags += [lib.is_grad_enabled()]
        flags += [lib.is_grad_enabled()]
    flags += [lib.is_inference_mode_enabled(), made.is_inference(), made.clone().is_inference(),
              normal.is_inference(), lib.is_inference(made)]
    return flags


def test_inference_tensors_match_torch():
    assert inference_flags(fastgrad) == inference_flags(torch)
