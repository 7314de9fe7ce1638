import io
import json
import os
from collections import OrderedDict

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.nn.functional as F
import fastgrad.optim as optim
from fastgrad.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from fastgrad.serialization import CheckpointError


def assert_same(a, b, where="obj"):
    """Deep equality of what went in and what came out: types, keys, dtypes and values."""
    if isinstance(a, fastgrad.Tensor):
        assert isinstance(b, fastgrad.Tensor) and b.requires_grad == a.requires_grad, where
        a, b = a.detach().numpy(), b.detach().numpy()
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert type(a) is type(b) and a == b, where


def trained_state():
    fastgrad.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 4, sparse=False), nn.RNN(4, 3))
    states = {}
    for make in (lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adagrad(p),
                 lambda p: optim.RMSprop(p, centered=True, momentum=0.1), lambda p: optim.Adam(p, amsgrad=True),
                 lambda p: optim.AdamW(p)):
        optimizer = make(model.parameters())
        scheduler = StepLR(optimizer, 2)
        output, _ = model[1](model[0](fastgrad.tensor([[1, 2], [3, 3]])))
        output.sum().backward()
        optimizer.step()
        scheduler.step()
        states[type(optimizer).__name__] = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
    sparse = nn.Embedding(10, 4, sparse=True)
    sparse_optimizer = optim.SparseAdam(sparse.parameters())
    sparse(fastgrad.tensor([1, 1])).sum().backward()
    sparse_optimizer.step()
    plateau = ReduceLROnPlateau(sparse_optimizer)
    plateau.step(1.5)
    states["SparseAdam"] = {"optimizer": sparse_optimizer.state_dict(), "scheduler": plateau.state_dict()}
    return {"model": model.state_dict(), "optimizers": states, "rng": fastgrad.get_rng_state(), "step": 7,
            "extras": [None, True, "text", 2.5, float("nan"), float("-inf"), (1, np.float32(0.25), np.int64(3), np.float64(0.5)),
                       fastgrad.tensor([1.0], requires_grad=True), 2**70, {3: "int key"}]}


def test_round_trip_of_every_state_dict(tmp_path):
    state = trained_state()
    path = tmp_path / "checkpoint.fg"
    fastgrad.save(state, path)
    assert os.listdir(tmp_path) == ["checkpoint.fg"]  # exactly the path given, no temp files left
    loaded = fastgrad.load(path)
    assert_same(state, loaded)
    assert loaded["optimizers"]["Adam"]["scheduler"]["last_epoch"] == 1
    assert list(loaded["optimizers"]["Adam"]["optimizer"]["state"]) == [0, 1, 2, 3, 4]  # int keys stay ints


def test_loaded_states_restore_objects(tmp_path):
    fastgrad.manual_seed(1)
    model = nn.Linear(3, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    model(fastgrad.ones(1, 3)).sum().backward()
    optimizer.step()
    fastgrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "c.npz")
    loaded = fastgrad.load(tmp_path / "c.npz")
    fresh = nn.Linear(3, 2)
    fresh_optimizer = optim.Adam(fresh.parameters())
    fresh.load_state_dict(loaded["model"])
    fresh_optimizer.load_state_dict(loaded["optimizer"])
    assert fresh_optimizer.param_groups[0]["lr"] == 0.05 and fresh_optimizer.param_groups[0]["betas"] == (0.9, 0.999)
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), model.weight.detach().numpy())
    np.testing.assert_array_equal(fresh_optimizer.state[fresh.weight]["exp_avg"], optimizer.state[model.weight]["exp_avg"])


