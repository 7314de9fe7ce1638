"""Memory formats against PyTorch: the strides of clone, contiguous, to and the *_like functions of views of
every kind (permuted, sliced, expanded), which copies are made, and the errors."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fastgrad

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORMATS = ["contiguous_format", "preserve_format", "channels_last", "channels_last_3d"]


@st.composite
def views(draw):
    """The same view of the same values in both libraries (never empty: NumPy keeps no strides there). Only views
    of the same strides are drawn: fastgrad's expand gives the dims of size 1 it keeps a stride of 0, where
    PyTorch's keeps theirs, and the layout of a copy is only comparable from the same strides."""
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=5))
    values = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    order = draw(st.permutations(range(len(shape))))
    dim, step, expand = draw(st.integers(0, len(shape) - 1)), draw(st.integers(1, 2)), draw(st.booleans())

    def make(lib):
        t = lib.tensor(values).permute(*order)
        t = t[(slice(None),) * dim + (slice(None, None, step),)]
        if expand and t.shape[dim] == 1:
            t = t.expand(*[3 if d == dim else -1 for d in range(t.ndim)])
        return t
    assume(make(fastgrad).stride() == make(torch).stride())
    return make


def same(call):
    """call(lib) gives the same result in both libraries: equal values and strides, or the same error type."""
    try:
        expected = call(torch)
    except (RuntimeError, TypeError) as error:
        with pytest.raises(type(error)):
            call(fastgrad)
        return
    got = call(fastgrad)
    if isinstance(expected, torch.Tensor):
        assert got.shape == tuple(expected.shape) and got.stride() == expected.stride()
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    else:
        assert got == expected


@pytest.mark.parametrize("name", FORMATS)
@SETTINGS
@given(view=views())
def test_copies_and_checks_match_torch(name, view):
    for call in (lambda lib: view(lib).clone(memory_format=getattr(lib, name)),
                 lambda lib: view(lib).contiguous(memory_format=getattr(lib, name)),
                 lambda lib: view(lib).is_contiguous(memory_format=getattr(lib, name)),
                 lambda lib: view(lib).to(lib.float64, memory_format=getattr(lib, name)),
                 lambda lib: lib.zeros_like(view(lib), memory_format=getattr(lib, name)),
                 lambda lib: lib.full_like(view(lib), 2.5, memory_format=getattr(lib, name))):
        same(call)


@pytest.mark.parametrize("name", FORMATS)
@SETTINGS
@given(view=views())
def test_to_copies_when_torch_does(name, view):
    def aliases(lib):
        t = view(lib)
        return t.to(memory_format=getattr(lib, name)) is t
    same(aliases)


@SETTINGS
@given(view=views())
def test_default_layouts_match_torch(view):
    same(lambda lib: view(lib).clone())
    same(lambda lib: view(lib).contiguous())
    same(lambda lib: view(lib).is_contiguous())
    same(lambda lib: lib.ones_like(view(lib)))
    same(lambda lib: lib.empty_like(view(lib)).stride())
    same(lambda lib: lib.rand_like(view(lib)).stride())


def test_module_to_matches_torch():
    ours, theirs = fastgrad.nn.Conv2d(2, 3, 3), torch.nn.Conv2d(2, 3, 3)
    for module, lib in ((ours, fastgrad), (theirs, torch)):
        module.to(memory_format=lib.channels_last)
    assert ours.weight.stride() == theirs.weight.stride() and ours.bias.stride() == theirs.bias.stride()


def test_the_formats_print_as_torch():
    for name in FORMATS:
        assert repr(getattr(fastgrad, name)) == repr(getattr(torch, name)).replace("torch", "fastgrad")
