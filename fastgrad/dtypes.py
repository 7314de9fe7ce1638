"""dtypes are NumPy dtypes; floats default to float32 and indices are int64, as in PyTorch."""
import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
bool_ = np.dtype(np.bool_)
default_float = float32

_BY_NAME = {"float32": float32, "float": float32, "float64": float64, "double": float64, "int64": int64,
            "long": int64, "int32": int32, "int": int32, "bool": bool_}


def as_dtype(dtype) -> np.dtype:
    """Accept fastgrad/NumPy dtypes, Python types and names like "float32"."""
    if isinstance(dtype, str):
        if dtype not in _BY_NAME:
            raise TypeError(f"unknown dtype {dtype!r}; expected one of {sorted(_BY_NAME)}")
        return _BY_NAME[dtype]
    if dtype is float:
        return default_float
    if dtype is int:
        return int64
    return np.dtype(dtype)


def is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f"