def test_unsupported_values_are_refused(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['f'\] has type builtin_function_or_method"):
        fastgrad.save({"f": len}, tmp_path / "x")
    with pytest.raises(TypeError, match="Python objects"):
        fastgrad.save(np.array([{}], dtype=object), tmp_path / "x")
    with pytest.raises(TypeError, match="keys must be str or int"):
        fastgrad.save({(1, 2): 3}, tmp_path / "x")
    assert not os.listdir(tmp_path)


def test_truncated_file_fails_cleanly(tmp_path):
    path = tmp_path / "c.npz"
    fastgrad.save(trained_state(), path)
    data = path.read_bytes()
    for size in (0, 10, len(data) // 2, len(data) - 30):
        path.write_bytes(data[:size])
        with pytest.raises(CheckpointError, match="c.npz"):
            fastgrad.load(path)


def test_corrupted_bytes_fail_cleanly(tmp_path):
    path = tmp_path / "c.npz"
    fastgrad.save({"w": np.arange(1000, dtype=np.float64)}, path)
    data = bytearray(path.read_bytes())
    position = data.index(np.arange(1000, dtype=np.float64)[500:501].tobytes())  # inside the array's bytes
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="c.npz"):
        fastgrad.load(path)


def write_archive(path, header: dict | str, **arrays):
    text = header if isinstance(header, str) else json.dumps(header)
    np.savez(path, __fastgrad__=np.frombuffer(text.encode(), dtype=np.uint8), **arrays)


@pytest.mark.parametrize("header, problem", [
    ({"format": "fastgrad-checkpoint", "version": 1, "root": {"array": "a9"}}, "does not contain"),
    ({"format": "fastgrad-checkpoint", "version": 1, "root": {"code": "print(1)"}}, "unknown structure node"),
    ({"format": "fastgrad-checkpoint", "version": 1, "root": {"float": [1]}}, "malformed"),
    ({"format": "fastgrad-checkpoint", "version": 1, "root": {"dict": [[1.5, 2]]}}, "pairs"),
    ({"format": "fastgrad-checkpoint", "version": 3, "root": None}, "version"),
    ({"format": "fastgrad-checkpoint", "version": 2, "root": {"tensor": "a0", "view": [8, [2], [8]]}}, "does not fit"),
    ({"format": "fastgrad-checkpoint", "version": 2, "root": {"tensor": "a0", "view": [-8, [1], [8]]}}, "does not fit"),
    ({"format": "fastgrad-checkpoint", "version": 2, "root": {"tensor": "a0", "view": [0, [2], [-8]]}}, "does not fit"),
    ({"format": "fastgrad-checkpoint", "version": 2, "root": {"tensor": "a0", "view": [0, [2]]}}, "\\[offset, shape, strides\\]"),
    ({"format": "something-else", "root": None}, "does not describe"),
    ("{not json", "not valid JSON"),
])
def test_tampered_structure_fails_cleanly(tmp_path, header, problem):
    path = tmp_path / "t.npz"
    write_archive(path, header, a0=np.zeros(2))
    with pytest.raises(CheckpointError, match=problem):
        fastgrad.load(path)


def test_parameters_and_ordered_dicts_keep_their_types(tmp_path):
    model = nn.Linear(3, 2)
    model.bias.requires_grad_(False)
    state = model.state_dict()
    assert type(state) is OrderedDict
    fastgrad.save({"state": state, "weight": model.weight, "bias": model.bias, "plain": {"a": 1}}, tmp_path / "c")
    loaded = fastgrad.load(tmp_path / "c")
    assert type(loaded["state"]) is OrderedDict and list(loaded["state"]) == ["weight", "bias"]
    assert type(loaded["plain"]) is dict
    assert type(loaded["weight"]) is nn.Parameter and loaded["weight"].requires_grad
    assert type(loaded["bias"]) is nn.Parameter and not loaded["bias"].requires_grad
    assert type(loaded["state"]["weight"]) is fastgrad.Tensor and not loaded["state"]["weight"].requires_grad
    np.testing.assert_array_equal(loaded["weight"].detach().numpy(), model.weight.detach().numpy())


def test_views_of_one_tensor_share_memory_after_loading(tmp_path):
    a = fastgrad.arange(12.0).reshape(3, 4)
    views = {"a": a, "tail": a[1:], "columns": a[:, ::2], "transposed": a.t(), "row": a[2],
             "again": a}
    fastgrad.save(views, tmp_path / "c")
    loaded = fastgrad.load(tmp_path / "c")
    for name, view in views.items():
        np.testing.assert_array_equal(loaded[name].detach().numpy(), view.detach().numpy(), err_msg=name)
    loaded["a"][1, 2] = -1.0  # one write shows through every view, as in what was saved
    assert loaded["tail"][0, 2].item() == loaded["columns"][1, 1].item() == loaded["transposed"][2, 1].item() == -1.0
    assert loaded["again"][1, 2].item() == -1.0


def test_a_slice_saved_alone_writes_only_its_elements(tmp_path):
    big = fastgrad.zeros(10000)
    fastgrad.save({"slice": big[:3]}, tmp_path / "c")
    assert os.path.getsize(tmp_path / "c") < 2000
    assert fastgrad.load(tmp_path / "c")["slice"].tolist() == [0.0, 0.0, 0.0]


def test_a_version_1_file_still_loads(tmp_path):
    """What the version-1 writer wrote for {"w": tensor (requires grad), "m": array, "n": [1, 2.5, None]}."""
    header = {"format": "fastgrad-checkpoint", "version": 1, "root": {"dict": [
        ["w", {"tensor": "a0", "requires_grad": True}], ["m", {"array": "a1"}],
        ["n", {"list": [1, {"float": 2.5}, None]}]]}}
    write_archive(tmp_path / "old.npz", header, a0=np.array([1.0, 2.0], dtype=np.float32), a1=np.arange(3))
    loaded = fastgrad.load(tmp_path / "old.npz")
    assert type(loaded) is dict and list(loaded) == ["w", "m", "n"]
    assert type(loaded["w"]) is fastgrad.Tensor and loaded["w"].requires_grad and loaded["w"].tolist() == [1.0, 2.0]
    np.testing.assert_array_equal(loaded["m"], np.arange(3))
    assert loaded["n"] == [1, 2.5, None]


def test_pickled_arrays_and_foreign_files_are_refused(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, __fastgrad__=np.zeros(1, dtype=np.uint8), a0=np.array([{"x": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="p.npz"):
        fastgrad.load(path)
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.zeros(3))
    with pytest.raises(CheckpointError, match="no __fastgrad__"):
        fastgrad.load(plain)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="notes.txt is not a fastgrad checkpoint: not a zip archive"):
        fastgrad.load(text)
    np.save(tmp_path / "array.npy", np.zeros(3))  # NumPy would load it as an array
    with pytest.raises(CheckpointError, match="array.npy is not a fastgrad checkpoint: not a zip archive"):
        fastgrad.load(tmp_path / "array.npy")
    with pytest.raises(FileNotFoundError):
        fastgrad.load(tmp_path / "missing.npz")


def test_crash_during_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    fastgrad.save({"version": 1}, path)

    def crash(file, **members):
        file.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        fastgrad.save({"version": 2}, path)
    monkeypatch.undo()
    assert fastgrad.load(path) == {"version": 1}
    assert os.listdir(tmp_path) == ["c.npz"]


# -- resuming a training run ------------------------------------------------------------------------
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(6, 16)
        self.dropout = nn.Dropout(0.3)
        self.out = nn.Linear(16, 3)

    def forward(self, x):
        return self.out(self.dropout(F.relu(self.hidden(x))))


DATA = np.random.default_rng(42).standard_normal((10, 8, 6)).astype(np.float32)
LABELS = np.random.default_rng(43).integers(0, 3, (10, 8))


def training(seed):
    fastgrad.manual_seed(seed)
    model = MLP()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    return model, optimizer, StepLR(optimizer, step_size=3, gamma=0.5)


def train_steps(model, optimizer, scheduler, steps):
    for step in steps:
        optimizer.zero_grad()
        F.cross_entropy(model(fastgrad.tensor(DATA[step])), fastgrad.tensor(LABELS[step])).backward()
        optimizer.step()
        scheduler.step()


def test_resumed_run_matches_uninterrupted_run_bit_for_bit(tmp_path):
    model, optimizer, scheduler = training(seed=0)
    train_steps(model, optimizer, scheduler, range(10))
    expected = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}

    model, optimizer, scheduler = training(seed=0)
    train_steps(model, optimizer, scheduler, range(4))
    fastgrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                   "scheduler": scheduler.state_dict(), "rng": fastgrad.get_rng_state(), "step": 4},
                  tmp_path / "run.ckpt")
    train_steps(model, optimizer, scheduler, range(4, 6))  # work lost in the "crash"

    model, optimizer, scheduler = training(seed=99)  # a new process: different init and generator
    checkpoint = fastgrad.load(tmp_path / "run.ckpt")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    fastgrad.set_rng_state(checkpoint["rng"])
    train_steps(model, optimizer, scheduler, range(checkpoint["step"], 10))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.detach().numpy(), expected[name], err_msg=name)


