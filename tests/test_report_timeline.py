from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from exhunt.model import Finding, HostAssessment, Verdict
from exhunt.report.timeline import FIELDS, TimelineFormatError, write_timeline
from test_report_fixtures import CSV_HOSTILE, HOSTILE, T0, clean_host, compromised_host, finding, hunt

REQUIRED = ("message", "datetime", "timestamp_desc")


def _hostile_host() -> HostAssessment:
    host = compromised_host(CSV_HOSTILE + HOSTILE)
    host.findings.append(
        finding(
            "EXH-IIS-UA",
            "low",
            "reconnaissance",
            "suspicious",
            'C/logs/a,"b".log',
            line=7,
            ts=T0 + timedelta(hours=1),
            ip="192.0.2.1",
            excerpt=CSV_HOSTILE,
            details=(("user_agent", CSV_HOSTILE), ("Odd Key!", "v")),
        )
    )
    return host


def test_jsonl_rows_are_flat_timesketch_events_in_time_order(tmp_path: Path) -> None:
    out = tmp_path / "timeline.jsonl"
    stats = write_timeline(hunt(_hostile_host(), clean_host()), out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert stats.rows == len(lines) == 6 and stats.undated == 2
    events = [json.loads(line) for line in lines]
    for event in events:
        assert all(event[k] for k in REQUIRED)
        assert all(isinstance(v, str | int) for v in event.values())  # flat: no lists or objects
        when = datetime.fromisoformat(event["datetime"].replace("Z", "+00:00"))
        assert when.tzinfo is not None
        assert event["timestamp"] == (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    first = events[1]
    assert first["datetime"] == "2021-03-03T06:47:12.101000Z" and first["timestamp"] == 1614754032101000
    assert first["rule_id"] == "EXH-PL-26855-SSRF" and first["source_ip"] == "203.0.113.47"
    assert first["path"].endswith("HttpProxy_2021030306-1.LOG") and first["line"] == 12
    assert first["severity"] == "critical" and first["chain"] == "ProxyLogon"
    assert first["detail_user_agent"].startswith("python-requests/2.25.1")
    assert "203.0.113.47" in first["message"] and "EXH-PL-26855-SSRF" in first["message"]
    odd = next(e for e in events if e["rule_id"] == "EXH-IIS-UA")
    assert odd["excerpt"] == CSV_HOSTILE and odd["detail_odd_key"] == "v"


def test_csv_quotes_attacker_commas_quotes_and_line_breaks(tmp_path: Path) -> None:
    out = tmp_path / "timeline.csv"
    write_timeline(hunt(_hostile_host()), out)
    raw = out.read_text(encoding="utf-8")
    assert raw.splitlines()[0].startswith("message,datetime,timestamp_desc,timestamp,host,rule_id")
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6
    assert list(rows[0])[: len(FIELDS)] == list(FIELDS)
    odd = next(r for r in rows if r["rule_id"] == "EXH-IIS-UA")
    assert odd["excerpt"] == CSV_HOSTILE
    assert odd["detail_user_agent"] == CSV_HOSTILE
    assert odd["path"] == 'C/logs/a,"b".log'
    assert odd["host"] == "EX01" + CSV_HOSTILE + HOSTILE
    assert odd["datetime"] == "2021-03-03T07:47:12.101000Z" and odd["timestamp_desc"] == "Event Time"
    assert all(r["message"] and r["datetime"] for r in rows)


def test_lone_surrogates_from_undecodable_bytes_are_written_visibly(tmp_path: Path) -> None:
    host = HostAssessment(
        host="EX1",
        verdict=Verdict.SUSPICIOUS,
        verdict_reason="",
        findings=[
            finding("EXH-X-Y", "low", "reconnaissance", "suspicious", "a.log", line=1, ts=T0, excerpt="bad \udcff")
        ],
    )
    write_timeline(hunt(host), tmp_path / "t.csv")
    assert "bad \\udcff" in (tmp_path / "t.csv").read_text(encoding="utf-8")
    write_timeline(hunt(host), tmp_path / "t.jsonl")
    assert json.loads((tmp_path / "t.jsonl").read_text(encoding="utf-8"))["excerpt"] == "bad \\udcff"


def test_only_csv_or_jsonl(tmp_path: Path) -> None:
    with pytest.raises(TimelineFormatError):
        write_timeline(hunt(compromised_host()), tmp_path / "timeline.json")
    assert not (tmp_path / "timeline.json").exists()


def test_clean_hunt_gives_an_empty_but_valid_timeline(tmp_path: Path) -> None:
    stats = write_timeline(hunt(clean_host()), tmp_path / "t.csv")
    assert stats.rows == 0
    assert (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines() == [",".join(FIELDS)]


def test_streamed_host_by_host_the_csv_equals_the_whole_hunt_and_leaves_no_spool(tmp_path: Path) -> None:
    from exhunt.report.timeline import TimelineStream

    hosts = [clean_host(), _hostile_host()]  # the host with an extra detail column comes last
    whole = tmp_path / "whole.csv"
    write_timeline(hunt(*hosts), whole)
    streamed = tmp_path / "streamed.csv"
    stream = TimelineStream(streamed)
    for host in hosts:
        stream.add(host)
    stats = stream.close()
    assert streamed.read_bytes() == whole.read_bytes()
    assert "detail_odd_key" in streamed.read_text(encoding="utf-8").splitlines()[0]
    assert stats.rows == 6 and stats.undated == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["streamed.csv", "whole.csv"]


def test_streamed_csv_keeps_the_formula_guard_and_its_opt_out(tmp_path: Path) -> None:
    from exhunt.report.timeline import TimelineStream

    host = _hostile_host()
    formula = "=HYPERLINK(1)"
    host.findings.append(
        finding("EXH-IIS-UA", "low", "reconnaissance", "suspicious", "l.log", ts=T0, details=(("user_agent", formula),))
    )
    for safe in (True, False):
        whole, streamed = tmp_path / f"whole-{safe}.csv", tmp_path / f"streamed-{safe}.csv"
        write_timeline(hunt(host), whole, safe=safe)
        stream = TimelineStream(streamed, safe=safe)
        stream.add(host)
        stream.close()
        assert streamed.read_bytes() == whole.read_bytes()

    def cells(name: str) -> set[str]:
        with (tmp_path / name).open(encoding="utf-8", newline="") as f:
            return {cell for row in csv.reader(f) for cell in row}

    assert formula in cells("streamed-False.csv") and "'" + formula not in cells("streamed-False.csv")
    assert "'" + formula in cells("streamed-True.csv") and formula not in cells("streamed-True.csv")


def test_a_fleet_hunt_streams_the_timeline_and_keeps_no_host_for_it(tmp_path: Path) -> None:
    from exhunt.fleet.outputs import HuntSink
    from exhunt.report.timeline import TimelineStream

    out = tmp_path / "t.jsonl"
    sink = HuntSink(started=T0, streams={"timeline": TimelineStream(out)})
    sink.host_done("EX01", _hostile_host())
    sink.host_done("EX02", clean_host())
    sink.close(interrupted=False)
    assert sink.kept == []
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6


@pytest.mark.parametrize("name", ["timeline.csv", "timeline.jsonl"])
def test_datetime_text_sorts_as_time_when_logs_differ_in_precision(tmp_path: Path, name: str) -> None:
    # An IIS log has whole seconds, an HttpProxy log milliseconds: '...:12Z' and '...:12.388000Z'
    # sorted as text (a spreadsheet, `sort`) put the later one first.
    whole = finding("EXH-A", "high", "exploitation", "attempt", "u_ex210303.log", line=1, ts=T0.replace(microsecond=0))
    later = finding(
        "EXH-B", "high", "exploitation", "attempt", "HttpProxy.LOG", line=2, ts=T0.replace(microsecond=388000)
    )
    next_second = finding(
        "EXH-C",
        "high",
        "exploitation",
        "attempt",
        "u_ex210303.log",
        line=3,
        ts=T0.replace(microsecond=0) + timedelta(seconds=1),
    )
    out = tmp_path / name
    write_timeline(hunt(HostAssessment("EX01", Verdict.ATTEMPTED, "r", findings=[next_second, later, whole])), out)
    if name.endswith(".csv"):
        with out.open(newline="", encoding="utf-8") as fh:
            events = list(csv.DictReader(fh))
    else:
        events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    stamps = [e["datetime"] for e in events]
    assert [e["rule_id"] for e in events] == ["EXH-A", "EXH-B", "EXH-C"]
    assert sorted(stamps) == stamps and stamps[0] == "2021-03-03T06:47:12.000000Z"


def test_datetime_text_keeps_its_width_for_a_year_before_1000(tmp_path: Path) -> None:
    # A forged or reset clock: '5-01-01...' would sort after '2021-...' as text.
    early = finding("EXH-A", "high", "exploitation", "attempt", "u_ex.log", line=1, ts=datetime(5, 1, 1, tzinfo=UTC))
    late = finding("EXH-B", "high", "exploitation", "attempt", "u_ex.log", line=2, ts=T0)
    out = tmp_path / "t.jsonl"
    write_timeline(hunt(HostAssessment("EX01", Verdict.ATTEMPTED, "r", findings=[late, early])), out)
    stamps = [json.loads(line)["datetime"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert stamps[0] == "0005-01-01T00:00:00.000000Z" and sorted(stamps) == stamps


def _fleet_hosts() -> list[HostAssessment]:
    """Two hosts whose findings interleave in time, one time shared by both."""

    def at(rule: str, seconds: int) -> Finding:
        return finding(
            rule,
            "high",
            "exploitation",
            "attempt",
            "u_ex210303.log",
            line=seconds + 1,
            ts=T0 + timedelta(seconds=seconds),
        )

    second = HostAssessment(
        "EX02", Verdict.ATTEMPTED, "r", findings=[at("EXH-B0", 0), at("EXH-B2", 2), at("EXH-B4", 4)]
    )
    first = HostAssessment("ex01", Verdict.ATTEMPTED, "r", findings=[at("EXH-A3", 3), at("EXH-A2", 2), at("EXH-A1", 1)])
    return [second, first]


def _events(out: Path) -> list[dict[str, str]]:
    if out.suffix == ".csv":
        with out.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name", ["timeline.csv", "timeline.jsonl"])
@pytest.mark.parametrize("streamed", [True, False])
def test_a_fleets_timeline_is_one_time_order_across_hosts(tmp_path: Path, name: str, streamed: bool) -> None:
    # A fleet's timeline was sorted host by host: a responder merging one attack across
    # servers wants one time order; equal times go by host (as the combined outputs order hosts).
    from exhunt.fleet.outputs import HuntSink
    from exhunt.report.timeline import TimelineStream

    out = tmp_path / name
    second, first = _fleet_hosts()
    if streamed:
        sink = HuntSink(started=T0, streams={"timeline": TimelineStream(out)})
        sink.host_done("b", second)  # finished first, named second
        sink.host_done("a", first)
        sink.close(interrupted=False)
    else:
        write_timeline(hunt(first, second), out)
    events = _events(out)
    assert [e["rule_id"] for e in events] == ["EXH-B0", "EXH-A1", "EXH-A2", "EXH-B2", "EXH-A3", "EXH-B4"]
    assert [e["host"] for e in events] == ["EX02", "ex01", "ex01", "EX02", "ex01", "EX02"]
    stamps = [e["datetime"] for e in events]
    assert sorted(stamps) == stamps


def test_spooled_rows_are_read_back_whole_whatever_the_blocks() -> None:
    from exhunt.report.timeline import _keyed_lines

    text = '5\t{"a": "x\\u2028y"}\n-7\t{"b": "' + "z" * 50 + '"}\n9\t{}\n'
    for size in (1, 2, 3, 7, 64, 1000):
        blocks = iter([text[i : i + size] for i in range(0, len(text), size)])
        assert list(_keyed_lines(blocks)) == [
            (5, '{"a": "x\\u2028y"}\n'),
            (-7, '{"b": "' + "z" * 50 + '"}\n'),
            (9, "{}\n"),
        ]
    with pytest.raises(ValueError, match="cut short"):
        list(_keyed_lines(iter(["5\t{}"])))
