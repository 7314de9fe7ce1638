"""Checks for the indices of ops whose choice among equal elements PyTorch leaves open: kthvalue, topk,
sort/argsort(stable=False), median/nanmedian(dim) and mode. PyTorch documents no index among ties for these (its
kernels' choice follows from their selection algorithms), nor an order for topk(sorted=False), so fastgrad's (the
first in the stable order, best first) is compared with PyTorch's values alone (as a set per line where no order is
promised): each index must name an element equal to the value returned beside it (NaN equal to NaN), the k indices of
a topk or sort line must be distinct, and the gradient is the one fastgrad's own indices imply.
"""
import numpy as np


def line_indices(indices: np.ndarray, ndim: int, dim: int, squeezed: bool) -> np.ndarray:
    """indices shaped as take_along_axis and gather want them along dim: the dim put back where the op removed it
    (`squeezed`: kthvalue, median and mode without keepdim), a 0-d input's as 1-d."""
    if ndim == 0:
        return np.asarray(indices).reshape(1)
    return np.expand_dims(indices, dim % ndim) if squeezed else np.asarray(indices)


def picks(x: np.ndarray, indices: np.ndarray, dim: int, squeezed: bool) -> np.ndarray:
    """The elements of x at `indices` along dim, in the indices' shape."""
    lines = np.atleast_1d(x)
    return np.take_along_axis(lines, line_indices(indices, x.ndim, dim, squeezed), dim % lines.ndim).reshape(
        np.shape(indices))


def assert_same_values(got: np.ndarray, expected: np.ndarray, dim: int, ordered: bool, message: str = "") -> None:
    """got == expected exactly (NaN equal), or without `ordered` the same values in each line along dim."""
    if not ordered:
        lines = np.atleast_1d(expected).ndim
        got, expected = (np.sort(np.atleast_1d(a), axis=dim % lines) for a in (got, expected))
    np.testing.assert_array_equal(got, expected, err_msg=f"values: {message}")


def assert_valid_picks(x: np.ndarray, indices: np.ndarray, values: np.ndarray, dim: int, squeezed: bool,
                       distinct: bool, message: str = "") -> None:
    """indices (an op's output for x) name, along dim, elements of x equal to `values` (NaN counted equal), and
    with `distinct` no element twice in a line."""
    lines = np.atleast_1d(x)
    axis = dim % lines.ndim
    along = line_indices(indices, x.ndim, dim, squeezed)
    assert ((0 <= along) & (along < lines.shape[axis])).all(), f"indices out of range: {message}"
    np.testing.assert_array_equal(picks(x, indices, dim, squeezed), values, err_msg=f"indices: {message}")
    if distinct:
        assert (np.diff(np.sort(along, axis=axis), axis=axis) != 0).all(), f"an index repeated: {message}"


def implied_values(torch, x, indices: np.ndarray, dim: int, squeezed: bool):
    """The elements of the torch tensor x at (fastgrad's) indices along dim, gathered in x's graph: their gradient
    is the one those indices imply."""
    lines = x.reshape(1) if x.ndim == 0 else x
    along = torch.from_numpy(line_indices(indices, x.ndim, dim, squeezed).astype(np.int64))
    return torch.gather(lines, dim % lines.ndim, along).reshape(np.shape(indices))
