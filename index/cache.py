"""Where Lintas keeps what it makes once per machine and reuses (model folders, the vector cache,
eval indexes, langdetect's table for queries): $LINTAS_CACHE, else the user's cache folder.
Shared by every room, like errors.py; imports nothing of the project."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    env = os.environ.get("LINTAS_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("lintas"))
