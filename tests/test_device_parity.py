"""fastgrad.cuda, the forms of .to(), the legacy constructors (new, new_empty) and format() against PyTorch on a
machine without CUDA."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def test_cuda_answers_as_pytorch_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("this PyTorch sees a GPU")
    assert fastgrad.cuda.is_available() == torch.cuda.is_available()
    assert fastgrad.cuda.device_count() == torch.cuda.device_count()
    assert fastgrad.cuda.manual_seed(1) is torch.cuda.manual_seed(1) is None


@pytest.mark.parametrize("form", [
    lambda lib, x: x.to("cpu"), lambda lib, x: x.to(lib.float64), lambda lib, x: x.to("cpu", lib.int64),
    lambda lib, x: x.to(device="cpu", dtype=lib.int32), lambda lib, x: x.to(lib.zeros(1, dtype=lib.float64)),
    lambda lib, x: x.to(lib.bool, non_blocking=True), lambda lib, x: x.to(lib.float32, copy=True),
    lambda lib, x: x.to(lib.device("cpu"), lib.float64, False, True),
])
def test_to_forms_give_pytorchs_values_and_dtypes(form):
    values = np.array([1.5, -2.0, 0.0], dtype=np.float32)
    ours, theirs = form(fastgrad, fastgrad.tensor(values)), form(torch, torch.tensor(values))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_creation_functions_take_device_as_pytorch():
    for name, args in (("zeros", (2, 3)), ("ones", (2,)), ("arange", (4,)), ("eye", (2,)), ("full", ((2,), 7))):
        ours = getattr(fastgrad, name)(*args, device="cpu")
        theirs = getattr(torch, name)(*args, device="cpu")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


@pytest.mark.parametrize("form", [lambda w: w.new(2, 3).zero_(), lambda w: w.new((2, 3)), lambda w: w.new([1, 2]),
                                  lambda w: w.new(), lambda w: w.new_empty(2).zero_(),
                                  lambda w: w.new_empty((2,), dtype=w.new_tensor(1).long().dtype).zero_()])
def test_legacy_constructors_match_pytorch(form):
    ours, theirs = form(fastgrad.zeros(1, dtype=fastgrad.float64)), form(torch.zeros(1, dtype=torch.float64))
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("spec", ["", ".2f", ".3e", ">8.1f"])
def test_format_matches_pytorch(spec):
    for value in (2.5, 3, True):
        assert format(fastgrad.tensor(value), spec) == format(torch.tensor(value), spec)
