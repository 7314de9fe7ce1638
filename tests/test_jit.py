"""fastgrad.jit: nothing is scripted or traced; the annotating decorators leave functions as they are; script,
trace, save and load raise NotImplementedError."""
import typing

import pytest

import fastgrad


def square(x):
    return x * x


def test_nothing_is_scripted_or_traced():
    assert fastgrad.jit.is_scripting() is False and fastgrad.jit.is_tracing() is False


@pytest.mark.parametrize("name", ["ignore", "unused", "export", "script_if_tracing"])
def test_decorators_leave_the_function_as_it_is(name):
    assert getattr(fastgrad.jit, name)(square) is square


def test_ignore_with_arguments():
    assert fastgrad.jit.ignore()(square) is square
    with pytest.warns(FutureWarning, match="unused"):
        assert fastgrad.jit.ignore(drop=True)(square) is square


def test_final_is_typings():
    assert fastgrad.jit.Final is typing.Final


@pytest.mark.parametrize("call", [lambda jit: jit.script(fastgrad.nn.Linear(2, 2)),
                                  lambda jit: jit.trace(square, (fastgrad.ones(2),)),
                                  lambda jit: jit.save(fastgrad.nn.Linear(2, 2), "model.pt"),
                                  lambda jit: jit.load("model.pt")])
def test_torchscript_raises_naming_the_function(call):
    with pytest.raises(NotImplementedError, match=r"fastgrad\.jit\.(script|trace|save|load): fastgrad has no"):
        call(fastgrad.jit)
