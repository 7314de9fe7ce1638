"""nn.Buffer against PyTorch's: registration, state_dict keys, values and the errors of a bad assignment."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def build(lib):
    class WithBuffers(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.ones(1))
            self.kept = lib.nn.Buffer(lib.arange(2.0))
            self.scratch = lib.nn.Buffer(lib.zeros(1), persistent=False)

    return WithBuffers()


@pytest.mark.parametrize("steps", [[], [("scratch", True)], [("kept", False)], [("kept", None)],
                                   [("scratch", True), ("scratch", False)], [("extra", False), ("extra", True)]])
def test_buffer_assignments_register_as_torchs(steps):
    ours, theirs = build(fastgrad), build(torch)
    for name, persistent in steps:
        if persistent is None:  # a plain tensor on a buffer's name
            setattr(ours, name, fastgrad.full((3,), 4.0)), setattr(theirs, name, torch.full((3,), 4.0))
        else:
            setattr(ours, name, fastgrad.nn.Buffer(fastgrad.full((2,), 5.0), persistent=persistent))
            setattr(theirs, name, torch.nn.Buffer(torch.full((2,), 5.0), persistent=persistent))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_buffers()] == [name for name, _ in theirs.named_buffers()]
    for (name, mine), (_, their) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_array_equal(mine.numpy(), their.numpy(), err_msg=name)


def test_buffer_values_and_errors_as_torchs():
    for data in [None, "ones"]:
        ours = fastgrad.nn.Buffer(None if data is None else fastgrad.ones(2, requires_grad=True))
        theirs = torch.nn.Buffer(None if data is None else torch.ones(2, requires_grad=True))
        assert ours.shape == tuple(theirs.shape) and ours.requires_grad == theirs.requires_grad
        assert repr(ours) == repr(theirs) and ours.persistent == theirs.persistent
    for lib in (fastgrad, torch):
        module = build(lib)
        with pytest.raises(TypeError):
            module.weight = lib.nn.Buffer(lib.ones(1))
        module.attribute = lib.ones(1)
        with pytest.raises(KeyError, match="attribute 'attribute' already exists"):
            module.attribute = lib.nn.Buffer(lib.ones(1))
        with pytest.raises(AttributeError, match="cannot assign .*uffer.* before Module.__init__\\(\\) call"):
            lib.nn.Module.__setattr__(object.__new__(lib.nn.Module), "early", lib.nn.Buffer(lib.ones(1)))
