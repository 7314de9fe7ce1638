import fastgrad
import fastgrad.nn.functional as F


def test_profile_counts_forward_and_backward_per_op_and_backend():
    x = fastgrad.randn(8, 4, requires_grad=True)
    w = fastgrad.randn(3, 4, requires_grad=True)
    with fastgrad.backend("numpy"), fastgrad.profile() as prof:
        for _ in range(2):
            F.cross_entropy(F.linear(F.relu(x), w), fastgrad.tensor([0, 1, 2, 0, 1, 2, 0, 1])).backward()
    stats = prof.to_dict()
    assert stats["Linear[numpy]"]["forward_calls"] == 2 and stats["Linear[numpy]"]["backward_calls"] == 2
    assert stats["SoftmaxCrossEntropy[numpy]"]["backward_calls"] == 2
    assert stats["Relu[numpy]"]["total_s"] > 0
    table = prof.table()
    assert table.splitlines()[0].split()[:2] == ["op", "backend"] and "Linear" in table
    # nothing is recorded once the block is over
    F.relu(x)
    assert prof.to_dict()["Relu[numpy]"]["forward_calls"] == 2


def test_backend_switching():
    before = fastgrad.get_backend()
    with fastgrad.backend("numpy"):
        assert fastgrad.get_backend() == "numpy"
    assert fastgrad.get_backend() == before


def test_the_kernel_table_says_which_implementation_each_backend_ran():
    """The compiled backend runs NumPy's reference where it has no kernel of its own (the embedding lookup,
    the linear layer): the op table's backend column cannot say so, the kernel table does."""
    from fastgrad import _native

    weight = fastgrad.randn(50, 8, requires_grad=True)
    ids = fastgrad.tensor([[1, 2, 3], [4, 5, 6]])

    def step():
        F.cross_entropy(F.relu(F.embedding(ids, weight)).reshape(-1, 8), fastgrad.tensor([0, 1, 2, 3, 4, 5])).backward()

    ran = {}
    for backend in ("compiled", "numpy", "python"):
        with fastgrad.backend(backend), fastgrad.profile() as prof:
            step()
        assert {row["backend"] for row in prof.to_dict().values()} == {backend}  # the backend selected
        ran[backend] = {row["kernel"]: row["implementation"] for row in prof.kernels().values()}
        assert all(row["calls"] >= 1 and row["total_s"] >= 0 for row in prof.kernels().values())
        assert prof.kernel_table().splitlines()[0].split()[:2] == ["kernel", "ran"]
    assert ran["compiled"]["embedding"] == "numpy" and ran["compiled"]["relu"] == "numba"
    assert ran["compiled"]["embedding_backward"] == "numba"
    assert ran["compiled"]["softmax_cross_entropy"] == ("native" if _native.AVAILABLE else "numpy")
    assert set(ran["numpy"].values()) == {"numpy"}
    assert ran["python"]["embedding"] == "loops" and ran["python"]["relu"] == "loops"


def test_kernels_are_untimed_again_after_the_profile():
    from fastgrad import backends

    x = fastgrad.randn(4, requires_grad=True)
    with fastgrad.backend("compiled"):
        before = backends.CURRENT.kernels
        with fastgrad.profile() as prof:
            y = F.relu(x)
            with fastgrad.backend("numpy"):
                F.relu(x)
        assert backends.CURRENT.kernels is before
        y.sum().backward()  # recorded during the profile, run after it: nothing more is counted
    assert prof.kernels()["relu[numba]"]["calls"] == 1 and prof.kernels()["relu[numpy]"]["calls"] == 1
    assert not any(key.startswith("relu_backward") for key in prof.kernels())


class Square(fastgrad.autograd.Function):
    """x @ x in forward; its backward runs two more matrix products."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x @ x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g @ x.T + x.T @ g


def test_ops_inside_ops_count_once_and_in_the_pass_they_ran_in():
    x = fastgrad.randn(200, 200, requires_grad=True)
    x.register_hook(lambda g: g * 1.0)  # a hook's op runs in backward too
    with fastgrad.backend("numpy"), fastgrad.profile() as prof:
        for _ in range(3):
            Square.apply(x).sum().backward()
    stats = prof.to_dict()
    matmul = stats["Matmul[numpy]"]
    assert (matmul["forward_calls"], matmul["backward_calls"]) == (3, 6)  # 1 in forward, 2 in Square's backward
    assert (stats["Mul[numpy]"]["forward_calls"], stats["Mul[numpy]"]["backward_calls"]) == (0, 3)  # the hook's
    assert stats["Square[numpy]"]["forward_calls"] == 3 and stats["Square[numpy]"]["backward_calls"] == 3
    # self times: Square's backward is charged little beyond its two products, and nothing twice
    assert stats["Square[numpy]"]["backward_s"] < matmul["backward_s"]
    assert sum(r["total_s"] for r in stats.values()) <= prof.wall_seconds
