"""A host's findings spilled as its units come back (`ArrivedFindings`): the assessment reads
their light copies (`remediation.light`) and gives the same host, field by field and byte by
byte, as from the findings held in memory; the host's own spill is closed once it is assessed;
findings that cannot be spilled stay in memory and the host says so; a spill read back short
is an error, never a silent loss."""

from __future__ import annotations

import dataclasses
import itertools
import os
import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exhunt import remediation
from exhunt.assess import assess
from exhunt.evidence.base import HostEvidence
from exhunt.fleet import findingspill
from exhunt.fleet.findingspill import ArrivedFindings, SpilledFindings
from exhunt.fleet.jsonpieces import host_document_pieces
from exhunt.model import (
    Category,
    CoverageSpan,
    EvidenceRef,
    FileFacet,
    Finding,
    HostAssessment,
    HttpFacet,
    Implies,
    ObservationKind,
    ProblemKind,
    Severity,
    UnitResult,
)
from hostile_strategies import findings

T0 = datetime(2021, 3, 3, 6, 0, tzinfo=UTC)
_TEMPORARY_FILE = tempfile.TemporaryFile  # the real one, before a test replaces it
EVIDENCE = HostEvidence("EX01", "/e", "disk-mirror")


def _finding(i: int) -> Finding:
    """The i-th of a host's many findings: web requests with twins, files, accounts, CVEs."""
    cves = ("CVE-2021-27065",) if i % 7 == 0 else ("CVE-2021-26855",)
    return Finding(
        f"EXH-R-{i % 5}",
        1,
        f"title {i % 5}",
        list(Severity)[i % len(Severity)],
        list(Category)[i % len(Category)],
        list(Implies)[i % len(Implies)],
        cves,
        "ProxyLogon",
        EvidenceRef(f"logs/{'W3SVC1' if i % 2 else 'HttpProxy'}/f{i % 3}.log", i % 40, f"excerpt OAB {i}", None),
        T0 + timedelta(minutes=i % 90) if i % 11 else None,
        f"203.0.113.{i % 4}" if i % 3 else None,
        (("url", f"/ecp/{i}"), ("user_agent", "x" * (i % 30))),
        http=HttpFacet(method="POST", url=f"/ecp/{i % 9}", request_id=f"REQ-{i // 2}", user_agent="ua"),
        file=FileFacet(f"C:\\inetpub\\s{i % 6}.aspx", "ab" * 32) if i % 4 == 0 else None,
    )


def _parts(found: list[Finding], cuts: list[int]) -> list[list[Finding]]:
    bounds = sorted({0, len(found), *(c % (len(found) + 1) for c in cuts)})
    return [found[a:b] for a, b in itertools.pairwise(bounds)]


def _both(parts: list[list[Finding]], order: list[int] | None = None) -> tuple[HostAssessment, HostAssessment]:
    """The host assessed from its findings in memory, and from them arrived unit by unit
    (in `order`, keyed by their place, as the queue keys units)."""
    coverage = {"iis": CoverageSpan(T0, T0, 1, 1)}
    held = assess(EVIDENCE, UnitResult(findings=[f for p in parts for f in p], coverage=dict(coverage)))
    arrived = ArrivedFindings(remediation.light)
    for k in order if order is not None else range(len(parts)):
        arrived.add((k, 0), list(parts[k]))
    spilled = assess(EVIDENCE, UnitResult(coverage=dict(coverage)), arrived)
    return held, spilled


def _same(held: HostAssessment, spilled: HostAssessment) -> None:
    assert list(spilled.findings) == list(held.findings)
    assert spilled.to_dict() == held.to_dict()
    started = datetime(2024, 5, 1, tzinfo=UTC)
    assert "".join(host_document_pieces(spilled, started, started)) == "".join(
        host_document_pieces(held, started, started)
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(findings(), max_size=14), st.lists(st.integers(min_value=0), max_size=4), st.randoms())
def test_the_assessment_from_arrived_findings_is_the_same(found: list[Finding], cuts: list[int], rnd: Any) -> None:
    parts = _parts(found, cuts)
    order = list(range(len(parts)))
    rnd.shuffle(order)  # units come back in any order; their keys order them
    _same(*_both(parts, order))


def test_many_findings_with_twins_files_and_cves_are_the_same() -> None:
    found = [_finding(i) for i in range(3000)]
    held, spilled = _both(_parts(found, [700, 1500, 2999]), [3, 1, 0, 2])
    assert isinstance(spilled.findings, SpilledFindings) and len(spilled.findings) == 3000
    assert any(f.detail("same_request_as") for f in held.findings)  # correlation happened
    assert any(s.action.startswith("Reset the virtual directory") for s in held.remediation)
    _same(held, spilled)


def test_the_light_copy_holds_what_remediation_reads() -> None:
    found = [_finding(i) for i in range(400)]
    held, _ = _both([found])
    light = dataclasses.replace(held, findings=[remediation.light(f) for f in held.findings])
    assert remediation.plan(light) == remediation.plan(held)
    assert remediation.light(found[1]).evidence.excerpt is None  # the heavy parts are left out


