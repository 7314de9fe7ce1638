"""Creation functions: full_like, empty_like, rand_like, randn_like, linspace, eye, and is_tensor/numel;
shapes, dtypes and requires_grad as PyTorch gives them, values against PyTorch where they are not random."""
import numpy as np
import pytest

import fastgrad


def test_like_functions_take_shape_and_dtype_from_the_tensor():
    doubles, longs = fastgrad.ones(2, 3, dtype=fastgrad.float64), fastgrad.tensor([1, 2])
    assert fastgrad.full_like(doubles, 7).dtype == fastgrad.float64 and fastgrad.full_like(doubles, 7).tolist() == [[7.0] * 3] * 2
    assert fastgrad.full_like(longs, 7.5).tolist() == [7, 7]  # truncated to the int dtype, as PyTorch
    assert fastgrad.full_like(longs, 7.5, dtype=fastgrad.float32).tolist() == [7.5, 7.5]
    assert fastgrad.full_like(doubles, 2, requires_grad=True).requires_grad
    empty = fastgrad.empty_like(longs)
    assert empty.shape == (2,) and empty.dtype == fastgrad.int64
    for random_like in (fastgrad.rand_like, fastgrad.randn_like):
        sample = random_like(doubles)
        assert sample.shape == (2, 3) and sample.dtype == fastgrad.float64 and not sample.requires_grad
        assert random_like(longs, dtype=fastgrad.float32).dtype == fastgrad.float32
        assert random_like(doubles, requires_grad=True).requires_grad
    uniform = fastgrad.rand_like(fastgrad.zeros(1000)).numpy()
    assert 0 <= uniform.min() and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.05
    assert abs(fastgrad.randn_like(fastgrad.zeros(1000)).numpy().std() - 1) < 0.1


def test_random_like_functions_follow_the_seed():
    x = fastgrad.zeros(3, 2)
    fastgrad.manual_seed(5)
    first = (fastgrad.rand_like(x).numpy(), fastgrad.randn_like(x).numpy())
    fastgrad.manual_seed(5)
    np.testing.assert_array_equal(fastgrad.rand_like(x).numpy(), first[0])
    np.testing.assert_array_equal(fastgrad.randn_like(x).numpy(), first[1])


def test_linspace_and_eye_values():
    assert fastgrad.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert fastgrad.linspace(0, 1, 5).dtype == fastgrad.float32
    assert fastgrad.linspace(-1, 1, 4, dtype=fastgrad.int64).tolist() == [-1, 0, 0, 1]  # truncated toward zero
    assert fastgrad.linspace(2, 3, 1).tolist() == [2.0] and fastgrad.linspace(0, 1, 0).shape == (0,)
    assert fastgrad.linspace(fastgrad.tensor(0.0), fastgrad.tensor(1.0), 3).tolist() == [0.0, 0.5, 1.0]
    assert fastgrad.linspace(0, 1, 3, requires_grad=True).requires_grad
    assert fastgrad.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]] and fastgrad.eye(2).dtype == fastgrad.float32
    assert fastgrad.eye(2, 3).shape == (2, 3) and fastgrad.eye(2, dtype=fastgrad.int64).dtype == fastgrad.int64
    assert fastgrad.eye(0).shape == (0, 0) and fastgrad.eye(3, requires_grad=True).requires_grad


def test_is_tensor_and_numel():
    x = fastgrad.ones(2, 3)
    assert fastgrad.is_tensor(x) and not fastgrad.is_tensor([1]) and not fastgrad.is_tensor(np.ones(2))
    assert fastgrad.numel(x) == 6 and fastgrad.numel(fastgrad.tensor(1.0)) == 1


def test_bad_creation_arguments_name_the_argument_and_value():
    cases = [
        (lambda: fastgrad.linspace(0, 1, -1), ValueError, "steps must be non-negative, got -1"),
        (lambda: fastgrad.linspace(0, 1, 2.5), TypeError, "linspace: steps must be an int, got float 2.5"),
        (lambda: fastgrad.eye(-1), ValueError, "eye: n must be >= 0, got -1"),
        (lambda: fastgrad.eye(2, -1), ValueError, "eye: m must be >= 0, got -1"),
        (lambda: fastgrad.eye(2.5), TypeError, "eye: n must be an int, got float 2.5"),
        (lambda: fastgrad.rand_like(fastgrad.tensor([1, 2])), TypeError, "rand_like: needs a floating point dtype, got int64"),
        (lambda: fastgrad.randn_like(fastgrad.ones(2), dtype=fastgrad.int32), TypeError, "randn_like: .* got int32"),
        (lambda: fastgrad.full_like(fastgrad.tensor([1, 2]), 7, requires_grad=True), RuntimeError,
         "only floating point tensors can require gradients, got dtype int64"),
        (lambda: fastgrad.numel([1, 2]), TypeError, "numel: input must be a Tensor, got list"),
    ]
    for fn, error, message in cases:
        with pytest.raises(error, match=message):
            fn()


@pytest.mark.parametrize("start,end,steps,dtype", [
    (0, 1, 7, "float32"), (-3.5, 2.25, 10, "float64"), (0, 10, 5, "int64"), (-1, 1, 4, "int64"), (5, -5, 6, "float32"),
    (0, 1, 1, "float32"), (0, 1, 0, "float32"), (1e6, 1e6 + 1, 9, "float32"),
])
def test_linspace_matches_torch(start, end, steps, dtype):
    torch = pytest.importorskip("torch")
    got = fastgrad.linspace(start, end, steps, dtype=dtype)
    expected = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
    assert str(got.dtype) == dtype and got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)


