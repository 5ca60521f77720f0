from __future__ import annotations

import os
import pickle
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from exhunt import engine
from exhunt.analyzers import HostContext, HuntOptions
from exhunt.evidence.base import EvidenceFile, FileRef, HostEvidence
from exhunt.model import ArtefactKind, EvidenceRef, Implies, ProblemKind, Severity, UnitResult, Verdict
from exhunt.rules import parse_rules

RULES = {
    r.id: r
    for r in parse_rules(
        """
[EXH-T-HIT]
version = 1
title = "marker found"
severity = "critical"
category = "webshell"
implies = "compromise"
explanation = "test"
detector = "yara"
""",
        "test.toml",
    )
}


@dataclass(frozen=True)
class MarkerAnalyzer:
    """Reports lines containing MARKER; dies on files named poison (to test worker loss)."""

    name: str = "marker"
    kinds: frozenset[ArtefactKind] = frozenset({ArtefactKind.IIS})

    def analyze(self, file: EvidenceFile, ctx: HostContext) -> UnitResult:
        if file.rel_path.endswith("poison.log"):
            os._exit(3)
        died = Path(file.ref.path + ".died")
        if file.rel_path.endswith("flaky.log") and not died.exists():
            died.touch()
            os._exit(3)  # once: the file runs again in a fresh worker, and then gives its result
        if file.rel_path.endswith("hang.log"):
            while True:  # a parser stuck for ever on this file
                time.sleep(60)
        out = UnitResult()
        span = out.cover("IIS")
        span.files += 1
        with file.open() as fh:
            for n, line in enumerate(fh, 1):
                span.records += 1
                span.see(datetime(2021, 3, 1, tzinfo=UTC) + timedelta(minutes=n))
                if b"MARKER" in line:
                    out.findings.append(
                        RULES["EXH-T-HIT"].finding(
                            EvidenceRef(file.rel_path, n, line.decode()),
                            source_ip="10.0.0.1",
                            timestamp=datetime(2021, 3, 1, tzinfo=UTC) + timedelta(minutes=n),
                        )
                    )
        return out


@dataclass(frozen=True)
class BrokenAnalyzer:
    name: str = "broken"
    kinds: frozenset[ArtefactKind] = frozenset({ArtefactKind.IIS})

    def analyze(self, file: EvidenceFile, ctx: HostContext) -> UnitResult:
        raise RuntimeError("bug")


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    analyzers = {"marker": MarkerAnalyzer(), "broken": BrokenAnalyzer()}
    monkeypatch.setattr(engine, "analyzer_named", analyzers.__getitem__)
    monkeypatch.setattr(engine, "file_analyzers", lambda kind: list(analyzers.values()))
    monkeypatch.setattr(engine, "host_analyzers", lambda: [])


def _host(tmp_path: Path, files: dict[str, bytes]) -> HostEvidence:
    host = HostEvidence("EX01", str(tmp_path), "iis-logs")
    for name, data in files.items():
        p = tmp_path / name
        p.write_bytes(data)
        host.files.append(EvidenceFile(FileRef(str(p)), name, ArtefactKind.IIS, len(data)))
    return host


def _ctx() -> HostContext:
    return HostContext("EX01", None, HuntOptions())


def test_batches_put_big_files_alone_and_first() -> None:
    def task(size: int) -> engine.Task:
        return engine.Task("a", EvidenceFile(FileRef("x"), "x", ArtefactKind.IIS, size))

    got = list(engine.batches([task(10), task(engine.SOLO_BYTES * 2), task(20)]))
    assert [len(b) for b in got] == [1, 2]
    assert got[0][0].file.size == engine.SOLO_BYTES * 2


