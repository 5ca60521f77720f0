"""A host's JSON written a finding at a time is the text `json.dumps` writes for the whole, byte
for byte, whatever the host holds; and the spool gives back what was written in pieces."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from exhunt import __version__
from exhunt.fleet import jsonpieces
from exhunt.fleet.hunt_log import SqliteHuntLog, finding_rows
from exhunt.fleet.outputs import JsonStream, write_host_json
from exhunt.fleet.spool import READ_BYTES, OrderedSpool
from exhunt.fleet.store import HuntStore
from exhunt.model import HostAssessment, HuntResult
from hostile_strategies import findings, hosts

STARTED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@settings(max_examples=max(20, settings.default.max_examples // 3))
@given(hosts(), st.lists(findings(), max_size=6))
def test_host_pieces_are_the_whole_dump(host: HostAssessment, more: list) -> None:
    host.findings.extend(more)
    whole = json.dumps(host.to_dict(), indent=2, ensure_ascii=True)
    assert "".join(jsonpieces.host_pieces(host)) == whole
    assert "".join(jsonpieces.host_pieces(host, "    ")) == whole.replace("\n", "\n    ")
    assert jsonpieces.host_record(host) == json.dumps(host.to_dict(), ensure_ascii=True)
    finished = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
    doc = HuntResult(__version__, STARTED, finished, [host]).to_dict()
    assert "".join(jsonpieces.host_document_pieces(host, STARTED, finished)) == json.dumps(
        doc, indent=2, ensure_ascii=True
    )


@settings(max_examples=10)
@given(hosts())
def test_many_findings_come_in_several_pieces(host: HostAssessment) -> None:
    if not host.findings:
        return
    host.findings[:] = host.findings * (2000 // len(host.findings) + 1)
    pieces = list(jsonpieces.host_pieces(host))
    assert len(pieces) > 1  # handed on as it goes, not as one text
    assert "".join(pieces) == json.dumps(host.to_dict(), indent=2, ensure_ascii=True)


@settings(max_examples=max(10, settings.default.max_examples // 5))
@given(st.lists(hosts(), min_size=1, max_size=3))
def test_combined_json_and_host_file_read_back(tmp_path_factory: object, many: list[HostAssessment]) -> None:
    tmp = Path(tmp_path_factory.mktemp("j"))  # type: ignore[attr-defined]
    stream = JsonStream(str(tmp / "all.json"), STARTED)
    for host in many:
        stream.add(host)
        write_host_json(host, tmp / "one.json", STARTED)
        one = json.loads((tmp / "one.json").read_text(encoding="utf-8"))
        assert one["hosts"] == [json.loads(json.dumps(host.to_dict(), ensure_ascii=True))]
    stream.finish(datetime(2024, 5, 2, tzinfo=UTC), False)
    doc = json.loads((tmp / "all.json").read_text(encoding="utf-8"))
    assert doc["hosts"] == [json.loads(json.dumps(h.to_dict(), ensure_ascii=True)) for h in many]


def test_spool_reads_back_across_blocks_and_characters(tmp_path: Path) -> None:
    spool = OrderedSpool(tmp_path / "out.json")
    # A multi-byte character across the boundary of two read blocks, in pieces of odd sizes.
    big = "a" * (READ_BYTES - 1) + "é€" + "b" * 10
    spool.add_pieces(("b", "b", ""), (big[:7], big[7 : READ_BYTES + 3], big[READ_BYTES + 3 :]))
    spool.add_pieces(("a", "a", ""), iter(()))
    spool.add(("c", "c", ""), "ünï")
    assert ["".join(part) for part in spool.parts()] == ["", big, "ünï"]
    assert list(spool.pieces()) == ["", big, "ünï"]
    spool.close()


@settings(max_examples=10)
@given(hosts())
def test_stored_rows_are_the_same_streamed(tmp_path_factory: object, host: HostAssessment) -> None:
    """The SQLite writer takes the findings' rows as they are made; what lands is every row."""
    db = Path(tmp_path_factory.mktemp("db")) / "hunts.sqlite"  # type: ignore[attr-defined]
    with HuntStore(str(db)) as store:
        store.start_hunt(tool_version="t", evidence="e", hosts_total=1)
    log = SqliteHuntLog.open(str(db))
    assert log is not None
    with log:
        hunt = log.start_hunt(tool_version="t", evidence="e", hosts_total=1)
        log.add_host(hunt, host, "k")
        log.add_host(hunt, host, "k")  # replaces, as the store does
    with sqlite3.connect(db) as conn:
        (record,) = conn.execute("SELECT record FROM hosts WHERE hunt_id = ?", (hunt,)).fetchone()
        count = conn.execute("SELECT count(*) FROM findings WHERE hunt_id = ?", (hunt,)).fetchone()[0]
    assert record == json.dumps(host.to_dict(), ensure_ascii=True)
    assert count == len(list(finding_rows(hunt, host, "k"))) == len(host.findings)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(1 << 80), max_value=1 << 80) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON_VALUES)
