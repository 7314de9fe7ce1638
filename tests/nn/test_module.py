import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn


class TiedLM(nn.Module):
    """Embedding and output layer sharing one weight (Press & Wolf, 2017)."""

    def __init__(self, vocab: int = 10, dim: int = 4):
        super().__init__()
        self.encoder = nn.Embedding(vocab, dim)
        self.decoder = nn.Linear(dim, vocab)
        self.decoder.weight = self.encoder.weight

    def forward(self, ids):
        return self.decoder(self.encoder(ids))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(7, 3, padding_idx=0)
        self.body = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Dropout(0.5), nn.Linear(5, 2, bias=False))
        self.register_buffer("counts", fastgrad.zeros(2))
        self.register_buffer("scratch", fastgrad.zeros(1), persistent=False)

    def forward(self, ids):
        return self.body(self.embed(ids).mean(dim=1))


def test_parameters_and_state_dict_names_follow_pytorch():
    net = Net()
    assert [name for name, _ in net.named_parameters()] == ["embed.weight", "body.0.weight", "body.0.bias",
                                                            "body.3.weight"]
    assert list(net.state_dict()) == ["counts", "embed.weight", "body.0.weight", "body.0.bias", "body.3.weight"]
    assert [name for name, _ in net.named_children()] == ["embed", "body"]
    assert len(list(net.modules())) == 7
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())


def test_repr_reads_like_pytorch():
    assert repr(Net()) == (
        "Net(\n"
        "  (embed): Embedding(7, 3, padding_idx=0)\n"
        "  (body): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=5, bias=True)\n"
        "    (1): ReLU()\n"
        "    (2): Dropout(p=0.5, inplace=False)\n"
        "    (3): Linear(in_features=5, out_features=2, bias=False)\n"
        "  )\n"
        ")")
    assert repr(nn.RNN(3, 4, num_layers=2, batch_first=True)) == "RNN(3, 4, num_layers=2, batch_first=True)"


def test_state_dict_round_trip_restores_values_in_place():
    source, target = Net(), Net()
    weight_object = target.body[0].weight
    target.load_state_dict(source.state_dict())
    assert target.body[0].weight is weight_object
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    net = Net()
    before = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    state = dict(net.state_dict())
    del state["body.0.bias"]
    state["body.9.weight"] = np.zeros(3)
    state["embed.weight"] = np.zeros((8, 3), dtype=np.float32)
    state["body.0.weight"] = np.ones((5, 3))
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(state)
    message = str(error.value)
    assert 'Missing key(s) in state_dict: "body.0.bias"' in message
    assert 'Unexpected key(s) in state_dict: "body.9.weight"' in message
    assert "size mismatch for embed.weight: copying a param with shape (8, 3)" in message
    assert "current model is (7, 3)" in message
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value.detach().numpy(), before[name])


def test_load_state_dict_non_strict_reports_keys_but_size_mismatch_still_fails():
    net = Net()
    state = {"body.0.weight": np.ones((5, 3)), "extra": np.zeros(2)}
    result = net.load_state_dict(state, strict=False)
    assert result.unexpected_keys == ["extra"] and "body.0.bias" in result.missing_keys
    np.testing.assert_array_equal(net.body[0].weight.detach().numpy(), np.ones((5, 3), dtype=np.float32))
    with pytest.raises(RuntimeError, match="size mismatch for body.0.weight"):
        net.load_state_dict({"body.0.weight": np.ones((3, 5))}, strict=False)


def test_tied_weight_is_one_parameter_and_gets_both_gradients():
    fastgrad.manual_seed(3)
    model = TiedLM()
    assert len(list(model.parameters())) == 2  # the shared weight once, plus the decoder bias
    assert list(model.state_dict()) == ["encoder.weight", "decoder.weight", "decoder.bias"]
    ids = fastgrad.tensor([[1, 2, 2], [3, 0, 9]])
    model(ids).sum().backward()
    tied_grad = model.encoder.weight.grad.numpy().copy()

    # The same computation with two separate copies of the weight: the tied gradient is their sum.
    untied = TiedLM()
    untied.decoder.weight = nn.Parameter(model.encoder.weight.detach().numpy().copy())
    untied.encoder.weight = nn.Parameter(model.encoder.weight.detach().numpy().copy())
    untied.decoder.bias = model.decoder.bias
    untied(ids).sum().backward()
    np.testing.assert_allclose(tied_grad, untied.encoder.weight.grad.numpy() + untied.decoder.weight.grad.numpy(),
                               rtol=1e-6)
    assert np.abs(untied.encoder.weight.grad.numpy()).sum() > 0 and np.abs(untied.decoder.weight.grad.numpy()).sum() > 0


