"""TOML from users (configuration, rule files, Sigma level mappings) read without a crash.

`tomllib` recurses once per level of nested arrays and inline tables, so a file nested a few
thousand levels deep raises `RecursionError`, which escapes every `except TOMLDecodeError`.
Here it is a `TOMLDecodeError` like any other malformed file, reported where the file is read.
"""

from __future__ import annotations

import tomllib
from typing import Any


def loads(text: str) -> dict[str, Any]:
    """`tomllib.loads` that raises `TOMLDecodeError` (never `RecursionError`) on any input."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError("nested too deeply to read") from None
