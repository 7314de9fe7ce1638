"""fastgrad.nn layers and Module methods against torch.nn: reprs, names, state_dict keys, outputs and
gradients with PyTorch's weights loaded."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn

torch = pytest.importorskip("torch")


def both(build):
    """The same construction with fastgrad.nn and torch.nn."""
    return build(nn, fastgrad), build(torch.nn, torch)


@pytest.mark.parametrize("build", [
    lambda nn, lib: nn.Dropout(0.2), lambda nn, lib: nn.GELU(), lambda nn, lib: nn.GELU("tanh"),
    lambda nn, lib: nn.ELU(0.5), lambda nn, lib: nn.Softmax(dim=1), lambda nn, lib: nn.LogSoftmax(dim=-1),
    lambda nn, lib: nn.Softmax(), lambda nn, lib: nn.Flatten(), lambda nn, lib: nn.Flatten(0, 2),
    lambda nn, lib: nn.Unflatten(1, (2, 5)), lambda nn, lib: nn.Unflatten(-1, [2, -1]), lambda nn, lib: nn.MSELoss(),
    lambda nn, lib: nn.L1Loss(reduction="sum"), lambda nn, lib: nn.CrossEntropyLoss(lib.ones(3), label_smoothing=0.1),
    lambda nn, lib: nn.NLLLoss(), lambda nn, lib: nn.LayerNorm(10), lambda nn, lib: nn.LayerNorm([3, 4], eps=1e-6),
    lambda nn, lib: nn.LayerNorm(4, elementwise_affine=False), lambda nn, lib: nn.LayerNorm(4, bias=False),
    lambda nn, lib: nn.RNNCell(3, 4), lambda nn, lib: nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
    lambda nn, lib: nn.RNN(3, 4, nonlinearity="relu", num_layers=2), lambda nn, lib: nn.EmbeddingBag(10, 3),
    lambda nn, lib: nn.ModuleDict({"a": nn.ReLU(), "b": nn.Linear(2, 3)}), lambda nn, lib: nn.ModuleDict(),
    lambda nn, lib: nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.Linear(2, 2)]),
    lambda nn, lib: nn.ParameterList(), lambda nn, lib: nn.Sequential(nn.Flatten(), nn.Linear(4, 2), nn.Tanh()),
    lambda nn, lib: nn.Sequential(nn.ModuleDict({"x": nn.ModuleList([nn.GELU(), nn.GELU()])}), nn.Dropout()),
    lambda nn, lib: nn.CosineSimilarity(dim=0), lambda nn, lib: nn.PairwiseDistance(p=1.0),
    lambda nn, lib: nn.Conv1d(10, 6, 3), lambda nn, lib: nn.Conv1d(4, 6, 3, 2, 1, 2, groups=2, bias=False),
    lambda nn, lib: nn.Conv1d(4, 6, (3,), padding="same"), lambda nn, lib: nn.MaxPool1d(3),
    lambda nn, lib: nn.Conv2d(1, 6, (3, 50)), lambda nn, lib: nn.Conv2d(4, 6, 3, (2, 1), (1, 0), 2, groups=2, bias=False),
    lambda nn, lib: nn.Conv2d(2, 2, 3, padding="same"), lambda nn, lib: nn.Conv1d(2, 2, 3, padding_mode="reflect"),
    lambda nn, lib: nn.Conv2d(2, 2, 2, padding="same", padding_mode="circular"),
    lambda nn, lib: nn.MaxPool1d(3, 2, 1, ceil_mode=True), lambda nn, lib: nn.Softplus(beta=2, threshold=10),
    lambda nn, lib: nn.LogSigmoid(), lambda nn, lib: nn.Softmin(dim=1), lambda nn, lib: nn.SmoothL1Loss(beta=0.5),
    lambda nn, lib: nn.HuberLoss(delta=2.0), lambda nn, lib: nn.KLDivLoss(reduction="batchmean"),
    lambda nn, lib: nn.BCELoss(),
    lambda nn, lib: nn.MaxPool2d(3), lambda nn, lib: nn.MaxPool2d((2, 3), 1, (1, 0), 2, True, True),
    lambda nn, lib: nn.AvgPool1d(3), lambda nn, lib: nn.AvgPool1d(4, 2, 1, True, False),
    lambda nn, lib: nn.AvgPool2d((3, 2), padding=1, divisor_override=2), lambda nn, lib: nn.AdaptiveMaxPool1d(3),
    lambda nn, lib: nn.AdaptiveMaxPool1d(1, return_indices=True), lambda nn, lib: nn.AdaptiveAvgPool1d(2),
    lambda nn, lib: nn.ReLU6(), lambda nn, lib: nn.ReLU6(True), lambda nn, lib: nn.SELU(inplace=True),
    lambda nn, lib: nn.CELU(), lambda nn, lib: nn.CELU(0.5, True), lambda nn, lib: nn.Mish(True),
    lambda nn, lib: nn.Hardswish(True), lambda nn, lib: nn.Hardsigmoid(), lambda nn, lib: nn.Softsign(),
    lambda nn, lib: nn.Tanhshrink(), lambda nn, lib: nn.Threshold(0.1, 20), lambda nn, lib: nn.Threshold(0.1, 2.5, True),
    lambda nn, lib: nn.GLU(), lambda nn, lib: nn.GLU(1),
    lambda nn, lib: nn.MarginRankingLoss(0.5), lambda nn, lib: nn.HingeEmbeddingLoss(),
    lambda nn, lib: nn.CosineEmbeddingLoss(), lambda nn, lib: nn.TripletMarginLoss(swap=True),
    lambda nn, lib: nn.SoftMarginLoss(), lambda nn, lib: nn.MultiLabelSoftMarginLoss(lib.ones(3)),
    lambda nn, lib: nn.MultiMarginLoss(p=2), lambda nn, lib: nn.PoissonNLLLoss(), lambda nn, lib: nn.GaussianNLLLoss(),
    lambda nn, lib: nn.GroupNorm(3, 6), lambda nn, lib: nn.GroupNorm(2, 4, 1e-3, affine=False),
    lambda nn, lib: nn.GroupNorm(1, 4, bias=False), lambda nn, lib: nn.RMSNorm(4),
    lambda nn, lib: nn.RMSNorm([2, 3], 1e-6),
    lambda nn, lib: nn.RMSNorm((3,), elementwise_affine=False), lambda nn, lib: nn.Bilinear(3, 5, 4),
    lambda nn, lib: nn.Bilinear(3, 5, 4, bias=False), lambda nn, lib: nn.Dropout1d(), lambda nn, lib: nn.Dropout2d(0.3),
    lambda nn, lib: nn.Dropout(0),
    lambda nn, lib: nn.Dropout3d(0.1, True), lambda nn, lib: nn.AlphaDropout(0.2),
    lambda nn, lib: nn.FeatureAlphaDropout(inplace=True), lambda nn, lib: nn.ReflectionPad1d(2),
    lambda nn, lib: nn.ReflectionPad2d((1, 0, 2, 1)), lambda nn, lib: nn.ReflectionPad3d(1),
    lambda nn, lib: nn.ReplicationPad1d((0, 3)), lambda nn, lib: nn.ReplicationPad2d(2),
    lambda nn, lib: nn.ReplicationPad3d(1), lambda nn, lib: nn.CircularPad1d(1),
    lambda nn, lib: nn.CircularPad2d([1, 2, 3, 4]), lambda nn, lib: nn.CircularPad3d(2),
    lambda nn, lib: nn.ConstantPad1d(2, 3.5), lambda nn, lib: nn.ConstantPad2d((1, 0, 2, 1), -1),
    lambda nn, lib: nn.ConstantPad3d(1, 0.0), lambda nn, lib: nn.ZeroPad1d((1, 2)), lambda nn, lib: nn.ZeroPad2d(1),
    lambda nn, lib: nn.ZeroPad3d((1, 1, 0, 0, 2, 2)),
])

def test_repr_matches_pytorch(build):
    ours, theirs = both(build)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("build, inputs", [
    (lambda nn, lib: nn.MarginRankingLoss(0.2, reduction="sum"), lambda lib, x: (x[0], x[1], lib.sign(x[2]))),
    (lambda nn, lib: nn.HingeEmbeddingLoss(0.5), lambda lib, x: (x[0], lib.sign(x[1]))),
    (lambda nn, lib: nn.CosineEmbeddingLoss(0.1), lambda lib, x: (x[0], x[1], lib.sign(x[2][:, 0]))),
    (lambda nn, lib: nn.TripletMarginLoss(0.5, p=1.0, swap=True), lambda lib, x: tuple(x)),
    (lambda nn, lib: nn.SoftMarginLoss(reduction="none"), lambda lib, x: (x[0], lib.sign(x[1]).detach())),
    (lambda nn, lib: nn.MultiLabelSoftMarginLoss(lib.arange(1.0, 5.0, dtype=lib.float64)),
     lambda lib, x: (x[0], (x[1] > 0).double())),
    (lambda nn, lib: nn.MultiMarginLoss(2, 0.5, lib.arange(1.0, 5.0, dtype=lib.float64)),
     lambda lib, x: (x[0], lib.tensor([0, 3, 1]))),
    (lambda nn, lib: nn.PoissonNLLLoss(full=True), lambda lib, x: (x[0], x[1].abs() * 3)),
    (lambda nn, lib: nn.GaussianNLLLoss(full=True), lambda lib, x: (x[0], x[1], x[2].abs())),
])
def test_new_loss_layers_match_pytorch(build, inputs):
    arrays = np.random.default_rng(0).standard_normal((3, 3, 4))
    ours, theirs = build(nn, fastgrad), build(torch.nn, torch)
    our_leaves = [fastgrad.tensor(a, requires_grad=True) for a in arrays]
    their_leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    got, expected = ours(*inputs(fastgrad, our_leaves)), theirs(*inputs(torch, their_leaves))
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-10)
    got.sum().backward()
    expected.sum().backward()
    for mine, reference in zip(our_leaves, their_leaves):
        if reference.grad is not None:
            np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_parameter_container_reprs_match_pytorch_up_to_the_dtype_name():
    ours, theirs = both(lambda nn, lib: nn.ParameterList([nn.Parameter(lib.zeros(3)),
                                                          nn.Parameter(lib.zeros(2, 2, dtype=lib.float64))]))
    assert repr(ours) == repr(theirs).replace("torch.", "fastgrad.")
    ours, theirs = both(lambda nn, lib: nn.ParameterDict({"x": nn.Parameter(lib.zeros(3)),
                                                          "y": nn.Parameter(lib.zeros(2, 3))}))
    assert repr(ours) == repr(theirs).replace("torch.FloatTensor", "fastgrad.float32")  # PyTorch's legacy name here


class Model:
    """The same model in both libraries: containers, a shared layer, a non-persistent buffer."""

    @staticmethod
    def build(nn, lib):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                shared = nn.Linear(3, 3)
                self.blocks = nn.ModuleDict({"first": nn.Sequential(shared, nn.GELU()),
                                             "second": nn.ModuleList([shared, nn.LayerNorm(3)])})
                self.cell = nn.RNNCell(3, 2)
                self.scales = nn.ParameterList([nn.Parameter(lib.ones(2)), nn.Parameter(lib.ones(2))])
                self.offsets = nn.ParameterDict({"a": nn.Parameter(lib.zeros(2))})
                self.register_buffer("steps", lib.zeros(1))
                self.register_buffer("cache", lib.zeros(1), persistent=False)

        return Net()


def test_module_walks_and_names_match_pytorch():
    ours, theirs = both(Model.build)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert ([n for n, _ in ours.named_modules(remove_duplicate=False, prefix="m")]
            == [n for n, _ in theirs.named_modules(remove_duplicate=False, prefix="m")])
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ([n for n, _ in ours.named_parameters(remove_duplicate=False)]
            == [n for n, _ in theirs.named_parameters(remove_duplicate=False)])
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs).replace("torch.FloatTensor", "fastgrad.float32").replace("torch.", "fastgrad.")
    ours_order, theirs_order = [], []
    ours.apply(lambda m: ours_order.append(type(m).__name__))
    theirs.apply(lambda m: theirs_order.append(type(m).__name__))
    assert ours_order == theirs_order


def test_pytorch_weights_load_by_name_and_give_the_same_outputs():
    ours, theirs = both(Model.build)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    for model, lib in ((ours, fastgrad), (theirs, torch)):
        hidden = model.blocks["second"][1](model.blocks["first"](lib.tensor(x)))
        model.out = model.cell(hidden) * model.scales[1] + model.offsets["a"]
    np.testing.assert_allclose(ours.out.detach().numpy(), theirs.out.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_zero_grad_and_requires_grad_match_pytorch():
    ours, theirs = both(lambda nn, lib: nn.Linear(2, 2))
    for model, lib in ((ours, fastgrad), (theirs, torch)):
        model(lib.ones(1, 2)).sum().backward()
        model.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    ours.zero_grad(), theirs.zero_grad()
    assert ours.weight.grad is None and theirs.weight.grad is None
    ours.requires_grad_(False), theirs.requires_grad_(False)
    assert [p.requires_grad for p in ours.parameters()] == [p.requires_grad for p in theirs.parameters()]


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_rnn_cell_matches_pytorch(nonlinearity, bias):
    theirs = torch.nn.RNNCell(3, 4, bias=bias, nonlinearity=nonlinearity).double()
    ours = nn.RNNCell(3, 4, bias=bias, nonlinearity=nonlinearity).double()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(1)
    for x, h in [(rng.standard_normal((2, 3)), rng.standard_normal((2, 4))), (rng.standard_normal(3), None),
                 (rng.standard_normal((5, 3)), None), (rng.standard_normal(3), rng.standard_normal(4))]:
        our_x, their_x = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        our_h = None if h is None else fastgrad.tensor(h, requires_grad=True)
        their_h = None if h is None else torch.tensor(h, requires_grad=True)
        our_out, their_out = ours(our_x, our_h), theirs(their_x, their_h)
        np.testing.assert_allclose(our_out.detach().numpy(), their_out.detach().numpy(), rtol=1e-12, atol=1e-14)
        upstream = rng.standard_normal(our_out.shape)
        (our_out * fastgrad.tensor(upstream)).sum().backward()
        (their_out * torch.tensor(upstream)).sum().backward()
        np.testing.assert_allclose(our_x.grad.numpy(), their_x.grad.numpy(), rtol=1e-12, atol=1e-14)
        if h is not None:
            np.testing.assert_allclose(our_h.grad.numpy(), their_h.grad.numpy(), rtol=1e-12, atol=1e-14)
    for (name, ours_param), theirs_param in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(ours_param.grad.numpy(), theirs_param.grad.numpy(), rtol=1e-12, err_msg=name)


def test_rnn_cell_initialization_has_pytorchs_bound():
    fastgrad.manual_seed(0)
    weights = nn.RNNCell(10, 400).weight_hh.detach().numpy()
    bound = 1 / np.sqrt(400)
    assert np.abs(weights).max() <= bound and np.abs(weights).max() > 0.99 * bound
    assert abs(weights.std() - bound / np.sqrt(3)) < 0.01 * bound  # U(-b, b) has std b / sqrt(3)


@pytest.mark.parametrize("build, shape", [
    (lambda nn, lib: nn.Flatten(), (2, 3, 4)), (lambda nn, lib: nn.Flatten(0, -2), (2, 3, 4)),
    (lambda nn, lib: nn.Unflatten(1, (3, 1)), (2, 3, 4)), (lambda nn, lib: nn.Unflatten(-1, (-1, 2)), (2, 3, 4)),
])
def test_flatten_layers_match_pytorch(build, shape):
    ours, theirs = both(build)
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    np.testing.assert_array_equal(ours(fastgrad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy())


@pytest.mark.parametrize("build", [lambda nn: nn.CosineSimilarity(), lambda nn: nn.CosineSimilarity(dim=0, eps=1e-3),
                                   lambda nn: nn.PairwiseDistance(), lambda nn: nn.PairwiseDistance(1.0, 1e-3, True)])
def test_distance_layers_match_pytorch(build):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    ours = [fastgrad.tensor(v, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    got, expected = build(nn)(*ours), build(torch.nn)(*theirs)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-10)
    (got * fastgrad.arange(got.numel(), dtype=fastgrad.float64).reshape(got.shape)).sum().backward()
    (expected * torch.arange(expected.numel(), dtype=torch.float64).reshape(expected.shape)).sum().backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_conv1d_layer_loads_pytorchs_weights_and_matches_it():
    theirs = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2).double()
    ours = nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, dtype=fastgrad.float64)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    ours.load_state_dict({k: fastgrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4, 9))
    got, expected = ours(fastgrad.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    got.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding_mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("dims, options, shape", [
    (1, dict(kernel_size=3, padding=2, dilation=2), (2, 2, 6)),
    (1, dict(kernel_size=4, padding="same"), (2, 5)),  # unbatched; the odd padding element goes after
    (1, dict(kernel_size=3, padding="valid", stride=2), (1, 2, 7)),
    (2, dict(kernel_size=(2, 3), padding=(1, 2), stride=(2, 1)), (2, 2, 4, 5)),
    (2, dict(kernel_size=2, padding="same", dilation=(1, 2)), (1, 2, 3, 4)),
])
def test_conv_padding_modes_match_pytorch(padding_mode, dims, options, shape):
    layer = f"Conv{dims}d"
    theirs = getattr(torch.nn, layer)(2, 3, padding_mode=padding_mode, dtype=torch.float64, **options)
    ours = getattr(nn, layer)(2, 3, padding_mode=padding_mode, dtype=fastgrad.float64, **options)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: fastgrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape)
    x_ours, x_theirs = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got, expected = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(got.shape)
    (got * fastgrad.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for mine, reference in ((x_ours, x_theirs), (ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_conv2d_layer_loads_pytorchs_weights_and_matches_it():
    theirs = torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, groups=2).double()
    ours = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, groups=2, dtype=fastgrad.float64)
    ours.load_state_dict({k: fastgrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 5))
    got, expected = ours(fastgrad.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    got.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_conv1d_default_initialisation_has_pytorchs_bounds():
    # 256 biases: the largest of 256 uniform draws is below 0.8 of the bound with probability 0.8 ** 256 (16
    # biases failed 2.8% of runs)
    ours, theirs = nn.Conv1d(8, 256, 5), torch.nn.Conv1d(8, 256, 5)
    bound = 1 / np.sqrt(8 * 5)  # kaiming_uniform_ with a = sqrt(5), and the bias's own bound, agree here
    for name in ("weight", "bias"):
        for layer in (ours, theirs):
            assert 0.8 * bound < float(getattr(layer, name).detach().abs().max()) <= bound + 1e-7


@pytest.mark.parametrize("build, inputs", [
    (lambda nn: nn.Softplus(beta=2.0, threshold=3.0), 1), (lambda nn: nn.LogSigmoid(), 1),
    (lambda nn: nn.Softmin(dim=1), 1), (lambda nn: nn.SmoothL1Loss(beta=0.5), 2),
    (lambda nn: nn.HuberLoss(delta=0.7, reduction="sum"), 2), (lambda nn: nn.KLDivLoss(reduction="batchmean"), 2),
    (lambda nn: nn.KLDivLoss(reduction="sum", log_target=True), 2),
    (lambda nn: nn.ReLU6(), 1), (lambda nn: nn.SELU(), 1), (lambda nn: nn.Mish(), 1),
    (lambda nn: nn.CELU(0.5), 1),  # an alpha exact in float32: PyTorch's float64 gradient uses a float32 1 / alpha
    (lambda nn: nn.Hardswish(), 1), (lambda nn: nn.Softsign(), 1), (lambda nn: nn.Tanhshrink(), 1),
    (lambda nn: nn.Threshold(0.2, -1.0), 1), (lambda nn: nn.GLU(dim=1), 1),
])
def test_activation_and_loss_layers_match_pytorch(build, inputs):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4)) for _ in range(inputs)]
    if "KLDiv" in repr(build(nn)):
        arrays = [np.log(rng.dirichlet(np.ones(4), 3)) for _ in range(inputs)]
        if not build(nn).log_target:
            arrays[1] = np.exp(arrays[1])
    ours = [fastgrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    got, expected = build(nn)(*ours), build(torch.nn)(*theirs)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    got.sum().backward()
    expected.sum().backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_flatten_parameters_is_accepted_and_changes_nothing():
    for cls in ("LSTM", "GRU", "RNN"):
        layer = getattr(nn, cls)(3, 4)
        before = {k: v.detach().numpy().copy() for k, v in layer.state_dict().items()}
        assert layer.flatten_parameters() is None and getattr(torch.nn, cls)(3, 4).flatten_parameters() is None
        assert all(np.array_equal(before[k], v.detach().numpy()) for k, v in layer.state_dict().items())


@pytest.mark.parametrize("build, shapes", [
    (lambda nn: nn.GroupNorm(2, 4), [(3, 4, 5)]), (lambda nn: nn.GroupNorm(3, 6, eps=1e-3, bias=False), [(2, 6, 2, 2)]),
    (lambda nn: nn.RMSNorm(5), [(3, 5)]), (lambda nn: nn.RMSNorm([2, 5], eps=1e-4), [(3, 2, 5)]),
    (lambda nn: nn.Bilinear(3, 5, 4), [(6, 3), (6, 5)]),
    (lambda nn: nn.Bilinear(3, 2, 4, bias=False), [(2, 7, 3), (2, 7, 2)]),
])
def test_normalization_and_bilinear_layers_load_pytorchs_weights_and_match_it(build, shapes):
    """PyTorch's state dict (names and shapes) loads as it is; then the same outputs and gradients, the weights'
    included."""
    theirs, ours = build(torch.nn).double(), build(nn).double()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for parameter in theirs.parameters():  # not the initial ones and zeros
            parameter.copy_(torch.tensor(rng.standard_normal(tuple(parameter.shape))))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    arrays = [rng.standard_normal(shape) for shape in shapes]
    got, expected = ours(*map(fastgrad.tensor, arrays)), theirs(*map(torch.tensor, arrays))
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.standard_normal(got.shape)
    (got * fastgrad.tensor(upstream)).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    for (name, mine), reference in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_bilinear_initialisation_has_pytorchs_bound():
    """U(-1/sqrt(in1_features), 1/sqrt(in1_features)) for the weight and the bias, in both libraries."""
    bound = 1 / np.sqrt(20)
    fastgrad.manual_seed(0), torch.manual_seed(0)
    for layer in (nn.Bilinear(20, 3, 400), torch.nn.Bilinear(20, 3, 400)):
        for name in ("weight", "bias"):
            values = getattr(layer, name).detach().numpy()
            assert 0.97 * bound < np.abs(values).max() <= bound
            assert abs(values.std() - bound / np.sqrt(3)) < 0.1 * bound


@pytest.mark.parametrize("build, shape", [
    (lambda nn: nn.ReflectionPad1d((2, 1)), (2, 3, 4)), (lambda nn: nn.ReflectionPad2d(1), (3, 4, 5)),
    (lambda nn: nn.ReflectionPad3d((1, 0, 0, 1, 1, 1)), (1, 2, 2, 3, 4)), (lambda nn: nn.ReplicationPad1d(3), (3, 4)),
    (lambda nn: nn.ReplicationPad2d((0, 2, 1, 0)), (1, 2, 3, 3)), (lambda nn: nn.ReplicationPad3d(2), (2, 2, 3, 2)),
    (lambda nn: nn.CircularPad1d((3, 1)), (2, 2, 3)), (lambda nn: nn.CircularPad2d((1, -1, 2, 0)), (2, 3, 4)),
    (lambda nn: nn.CircularPad3d(1), (1, 1, 2, 3, 2)), (lambda nn: nn.ConstantPad1d(2, 3.5), (2, 3)),
    (lambda nn: nn.ConstantPad2d((1, 0, -1, 2), -1.0), (2, 3, 4)), (lambda nn: nn.ConstantPad3d(1, 2.0), (2, 2, 2)),
    (lambda nn: nn.ZeroPad1d((1, 2)), (3, 3)), (lambda nn: nn.ZeroPad2d(1), (1, 2, 2)),
    (lambda nn: nn.ZeroPad3d((0, 1, 1, 0, 2, 0)), (1, 1, 2, 2, 2)),
    (lambda nn: nn.ReflectionPad1d((1, 1, 1, 1)), (1, 3, 3)),  # PyTorch's layers take any number of widths
])
def test_padding_layers_match_pytorch(build, shape):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    ours, theirs = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got, expected = build(nn)(ours), build(torch.nn)(theirs)
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    upstream = np.random.default_rng(0).standard_normal(got.shape)
    (got * fastgrad.tensor(upstream)).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    assert not list(build(nn).state_dict()) and not list(build(torch.nn).state_dict())


@pytest.mark.parametrize("build", [lambda nn: nn.CircularPad1d(1), lambda nn: nn.CircularPad2d(1),
                                   lambda nn: nn.CircularPad3d(1)])
def test_circular_padding_layers_check_the_rank_as_pytorch(build):
    for ndim in range(7):
        x = np.ones((2,) * ndim)
        outcomes = []
        for layer, library in ((build(nn), fastgrad), (build(torch.nn), torch)):
            try:
                layer(library.tensor(x))
                outcomes.append(None)
            except (ValueError, RuntimeError, NotImplementedError) as error:
                outcomes.append(type(error))
        assert outcomes[0] == outcomes[1], f"{ndim}-D input: {outcomes}"


@pytest.mark.parametrize("name", ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                                  "FeatureAlphaDropout"])
def test_dropout_layers_are_the_identity_in_eval_mode_and_never_change_the_input_of_alpha_dropout(name):
    shape = {"Dropout1d": (2, 3, 4), "Dropout2d": (2, 3, 4, 5)}.get(name, (2, 3, 4, 5, 6))
    x = np.random.default_rng(0).standard_normal(shape)
    for library in (fastgrad, torch):
        layer = getattr(library.nn, name)(0.5, inplace=True).eval()
        np.testing.assert_array_equal(layer(library.tensor(x)).detach().numpy(), x)
        layer.train()
        data = library.tensor(x)
        layer(data)
        changed = not np.array_equal(data.detach().numpy(), x)
        assert changed == (name not in ("AlphaDropout", "FeatureAlphaDropout")), f"{library.__name__}: {name}"


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
@pytest.mark.parametrize("shape,normalized", [((2, 0), (0,)), ((2, 3, 0), (3, 0)), ((0, 0), (0,)), ((0, 3), (3,))])
def test_layer_norm_of_empty_rows_is_empty_like_torch(backend, shape, normalized, recwarn):
    """A normalized shape holding a 0 raised NumPy's reshape error (-1 cannot be inferred from 0 elements)."""
    shapes = []
    for m in (fastgrad, torch):
        x = m.zeros(shape, requires_grad=True)
        layer = m.nn.LayerNorm(normalized)
        with fastgrad.backend(backend):
            out = layer(x)
            out.sum().backward()
        shapes.append((tuple(out.shape), tuple(x.grad.shape), tuple(layer.weight.grad.shape)))
    assert shapes[0] == shapes[1]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
