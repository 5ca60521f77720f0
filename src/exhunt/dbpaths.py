"""Where exhunt keeps its stores by default: a module of its own, so the hunt finds the path
without importing the scanner (and its HTTP client) that owns the scan store."""

from __future__ import annotations

import os
from pathlib import Path


def default_db_path() -> Path:
    """`$EXHUNT_DB`, else `$XDG_DATA_HOME/exhunt/scans.sqlite` (~/.local/share/... by default)."""
    if os.environ.get("EXHUNT_DB"):
        return Path(os.environ["EXHUNT_DB"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "exhunt" / "scans.sqlite"