@pytest.mark.usefixtures("fake_registry")
def test_inline_run_merges_and_isolates_a_failing_analyzer(tmp_path: Path) -> None:
    host = _host(tmp_path, {"a.log": b"x\nMARKER\n", "b.log": b"y\n"})
    result = engine.analyze_host(host, _ctx(), jobs=1)
    assert [(f.evidence.path, f.evidence.line) for f in result.findings] == [("a.log", 2)]
    assert result.coverage["IIS"].files == 2 and result.coverage["IIS"].records == 3
    assert sorted(e.path for e in result.errors) == ["a.log", "b.log"]
    assert all("broken failed" in e.message for e in result.errors)


@pytest.mark.usefixtures("fake_registry")
def test_pool_survives_a_worker_that_dies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "INLINE_BYTES", 0)
    monkeypatch.setattr(engine, "BATCH_FILES", 2)
    files = {f"f{i}.log": b"MARKER\n" for i in range(6)}
    files["poison.log"] = b"MARKER\n"
    host = _host(tmp_path, files)
    seen = []
    result = engine.analyze_host(host, _ctx(), jobs=2, on_progress=seen.append)
    hit_files = {f.evidence.path for f in result.findings}
    assert hit_files == {f"f{i}.log" for i in range(6)}  # nothing lost but the poisoned file
    poison = [e for e in result.errors if e.path == "poison.log" and "died" in e.message]
    assert poison, result.errors
    assert all(e.kind is ProblemKind.WORKER_DIED and e.producer == "engine" for e in poison)
    assert seen[-1].files_done == seen[-1].files_total


@pytest.mark.usefixtures("fake_registry")
@pytest.mark.parametrize("trouble", ["poison.log", "hang.log"])
def test_results_held_back_by_a_lost_worker_are_not_lost_nor_doubled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trouble: str
) -> None:
    # The worker holds every result of its batch until the end: the files before the bad one
    # are done but unsent when it dies or is stopped, and must be run again, once.
    monkeypatch.setattr(engine, "INLINE_BYTES", 0)
    monkeypatch.setattr(engine, "SEND_UNITS", 1000)
    monkeypatch.setattr(engine, "SEND_SECONDS", 3600.0)
    files = {f"f{i}.log": b"MARKER\n" for i in range(4)}
    files[trouble] = b"MARKER\n"
    files.update({f"g{i}.log": b"MARKER\n" for i in range(4)})
    host = _host(tmp_path, files)
    ctx = HostContext("EX01", None, HuntOptions(unit_timeout=2.0, unit_seconds_per_mib=0.0))
    result = engine.analyze_host(host, ctx, jobs=1 if trouble == "hang.log" else 2)
    hits = sorted(f.evidence.path for f in result.findings)
    assert hits == sorted(f"{p}{i}.log" for p in "fg" for i in range(4))
    assert result.coverage["IIS"].files == 8
    lost = [(e.path, e.kind) for e in result.errors if e.producer == "engine"]
    kind = ProblemKind.TIMED_OUT if trouble == "hang.log" else ProblemKind.WORKER_DIED
    assert lost == [(trouble, kind)]


@pytest.mark.usefixtures("fake_registry")
def test_results_merge_in_the_batch_order_after_a_worker_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker holds its results until the end of the batch: when it dies on the flaky file,
    # the files before and after it run again, and the flaky one alone. Merged by position (as
    # the fleet's local backend does), the results must come in the batch's order.
    monkeypatch.setattr(engine, "SEND_UNITS", 1000)
    monkeypatch.setattr(engine, "SEND_SECONDS", 3600.0)
    names = ["f0.log", "f1.log", "f2.log", "flaky.log", "g0.log", "g1.log", "g2.log"]
    host = _host(tmp_path, {n: b"MARKER\n" for n in names})
    units: list[engine.Task | engine.HostTask] = [engine.Task("marker", f) for f in host.files]
    at = {id(u): i for i, u in enumerate(units)}
    parts: dict[int, UnitResult] = {}

    def on_result(_tag: object, unit: engine.Task | engine.HostTask, result: UnitResult) -> None:
        parts[at[id(unit)]] = result

    engine.Workers(1, on_result).run([engine.Batch(_ctx(), units)])
    merged = UnitResult()
    for i in sorted(parts):
        merged.merge(parts[i])
    assert (tmp_path / "flaky.log.died").exists()
    assert [f.evidence.path for f in merged.findings] == names
    assert not merged.errors


