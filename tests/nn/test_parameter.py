"""nn.Buffer: assigning one to a Module registers a buffer, persistent or not, as register_buffer does."""
import copy

import numpy as np
import pytest

import fastgrad
from fastgrad import nn


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(fastgrad.ones(1))
        self.kept = nn.Buffer(fastgrad.ones(2))
        self.scratch = nn.Buffer(fastgrad.zeros(1), persistent=False)


def test_assigned_buffers_are_registered_with_their_persistence():
    module = WithBuffers()
    assert [name for name, _ in module.named_buffers()] == ["kept", "scratch"]
    assert list(module.state_dict()) == ["weight", "kept"]
    assert [name for name, _ in module.named_parameters()] == ["weight"]
    module.scratch = nn.Buffer(fastgrad.ones(1))  # a Buffer re-assigned says again whether it persists
    assert list(module.state_dict()) == ["weight", "kept", "scratch"]
    module.kept = fastgrad.zeros(3)  # a plain tensor keeps the buffer's place and persistence
    assert list(module.state_dict()) == ["weight", "kept", "scratch"] and module.kept.shape == (3,)
    module.kept = nn.Buffer(fastgrad.ones(1), persistent=False)
    assert list(module.state_dict()) == ["weight", "scratch"]


def test_buffer_shares_memory_and_keeps_requires_grad():
    data = fastgrad.ones(3, requires_grad=True)
    buffer = nn.Buffer(data)
    assert buffer.requires_grad and buffer.is_leaf and buffer.persistent
    with fastgrad.no_grad():
        buffer.add_(1)
    np.testing.assert_array_equal(data.detach().numpy(), [2.0, 2.0, 2.0])
    assert type(buffer * 2) is fastgrad.Tensor
    empty = nn.Buffer()
    assert empty.shape == (0,) and empty.dtype == fastgrad.get_default_dtype()


def test_copied_module_keeps_buffers_persistence():
    copied = copy.deepcopy(WithBuffers())
    assert list(copied.state_dict()) == ["weight", "kept"] and copied.scratch.persistent is False
    assert copied.to(fastgrad.float64).kept.dtype == fastgrad.float64


def test_buffer_refusals():
    module = WithBuffers()
    with pytest.raises(TypeError, match="Buffer\\(\\): data must be a Tensor or None, got list"):
        nn.Buffer([1.0, 2.0])
    with pytest.raises(TypeError, match="cannot assign Buffer to parameter 'weight' of WithBuffers"):
        module.weight = nn.Buffer(fastgrad.ones(1))
    plain = nn.Module()
    plain.attribute = fastgrad.ones(1)
    with pytest.raises(KeyError, match="attribute 'attribute' already exists"):
        plain.attribute = nn.Buffer(fastgrad.ones(1))
    with pytest.raises(AttributeError, match="cannot assign Buffer 'early' before Module.__init__\\(\\) call"):
        nn.Module.__setattr__(object.__new__(WithBuffers), "early", nn.Buffer(fastgrad.ones(1)))
