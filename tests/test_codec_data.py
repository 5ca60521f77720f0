"""`codec.to_data` makes each class's data with a function made for the class: the same data,
key for key and value for value, as a walk over the class's fields and their markers."""

from __future__ import annotations

import collections.abc
import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from exhunt.codec import OMIT_EMPTY, PAIRS, to_data
from exhunt.model import Account, AccountRole, EventFacet, Finding, HostAssessment, HuntResult, ProcessFacet
from hostile_strategies import findings, hosts
from test_findingpack import FULL


def _walked(value: Any) -> Any:
    """The data of `value` by walking `dataclasses.fields` (what `to_data` did for each value)."""
    if value.__class__ in (str, int, float, bool, type(None)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            marks = f.metadata.get("codec", frozenset())
            item = getattr(value, f.name)
            if OMIT_EMPTY in marks and (item is None or (isinstance(item, (tuple, list, dict, str)) and not item)):
                continue
            out[f.name] = {str(k): _walked(v) for k, v in item} if PAIRS in marks else _walked(item)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        ts = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return ts.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_walked(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _walked(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, collections.abc.Sequence) and not isinstance(value, (str, bytes)):
        return [_walked(v) for v in value]
    return value


@settings(max_examples=60)
@given(hosts(), st.lists(findings(), max_size=4))
def test_the_data_is_that_of_a_walk_over_the_fields(host: HostAssessment, more: list[Finding]) -> None:
    host.findings = [*host.findings, *more, FULL]
    assert to_data(host) == _walked(host)
    result = HuntResult("x", datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC), [host])
    assert result.to_dict() == {"schema": "exhunt.hunt/2", **_walked(result)}


def test_odd_values_are_made_as_before() -> None:
    """Values a field's type does not name, times of other zones and none, a detail key that is
    not text, an empty facet left out, a date: as the walk makes them."""
    odd = dataclasses.replace(
        FULL,
        timestamp=datetime(2021, 3, 3, 8, 0, tzinfo=timezone(timedelta(hours=2))),
        details=(("n", 1), (2, ["a", AccountRole.TARGET]), ("when", date(2021, 3, 3))),  # type: ignore[arg-type]
        cves=["CVE-2021-26855"],  # type: ignore[arg-type]
        event=EventFacet(event_id="4688"),  # type: ignore[arg-type]
        process=ProcessFacet(),
        accounts=(),
    )
    naive = dataclasses.replace(FULL, timestamp=datetime(2021, 3, 3, 6, 0), accounts=(Account("a", sid="S-1"),))
    for value in (odd, naive, [odd, {"b": naive, "a": None}], (AccountRole.SUBJECT,)):
        assert to_data(value) == _walked(value)
    assert to_data(odd)["timestamp"] == "2021-03-03T06:00:00Z" and "accounts" not in to_data(odd)
    assert to_data(odd)["details"] == {"n": 1, "2": ["a", "target"], "when": "2021-03-03"}
