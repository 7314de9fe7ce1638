"""The outputs of unbind, split and chunk (ops that return several views) and the views a custom Function returns
do not follow their base once it is changed in place: PyTorch refuses to use them with grad mode on then (they
used to follow it here, or keep their old history, giving gradients where PyTorch gives none). Every program
runs on both libraries: both refuse, or both give the same gradients."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")

SEVERAL_VIEWS = {
    "unbind": lambda t: t.reshape(2, 2).unbind(0),
    "unbind of a vector": lambda t: t.unbind(),
    "split": lambda t: t.split(2),
    "split with sizes": lambda t: t.split([1, 3]),
    "chunk": lambda t: t.chunk(2),
    "tensor_split (single slices: it follows)": lambda t: t.tensor_split(2),
}


def program(m, views_of, case):
    leaf = m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float64, requires_grad=True)
    w = m.tensor([0.5, -1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
    b = leaf.clone()
    views = views_of(b)
    if case == "used after the base changed":
        b.mul_(w)
        loss = (views[0] * 3).sum()
    elif case == "the root after the base changed":
        b.mul_(w)
        loss = views[0].sum()
    elif case == "a view of it, used after the base changed":
        view = views[0].reshape(-1)[:1]
        b.mul_(w)
        loss = (view * 3).sum()
    elif case == "used before the base changed":
        loss = (views[0] * 3).sum()
        b.add_(w)
    elif case == "used in a comparison after the base changed":
        b.mul_(w)
        return (views[0] > 1).tolist()
    elif case == "used under no_grad after the base changed":
        b.mul_(w)
        with m.no_grad():
            return (views[0] * 3).tolist()
    elif case == "base changed under no_grad":
        with m.no_grad():
            b.mul_(2)
        loss = (views[0] * 3).sum()
    elif case == "another output changed under no_grad":
        with m.no_grad():
            views[-1].mul_(2)
        loss = (views[0] * 3).sum()
    elif case == "base without history, written with grad mode on":
        b = m.zeros(4, dtype=m.float64)
        views = views_of(b)
        b.copy_(w * 2)
        loss = (views[0] * 3).sum()
    elif case == "nothing requires grad":
        b = m.zeros(4, dtype=m.float64)
        views = views_of(b)
        b.add_(1)
        return (views[0] * 3).tolist()
    elif case == "views of a leaf, changed under no_grad":
        views = views_of(leaf)
        with m.no_grad():
            leaf.mul_(2)
        loss = (views[0] * 3).sum()
    loss.backward()
    return [None if t.grad is None else t.grad.tolist() for t in (leaf, w)]


@pytest.mark.parametrize("views_of", SEVERAL_VIEWS)
@pytest.mark.parametrize("case", [
    "used after the base changed", "the root after the base changed", "a view of it, used after the base changed",
    "used before the base changed", "used in a comparison after the base changed",
    "used under no_grad after the base changed", "base changed under no_grad", "another output changed under no_grad",
    "base without history, written with grad mode on", "nothing requires grad",
    "views of a leaf, changed under no_grad"])
def test_an_output_of_an_op_returning_several_views_refuses_as_torchs(views_of, case):
    outcomes = []
    for m in (fastgrad, torch):
        try:
            outcomes.append(program(m, SEVERAL_VIEWS[views_of], case))
        except RuntimeError as error:  # (the messages differ; both refuse)
            outcomes.append("refused")
            if m is fastgrad:
                assert "returns several views" in str(error)
    assert outcomes[0] == outcomes[1]


def test_a_view_that_a_custom_function_returns_refuses_as_torchs():
    def program(m):
        class FirstTwo(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x[:2]

            @staticmethod
            def backward(ctx, g):
                return m.cat([g, m.zeros(1, dtype=g.dtype)])

        leaf = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
        b = leaf.clone()
        v = FirstTwo.apply(b)
        b.mul_(2)
        return v * 3

    with pytest.raises(RuntimeError):
        program(torch)
    with pytest.raises(RuntimeError, match="custom Function FirstTwo"):
        program(fastgrad)
