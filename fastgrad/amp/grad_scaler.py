"""GradScaler, as torch.amp.GradScaler: it scales a float16 loss so that small gradients do not underflow.
fastgrad has no float16, so only a disabled scaler exists, and it is PyTorch's disabled one: `scale` returns
its argument, `unscale_` and `update` do nothing, `step` calls `optimizer.step`, `get_scale()` is 1.0 and
`state_dict()` is empty. PyTorch disables a CUDA scaler without CUDA (with a warning), and so does fastgrad;
an enabled CPU scaler raises NotImplementedError."""
from __future__ import annotations

import warnings

from fastgrad.amp.autocast_mode import device_type_of


class GradScaler:
    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        self._device = device_type_of("GradScaler", device)
        self._enabled = bool(enabled)
        if self._enabled and self._device == "cuda":
            warnings.warn("GradScaler is enabled, but CUDA is not available. Disabling.", UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled:
            raise NotImplementedError("GradScaler: fastgrad has no float16, whose gradients loss scaling keeps from "
                                      "underflowing; use GradScaler(device, enabled=False), which passes them through")
        self._settings: dict = {}  # only those set after construction, as PyTorch's disabled scaler keeps

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer) -> None:
        pass

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        pass

    def get_scale(self) -> float:
        return 1.0

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        pass

    def _setting(self, name: str):
        if name not in self._settings:  # PyTorch's disabled scaler has no value until one is set
            raise AttributeError(f"'GradScaler' object has no attribute '_{name}' (a disabled scaler keeps only the "
                                 f"settings given to its setters)")
        return self._settings[name]

    def get_growth_factor(self) -> float:
        return self._setting("growth_factor")

    def set_growth_factor(self, new_factor: float) -> None:
        self._settings["growth_factor"] = new_factor

    def get_backoff_factor(self) -> float:
        return self._setting("backoff_factor")

    def set_backoff_factor(self, new_factor: float) -> None:
        self._settings["backoff_factor"] = new_factor

    def get_growth_interval(self) -> int:
        return self._setting("growth_interval")

    def set_growth_interval(self, new_interval: int) -> None:
        self._settings["growth_interval"] = new_interval
