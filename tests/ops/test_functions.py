"""Arguments of the math, reduction, indexing and in-place functions: refusals name the argument, the
expectation and what came; non-differentiable results record no graph."""
import numpy as np
import pytest

import fastgrad


def randn(*shape, dtype=fastgrad.float32, requires_grad=False):
    return fastgrad.tensor(np.random.default_rng(0).standard_normal(shape), dtype=dtype, requires_grad=requires_grad)


INT = fastgrad.tensor([1, 2, 3])


@pytest.mark.parametrize("call,error,match", [
    (lambda: fastgrad.atan2(randn(2), 1.0), TypeError, "atan2: other must be a Tensor"),
    (lambda: fastgrad.hypot(INT, INT), TypeError, "hypot: not defined for dtype int64"),
    (lambda: fastgrad.logaddexp(randn(2), randn(3)), RuntimeError, r"tensor a \(2\) must match .* tensor b \(3\)"),
    (lambda: fastgrad.fmod(INT, fastgrad.tensor([1, 0, 1])), ZeroDivisionError, "fmod"),
    (lambda: fastgrad.heaviside(randn(2), randn(1, dtype=fastgrad.float64)), RuntimeError, "same dtype"),
    (lambda: fastgrad.heaviside(randn(2), 0.5), TypeError, "values must be a Tensor"),
    (lambda: fastgrad.lerp(randn(2), randn(2, dtype=fastgrad.float64), 0.5), RuntimeError, "for end"),
    (lambda: fastgrad.lerp(randn(2), randn(2), "half"), TypeError, "weight"),
    (lambda: fastgrad.lerp(INT, INT, 1), NotImplementedError, "floating point"),
    (lambda: fastgrad.nanmean(INT), RuntimeError, "floating point"),
    (lambda: fastgrad.median(randn(0)), ValueError, "empty"),
    (lambda: randn(2, 0).median(1), IndexError, "size 0"),
    (lambda: randn(2, 3).median(2), IndexError, "out of range"),
    (lambda: randn(2, 0).mode(1), IndexError, "size 0"),
    (lambda: randn(3).take(fastgrad.tensor([3])), IndexError, "out of range"),
    (lambda: randn(3).take(fastgrad.tensor([0.0])), RuntimeError, "int64"),
    (lambda: fastgrad.searchsorted(randn(3), randn(2), side="middle"), ValueError, "'left' or 'right'"),
    (lambda: fastgrad.searchsorted(randn(3), randn(2), side="left", right=True), ValueError, "contradicts"),
    (lambda: fastgrad.searchsorted(randn(2, 3), randn(3, 2)), ValueError, "all but the last dim"),
    (lambda: fastgrad.searchsorted([1, 2], randn(2)), TypeError, "sorted_sequence"),
    (lambda: fastgrad.cross(randn(2, 2), randn(2, 2)), RuntimeError, "no dim of size 3"),
    (lambda: fastgrad.cross(randn(3, 2), randn(3, 2), dim=1), RuntimeError, "size 3"),
    (lambda: fastgrad.cross(randn(3), randn(1, 3)), RuntimeError, "same number of dims"),
    (lambda: fastgrad.cdist(randn(3), randn(3, 3)), RuntimeError, "x1 must be a tensor of at least 2 dims"),
    (lambda: fastgrad.cdist(randn(2, 3), randn(2, 4)), RuntimeError, "same number of columns"),
    (lambda: fastgrad.cdist(randn(2, 3), randn(2, 3), p=-1), RuntimeError, "non-negative"),
    (lambda: fastgrad.histc(randn(3), bins=0), RuntimeError, "bins > 0"),
    (lambda: fastgrad.histc(randn(3), 4, 1, 0), RuntimeError, "min <= max"),
    (lambda: fastgrad.histc(INT), NotImplementedError, "floating point"),
    (lambda: fastgrad.addcdiv(randn(3), INT, INT), RuntimeError, "integer division"),
    (lambda: fastgrad.addcmul(randn(3), randn(3), randn(3), value="2"), TypeError, "value"),
    (lambda: randn(2, 3).renorm(0, 0, 1.0), ValueError, "p > 0"),
    (lambda: randn(2, 3).index_fill(1, fastgrad.tensor([3]), 0.0), IndexError, "out of range"),
    (lambda: randn(2, 3).index_fill(1, fastgrad.tensor([[0]]), 0.0), ValueError, "0-D or 1-D"),
    (lambda: randn(2, 3).index_copy(1, fastgrad.tensor([0]), randn(2, 2)), ValueError, "does not fit"),
    (lambda: randn(2, 3).index_copy(1, fastgrad.tensor([0]), randn(2)), ValueError, "self's 2 dims"),
    (lambda: randn(2, 3).masked_scatter(fastgrad.ones(2, 3, dtype=fastgrad.bool_), randn(5)), RuntimeError,
     "only 5 elements"),
    (lambda: randn(2, 3).masked_scatter(fastgrad.ones(2, 3), randn(6)), TypeError, "bool tensor"),
    (lambda: randn(2, 3).masked_scatter(fastgrad.ones(2, 3, dtype=fastgrad.bool_), randn(6, dtype=fastgrad.float64)),
     RuntimeError, "dtype"),
    (lambda: randn(2, 3).stride(2), IndexError, "out of range"),
])
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_non_differentiable_results_record_no_graph():
    x = randn(3, 4, requires_grad=True)
    for out in (fastgrad.argwhere(x), fastgrad.count_nonzero(x), fastgrad.searchsorted(x.detach()[0].sort().values, x),
                fastgrad.histc(x), x.median(1).indices, x.mode(0).indices):
        assert not out.requires_grad and out.grad_fn is None


