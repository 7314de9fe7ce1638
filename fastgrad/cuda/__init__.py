"""`fastgrad.cuda`: what `torch.cuda` answers on a machine without CUDA, so that the usual
`device = torch.device("cuda" if torch.cuda.is_available() else "cpu")` and seeding lines run."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Seeds no CUDA generator, since none exists (as in PyTorch without CUDA); the seed is still checked."""
    int(seed)


def manual_seed_all(seed: int) -> None:
    int(seed)


from fastgrad.cuda import amp  # noqa: E402  (reachable as fastgrad.cuda.amp after `import fastgrad`, as in PyTorch)
