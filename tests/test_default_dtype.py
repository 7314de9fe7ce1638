"""set_default_dtype / get_default_dtype without PyTorch: the arguments refused, what follows the default, and
that the setting neither leaks between tests nor stays in one thread. (The dtype of every creation function,
promotion and layer is compared with torch's in test_default_dtype_parity.py.)"""
import re
import threading

import numpy as np
import pytest

import fastgrad
from fastgrad import nn, optim
from fastgrad.models.fflm import FixedWindowLM, train_epoch
from fastgrad.models.rnnlm import RNNLM, TruncatedBPTT


@pytest.mark.parametrize("d, shown", [
    (fastgrad.int64, "got int64"),
    (fastgrad.bool_, "got bool"),
    (np.float16, "got float16"),
    ("float64", "got 'float64' of type str"),  # names and Python's float are no dtypes to PyTorch here either
    (float, "got <class 'float'> of type type"),
    (None, "got None of type NoneType"),
    (3, "got 3 of type int"),
])
def test_set_default_dtype_refuses_what_is_not_float32_or_float64(d, shown):
    expected = r"set_default_dtype: d must be fastgrad.float32 or fastgrad.float64 .*" + re.escape(shown)
    with pytest.raises(TypeError, match=expected):
        fastgrad.set_default_dtype(d)
    assert fastgrad.get_default_dtype() == fastgrad.float32  # unchanged


@pytest.mark.parametrize("d", [fastgrad.float64, np.float64, np.dtype("float64")])
def test_set_default_dtype_takes_dtypes_and_numpy_scalar_types(d):
    fastgrad.set_default_dtype(d)
    assert fastgrad.get_default_dtype() == fastgrad.float64
    fastgrad.set_default_dtype(fastgrad.float32)
    assert fastgrad.get_default_dtype() == fastgrad.float32


def test_new_floating_tensors_follow_the_default_and_old_ones_keep_theirs():
    before = fastgrad.tensor([1.5])
    fastgrad.set_default_dtype(fastgrad.float64)
    ints = fastgrad.tensor([1, 2])
    made = [fastgrad.tensor(1.0), fastgrad.zeros(2), fastgrad.randn(2), fastgrad.arange(0.0, 1.0, 0.5),
            ints * 2.5, ints / ints, ints.exp(), nn.Linear(2, 2).weight, nn.Parameter()]
    assert [t.dtype for t in made] == [fastgrad.float64] * len(made)
    assert ints.dtype == fastgrad.int64 and before.dtype == fastgrad.float32
    assert fastgrad.from_numpy(np.ones(2, np.float32)).dtype == fastgrad.float32  # NumPy's dtype, as PyTorch
    assert fastgrad.finfo().bits == 64


def test_repr_names_the_dtype_only_when_it_is_not_the_default():
    fastgrad.set_default_dtype(fastgrad.float64)
    assert repr(fastgrad.tensor([1.5])) == "tensor([1.5000])"
    assert repr(fastgrad.tensor([1.5], dtype=fastgrad.float32)) == "tensor([1.5000], dtype=float32)"
    assert repr(fastgrad.zeros(0, dtype=fastgrad.float32)) == "tensor([], dtype=float32)"


def test_the_default_is_one_for_all_threads():
    """Global to the process, as PyTorch's (not per thread)."""
    thread = threading.Thread(target=fastgrad.set_default_dtype, args=(fastgrad.float64,))
    thread.start()
    thread.join()
    assert fastgrad.get_default_dtype() == fastgrad.float64
    assert fastgrad.tensor(1.0).dtype == fastgrad.float64


# The pair below runs in file order: the first changes the default and does not restore it; the second finds
# it restored by conftest's autouse fixture (without which it fails).
def test_a_test_may_change_the_default_and_leave_it():
    fastgrad.set_default_dtype(fastgrad.float64)


def test_the_next_test_finds_the_default_restored():
    assert fastgrad.get_default_dtype() == fastgrad.float32
    assert fastgrad.tensor(1.0).dtype == fastgrad.float32


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_rnn_language_model_trains_in_float64_by_default(cell):
    fastgrad.set_default_dtype(fastgrad.float64)
    fastgrad.manual_seed(0)
    model = RNNLM(vocab_size=11, embedding_dim=5, hidden_size=6, cell=cell, num_layers=2, dropout=0.1)
    ids = np.random.default_rng(0).integers(0, 11, 60)
    run = TruncatedBPTT(model, optim.Adam(model.parameters(), lr=0.01), ids, batch_size=2, bptt=5)
    losses = [run.step()[0] for _ in range(4)]
    assert np.isfinite(losses).all()
    assert {p.dtype for p in model.parameters()} == {fastgrad.float64}
    assert {p.grad.dtype for p in model.parameters()} == {fastgrad.float64}
    hidden = run.hidden if cell == "gru" else run.hidden[0]
    assert hidden.dtype == fastgrad.float64


def test_fixed_window_language_model_trains_in_float64_by_default():
    fastgrad.set_default_dtype(fastgrad.float64)
    fastgrad.manual_seed(0)
    model = FixedWindowLM(vocab_size=9, context_size=2, embedding_dim=3, hidden_size=4)
    ids = np.random.default_rng(1).integers(1, 9, 40)
    loss = train_epoch(model, ids, pad_id=0, optimizer=optim.SGD(model.parameters(), lr=0.1), batch_size=8,
                       rng=np.random.default_rng(2))
    assert np.isfinite(loss)
    assert {p.dtype for p in model.parameters()} == {fastgrad.float64}
    assert {p.grad.dtype for p in model.parameters()} == {fastgrad.float64}
