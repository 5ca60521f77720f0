"""`--json FILE`: the exhunt.hunt/2 contract (docs/contracts.md), ASCII-safe whatever the evidence held."""

from __future__ import annotations

import json
import sys

from exhunt.model import HuntResult
from exhunt.outfile import replaced


def dumps(result: HuntResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=True)


def write_json(result: HuntResult, path: str) -> None:
    text = dumps(result) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        with replaced(path) as out:
            out.write(text)
