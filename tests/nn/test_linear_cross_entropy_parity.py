"""PyTorch's F.linear_cross_entropy and nn.LinearCrossEntropyLoss against fastgrad's: values, dtypes and
gradients on the fused path (class indices) and on the reference path (class weights, label smoothing,
probabilities, K-dimensional losses), with and without options."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

CASES = {
    "indices": dict(targets="indices"),
    "indices with bias and ignored rows": dict(targets="ignored", bias=True),
    "sum": dict(targets="ignored", reduction="sum"),
    "none": dict(targets="ignored", reduction="none", bias=True),
    "own ignore_index": dict(targets="indices", ignore_index=2),
    "class weights": dict(targets="ignored", weight=True),
    "label smoothing": dict(targets="ignored", label_smoothing=0.2, bias=True),
    "probabilities": dict(targets="probabilities", bias=True),
    "K-dimensional": dict(targets="k-dim", out_features=(3,), bias=True),
    "unbatched": dict(targets="unbatched", bias=True),
    "chunked": dict(targets="ignored", bias=True, options=dict(batch_chunk_size=3)),
    "chunked none": dict(targets="ignored", reduction="none", options=dict(batch_chunk_size=4)),
}


def _arrays(rng, case, dtype):
    rows, features, classes = 7, 4, 5
    out_features = case.get("out_features", ())
    arrays = {"input": rng.standard_normal((rows, features)).astype(dtype),
              "linear_weight": (rng.standard_normal((classes, *out_features, features)) * 0.5).astype(dtype)}
    kind = case["targets"]
    if kind == "probabilities":
        p = rng.random((rows, classes))
        arrays["target"] = (p / p.sum(1, keepdims=True)).astype(dtype)
    elif kind == "k-dim":
        arrays["target"] = rng.integers(0, classes, (rows, *out_features))
    elif kind == "unbatched":
        arrays["input"], arrays["target"] = arrays["input"][0], np.array(3)
    else:
        arrays["target"] = rng.integers(0, classes, rows)
        if kind == "ignored":
            arrays["target"][[1, 4]] = -100
    if case.get("bias"):
        arrays["linear_bias"] = rng.standard_normal((classes, *out_features)).astype(dtype)
    if case.get("weight"):
        arrays["weight"] = rng.uniform(0.5, 2.0, classes).astype(dtype)
    return arrays


def _run(library, arrays, case):
    differentiable = ("input", "linear_weight", "linear_bias")
    tensors = {name: library.tensor(value, requires_grad=name in differentiable) for name, value in arrays.items()}
    options = case.get("options")
    kwargs = {key: case[key] for key in ("reduction", "ignore_index", "label_smoothing") if key in case}
    if options is not None:
        kwargs["options"] = library.nn.LinearCrossEntropyOptions(**options)
    extra = {name: tensors[name] for name in ("linear_bias", "weight") if name in tensors}
    loss = library.nn.functional.linear_cross_entropy(tensors["input"], tensors["linear_weight"], tensors["target"],
                                                      **extra, **kwargs)
    upstream = np.linspace(0.5, 1.5, loss.numel()).reshape(tuple(loss.shape)).astype(arrays["input"].dtype)
    (loss * library.tensor(upstream)).sum().backward()
    return loss, [tensors[name].grad for name in differentiable if name in tensors]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CASES))
def test_functional_matches_torch(rng, name, dtype):
    case = CASES[name]
    arrays = _arrays(rng, case, dtype)
    ours, our_grads = _run(fastgrad, arrays, case)
    theirs, their_grads = _run(torch, arrays, case)
    tolerance = dict(rtol=3e-5, atol=3e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tolerance)
    for mine, reference in zip(our_grads, their_grads):
        np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), **tolerance)


@pytest.mark.parametrize("settings", [dict(), dict(bias=True, out_features=(2,)), dict(bias=True, label_smoothing=0.1),
                                      dict(ignore_index=0, reduction="sum")])
def test_module_matches_torch_with_its_weights(rng, settings):
    theirs = torch.nn.LinearCrossEntropyLoss(4, 5, **settings)
    ours = fastgrad.nn.LinearCrossEntropyLoss(4, 5, **settings)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({key: fastgrad.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()})
    x = rng.standard_normal((6, 4)).astype(np.float32)
    target = rng.integers(0, 5, (6, *settings.get("out_features", ())))
    loss_ours, loss_theirs = ours(fastgrad.tensor(x), fastgrad.tensor(target)), theirs(torch.tensor(x), torch.tensor(target))
    np.testing.assert_allclose(loss_ours.detach().numpy(), loss_theirs.detach().numpy(), rtol=3e-5, atol=3e-6)
    loss_ours.backward()
    loss_theirs.backward()
    np.testing.assert_allclose(ours.linear.weight.grad.numpy(), theirs.linear.weight.grad.numpy(), rtol=3e-5, atol=3e-6)


def test_module_keeps_class_weights_as_a_buffer_and_starts_as_torch_does():
    weight = np.array([1.0, 2.0, 0.5], dtype=np.float32)
    ours = fastgrad.nn.LinearCrossEntropyLoss(64, 3, weight=fastgrad.tensor(weight))
    theirs = torch.nn.LinearCrossEntropyLoss(64, 3, weight=torch.tensor(weight))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "linear.weight"]
    bound = 1 / np.sqrt(64)  # Linear's initialisation, in both
    assert np.abs(ours.linear.weight.detach().numpy()).max() <= bound and ours.linear.bias is None
