"""`fastgrad.mps`, as torch.mps answers on a machine without Apple's GPU: not available, no devices; seeding
checks its argument and seeds nothing."""
from fastgrad.cuda import device_count, is_available, manual_seed  # noqa: F401  (the same answers as fastgrad.cuda)
