"""Where exhunt may write: never inside the evidence it reads."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def _real(path: str) -> str:
    """The real path of `path`, links resolved as far as they exist (the file may not yet)."""
    return str(Path(path).resolve())


def inside(path: str, root: str) -> bool:
    """Whether `path` is `root` itself or lies under it, after resolving links."""
    real, real_root = _real(path), _real(root)
    try:
        return os.path.commonpath([real, real_root]) == real_root
    except ValueError:  # different drives on Windows
        return False


def outputs_inside(outputs: Iterable[str | None], evidence: str) -> list[str]:
    """The output paths (not '-', stdout) that would be written inside the evidence."""
    return [p for p in outputs if p and p != "-" and inside(p, evidence)]
