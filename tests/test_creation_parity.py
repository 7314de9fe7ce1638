"""arange, logspace and normal against PyTorch: values (logspace), shapes, dtypes, the zero gradient of normal's draws,
and the refusals."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("call", [
    lambda m: m.arange(m.tensor(0.5), m.tensor(3.0)), lambda m: m.arange(m.tensor(2.5)),
    lambda m: m.arange(0, m.tensor(2.5)), lambda m: m.arange(m.tensor(4), 9, m.tensor(1.5)),
    lambda m: m.arange(m.tensor(1), m.tensor(7), m.tensor(2)), lambda m: m.arange(m.tensor(1.0), m.tensor(1.0), 2),
])
def test_arange_takes_0_dim_tensors_as_their_numbers_as_torch(call):
    """A float tensor bound is a float (not truncated to an int range), and it makes the result floating."""
    got, expected = call(fastgrad), call(torch)
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    assert got.tolist() == expected.tolist()

    for lib in (fastgrad, torch):
        with pytest.raises(TypeError):
            lib.arange(lib.tensor([3.0]), 5)


@pytest.mark.parametrize("start,end,steps,base,dtype", [
    (0, 2, 3, 10.0, None), (-1.5, 2.25, 8, 10.0, "float64"), (0, 10, 11, 2.0, "int64"), (0, 3, 4, 2, "int32"),
    (-1, 1, 4, -2.0, "float64"), (3, -3, 7, 0.5, "float32"), (0, 1, 1, 10.0, None), (0, 1, 0, 10.0, None),
    (1, 2, 5, np.e, "float64"),
])
def test_logspace_matches_torch(start, end, steps, base, dtype):
    got = fastgrad.logspace(start, end, steps, base, dtype=None if dtype is None else getattr(fastgrad, dtype))
    expected = torch.logspace(start, end, steps, base, dtype=None if dtype is None else getattr(torch, dtype))
    assert got.shape == tuple(expected.shape) and str(got.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("call", [
    lambda m: m.normal(m.tensor([0.0, 1.0]), m.tensor([1.0, 2.0])),
    lambda m: m.normal(m.zeros(2, 1, dtype=m.float64), m.ones(3, dtype=m.float64)),
    lambda m: m.normal(m.tensor([0.0, 1.0], dtype=m.float64), 1.0),
    lambda m: m.normal(m.tensor([0.0, 1.0])),
    lambda m: m.normal(0.0, m.ones(2, 2, dtype=m.float64)),
    lambda m: m.normal(2.0, 3.0, (4, 1)),
    lambda m: m.normal(2.0, 3.0, size=(3,), dtype=m.float64),
    lambda m: m.normal(2.0, 3.0, (2,), requires_grad=True),
    lambda m: m.normal(2.0, 0.0, (2,)),
])
def test_normal_shapes_dtypes_and_recording_match_torch(call):
    got, expected = call(fastgrad), call(torch)
    assert got.shape == tuple(expected.shape) and str(got.dtype) == str(expected.dtype).replace("torch.", "")
    assert got.requires_grad == expected.requires_grad


def test_normal_gives_mean_and_std_zero_gradients_like_torch():
    for lib in (fastgrad, torch):
        mean = lib.tensor([0.0, 1.0], requires_grad=True)
        std = lib.tensor([[1.0], [2.0]], requires_grad=True)
        out = lib.normal(mean, std)
        assert out.requires_grad and out.shape == (2, 2)
        out.sum().backward()
        np.testing.assert_array_equal(mean.grad.numpy(), [0.0, 0.0])
        np.testing.assert_array_equal(std.grad.numpy(), [[0.0], [0.0]])


@pytest.mark.parametrize("call", [
    lambda m: m.normal(m.tensor([0.0, 1.0]), m.tensor([1.0, -1.0])),
    lambda m: m.normal(0.0, -1.0, (2,)),
    lambda m: m.normal(0.0, 1.0),
    lambda m: m.normal(m.tensor([0, 1]), 1.0),
    lambda m: m.normal(m.tensor([0.0, 1.0]), m.tensor([1.0, 1.0, 1.0])),
    lambda m: m.normal(m.tensor([0.0]), 1.0, size=(3,)),
    lambda m: m.logspace(0, 1, -1),
])
def test_what_torch_refuses_is_refused(call):
    for lib in (torch, fastgrad):
        with pytest.raises((RuntimeError, TypeError, ValueError, NotImplementedError)):
            call(lib)


def _arange_cases(count: int) -> list:
    rng = np.random.default_rng(0)
    cases = [(0, 1, 0.1), (0, 0.3, 0.1), (1, 2.2, 0.2), (-1, 1, 0.2), (0, 10, 3), (10, 0, -3), (0, 5.5, 0.5),
             (-2.5, 2.5, 1), (1.5, 5.7, 1.2), (0, 5, 1.5), (2**60, 2**60 + 5, 2), (0.5, 200.5, 0.25)]
    for _ in range(count):
        start = round(float(rng.uniform(-5, 5)), int(rng.integers(0, 3)))
        step = round(float(rng.choice([-1, 1]) * rng.uniform(0.01, 2)), int(rng.integers(1, 3)))
        cases.append((start, round(start + step * float(rng.integers(1, 60)) + float(rng.choice([0, 0.5 * step])), 6),
                      step))
    return cases


@pytest.mark.parametrize("start, end, step", _arange_cases(60))
@pytest.mark.parametrize("dtype", [None, "float32", "float64", "int64", "uint8"])
def test_arange_values_are_torchs_to_the_bit(start, end, step, dtype):
    """NumPy's arange adds a float32 step in float32 (0.1 steps reached 0.90000004 for PyTorch's 0.9), counted
    fractional int64 ranges without cutting start, end and step first, and returned nothing where the step points
    away from end; PyTorch's values come from blocks of SIMD lanes with fused multiply-adds."""
    def call(lib):
        return lib.arange(start, end, step, dtype=None if dtype is None else getattr(lib, dtype))

    try:
        expected = call(torch)
    except (RuntimeError, ValueError) as error:
        with pytest.raises((RuntimeError, ValueError)):
            call(fastgrad)
        return
    if dtype == "uint8" and start > 2**32:  # PyTorch returns nothing; fastgrad wraps the values around, as for -3
        return
    if dtype == "uint8" and not all(float(v).is_integer() for v in (start, end, step)):
        with pytest.raises(ValueError, match="whole numbers"):  # PyTorch's length and values disagree there
            call(fastgrad)
        return
    got = call(fastgrad)
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("args, kwargs, error", [
    ((0, 5, 0), {}, RuntimeError), ((0, 5, -1), {}, RuntimeError), ((5, 0, 1), {}, RuntimeError),
    ((0, float("inf")), {}, RuntimeError), ((0, float("nan")), {}, RuntimeError), ((0, 5), {"dtype": "bool"},
                                                                                    NotImplementedError)])
def test_arange_refuses_what_torch_refuses(args, kwargs, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            lib.arange(*args, **{k: getattr(lib, v) for k, v in kwargs.items()})


def test_arange_of_small_integer_dtypes_wraps_around_as_torch():
    for args in ((-3, 3), (250, 260, 3), (0, 300)):
        np.testing.assert_array_equal(fastgrad.arange(*args, dtype=fastgrad.uint8).numpy(),
                                      torch.arange(*args, dtype=torch.uint8).numpy())
    assert fastgrad.arange(True).tolist() == torch.arange(True).tolist() == [0]
