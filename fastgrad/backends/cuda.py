"""`torch.backends.cuda` as PyTorch has it without a GPU: `is_built()` is False, and `matmul`'s switches, which
training boilerplate sets (`torch.backends.cuda.matmul.allow_tf32 = True`), exist, can be set and read back, and
change nothing, since CUDA never runs here. As in PyTorch, `matmul.allow_tf32` is the float32 matmul precision
seen from CUDA: True is set_float32_matmul_precision("high"), False "highest", and it reads True whenever the
precision is not "highest"."""


class _Matmul:
    """`torch.backends.cuda.matmul`: allow_tf32 and the reduced-precision reduction flags (True, PyTorch's
    defaults); any other name raises AttributeError, as PyTorch's does, so that a misspelt switch is not
    silently kept."""

    def __init__(self) -> None:
        object.__setattr__(self, "_flags", {"allow_fp16_reduced_precision_reduction": True,
                                            "allow_bf16_reduced_precision_reduction": True})

    def __getattr__(self, name: str):
        from fastgrad import switches  # (switches imports the tensor module, which imports the backends)
        if name == "allow_tf32":
            return switches.get_float32_matmul_precision() != "highest"
        if name in self._flags:
            return self._flags[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value) -> None:
        from fastgrad import switches
        if name == "allow_tf32":
            switches.set_float32_matmul_precision("high" if value else "highest")
        elif name in self._flags:
            self._flags[name] = bool(value)
        else:
            raise AttributeError(f"Unknown attribute {name}")


matmul = _Matmul()


def is_built() -> bool:
    return False
