"""What a compiled Sigma rule sees of one event or web log record: values by field name.

Values are looked up on demand and their lower-case form is kept for the rest of the event, so
twenty rules testing `CommandLine` lower it once. The event's own header (EventID, Channel,
Provider_Name, Computer, ...) answers to the names Sigma rules use for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from exhunt.events.record import EventRecord

ANY_FIELD = "*"  # keyword searches: any field of the event
# the event's header, answering to the names Sigma rules use for it
HEADER_FIELDS = frozenset({"EventID", "Channel", "Provider_Name", "Computer", "Level", "EventRecordID"})


class EventView:
    """Field access for one record. `lookup(name)` gives the raw value or None."""

    __slots__ = ("_all", "_joined", "_lookup", "_low_values", "_lower")

    def __init__(self, lookup: Callable[[str], str | None], values: Callable[[], Iterable[str]]) -> None:
        self._lookup = lookup
        self._all = values
        self._lower: dict[str, str | None] = {}
        self._low_values: list[str] | None = None
        self._joined: str | None = None

    def raw(self, field: str) -> str | None:
        return self._lookup(field)

    def low(self, field: str) -> str | None:
        try:
            return self._lower[field]
        except KeyError:
            value = self._lookup(field)
            low = value.lower() if value is not None else None
            self._lower[field] = low
            return low

    def values(self) -> list[str]:
        return [v for v in self._all() if v]

    def low_values(self) -> list[str]:
        if self._low_values is None:
            self._low_values = [v.lower() for v in self.values()]
        return self._low_values

    def low_joined(self) -> str:
        """Every value, lower case, one per line: what keyword anchors are looked for in."""
        if self._joined is None:
            self._joined = "\n".join(self.low_values())
        return self._joined


def _system(record: EventRecord) -> dict[str, str | None]:
    return {
        "EventID": str(record.event_id) if record.event_id is not None else None,
        "Channel": record.channel or None,
        "Provider_Name": record.provider or None,
        "Computer": record.computer or None,
        "Level": str(record.level) if record.level is not None else None,
        "EventRecordID": str(record.record_id) if record.record_id is not None else None,
    }


def event_view(record: EventRecord) -> EventView:
    """The view of a Windows event: EventData fields first, then the System header."""
    data = record.data
    system: dict[str, str | None] | None = None

    def lookup(field: str) -> str | None:
        nonlocal system
        value = data.get(field)
        if value is not None:
            return value
        if system is None:
            system = _system(record)
        return system.get(field)

    def values() -> Iterable[str]:
        return data.values()

    return EventView(lookup, values)


def mapped_view(get: Callable[[str], str], columns: Mapping[str, str], every: Callable[[], Iterable[str]]) -> EventView:
    """The view of a log record whose columns carry other names than Sigma's (`columns` maps
    Sigma names to columns); an empty or '-' column counts as absent, as W3C logs write it."""

    def lookup(field: str) -> str | None:
        value = get(columns.get(field, field))
        return value if value and value != "-" else None

    return EventView(lookup, every)
