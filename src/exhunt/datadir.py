"""Where exhunt keeps what it stores between runs (its own module: the hunt and the scan both
need the place, and neither should import the other's stack for it)."""

from __future__ import annotations

import os
from pathlib import Path


def default_db_path() -> Path:
    """`$EXHUNT_DB`, else `$XDG_DATA_HOME/exhunt/scans.sqlite` (~/.local/share/... by default)."""
    if os.environ.get("EXHUNT_DB"):
        return Path(os.environ["EXHUNT_DB"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "exhunt" / "scans.sqlite"