def test_train_eval_zero_grad_requires_grad_and_apply():
    net = Net()
    assert net.training and net.body[2].training
    net.eval()
    assert not net.training and not net.body[2].training
    net.train()
    assert net.body[2].training
    net(fastgrad.tensor([[1, 2]])).sum().backward()
    assert net.body[0].weight.grad is not None
    net.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(net.body[0].weight.grad.numpy(), 0)
    net.zero_grad()
    assert net.body[0].weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited[-1] == "Net" and visited.count("Linear") == 2


def test_zero_grad_without_set_to_none_leaves_a_sparse_gradient_without_rows():
    embedding = nn.Embedding(4, 3, sparse=True)
    embedding(fastgrad.tensor([[1, 2]])).sum().backward()
    embedding.zero_grad(set_to_none=False)
    grad = embedding.weight.grad
    assert grad.is_sparse and grad.rows.size == 0 and grad.shape == (4, 3)
    np.testing.assert_array_equal(grad.to_dense_array(), 0)
    embedding(fastgrad.tensor([3])).sum().backward()  # accumulates into it
    np.testing.assert_array_equal(embedding.weight.grad.to_dense_array(), [[0] * 3] * 3 + [[1] * 3])


def test_dtype_and_device_moves():
    net = Net().double()
    assert all(p.dtype == np.float64 for p in net.parameters()) and net.counts.dtype == np.float64
    assert net.to("cpu") is net
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    with pytest.raises(RuntimeError, match="CPU only"):
        net.to("cuda")


def test_assignment_errors_are_clear():
    net = Net()
    with pytest.raises(TypeError, match="parameter 'weight'"):
        net.body[0].weight = np.zeros((5, 3))
    net.body[0].bias = None
    assert [n for n, _ in net.body[0].named_parameters()] == ["weight"]

    class Early(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_containers():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    assert layers[-1] is list(layers)[2]
    with pytest.raises(IndexError, match="out of range"):
        layers[3]
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    assert seq(fastgrad.randn(4, 2)).shape == (4, 1)


def test_registered_names_follow_pytorch_rules():
    net = Net()
    with pytest.raises(KeyError, match="buffer name must be non-empty"):
        net.register_buffer("a.b", fastgrad.zeros(1))
    with pytest.raises(KeyError, match="parameter name must be non-empty"):
        net.register_parameter("", None)
    with pytest.raises(KeyError, match="attribute 'embed' already exists on Net"):
        net.register_buffer("embed", fastgrad.zeros(1))
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        net.add_module("forward", nn.ReLU())
    with pytest.raises(TypeError, match="module name should be a string, got int"):
        net.add_module(3, nn.ReLU())
    with pytest.raises(TypeError, match=r"register_buffer\('extra'\): expected a Tensor or None, got int"):
        net.register_buffer("extra", 3)
    net.register_buffer("counts", fastgrad.ones(2))  # re-registering the same buffer is fine
    net.register_module("head", nn.Linear(2, 1))
    assert "head" in dict(net.named_children())

    class Early(nn.Module):
        def __init__(self):
            self.register_buffer("x", fastgrad.zeros(1))

    with pytest.raises(AttributeError, match="cannot register buffer 'x' before Module.__init__"):
        Early()


def test_named_modules_takes_memo_prefix_and_remove_duplicate():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    assert [name for name, _ in model.named_modules(prefix="net")] == ["net", "net.0", "net.1"]
    assert [name for name, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [name for name, _ in model.named_modules({id(shared)})] == ["", "1"]
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4
    assert [type(m).__name__ for m in model.children()] == ["Linear", "ReLU"]
    holder = nn.Module()
    holder.register_buffer("a", fastgrad.zeros(1))
    holder.register_buffer("b", holder.a)
    assert [n for n, _ in holder.named_buffers()] == ["a"]
    assert [n for n, _ in holder.named_buffers(remove_duplicate=False)] == ["a", "b"]
    with pytest.raises(ValueError, match="train\\(\\): mode must be a bool, got str"):
        model.train("no")


def test_non_persistent_buffers_stay_out_of_state_dict_but_move_with_the_module():
    net = Net().double()
    assert "scratch" not in net.state_dict() and net.scratch.dtype == np.float64
    assert [n for n, _ in net.named_buffers()] == ["counts", "scratch"]
    net.load_state_dict(Net().state_dict())  # no "scratch" key expected


def test_repr_layouts():
    class TwoLines(nn.Module):
        def extra_repr(self):
            return "first\nsecond"

    assert repr(TwoLines()) == "TwoLines(\n  first\n  second\n)"
    stack = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)])
    assert repr(stack) == ("ModuleList(\n"
                           "  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
                           "  (2): ReLU()\n"
                           "  (3): Linear(in_features=2, out_features=2, bias=True)\n"
                           ")")
    assert repr(nn.ModuleList()) == "ModuleList()" and repr(nn.Sequential()) == "Sequential()"
    nested = nn.Sequential(nn.ModuleList([nn.ReLU(), nn.ReLU()]))
    assert repr(nested) == "Sequential(\n  (0): ModuleList(\n    (0-1): 2 x ReLU()\n  )\n)"
    params = nn.ParameterList([fastgrad.zeros(3), fastgrad.zeros(2, 2, dtype=fastgrad.float64)])
    assert repr(params) == ("ParameterList(\n"
                            "    (0): Parameter containing: [fastgrad.float32 of size 3]\n"
                            "    (1): Parameter containing: [fastgrad.float64 of size 2x2]\n"
                            ")")
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4)"  # PyTorch's RNN does not show it either


