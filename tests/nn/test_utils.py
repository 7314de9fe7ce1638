import math

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
from fastgrad.nn.utils import clip_grad_norm_, clip_grad_value_, convert_torch_state_dict


def with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros(np.shape(g), dtype=np.float64))
        p.grad = fastgrad.tensor(np.asarray(g, dtype=np.float64))
        params.append(p)
    return params


def test_clip_grad_norm_scales_all_gradients_together():
    params = with_grads([3.0, 0.0], [[4.0]])
    total = clip_grad_norm_(params, max_norm=1.0)
    assert float(total) == pytest.approx(5.0)
    np.testing.assert_allclose(params[0].grad.numpy(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(params[1].grad.numpy(), [[0.8]], rtol=1e-5)
    untouched = with_grads([0.3, 0.4])
    assert float(clip_grad_norm_(untouched, 1.0)) == pytest.approx(0.5)
    np.testing.assert_array_equal(untouched[0].grad.numpy(), [0.3, 0.4])


def test_clip_grad_norm_inf_and_p_norms():
    assert float(clip_grad_norm_(with_grads([1.0, -7.0], [2.0]), 10.0, norm_type="inf")) == 7.0
    assert float(clip_grad_norm_(with_grads([1.0, -2.0], [3.0]), 10.0, norm_type=1)) == pytest.approx(6.0)
    with pytest.raises(RuntimeError, match="nan"):
        clip_grad_norm_(with_grads([np.nan]), 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="nan"):  # a NaN after larger finite values still counts
        clip_grad_norm_(with_grads([5.0], [np.nan, 1.0]), 1.0, norm_type="inf", error_if_nonfinite=True)


@pytest.mark.parametrize("norm_type", [-1.0, -0.5, -math.inf, math.inf])
def test_clip_grad_norm_of_an_order_without_identity_with_an_empty_gradient_raises(norm_type):
    # as PyTorch's: the empty gradient's norm is undefined; leaving it out gave the others' norm as the total
    params = with_grads([3.0, 4.0], [])
    with pytest.raises(RuntimeError, match="norm of an empty tensor"):
        clip_grad_norm_(params, 1.0, norm_type=norm_type)
    for order, total in ((0.0, 1.0), (1.0, 7.0), (2.0, 5.0)):  # (order 0 counts nonzero gradients)
        assert float(clip_grad_norm_(with_grads([3.0, 4.0], []), 100.0, norm_type=order)) == total


def test_clip_grad_norm_coalesces_sparse_gradients_first():
    emb = nn.Embedding(5, 2, sparse=True).double()
    emb(fastgrad.tensor([1, 1, 3])).sum().backward()  # row 1 gets (1, 1) twice: (2, 2), row 3 (1, 1)
    dense = emb.weight.grad.to_dense_array()
    total = clip_grad_norm_(emb.parameters(), max_norm=1.0)
    assert float(total) == pytest.approx(np.linalg.norm(dense))  # sqrt(10), not sqrt(6)
    assert emb.weight.grad.is_sparse
    np.testing.assert_allclose(emb.weight.grad.to_dense_array(), dense / np.sqrt(10), rtol=1e-5)


def test_clip_grad_value():
    params = with_grads([-3.0, 0.5, 2.0])
    clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), [-1.0, 0.5, 1.0])


def test_convert_torch_state_dict_strips_wrappers_and_checks_dtypes():
    arrays = {"module.0.weight": np.ones((2, 3), dtype=np.float32), "module.0.bias": np.zeros(2, dtype=np.float32)}
    converted = convert_torch_state_dict(arrays)
    assert list(converted) == ["0.weight", "0.bias"]
    converted["0.weight"][0, 0] = 5
    assert arrays["module.0.weight"][0, 0] == 1  # a copy, not a view
    nn.Sequential(nn.Linear(3, 2)).load_state_dict(converted)
    with pytest.raises(TypeError, match="'bad' has dtype"):
        convert_torch_state_dict({"bad": np.array(["x"])})


