"""dtypes are NumPy dtypes; floats default to float32 (see set_default_dtype) and indices are int64, as in
PyTorch."""
import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
# The dtype of floating tensors made without one; read it through get_default_dtype() when a tensor is made,
# never into a name at import time, so that set_default_dtype reaches every such place.
_default_float = float32



class AbsentDtype:
    """A PyTorch dtype that fastgrad does not compute in (float16, bfloat16). The name exists, so that code naming
    it runs: a dict of dtypes built at start-up, `autocast(dtype=torch.bfloat16, enabled=False)`, `x.dtype ==
    torch.float16` (False), `finfo(torch.float16)`. Making a tensor of it raises. (NumPy's float16 arithmetic
    accumulates in float16 where PyTorch's accumulates in float32: a mean of 100,000 float16 values came out 0,
    a cumulative sum stopped at 256; so fastgrad takes no float16 data at all.)"""

    __slots__ = ("name", "limits")
    is_floating_point, is_complex, is_signed, itemsize = True, False, True, 2

    def __init__(self, name: str, limits: dict) -> None:
        self.name, self.limits = name, limits

    def __repr__(self) -> str:
        return f"fastgrad.{self.name}"

    def __reduce__(self) -> str:  # copy and deepcopy keep the one object
        return self.name


_HALF_LIMITS = np.finfo(np.float16)
float16 = half = AbsentDtype("float16", {"bits": 16, "eps": float(_HALF_LIMITS.eps), "max": float(_HALF_LIMITS.max),
                                         "tiny": float(_HALF_LIMITS.tiny), "resolution": 0.001})
# bfloat16: float32's exponent with 8 bits of significand (7 stored)
bfloat16 = AbsentDtype("bfloat16", {"bits": 16, "eps": 2.0 ** -7, "max": (2.0 - 2.0 ** -7) * 2.0 ** 127,
                                    "tiny": 2.0 ** -126, "resolution": 0.01})


def refuse_absent(dtype: AbsentDtype) -> TypeError:
    return TypeError(f"dtype {dtype} is not supported: fastgrad has no 16-bit floats (its floating point dtypes are "
                     "float32 and float64); use fastgrad.float32")


_BY_NAME = {"float32": float32, "float": float32, "float64": float64, "double": float64, "int64": int64,
            "long": int64, "int32": int32, "int": int32, "int16": int16, "short": int16, "int8": int8, "uint8": uint8,
            "bool": bool_}


class finfo:
    """Limits of a floating point dtype as Python floats, as torch.finfo: bits, eps, max, min, tiny (=
    smallest_normal) and resolution (10^-decimal digits); the default float's without an argument."""

    def __init__(self, dtype=None) -> None:
        if isinstance(dtype, AbsentDtype):  # its limits, though no tensor can have it
            self.dtype, self.bits = dtype.name, dtype.limits["bits"]
            self.eps, self.max, self.min = dtype.limits["eps"], dtype.limits["max"], -dtype.limits["max"]
            self.tiny = self.smallest_normal = dtype.limits["tiny"]
            self.resolution = dtype.limits["resolution"]
            return
        dtype = _default_float if dtype is None else as_dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"finfo: expected a floating point dtype, got {dtype}; use iinfo for integers")
        info = np.finfo(dtype)
        self.dtype, self.bits = str(dtype), info.bits
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


def iinfo(dtype) -> np.iinfo:
    """Limits of an integer dtype (min, max, bits), as torch.iinfo."""
    dtype = as_dtype(dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"iinfo: expected an integer dtype, got {dtype}; use finfo for floating point")
    return np.iinfo(dtype)


def get_default_dtype() -> np.dtype:
    """The dtype of floating tensors made without a dtype (Python floats, `zeros`, layers' parameters, integer
    division, ...): float32 unless set_default_dtype changed it, as torch.get_default_dtype."""
    return _default_float


