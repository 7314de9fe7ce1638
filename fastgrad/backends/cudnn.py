"""`torch.backends.cudnn` as PyTorch has it without a GPU: the flags that seeding and training boilerplate
sets (`deterministic`, `benchmark`, `enabled`, `allow_tf32`) exist and can be set, and change nothing, since
cuDNN never runs here."""

enabled = True
deterministic = False
benchmark = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version() -> None:
    return None
