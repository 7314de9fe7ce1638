"""Checkpoints without pickle: `fastgrad.save(obj, path)` and `fastgrad.load(path)`.

What can be saved: nested dicts (str or int keys), lists and tuples of Tensors, NumPy arrays and
scalars, Python numbers, strings, booleans and None; that covers the state dicts of modules,
optimizers and schedulers, `fastgrad.get_rng_state()` and step counters.

File format (version 2; version 1 files, which hold none of the nodes marked "2:", still load): one
NumPy `.npz` archive (a zip of `.npy` files, written by `np.savez`).

- `__fastgrad__.npy`: a uint8 array holding UTF-8 JSON, `{"format": "fastgrad-checkpoint",
  "version": 2, "root": NODE}`.
- `a0.npy`, `a1.npy`, ...: the arrays the structure refers to.

A NODE is one of
- a JSON string, integer (at most `MAX_INT_BITS` bits), true/false or null: that value;
- `{"float": x}` for a finite float, `{"float": "nan" | "inf" | "-inf"}` otherwise (JSON has no NaN);
- `{"dict": [[key, NODE], ...]}` (keys str or int, order kept), 2: `{"ordered_dict": [[key, NODE], ...]}`
  (a `collections.OrderedDict`, as `state_dict()` returns), `{"list": [NODE, ...]}`, `{"tuple": [NODE, ...]}`;
- `{"tensor": "aK", "requires_grad": bool}`, 2: `{"parameter": "aK", "requires_grad": bool}` (an
  `nn.Parameter`), `{"array": "aK"}`, `{"scalar": "aK"}` (a NumPy scalar, stored as a 0-d array);
- 2: a tensor or parameter node may add `"view": [offset, shape, strides]` (bytes, element counts, bytes):
  the tensor is that window of array aK. Tensors that share memory (`a` and `a[1:]`) are saved so, as
  PyTorch saves a storage once: their common base array is written once and each tensor is a view of it,
  so that after loading they share memory again. A tensor that shares with no other saved tensor is
  written on its own (only its elements).

The node kinds are a fixed list; each maps to one fixed type (dict, OrderedDict, list, tuple, Tensor,
Parameter, NumPy array or scalar): nothing in the file names code to import or run.

Loading reads the archive with `allow_pickle=False` and builds the object from the JSON: it never
runs code from the file. Object arrays are refused on save. A truncated or altered file (the zip
stores a CRC-32 per member, checked on read) or an unknown structure raises `CheckpointError`
naming the file; so does a crafted structure entry (nesting deeper than `MAX_DEPTH`, integers
beyond `MAX_INT_BITS` bits, floats given as huge integers). `save` writes a temporary file in the target folder, syncs it and renames it over
the target (`os.replace`), so a crash mid-write leaves the previous checkpoint intact.
"""
from __future__ import annotations

import io
import json
from collections import OrderedDict
import math
import os
import tempfile
import zipfile
from typing import Any, BinaryIO

import numpy as np

from fastgrad.nn.parameter import Parameter
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Tensor, check_device, device

FORMAT = "fastgrad-checkpoint"
VERSION = 2
READABLE_VERSIONS = (1, 2)
STRUCTURE_KEY = "__fastgrad__"
MAX_DEPTH = 100       # state dicts nest a few levels; far deeper is a crafted file, refused before recursing
MAX_INT_BITS = 1024   # RNG states hold 128-bit integers; far larger ones are refused (they cost quadratic time)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read: truncated, altered, or not a fastgrad checkpoint."""


