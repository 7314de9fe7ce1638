"""clamp with tensor bounds promotes the input and both bounds at once, as PyTorch does: promoted pairwise, a 0-d
input's dtype could win over one bound before the other bound, which outranks both, was seen."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

CASES = {
    "0-d int64, bool low, uint8 high": lambda lib: (lib.tensor(3), lib.tensor([True]),
                                                     lib.tensor([2, 5], dtype=lib.uint8)),
    "0-d int64, bool low, empty uint8 high": lambda lib: (lib.tensor(3), lib.tensor([True]),
                                                           lib.zeros(3, 0, dtype=lib.uint8)),
    "0-d float64, int8 low, float32 high": lambda lib: (lib.tensor(3.5, dtype=lib.float64),
                                                         lib.tensor([1], dtype=lib.int8), lib.tensor([2.0, 4.0])),
    "0-d int16, 0-d int64 low, bool high": lambda lib: (lib.tensor(-3, dtype=lib.int16), lib.tensor(-1),
                                                         lib.tensor([True, False])),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", ["clamp", "clip"])
def test_tensor_bounds_promote_with_the_input_at_once(case, name):
    ours = getattr(fastgrad, name)(*CASES[case](fastgrad))
    theirs = getattr(torch, name)(*CASES[case](torch))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_promoted_at_once_the_input_still_gets_its_gradient():
    grads = []
    for lib in (torch, fastgrad):  # (PyTorch 2.13's backward raises where bounds broadcast the input to a new shape)
        x = lib.tensor([1.5, 0.5], dtype=lib.float64, requires_grad=True)
        lib.clamp(x, lib.tensor([1], dtype=lib.int8), lib.tensor([2.0, 4.0])).sum().backward()
        assert str(x.grad.dtype).endswith("float64")
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1] == [1.0, 0.0]


# (no -0.0: which zero PyTorch's clamp keeps at a tie of 0.0 and -0.0 depends on whether its vectorized loop ran)
SPECIAL = [float("nan"), float("inf"), float("-inf"), 0.0, 1.0, -1.0, 2.5]


@pytest.mark.parametrize("bounds", ["both", "min", "max"])
@pytest.mark.parametrize("seed", range(6))
def test_the_gradients_at_nan_bounds_ties_and_crossed_bounds_are_torchs(bounds, seed):
    """PyTorch's masks (clamp_backward_min_max): the input where min <= x <= max, min where x < min < max, max
    where x > max or max < min; a NaN fails every comparison, so a NaN bound gets no gradient, and a max below
    min gets the gradient even where x or min is NaN. (fastgrad composed clamp of wheres, and a NaN anywhere cut
    every gradient there: a NaN min left max's gradient 0 where PyTorch sends it.)"""
    rng = np.random.default_rng(seed)
    x, low, high = (rng.choice(SPECIAL, size=shape) for shape in ((4, 5), (4, 5), (5,)))
    upstream = rng.standard_normal((4, 5))
    results = []
    for lib in (fastgrad, torch):
        tensors = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in (x, low, high)]
        given = {"min": tensors[1] if bounds != "max" else None, "max": tensors[2] if bounds != "min" else None}
        out = lib.clamp(tensors[0], **given)
        out.backward(lib.tensor(upstream, dtype=lib.float64))
        results.append([out.detach().numpy()] + [None if t.grad is None else t.grad.numpy() for t in tensors])
    for ours, theirs in zip(*results):
        if theirs is None:
            assert ours is None
        else:
            np.testing.assert_array_equal(ours, theirs)
            numbers = ~np.isnan(theirs)  # (the sign of zeros; a NaN's sign bit means nothing)
            assert np.signbit(ours[numbers]).tolist() == np.signbit(theirs[numbers]).tolist()


def test_the_gradient_goes_to_a_max_below_a_nan_min_as_torchs():
    grads = []
    for lib in (fastgrad, torch):
        x, low, high = (lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in ([2.0], [float("nan")], [0.5]))
        lib.clamp(x, min=low, max=high).backward(lib.ones(1, dtype=lib.float64))
        grads.append([t.grad.tolist() for t in (x, low, high)])
    assert grads[0] == grads[1] == [[0.0], [0.0], [1.0]]
