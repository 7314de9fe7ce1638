"""`fastgrad.xpu`, as torch.xpu answers on a machine without an Intel GPU: not available, no devices; seeding
checks its argument and seeds nothing."""
from fastgrad.cuda import device_count, is_available, manual_seed, manual_seed_all  # noqa: F401  (as fastgrad.cuda)
