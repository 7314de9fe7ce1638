"""EmbeddingBag's modes and options on hand-computed values, without PyTorch: max (ties, NaN, empty bags),
per_sample_weights, padding_idx, include_last_offset, scale_grad_by_freq, from_pretrained."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn

BACKENDS = ["numpy", "compiled", "python"]
WEIGHT = np.array([[1.0, 5.0], [3.0, -1.0], [3.0, 2.0], [-4.0, 0.5]])


def bag(ids, offsets=None, **kwargs):
    """The bags' output and the weight's gradient for a unit upstream gradient."""
    weight = fastgrad.tensor(WEIGHT, requires_grad=True)
    out = F.embedding_bag(fastgrad.tensor(ids), weight, None if offsets is None else fastgrad.tensor(offsets), **kwargs)
    out.sum().backward()
    return out.detach().numpy(), weight.grad.numpy()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_max_takes_each_dims_largest_and_sends_the_gradient_to_the_first_of_equal_values(backend_name):
    with fastgrad.backend(backend_name):
        out, grad = bag([0, 1, 2, 3], [0, 3, 3], mode="max")  # bag 1 is empty; rows 1 and 2 tie in dim 0
    np.testing.assert_array_equal(out, [[3.0, 5.0], [0.0, 0.0], [-4.0, 0.5]])
    np.testing.assert_array_equal(grad, [[0, 1], [1, 0], [0, 0], [1, 1]])


def test_max_keeps_a_nan_first_row_and_passes_over_a_later_nan_as_pytorch():
    weight = fastgrad.tensor([[1.0, np.nan], [2.0, 0.0], [np.nan, 5.0]], requires_grad=True)
    out = F.embedding_bag(fastgrad.tensor([0, 1, 1, 2, 2, 0]), weight, fastgrad.tensor([0, 2, 4]), mode="max")
    out.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), [[2.0, np.nan], [2.0, 5.0], [np.nan, 5.0]])
    np.testing.assert_array_equal(weight.grad.numpy(), [[0, 1], [2, 0], [1, 2]])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_padding_ids_leave_their_bag_and_an_all_padding_bag_gives_zero(mode):
    out, grad = bag([2, 2, 1, 2, 3], [0, 2], mode=mode, padding_idx=2)
    kept = WEIGHT[[1, 3]]
    expected = {"sum": kept.sum(0), "mean": kept.mean(0), "max": kept.max(0)}[mode]
    np.testing.assert_allclose(out, [[0.0, 0.0], expected])
    assert not grad[2].any()  # the padding row gets no gradient


def test_negative_padding_idx_counts_from_the_end():
    np.testing.assert_allclose(bag([3, 1], [0], mode="mean", padding_idx=-1)[0], WEIGHT[[1]])


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_per_sample_weights_scale_rows_and_get_the_dot_product_of_row_and_bag_gradient(backend_name):
    weight = fastgrad.tensor(WEIGHT, requires_grad=True)
    samples = fastgrad.tensor([2.0, -1.0, 0.5], dtype=fastgrad.float64, requires_grad=True)
    with fastgrad.backend(backend_name):
        out = F.embedding_bag(fastgrad.tensor([0, 1, 0]), weight, fastgrad.tensor([0, 2]), mode="sum",
                              per_sample_weights=samples, padding_idx=1)
        (out * fastgrad.tensor([[1.0, 10.0], [100.0, 1000.0]], dtype=fastgrad.float64)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), [[2.0, 10.0], [0.5, 2.5]])
    np.testing.assert_allclose(samples.grad.numpy(), [51.0, 0.0, 5100.0])  # padding's weight: no gradient
    np.testing.assert_allclose(weight.grad.numpy()[[0, 1]], [[52.0, 520.0], [0.0, 0.0]])


def test_include_last_offset_is_the_same_bags_spelled_with_the_end():
    with_end = bag([0, 1, 2, 3], [0, 1, 4], mode="sum", include_last_offset=True)
    without = bag([0, 1, 2, 3], [0, 1], mode="sum")
    for a, b in zip(with_end, without):
        np.testing.assert_array_equal(a, b)
    assert bag(np.zeros(0, dtype=np.int64), [0], mode="max", include_last_offset=True)[0].shape == (0, 2)


@pytest.mark.parametrize("mode, padding_idx, expected", [
    # ids [1, 1, 3]: row 1 occurs twice, row 3 once (PyTorch 2.13's CPU kernel gives row 3 0.5 here, issue 190063)
    ("sum", None, [0.0, 1.0, 0.0, 1.0]),
    ("mean", None, [0.0, 1 / 3, 0.0, 1 / 3]),
    ("mean", 1, [0.0, 0.0, 0.0, 1.0]),
])
def test_scale_grad_by_freq_divides_each_rows_gradient_by_its_ids_count(mode, padding_idx, expected):
    _, grad = bag([1, 1, 3], [0], mode=mode, scale_grad_by_freq=True, padding_idx=padding_idx)
    np.testing.assert_allclose(grad[:, 0], expected)
    weighted = fastgrad.tensor(WEIGHT, requires_grad=True)
    F.embedding_bag(fastgrad.tensor([1, 1, 3]), weighted, fastgrad.tensor([0]), scale_grad_by_freq=True, mode="sum",
                    per_sample_weights=fastgrad.tensor([2.0, 4.0, 5.0], dtype=fastgrad.float64)).sum().backward()
    np.testing.assert_allclose(weighted.grad.numpy()[:, 0], [0.0, 3.0, 0.0, 5.0])


def test_module_zeroes_the_padding_row_and_from_pretrained_keeps_it_with_every_argument():
    module = nn.EmbeddingBag(5, 3, padding_idx=-2, mode="max")
    assert module.padding_idx == 3 and not module.weight.detach().numpy()[3].any()
    pretrained = nn.EmbeddingBag.from_pretrained(fastgrad.tensor(WEIGHT), False, 10.0, 1.0, True, "sum", False, True, 0)
    assert (pretrained.max_norm, pretrained.norm_type, pretrained.scale_grad_by_freq, pretrained.mode,
            pretrained.include_last_offset, pretrained.padding_idx) == (10.0, 1.0, True, "sum", True, 0)
    assert pretrained.weight.requires_grad
    np.testing.assert_array_equal(pretrained.weight.detach().numpy(), WEIGHT)
    out = pretrained(fastgrad.tensor([0, 1, 2]), fastgrad.tensor([0, 1, 3]))
    np.testing.assert_allclose(out.detach().numpy(), [[0.0, 0.0], WEIGHT[1] + WEIGHT[2]])
    assert repr(pretrained) == "EmbeddingBag(4, 2, max_norm=10.0, norm_type=1.0, scale_grad_by_freq=True, " \
                               "mode='sum', padding_idx=0)"


def test_weighted_bags_read_the_weight_in_backward_only_for_the_sample_weights_gradient():
    """As PyTorch: renormalising the weight (max_norm) before backward breaks only a graph that needs it."""
    for samples_need_grad in (False, True):
        weight = fastgrad.tensor(WEIGHT, requires_grad=True)
        samples = fastgrad.tensor([[1.0, 2.0]], dtype=fastgrad.float64, requires_grad=samples_need_grad)
        out = F.embedding_bag(fastgrad.tensor([[0, 1]]), weight, mode="sum", per_sample_weights=samples)
        F.embedding_bag(fastgrad.tensor([[3]]), weight, max_norm=1.0)  # changes the weight in place
        if samples_need_grad:
            with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
                out.sum().backward()
        else:
            out.sum().backward()
            np.testing.assert_array_equal(weight.grad.numpy()[:2], [[1.0, 1.0], [2.0, 2.0]])
