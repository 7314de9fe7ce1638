import numpy as np
import pytest

import fastgrad
from fastgrad.autograd import Function


class MultiplyGate(Function):
    """The lecture's gate: forward z = x * y, backward dx = g y, dy = g x."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, grad * x


def test_custom_function_forward_backward():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = fastgrad.tensor([3.0, 5.0], requires_grad=True)
    z = MultiplyGate.apply(x, y)
    np.testing.assert_allclose(z.detach().numpy(), [3.0, 10.0])
    (z * z).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * z.detach().numpy() * y.detach().numpy())
    np.testing.assert_allclose(y.grad.numpy(), 2 * z.detach().numpy() * x.detach().numpy())


def test_custom_function_passes_gradcheck_and_profiles_under_its_name():
    x = fastgrad.randn(3, dtype=fastgrad.float64, requires_grad=True)
    y = fastgrad.randn(3, dtype=fastgrad.float64, requires_grad=True)
    assert fastgrad.gradcheck(MultiplyGate.apply, (x, y))
    with fastgrad.profile() as prof:
        MultiplyGate.apply(x, y).sum().backward()
    assert prof.to_dict()[f"MultiplyGate[{fastgrad.get_backend()}]"]["backward_calls"] == 1


def test_custom_function_without_grad_inputs_records_nothing():
    out = MultiplyGate.apply(fastgrad.tensor([1.0]), fastgrad.tensor([2.0]))
    assert not out.requires_grad


def test_gradcheck_fails_on_a_nan_gradient():
    class NanBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")

    x = fastgrad.randn(3, dtype=fastgrad.float64, requires_grad=True)
    with pytest.raises(fastgrad.autograd.GradcheckError):
        fastgrad.gradcheck(NanBackward.apply, (x,))


def test_function_results_follow_pytorch_rules_for_views_integers_and_extra_gradients():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    class Rounded(Function):
        @staticmethod
        def forward(ctx, x):
            return (x * 2).long()

        @staticmethod
        def backward(ctx, grad):
            return grad * 5

    class Scaled(Function):
        @staticmethod
        def forward(ctx, x, factor):
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            return grad * 3, grad  # a gradient for the float argument: PyTorch refuses it

    leaf = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="mul_: a view .* is an output of the custom Function Identity"):
        Identity.apply(leaf).mul_(2)  # would change the leaf itself
    assert leaf.tolist() == [1.0, 2.0]
    assert not Rounded.apply(leaf).requires_grad  # an integer result carries no gradient
    with pytest.raises(RuntimeError, match="returned a gradient for argument 1, which is not a Tensor"):
        Scaled.apply(leaf, 3.0).sum().backward()


def function_classes(module):
    """Custom Functions with several outputs, non-differentiable outputs, unmaterialized gradients and
    an in-place change, written once for fastgrad or torch."""
    Function = module.autograd.Function

    class Two(Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            return x * 2, x * 3, k, module.arange(3)

        @staticmethod
        def backward(ctx, g1, g2, gk, gi):
            seen.append(("Two", g1.tolist(), g2.tolist(), gk, gi.tolist()))
            return g1 * 2 + g2 * 3, None

    class Sorted(Function):
        @staticmethod
        def forward(ctx, x):
            values, indices = x.sort()
            ctx.mark_non_differentiable(indices)
            ctx.save_for_backward(indices)
            return values, indices

        @staticmethod
        def backward(ctx, g_values, g_indices):
            seen.append(("Sorted", g_indices.tolist()))
            (indices,) = ctx.saved_tensors
            g = module.zeros_like(g_values)
            g[indices] = g_values
            return g

    class Unmaterialized(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append(("Unmaterialized", g1, g2.tolist()))
            return g2 * 3 if g1 is None else g1 * 2 + g2 * 3

    class Doubled(Function):  # in place
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Squared(Function):  # in place, saving its changed input for backward
        @staticmethod
        def forward(ctx, x):
            before = x.clone()
            x.mul_(x)
            ctx.mark_dirty(x)
            ctx.save_for_backward(before, x)
            return x

        @staticmethod
        def backward(ctx, g):
            before, after = ctx.saved_tensors
            return g * 2 * before + 0 * after

    seen = []
    return Two, Sorted, Unmaterialized, Doubled, Squared, seen


def several_outputs(module):
    Two, Sorted, Unmaterialized, Doubled, Squared, seen = function_classes(module)
    out = {}
    x = module.tensor([1.0, 2.0], requires_grad=True)
    a, b, k, i = Two.apply(x, 5)
    out["two: types"] = [k, i.requires_grad, a.requires_grad, b.requires_grad]
    (a.sum() + 10 * b.sum()).backward()
    a2, _, _, _ = Two.apply(x, 5)
    a2.sum().backward()  # b gets no gradient: zeros
    out["two: grad"] = x.grad.tolist()
    s = module.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = Sorted.apply(s)
    out["sorted: requires_grad"] = [values.requires_grad, indices.requires_grad, indices.tolist()]
    (values * module.tensor([1.0, 2.0, 3.0])).sum().backward()
    out["sorted: grad"] = s.grad.tolist()
    u = module.tensor([1.0, 2.0], requires_grad=True)
    _, second = Unmaterialized.apply(u)
    second.sum().backward()
    out["unmaterialized: grad"] = u.grad.tolist()
    leaf = module.tensor([1.0, 2.0], requires_grad=True)
    y = leaf * 1
    z = Doubled.apply(y)
    out["dirty: same tensor, values"] = [z is y, y.tolist()]
    (z * module.tensor([1.0, 10.0])).sum().backward()
    out["dirty: grad"] = leaf.grad.tolist()
    base = module.tensor([1.0, 2.0], requires_grad=True)
    squared = Squared.apply(base * 1)
    squared.sum().backward()
    out["dirty and saved: values, grad"] = [squared.tolist(), base.grad.tolist()]
    out["seen"] = seen
    return out


def test_functions_with_several_outputs_by_hand():
    out = several_outputs(fastgrad)
    assert out["two: types"] == [5, False, True, True]
    assert out["two: grad"] == [2.0 + 30.0 + 2.0] * 2
    assert out["sorted: requires_grad"] == [True, False, [1, 2, 0]]
    assert out["sorted: grad"] == [3.0, 1.0, 2.0]
    assert out["unmaterialized: grad"] == [3.0, 3.0]
    assert out["dirty: same tensor, values"] == [True, [2.0, 4.0]] and out["dirty: grad"] == [2.0, 20.0]
    assert out["dirty and saved: values, grad"] == [[1.0, 4.0], [2.0, 4.0]]
    assert out["seen"] == [("Two", [1.0, 1.0], [10.0, 10.0], None, [0, 0, 0]),
                           ("Two", [1.0, 1.0], [0.0, 0.0], None, [0, 0, 0]),
                           ("Sorted", [0, 0, 0]), ("Unmaterialized", None, [1.0, 1.0])]


def test_functions_with_several_outputs_match_torch():
    torch = pytest.importorskip("torch")
    assert several_outputs(fastgrad) == several_outputs(torch)


def test_bad_marks_raise_clearly():
    Two, Sorted, Unmaterialized, Doubled, Squared, seen = function_classes(fastgrad)
    leaf = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad was changed in place"):
        Doubled.apply(leaf)
    with pytest.raises(RuntimeError, match="does not record in-place changes of a view"):
        Doubled.apply((leaf * 1)[:1])

    class NotReturned(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x * 2

    with pytest.raises(RuntimeError, match="marked dirty .* must be returned by forward"):
        NotReturned.apply(leaf * 1)

    class NotAnInput(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            ctx.mark_dirty(y)
            return y

    with pytest.raises(ValueError, match="not an input of forward"):
        NotAnInput.apply(leaf)

    class MarksAList(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_non_differentiable([x])
            return x

    with pytest.raises(TypeError, match="mark_non_differentiable takes Tensors, got list"):
        MarksAList.apply(leaf)

    class ReturnsAList(Function):
        @staticmethod
        def forward(ctx, x):
            return [x * 2]

    with pytest.raises(TypeError, match="must return a Tensor or a tuple, got list"):
        ReturnsAList.apply(leaf)


def test_several_outputs_pass_gradcheck_and_autograd_grad():
    Two, Sorted, Unmaterialized, Doubled, Squared, seen = function_classes(fastgrad)
    x = fastgrad.tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
    assert fastgrad.gradcheck(lambda t: Two.apply(t, 5)[:2], [x])
    assert fastgrad.gradcheck(lambda t: Sorted.apply(t)[0], [x])
    a, b, _, _ = Two.apply(x, 5)
    (g,) = fastgrad.autograd.grad((a * b).sum(), x)
    assert np.allclose(g.detach().numpy(), 12 * x.detach().numpy())  # d/dx (2x * 3x) = 12 x


def test_a_zero_dim_output_among_several_keeps_the_gradients_summed_into_it():
    class Pair(fastgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x.sum()

        @staticmethod
        def backward(ctx, g_double, g_sum):
            return g_double * 2 + g_sum

    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    doubled, total = Pair.apply(x)
    (doubled.sum() + total * 3).backward()  # both gradients meet at the outputs' hub: the 0-d one must survive
    assert x.grad.tolist() == [5.0, 5.0]