def test_save_writes_through_a_link_and_with_the_permissions_of_a_plain_write(tmp_path):
    """As torch.save's open(): a link's target is written (the link stays), an existing file keeps its mode,
    a new file gets the umask's (mkstemp alone would make it 0600)."""
    real = tmp_path / "real.npz"
    fastgrad.save({"a": 1}, real)
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    fastgrad.save({"a": 2}, link)
    assert link.is_symlink() and fastgrad.load(real) == {"a": 2}
    os.chmod(real, 0o640)
    fastgrad.save({"a": 3}, real)
    assert (real.stat().st_mode & 0o777) == 0o640
    umask = os.umask(0o022)
    try:
        fastgrad.save({"a": 4}, tmp_path / "new.npz")
    finally:
        os.umask(umask)
    assert ((tmp_path / "new.npz").stat().st_mode & 0o777) == 0o644


def test_file_objects_and_pytorchs_load_arguments(tmp_path):
    state = {"weight": fastgrad.arange(3, dtype=fastgrad.float32), "step": 4}
    buffer = io.BytesIO()
    fastgrad.save(state, buffer)
    buffer.seek(0)
    loaded = fastgrad.load(buffer, map_location="cpu", weights_only=True)
    assert loaded["step"] == 4 and loaded["weight"].tolist() == [0.0, 1.0, 2.0]
    fastgrad.save(state, tmp_path / "c.pt")
    with open(tmp_path / "c.pt", "rb") as file:
        assert fastgrad.load(file)["step"] == 4
    for map_location in (None, fastgrad.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage):
        assert fastgrad.load(tmp_path / "c.pt", map_location=map_location)["step"] == 4


