"""The *_scatter functions (one ViewScatter op): gradcheck (float64 central differences) over hypothesis shapes on
every backend, and the op's own rules (the input's layout kept, the later of two writes to one element winning)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scatters(draw):
    """(name, input shape, call(x, src), src shape) for one of the four scatters with arguments that fit, its
    window showing no element twice (where the later write wins, the earlier src element's gradient is PyTorch's,
    not the derivative: see the overlapping test)."""
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    grid = fastgrad.arange(int(np.prod(shape))).reshape(shape)
    name = draw(st.sampled_from(["diagonal", "select", "slice", "as_strided"]))
    if name == "diagonal":
        if len(shape) < 2:
            shape = shape + (3,)
            grid = fastgrad.arange(int(np.prod(shape))).reshape(shape)
        dim1, dim2 = draw(st.permutations(range(len(shape))))[:2]
        offset = draw(st.integers(-shape[dim1], shape[dim2]))
        args = (offset, dim1, dim2)
    elif name == "select":
        dim = draw(st.integers(-len(shape), len(shape) - 1))
        args = (dim, draw(st.integers(-shape[dim], shape[dim] - 1)))
    elif name == "slice":
        dim = draw(st.integers(0, len(shape) - 1))
        bound = st.one_of(st.none(), st.integers(-shape[dim] - 1, shape[dim] + 1))
        args = (dim, draw(bound), draw(bound), draw(st.integers(1, 3)))
    else:
        count = int(np.prod(shape))
        size = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        stride = tuple(draw(st.lists(st.integers(0, 3), min_size=len(size), max_size=len(size))))
        reach = sum((n - 1) * step for n, step in zip(size, stride))
        args = (size, stride, draw(st.integers(0, max(count - 1 - reach, 0))))
        if reach >= count:
            args = ((1,), (1,), 0)
    method = getattr(fastgrad.Tensor, f"{name}_scatter")
    view = {"diagonal": grid.diagonal, "select": grid.select, "as_strided": grid.as_strided,
            "slice": lambda dim, start, end, step: grid[(slice(None),) * dim + (slice(start, end, step),)]}[name]
    positions = view(*args).numpy()
    assume(np.unique(positions).size == positions.size)
    return name, shape, (lambda x, src: method(x, src, *args)), positions.shape


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(case=scatters(), seed=st.integers(0, 2**16))
def test_scatters_gradcheck(backend_name, case, seed):
    _, shape, call, src_shape = case
    check(backend_name, call, leaf(shape, seed), leaf(src_shape, seed + 1))


def test_gradients_are_the_region_of_g_for_src_and_g_with_the_region_zeroed_for_the_input():
    x = fastgrad.zeros(3, 4, requires_grad=True)
    src = fastgrad.zeros(3, requires_grad=True)
    g = fastgrad.arange(12.0).reshape(3, 4)
    x.diagonal_scatter(src, 1).backward(g)
    assert src.grad.tolist() == [1.0, 6.0, 11.0]
    assert x.grad.tolist() == [[0.0, 0.0, 2.0, 3.0], [4.0, 5.0, 0.0, 7.0], [8.0, 9.0, 10.0, 0.0]]


def test_overlapping_writes_keep_the_later_one_and_every_src_element_gets_its_gradient():
    x = fastgrad.zeros(5, requires_grad=True)
    src = fastgrad.arange(4.0).reshape(2, 2).requires_grad_()
    out = x.as_strided_scatter(src, (2, 2), (1, 1))
    assert out.tolist() == [0.0, 2.0, 3.0, 0.0, 0.0]
    out.backward(fastgrad.arange(5.0))
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 3.0, 4.0]  # (PyTorch 2.13's is g inside the window: see the parity test)
    assert src.grad.tolist() == [[0.0, 1.0], [1.0, 2.0]]


def test_the_copy_keeps_the_input_layout_and_src_is_cast_to_its_dtype():
    x = fastgrad.zeros(4, 3).t()
    out = x.select_scatter(fastgrad.tensor([1, 2, 3, 4]), 0, 1)
    assert out.stride() == x.stride() and out.dtype == fastgrad.float32
    assert out[1].tolist() == [1.0, 2.0, 3.0, 4.0] and not np.shares_memory(out.numpy(), x.numpy())
