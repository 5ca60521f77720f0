"""Log timestamps to aware UTC datetimes. Exchange and IIS log in UTC (docs/logs.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_LOOSE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,7}))?\s*(Z|[+-]\d{2}:?\d{2})?")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s*([AP]M))?", re.IGNORECASE)


def parse_iso(text: str) -> datetime | None:
    """`2021-03-03T06:49:43.699Z` and friends; None when the text is not a timestamp."""
    text = text.strip()
    if not text:
        return None
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return find_timestamp(text)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def parse_w3c(date: str, time: str) -> datetime | None:
    """IIS `date` and `time` fields (UTC by the W3C format's definition)."""
    try:
        return datetime.fromisoformat(f"{date.strip()}T{time.strip()}").replace(tzinfo=UTC)
    except ValueError:
        return None


def find_timestamp(text: str) -> datetime | None:
    """The first timestamp-looking text in a free-form line (ISO 8601, or US `M/D/YYYY h:mm:ss AM`)."""
    m = _LOOSE.search(text)
    if m:
        year, month, day, hour, minute, second, frac, zone = m.groups()
        try:
            ts = datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second),
                int((frac or "0").ljust(6, "0")[:6]),
                tzinfo=UTC,
            )
        except ValueError:
            return None
        if zone and zone != "Z":
            try:
                ts = datetime.fromisoformat(ts.replace(tzinfo=None).isoformat() + zone).astimezone(UTC)
            except ValueError:
                return None
        return ts
    m = _US.search(text)
    if m:
        month, day, year, hour, minute, second, ampm = m.groups()
        h = int(hour)
        if ampm:
            h = h % 12 + (12 if ampm.upper() == "PM" else 0)
        try:
            return datetime(int(year), int(month), int(day), h, int(minute), int(second), tzinfo=UTC)
        except ValueError:
            return None
    return None
