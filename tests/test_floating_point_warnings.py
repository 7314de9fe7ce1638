"""fastgrad's arithmetic is silent about inf and NaN, as PyTorch's is; the user's NumPy code and filters are not changed.

Each case runs in a fresh interpreter: pytest manages warning filters around every test."""
import subprocess
import sys

import pytest

OPS_AND_GRADIENTS = """
x = fastgrad.tensor([0.0, -1.0, 1e30, 2.0], requires_grad=True)
(fastgrad.log(x) + fastgrad.sqrt(x) + x * x + x / fastgrad.tensor([0.0, 0.0, 1.0, 1.0]) + fastgrad.exp(x * 100)).sum().backward()
assert x.grad.isinf()[0]
"""


def shown_warnings(code: str) -> list[str]:
    script = "import warnings, numpy as np, fastgrad\nwarnings.showwarning = lambda message, *rest: print(message)\n"
    done = subprocess.run([sys.executable, "-c", script + code], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
def test_inf_and_nan_from_ops_and_their_gradients_warn_nothing(backend):
    assert shown_warnings(f"fastgrad.set_backend({backend!r})\n" + OPS_AND_GRADIENTS) == []


def test_the_users_own_numpy_code_still_warns():
    assert shown_warnings("np.log(np.zeros(1))\nfastgrad.log(fastgrad.tensor([0.0]))") == [
        "divide by zero encountered in log"]


def test_a_users_error_filter_still_wins():
    code = ("warnings.simplefilter('error')\ntry:\n    fastgrad.log(fastgrad.tensor([0.0]))\n"
            "except RuntimeWarning as error:\n    print('raised', error)")
    assert shown_warnings(code) == ["raised divide by zero encountered in log"]
