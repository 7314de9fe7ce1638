"""The window functions (fastgrad/windows.py) against PyTorch's: values for every length, both kinds and both
float dtypes, and the refusals."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

WINDOWS = {
    "hann": lambda lib, n, periodic: lib.hann_window(n, periodic),
    "hamming": lambda lib, n, periodic: lib.hamming_window(n, periodic),
    "hamming alpha beta": lambda lib, n, periodic: lib.hamming_window(n, periodic, 0.5, 0.4),
    "blackman": lambda lib, n, periodic: lib.blackman_window(n, periodic),
    "bartlett": lambda lib, n, periodic: lib.bartlett_window(n, periodic),
    "kaiser": lambda lib, n, periodic: lib.kaiser_window(n, periodic),
    "kaiser beta": lambda lib, n, periodic: lib.kaiser_window(n, periodic, 3.5),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_windows_match_torch(name, periodic, dtype):
    fastgrad.set_default_dtype(getattr(fastgrad, dtype))
    torch.set_default_dtype(getattr(torch, dtype))
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)
    for n in (0, 1, 2, 3, 4, 7, 16):
        ours, theirs = WINDOWS[name](fastgrad, n, periodic), WINDOWS[name](torch, n, periodic)
        assert str(ours.dtype) == dtype and ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **tol)


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
                                  "kaiser_window"])
def test_windows_take_torch_keywords_and_refuse_what_torch_refuses(name):
    made = getattr(fastgrad, name)(5, dtype=fastgrad.float64, layout=fastgrad.strided, device="cpu",
                                   requires_grad=True)
    assert made.dtype == fastgrad.float64 and made.requires_grad and made.is_leaf
    for bad in (lambda lib: getattr(lib, name)(-1), lambda lib: getattr(lib, name)(5.0),
                lambda lib: getattr(lib, name)(True), lambda lib: getattr(lib, name)(5, dtype=lib.int64)):
        with pytest.raises((RuntimeError, TypeError)):
            bad(torch)
        with pytest.raises((ValueError, TypeError)):
            bad(fastgrad)