@dataclass(frozen=True)
class HangingHostCheck:
    name: str = "hanging-host-check"

    def analyze_host(self, host: HostEvidence, ctx: HostContext) -> UnitResult:
        time.sleep(3600)
        return UnitResult()


@pytest.mark.usefixtures("fake_registry")
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_worker_that_hangs_costs_only_its_file(tmp_path: Path, jobs: int) -> None:
    files = {f"f{i}.log": b"MARKER\n" for i in range(5)}
    files["hang.log"] = b"MARKER\n"
    host = _host(tmp_path, files)
    ctx = HostContext("EX01", None, HuntOptions(unit_timeout=1.0, unit_seconds_per_mib=0.0))
    started = time.monotonic()
    result = engine.analyze_host(host, ctx, jobs=jobs)
    assert time.monotonic() - started < 30
    assert {f.evidence.path for f in result.findings} == {f"f{i}.log" for i in range(5)}
    hung = [e for e in result.errors if e.kind is ProblemKind.TIMED_OUT]
    assert [(e.path, e.producer) for e in hung] == [("hang.log", "engine")]
    assert "marker" in hung[0].message and "deadline" in hung[0].message


def test_a_hung_host_check_times_out_and_the_hunt_reports_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exhunt.hunt import hunt_hosts

    check = HangingHostCheck()
    monkeypatch.setattr(engine, "analyzer_named", {check.name: check, "marker": MarkerAnalyzer()}.__getitem__)
    monkeypatch.setattr(engine, "file_analyzers", lambda kind: [MarkerAnalyzer()])
    monkeypatch.setattr(engine, "host_analyzers", lambda: [check])
    host = _host(tmp_path, {"u_ex210301.log": b"a\n"})
    result = hunt_hosts([host], HuntOptions(unit_timeout=1.0), jobs=1)
    (h,) = result.hosts
    assert h.verdict is Verdict.INSUFFICIENT
    assert "timed-out in engine on " + str(tmp_path) in h.verdict_reason


def test_deadline_grows_with_the_file_and_can_be_turned_off() -> None:
    def task(size: int) -> engine.Task:
        return engine.Task("a", EvidenceFile(FileRef("x"), "x", ArtefactKind.IIS, size))

    ctx = HostContext("EX01", None, HuntOptions(unit_timeout=300, unit_seconds_per_mib=1.0))
    assert engine.deadline_of(task(0), ctx) == 300
    assert engine.deadline_of(task(600 * engine.MIB), ctx) == 900
    assert engine.deadline_of(task(10), HostContext("EX01", None, HuntOptions(unit_timeout=0))) is None


@pytest.mark.usefixtures("fake_registry")
def test_hunt_verdict_and_incidents(tmp_path: Path) -> None:
    from exhunt.hunt import hunt_hosts

    host = _host(tmp_path, {"u_ex210301.log": b"a\nMARKER\nb\nMARKER\n"})
    result = hunt_hosts([host], jobs=1)
    (h,) = result.hosts
    assert h.verdict is Verdict.COMPROMISED
    assert "marker found" in h.verdict_reason
    assert len(h.incidents) == 1 and h.incidents[0].findings == 2 and h.incidents[0].worst is Severity.CRITICAL
    assert all(f.implies is Implies.COMPROMISE for f in h.findings)