def test_replacing_a_registered_entry_keeps_its_place():
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid()])
    layers[0] = nn.Identity()
    assert [type(m).__name__ for m in layers] == ["Identity", "Tanh", "Sigmoid"]
    net = Net()
    net.register_buffer("counts", fastgrad.ones(2))
    assert list(net.state_dict())[0] == "counts"


def test_train_goes_through_each_childs_own_train():
    """A child that overrides train() to stay frozen stays frozen, as in PyTorch."""
    class Frozen(nn.Module):
        def __init__(self):
            super().__init__()
            self.dropout = nn.Dropout(0.5)

        def train(self, mode=True):
            return super().train(False)

    model = nn.Sequential(nn.Linear(2, 2), Frozen())
    model.train()
    assert model.training and model[0].training
    assert not model[1].training and not model[1].dropout.training


def test_parameter_dict_from_a_plain_dict_sorts_its_keys_as_torch():
    """So parameters() (and an optimizer state's indices) come in PyTorch's order."""
    from collections import OrderedDict
    plain = nn.ParameterDict({"b": nn.Parameter(np.zeros(1)), "a": nn.Parameter(np.ones(1))})
    ordered = nn.ParameterDict(OrderedDict([("b", nn.Parameter(np.zeros(1))), ("a", nn.Parameter(np.ones(1)))]))
    assert list(plain.keys()) == ["a", "b"] and list(ordered.keys()) == ["b", "a"]


def test_a_deep_copied_parameter_has_the_values_and_no_gradient():
    """As PyTorch's: copy.deepcopy of a layer that has gradients gives a layer without them."""
    import copy

    layer = nn.Linear(2, 2)
    layer(fastgrad.ones(1, 2)).sum().backward()
    copied = copy.deepcopy(layer)
    assert copied.weight.grad is None and layer.weight.grad is not None
    np.testing.assert_array_equal(copied.weight.detach().numpy(), layer.weight.detach().numpy())
    copied.weight.data.fill_(0)
    assert layer.weight.detach().numpy().any()  # a copy, not a view
    assert copy.deepcopy([layer.weight, layer.weight])[0] is not layer.weight


def test_submodules_parameters_and_buffers_by_dotted_path():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    model.register_buffer("steps", fastgrad.zeros(1))
    assert model.get_submodule("") is model and model.get_submodule("1.1") is model[1][1]
    assert model.get_parameter("1.1.bias") is model[1][1].bias and model.get_buffer("steps") is model.steps
    for call, message in [(lambda: model.get_submodule("2"), "Sequential has no attribute `2`"),
                          (lambda: model.get_submodule("0.weight"), "`weight` is not an nn.Module"),
                          (lambda: model.get_parameter("1"), "`1` is not an nn.Parameter"),
                          (lambda: model.get_buffer("0.weight"), "`weight` is not a buffer"),
                          (lambda: model.get_parameter("1.0.weight"), "ReLU has no attribute `weight`")]:
        with pytest.raises(AttributeError, match=message):
            call()
    model.set_submodule("1.0", nn.Tanh())
    assert isinstance(model[1][0], nn.Tanh)
    with pytest.raises(ValueError, match="set_submodule: target must name a submodule"):
        model.set_submodule("", nn.Tanh())


def test_load_state_dict_pre_hooks_rename_keys_in_a_copy_and_their_errors_fail_the_load():
    parent = nn.Sequential(nn.Linear(2, 2))
    seen = []

    def rename(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        seen.append((type(module).__name__, prefix))
        if prefix + "old_weight" in state_dict:
            state_dict[prefix + "weight"] = state_dict.pop(prefix + "old_weight")

    handle = parent[0].register_load_state_dict_pre_hook(rename)
    saved = {"0.old_weight": np.ones((2, 2)), "0.bias": np.zeros(2)}
    parent.load_state_dict(saved)
    assert seen == [("Linear", "0.")] and list(saved) == ["0.old_weight", "0.bias"]
    np.testing.assert_array_equal(parent[0].weight.detach().numpy(), np.ones((2, 2)))
    parent[0]._register_load_state_dict_pre_hook(lambda state_dict, prefix, *rest: rest[-1].append("refused"))
    with pytest.raises(RuntimeError, match="refused"):
        parent.load_state_dict(saved)
    handle.remove()
    with pytest.raises(TypeError, match="hook must be callable, got int"):
        parent.register_load_state_dict_pre_hook(3)
