"""`--json FILE`: the exhunt.hunt/2 contract (DESIGN.md), ASCII-safe whatever the evidence held."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from exhunt.model import HuntResult


def dumps(result: HuntResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=True)


def write_json(result: HuntResult, path: str) -> None:
    text = dumps(result) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")
