"""fastgrad.gradient against torch.gradient: values, dtypes, shapes and gradients (of the input and the
coordinates) for every form of spacing, dim and edge_order, and the errors of bad arguments."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
COORDINATES = [np.array([0.0, 1.0, 3.0]), np.array([0.0, 0.5, 2.0, 2.5])]


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("keywords", [
    {}, {"spacing": 2.0}, {"spacing": [2.0, 0.5]}, {"dim": 1}, {"dim": -2, "spacing": 3},
    {"dim": [1, 0], "spacing": (2.0, 3.0)}, {"dim": (1,), "spacing": [1.5]}, {"spacing": "0-d tensor"},
], ids=["default", "number", "numbers", "dim", "negative dim", "dims", "dim tuple", "0-d tensor spacing"])
def test_uniform_spacing_matches_torch(same_as_torch, keywords, edge_order):
    def call(lib, f):
        given = {**keywords, "spacing": lib.tensor(2.0)} if keywords.get("spacing") == "0-d tensor" else keywords
        return lib.gradient(input=f, edge_order=edge_order, **given)

    f = RNG.normal(size=(3, 4))
    same_as_torch(call, f)
    same_as_torch(call, f.astype(np.float32))
    same_as_torch(call, np.arange(12).reshape(3, 4) ** 2, grad=False)


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("dtypes", [(np.float64, np.float64), (np.float32, np.float64), (np.float64, np.float32),
                                    (np.int64, np.float32), (np.float32, np.int64), (np.int64, np.int64)])
def test_coordinates_match_torch(same_as_torch, edge_order, dtypes):
    f = (RNG.normal(size=(3, 4)) * 4).astype(dtypes[0])
    x, y = (c.astype(dtypes[1]) if dtypes[1] != np.int64 else (c * 2).astype(np.int64) for c in COORDINATES)
    same_as_torch(lambda lib, f, x, y: lib.gradient(f, spacing=[x, y], edge_order=edge_order), f, x, y)
    same_as_torch(lambda lib, f, y: lib.gradient(f, spacing=[y], dim=1, edge_order=edge_order), f, y)


def test_0d_input_gives_an_empty_tuple_as_torch():
    assert fastgrad.gradient(fastgrad.tensor(3.0)) == torch.gradient(torch.tensor(3.0)) == ()


def test_an_empty_dim_not_differentiated_is_fine():
    for lib in (fastgrad, torch):
        (out,) = lib.gradient(lib.zeros(3, 0), dim=0)
        assert tuple(out.shape) == (3, 0)


@pytest.mark.parametrize("call", [
    lambda lib: lib.gradient(lib.ones(4), edge_order=3), lambda lib: lib.gradient(lib.ones(2), edge_order=2),
    lambda lib: lib.gradient(lib.ones(1)), lambda lib: lib.gradient(lib.ones(3, 4), spacing=[1.0]),
    lambda lib: lib.gradient(lib.ones(3, 4), dim=0, spacing=[1.0, 2.0]),
    lambda lib: lib.gradient(lib.ones(3, 4), spacing=[lib.ones(1, 3), lib.ones(4)]),
    lambda lib: lib.gradient(lib.ones(3, 4), spacing=[1, lib.ones(4)]),
    lambda lib: lib.gradient(lib.ones(3), spacing=lib.ones(3)), lambda lib: lib.gradient(lib.ones(3, 4), dim=[0, 0]),
    lambda lib: lib.gradient(lib.ones(3, 4), dim=2), lambda lib: lib.gradient(lib.tensor([True, False, True])),
    lambda lib: lib.gradient(lib.ones(3), edge_order=1.0),
    lambda lib: lib.gradient(lib.ones(4), spacing=[lib.tensor(2.0)]),
], ids=["edge order", "too few", "one sample", "spacing length", "spacing length dim", "coordinates 2-D", "mixed",
        "tensor spacing", "repeated dim", "dim range", "bool", "float edge order", "0-d coordinates"])
def test_both_refuse(call):
    with pytest.raises((RuntimeError, TypeError, IndexError)) as theirs:
        call(torch)
    expected = {RuntimeError: (RuntimeError, ValueError)}.get(theirs.type, theirs.type)
    with pytest.raises(expected):
        call(fastgrad)


def test_coordinates_of_the_wrong_length_raise_where_torch_returns_a_wrong_shape():
    f, x, y = torch.ones(3, 4), torch.tensor([0.0, 1.0]), torch.arange(4.0)
    assert torch.gradient(f, spacing=[x, y])[0].shape == (2, 4)  # PyTorch 2.13: a result of the wrong shape
    with pytest.raises(ValueError, match="one coordinate per sample"):
        fastgrad.gradient(fastgrad.ones(3, 4), spacing=[fastgrad.tensor([0.0, 1.0]), fastgrad.arange(4.0)])