def test_bad_targets_and_arguments_are_refused(tmp_path):
    fastgrad.save({"a": 1}, tmp_path / "c.pt")
    with pytest.raises(RuntimeError, match="CPU only"):
        fastgrad.load(tmp_path / "c.pt", map_location="cuda:0")
    with pytest.raises(RuntimeError, match="CPU only"):
        fastgrad.load(tmp_path / "c.pt", map_location={"cpu": "cuda:1"})
    with pytest.raises(TypeError, match="weights_only must be a bool or None, got str"):
        fastgrad.load(tmp_path / "c.pt", weights_only="yes")
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['mmap_mode'\]"):
        fastgrad.load(tmp_path / "c.pt", mmap_mode=True)
    with pytest.raises(TypeError, match="f must be a path or a binary file object with a write method, got int"):
        fastgrad.save({"a": 1}, 3)
    with pytest.raises(TypeError, match="f must be a path or a binary file object with a read method, got int"):
        fastgrad.load(3)
    with pytest.raises(CheckpointError, match="<file object> is not a fastgrad checkpoint: not a zip archive"):
        fastgrad.load(io.BytesIO(b"not a checkpoint"))


def test_two_checkpoints_in_one_stream_are_refused_not_read_as_the_last(tmp_path):
    """torch.load would read the first; the zip reader finds the last one. One checkpoint per file here."""
    buffer = io.BytesIO()
    fastgrad.save({"a": 1}, buffer)
    fastgrad.save({"b": 2}, buffer)
    buffer.seek(0)
    with pytest.raises(CheckpointError, match="holds data before its checkpoint"):
        fastgrad.load(buffer)
    (tmp_path / "two.pt").write_bytes(buffer.getvalue())
    with pytest.raises(CheckpointError, match="holds data before its checkpoint"):
        fastgrad.load(tmp_path / "two.pt")
    fastgrad.save({"a": 1}, tmp_path / "c.pt")
    with open(tmp_path / "c.pt") as text_file, pytest.raises(TypeError, match="opened in binary mode"):
        fastgrad.load(text_file)
