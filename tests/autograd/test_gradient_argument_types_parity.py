"""The gradients given to backward() and autograd.grad() are tensors or None, as PyTorch takes them: a NumPy array,
a list of numbers or a string is PyTorch's TypeError naming the type of an entry, and a lone number its TypeError
that the number is not iterable (fastgrad took an array as the gradient and read a number as one of shape ())."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

GIVEN = {"ndarray": lambda lib: np.ones(3, dtype=np.float32), "list of numbers": lambda lib: [1.0, 1.0, 1.0],
         "string": lambda lib: "ab", "number": lambda lib: 1.0, "NumPy number": lambda lib: np.float32(1.0)}
CALLS = {"Tensor.backward": lambda lib, y, x, g: y.backward(g),
         "autograd.backward": lambda lib, y, x, g: lib.autograd.backward(y, g),
         "autograd.grad": lambda lib, y, x, g: lib.autograd.grad(y, x, g)}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("given", GIVEN)
def test_a_gradient_that_is_not_a_tensor_is_refused_as_by_pytorch(given, call):
    messages = []
    for lib in (torch, fastgrad):
        x = lib.ones(3, requires_grad=True)
        with pytest.raises(TypeError) as raised:
            CALLS[call](lib, x * 2, x, GIVEN[given](lib))
        messages.append(str(raised.value))
    expected = "not iterable" if "number" in given and "list" not in given else "gradients can be either Tensors or None"
    assert all(expected in message for message in messages), messages


def test_a_tensor_gradient_in_a_tuple_or_list_is_taken():
    for lib in (torch, fastgrad):
        x = lib.ones(3, requires_grad=True)
        (x * 2).backward((lib.full((3,), 2.0),))
        lib.autograd.backward([x * 3], [lib.ones(3)])
        assert x.grad.tolist() == [7.0, 7.0, 7.0]
