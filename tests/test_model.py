from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from exhunt.model import (
    CoverageSpan,
    EvidenceError,
    EvidenceRef,
    Finding,
    HostAssessment,
    HuntResult,
    Implies,
    Incident,
    Observation,
    RemediationStep,
    Severity,
    Suppression,
    UnitResult,
    Verdict,
    iso,
    utc,
)


def _finding() -> Finding:
    return Finding(
        "EXH-PL-26855-SSRF",
        1,
        "t",
        Severity.CRITICAL,
        "exploitation",
        Implies.COMPROMISE,
        ("CVE-2021-26855",),
        "ProxyLogon",
        EvidenceRef("Logging/x.log", 3, "<script>", None),
        datetime(2021, 3, 3, 6, 49, 43, tzinfo=UTC),
        "1.2.3.4",
        (("user_agent", "a,b"),),
    )


def test_iso_is_utc_with_z() -> None:
    assert iso(datetime(2021, 3, 3, 8, 0, tzinfo=timezone(timedelta(hours=2)))) == "2021-03-03T06:00:00Z"
    assert iso(datetime(2021, 3, 3, 6, 0)) == "2021-03-03T06:00:00Z"
    assert iso(None) is None


def test_unit_results_merge_coverage_and_suppressions() -> None:
    a, b = UnitResult(), UnitResult()
    a.cover("HttpProxy").see(datetime(2021, 3, 1, tzinfo=UTC))
    a.cover("HttpProxy").files = 1
    b.cover("HttpProxy").see(datetime(2021, 3, 9, tzinfo=UTC))
    b.cover("HttpProxy").files = 2
    a.suppress("R", "scanner", 2)
    b.suppress("R", "scanner", 3)
    a.merge(b)
    span = a.coverage["HttpProxy"]
    assert (span.first.day, span.last.day, span.files) == (1, 9, 3)  # type: ignore[union-attr]
    assert a.suppressed == {("R", "scanner"): 5}


def test_hunt_result_round_trips_through_json_dict() -> None:
    host = HostAssessment(
        host="EX01",
        verdict=Verdict.COMPROMISED,
        verdict_reason="web shell",
        exchange_build="15.1.2176.2",
        findings=[_finding()],
        log_coverage={"HttpProxy": CoverageSpan(datetime(2021, 3, 1, tzinfo=UTC), None, 2, 10)},
        blind_spots=["no IIS logs"],
        suppressed=[Suppression("R", "scanner", 4)],
        errors=[EvidenceError("a.log", "truncated", 9)],
        incidents=[Incident("I1", "1.2.3.4", None, None, ("ProxyLogon",), ("R",), 1, Severity.HIGH)],
        observations=[Observation("exchange_build", "15.1.2176.2", "a.log")],
        remediation=[RemediationStep(1, "patch", "because", ("KB5000871",))],
    )
    result = HuntResult("0.1", datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 1, 2, tzinfo=UTC), [host])
    d = result.to_dict()
    assert d["schema"] == "exhunt.hunt/2"
    assert d["hosts"][0]["findings"][0]["evidence"]["line"] == 3
    again = HuntResult.from_dict(d)
    assert again.to_dict() == d


def test_findings_sort_by_time_whatever_the_fraction_of_a_second() -> None:
    """IIS logs whole seconds, HttpProxy milliseconds: 11:02:41 comes before 11:02:41.655 (their
    ISO texts sort the other way round, '.' before 'Z'), and undated findings come last, after
    any date, year 9999 included."""
    import dataclasses

    base = _finding()
    whole = dataclasses.replace(base, timestamp=datetime(2021, 3, 4, 11, 2, 41, tzinfo=UTC))
    later = dataclasses.replace(
        base, timestamp=datetime(2021, 3, 4, 11, 2, 41, 655000, tzinfo=UTC), evidence=EvidenceRef("a.log", 1)
    )
    far = dataclasses.replace(base, timestamp=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))
    undated = dataclasses.replace(base, timestamp=None, evidence=EvidenceRef("a.log", 1))
    assert sorted([undated, far, later, whole], key=Finding.sort_key) == [whole, later, far, undated]


def _iso_key(f: Finding) -> tuple[str, str, int]:
    """The order findings had by their fixed-width ISO time in UTC, the undated last ('~')."""
    ts = f.timestamp
    when = "~" if ts is None else utc(ts).isoformat(timespec="microseconds")
    return (when, f.evidence.path, f.evidence.line or 0)


_ZONES = st.sampled_from([None, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])


@given(
    st.lists(
        st.tuples(
            st.none() | st.datetimes(datetime(2, 1, 1), datetime(9998, 1, 1), timezones=_ZONES),
            st.sampled_from(["a.log", "b.log", "W3SVC1/u_ex210303.log"]),
            st.none() | st.integers(0, 5),
        ),
        max_size=12,
    )
)
def test_the_sort_key_orders_as_the_iso_time_did(items: list[tuple[datetime | None, str, int | None]]) -> None:
    """Compared as datetimes, not as the ISO text each finding's key made: the same order,
    naive times and other zones included (ties keep their order, as the sort is stable)."""
    import dataclasses

    base = _finding()
    found = [dataclasses.replace(base, timestamp=ts, evidence=EvidenceRef(path, line)) for ts, path, line in items]
    assert sorted(found, key=Finding.sort_key) == sorted(found, key=_iso_key)
    keys = [f.sort_key() for f in found]
    assert [a < b for a, b in itertools.pairwise(keys)] == [
        _iso_key(a) < _iso_key(b) for a, b in itertools.pairwise(found)
    ]