def test_finding_text_is_the_standard_dump(data: object) -> None:
    """orjson's indented text where it is the same, `json`'s where not (non-ASCII, DEL, big
    integers); the compact text made from it is `json.dumps` without an indent."""
    indented = jsonpieces.finding_text(data)
    assert indented == json.dumps(data, indent=2, ensure_ascii=True)
    assert jsonpieces.compact_text(indented) == json.dumps(data, ensure_ascii=True)
    assert jsonpieces.compact_dump(data) == json.dumps(data, ensure_ascii=True)
    assert jsonpieces.indented_text(data) == json.dumps(data, indent=2, ensure_ascii=True)


def test_the_compact_text_of_what_msgspec_refuses_is_the_standard_dump_too() -> None:
    """Escapes of lone surrogates (undecodable bytes of a file name) and NaN are not JSON that
    msgspec takes: the compact text is made without it, the same."""
    for data in (
        {"path": "\udcff", "more": ["\ud800a", {"k": "b\udc80"}], "": []},
        [float("nan"), {"a": float("inf")}, 1.5],
    ):
        indented = json.dumps(data, indent=2, ensure_ascii=True)
        assert jsonpieces.compact_text(indented) == json.dumps(data, ensure_ascii=True)
        assert jsonpieces.indented_text(data) == indented


def test_compact_dump_escapes_what_ensure_ascii_escapes() -> None:
    every = "".join(map(chr, range(0x100))) + "\u2028\U0001f600"
    for data in (
        {"text": every, "nested": [[], {}, {"": [every, 1 << 70]}], ",\n  ": "a,\n  b"},
        {"path": "\udcff", "more": ["\ud800a"]},
        {"plain": "a", "del": "\x7f", "line": 1},
    ):
        assert jsonpieces.compact_dump(data) == json.dumps(data, ensure_ascii=True)


def test_finding_text_escapes_what_ensure_ascii_escapes() -> None:
    every = "".join(map(chr, range(0x100))) + "\u2028\U0001f600"
    data = {"text": every, "nested": [[], {}, {"": [every, 1 << 70]}], ",\n  ": "a,\n  b"}
    assert jsonpieces.finding_text(data) == json.dumps(data, indent=2, ensure_ascii=True)


def test_a_finding_holds_no_float() -> None:
    """orjson and `json` write floats differently (`1e+16` against `1e16`): a finding's data must
    hold none for orjson's text to be used, so no field of the model a finding holds is a float."""
    import dataclasses
    import typing

    from exhunt.model import Finding

    seen: set[type] = set()

    def walk(tp: object) -> None:
        assert tp is not float, "a float in a finding's data: finding_text would need a float check"
        if dataclasses.is_dataclass(tp) and isinstance(tp, type) and tp not in seen:
            seen.add(tp)
            for hint in typing.get_type_hints(tp).values():
                walk(hint)
        for arg in typing.get_args(tp):
            walk(arg)

    walk(Finding)
    assert len(seen) > 3  # the facets were reached


@settings(max_examples=20)
@given(hosts())
def test_stored_facets_are_those_of_the_whole_finding(host: HostAssessment) -> None:
    """The findings rows' facets, made from the facet fields alone, as from the finding's data."""
    rows = list(finding_rows(1, host, "k"))
    for row, finding in zip(rows, host.findings, strict=True):
        whole = finding.to_dict()
        wanted = {k: whole[k] for k in ("http", "file", "event", "process", "accounts") if whole.get(k)}
        assert row["facets"] == json.dumps(wanted, ensure_ascii=True)


@given(
    st.recursive(
        _JSON_VALUES | st.floats(allow_nan=False, allow_infinity=False), lambda inner: st.lists(inner, max_size=3)
    )
)
def test_a_hosts_indented_text_keeps_floats_as_json_writes_them(data: object) -> None:
    """A host's own data (not its findings) may hold floats: msgspec's formatter only respaces
    the standard library's one-line text, so its numbers stay as `json` writes them."""
    indented = json.dumps(data, indent=2, ensure_ascii=True)
    assert jsonpieces.indented_text(data) == indented
    assert jsonpieces.compact_text(indented) == json.dumps(data, ensure_ascii=True)
