"""nn.utils' BatchNorm folding against torch.nn.utils.fusion: the fused layer's state dict and outputs."""
import numpy as np
import pytest

import fastgrad
from fastgrad.nn.utils import convert_torch_state_dict

torch = pytest.importorskip("torch")

PAIRS = {
    "linear": (lambda lib, bias: lib.nn.Linear(4, 3, bias=bias), lambda lib: lib.nn.BatchNorm1d(3), (2, 4)),
    "linear_one_feature": (lambda lib, bias: lib.nn.Linear(4, 3, bias=bias), lambda lib: lib.nn.BatchNorm1d(1),
                           (2, 4)),
    "conv1d": (lambda lib, bias: lib.nn.Conv1d(2, 3, 3, bias=bias), lambda lib: lib.nn.BatchNorm1d(3), (2, 2, 6)),
    "conv2d": (lambda lib, bias: lib.nn.Conv2d(2, 3, 3, bias=bias), lambda lib: lib.nn.BatchNorm2d(3), (2, 2, 5, 5)),
}


def eval_pair(kind, bias):
    make_layer, make_bn, input_shape = PAIRS[kind]
    layer, bn = make_layer(torch, bias).double(), make_bn(torch).double()
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(-1, 1)
        bn.bias.uniform_(-1, 1)
    ours = make_layer(fastgrad, bias).double(), make_bn(fastgrad).double()
    for module, source in zip(ours, (layer, bn)):
        module.load_state_dict(convert_torch_state_dict(source.state_dict()))
    for module in (*ours, layer, bn):
        module.eval()
    return ours, (layer, bn), input_shape


@pytest.mark.parametrize("kind", sorted(PAIRS))
@pytest.mark.parametrize("bias", [True, False])
def test_fused_layer_matches_pytorchs(rng, kind, bias):
    (layer, bn), (torch_layer, torch_bn), input_shape = eval_pair(kind, bias)
    fuse = fastgrad.nn.utils.fuse_linear_bn_eval if kind.startswith("linear") else fastgrad.nn.utils.fuse_conv_bn_eval
    torch_fuse = torch.nn.utils.fuse_linear_bn_eval if kind.startswith("linear") else torch.nn.utils.fuse_conv_bn_eval
    if kind == "linear_one_feature" and not bias:
        pytest.skip("the fused bias has shape (1,): PyTorch's F.linear broadcasts it, fastgrad's requires (3,)")
    fused, torch_fused = fuse(layer, bn), torch_fuse(torch_layer, torch_bn)
    assert list(fused.state_dict()) == list(torch_fused.state_dict())
    assert fused.weight.requires_grad and fused is not layer
    x = rng.standard_normal(input_shape)
    np.testing.assert_allclose(fused(fastgrad.tensor(x)).detach().numpy(),
                               torch_fused(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
    for name, value in torch_fused.state_dict().items():
        np.testing.assert_allclose(fused.state_dict()[name].numpy(), value.numpy(), rtol=1e-12, atol=1e-15)