def test_torch_weights_give_identical_outputs():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    torch_mlp = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    torch_rnn = torch.nn.RNN(3, 4, num_layers=2)
    mlp = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    rnn = nn.RNN(3, 4, num_layers=2)
    for ours, theirs in ((mlp, torch_mlp), (rnn, torch_rnn)):
        ours.load_state_dict(convert_torch_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()}))
    x = np.random.default_rng(0).standard_normal((6, 2, 4)).astype(np.float32)
    np.testing.assert_allclose(mlp(fastgrad.tensor(x)).detach().numpy(),
                               torch_mlp(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    sequence = x[..., :3].copy()
    output, h_n = rnn(fastgrad.tensor(sequence))
    torch_output, torch_h_n = torch_rnn(torch.from_numpy(sequence))
    np.testing.assert_allclose(output.detach().numpy(), torch_output.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_n.detach().numpy(), torch_h_n.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_clip_grad_norm_returns_the_norm_in_the_widest_gradient_dtype():
    """As PyTorch, which stacks the per-gradient norms: float32 with float64 gives float64."""
    small, wide = nn.Parameter(np.ones(2, dtype=np.float32)), nn.Parameter(np.ones(2, dtype=np.float64))
    small.grad, wide.grad = fastgrad.tensor([3.0, 4.0]), fastgrad.tensor([1.0, 1.0], dtype=np.float64) / 3
    total = clip_grad_norm_([small, wide], 100.0)
    assert total.dtype == np.float64 and total.item() == pytest.approx(np.sqrt(25 + 2 / 9), rel=1e-15)


@pytest.mark.parametrize("norm_type", [1.0, 3.0, float("inf")])
def test_clip_grad_norm_of_float64_gradients_stays_in_float64(norm_type):
    p = nn.Parameter(fastgrad.zeros(2, dtype=fastgrad.float64))
    p.grad = fastgrad.tensor([1e40, 0.0], dtype=fastgrad.float64)  # past float32's range
    assert clip_grad_norm_([p], max_norm=1e41, norm_type=norm_type).item() == pytest.approx(1e40)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_is_get_total_norm_then_clip_grads_with_norm(norm_type):
    grads = ([0.5, -3.0], [[4.0, 1.0]], [2.0])
    composed, direct = with_grads(*grads), with_grads(*grads)
    total = nn.utils.get_total_norm([p.grad for p in composed], norm_type)
    nn.utils.clip_grads_with_norm_(composed, 1.0, total)
    assert float(clip_grad_norm_(direct, 1.0, norm_type)) == float(total)
    for a, b in zip(composed, direct):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_clip_grads_with_norm_leaves_gradients_under_the_limit_and_refuses_a_number():
    params = with_grads([0.3, 0.4])
    nn.utils.clip_grads_with_norm_(params, 1.0, fastgrad.tensor(0.5))
    np.testing.assert_array_equal(params[0].grad.numpy(), [0.3, 0.4])
    nn.utils.clip_grads_with_norm_(params, 0.25, fastgrad.tensor(0.5))
    np.testing.assert_allclose(params[0].grad.numpy(), [0.15, 0.2], rtol=1e-5)
    with pytest.raises(TypeError, match="clip_grads_with_norm_: total_norm must be a Tensor .*, got float 0.5"):
        nn.utils.clip_grads_with_norm_(params, 0.25, 0.5)  # (as PyTorch's)


def test_get_total_norm_and_skip_init_errors():
    with pytest.raises(TypeError, match="get_total_norm: tensors must be tensors, got list at index 1"):
        nn.utils.get_total_norm([fastgrad.ones(2), [1.0]])
    with pytest.raises(RuntimeError, match="is non-finite \\(nan\\), so it cannot be clipped"):
        nn.utils.get_total_norm(fastgrad.tensor([np.nan]), error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="Expected a Module; got 3"):
        nn.utils.skip_init(3)
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
        nn.utils.skip_init(nn.Tanh)


def test_clipping_shared_among_two_threads_equals_the_serial_one(counted_splits):
    import numba

    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(shape).astype(np.float32) for shape in [(1000, 600), (600, 1000), (7,)]]
    results = {}
    for count in (1, 2):
        numba.set_num_threads(count)
        params = [fastgrad.zeros(grad.shape, requires_grad=True) for grad in grads]
        for param, grad in zip(params, grads):
            param.grad = fastgrad.tensor(grad.copy())
        norm = clip_grad_norm_(params, 1.0)
        results[count] = [norm.detach().numpy()] + [param.grad.numpy() for param in params]
    assert counted_splits == [2, 2]  # the norm, then the scaling
    for threaded, serial in zip(results[2], results[1]):
        np.testing.assert_array_equal(threaded, serial)
