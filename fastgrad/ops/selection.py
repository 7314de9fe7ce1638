"""Which of several equal elements kthvalue and topk pick, as PyTorch's CPU kernels pick them.

Among ties the values agree whatever the algorithm, but the indices (and so the element a gradient goes to) are
whatever the selection algorithm left in place: PyTorch's kthvalue runs its own quickselect (Sedgewick's partition,
median-of-three pivot), its topk the C++ standard library's nth_element, sort and partial_sort (GNU libstdc++, whose
introselect, introsort and heap the functions below follow step by step). Running the same steps on the same line
gives the same indices. topk with sorted=False returns nth_element's order, which is no order at all, so it too
needs the steps. The steps run on Python lists, so callers take them only for the lines that need them (ties, or
an unsorted topk): elsewhere a stable argsort gives the same answer.
"""
from __future__ import annotations

import numpy as np


def stable_order(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """The indices that sort x along axis, equal elements in their order, NaN as the largest value (PyTorch's
    stable sort's order)."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    # reversed, sorted ascending, reversed again: largest (and NaN) first, ties in their order, without negating
    # (which would overflow the smallest integer and misplace NaN)
    return x.shape[axis] - 1 - np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)


def kthvalue_picks(x: np.ndarray, axis: int, k: int) -> np.ndarray:
    """The index along `axis` (keepdim-shaped, int64) of the k-th smallest element (k from 0) of each line of x,
    as PyTorch's kthvalue picks it: the stable order's, unless the value is tied, where its quickselect decides."""
    picked = np.take(np.argsort(x, axis=axis, kind="stable"), [k], axis=axis)
    value = np.take_along_axis(x, picked, axis=axis)
    tied = (x == value).sum(axis=axis, keepdims=True) > 1
    if x.dtype.kind == "f":
        tied |= np.isnan(value) & (np.isnan(x).sum(axis=axis, keepdims=True) > 1)
    if tied.any():
        lines, picks = np.moveaxis(x, axis, -1), np.moveaxis(picked, axis, -1)  # (views: picks writes picked)
        for position in map(tuple, np.argwhere(np.moveaxis(tied, axis, -1)[..., 0])):
            picks[position] = kthvalue_index(lines[position].tolist(), k)
    return picked.astype(np.int64, copy=False)


def topk_picks(x: np.ndarray, axis: int, k: int, largest: bool, sorted: bool) -> np.ndarray:
    """The indices along `axis` (k of them per line, int64) that PyTorch's topk gives, in its order: the stable
    order's first k, except for the lines where its algorithm leaves another (ties, or an unsorted result from
    nth_element, on lines longer than the 3 its insertion sort handles alone)."""
    size = x.shape[axis]
    picked = np.take(stable_order(x, axis, descending=largest), range(k), axis=axis).astype(np.int64)
    if size <= 3:
        return picked
    lines = np.moveaxis(x, axis, -1)
    if not sorted and k * 64 > size:
        redo = np.ones(lines.shape[:-1], dtype=bool)
    else:
        redo = has_ties(lines.reshape(-1, size)).reshape(lines.shape[:-1])
    picks = np.moveaxis(picked, axis, -1)
    for position in map(tuple, np.argwhere(redo)):
        picks[position] = topk_indices(lines[position].tolist(), k, largest, sorted)
    return picked


def _larger_or_nan(x, y) -> bool:
    """x > y, NaN counting as larger than every number (and equal to NaN): PyTorch's order for kthvalue and topk."""
    return (x != x and y == y) or x > y


def _smaller_or_not_nan(x, y) -> bool:
    return (x == x and y != y) or x < y


