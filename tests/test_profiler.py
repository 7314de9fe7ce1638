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
