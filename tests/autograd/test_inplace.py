"""In-place operations under autograd's rules: recorded on non-leaf tensors, refused on leaves
that require grad, plain updates under no_grad (the textbook manual SGD step)."""
import numpy as np
import pytest

import fastgrad


def test_manual_sgd_under_no_grad_updates_the_parameters():
    model = fastgrad.nn.Linear(3, 2)
    before = [p.detach().clone() for p in model.parameters()]
    model(fastgrad.randn(4, 3)).pow(2).sum().backward() if hasattr(fastgrad.Tensor, "pow") else \
        (model(fastgrad.randn(4, 3)) ** 2).sum().backward()
    with fastgrad.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    for p, old in zip(model.parameters(), before):
        np.testing.assert_allclose(p.detach().numpy(), old.detach().numpy() - 0.1 * p.grad.numpy(), rtol=1e-6)
        assert p.is_leaf and p.requires_grad and isinstance(p, fastgrad.nn.Parameter)


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_"])
def test_unrecorded_updates_run_the_backends_kernel_and_count_as_changes(backend, name):
    """Under no_grad nothing is recorded: the update is the backend's kernel written into the tensor (the
    profiler still sees it), and it still bumps the version that saved values are checked against."""
    with fastgrad.backend(backend):
        p = fastgrad.nn.Parameter(fastgrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
        memory, version = p.detach().numpy(), p._version
        expected = getattr(np, {"add_": "add", "sub_": "subtract", "mul_": "multiply", "div_": "divide"}[name])(
            memory, np.float32([0.5, 2.0]))
        with fastgrad.no_grad():
            assert getattr(p, name)(fastgrad.tensor([0.5, 2.0])) is p
        np.testing.assert_array_equal(p.detach().numpy(), expected)
        assert p.detach().numpy() is memory and p._version == version + 1
        with fastgrad.no_grad(), pytest.raises(RuntimeError, match=r"output with shape \(2, 2\) doesn't match the "
                                                                    r"broadcast shape \(3, 2, 2\)"):
            getattr(p, name)(fastgrad.ones(3, 2, 2))
        with fastgrad.no_grad(), pytest.raises(RuntimeError, match=rf"{name}: .*\(shapes \(2, 2\), \(3,\) do not "
                                                                      r"broadcast\)"):
            getattr(p, name)(fastgrad.ones(3))
        with fastgrad.profile() as prof, fastgrad.no_grad():
            getattr(p, name)(1.0)
        op = {"add_": "Add", "sub_": "Sub", "mul_": "Mul", "div_": "Div"}[name]
        assert prof.to_dict()[f"{op}[{backend}]"]["forward_calls"] == 1


@pytest.mark.parametrize("update", ["__iadd__", "__isub__", "__imul__", "__itruediv__"])
def test_augmented_assignment_changes_the_same_tensor(update):
    x = fastgrad.tensor([2.0, 4.0])
    same = x
    memory = x.detach().numpy()
    x = getattr(x, update)(2.0)
    assert x is same and memory is x.detach().numpy()
    expected = {"__iadd__": [4, 6], "__isub__": [0, 2], "__imul__": [4, 8], "__itruediv__": [1, 2]}[update]
    np.testing.assert_allclose(x.detach().numpy(), expected)
    assert x._version == 1


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    w = fastgrad.randn(3, requires_grad=True)
    for change in (lambda: w.__iadd__(1), lambda: w.mul_(2), lambda: w.exp_(), lambda: w.zero_(),
                   lambda: w.__setitem__(0, 1.0)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            change()


def test_in_place_ops_on_non_leaf_tensors_are_recorded():
    x = fastgrad.tensor([0.5, -1.0, 2.0], dtype=fastgrad.float64, requires_grad=True)

    def f(x):
        y = x * 1.5
        y.exp_()
        z = x + 0.0
        z.tanh_()
        u = x * 1.0
        u.sigmoid_()
        v = x - 0.25
        v.relu_()
        w = x * 1.0
        w.clamp_(-0.7, 0.7)
        return y + z * u + v * w

    assert fastgrad.gradcheck(f, [x])


def test_indexed_assignment_on_a_non_leaf_is_recorded():
    x = fastgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y[y > 3] = 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 0.0])