def kthvalue_index(line: list, k: int) -> int:
    """The index of the element PyTorch's kthvalue gives for the k-th smallest (k from 0) of `line`: its
    quickselect, swapping values and indices alike, and the index left at position k."""
    values, indices = list(line), list(range(len(line)))

    def swap(i, j):
        values[i], values[j] = values[j], values[i]
        indices[i], indices[j] = indices[j], indices[i]

    greater = _larger_or_nan
    low, high = 0, len(values) - 1
    while high > low:
        if high == low + 1:
            if greater(values[low], values[high]):
                swap(low, high)
            break
        swap((low + high) >> 1, low + 1)  # the median of three: values[low + 1] <= values[low] <= values[high]
        if greater(values[low + 1], values[high]):
            swap(low + 1, high)
        if greater(values[low], values[high]):
            swap(low, high)
        if greater(values[low + 1], values[low]):
            swap(low + 1, low)
        i, j, pivot = low + 1, high, values[low]
        while True:
            i += 1
            while greater(pivot, values[i]):
                i += 1
            j -= 1
            while greater(values[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(low, j)
        if j <= k:
            low = i
        if j >= k:
            high = j - 1
    return indices[k]


def topk_indices(line: list, k: int, largest: bool, sorted: bool) -> list:
    """The indices PyTorch's topk gives for `line`, in its order: partial_sort where k * 64 <= n, else
    nth_element at k - 1 followed, when sorted, by a sort of the k - 1 before it."""
    before = _larger_or_nan if largest else _smaller_or_not_nan
    items = [(value, index) for index, value in enumerate(line)]

    def comp(a, b) -> bool:
        return before(a[0], b[0])

    if k * 64 <= len(items):
        _heap_select(items, 0, k, len(items), comp)
        _sort_heap(items, 0, k, comp)
    else:
        _nth_element(items, k - 1, comp)
        if sorted:
            _sort(items, 0, k - 1, comp)
    return [index for _, index in items[:k]]


# -- GNU libstdc++'s algorithms, on a list and bounds [first, last) ----------------------------------------------
_THRESHOLD = 16  # libstdc++'s _S_threshold: introsort leaves runs this short to the insertion sort


def _floor_log2(n: int) -> int:
    return n.bit_length() - 1


def _nth_element(a: list, nth: int, comp) -> None:
    first, last = 0, len(a)
    if first == last or nth == last:
        return
    depth_limit = 2 * _floor_log2(last - first)
    while last - first > 3:
        if depth_limit == 0:
            _heap_select(a, first, nth + 1, last, comp)
            a[first], a[nth] = a[nth], a[first]
            return
        depth_limit -= 1
        cut = _unguarded_partition_pivot(a, first, last, comp)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, comp)


def _sort(a: list, first: int, last: int, comp) -> None:
    if last - first > 0:
        _introsort_loop(a, first, last, 2 * _floor_log2(last - first), comp)
        if last - first > _THRESHOLD:
            _insertion_sort(a, first, first + _THRESHOLD, comp)
            for i in range(first + _THRESHOLD, last):
                _unguarded_linear_insert(a, i, comp)
        else:
            _insertion_sort(a, first, last, comp)


def _introsort_loop(a: list, first: int, last: int, depth_limit: int, comp) -> None:
    while last - first > _THRESHOLD:
        if depth_limit == 0:
            _heap_select(a, first, last, last, comp)  # partial_sort of the whole run: a heap sort
            _sort_heap(a, first, last, comp)
            return
        depth_limit -= 1
        cut = _unguarded_partition_pivot(a, first, last, comp)
        _introsort_loop(a, cut, last, depth_limit, comp)
        last = cut


def _unguarded_partition_pivot(a: list, first: int, last: int, comp) -> int:
    middle = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, middle, last - 1, comp)
    return _unguarded_partition(a, first + 1, last, first, comp)


def _move_median_to_first(a: list, result: int, x: int, y: int, z: int, comp) -> None:
    if comp(a[x], a[y]):
        median = y if comp(a[y], a[z]) else z if comp(a[x], a[z]) else x
    else:
        median = x if comp(a[x], a[z]) else z if comp(a[y], a[z]) else y
    a[result], a[median] = a[median], a[result]


def _unguarded_partition(a: list, first: int, last: int, pivot: int, comp) -> int:
    while True:
        while comp(a[first], a[pivot]):
            first += 1
        last -= 1
        while comp(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def _insertion_sort(a: list, first: int, last: int, comp) -> None:
    for i in range(first + 1, last):
        if comp(a[i], a[first]):
            a[first:i + 1] = [a[i]] + a[first:i]
        else:
            _unguarded_linear_insert(a, i, comp)


def _unguarded_linear_insert(a: list, last: int, comp) -> None:
    value = a[last]
    while comp(value, a[last - 1]):
        a[last] = a[last - 1]
        last -= 1
    a[last] = value


def _heap_select(a: list, first: int, middle: int, last: int, comp) -> None:
    _make_heap(a, first, middle, comp)
    for i in range(middle, last):
        if comp(a[i], a[first]):
            _pop_heap(a, first, middle, i, comp)


def _sort_heap(a: list, first: int, last: int, comp) -> None:
    while last - first > 1:
        last -= 1
        _pop_heap(a, first, last, last, comp)


def _make_heap(a: list, first: int, last: int, comp) -> None:
    length = last - first
    if length < 2:
        return
    for parent in range((length - 2) // 2, -1, -1):
        _adjust_heap(a, first, parent, length, a[first + parent], comp)


def _pop_heap(a: list, first: int, last: int, result: int, comp) -> None:
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value, comp)


def _adjust_heap(a: list, first: int, hole: int, length: int, value, comp) -> None:
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if comp(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and comp(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def has_ties(lines: np.ndarray) -> np.ndarray:
    """Whether each row of a 2-D array holds two equal elements (two NaNs, or 0.0 and -0.0, count as equal)."""
    if lines.shape[1] < 2:
        return np.zeros(len(lines), dtype=bool)
    ordered = np.sort(lines, axis=1)  # NaN last
    equal = ordered[:, 1:] == ordered[:, :-1]
    if ordered.dtype.kind == "f":
        equal |= np.isnan(ordered[:, 1:]) & np.isnan(ordered[:, :-1])
    return equal.any(axis=1)

