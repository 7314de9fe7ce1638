"""The Tensor API: creation, dtypes and promotion, conversions, conveniences, in-place idioms."""
import re

import numpy as np
import pytest

import fastgrad


def test_creation_dtypes_follow_pytorch():
    assert fastgrad.tensor([1.0, 2.0]).dtype == fastgrad.float32
    assert fastgrad.tensor([1, 2]).dtype == fastgrad.int64
    assert fastgrad.tensor(np.zeros(2)).dtype == fastgrad.float64  # arrays keep their dtype
    assert fastgrad.zeros(2, 3).shape == (2, 3) and fastgrad.zeros((2, 3)).dtype == fastgrad.float32
    assert fastgrad.ones(2, dtype=fastgrad.float64).dtype == fastgrad.float64
    assert fastgrad.full((2,), 7).tolist() == [7, 7]
    assert fastgrad.arange(4).tolist() == [0, 1, 2, 3] and fastgrad.arange(4).dtype == fastgrad.int64
    assert fastgrad.arange(0.0, 1.0, 0.5).dtype == fastgrad.float32
    t = fastgrad.tensor([[1.0, 2.0]])
    assert fastgrad.zeros_like(t).shape == (1, 2) and fastgrad.ones_like(t).sum().item() == 2.0


def test_from_numpy_shares_memory_and_numpy_returns_it():
    a = np.arange(3.0)
    t = fastgrad.from_numpy(a)
    a[0] = 10
    assert t[0].item() == 10
    assert t.numpy() is a
    assert fastgrad.tensor(a).numpy() is not a  # tensor() copies


def test_manual_seed_makes_rand_reproducible():
    fastgrad.manual_seed(7)
    a = fastgrad.randn(3, 2)
    b = fastgrad.rand(4)
    fastgrad.manual_seed(7)
    np.testing.assert_array_equal(a.numpy(), fastgrad.randn(3, 2).numpy())
    np.testing.assert_array_equal(b.numpy(), fastgrad.rand(4).numpy())
    assert 0 <= b.numpy().min() and b.numpy().max() < 1


def test_scalars_keep_float32_and_arrays_promote_as_numpy():
    x = fastgrad.tensor([1.0, 2.0])
    assert (x * 2.0).dtype == fastgrad.float32
    assert (2 * x).dtype == fastgrad.float32
    assert (x + fastgrad.tensor([1.0], dtype=fastgrad.float64)).dtype == fastgrad.float64
    assert (fastgrad.tensor([1, 2]) * 0.5).dtype == fastgrad.float32
    assert (fastgrad.tensor([1, 2]) + 1).dtype == fastgrad.int64
    # an array after the tensor computes by NumPy's rules, as PyTorch hands it there; an array first defers to the
    # tensor, whose reflected operator refuses it, as PyTorch's (tests/ops/test_array_operands_parity.py)
    assert (x + np.array([1.0, 1.0])).dtype == fastgrad.float64
    with pytest.raises(TypeError):
        np.array([1.0, 1.0]) + x


def test_item_tolist_size_shape_and_friends():
    t = fastgrad.tensor([[1.0, 2.0, 3.0]])
    assert t.shape == (1, 3) and t.size() == (1, 3) and t.size(1) == 3 and t.ndim == 2 and t.numel() == 3
    assert t.sum().item() == 6.0 and t.tolist() == [[1.0, 2.0, 3.0]]
    assert t.T.shape == (3, 1) and t.reshape(3).shape == (3,) and t.view(-1, 1).shape == (3, 1)
    assert t.unsqueeze(0).shape == (1, 1, 3) and t.squeeze().shape == (3,) and t.squeeze(0).shape == (3,)
    assert t.expand(2, 3).shape == (2, 3) and t.expand(2, -1).shape == (2, 3)
    assert t.permute(1, 0).shape == (3, 1) and t.transpose(0, 1).shape == (3, 1)
    assert t.max().item() == 3.0
    values, indices = t.max(dim=1)
    assert values.tolist() == [3.0] and indices.tolist() == [2]
    assert fastgrad.cat([t, t]).shape == (2, 3) and fastgrad.stack([t, t], dim=1).shape == (1, 2, 3)
    with pytest.raises(ValueError):
        fastgrad.tensor([1.0, 2.0]).item()


def test_conveniences():
    t = fastgrad.tensor([1.5, -2.0])
    assert t.new_zeros(2, 2).dtype == fastgrad.float32 and t.new_ones((3,)).tolist() == [1, 1, 1]
    assert t.new_tensor([1, 2]).dtype == fastgrad.float32
    assert t.double().dtype == fastgrad.float64 and t.long().tolist() == [1, -2] and t.float().dtype == fastgrad.float32
    assert t.to(fastgrad.float64).dtype == fastgrad.float64 and t.to("cpu") is t
    assert t.to(fastgrad.device("cpu")) is t and t.device == fastgrad.device("cpu")
    c = t.clone()
    c.add_(1.0)
    assert t.tolist() == [1.5, -2.0] and c.tolist() == [2.5, -1.0]
    nc = fastgrad.tensor(np.ones((3, 2))).T
    assert not nc.is_contiguous() and nc.contiguous().is_contiguous()
    with pytest.raises(RuntimeError, match="CPU only"):
        t.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        fastgrad.device("cuda:0")


