"""A finding's row of the hunt store's `findings` table, made from its JSON data.

Each finding's row is made when its host's findings are moved to their temporary file
(`findingspill.SpilledFindings`), from the data its JSON text is made of, and kept there beside
that text; the store reads the rows back as they are, instead of decoding every finding again
and making its facets' data a second time.
"""

from __future__ import annotations

import pickle
from typing import Any

from exhunt.fleet.jsonpieces import compact_dump

# The facets a row holds as one JSON object (the finding's fields of those names, when not empty).
FACETS = ("http", "file", "event", "process", "accounts")
# The `findings` columns of a finding's row besides its hunt, its evidence key and its host.
COLUMNS = ("rule_id", "severity", "implies", "chain", "path", "line", "timestamp", "source_ip", "facets")


def text(value: str | None) -> str | None:
    """Text a database driver accepts: undecodable bytes of evidence file names (carried as lone
    surrogates) become `\\xNN`, other lone surrogates `\\udNNN`; the full value stays exact in
    the JSON record."""
    if value is None or value.isascii():
        return value
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def row_values(data: dict[str, Any]) -> tuple[Any, ...]:
    """The values of `COLUMNS` of the finding whose `to_data` is `data`."""
    evidence = data["evidence"]
    return (
        text(data["rule_id"]),
        data["severity"],
        data["implies"],
        text(data["chain"]),
        text(evidence["path"]),
        evidence["line"],
        data["timestamp"],
        text(data["source_ip"]),
        # `to_data` leaves an absent facet out; a facet's data is never empty
        compact_dump({k: data[k] for k in FACETS if data.get(k)}),
    )


def packed_row(data: dict[str, Any]) -> bytes:
    """`row_values` as bytes (a pickle: a line number may pass 64 bits)."""
    return pickle.dumps(row_values(data), protocol=pickle.HIGHEST_PROTOCOL)


def unpacked_row(data: bytes | memoryview) -> tuple[Any, ...]:
    """The values `packed_row` packed; raises on other bytes."""
    values = pickle.loads(data)
    if not isinstance(values, tuple) or len(values) != len(COLUMNS):
        raise ValueError("not a finding's row")
    return values
