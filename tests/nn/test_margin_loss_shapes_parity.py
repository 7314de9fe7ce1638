"""The shapes the margin losses take, against PyTorch 2.13. margin_ranking_loss wants one number of dims for its
three tensors, then broadcasts them; hinge_embedding_loss broadcasts input and target either way;
cosine_embedding_loss wants a 1-d target with 2-d inputs (or a 0-d target with 1-d inputs), then broadcasts;
multilabel_soft_margin_loss broadcasts input, target and weight, sums over the input's last dim (counted from
the front of the broadcast losses) and divides by its size. Each returns PyTorch's values, shapes and gradients
for every reduction; the shapes PyTorch refuses raise its RuntimeError (IndexError for a 0-d
multilabel_soft_margin_loss input), as do multi_margin_loss's and multilabel_margin_loss's."""
import numpy as np
import pytest

import fastgrad
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

SIGNS = np.array([1.0, -1.0, -1.0, 1.0, 0.0, 2.0, 1.0, -1.0])


def signs(shape):
    return np.resize(SIGNS, shape)


def values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def margin_ranking(shape1, shape2, target_shape):
    return "margin_ranking_loss", [values(shape1, 1), values(shape2, 2), signs(target_shape)], {"margin": 0.3}


def hinge(shape, target_shape):
    return "hinge_embedding_loss", [np.abs(values(shape, 1)), signs(target_shape)], {"margin": 0.8}


def cosine(shape1, shape2, target_shape):
    return "cosine_embedding_loss", [values(shape1, 1), values(shape2, 2), signs(target_shape)], {"margin": 0.1}


def multilabel_soft_margin(shape, target_shape, weight_shape=None):
    options = {} if weight_shape is None else {"weight": values(weight_shape, 3)}
    return "multilabel_soft_margin_loss", [values(shape, 1), np.resize([0.0, 1.0, 1.0], target_shape)], options


BROADCASTING = [
    margin_ranking((3, 4), (3, 4), (1, 4)), margin_ranking((3, 1), (1, 4), (3, 4)),
    margin_ranking((1, 4), (1, 4), (3, 4)), margin_ranking((2, 1, 3), (1, 4, 1), (2, 4, 3)), margin_ranking((), (), ()),
    hinge((3, 4), (4,)), hinge((4,), (3, 4)), hinge((3, 1), (1, 4)), hinge((), (2, 3)), hinge((2, 3), ()),
    cosine((3, 4), (1, 4), (3,)), cosine((1, 4), (1, 4), (3,)), cosine((3, 4), (3, 1), (3,)),
    cosine((3, 4), (3, 4), (1,)), cosine((4,), (1,), ()), cosine((0, 4), (1, 4), (0,)),
    multilabel_soft_margin((3, 4), (4,)), multilabel_soft_margin((4,), (3, 4)), multilabel_soft_margin((3, 1), (3, 4)),
    multilabel_soft_margin((3, 4), (3, 1)), multilabel_soft_margin((3, 4), ()),
    multilabel_soft_margin((3, 4), (2, 3, 4)), multilabel_soft_margin((3, 1), (3, 4), (4,)),
    multilabel_soft_margin((4,), (4,), (2, 4)),
]


def run(library, name, arrays, options, reduction):
    leaves = [library.tensor(array, requires_grad=index < len(arrays) - 1) for index, array in enumerate(arrays)]
    extra = {key: library.tensor(value, requires_grad=True) for key, value in options.items() if key == "weight"}
    given = {key: value for key, value in options.items() if key != "weight"}
    loss = getattr(library.nn.functional, name)(*leaves, reduction=reduction, **given, **extra)
    loss.backward(library.tensor(np.random.default_rng(4).standard_normal(tuple(loss.shape))))
    return loss, [leaf.grad for leaf in leaves if leaf.requires_grad] + [weight.grad for weight in extra.values()]


def case_id(name, arrays, options):
    return "-".join([name, *(str(array.shape) for array in arrays), *(str(value.shape) for value in options.values()
                                                                       if isinstance(value, np.ndarray))])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, arrays, options", BROADCASTING, ids=[case_id(*case) for case in BROADCASTING])
def test_broadcasting_losses_match_pytorch(name, arrays, options, reduction):
    with np.errstate(invalid="ignore", divide="ignore"):  # (the mean of no losses is NaN, as PyTorch's)
        (ours, our_grads), (theirs, their_grads) = (run(library, name, arrays, options, reduction)
                                                    for library in (fastgrad, torch))
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, reference in zip(our_grads, their_grads, strict=True):
        assert tuple(mine.shape) == tuple(reference.shape)
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-10, atol=1e-12)


REFUSED = [
    margin_ranking((3, 4), (3, 4), (4,)), margin_ranking((3, 4), (4,), (3, 4)), margin_ranking((3,), (3,), ()),
    margin_ranking((3, 4), (3, 4), (3, 5)),
    hinge((3, 2), (3, 4)),
    cosine((3, 4), (4,), (3,)), cosine((4,), (4,), (1,)), cosine((3, 4), (3, 4), ()), cosine((3, 4), (3, 4), (3, 1)),
    cosine((2, 3, 4), (2, 3, 4), (2, 3)), cosine((3, 4), (2, 4), (3,)), cosine((3, 4), (3, 4), (2,)),
    cosine((3, 4), (3, 5), (3,)),
    multilabel_soft_margin((3, 4), (3, 5)), multilabel_soft_margin((), ()), multilabel_soft_margin((), (3,)),
    multilabel_soft_margin((3, 4), (3, 4), (3,)),
    ("multi_margin_loss", [values((3, 4), 1), np.array([0, 1])], {}),
    ("multi_margin_loss", [values((3, 4), 1), np.array([[0, 1, 2]])], {}),
    ("multi_margin_loss", [values((4,), 1), np.array([0, 1])], {}),
    ("multi_margin_loss", [values((2, 3, 4), 1), np.array([0, 1])], {}),
    ("multi_margin_loss", [values((3, 0), 1), np.array([0, 1, 1])], {}),
    ("multilabel_margin_loss", [values((3, 4), 1), np.array([0, 1, 2, 3])], {}),
    ("multilabel_margin_loss", [values((3, 4), 1), np.zeros((3, 5), dtype=np.int64)], {}),
    ("multilabel_margin_loss", [values((4,), 1), np.array([[0, 1, 2, 3]])], {}),
    ("multilabel_margin_loss", [values((2, 3, 4), 1), np.zeros((3, 4), dtype=np.int64)], {}),
    ("multilabel_margin_loss", [values((3, 0), 1), np.zeros((3, 0), dtype=np.int64)], {}),
]


@pytest.mark.parametrize("name, arrays, options", REFUSED, ids=[case_id(*case) for case in REFUSED])
def test_refused_shapes_raise_pytorchs_error(name, arrays, options):
    def call(library):
        extra = {key: library.tensor(value) for key, value in options.items()}
        return getattr(library.nn.functional, name)(*(library.tensor(array) for array in arrays), **extra)

    ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
    assert isinstance(theirs, Raised), "PyTorch refuses these shapes"
    assert_raised_alike(ours, theirs, name)