def test_assigning_tensors_that_require_grad_into_a_buffer_records_them():
    x = fastgrad.tensor([1.0, 2.0], dtype=fastgrad.float64, requires_grad=True)

    def f(x):
        h = fastgrad.zeros(3, 2, dtype=fastgrad.float64)
        h[0] = x
        h[2] = x * x
        h.index_put_((fastgrad.tensor([2, 2]),), x, accumulate=True)
        return h

    assert fastgrad.gradcheck(f, [x])
    out = f(x)
    assert not out.is_leaf
    np.testing.assert_allclose(out.detach().numpy(), [[1, 2], [0, 0], [3, 8]])


def test_copy_and_fill_are_recorded():
    x = fastgrad.tensor([1.0, 2.0], dtype=fastgrad.float64, requires_grad=True)
    y = fastgrad.zeros(2, 2, dtype=fastgrad.float64)
    y.copy_(x * 3)  # broadcast over rows
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    x.grad = None
    z = x * 2
    z.fill_(7.0)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0])  # PyTorch: zeros, not None


def test_in_place_on_a_view_while_recording_changes_the_base_history():
    x = fastgrad.ones(2, 3, requires_grad=True)
    y = x * 2
    y[0].mul_(3)  # (refused before: fastgrad recorded no in-place change of a view)
    y.sum().backward()
    assert y.tolist() == [[6.0] * 3, [2.0] * 3] and x.grad.tolist() == [[6.0] * 3, [2.0] * 3]


def test_in_place_dtype_and_shape_rules_follow_pytorch():
    a = fastgrad.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        a += 1.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        a /= 2
    b = fastgrad.zeros(3)
    with pytest.raises(RuntimeError, match="broadcast shape"):
        b += fastgrad.zeros(2, 3)
    c = fastgrad.zeros(2, dtype=fastgrad.float32)
    c += fastgrad.ones(2, dtype=fastgrad.float64)  # float into float: allowed, stays float32
    assert c.dtype == fastgrad.float32 and c.tolist() == [1.0, 1.0]


def test_in_place_ops_match_pytorch():
    torch = pytest.importorskip("torch")
    values = np.array([[0.3, -1.2, 2.0], [0.7, 0.1, -0.4]])
    results = []
    for lib in (fastgrad, torch):
        x = lib.tensor(values, requires_grad=True)
        y = x * 2
        y.exp_()
        y = y + 0
        y[y > 3] = 0.5
        y.add_(x, alpha=2)
        y.sub_(0.25)
        y.mul_(x)
        y.div_(1.5)
        y.sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_masked_fill_and_index_add_in_place_are_recorded():
    x = fastgrad.tensor([1.0, 2.0, 3.0], dtype=fastgrad.float64, requires_grad=True)

    def f(x):
        y = x * 2
        y.masked_fill_(x > 1.5, 0.5)
        z = x * 1.0
        z.index_add_(0, fastgrad.tensor([0, 0, 2]), x * x)
        return y + z

    assert fastgrad.gradcheck(f, [x])
    with pytest.raises(RuntimeError, match="leaf tensor"):
        x.masked_fill_(x > 1.5, 0.0)


# -- a graph recorded before an in-place change keeps the history it saw --------------------------------
def _doubled_then_used_then_changed(change):
    """a -> y = 2a -> z = y + 1 (Add saves nothing), then `change(y)` recorded in place; d sum(z) / da is 2
    whatever happens to y afterwards (PyTorch's answer)."""
    a = fastgrad.ones(3, requires_grad=True)
    y = a * 2
    z = y + 1
    change(y)
    z.sum().backward()
    return a.grad.numpy()


