"""PyTorch's legacy ways to name a loss's reduction, taken where PyTorch 2.13 takes them: reduction='elementwise_mean'
(the old name of 'mean', in the losses PyTorch reduces in its kernels) and the deprecated size_average and reduce
(which, when either is given, decide the reduction whatever reduction says), in nn.functional and in the loss
modules. Each call gives PyTorch's value, gradient and deprecation warnings, or raises where PyTorch raises."""
import warnings

import numpy as np
import pytest

import fastgrad
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
X, Y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
PROBABILITIES = rng.uniform(0.1, 0.9, (3, 4))
CLASSES, SIGNS = np.array([0, 2, 1]), np.array([1.0, -1.0, 1.0])
SIGN_GRID = np.where(rng.standard_normal((3, 4)) > 0, 1.0, -1.0)
LABELS = np.array([[0, 1, -1, 0], [2, -1, 0, 0], [3, 0, -1, 0]])

# each loss as a function of (library, x: the (3, 4) float64 leaf, keyword arguments)
LOSSES = {
    "cross_entropy": lambda lib, x, **k: lib.nn.functional.cross_entropy(x, lib.tensor(CLASSES), **k),
    "nll_loss": lambda lib, x, **k: lib.nn.functional.nll_loss(x, lib.tensor(CLASSES), **k),
    "poisson_nll_loss": lambda lib, x, **k: lib.nn.functional.poisson_nll_loss(x, lib.tensor(PROBABILITIES), **k),
    "gaussian_nll_loss": lambda lib, x, **k: lib.nn.functional.gaussian_nll_loss(x, lib.tensor(Y),
                                                                                 lib.tensor(PROBABILITIES), **k),
    "kl_div": lambda lib, x, **k: lib.nn.functional.kl_div(x, lib.tensor(PROBABILITIES), **k),
    "binary_cross_entropy": lambda lib, x, **k: lib.nn.functional.binary_cross_entropy(
        x.sigmoid(), lib.tensor(PROBABILITIES), **k),
    "binary_cross_entropy_with_logits": lambda lib, x, **k: lib.nn.functional.binary_cross_entropy_with_logits(
        x, lib.tensor(PROBABILITIES), **k),
    "smooth_l1_loss": lambda lib, x, **k: lib.nn.functional.smooth_l1_loss(x, lib.tensor(Y), **k),
    "huber_loss": lambda lib, x, **k: lib.nn.functional.huber_loss(x, lib.tensor(Y), **k),
    "huber_loss weighted": lambda lib, x, **k: lib.nn.functional.huber_loss(x, lib.tensor(Y),
                                                                            weight=lib.tensor(PROBABILITIES), **k),
    "l1_loss": lambda lib, x, **k: lib.nn.functional.l1_loss(x, lib.tensor(Y), **k),
    "l1_loss weighted": lambda lib, x, **k: lib.nn.functional.l1_loss(x, lib.tensor(Y),
                                                                      weight=lib.tensor(PROBABILITIES), **k),
    "mse_loss": lambda lib, x, **k: lib.nn.functional.mse_loss(x, lib.tensor(Y), **k),
    "mse_loss weighted": lambda lib, x, **k: lib.nn.functional.mse_loss(x, lib.tensor(Y),
                                                                        weight=lib.tensor(PROBABILITIES), **k),
    "margin_ranking_loss": lambda lib, x, **k: lib.nn.functional.margin_ranking_loss(
        x[:, 0], lib.tensor(Y[:, 0]), lib.tensor(SIGNS), **k),
    "hinge_embedding_loss": lambda lib, x, **k: lib.nn.functional.hinge_embedding_loss(x, lib.tensor(SIGN_GRID), **k),
    "multilabel_margin_loss": lambda lib, x, **k: lib.nn.functional.multilabel_margin_loss(x, lib.tensor(LABELS), **k),
    "soft_margin_loss": lambda lib, x, **k: lib.nn.functional.soft_margin_loss(x, lib.tensor(SIGN_GRID), **k),
    "multilabel_soft_margin_loss": lambda lib, x, **k: lib.nn.functional.multilabel_soft_margin_loss(
        x, lib.tensor(PROBABILITIES), **k),
    "cosine_embedding_loss": lambda lib, x, **k: lib.nn.functional.cosine_embedding_loss(x, lib.tensor(Y),
                                                                                         lib.tensor(SIGNS), **k),
    "multi_margin_loss": lambda lib, x, **k: lib.nn.functional.multi_margin_loss(x, lib.tensor(CLASSES), **k),
    "triplet_margin_loss": lambda lib, x, **k: lib.nn.functional.triplet_margin_loss(
        x, lib.tensor(Y), lib.tensor(PROBABILITIES), **k),
    "triplet_margin_with_distance_loss": lambda lib, x, **k: lib.nn.functional.triplet_margin_with_distance_loss(
        x, lib.tensor(Y), lib.tensor(PROBABILITIES), **k),
    "ctc_loss": lambda lib, x, **k: lib.nn.functional.ctc_loss(
        x.reshape(3, 1, 4).log_softmax(2), lib.tensor([[1, 2]]), lib.tensor([3]), lib.tensor([2]), **k),
    "linear_cross_entropy": lambda lib, x, **k: lib.nn.functional.linear_cross_entropy(
        x, lib.tensor(Y[:2].copy()), lib.tensor(CLASSES % 2), **k),
}
# the loss modules, as functions of (library, keyword arguments): the module and how to call it on x
MODULES = {
    "CrossEntropyLoss": lambda lib, **k: (lib.nn.CrossEntropyLoss(**k), lambda m, x: m(x, lib.tensor(CLASSES))),
    "NLLLoss": lambda lib, **k: (lib.nn.NLLLoss(**k), lambda m, x: m(x, lib.tensor(CLASSES))),
    "PoissonNLLLoss": lambda lib, **k: (lib.nn.PoissonNLLLoss(**k), lambda m, x: m(x, lib.tensor(PROBABILITIES))),
    "KLDivLoss": lambda lib, **k: (lib.nn.KLDivLoss(**k), lambda m, x: m(x, lib.tensor(PROBABILITIES))),
    "BCELoss": lambda lib, **k: (lib.nn.BCELoss(**k), lambda m, x: m(x.sigmoid(), lib.tensor(PROBABILITIES))),
    "BCEWithLogitsLoss": lambda lib, **k: (lib.nn.BCEWithLogitsLoss(**k),
                                           lambda m, x: m(x, lib.tensor(PROBABILITIES))),
    "SmoothL1Loss": lambda lib, **k: (lib.nn.SmoothL1Loss(**k), lambda m, x: m(x, lib.tensor(Y))),
    "L1Loss": lambda lib, **k: (lib.nn.L1Loss(**k), lambda m, x: m(x, lib.tensor(Y))),
    "MSELoss": lambda lib, **k: (lib.nn.MSELoss(**k), lambda m, x: m(x, lib.tensor(Y))),
    "HuberLoss": lambda lib, **k: (lib.nn.HuberLoss(**k), lambda m, x: m(x, lib.tensor(Y))),
    "MarginRankingLoss": lambda lib, **k: (lib.nn.MarginRankingLoss(**k),
                                           lambda m, x: m(x[:, 0], lib.tensor(Y[:, 0]), lib.tensor(SIGNS))),
    "HingeEmbeddingLoss": lambda lib, **k: (lib.nn.HingeEmbeddingLoss(**k),
                                            lambda m, x: m(x, lib.tensor(SIGN_GRID))),
    "MultiLabelMarginLoss": lambda lib, **k: (lib.nn.MultiLabelMarginLoss(**k),
                                              lambda m, x: m(x, lib.tensor(LABELS))),
    "SoftMarginLoss": lambda lib, **k: (lib.nn.SoftMarginLoss(**k), lambda m, x: m(x, lib.tensor(SIGN_GRID))),
    "MultiLabelSoftMarginLoss": lambda lib, **k: (lib.nn.MultiLabelSoftMarginLoss(**k),
                                                  lambda m, x: m(x, lib.tensor(PROBABILITIES))),
    "CosineEmbeddingLoss": lambda lib, **k: (lib.nn.CosineEmbeddingLoss(**k),
                                             lambda m, x: m(x, lib.tensor(Y), lib.tensor(SIGNS))),
    "MultiMarginLoss": lambda lib, **k: (lib.nn.MultiMarginLoss(**k), lambda m, x: m(x, lib.tensor(CLASSES))),
    "TripletMarginLoss": lambda lib, **k: (lib.nn.TripletMarginLoss(**k),
                                           lambda m, x: m(x, lib.tensor(Y), lib.tensor(PROBABILITIES))),
    "GaussianNLLLoss": lambda lib, **k: (lib.nn.GaussianNLLLoss(**k),
                                         lambda m, x: m(x, lib.tensor(Y), lib.tensor(PROBABILITIES))),
}
LEGACY = [dict(reduction="elementwise_mean"), dict(size_average=False), dict(reduce=False),
          dict(size_average=True, reduce=True), dict(size_average=False, reduction="none"),
          dict(reduce=False, reduction="sum"), dict(size_average=0, reduce=1)]