def _memory_root(array: np.ndarray) -> np.ndarray:
    """The array at the bottom of array's chain of NumPy views: the one whose memory all of them share."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def _window_of(array: np.ndarray, root: np.ndarray) -> list | None:
    """[offset, shape, strides] placing array inside root's memory, or None when it cannot be rebuilt from
    root as saved: another dtype, a root not laid out contiguously, or elements outside root's bytes."""
    if array.dtype != root.dtype or not (root.flags.c_contiguous or root.flags.f_contiguous):
        return None
    offset = _address(array) - _address(root)
    low = offset + sum((n - 1) * s for n, s in zip(array.shape, array.strides) if s < 0)
    high = offset + sum((n - 1) * s for n, s in zip(array.shape, array.strides) if s > 0) + array.itemsize
    if array.size and (low < 0 or high > root.nbytes):
        return None
    return [offset, list(array.shape), list(array.strides)]


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        # id(memory root) -> (root, [(tensor node, the tensor's array), ...]): tensors are placed once all
        # are known, since whether one is written as a view depends on whether another shares its memory
        self.tensors_by_root: dict[int, tuple[np.ndarray, list[tuple[dict, np.ndarray]]]] = {}

    def _add(self, array: np.ndarray, where: str) -> str:
        if array.dtype.hasobject:
            raise TypeError(f"save: {where} is an array of Python objects (dtype {array.dtype}), which needs pickle")
        name = f"a{len(self.arrays)}"
        self.arrays[name] = array
        return name

    def encode_root(self, obj: Any) -> Any:
        root = self.encode(obj)
        for memory, users in self.tensors_by_root.values():
            windows = [_window_of(array, memory) for _, array in users] if len(users) > 1 else [None]
            name = self._add(memory, "a shared tensor") if any(w is not None for w in windows) else None
            for (node, array), window in zip(users, windows):
                kind = "parameter" if "parameter" in node else "tensor"
                if window is None:
                    node[kind] = self._add(array, "a tensor")
                    continue
                node[kind] = name
                if window != [0, list(memory.shape), list(memory.strides)]:
                    node["view"] = window
        return root

    def encode(self, obj: Any, where: str = "obj") -> Any:
        if isinstance(obj, np.generic):  # first: np.float64 is also a Python float, and would lose its type
            return {"scalar": self._add(np.asarray(obj), where)}
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return {"float": obj if math.isfinite(obj) else repr(obj)}
        if isinstance(obj, Tensor):
            if obj._data.dtype.hasobject:
                raise TypeError(f"save: {where} is an array of Python objects (dtype {obj._data.dtype}), which needs pickle")
            node = {"parameter" if isinstance(obj, Parameter) else "tensor": None,
                    "requires_grad": bool(obj.requires_grad)}
            memory = _memory_root(obj._data)
            self.tensors_by_root.setdefault(id(memory), (memory, []))[1].append((node, obj._data))
            return node
        if isinstance(obj, np.ndarray):
            return {"array": self._add(obj, where)}
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise TypeError(f"save: {where} has a key {key!r} of type {type(key).__name__}; "
                                    "keys must be str or int")
                items.append([key, self.encode(value, f"{where}[{key!r}]")])
            return {"ordered_dict" if isinstance(obj, OrderedDict) else "dict": items}
        if isinstance(obj, (list, tuple)):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {kind: [self.encode(value, f"{where}[{i}]") for i, value in enumerate(obj)]}
        if isinstance(obj, SparseRowGrad):
            raise TypeError(f"save: {where} is a sparse gradient; save obj.to_dense() or its rows and values")
        raise TypeError(f"save: {where} has type {type(obj).__name__}, which a checkpoint cannot hold (expected "
                        "dict, list, tuple, Tensor, NumPy array or scalar, int, float, str, bool or None)")