def set_default_dtype(d) -> None:
    """Make `d` (fastgrad.float32 or fastgrad.float64) the dtype of floating tensors made without one, for
    the whole process (every thread), as torch.set_default_dtype; tensors already made keep theirs."""
    global _default_float
    # As PyTorch, dtype objects only (NumPy's scalar types too): not names ("float64") nor Python's float
    dtype = None
    if isinstance(d, np.dtype):
        dtype = d
    elif isinstance(d, type) and issubclass(d, np.generic):
        dtype = np.dtype(d)
    if dtype is None or dtype not in (float32, float64):  # (None first: NumPy's dtypes compare equal to None)
        shown = dtype if dtype is not None else f"{d!r} of type {type(d).__name__}"
        raise TypeError(f"set_default_dtype: d must be fastgrad.float32 or fastgrad.float64 (floating point; "
                        f"fastgrad has no float16 or bfloat16), got {shown}")
    _default_float = dtype


def dtype_or_default(dtype) -> np.dtype:
    """A dtype argument as a dtype, the default float dtype when None (layers' and creation functions')."""
    return as_dtype(dtype) if dtype is not None else _default_float


def as_dtype(dtype) -> np.dtype:
    """Accept fastgrad/NumPy dtypes, Python types and names like "float32"."""
    if isinstance(dtype, str):
        if dtype not in _BY_NAME:
            raise TypeError(f"unknown dtype {dtype!r}; expected one of {sorted(_BY_NAME)}")
        return _BY_NAME[dtype]
    # Python's types stand for PyTorch's: float is float64 (not the default float32), int is int64
    if dtype is float:
        return float64
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    if isinstance(dtype, AbsentDtype):
        raise refuse_absent(dtype)
    return supported(np.dtype(dtype), "dtype")


SUPPORTED = frozenset(_BY_NAME.values())


def supported(dtype: np.dtype, what: str) -> np.dtype:
    """dtype, if fastgrad computes in it; else a TypeError (complex, uint16-64, strings and objects would run
    through NumPy's rules, where PyTorch has its own or none; float16 would accumulate in float16, see AbsentDtype)."""
    if dtype not in SUPPORTED:
        raise TypeError(f"{what} {dtype} is not supported: fastgrad's dtypes are float32, float64, int64, int32, "
                        "int16, int8, uint8 and bool")
    return dtype


def is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


# -- type promotion: PyTorch's rules, in one place ------------------------------------------------
# Operands rank by category, bool < integer < floating. Within the highest category present, tensors
# with dims decide over 0-dim tensors, which decide over Python numbers; a Python number (or NumPy
# scalar) of a higher category than every tensor gives the default dtype of its category.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _category(dtype: np.dtype) -> int:
    return _CATEGORY[dtype.kind]


