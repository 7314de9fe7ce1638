import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.nn.functional as F
import fastgrad.optim


def rnn_reference(x, h0, layers, nonlinearity="tanh"):
    """Plain loop over time and layers: h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""
    act = np.tanh if nonlinearity == "tanh" else (lambda a: np.maximum(a, 0))
    finals = []
    for layer, (w_ih, w_hh, b_ih, b_hh) in enumerate(layers):
        h, outputs = h0[layer], []
        for x_t in x:
            h = act(x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
            outputs.append(h)
        x = np.stack(outputs)
        finals.append(h)
    return x, np.stack(finals)


def layer_arrays(rnn, layer):
    kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return [getattr(rnn, f"{kind}_l{layer}").detach().numpy() for kind in kinds]


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_matches_a_loop_over_time_and_layers(rng, nonlinearity):
    rnn = nn.RNN(3, 4, num_layers=2, nonlinearity=nonlinearity).double()
    x, h0 = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 2, 4))
    output, h_n = rnn(fastgrad.tensor(x), fastgrad.tensor(h0))
    expected_output, expected_h_n = rnn_reference(x, h0, [layer_arrays(rnn, k) for k in range(2)], nonlinearity)
    np.testing.assert_allclose(output.detach().numpy(), expected_output, rtol=1e-10)
    np.testing.assert_allclose(h_n.detach().numpy(), expected_h_n, rtol=1e-10)


def test_rnn_batch_first_unbatched_and_no_bias(rng):
    rnn = nn.RNN(3, 4, batch_first=True).double()
    x = rng.standard_normal((2, 5, 3))
    output, h_n = rnn(fastgrad.tensor(x))
    time_major, _ = rnn_reference(x.transpose(1, 0, 2), np.zeros((1, 2, 4)), [layer_arrays(rnn, 0)])
    np.testing.assert_allclose(output.detach().numpy(), time_major.transpose(1, 0, 2), rtol=1e-10)
    assert h_n.shape == (1, 2, 4)
    single, single_h = nn.RNN(3, 4)(fastgrad.randn(5, 3))
    assert single.shape == (5, 4) and single_h.shape == (1, 4)
    no_bias = nn.RNN(3, 4, bias=False)
    assert [n for n, _ in no_bias.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    with pytest.raises(ValueError, match=r"hx has shape \(1, 3, 4\), expected \(1, 2, 4\)"):
        nn.RNN(3, 4)(fastgrad.randn(5, 2, 3), fastgrad.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="input has shape"):
        nn.RNN(3, 4)(fastgrad.randn(5, 2, 6))


def test_rnn_gradcheck(rng):
    rnn = nn.RNN(2, 3, num_layers=2).double()
    x = fastgrad.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    h0 = fastgrad.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    assert fastgrad.gradcheck(lambda x, h0, *params: rnn(x, h0), [x, h0] + list(rnn.parameters()))


def test_linear_values_and_gradcheck(rng):
    layer = nn.Linear(3, 2).double()
    x = fastgrad.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    expected = x.detach().numpy() @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-12)
    assert fastgrad.gradcheck(lambda x, w, b: layer(x), [x, layer.weight, layer.bias])


def test_embedding_padding_and_from_pretrained():
    emb = nn.Embedding(5, 3, padding_idx=-1)
    assert emb.padding_idx == 4
    np.testing.assert_array_equal(emb.weight.detach().numpy()[4], 0)
    emb(fastgrad.tensor([[4, 1, 1]])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[4], 0)
    np.testing.assert_array_equal(emb.weight.grad.numpy()[1], 2)

    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(fastgrad.tensor([2, 0])).detach().numpy(), table[[2, 0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(IndexError, match="index 4"):
        frozen(fastgrad.tensor([4]))


def test_sparse_embedding_gives_row_sparse_gradient():
    emb = nn.Embedding(6, 2, sparse=True)
    emb(fastgrad.tensor([1, 3, 1])).sum().backward()
    grad = emb.weight.grad
    assert grad.is_sparse
    np.testing.assert_array_equal(grad.to_dense_array()[[1, 3, 0]], [[2, 2], [1, 1], [0, 0]])


def test_embedding_bag_mean_and_sum_match_embedding():
    bag_mean = nn.EmbeddingBag(10, 4, mode="mean")
    bag_sum = nn.EmbeddingBag(10, 4, mode="sum", _weight=bag_mean.weight)
    ids = fastgrad.tensor([[1, 2, 3], [4, 4, 0]])
    rows = bag_mean.weight.detach().numpy()[ids.detach().numpy()]
    np.testing.assert_allclose(bag_mean(ids).detach().numpy(), rows.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(bag_sum(ids).detach().numpy(), rows.sum(axis=1), rtol=1e-6)
    flat = bag_sum(fastgrad.tensor([1, 2, 3, 4]), offsets=fastgrad.tensor([0, 1]))
    np.testing.assert_allclose(flat.detach().numpy(), [rows[0, 0], rows[0, 1:].sum(0) + rows[1, 0]], rtol=1e-6)


def test_dropout_preserves_expectation_and_eval_is_identity():
    drop = nn.Dropout(0.3)
    x = fastgrad.ones(400, 500)
    y = drop(x).detach().numpy()
    assert abs(y.mean() - 1.0) < 0.01
    assert abs((y == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(y), [0, 1 / 0.7], rtol=1e-6)
    drop.eval()
    assert drop(x) is x


def test_dropout_same_seed_same_mask():
    x = fastgrad.ones(50, 50)
    fastgrad.manual_seed(11)
    first = nn.Dropout(0.5)(x).detach().numpy()
    fastgrad.manual_seed(11)
    again = nn.Dropout(0.5)(x).detach().numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, nn.Dropout(0.5)(x).detach().numpy())


def test_activations_match_numpy():
    x = fastgrad.tensor([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    a = x.detach().numpy()
    cases = {nn.ReLU(): np.maximum(a, 0), nn.Tanh(): np.tanh(a), nn.Sigmoid(): 1 / (1 + np.exp(-a)),
             nn.SiLU(): a / (1 + np.exp(-a)), nn.Hardtanh(-1, 2): np.clip(a, -1, 2),
             nn.LeakyReLU(0.1): np.where(a > 0, a, 0.1 * a), nn.PReLU(): np.where(a > 0, a, 0.25 * a),
             nn.Identity(): a}
    for module, expected in cases.items():
        np.testing.assert_allclose(module(x).detach().numpy(), expected, rtol=1e-6, err_msg=repr(module))
    assert repr(nn.LeakyReLU(0.1)) == "LeakyReLU(negative_slope=0.1)"


def test_loss_modules_match_functional(rng):
    logits = fastgrad.tensor(rng.standard_normal((4, 3)))
    target = fastgrad.tensor([0, 2, 1, 2])
    assert nn.CrossEntropyLoss()(logits, target).item() == pytest.approx(F.cross_entropy(logits, target).item())
    logp = F.log_softmax(logits, dim=1)
    assert nn.NLLLoss(reduction="sum")(logp, target).item() == pytest.approx(
        -logp.detach().numpy()[np.arange(4), target.detach().numpy()].sum(), rel=1e-6)
    y = fastgrad.tensor(rng.random((4, 3)))
    assert nn.BCEWithLogitsLoss()(logits, y).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(logits, y).item())
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="avg")


def test_rnn_dropout_between_layers_only_in_training(rng):
    rnn = nn.RNN(3, 4, num_layers=2, dropout=0.5).double()
    x = fastgrad.tensor(rng.standard_normal((5, 2, 3)))
    layers = [layer_arrays(rnn, k) for k in range(2)]
    no_dropout, _ = rnn_reference(x.detach().numpy(), np.zeros((2, 2, 4)), layers)
    rnn.eval()
    np.testing.assert_allclose(rnn(x)[0].detach().numpy(), no_dropout, rtol=1e-10)
    rnn.train()
    assert not np.allclose(rnn(x)[0].detach().numpy(), no_dropout)
    single = nn.RNN(3, 4, num_layers=1, dropout=0.5).double()  # nothing between layers: no dropout at all
    expected, _ = rnn_reference(x.detach().numpy(), np.zeros((1, 2, 4)), [layer_arrays(single, 0)])
    np.testing.assert_allclose(single(x)[0].detach().numpy(), expected, rtol=1e-10)


def test_rnn_cell_is_one_step_of_rnn(rng):
    cell = nn.RNNCell(3, 4, nonlinearity="relu").double()
    assert [name for name, _ in cell.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert all(np.abs(p.detach().numpy()).max() <= 0.5 for p in cell.parameters())  # U(+-1/sqrt(4))
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    w_ih, w_hh, b_ih, b_hh = (p.detach().numpy() for p in cell.parameters())
    expected = np.maximum(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 0)
    np.testing.assert_allclose(cell(fastgrad.tensor(x), fastgrad.tensor(h)).detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(cell(fastgrad.tensor(x[0])).detach().numpy(), np.maximum(x[0] @ w_ih.T + b_ih + b_hh, 0),
                               rtol=1e-12)
    no_bias = nn.RNNCell(3, 4, bias=False)
    assert [name for name, _ in no_bias.named_parameters()] == ["weight_ih", "weight_hh"] and no_bias.bias_ih is None
    x_leaf = fastgrad.tensor(x, requires_grad=True)
    h_leaf = fastgrad.tensor(h, requires_grad=True)
    assert fastgrad.gradcheck(lambda x, h, *params: cell(x, h), [x_leaf, h_leaf] + list(cell.parameters()))


def test_rnn_cell_errors():
    cell = nn.RNNCell(3, 4)
    with pytest.raises(ValueError, match=r"RNNCell: input has shape \(2, 5\), expected \(batch, 3\) or unbatched"):
        cell(fastgrad.randn(2, 5))
    with pytest.raises(ValueError, match=r"RNNCell: hx has shape \(3, 4\), expected \(2, 4\)"):
        cell(fastgrad.randn(2, 3), fastgrad.randn(3, 4))
    with pytest.raises(ValueError, match="RNNCell: nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        nn.RNNCell(3, 4, nonlinearity="gelu")


def test_layer_norm_module():
    norm = nn.LayerNorm((2, 3))
    assert [name for name, _ in norm.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(norm.weight.detach().numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(norm.bias.detach().numpy(), np.zeros((2, 3)))
    y = norm(fastgrad.randn(4, 2, 3) * 5).detach().numpy().reshape(4, -1)
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-5)
    assert list(nn.LayerNorm(3, elementwise_affine=False).parameters()) == []
    assert [name for name, _ in nn.LayerNorm(3, bias=False).named_parameters()] == ["weight"]
    assert nn.LayerNorm(3, dtype=fastgrad.float64).weight.dtype == np.float64


def test_softmax_modules_and_flatten():
    x = fastgrad.randn(2, 3, 4)
    np.testing.assert_allclose(nn.Softmax(dim=1)(x).detach().numpy().sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(nn.LogSoftmax(dim=-1)(x).detach().numpy(), F.log_softmax(x, -1).detach().numpy())
    assert nn.Flatten()(x).shape == (2, 12) and nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(1, (3, 1))(x).shape == (2, 3, 1, 4) and nn.Unflatten(-1, [2, -1])(x).shape == (2, 3, 2, 2)
    with pytest.raises(ValueError, match=r"Unflatten: sizes \(2, 2\) don't multiply up to the size 3 of dim 1"):
        nn.Unflatten(1, (2, 2))(x)
    with pytest.raises(ValueError, match=r"sizes \(-1, -1\)"):
        nn.Unflatten(1, (-1, -1))(x)
    with pytest.raises(TypeError, match="unflattened_size must be a tuple or list of ints, got 3"):
        nn.Unflatten(1, 3)


def test_regression_loss_modules(rng):
    a, b = fastgrad.tensor(rng.standard_normal((3, 2))), fastgrad.tensor(rng.standard_normal((3, 2)))
    assert nn.MSELoss()(a, b).item() == pytest.approx(((a.detach().numpy() - b.detach().numpy()) ** 2).mean())
    assert nn.L1Loss(reduction="sum")(a,
                     b).item() == pytest.approx(np.abs(a.detach().numpy() - b.detach().numpy()).sum())
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        nn.L1Loss(reduction="avg")


def test_weighted_loss_modules_keep_the_weight_as_a_buffer():
    loss = nn.CrossEntropyLoss(fastgrad.tensor([1.0, 2.0, 3.0]), ignore_index=0, label_smoothing=0.1)
    assert list(loss.state_dict()) == ["weight"] and list(loss.parameters()) == []
    loss.double()
    assert loss.weight.dtype == np.float64
    assert list(nn.NLLLoss().state_dict()) == []


def test_module_dict():
    layers = nn.ModuleDict({"encoder": nn.Linear(2, 3), "act": nn.ReLU()})
    layers["decoder"] = nn.Linear(3, 2)
    assert list(layers) == ["encoder", "act", "decoder"] and len(layers) == 3 and "act" in layers
    assert list(layers.state_dict()) == ["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"]
    assert isinstance(layers.pop("act"), nn.ReLU) and "act" not in layers and not hasattr(layers, "act")
    layers.update([("act", nn.Tanh())])
    assert [type(m).__name__ for m in layers.values()] == ["Linear", "Linear", "Tanh"]
    del layers["encoder"]
    assert list(layers.keys()) == ["decoder", "act"]
    with pytest.raises(KeyError):
        layers["missing"]
    with pytest.raises(KeyError, match="module name must be non-empty"):
        layers["a.b"] = nn.ReLU()
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        layers["training"] = nn.ReLU()
    layers.clear()
    assert len(layers) == 0 and list(layers.parameters()) == []


def test_parameter_list_and_dict():
    params = nn.ParameterList([nn.Parameter(fastgrad.zeros(3)), fastgrad.ones(2)])
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)
    params.append(fastgrad.zeros(1)).extend([fastgrad.zeros(4)])
    assert len(params) == 4 and params[-1].shape == (4,) and [p.shape for p in params[1:3]] == [(2,), (1,)]
    assert list(params.state_dict()) == ["0", "1", "2", "3"]
    params[0] = fastgrad.ones(5)
    assert params[0].shape == (5,)
    with pytest.raises(IndexError, match="index 4 is out of range for a container of 4 parameters"):
        params[4]
    with pytest.raises(TypeError, match=r"ParameterList.append: expected a Parameter or Tensor, got ndarray"):
        params.append(np.zeros(2))

    table = nn.ParameterDict({"scale": fastgrad.ones(2)})
    table["shift"] = nn.Parameter(fastgrad.zeros(2), requires_grad=False)
    assert list(table) == ["scale", "shift"] and not table["shift"].requires_grad
    assert [name for name, _ in table.named_parameters()] == ["scale", "shift"]
    assert table.get("missing") is None and table.pop("scale").shape == (2,) and list(table.keys()) == ["shift"]

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.ParameterList([fastgrad.ones(2)])
            self.named = nn.ParameterDict({"w": fastgrad.ones(3)})

    assert list(Holder().state_dict()) == ["weights.0", "named.w"]
    optimizer = fastgrad.optim.SGD(Holder().parameters(), lr=0.1)
    assert [p.shape for p in optimizer.param_groups[0]["params"]] == [(2,), (3,)]


@pytest.mark.parametrize("make,functional", [
    (lambda: fastgrad.nn.ReLU(inplace=True), lambda x: F.relu(x, inplace=True)),
    (lambda: fastgrad.nn.LeakyReLU(0.1, inplace=True), lambda x: F.leaky_relu(x, 0.1, inplace=True)),
    (lambda: fastgrad.nn.Hardtanh(-0.5, 0.5, inplace=True), lambda x: F.hardtanh(x, -0.5, 0.5, inplace=True)),
    (lambda: fastgrad.nn.ELU(inplace=True), lambda x: F.elu(x, inplace=True)),
], ids=["relu", "leaky_relu", "hardtanh", "elu"])
def test_inplace_activations_change_their_input_and_keep_gradients(make, functional):
    x = fastgrad.tensor([-1.5, -0.3, 0.2, 0.8], dtype=fastgrad.float64, requires_grad=True)
    for activation in (make(), functional):
        h = x * 1.0
        out = activation(h)
        assert out is h and "inplace=True" in repr(make())
        expected = activation(x * 1.0).detach().numpy()  # the same values out of place on a copy
        np.testing.assert_allclose(h.detach().numpy(), expected)
        assert fastgrad.gradcheck(lambda x: activation(x * 1.0), [x])
    with pytest.raises(RuntimeError, match="leaf tensor"):
        make()(x)


def test_inplace_dropout_scales_the_same_tensor():
    fastgrad.manual_seed(0)
    x = fastgrad.ones(1000)
    out = fastgrad.nn.Dropout(0.5, inplace=True)(x)
    assert out is x and set(np.unique(x.detach().numpy())) == {0.0, 2.0}
    assert repr(fastgrad.nn.Dropout(0.2, inplace=True)) == "Dropout(p=0.2, inplace=True)"


def test_embedding_bag_of_a_2d_input_with_empty_bags_raises_as_torch():
    """(B, 0) ids: PyTorch raises; empty bags are spelled with a 1-D input and offsets."""
    with pytest.raises(ValueError, match=r"needs bags of at least one id, got shape \(3, 0\)"):
        nn.EmbeddingBag(5, 2)(fastgrad.zeros(3, 0, dtype=fastgrad.int64))


def test_from_pretrained_shares_the_given_tensors_memory_as_torch():
    weights = fastgrad.ones(3, 2)
    embedding = nn.Embedding.from_pretrained(weights, freeze=False)
    with fastgrad.no_grad():
        embedding.weight[0, 0] = 5.0
    assert weights[0, 0].item() == 5.0


def test_a_linear_layer_without_input_features_works_as_torch():
    """Linear(0, n): its empty weight is left alone (PyTorch warns), and the output is the bias."""
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        layer = nn.Linear(0, 3)
    x = fastgrad.zeros(2, 0, requires_grad=True)
    layer(x).sum().backward()
    assert layer(x).tolist() == [[0.0] * 3] * 2 and layer.bias.grad.tolist() == [2.0] * 3


def test_from_pretrained_copies_a_read_only_array_that_training_would_write():
    array = np.ones((3, 2), dtype=np.float32)
    array.flags.writeable = False  # as a memory-mapped vector file is
    embedding = nn.Embedding.from_pretrained(array, freeze=False)
    embedding(fastgrad.tensor([0, 1])).sum().backward()
    fastgrad.optim.SGD(embedding.parameters(), lr=0.5).step()
    assert embedding.weight[0].tolist() == [0.5, 0.5] and array[0].tolist() == [1.0, 1.0]