def _mode_for(path: str) -> int:
    """The permissions a plain open(path, "wb") would leave: an existing file's, else 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask: read where Linux shows it, else set and restored (which, for a moment, is
    not the umask of other threads creating files)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def save(obj: Any, f: str | os.PathLike | BinaryIO) -> None:
    """Write obj to f in the format described in this module's docstring: to a path atomically, as a
    plain write would (through a symbolic link to its target, keeping an existing file's permissions, and
    giving a new file the umask's), or into a binary file object (io.BytesIO, an open file) at its
    position, as torch.save does."""
    encoder = _Encoder()
    root = encoder.encode_root(obj)
    header = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    members = {STRUCTURE_KEY: np.frombuffer(header.encode("utf-8"), dtype=np.uint8), **encoder.arrays}
    if hasattr(f, "write"):
        np.savez(f, allow_pickle=False, **members)
        return
    if not isinstance(f, (str, bytes, os.PathLike)):
        raise TypeError(f"save: f must be a path or a binary file object with a write method, got {type(f).__name__}")
    path = os.path.realpath(os.fspath(f))
    folder = os.path.dirname(os.path.abspath(path))
    handle, temp_path = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, allow_pickle=False, **members)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp_path, _mode_for(path))  # (mkstemp makes the file private: 0600)
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.remove(temp_path)
        raise


def _check_map_location(map_location) -> None:
    """PyTorch's map_location forms, each of which must lead to the CPU."""
    if map_location is None or callable(map_location) and not isinstance(map_location, (str, device)):
        return
    targets = map_location.values() if isinstance(map_location, dict) else (map_location,)
    for target in targets:
        check_device("load: map_location", target)


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray], path: str) -> None:
        self.arrays, self.path = arrays, path

    def fail(self, problem: str) -> CheckpointError:
        return CheckpointError(f"{self.path} is not a valid fastgrad checkpoint: {problem}")

    def array(self, name: Any) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays:
            raise self.fail(f"the structure refers to array {name!r}, which the file does not contain")
        return self.arrays[name]

    def decode(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"the structure nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, int) and not isinstance(node, bool) and node.bit_length() > MAX_INT_BITS:
            raise self.fail(f"an integer of {node.bit_length()} bits (at most {MAX_INT_BITS} are allowed)")
        if node is None or isinstance(node, (bool, int, str)):
            return node
        if not isinstance(node, dict) or len(node) not in (1, 2, 3):
            raise self.fail(f"unexpected structure node {str(node)[:80]}")
        if "float" in node:
            return self._float(node["float"])
        if "dict" in node or "ordered_dict" in node:
            mapping = dict if "dict" in node else OrderedDict
            pairs = self._pairs(node["dict" if "dict" in node else "ordered_dict"])
            return mapping((self.decode(key, depth + 1), self.decode(value, depth + 1)) for key, value in pairs)
        if "list" in node:
            return [self.decode(value, depth + 1) for value in self._sequence(node["list"])]
        if "tuple" in node:
            return tuple(self.decode(value, depth + 1) for value in self._sequence(node["tuple"]))
        if "tensor" in node or "parameter" in node:
            array = self.array(node["tensor" if "tensor" in node else "parameter"])
            if "view" in node:
                array = self._view(array, node["view"])
            if "parameter" in node:
                return Parameter(array, requires_grad=node.get("requires_grad") is True)
            tensor = Tensor._wrap(array, False, None)
            if node.get("requires_grad") is True:
                tensor.requires_grad_(True)
            return tensor
        if "array" in node:
            return self.array(node["array"])
        if "scalar" in node:
            return self.array(node["scalar"])[()]
        raise self.fail(f"unknown structure node kind {sorted(node)}")

    def _view(self, memory: np.ndarray, window: Any) -> np.ndarray:
        """The window [offset, shape, strides] of memory, sharing it; NumPy's constructor refuses a window
        reaching outside memory's bytes, so a crafted one cannot read beyond them."""
        if not (isinstance(window, list) and len(window) == 3 and isinstance(window[0], int)
                and all(isinstance(w, list) and all(isinstance(n, int) and not isinstance(n, bool) for n in w)
                        for w in window[1:]) and len(window[1]) == len(window[2])):
            raise self.fail(f"a view must be [offset, shape, strides] of integers, got {str(window)[:80]}")
        if not (memory.flags.c_contiguous or memory.flags.f_contiguous):
            raise self.fail("a view refers to an array that is not laid out contiguously")
        offset, shape, strides = window
        try:
            return np.ndarray(shape, memory.dtype, buffer=memory.ravel(order="K"), offset=offset, strides=strides)
        except (TypeError, ValueError) as error:
            raise self.fail(f"the view {str(window)[:80]} does not fit its array of {memory.nbytes} bytes ({error})") from None

    def _float(self, value: Any) -> float:
        if isinstance(value, float) or value in ("nan", "inf", "-inf"):
            return float(value)
        if isinstance(value, int) and not isinstance(value, bool):
            self.decode(value)  # the size check
            try:
                return float(value)
            except OverflowError:
                raise self.fail(f"the float {str(value)[:20]}... is too large") from None
        raise self.fail(f"malformed structure: a float node holds {str(value)[:80]!r}")

    def _sequence(self, values: Any) -> list:
        if not isinstance(values, list):
            raise self.fail(f"expected a JSON list, got {type(values).__name__}")
        return values

    def _pairs(self, items: Any) -> list:
        items = self._sequence(items)
        if not all(isinstance(i, list) and len(i) == 2 and isinstance(i[0], (str, int)) for i in items):
            raise self.fail("a dict node must be a list of [key, value] pairs with str or int keys")
        return items


def load(f: str | os.PathLike | BinaryIO, map_location=None, weights_only: bool | None = None,
         mmap: bool | None = None, **kwargs) -> Any:
    """Read a checkpoint written by `save`, from a path or a binary file object (from its position).
    Arrays come back as NumPy arrays, Tensors as Tensors. PyTorch's arguments are accepted for the code
    that passes them: every tensor is on the CPU, so `map_location` may only name the CPU (a device, a
    string, a {from: to} dict, or a function, which has nothing to move); the file never holds code, so
    `weights_only` changes nothing, and neither does `mmap` (the arrays are read into memory)."""
    _check_map_location(map_location)
    for name, flag in (("weights_only", weights_only), ("mmap", mmap)):
        if not isinstance(flag, (bool, type(None))):
            raise TypeError(f"load: {name} must be a bool or None, got {type(flag).__name__}")
    if kwargs:
        raise TypeError(f"load: unexpected keyword arguments {sorted(kwargs)}")
    if hasattr(f, "read"):
        if isinstance(f, io.TextIOBase):
            raise TypeError("load: f must be a file opened in binary mode ('rb'), got a text file")
        path, data = getattr(f, "name", "<file object>"), f.read()
        if not isinstance(data, bytes):
            raise TypeError(f"load: f must be opened in binary mode ('rb'), got {type(data).__name__} from read()")
        source = io.BytesIO(data)
    elif isinstance(f, (str, bytes, os.PathLike)):
        path = source = os.fspath(f)
    else:
        raise TypeError(f"load: f must be a path or a binary file object with a read method, got {type(f).__name__}")
    if isinstance(source, io.BytesIO):
        magic = source.getvalue()[:4]
    else:
        with open(path, "rb") as file:  # (FileNotFoundError as it is)
            magic = file.read(4)
    if magic != b"PK\x03\x04":  # not a zip archive: NumPy would guess at a .npy or pickled data
        raise CheckpointError(f"{path} is not a fastgrad checkpoint: not a zip archive (an .npz file)")
    try:
        with zipfile.ZipFile(source) as archive:
            first_member = min((member.header_offset for member in archive.infolist()), default=0)
        with np.load(source, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}  # reads every member, checking its CRC
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise CheckpointError(f"{path} is not a valid fastgrad checkpoint (truncated or altered?): {error}") from None
    if first_member != 0:
        # Two checkpoints written one after the other: the zip reader finds the last one, where torch.load
        # would read the first. Refused: one checkpoint per file or file object here.
        raise CheckpointError(f"{path} holds data before its checkpoint (two checkpoints written one after the "
                              "other?); fastgrad.load reads a file holding exactly one")
    decoder = _Decoder(arrays, path)
    header = arrays.pop(STRUCTURE_KEY, None)
    if header is None or header.dtype != np.uint8 or header.ndim != 1:
        raise decoder.fail(f"it has no {STRUCTURE_KEY} structure entry")
    try:
        document = json.loads(header.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:  # ValueError: also integers of more than 4300 digits
        raise decoder.fail(f"its structure entry is not valid JSON ({error})") from None
    except RecursionError:
        raise decoder.fail("its structure entry nests too deeply to read") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or "root" not in document:
        raise decoder.fail("the structure entry does not describe a fastgrad checkpoint")
    if document.get("version") not in READABLE_VERSIONS:
        raise decoder.fail(f"format version {document.get('version')!r}; this fastgrad reads versions "
                           f"{', '.join(map(str, READABLE_VERSIONS))}")
    try:
        return decoder.decode(document["root"])
    except CheckpointError:
        raise
    except (TypeError, ValueError, OverflowError, RecursionError) as error:
        raise decoder.fail(f"malformed structure ({error})") from None