@pytest.mark.parametrize("change", [
    lambda y: y.mul_(5),
    lambda y: y.add_(1).mul_(3),  # two changes: the chain of stand-ins is followed back
    lambda y: y.clamp_(max=1.5),
    lambda y: y.addcmul_(y.detach(), fastgrad.full((3,), 2.0)),  # composed in place (_assign_in_place)
    lambda y: y.lerp_(fastgrad.zeros(3), 0.5),
], ids=["mul_", "add_-mul_", "clamp_", "addcmul_", "lerp_"])
def test_an_earlier_consumer_keeps_the_history_before_an_in_place_change(change):
    np.testing.assert_allclose(_doubled_then_used_then_changed(change), [2.0, 2.0, 2.0])


def test_earlier_and_later_consumers_each_get_their_own_history():
    a = fastgrad.ones(3, requires_grad=True)
    y = a * 2
    z = y + 1           # dz/da = 2
    y.mul_(3)           # y = 6a
    w = y * 3           # dw/da = 18
    y.sub_(a)           # y = 5a
    (z.sum() + w.sum() + y.sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), [25.0, 25.0, 25.0])


def test_a_function_changing_its_input_in_place_keeps_earlier_consumers_history():
    class Doubled(fastgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    a = fastgrad.ones(3, requires_grad=True)
    y = a * 3
    z = y + 1
    Doubled.apply(y)
    (z.sum() + y.sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), [3.0 + 6.0] * 3)


def test_autograd_grad_of_the_changed_tensor_is_not_the_earlier_consumers():
    """As in PyTorch: z used y's old version, so the current y is not on z's graph."""
    a = fastgrad.ones(2, requires_grad=True)
    y = a * 2
    z = (y + 1).sum()
    y.mul_(5)
    with pytest.raises(RuntimeError, match="not have been used in the graph"):
        fastgrad.autograd.grad(z, [y], retain_graph=True)
    assert list(fastgrad.autograd.grad(z, [y], allow_unused=True)) == [None]


def test_in_place_changes_do_not_keep_older_copies_alive_after_backward():
    import gc
    import weakref

    a = fastgrad.ones(1000, requires_grad=True)
    y = a * 2
    copies = []
    for _ in range(5):
        y.mul_(1.5)  # each recorded change keeps a copy of the old values for its backward
        copies.append(weakref.ref(y._node.inputs[0]))
    y.sum().backward()
    gc.collect()
    assert all(copy() is None for copy in copies)  # freed with the graph, not held by y


def test_an_earlier_consumer_after_the_changed_history_was_freed_raises():
    a = fastgrad.ones(3, requires_grad=True)
    y = a * 2
    z = y + 1  # saves nothing: no version check stops it
    y.mul_(5)
    y.sum().backward()  # frees y's history, with the stand-in for y's old history (PyTorch frees it too)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        z.sum().backward()


# -- views of a tensor changed in place: PyTorch gives the view a new history at the change --------------
@pytest.mark.parametrize("make_view", [lambda y: y.T, lambda y: y[0], lambda y: y.reshape(-1), lambda y: y[:, 1:],
                                       lambda y: y[0].expand(3, 2), lambda y: y.diagonal()],
                         ids=["T", "row", "reshape", "slice", "expand", "diagonal"])
def test_a_view_used_after_its_base_changed_in_place_sees_the_change(make_view):
    """y = a * 1; v = view(y); y.mul_(3); loss(v): d/da goes through the change (v holds 3a)."""
    a = fastgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = a * 1
    v = make_view(y)
    y.mul_(3)
    (v * v).sum().backward()
    reference = fastgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (make_view(reference * 3) ** 2).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), reference.grad.numpy())


def test_a_view_used_before_its_base_changed_in_place_keeps_the_old_history():
    a = fastgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = a * 1
    w = y.T * 2  # recorded before the change: d sum(w) / da = 2
    y.mul_(3)
    w.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((2, 2), 2.0))