class _Tracked:
    """Every temporary file the spill opens, to see which are closed."""

    def __init__(self, fail: set[int] | None = None) -> None:
        self.opened: list[Any] = []
        self.fail = fail or set()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        n = len(self.opened)
        f = _FullDisk() if n in self.fail else _TEMPORARY_FILE(*args, **kwargs)
        self.opened.append(f)
        return f


class _FullDisk:
    def __init__(self) -> None:
        self._file = _TEMPORARY_FILE()

    def write(self, data: bytes) -> int:
        if self._file.tell() + len(data) > 3000:
            raise OSError(28, "No space left on device")
        return self._file.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def _fresh_shared(monkeypatch: pytest.MonkeyPatch, tracked: _Tracked) -> None:
    monkeypatch.setattr(findingspill.tempfile, "TemporaryFile", tracked)
    monkeypatch.setattr(findingspill, "_shared", None)  # the shared file made anew, tracked


def test_the_hosts_own_spill_is_closed_once_it_is_assessed(monkeypatch: pytest.MonkeyPatch) -> None:
    tracked = _Tracked()
    _fresh_shared(monkeypatch, tracked)
    found = [_finding(i) for i in range(300)]
    held, spilled = _both(_parts(found, [100, 200]))
    own, shared = tracked.opened
    assert own.closed and not shared.closed  # the host's own file gone, its findings in the shared one
    _same(held, spilled)


def test_findings_that_cannot_be_spilled_as_they_come_back_stay_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    tracked = _Tracked(fail={0})  # the host's own file: the disk fills up
    _fresh_shared(monkeypatch, tracked)
    found = [_finding(i) for i in range(200)]
    held, spilled = _both(_parts(found, [5, 150]))
    assert isinstance(spilled.findings, SpilledFindings) and list(spilled.findings) == list(held.findings)
    assert tracked.opened[0].closed
    # nothing lost, no evidence unread: a notice, not a problem (the errors are those of the host held whole)
    assert spilled.errors == held.errors
    (notice,) = spilled.observations[len(held.observations) :]
    assert notice.kind is ObservationKind.NOTICE
    assert "could not be moved to a temporary file as they came back" in notice.value
    assert "No space left" in notice.value and "kept in memory" in notice.value
    assert notice.value.startswith("195 of the findings")  # the first unit's 5 went out before
    assert spilled.verdict == held.verdict and spilled.remediation == held.remediation


def test_findings_that_cannot_be_spilled_once_assessed_stay_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    tracked = _Tracked(fail={1})  # the shared file: the disk fills up
    _fresh_shared(monkeypatch, tracked)
    found = [_finding(i) for i in range(200)]
    held, spilled = _both(_parts(found, [100]))
    assert isinstance(spilled.findings, list) and spilled.findings == held.findings
    assert all(f.closed for f in tracked.opened)
    assert spilled.errors == held.errors
    (notice,) = spilled.observations[len(held.observations) :]
    assert notice.kind is ObservationKind.NOTICE
    assert "the 200 findings could not be moved to a temporary file" in notice.value
    assert "kept in memory" in notice.value


def test_a_spill_read_back_short_is_a_problem_of_the_host_not_a_crash() -> None:
    """The host's own file lost its end (a disk error): the hunt goes on with the findings as
    the assessment read them (rule, place, time, verdict intact), and the host says what was lost."""
    arrived = ArrivedFindings(remediation.light)
    found = [_finding(i) for i in range(50)]
    arrived.add((0, 0), found)
    assert arrived._file is not None
    os.ftruncate(arrived._file.fileno(), 1000)
    host = assess(EVIDENCE, UnitResult(), arrived)
    assert arrived._file is None  # closed all the same
    (problem,) = host.errors
    assert problem.kind is ProblemKind.PARTIAL and "bytes short" in problem.message
    assert "without excerpts, details or events" in problem.message
    assert sorted((f.rule_id, f.evidence.path, f.evidence.line) for f in host.findings) == sorted(
        (f.rule_id, f.evidence.path, f.evidence.line) for f in found
    )
    assert host.verdict == assess(EVIDENCE, UnitResult(findings=found)).verdict


def test_light_copies_hold_a_value_repeated_between_findings_once() -> None:
    a, b = _finding(1), _finding(6)  # the same rule and title, made apart
    b = dataclasses.replace(
        b, title="".join(["title ", "1"]), evidence=dataclasses.replace(b.evidence, path="".join(list(a.evidence.path)))
    )
    assert a.title == b.title and a.title is not b.title and a.evidence.path is not b.evidence.path
    same: dict[Any, Any] = {}
    la, lb = remediation.light(a, same), remediation.light(b, same)
    assert la.title is lb.title and la.rule_id is lb.rule_id and la.evidence.path is lb.evidence.path
    assert (la.title, lb.evidence.path) == (a.title, b.evidence.path)
