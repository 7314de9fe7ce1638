"""An in-place op writing into an expanded tensor (one element of memory at several positions) raises, as PyTorch's
does, whatever the op and dtype: sign_/sgn_ of a bool tensor, whose values do not change, returned. But for what
PyTorch allows there: a write of one value (fill_, zero_, masked_fill_, index_fill_), x[key] = v where the view x[key]
repeats no element, x[indices] = v and index_put_ with an advanced index (warning for an expand; the values written
through the memory in the index's order, which fastgrad refused), and any write into an empty view."""
import warnings

import pytest

import fastgrad
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

WRITES = {
    "bool sign_": ("bool", lambda x: x.sign_()),
    "bool sgn_": ("bool", lambda x: x.sgn_()),
    "float sign_": ("float32", lambda x: x.sign_()),
    "int add_": ("int64", lambda x: x.add_(1)),
    "float mul_ float64": ("float32", lambda x: x.mul_(x.double())),
    "int8 pow_ int64": ("int8", lambda x: x.pow_(x.long())),
    "bool logical_not_": ("bool", lambda x: x.logical_not_()),
    "uint8 bitwise_not_": ("uint8", lambda x: x.bitwise_not_()),
    "float clamp_": ("float64", lambda x: x.clamp_(min=0.5)),
    "int floor_divide_": ("int32", lambda x: x.floor_divide_(2)),
    "float //=": ("float32", lambda x: x.__ifloordiv__(2)),
    "float neg_": ("float32", lambda x: x.neg_()),
}


@pytest.mark.parametrize("case", WRITES)
def test_a_write_into_an_expanded_tensor_raises(case):
    dtype, write = WRITES[case]
    for lib in (torch, fastgrad):
        expanded = lib.ones(1, dtype=getattr(lib, dtype)).expand(4)
        with pytest.raises(RuntimeError):
            write(expanded)


def test_a_bool_sign_in_place_counts_as_a_change():
    for lib in (torch, fastgrad):
        x = lib.tensor([True, False])
        assert x.sign_() is x and x.tolist() == [True, False] and x._version == 1


EMPTY_VIEWS = {
    "no rows": lambda x: x[:0],
    "no columns": lambda x: x[:, 2:2],
    "an empty expand of it": lambda x: x.expand(0, 3, 4),
}
EMPTY_WRITES = {
    "fill_": lambda v: v.fill_(1),
    "add_": lambda v: v.add_(1),
    "sin_": lambda v: v.sin_(),
    "normal_": lambda v: v.normal_(),
    "v[...] = 1": lambda v: v.__setitem__(Ellipsis, 1.0),
}


@pytest.mark.parametrize("view", EMPTY_VIEWS)
@pytest.mark.parametrize("write", EMPTY_WRITES)
def test_a_write_into_an_empty_view_of_an_expanded_tensor_does_nothing(view, write):
    # PyTorch refuses a write into an expanded tensor for its repeated elements; an empty view of it has none
    for lib in (torch, fastgrad):
        base = lib.arange(4.0)
        empty = EMPTY_VIEWS[view](base.expand(3, 4))
        EMPTY_WRITES[write](empty)
        assert empty.numel() == 0 and base.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_an_empty_expand_takes_a_write():
    for lib in (torch, fastgrad):
        assert lib.ones(1, 0).expand(3, 0).zero_().shape == (3, 0)


# Expanded tensors of a base of 4 elements, shown at several positions each
REPEATING_VIEWS = {
    "a row expanded": lambda lib, base: base.expand(3, 4),
    "a (1, 4) row expanded": lambda lib, base: base.reshape(1, 4).expand(3, 4),
    "a column expanded": lambda lib, base: base.reshape(4, 1).expand(4, 3),
    "an expand transposed": lambda lib, base: base.expand(3, 4).t(),
    "its detach()": lambda lib, base: base.expand(2, 4).detach(),
    "overlapping unfold windows": lambda lib, base: base.unfold(0, 3, 1),
    "overlapping as_strided windows": lambda lib, base: base.as_strided((3, 2), (1, 1)),
}
# PyTorch's writes of one value, which it lets change such a tensor (warning for masked_fill_ and index_fill_)
ONE_VALUE_WRITES = {
    "fill_": lambda lib, x: x.fill_(5),
    "fill_ of a float into an int tensor": lambda lib, x: x.fill_(2.7),
    "zero_": lambda lib, x: x.zero_(),
    "masked_fill_": lambda lib, x: x.masked_fill_(lib.arange(x.shape[-1]) % 2 == 0, -1),
    "masked_fill_ of a 0-d tensor": lambda lib, x: x.masked_fill_(lib.arange(x.shape[-1]) == 1, lib.tensor(7)),
    "masked_fill_ on one row only": lambda lib, x: x.masked_fill_(
        (lib.arange(x.shape[0]) == x.shape[0] - 1)[:, None] & (lib.arange(x.shape[1]) == 0), 9),
    "index_fill_": lambda lib, x: x.index_fill_(-1, lib.tensor([0]), 3),
}


