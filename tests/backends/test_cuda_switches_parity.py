"""torch.backends.cuda and cudnn's switches as PyTorch answers them without a GPU: the boilerplate that sets
`torch.backends.cuda.matmul.allow_tf32 = True` and `torch.backends.cudnn.allow_tf32 = True` runs, each switch
reads back what PyTorch's does, matmul.allow_tf32 and the float32 matmul precision are two views of one setting,
and a misspelt switch raises AttributeError as in PyTorch. (PyTorch 2.13 raises from
get_float32_matmul_precision once the legacy switches and the precision were both set in some orders; fastgrad
keeps the one setting, and these tests keep to the orders where PyTorch answers, leaving its state as found.)"""
import pytest

import fastgrad

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="PyTorch's answers here are those without CUDA")


@pytest.fixture(autouse=True)
def restored_precision():
    """The precision is process-wide in both libraries: put it back after each test."""
    saved = [(lib, lib.get_float32_matmul_precision()) for lib in (fastgrad, torch)]
    yield
    for lib, precision in saved:
        lib.set_float32_matmul_precision(precision)


def matmul_answers(lib):
    matmul = lib.backends.cuda.matmul
    read = [lib.backends.cuda.is_built(), matmul.allow_tf32, matmul.allow_fp16_reduced_precision_reduction,
            matmul.allow_bf16_reduced_precision_reduction]
    matmul.allow_tf32 = True
    read += [matmul.allow_tf32, lib.get_float32_matmul_precision()]
    lib.set_float32_matmul_precision("medium")
    read.append(matmul.allow_tf32)
    lib.set_float32_matmul_precision("highest")
    read.append(matmul.allow_tf32)
    matmul.allow_fp16_reduced_precision_reduction = False
    read.append(matmul.allow_fp16_reduced_precision_reduction)
    matmul.allow_fp16_reduced_precision_reduction = True
    return read


def test_matmul_switches_read_back_as_pytorchs():
    assert matmul_answers(fastgrad) == matmul_answers(torch)


def test_cudnn_allow_tf32_starts_as_pytorchs_and_can_be_set(monkeypatch):
    assert fastgrad.backends.cudnn.allow_tf32 is torch.backends.cudnn.allow_tf32
    monkeypatch.setattr(fastgrad.backends.cudnn, "allow_tf32", fastgrad.backends.cudnn.allow_tf32)
    fastgrad.backends.cudnn.allow_tf32 = False
    assert fastgrad.backends.cudnn.allow_tf32 is False


@pytest.mark.parametrize("lib", [fastgrad, torch], ids=["fastgrad", "torch"])
def test_a_misspelt_matmul_switch_raises(lib):
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf23"):
        lib.backends.cuda.matmul.allow_tf23 = True
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf23"):
        lib.backends.cuda.matmul.allow_tf23