def test_eye_full_like_and_empty_like_match_torch():
    torch = pytest.importorskip("torch")
    for n, m in ((3, None), (2, 4), (4, 1), (0, 2)):
        expected = torch.eye(n) if m is None else torch.eye(n, m)
        np.testing.assert_array_equal(fastgrad.eye(n, m).numpy(), expected.numpy())
    for values, fill in ((np.zeros((2, 3)), 2.5), (np.zeros(3, dtype=np.int64), -7.9), (np.zeros(2, dtype=np.int32), 4)):
        got, expected = fastgrad.full_like(fastgrad.tensor(values), fill), torch.full_like(torch.tensor(values), fill)
        assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
        empty, torch_empty = fastgrad.empty_like(fastgrad.tensor(values)), torch.empty_like(torch.tensor(values))
        assert empty.shape == tuple(torch_empty.shape) and str(empty.dtype) == str(torch_empty.dtype).replace("torch.", "")


def test_as_tensor_shares_what_it_can_and_copies_the_rest():
    array = np.zeros(3)
    shared = fastgrad.as_tensor(array)
    array[0] = 5.0
    assert shared.tolist() == [5.0, 0.0, 0.0] and shared.dtype == fastgrad.float64
    converted = fastgrad.as_tensor(array, dtype=fastgrad.float32)
    array[1] = 5.0
    assert converted.tolist() == [5.0, 0.0, 0.0]
    t = fastgrad.ones(2)
    assert fastgrad.as_tensor(t) is t and fastgrad.as_tensor(t, dtype=fastgrad.float64).dtype == fastgrad.float64
    assert fastgrad.as_tensor([1, 2]).dtype == fastgrad.int64 and fastgrad.as_tensor([1.5]).dtype == fastgrad.float32
    with pytest.raises(RuntimeError, match="CPU only"):
        fastgrad.as_tensor([1], device="cuda")


def test_rand_and_randn_take_a_generator():
    for draw in (fastgrad.rand, fastgrad.randn):
        first = draw(3, generator=fastgrad.Generator().manual_seed(4)).tolist()
        assert first == draw(3, generator=fastgrad.Generator().manual_seed(4)).tolist()
        assert first != draw(3, generator=fastgrad.Generator().manual_seed(5)).tolist()
    with pytest.raises(TypeError, match="generator must be a fastgrad.Generator"):
        fastgrad.rand(2, generator=3)


def test_logspace_values_and_dtypes():
    np.testing.assert_allclose(fastgrad.logspace(0, 2, 3).numpy(), [1, 10, 100])
    assert fastgrad.logspace(0, 3, 4, base=2, dtype=fastgrad.int64).tolist() == [1, 2, 4, 8]
    assert fastgrad.logspace(0, 1, 5, dtype=fastgrad.float64).dtype == fastgrad.float64


def test_normal_draws_follow_mean_std_and_seed():
    fastgrad.manual_seed(3)
    draws = fastgrad.normal(fastgrad.full((20000,), 2.0, dtype=fastgrad.float64), 3.0)
    assert abs(draws.mean().item() - 2.0) < 0.1 and abs(draws.std().item() - 3.0) < 0.1
    fastgrad.manual_seed(3)
    np.testing.assert_array_equal(fastgrad.normal(fastgrad.full((20000,), 2.0, dtype=fastgrad.float64), 3.0).numpy(),
                                  draws.numpy())
    generator = fastgrad.Generator().manual_seed(1)
    assert fastgrad.normal(0.0, 1.0, (3,), generator=generator).tolist() == \
        fastgrad.normal(0.0, 1.0, (3,), generator=fastgrad.Generator().manual_seed(1)).tolist()
    assert fastgrad.normal(1.0, 0.0, (2,)).tolist() == [1.0, 1.0]


def test_normal_of_tensors_that_require_grad_gives_them_zero_gradients():
    mean = fastgrad.tensor([0.0, 1.0], requires_grad=True)
    out = fastgrad.normal(mean, 2.0)
    assert out.requires_grad
    (out * 3).sum().backward()
    assert mean.grad.tolist() == [0.0, 0.0]
    with fastgrad.no_grad():
        assert not fastgrad.normal(mean, 2.0).requires_grad


@pytest.mark.parametrize("call,error,match", [
    (lambda: fastgrad.logspace(0, 1, -1), ValueError, "steps must be non-negative, got -1"),
    (lambda: fastgrad.logspace(0, 1, 3, base="2"), TypeError, "logspace: base must be a real number, got str"),
    (lambda: fastgrad.normal(0.0, -1.0, (2,)), ValueError, "std must be non-negative, got -1.0"),
    (lambda: fastgrad.normal(fastgrad.zeros(2), fastgrad.tensor([1.0, -2.0])), ValueError,
     "std must be non-negative, got -2.0"),
    (lambda: fastgrad.normal(0.0, 1.0), TypeError, "the size of the draw must be given"),
    (lambda: fastgrad.normal(0.0, 1.0, (2,), dtype=fastgrad.int64), TypeError, "floating point dtype, got int64"),
    (lambda: fastgrad.normal(fastgrad.zeros(2), 1.0, (3,)), TypeError, "size, dtype and requires_grad go with numbers"),
    (lambda: fastgrad.normal(fastgrad.tensor([0, 1]), 1.0), NotImplementedError,
     "mean must be a floating point tensor, got dtype int64"),
    (lambda: fastgrad.normal(fastgrad.zeros(2), fastgrad.ones(3)), RuntimeError, r"normal: mean and std: .*\(shapes "
                                                                                 r"\(2,\), \(3,\) do not broadcast\)"),
    (lambda: fastgrad.normal("0", 1.0, (2,)), TypeError, "normal: mean must be a real number, got str"),
])
def test_logspace_and_normal_refuse_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
