"""nn.init's dirac_, sparse_ and the deprecated names without the trailing underscore."""
import math
import warnings

import numpy as np
import pytest

import fastgrad
from fastgrad.nn import init


@pytest.mark.parametrize("shape, groups", [((4, 2, 3), 2), ((3, 5, 3, 3), 1), ((6, 2, 2, 3, 4), 3), ((2, 4, 5), 1)])
def test_dirac_puts_one_at_the_kernel_centre_per_passed_channel(shape, groups):
    weight = init.dirac_(fastgrad.full(shape, 7.0), groups).numpy()
    out_per_group = shape[0] // groups
    centre = tuple(size // 2 for size in shape[2:])
    expected = np.zeros(shape)
    for group in range(groups):
        for channel in range(min(out_per_group, shape[1])):
            expected[(group * out_per_group + channel, channel) + centre] = 1
    np.testing.assert_array_equal(weight, expected)


def test_dirac_keeps_the_dtype_and_the_leaf():
    weight = fastgrad.zeros(2, 2, 3, dtype=fastgrad.int32)
    assert init.dirac_(weight) is weight and weight.dtype == fastgrad.int32 and weight.sum().item() == 2
    leaf = fastgrad.zeros(2, 2, 3, requires_grad=True)
    init.dirac_(leaf)
    assert leaf.is_leaf and leaf.requires_grad and leaf._version == 1


@pytest.mark.parametrize("shape, groups, message", [
    ((3, 3), 1, r"only tensors with 3, 4, or 5 dimensions are supported, got shape \(3, 3\)"),
    ((2, 2, 2, 2, 2, 2), 1, "only tensors with 3, 4, or 5 dimensions"),
    ((3, 3, 3), 2, "dim 0 must be divisible by groups, got 3 channels and 2 groups"),
    ((4, 3, 3), 0, "groups must be a positive int, got 0"),
    ((4, 3, 3), 1.0, "groups must be a positive int, got 1.0"),
])
def test_dirac_refuses_bad_shapes_and_groups(shape, groups, message):
    with pytest.raises(ValueError, match=f"dirac_: {message}"):
        init.dirac_(fastgrad.empty(*shape), groups)


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 0.75, 1.0, 3.0])
def test_sparse_zeros_a_fixed_count_per_column(sparsity):
    rows, columns = 8, 50
    weight = init.sparse_(fastgrad.empty(rows, columns), sparsity).numpy()
    zeros = math.ceil(min(sparsity, 1) * rows)
    assert ((weight == 0).sum(axis=0) == zeros).all()


def test_sparse_draws_normal_values_at_uniform_rows():
    """Seeded; each bound is five standard errors of its statistic for this sample size, so that a wrong std or
    a bias towards some rows fails while the seed's draw passes."""
    fastgrad.manual_seed(0)
    rows, columns, sparsity, std = 10, 4000, 0.3, 0.05
    weight = init.sparse_(fastgrad.empty(rows, columns, dtype=fastgrad.float64), sparsity, std=std).numpy()
    kept = weight[weight != 0]
    assert kept.size == columns * (rows - 3)
    assert abs(kept.mean()) < 5 * std / math.sqrt(kept.size)
    assert abs(kept.std() - std) < 5 * std / math.sqrt(2 * kept.size)
    # a row is zeroed in a column with probability 3/10, independently across columns
    zeroed_per_row = (weight == 0).sum(axis=1)
    p = 3 / rows
    assert np.abs(zeroed_per_row - p * columns).max() < 5 * math.sqrt(columns * p * (1 - p))


def test_sparse_follows_the_generator_and_keeps_the_leaf():
    drawn = [init.sparse_(fastgrad.empty(5, 6), 0.4, generator=fastgrad.Generator().manual_seed(2)).tolist()
             for _ in range(2)]
    assert drawn[0] == drawn[1]
    leaf = fastgrad.zeros(5, 6, requires_grad=True)
    assert init.sparse_(leaf, 0.2) is leaf and leaf.is_leaf and leaf.requires_grad


@pytest.mark.parametrize("args, error, message", [
    (((3,), 0.1), ValueError, r"sparse_: only tensors with 2 dimensions are supported, got shape \(3,\)"),
    (((3, 2, 2), 0.1), ValueError, "sparse_: only tensors with 2 dimensions"),
    (((3, 2), -0.5), ValueError, "sparse_: sparsity must be a fraction >= 0, got -0.5"),
    (((3, 2), float("nan")), ValueError, "sparse_: sparsity must be a fraction >= 0, got nan"),
    (((3, 2), "0.5"), ValueError, "sparse_: sparsity must be a fraction >= 0, got '0.5'"),
])
def test_sparse_refuses_bad_arguments(args, error, message):
    shape, sparsity = args
    with pytest.raises(error, match=message):
        init.sparse_(fastgrad.empty(*shape), sparsity)


def test_sparse_refuses_integer_tensors_and_a_negative_std():
    with pytest.raises(NotImplementedError, match="normal_: expected a floating point tensor, got dtype int64"):
        init.sparse_(fastgrad.zeros(3, 3, dtype=fastgrad.int64), 0.5)
    with pytest.raises(ValueError, match="normal_: std must be non-negative"):
        init.sparse_(fastgrad.zeros(3, 3), 0.5, std=-1)


DEPRECATED = {"uniform": ((4, 3),), "normal": ((4, 3),), "constant": ((4, 3), 0.5), "xavier_uniform": ((4, 3),),
              "xavier_normal": ((4, 3),), "kaiming_uniform": ((4, 3),), "kaiming_normal": ((4, 3),),
              "orthogonal": ((4, 3),), "sparse": ((4, 3), 0.5), "dirac": ((4, 3, 3),), "eye": ((4, 3),)}


@pytest.mark.parametrize("old", DEPRECATED)
def test_deprecated_names_warn_and_do_what_the_new_ones_do(old):
    shape, *args = DEPRECATED[old]
    fastgrad.manual_seed(4)
    with pytest.warns(FutureWarning, match=rf"^`nn.init.{old}` is now deprecated in favor of `nn.init.{old}_`.$"):
        tensor = fastgrad.empty(*shape)
        assert getattr(init, old)(tensor, *args) is tensor
    fastgrad.manual_seed(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = getattr(init, old + "_")(fastgrad.empty(*shape), *args)
    assert tensor.tolist() == expected.tolist()
    assert getattr(init, old).__name__ == old
