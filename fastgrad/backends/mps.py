"""`torch.backends.mps` as PyTorch has it without Apple's GPU: neither available nor built."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