def test_heaviside_is_recorded_and_its_backward_raises_as_torchs():
    """PyTorch has no derivative for heaviside: its result requires grad, and backward raises (fastgrad left it out
    of the graph, giving x no gradient through it and values None, where PyTorch raises)."""
    x, values = randn(3, requires_grad=True), randn(3, requires_grad=True)
    for out in (fastgrad.heaviside(x, values), (x * 1).heaviside_(values.detach())):
        assert out.requires_grad
        with pytest.raises(RuntimeError, match="derivative for heaviside is not implemented"):
            out.sum().backward()


@pytest.mark.parametrize("method,args", [
    ("sqrt_", ()), ("log_", ()), ("abs_", ()), ("neg_", ()), ("sign_", ()), ("pow_", (2,)), ("lerp_", (None, 0.5)),
    ("addcmul_", (None, None)), ("addcdiv_", (None, None)), ("renorm_", (2, 0, 1.0)),
    ("index_fill_", (0, fastgrad.tensor([1]), 0.0)), ("masked_scatter_", ("mask", None)),
    ("scatter_add_", (0, fastgrad.tensor([[0, 1, 0]]), None)), ("index_copy_", (0, fastgrad.tensor([1]), "row")),
])
def test_in_place_methods_bump_the_version_refuse_leaves_and_guard_saved_values(method, args):
    def call(target):
        filled = []
        for a in args:
            filled.append({None: lambda: randn(2, 3).abs() + 0.5, "mask": lambda: randn(2, 3) > 0,
                           "row": lambda: randn(1, 3)}[a]() if a is None or isinstance(a, str) else a)
        return getattr(target, method)(*filled)

    leaf = (randn(2, 3).abs() + 0.5).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        call(leaf)
    y = leaf * 1
    reads_y = y * y  # its backward reads y's old values
    version = y._version
    assert call(y) is y and y._version == version + 1
    with pytest.raises(RuntimeError):
        reads_y.sum().backward()
    y.sum().backward()  # y's own history, through the in-place change, still works
    assert leaf.grad is not None and leaf.grad.shape == leaf.shape
    with fastgrad.no_grad():
        assert call(leaf) is leaf and leaf.is_leaf


def test_in_place_math_refuses_a_result_the_dtype_cannot_hold():
    with pytest.raises(RuntimeError, match="can't be cast"):
        fastgrad.tensor([1, 4]).sqrt_()
    with pytest.raises(RuntimeError, match="can't be cast"):
        fastgrad.tensor([1, 4]).pow_(0.5)
    with pytest.raises(RuntimeError, match="output with shape"):
        randn(1, 3).addcmul_(randn(2, 3), randn(2, 3))


def test_view_metadata_follows_the_memory():
    x = fastgrad.arange(12.0).reshape(3, 4)
    view = x.T[1:]
    assert view.stride() == (1, 4) and view.storage_offset() == 1 and view.is_contiguous() is False
    assert x.nbytes == 48 and x.itemsize == 4 and fastgrad.tensor([1, 2]).itemsize == 8
    assert x.H.shape == (4, 3) and randn(2, 3, 4).mH.shape == (2, 4, 3)
    assert x[1:].detach().storage_offset() == 4 and x.T.data[2].storage_offset() == 2  # detach keeps the place


def test_diagonal_is_a_writable_view():
    x = fastgrad.zeros(3, 4)
    x.diagonal().fill_(1.0)
    x.diagonal(-1)[1] = 2.0
    np.testing.assert_array_equal(x.numpy(), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 2, 1, 0]])
    assert x.diagonal(1).stride() == (5,) and x.diagonal(1).storage_offset() == 1
    version = x._version
    x.diagonal().add_(1)
    x.diag().add_(1)  # torch.diag copies
    assert x._version == version + 1 and x[2, 2].item() == 2.0


