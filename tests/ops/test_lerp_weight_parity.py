"""lerp's weight as PyTorch takes it: a 0-d tensor of another dtype (int, bool, float64 beside float32) as a number
in the tensors' dtype, with its gradient in its own dtype (fastgrad raised); a dimensioned weight of another dtype
and a number the dtype cannot hold (it was made inf) raise."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

ACCEPTED = [(0.5, "float64"), (-4, "int32"), (True, "bool"), (2, "uint8")]
REFUSED = [lambda lib: lib.tensor([0.5], dtype=lib.float64), lambda lib: 1e150, lambda lib: -1e39]


@pytest.mark.parametrize("method", ["lerp", "lerp_"])
@pytest.mark.parametrize("weight, dtype", ACCEPTED)
def test_a_0_d_weight_of_another_dtype_is_a_number(method, weight, dtype):
    results = []
    for lib in (torch, fastgrad):
        start = lib.tensor([1.0, 2.0])
        result = getattr(start, method)(lib.tensor([3.0, 5.0]), lib.tensor(weight, dtype=getattr(lib, dtype)))
        assert str(result.dtype).endswith("float32")
        results.append(result.tolist())
    assert results[0] == results[1]


def test_a_0_d_weight_of_another_dtype_gets_its_gradient():
    grads = []
    for lib in (torch, fastgrad):
        weight = lib.tensor(0.25, dtype=lib.float64, requires_grad=True)
        lib.lerp(lib.tensor([1.0, 2.0]), lib.tensor([3.0, 5.0]), weight).sum().backward()
        assert str(weight.grad.dtype).endswith("float64")
        grads.append(weight.grad.item())
    np.testing.assert_allclose(grads[0], grads[1])


@pytest.mark.parametrize("weight", REFUSED)
def test_weights_refused_as_in_torch(weight):
    for lib in (torch, fastgrad):
        with pytest.raises(RuntimeError):
            lib.tensor([1.0, 2.0]).lerp(lib.tensor([3.0, 5.0]), weight(lib))


@pytest.mark.parametrize("weight", [-1.0, "tensor"])
def test_a_weight_below_minus_one_half_measures_from_end_as_torch(weight):
    """PyTorch measures from start only where |weight| < 0.5: lerp(0.5, -inf, -1) is -inf + inf, NaN (fastgrad's
    was inf, measured from start)."""
    results = []
    for lib in (torch, fastgrad):
        start = lib.tensor([0.5, 0.5, 1.0], dtype=lib.float64, requires_grad=True)
        end = lib.tensor([-np.inf, 2.0, 3.0], dtype=lib.float64)
        w = lib.tensor([-1.0, -1.0, -0.75], dtype=lib.float64) if weight == "tensor" else weight
        out = lib.lerp(start, end, w)
        out.sum().backward()
        results.append((out.detach().numpy(), start.grad.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, theirs)
