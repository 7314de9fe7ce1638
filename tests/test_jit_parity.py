"""fastgrad.jit's answers and decorators against torch.jit's."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def square(x):
    return x * x


def test_answers_match():
    assert fastgrad.jit.is_scripting() == torch.jit.is_scripting()
    assert fastgrad.jit.is_tracing() == torch.jit.is_tracing()
    assert fastgrad.jit.Final is torch.jit.Final


@pytest.mark.parametrize("name", ["ignore", "unused", "export", "script_if_tracing"])
def test_decorated_functions_return_the_same(name):
    ours, theirs = getattr(fastgrad.jit, name)(square), getattr(torch.jit, name)(square)
    assert ours(fastgrad.tensor(3.0)).item() == theirs(torch.tensor(3.0)).item() == 9.0


def test_ignore_drop_warns_as_torchs():
    for lib in (torch, fastgrad):
        with pytest.warns(FutureWarning):
            assert lib.jit.ignore(drop=True)(square) is square