def test_view_where_no_view_exists_raises_for_views_and_copies_read_only_otherwise():
    x = fastgrad.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match=r"view: size \(6,\) is not compatible with the input's size \(3, 2\) "
                                           r"and stride \(1, 3\).*use .reshape"):
        x.T.view(6)  # as PyTorch: a transpose has PyTorch's strides, and PyTorch raises
    with pytest.raises(RuntimeError, match="not compatible"):
        x[:, 1:].detach().view(4)
    laid_out_otherwise = fastgrad.from_numpy(np.arange(6.0).reshape(2, 3).T.copy(order="F"))  # owns its memory
    flat = laid_out_otherwise.view(6)  # a copy, read-only: a write would not reach the original
    np.testing.assert_array_equal(flat.numpy(), [0, 3, 1, 4, 2, 5])
    with pytest.raises(RuntimeError, match="the copy that view\\(\\) made where the strides allow no view"):
        flat.add_(1)
    with pytest.raises(RuntimeError, match="read-only"):
        flat[0] = 1.0
    x.view(3, 2).add_(1)  # a true view stays writable
    assert x[0, 0].item() == 1.0

def test_review_fixes_atan2_at_the_origin_addcmul_of_integers_and_mode_with_nan():
    a, b = fastgrad.tensor([0.0, 1.0], requires_grad=True), fastgrad.tensor([0.0, 2.0], requires_grad=True)
    fastgrad.atan2(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.0, 0.4])  # 0 at the origin, as PyTorch (not NaN)
    np.testing.assert_allclose(b.grad.numpy(), [0.0, -0.2])
    with pytest.raises(RuntimeError, match="value=0.5 is not an integer"):
        fastgrad.tensor([1, 2]).addcmul(fastgrad.tensor([2, 2]), fastgrad.tensor([2, 2]), value=0.5)
    assert fastgrad.tensor([1, 2]).addcmul(fastgrad.tensor([2, 2]), fastgrad.tensor([2, 2]), value=2).tolist() == [9, 10]
    with pytest.raises(NotImplementedError, match="mode: the input holds NaN"):
        fastgrad.tensor([float("nan"), 1.0, 2.0]).mode()


def test_cat_skips_empty_1d_tensors_as_pytorch_and_comparisons_with_none():
    out = fastgrad.tensor([])  # the usual start of an `out = cat([out, batch])` loop
    for step in range(3):
        out = fastgrad.cat([out, fastgrad.full((2,), float(step))])
    assert out.tolist() == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]
    assert fastgrad.cat([fastgrad.ones(2, 3), fastgrad.tensor([])], 1).shape == (2, 3)
    assert fastgrad.cat([fastgrad.tensor([]), fastgrad.ones(2, dtype=fastgrad.int64)]).dtype == fastgrad.float32
    with pytest.raises(RuntimeError, match="cat: tensor 1 has shape"):
        fastgrad.cat([fastgrad.ones(0, 3), fastgrad.ones(2, 4)])
    x = fastgrad.tensor([1.0, 2.0])
    assert (x == None) is False and (x != None) is True  # noqa: E711 (the operator is what is tested)
    with pytest.raises(TypeError, match="not supported"):
        x < None  # noqa: B015
    with pytest.raises(TypeError, match="expected a tensor or a number to compare with, got None"):
        x.eq(None)


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
@pytest.mark.parametrize("function", [fastgrad.logaddexp, fastgrad.logaddexp2])
def test_logaddexp_slopes_at_infinite_arguments(backend, function):
    # d/da = 1 / (1 + base^(b - a)): 1 and 0 beside an infinite a (base^(a - out) gave NaN there), NaN where
    # both are infinite of one sign, as PyTorch's
    a = fastgrad.tensor([np.inf, 1.0, -np.inf, np.inf, np.inf, 3.0], dtype=fastgrad.float64, requires_grad=True)
    b = fastgrad.tensor([1.0, np.inf, 1.0, -np.inf, np.inf, 1.0], dtype=fastgrad.float64, requires_grad=True)
    with fastgrad.backends.backend(backend), np.errstate(invalid="ignore"):
        function(a, b).sum().backward()
    shares = [1 / (1 + np.exp(-2.0)), 1 / (1 + np.exp(2.0))] if function is fastgrad.logaddexp else [0.8, 0.2]
    np.testing.assert_array_equal(a.grad.numpy()[:5], [1, 0, 0, 1, np.nan])
    np.testing.assert_array_equal(b.grad.numpy()[:5], [0, 1, 1, 0, np.nan])
    np.testing.assert_allclose([a.grad.numpy()[5], b.grad.numpy()[5]], shares, rtol=1e-14)