@pytest.mark.filterwarnings("ignore:Use of")
@pytest.mark.parametrize("view", REPEATING_VIEWS)
@pytest.mark.parametrize("write", ONE_VALUE_WRITES)
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_a_write_of_one_value_changes_the_memory_of_an_expanded_tensor(view, write, dtype):
    bases = []
    for lib in (torch, fastgrad):
        base = lib.arange(4).to(getattr(lib, dtype))
        written = REPEATING_VIEWS[view](lib, base)
        assert ONE_VALUE_WRITES[write](lib, written) is written
        assert base._version == 1
        bases.append(base.tolist())
    assert bases[1] == bases[0]


# PyTorch refuses writes of values that differ, or may, from position to position
REFUSED_WRITES = {
    "fill_ of a 0-d tensor": lambda lib, x: x.fill_(lib.tensor(5.0)),
    "copy_ of a number": lambda lib, x: x.copy_(lib.tensor(3.0)),
    "normal_": lambda lib, x: x.normal_(),
    "uniform_": lambda lib, x: x.uniform_(),
    "bernoulli_": lambda lib, x: x.bernoulli_(0.5),
    "mul_ by 0": lambda lib, x: x.mul_(0),
    "x[...] = 1": lambda lib, x: x.__setitem__(Ellipsis, 1.0),
}


@pytest.mark.parametrize("write", REFUSED_WRITES)
def test_a_write_of_values_into_an_expanded_tensor_raises(write):
    for lib in (torch, fastgrad):
        base = lib.arange(4.0)
        with pytest.raises(RuntimeError):
            REFUSED_WRITES[write](lib, base.expand(3, 4))
        assert base.tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("name", ["masked_fill_", "index_fill_"])
def test_a_masked_fill_of_an_expanded_tensor_warns(name):
    for lib in (torch, fastgrad):
        expanded = lib.zeros(4).expand(3, 4)
        with pytest.warns(UserWarning, match=f"Use of {name} on expanded tensors is deprecated"):
            if name == "masked_fill_":
                expanded.masked_fill_(lib.tensor([True, False, False, False]), 1.0)
            else:
                expanded.index_fill_(1, lib.tensor([0]), 1.0)


@pytest.mark.filterwarnings("ignore:Use of")
def test_a_masked_fill_of_an_expanded_tensor_sends_the_value_pytorchs_gradient():
    # the base needs no gradient, so PyTorch's backward runs: the value's gradient sums the base's over every
    # position of the expand that the mask picks
    grads = []
    for lib in (torch, fastgrad):
        value = lib.tensor(2.0, requires_grad=True)
        expanded = lib.zeros(4).expand(3, 4)
        expanded.masked_fill_(lib.tensor([True, False, False, False]), value)
        (expanded * lib.arange(12.0).reshape(3, 4)).sum().backward()
        grads.append(value.grad.item())
    assert grads[1] == grads[0]