def run(lib, call):
    """The loss, x's gradient and the deprecation warnings of one call (or Raised)."""
    x = lib.tensor(X).requires_grad_()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = outcome(lambda: call(lib, x))
    if isinstance(result, Raised):
        return result, None, []
    result.sum().backward()
    deprecations = sorted(str(w.message) for w in caught if "deprecated" in str(w.message))
    return result.detach().numpy(), x.grad.numpy(), deprecations


def assert_same(call, where):
    (ours, our_grad, our_warnings), (theirs, their_grad, their_warnings) = run(fastgrad, call), run(torch, call)
    assert_raised_alike(ours, theirs, where)
    if isinstance(theirs, Raised):
        return
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14, err_msg=where)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-12, atol=1e-14, err_msg=where)
    assert our_warnings == their_warnings, where


@pytest.mark.parametrize("keywords", LEGACY, ids=str)
@pytest.mark.parametrize("name", LOSSES)
def test_functional_losses_take_pytorchs_legacy_reductions(name, keywords):
    assert_same(lambda lib, x: LOSSES[name](lib, x, **keywords), f"{name}({keywords})")


@pytest.mark.parametrize("keywords", LEGACY, ids=str)
@pytest.mark.parametrize("name", MODULES)
def test_loss_modules_take_pytorchs_legacy_reductions(name, keywords):
    def call(lib, x):
        module, forward = MODULES[name](lib, **keywords)
        return forward(module, x)

    assert_same(call, f"{name}({keywords})")


def test_a_module_keeps_elementwise_mean_and_warns_on_each_call_as_pytorch():
    for lib in (fastgrad, torch):
        loss = lib.nn.MSELoss(reduction="elementwise_mean")
        assert loss.reduction == "elementwise_mean"
        for _ in range(2):
            with pytest.warns(UserWarning, match="reduction='elementwise_mean' is deprecated"):
                loss(lib.ones(2), lib.zeros(2))


def test_legacy_arguments_set_a_modules_reduction_with_pytorchs_warning():
    for lib in (fastgrad, torch):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please use "
                                             "reduction='sum' instead"):
            assert lib.nn.L1Loss(size_average=False).reduction == "sum"
        with pytest.warns(UserWarning, match="reduction='none'"):
            assert lib.nn.KLDivLoss(reduce=False, reduction="batchmean").reduction == "none"
