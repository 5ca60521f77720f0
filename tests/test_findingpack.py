"""A finding as bytes (`exhunt.findingpack`): pickled (from the workers) and packed (into the
spill files), it reads back equal, field by field and type by type, whatever it holds."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import given

from exhunt.findingpack import from_msgpack, packed, reduced, unpacked
from exhunt.model import (
    Account,
    Category,
    EventFacet,
    EvidenceRef,
    Finding,
    HttpFacet,
    Implies,
    ProcessFacet,
    Severity,
    UnitResult,
)
from hostile_strategies import findings

FULL = Finding(
    "EXH-EVT-W3WP-SHELL",
    2,
    "IIS worker started a shell",
    Severity.HIGH,
    Category.POST_EXPLOITATION,
    Implies.COMPROMISE,
    ("CVE-2021-34473",),
    "ProxyShell",
    EvidenceRef("Security.evtx", 4433, "4688: cmd.exe /c whoami", None, "4433"),
    datetime(2021, 8, 20, 6, 1, 2, 345678, tzinfo=UTC),
    "203.0.113.7",
    (("image", "C:\\Windows\\System32\\cmd.exe"), ("parent", "w3wp.exe")),
    http=HttpFacet(method="POST", url="/autodiscover/autodiscover.json", status=200),
    event=EventFacet("Security", 4688, 4433, "EX01.corp.example", "Microsoft-Windows-Security-Auditing"),
    process=ProcessFacet("cmd.exe", "cmd.exe /c whoami", 4242, "w3wp.exe", 1000, "NT AUTHORITY\\SYSTEM"),
    accounts=(Account("SYSTEM"),),
)


def _fields(f: Finding) -> list[tuple[type, Any]]:
    return [(type(v), v) for v in (getattr(f, name) for name in Finding.__dataclass_fields__)]


@given(findings())
def test_a_finding_pickles_and_packs_back_equal(found: Finding) -> None:
    for back in (pickle.loads(pickle.dumps(found, pickle.HIGHEST_PROTOCOL)), unpacked(packed(found))):
        assert back == found and _fields(back) == _fields(found)
    assert copy.deepcopy(found) == found


def test_a_finding_crosses_as_its_msgpack() -> None:
    how, (data,) = reduced(FULL)
    assert how is from_msgpack and from_msgpack(data) == FULL
    result = UnitResult(findings=[FULL, FULL])
    back = pickle.loads(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
    assert back.findings == [FULL, FULL] and back.findings[0].process == FULL.process


@pytest.mark.parametrize(
    "odd",
    [
        dataclasses.replace(FULL, cves=["CVE-2021-34473"]),  # a list for a tuple  # type: ignore[arg-type]
        dataclasses.replace(FULL, event=EventFacet(event_id="4688")),  # type: ignore[arg-type]  # text for a number
        dataclasses.replace(FULL, evidence=EvidenceRef("sh\udcffell.aspx", 2**70)),  # no msgpack for these
    ],
    ids=["list", "text-for-int", "surrogate-and-bignum"],
)
def test_a_finding_msgpack_would_change_pickles_as_it_is(odd: Finding) -> None:
    how, _args = reduced(odd)
    assert how is Finding
    back = pickle.loads(pickle.dumps(odd, pickle.HIGHEST_PROTOCOL))
    assert back == odd and _fields(back) == _fields(odd)
    assert type(back.cves) is type(odd.cves) and back.event == odd.event


def test_other_bytes_are_not_a_finding() -> None:
    with pytest.raises(ValueError, match="not a packed finding"):
        unpacked(b"\x00" * 40)
    with pytest.raises(msgspec.DecodeError):
        unpacked(b"M\x00\x01")
