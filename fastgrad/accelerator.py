"""`fastgrad.accelerator`, as torch.accelerator answers on a machine with none: not available, no current
accelerator, no devices; what needs a device raises as PyTorch's does. The tutorial's
`torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"` gives "cpu"."""
from __future__ import annotations

_NO_ACCELERATOR = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False) -> None:
    return None


def device_count() -> int:
    return 0


def current_device_index() -> int:
    raise RuntimeError(_NO_ACCELERATOR)


def synchronize(device=None) -> None:
    raise RuntimeError(_NO_ACCELERATOR)


def current_stream(device=None):
    raise RuntimeError(_NO_ACCELERATOR)


def accelerator_move(kind: str, brand: str):
    """Tensor's method `kind` (`cuda`, `xpu`): a move to that accelerator, which raises as PyTorch's does
    without one: an index needs an accelerator, another device type is invalid, and the accelerator itself
    is not built in (AssertionError, PyTorch's type for it)."""
    def move(self, device=None, non_blocking: bool = False, memory_format=None):
        from fastgrad.tensor import device as device_class  # (fastgrad.tensor imports this module)

        if device is not None and (isinstance(device, bool) or not isinstance(device, (str, int, device_class))):
            raise TypeError(f"{kind}(): argument 'device' (position 1) must be fastgrad.device, a string or an int, "
                            f"not {type(device).__name__}")
        if not isinstance(non_blocking, bool):
            raise TypeError(f"{kind}(): argument 'non_blocking' (position 2) must be bool, not "
                            f"{type(non_blocking).__name__}")
        if isinstance(device, int):
            raise RuntimeError(_NO_ACCELERATOR)
        if device is not None and (isinstance(device, device_class) or device.split(":")[0] != kind):
            raise RuntimeError(f"Invalid device, must be {kind} device (got {str(device)!r})")
        raise AssertionError(f"fastgrad is not compiled with {brand} enabled: it runs on the CPU only")

    move.__name__ = move.__qualname__ = kind
    return move
