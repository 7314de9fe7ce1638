"""Where the shared data sets are: $FASTGRAD_DATA, else `../shared/data` beside the checkout."""
from __future__ import annotations

import os
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The data folder (it may not exist; callers that need a file say which one is missing)."""
    env = os.environ.get("FASTGRAD_DATA")
    return Path(env) if env else _CHECKOUT.parent / "shared" / "data"


def data_file(relative: str) -> Path:
    """A file inside the data folder, or FileNotFoundError naming where it was looked for."""
    path = data_dir() / relative
    if not path.exists():
        raise FileNotFoundError(f"data file {relative!r} not found at {path} (set FASTGRAD_DATA to the data folder)")
    return path