def test_legacy_new_and_new_empty():
    weight = fastgrad.zeros(1, dtype=fastgrad.float64)
    assert weight.new(2, 3).shape == (2, 3) and weight.new(2, 3).dtype == fastgrad.float64
    assert weight.new(2, 3).zero_().tolist() == [[0.0] * 3] * 2
    assert weight.new((2, 3)).tolist() == [2.0, 3.0] and weight.new([1, 2]).dtype == fastgrad.float64  # data
    assert weight.new().shape == (0,)
    assert weight.new_empty(2, 3).shape == (2, 3) and weight.new_empty((4,), dtype=fastgrad.int64).dtype == fastgrad.int64
    with pytest.raises(TypeError, match="sizes"):
        weight.new(2.5)


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
def test_unrecorded_add_and_sub_with_alpha_match_the_rounded_formula(backend):
    # An optimizer's p.sub_(grad, alpha=lr) under no_grad: alpha rounded to the parameter's dtype, the product
    # first, then the difference, written into p's memory (every view sees it) with one version bump.
    rng = np.random.default_rng(0)
    data, grad = rng.standard_normal((2, 7, 5)).astype(np.float32)
    base = fastgrad.tensor(data)
    p = base[:, 1:4].transpose(0, 1)  # a strided view: written through to base
    g = fastgrad.tensor(grad[:, 1:4]).transpose(0, 1)
    expected_sub = p.numpy() - g.numpy() * np.float32(0.1)
    expected_add = expected_sub + g.numpy() * np.float32(-3)
    with fastgrad.backend(backend), fastgrad.no_grad():
        assert p.sub_(g, alpha=0.1) is p and p._version == 1
        np.testing.assert_array_equal(p.numpy(), expected_sub)
        p.add_(g, alpha=-3)
        np.testing.assert_array_equal(p.numpy(), expected_add)
        np.testing.assert_array_equal(base.numpy()[:, 1:4].T, expected_add)
        assert p._version == 2 and base._version == 2
        p.sub_(p, alpha=2)  # the same memory: read before written
        np.testing.assert_array_equal(p.numpy(), expected_add - expected_add * np.float32(2))
        with pytest.raises(RuntimeError, match="single memory location"):
            base[1:].sub_(base[:-1], alpha=0.5)  # partial overlap, refused as by PyTorch
        with pytest.raises(RuntimeError, match="read-only"):
            fastgrad.ones(1).expand(3).sub_(fastgrad.ones(3), alpha=0.5)
    w = fastgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):  # grad mode on: autograd's rules, not the update's shortcut
        w.sub_(fastgrad.ones(3), alpha=0.5)


def test_in_place_idioms_bump_the_version():
    t = fastgrad.zeros(3)
    t.fill_(2.0).add_(fastgrad.ones(3), alpha=3).mul_(2).sub_(1.0).clamp_(0, 8)
    assert t.tolist() == [8.0, 8.0, 8.0] and t._version == 5
    t.zero_()
    assert t.tolist() == [0.0, 0.0, 0.0]
    t.copy_(fastgrad.tensor([1.0, 2.0, 3.0]))
    assert t.tolist() == [1.0, 2.0, 3.0]
    fastgrad.manual_seed(0)
    u = fastgrad.zeros(1000).uniform_(-1, 1)
    assert -1 <= u.numpy().min() and u.numpy().max() <= 1 and abs(u.numpy().mean()) < 0.1
    n = fastgrad.zeros(10000).normal_(2.0, 0.5)
    assert abs(n.numpy().mean() - 2.0) < 0.05 and abs(n.numpy().std() - 0.5) < 0.05
    t[0] = 9.0
    assert t.tolist() == [9.0, 2.0, 3.0]


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        fastgrad.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        fastgrad.arange(3).requires_grad_()