def scalar_dtype(value) -> np.dtype:
    """The dtype a Python number or NumPy scalar takes when it stands alone (`tensor(value)`)."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    return _default_float


def result_type(*operands) -> np.dtype:
    """The dtype of an elementwise op on `operands`: arrays (0-dim or not) and Python numbers.

    Mirrors torch.result_type: int64 tensor + float32 tensor -> float32; float32 tensor + 2.5 ->
    float32; int64 tensor + 2.5 -> the default dtype (float32 unless set); float32 tensor + float64 0-dim
    tensor -> float32; int64 tensor + float64 0-dim tensor -> float64."""
    first = operands[0] if operands else None
    if type(first) is np.ndarray:  # the common case, arrays of one dtype: no rule can pick another
        for x in operands:
            if type(x) is not np.ndarray or x.dtype != first.dtype:
                break
        else:
            return first.dtype
    ranked = {0: [], 1: [], 2: []}  # priority: dimensioned tensors, 0-dim tensors, numbers
    for x in operands:
        if isinstance(x, np.ndarray):
            ranked[0 if x.ndim else 1].append(x.dtype)
        else:
            ranked[2].append(scalar_dtype(x))
    dtype = None
    for priority in (0, 1, 2):
        dtypes = ranked[priority]
        if not dtypes:
            continue
        top = max(_category(d) for d in dtypes)
        if dtype is not None and top <= _category(dtype):
            continue
        if priority == 2:  # numbers of a higher category: that category's default dtype
            dtype = (bool_, int64, _default_float)[top]
        else:
            best = [d for d in dtypes if _category(d) == top]
            dtype = np.result_type(*best)
    return dtype


def can_cast_in_place(result: np.dtype, target: np.dtype) -> bool:
    """An in-place op may write `result` into `target` unless that lowers the category (float into int)."""
    return _category(result) <= _category(target)


def _checked(dtype, name: str) -> np.dtype:
    """A dtype argument of the public helpers below: bool, an integer or a floating point type."""
    try:
        checked = None if dtype is None else as_dtype(dtype)  # (NumPy reads None as float64)
    except TypeError:
        checked = None
    if checked is None or checked.kind not in _CATEGORY:
        raise TypeError(f"{name} must be a dtype (bool, an integer or a floating point type), got {dtype!r}")
    return checked


def promote_types(type1, type2) -> np.dtype:
    """The smallest dtype both can be cast to by PyTorch's rules, as torch.promote_types: the higher category
    wins whole (int64 with float32 is float32, where NumPy says float64), within one the wider type."""
    type1, type2 = _checked(type1, "promote_types: type1"), _checked(type2, "promote_types: type2")
    if _category(type1) != _category(type2):
        return type1 if _category(type1) > _category(type2) else type2
    return np.promote_types(type1, type2)


def can_cast(from_, to) -> bool:
    """Whether PyTorch casts `from_` to `to` in type promotion: anything but to a lower category (float to
    integer, integer to bool), as torch.can_cast."""
    return can_cast_in_place(_checked(from_, "can_cast: from_"), _checked(to, "can_cast: to"))


def result_type_of(tensor, other) -> np.dtype:
    """torch.result_type (fastgrad.result_type): the dtype an elementwise op on `tensor` and `other` (tensors or
    numbers) gives by PyTorch's promotion rules (see result_type)."""
    operands = []
    for name, value in (("tensor", tensor), ("other", other)):
        data = getattr(value, "_data", None)  # a fastgrad Tensor's array (this module cannot import the class)
        if isinstance(data, np.ndarray):
            operands.append(data)
        elif isinstance(value, (bool, int, float, np.integer, np.floating)):
            operands.append(value)
        elif isinstance(value, np.bool_):  # (PyTorch reads a NumPy bool as the float it converts to: torch_number)
            operands.append(float(value))
        else:
            raise TypeError(f"result_type: {name} must be a Tensor or a number, got {type(value).__name__}")
    return result_type(*operands)


# -- numbers outside an integer dtype's range: PyTorch wraps them in elementwise ops, refuses them elsewhere --
def wrapped_number(value, dtype: np.dtype):
    """A Python int as PyTorch casts it into an integer tensor's dtype for an elementwise op (`uint8_tensor < -1`,
    `int8_tensor + 300`): modulo 2**bits, as C's conversion, so -1 is 255 for uint8; ints that fit neither int64
    nor uint64 raise OverflowError, as PyTorch's. Anything else is returned as it is."""
    if type(value) is not int or dtype.kind not in "iu":  # (not bool: True is 1 in every dtype)
        return value
    if not -(1 << 63) <= value < 1 << 64:
        raise OverflowError(f"the number {value} is outside both int64 and uint64, so it cannot be converted to "
                            f"{dtype}")
    bits = 8 * dtype.itemsize
    value %= 1 << bits
    if dtype.kind == "i" and value >= 1 << (bits - 1):
        value -= 1 << bits
    return dtype.type(value)


def checked_cast(values: np.ndarray, dtype: np.dtype, name: str) -> np.ndarray:
    """values in `dtype`, refusing what PyTorch refuses to convert (creation from Python numbers, clamp bounds):
    into an integer dtype, a float outside [min, max] (NaN and inf too) or an int outside it. PyTorch's one
    leniency is kept: an unsigned dtype takes a negative int down to -max (-1 is 255 for uint8)."""
    if dtype.kind in "iu" and values.dtype.kind in "iuf" and values.size:
        info = np.iinfo(dtype)
        low = -info.max if dtype.kind == "u" and values.dtype.kind != "f" else info.min
        with np.errstate(invalid="ignore"):  # (NaN compares false: refused below)
            inside = (values >= low) & (values <= info.max)
            if values.dtype.kind == "f":  # (info.max as a float may round up: int64's max is 2**63 in float64)
                inside &= values < 2.0 ** (info.bits - (dtype.kind == "i"))
        if not inside.all():
            bad = values[~inside].flat[0]
            raise RuntimeError(f"{name}: value {bad.item()} cannot be converted to type {dtype} without overflow "
                               f"(its range is [{info.min}, {info.max}])")
    return values.astype(dtype, copy=False)