@pytest.mark.usefixtures("fake_registry")
@pytest.mark.parametrize("trouble", ["poison.log", "hang.log", "flaky.log"])
def test_workers_forked_before_the_files_existed_get_them_from_their_batches(tmp_path: Path, trouble: str) -> None:
    # The workers are forked before the files and their entries exist: they know no file but
    # the ones each batch carries, and still name the one that kills or hangs them.
    result = UnitResult()
    ctx = HostContext("EX01", None, HuntOptions(unit_timeout=2.0, unit_seconds_per_mib=0.0))
    workers = engine.Workers(2, lambda _tag, _unit, got: result.merge(got))
    workers.start()
    try:
        files = {f"f{i}.log": b"MARKER\n" for i in range(4)}
        files[trouble] = b"MARKER\n"
        files.update({f"g{i}.log": b"MARKER\n" for i in range(4)})
        host = _host(tmp_path, files)
        workers.add(engine.Batch(ctx, [engine.Task("marker", f) for f in host.files]))
        while workers.step():
            pass
    finally:
        workers.close()
    hits = sorted(f.evidence.path for f in result.findings)
    lost = [(e.path, e.kind) for e in result.errors if e.producer == "engine"]
    if trouble == "flaky.log":  # died once, and gave its result in a fresh worker
        assert hits == sorted([*(f"{p}{i}.log" for p in "fg" for i in range(4)), trouble]) and not lost
        return
    assert hits == sorted(f"{p}{i}.log" for p in "fg" for i in range(4))
    kind = ProblemKind.TIMED_OUT if trouble == "hang.log" else ProblemKind.WORKER_DIED
    assert lost == [(trouble, kind)]


def test_a_carried_file_arrives_as_it_was_sent() -> None:
    file = EvidenceFile(
        FileRef("m", "/e/case.zip", ("inner.tar",)),
        "a/b.aspx",
        ArtefactKind.FILE,
        12,
        datetime(2021, 3, 1, tzinfo=UTC),
        "C:\\inetpub\\b.aspx",
    )
    task = engine.Task("files", file)
    (wired,) = engine.Workers._wire([task])
    assert isinstance(wired, tuple)  # the file's fields, not a position in a list the worker inherited
    assert engine._uncarried(pickle.loads(pickle.dumps(wired))) == task


def _setup_host(tmp_path: Path) -> HostEvidence:
    host = HostEvidence("EX01", str(tmp_path), "disk-mirror", exchange_install="C:\\Exchange\\V15\\")
    names = {
        "a.aspx": None,
        "inetpub/wwwroot/web.config": "C:\\inetpub\\wwwroot\\web.config",
        "V15/Bin/ExSetup.exe": "C:\\Exchange\\V15\\Bin\\ExSetup.exe",
        "old/bin/exsetup.exe": None,
        "b.js": None,
    }
    for name, windows in names.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"<configuration/>" if name.endswith(".config") else b"MZ")
        host.files.append(EvidenceFile(FileRef(str(path)), name, ArtefactKind.FILE, 2, None, windows))
    return host


def test_host_units_carry_only_the_files_their_analyzer_reads(tmp_path: Path) -> None:
    host = _setup_host(tmp_path)
    seen = {task.analyzer: sorted(f.rel_path for f in task.host.files) for task in engine.host_tasks(host)}
    assert seen["exsetup-version"] == ["V15/Bin/ExSetup.exe", "old/bin/exsetup.exe"]
    assert seen["iisconfig"] == ["inetpub/wwwroot/web.config"]
    assert seen["files-setup"] == ["a.aspx"]
    assert seen["rules-setup"] == [] and seen["sigma-setup"] == []
    assert len(host.files) == 5  # the host itself keeps every file


def test_a_host_analyzer_finds_the_same_in_its_files_as_in_the_whole_host(tmp_path: Path) -> None:
    from exhunt.analyzers import analyzer_named

    host = _setup_host(tmp_path)
    ctx = HostContext("EX01", host.exchange_install, HuntOptions())
    for task in engine.host_tasks(host):
        analyzer = analyzer_named(task.analyzer)
        assert isinstance(analyzer, engine.HostAnalyzer)
        whole, viewed = analyzer.analyze_host(host, ctx), analyzer.analyze_host(task.host, ctx)
        assert viewed.observations == whole.observations and viewed.errors == whole.errors, task.analyzer
        assert viewed.findings == whole.findings, task.analyzer
