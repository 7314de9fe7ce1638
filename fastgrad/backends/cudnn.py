"""`torch.backends.cudnn` as PyTorch has it without a GPU: the flags that seeding boilerplate sets
(`deterministic`, `benchmark`, `enabled`) exist and can be set, and change nothing, since cuDNN never
runs here."""

enabled = True
deterministic = False
benchmark = False


def is_available() -> bool:
    return False


def version() -> None:
    return None