def test_repr_shows_values_and_grad_state():
    assert repr(fastgrad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(fastgrad.tensor([1.0], requires_grad=True))
    assert "grad_fn=<MulBackward>" in repr(fastgrad.tensor([1.0], requires_grad=True) * 2)


def test_tensors_keep_no_instance_dict():
    """Every mixin Tensor inherits has empty __slots__; one without them would give each tensor a __dict__."""
    from fastgrad.nn import Parameter
    leaf = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    for t in (leaf, leaf * 2, leaf.sum(), leaf.reshape(2, 1), leaf[0], leaf.detach(), Parameter(leaf)):
        assert not hasattr(t, "__dict__"), type(t)
    with pytest.raises(AttributeError):
        leaf.not_an_attribute = 1


def test_method_families_live_in_mixins_and_old_import_paths_still_work():
    from fastgrad import creation
    from fastgrad.tensor import Tensor, ValuesIndices, tensor, zeros, zeros_like
    from fastgrad.tensor_methods.math import MathMethods
    from fastgrad.tensor_methods.reductions import ReductionMethods
    from fastgrad.tensor_methods.indexing import IndexingMethods
    from fastgrad.tensor_methods.linalg import LinalgMethods
    from fastgrad.tensor_methods.sampling import SamplingMethods
    from fastgrad.tensor_methods.shape import ShapeMethods
    assert Tensor.__mro__[1:7] == (MathMethods, ReductionMethods, ShapeMethods, IndexingMethods, LinalgMethods,
                                   SamplingMethods)
    assert Tensor.exp is MathMethods.exp and Tensor.__getitem__ is IndexingMethods.__getitem__
    assert (tensor, zeros, zeros_like) == (creation.tensor, creation.zeros, creation.zeros_like)
    assert fastgrad.tensor is creation.tensor and fastgrad.zeros is creation.zeros
    values, indices = fastgrad.tensor([[1.0, 3.0]]).max(dim=1)
    assert isinstance(fastgrad.tensor([1.0]).max(dim=0), ValuesIndices) and indices.tolist() == [1]


def test_format_of_a_0_dim_tensor_is_its_number():
    loss = fastgrad.tensor(2.5, requires_grad=True) * 1.0
    assert f"{loss:.2f}" == "2.50" and f"{loss}" == "2.5" and "{:.3f}".format(fastgrad.tensor(3)) == "3.000"
    assert f"{fastgrad.tensor([2.5])}" == str(fastgrad.tensor([2.5]))
    with pytest.raises(TypeError):
        f"{fastgrad.tensor([2.5]):.2f}"


def test_deepcopy_copies_leaves_and_keeps_views_of_one_memory_together():
    import copy

    x = fastgrad.arange(12.0).reshape(3, 4)
    copied_x, copied_view, copied_detached = copy.deepcopy([x, x[1:], x[1:].T.detach()])
    assert copied_view.storage_offset() == 4 and copied_detached.storage_offset() == 4  # (was garbage for a view)
    assert copied_detached.stride() == (1, 4)
    copied_view.add_(100)  # the copies share one new memory, and x is untouched
    assert copied_x[1, 0].item() == 104.0 and copied_detached[0, 0].item() == 104.0 and x[1, 0].item() == 4.0
    assert copied_x._version == 1
    leaf = fastgrad.ones(2, requires_grad=True)
    leaf.grad = fastgrad.full((2,), 3.0)
    copied = copy.deepcopy(leaf)
    assert copied.requires_grad and copied.grad.tolist() == [3.0, 3.0] and copied.grad is not leaf.grad
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        copy.deepcopy(leaf * 2)


def test_legacy_constructor_reads_its_arguments_as_torch_tensor():
    assert fastgrad.Tensor(2, 3).shape == (2, 3) and fastgrad.Tensor(2, 3).dtype == fastgrad.float32
    assert fastgrad.Tensor().shape == (0,)
    assert fastgrad.Tensor([1, 2]).dtype == fastgrad.float32  # (was int64: the values' own dtype)
    assert fastgrad.Tensor(np.array([1.5])).dtype == fastgrad.float32
    fastgrad.set_default_dtype(fastgrad.float64)
    assert fastgrad.Tensor([1, 2]).dtype == fastgrad.float64 and fastgrad.Tensor(3).dtype == fastgrad.float64
    layer_weight = fastgrad.nn.Parameter(fastgrad.Tensor(4, 3))  # the classic idiom, then an init
    fastgrad.nn.init.uniform_(layer_weight, -0.1, 0.1)
    assert layer_weight.shape == (4, 3) and layer_weight.requires_grad


@pytest.mark.parametrize("args,kwargs,error,message", [
    ((2.5,), {}, TypeError, "got (float)"),
    ((2, 3.0), {}, TypeError, "got (int, float)"),
    ((["a"],), {}, TypeError, "got dtype <U1"),
    ((-1, 2), {}, RuntimeError, "non-negative, got [-1, 2]"),
    (([1.0],), {"dtype": fastgrad.float64}, TypeError, "no keyword arguments"),
    (([1.0],), {"requires_grad": True}, TypeError, "fastgrad.tensor(data, dtype=..., requires_grad=...)"),
])
def test_legacy_constructor_names_what_it_refuses(args, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        fastgrad.Tensor(*args, **kwargs)


def test_legacy_constructor_of_a_tensor_is_an_alias_and_never_cuts_a_gradient():
    t = fastgrad.tensor([1.0, 2.0])
    alias = fastgrad.Tensor(t)
    alias.add_(1)
    assert t.tolist() == [2.0, 3.0] and t._version == alias._version == 1
    x = fastgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="requires grad"):
        fastgrad.Tensor(x)
    with fastgrad.no_grad():
        assert not fastgrad.Tensor(x).requires_grad