def test_a_fill_of_an_expand_of_a_leaf_that_requires_grad():
    for lib in (torch, fastgrad):
        leaf = lib.ones(4, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            leaf.expand(3, 4).fill_(0)
        with lib.no_grad():
            leaf.expand(3, 4).fill_(2)
        assert leaf.tolist() == [2.0] * 4


# x[key] = v copies v into the view x[key], as PyTorch's: allowed where that view shows each element once
ASSIGNMENTS = {
    "x[0] = 9": (0, lambda lib: 9.0),
    "x[1, 2:] = a tensor": ((1, slice(2, None)), lambda lib: lib.tensor([7.0, 8.0])),
    "x[2] = a row with a leading 1": (2, lambda lib: lib.tensor([[5.0, 6.0, 7.0, 8.0]])),
    "x[:, 0] = 9 (a repeated element)": ((slice(None), 0), lambda lib: 9.0),
    "x[None, 1] = 3": ((None, 1), lambda lib: 3.0),
}


@pytest.mark.parametrize("case", ASSIGNMENTS)
def test_an_assignment_into_an_expanded_tensor_writes_where_its_view_repeats_nothing(case):
    key, value = ASSIGNMENTS[case]
    outcomes = []
    for lib in (torch, fastgrad):
        base = lib.arange(4.0)
        outcomes.append(outcome(lambda: (base.expand(3, 4).__setitem__(key, value(lib)), base.tolist())[1]))
    assert_raised_alike(*outcomes[::-1], case)
    if not isinstance(outcomes[0], Raised):
        assert outcomes[1] == outcomes[0]


def test_a_recorded_assignment_into_an_expanded_tensor_sends_pytorchs_gradients():
    results = []
    for lib in (torch, fastgrad):
        leaf = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        value = lib.tensor([5.0, 6.0], requires_grad=True)
        base = leaf * 2
        expanded = base.expand(3, 4)
        expanded[1, 1:3] = value
        ((expanded * lib.arange(12.0).reshape(3, 4)).sum() + (base * lib.tensor([1.0, 10, 100, 1000])).sum()).backward()
        results.append((base.tolist(), leaf.grad.tolist(), value.grad.tolist()))
    assert results[1] == results[0]


def _diagonal(lib, x):
    """A mask of x's shape picking [0, 0] and [1, 1]."""
    return (lib.arange(x.shape[0])[:, None] == lib.arange(x.shape[1])) & (lib.arange(x.shape[0]) < 2)[:, None]


# x[indices] = v and index_put_, which PyTorch lets write a tensor that repeats elements (warning for an expand)
ADVANCED_WRITES = {
    "x[mask] = a tensor": lambda lib, x: x.__setitem__(_diagonal(lib, x), lib.tensor([7.0, 8.0])),
    "x[mask] = 9": lambda lib, x: x.__setitem__(_diagonal(lib, x), 9.0),
    "x[rows, columns] = a tensor": lambda lib, x: x.__setitem__((lib.tensor([0, 1]), lib.tensor([1, 0])),
                                                                lib.tensor([7.0, 8.0])),
    "x[rows, columns] = 9 on one element twice": lambda lib, x: x.__setitem__(
        (lib.tensor([1, 0]), lib.tensor([0, 0])), lib.tensor([7.0, 8.0])),
    "x[rows] = rows": lambda lib, x: x.__setitem__(lib.tensor([1, 0]), lib.arange(2.0 * x.shape[1]).reshape(2, -1)),
    "x[rows, 1:] = 5": lambda lib, x: x.__setitem__((lib.tensor([0, 1]), slice(1, None)), 5.0),
    "index_put_": lambda lib, x: x.index_put_((lib.tensor([0, 1]), lib.tensor([1, 0])), lib.tensor([7.0, 8.0])),
    "index_put_ accumulating on one element": lambda lib, x: x.index_put_(
        (lib.tensor([0, 1, 1]), lib.tensor([0, 0, 0])), lib.tensor([1.0, 2.0, 4.0]), accumulate=True),
}


@pytest.mark.parametrize("view", REPEATING_VIEWS)
@pytest.mark.parametrize("write", ADVANCED_WRITES)
def test_an_advanced_index_write_goes_through_the_memory_as_torch(view, write):
    results = []
    for lib in (torch, fastgrad):
        base = lib.arange(4.0)
        written = REPEATING_VIEWS[view](lib, base)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ADVANCED_WRITES[write](lib, written)
        warned = any("Use of index_put_ on expanded tensors" in str(w.message) for w in caught)
        results.append((base.tolist(), written.tolist(), base._version, warned))
    assert results[1] == results[0]


def test_put_into_an_expanded_tensor_stays_refused_as_torch():
    for lib in (torch, fastgrad):
        base = lib.zeros(3)
        with pytest.raises(RuntimeError):
            base.expand(2, 3).put_(lib.tensor([0, 4]), lib.tensor([1.0, 2.0]))
        assert base.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.filterwarnings("ignore:Use of")
@pytest.mark.parametrize("write", ["fill_", "zero_", "masked_fill_", "index_fill_", "x[mask] = a tensor",
                                   "x[rows, columns] = a tensor", "index_put_"])
def test_the_backward_of_a_write_into_an_expand_with_history_raises(write):
    # PyTorch records the write (CopySlices), a fill or an advanced-index write, and refuses at backward, whose
    # gradient would go through the expand
    for lib in (torch, fastgrad):
        leaf = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        base = leaf * 1
        expanded = base.expand(3, 4)
        {**ONE_VALUE_WRITES, **ADVANCED_WRITES}[write](lib, expanded)
        assert base.tolist() == expanded[0].tolist() == expanded[2].tolist()
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
            (expanded * lib.arange(12.0).reshape(3, 4)).sum().backward()


@pytest.mark.filterwarnings("ignore:Use of")
@pytest.mark.parametrize("accumulate", [False, True])
def test_an_advanced_index_write_into_an_expand_sends_the_values_pytorchs_gradient(accumulate):
    # the base needs no gradient, so PyTorch's backward runs: each value gets the gradient at its position
    results = []
    for lib in (torch, fastgrad):
        values = lib.tensor([1.0, 2.0, 4.0], requires_grad=True)
        base = lib.zeros(4)
        expanded = base.expand(3, 4)
        expanded.index_put_((lib.tensor([0, 1, 2]), lib.tensor([0, 0, 3])), values, accumulate=accumulate)
        (expanded * lib.arange(12.0).reshape(3, 4)).sum().backward()
        results.append((base.tolist(), values.grad.tolist()))
    assert results[1] == results[0]