def test_rows_written_one_by_one_after_earlier_rows_were_read():
    """The RNN written with indexed assignment, h[t] = tanh(h[t - 1] * w + x[t]): h[t - 1] is a view of h that the
    product saved, and the next write changes h, so backward refuses, as PyTorch's does (it had worked while x[i]
    of a vector was a copy); with the row cloned before use it trains as the unrolled loop."""
    w = fastgrad.tensor(0.5, requires_grad=True)
    x = fastgrad.tensor([1.0, 2.0, 3.0])
    h = fastgrad.zeros(4)
    for t in range(1, 4):
        h[t] = (h[t - 1] * w + x[t - 1]).tanh()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        h.sum().backward()
    h = fastgrad.zeros(4)
    for t in range(1, 4):
        h[t] = (h[t - 1].clone() * w + x[t - 1]).tanh()
    h.sum().backward()
    expected = fastgrad.tensor(0.5, requires_grad=True)
    rows = [fastgrad.tensor(0.0)]
    for t in range(1, 4):
        rows.append((rows[-1] * expected + x[t - 1]).tanh())
    sum(rows).backward()
    np.testing.assert_allclose(w.grad.item(), expected.grad.item(), rtol=1e-6)


def test_hooks_registered_before_an_in_place_change_see_the_old_versions_gradient():
    """As PyTorch: y's hook from before y.mul_(5) gets d/dy_old = 3 (through z) + 5 (through the change);
    a hook registered after gets the new version's 1; retain_grad keeps the new version's gradient."""
    a = fastgrad.ones(2, requires_grad=True)
    y = a * 2
    y.retain_grad()
    seen = []
    old_hook = y.register_hook(lambda g: seen.append(("old", g.tolist())))
    z = y * 3
    y.mul_(5)
    y.register_hook(lambda g: seen.append(("new", g.tolist())))
    (z + y).sum().backward()
    assert sorted(seen) == [("new", [1.0, 1.0]), ("old", [8.0, 8.0])]
    assert y.grad.tolist() == [1.0, 1.0] and a.grad.tolist() == [16.0, 16.0]
    old_hook.remove()  # the handle still finds the hook it registered
    seen.clear()
    y2 = a * 2
    y2.register_hook(lambda g: seen.append("kept"))
    handle = y2.register_hook(lambda g: seen.append("removed"))
    y2.mul_(2)
    handle.remove()
    y2.sum().backward()
    assert seen == ["kept"]


@pytest.mark.parametrize("change, expected", [
    (lambda y, bound: y.clamp_(min=bound), [1.0, 0.5, 1.0, 0.5]),
    (lambda y, bound: y.clamp_min_(bound), [1.0, 0.5, 1.0, 0.5]),
    (lambda y, bound: y.clip_(bound, None), [1.0, 0.5, 1.0, 0.5]),
    (lambda y, bound: y.clamp_(None, -bound), [-0.5, 1.0, -0.5, 1.0]),
    (lambda y, bound: y.clamp_max_(-bound), [-0.5, 1.0, -0.5, 1.0]),
])
def test_a_bound_computed_from_the_tensor_before_its_in_place_clamp_gets_its_gradient(change, expected):
    """The bound's path leads to the history the tensor had before the change; the order of the walk must put
    that history after the bound, or the bound's gradient arrives too late and is lost (it was: zeros
    there). The expected values are PyTorch 2.13's."""
    for differentiate in ("backward", "grad"):
        a = fastgrad.tensor([1.0, -2.0, 0.5, -0.3], dtype=fastgrad.float64, requires_grad=True)
        y = a * 1
        bound = y * 0.5
        change(y, bound)
        if differentiate == "backward":
            y.sum().backward()
            gradient = a.grad
        else:
            (gradient,) = fastgrad.autograd.grad(y.sum(), a)
        np.testing.assert_allclose(gradient.detach().numpy(), expected)
