"""stride() and is_contiguous() of views as PyTorch reports them, where NumPy's strides would differ: along dims that
are never stepped along (of size 1, which None, unsqueeze, view and a slice that keeps one element give strides by
their own rules) and for empty views. A fuzz draws chains of view ops and compares after every step."""
import random

import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("view", ["x[None]", "x[:, None]", "x[..., None]", "x.unsqueeze(0)", "x.unsqueeze(1)",
                                  "x.unsqueeze(-1)", "x[None, :, None]", "x.t()[None]", "x[:, :1].unsqueeze(2)",
                                  "x[None].squeeze(0)", "x[::2, None]"])
def test_the_stride_of_a_new_dim_is_pytorchs(view):
    strides = [eval(view, {"x": lib.arange(12.0).reshape(3, 4)}).stride() for lib in (torch, fastgrad)]
    assert strides[1] == strides[0]


def draw_view_op(rng: random.Random, shape: tuple):
    """A view op that applies to a tensor of `shape`, with its name."""
    ndim = len(shape)
    kinds = ["None", "unsqueeze", "expand", "reshape", "squeeze", "flatten"]
    if ndim:
        kinds += ["None inside", "slice", "narrow", "select"]
    if ndim >= 2:
        kinds += ["transpose", "permute"]
    kind = rng.choice(kinds)
    if kind == "None":
        return "x[None]", lambda x: x[None]
    if kind == "None inside":
        key = (slice(None),) * rng.randrange(ndim + 1) + (None,)
        return f"x[{key}]", lambda x: x[key]
    if kind == "unsqueeze":
        dim = rng.randrange(-ndim - 1, ndim + 1)
        return f"unsqueeze({dim})", lambda x: x.unsqueeze(dim)
    if kind == "expand":
        sizes = tuple([rng.choice([1, 2])] * (rng.random() < 0.4)) + tuple(n if n != 1 else rng.choice([1, 3])
                                                                          for n in shape)
        return f"expand{sizes}", lambda x: x.expand(sizes)
    if kind == "reshape":
        numel = 1
        for n in shape:
            numel *= n
        sizes = rng.choice([(-1,), (1, numel, 1), (numel, 1), (1, -1)])
        return f"reshape{sizes}", lambda x: x.reshape(sizes)
    if kind == "squeeze":
        if ndim and rng.random() < 0.5:
            dim = rng.randrange(ndim)
            return f"squeeze({dim})", lambda x: x.squeeze(dim)
        return "squeeze()", lambda x: x.squeeze()
    if kind == "flatten":
        return "flatten()", lambda x: x.flatten()
    dim = rng.randrange(ndim)
    if kind == "slice":
        start = rng.randrange(shape[dim] + 1)
        key = (slice(None),) * dim + (slice(start, rng.randrange(start, shape[dim] + 1), rng.choice([1, 2, 3])),)
        return f"x[{key}]", lambda x: x[key]
    if kind == "narrow":
        start = rng.randrange(shape[dim] + 1)
        length = rng.randrange(shape[dim] - start + 1)
        return f"narrow({dim}, {start}, {length})", lambda x: x.narrow(dim, start, length)
    if kind == "select":
        if not shape[dim]:
            return "x", lambda x: x
        index = rng.randrange(shape[dim])
        return f"select({dim}, {index})", lambda x: x.select(dim, index)
    if kind == "transpose":
        dims = rng.randrange(ndim), rng.randrange(ndim)
        return f"transpose{dims}", lambda x: x.transpose(*dims)
    order = list(range(ndim))
    rng.shuffle(order)
    return f"permute{order}", lambda x: x.permute(*order)


@pytest.mark.parametrize("seed", range(0, 1500, 100))
def test_view_op_chains_report_pytorchs_strides(seed):
    for case in range(seed, seed + 100):
        rng = random.Random(case)
        shape = tuple(rng.choice([1, 1, 2, 3, 4]) for _ in range(rng.randrange(4)))
        theirs = torch.arange(float(torch.Size(shape).numel())).reshape(shape)
        ours = fastgrad.arange(float(theirs.numel())).reshape(shape)
        steps = []
        for _ in range(rng.randrange(1, 6)):
            name, op = draw_view_op(rng, tuple(theirs.shape))
            steps.append(name)
            try:
                theirs = op(theirs)
            except RuntimeError:  # (a view PyTorch refuses: the chain ends)
                break
            ours = op(ours)
            assert (tuple(ours.shape), ours.stride(), ours.is_contiguous()) == (
                tuple(theirs.shape), theirs.stride(), theirs.is_contiguous()), f"case {case}: {steps}"
