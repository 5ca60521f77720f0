"""How DaskPool packs units into parcels and what it does when a parcel is lost, with a client
that records what would be sent (the real LocalCluster runs are in test_fleet.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exhunt import engine
from exhunt.analyzers import HostContext, HuntOptions
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.fleet.backends import ALONE_BYTES, PARCEL_BYTES, PARCEL_UNITS, DaskPool, run_parcel
from exhunt.fleet.queue import Unit, UnitLost
from exhunt.model import ArtefactKind, ProblemKind, UnitResult


class RecordingClient:
    def __init__(self) -> None:
        self.sent: list[list[Unit]] = []

    def submit(self, func: Any, parcel: list[Unit], **_kw: Any) -> object:
        assert func is run_parcel
        self.sent.append(list(parcel))
        return object()


def _pool() -> tuple[DaskPool, RecordingClient]:
    pool = DaskPool.__new__(DaskPool)
    client = RecordingClient()
    pool._client = client
    pool._running = {}
    pool._waiting = []
    pool._serial = 0
    pool._threads = 1
    return pool, client


def _unit(seq: int, size: int, *, isolated: bool = False) -> Unit:
    ctx = HostContext("EX01", None, HuntOptions())
    f = EvidenceFile(FileRef(f"/e/f{seq}.log"), f"f{seq}.log", ArtefactKind.HTTPPROXY, size)
    return Unit(0, seq, ctx, (engine.Task("httpproxy", f),), isolated=isolated)


def test_small_units_share_parcels_big_and_isolated_ones_go_alone() -> None:
    pool, client = _pool()
    big = _unit(0, ALONE_BYTES)
    lone = _unit(1, 10, isolated=True)
    small = [_unit(2 + i, 10) for i in range(PARCEL_UNITS + 2)]
    for u in [big, lone, *small]:
        pool.submit(u)
    assert client.sent == []  # nothing leaves before the queue waits
    pool._threads = 4  # workers short of parcels: the last one goes though not full
    pool._send()
    assert client.sent == [[big], [lone], small[:PARCEL_UNITS], small[PARCEL_UNITS:]]


def test_units_of_files_big_enough_to_be_alone_in_the_queue_share_parcels_up_to_its_bytes() -> None:
    pool, client = _pool()
    size = engine.SOLO_BYTES + 1024 * 1024  # 9 MB: a unit each in the queue
    fit = PARCEL_BYTES // size
    assert 2 <= fit < PARCEL_UNITS and size < ALONE_BYTES
    mid = [_unit(i, size) for i in range(fit + 2)]
    for u in mid:
        pool.submit(u)
    pool._threads = 4
    pool._send()
    assert [len(p) for p in client.sent] == [fit, 2]
    assert all(sum(u.size for u in p) <= PARCEL_BYTES for p in client.sent)
    assert [u for p in client.sent for u in p] == mid  # in the queue's order, none left out


def test_a_lost_parcel_is_sent_again_unit_by_unit_and_a_lone_unit_is_reported_lost() -> None:
    pool, client = _pool()
    units = [_unit(i, 10) for i in range(3)]
    lost = UnitLost(ProblemKind.WORKER_DIED, "worker died")
    assert pool._fail(units, lost) == []
    assert client.sent == [[u] for u in units]
    assert pool._fail(units[:1], lost) == [(units[0], lost)]


def test_a_unit_that_raises_does_not_take_the_rest_of_its_parcel(monkeypatch: Any) -> None:
    from exhunt.fleet import backends

    def fake_run(unit: Unit) -> UnitResult:
        if unit.seq == 1:
            raise ValueError("bad unit")
        return UnitResult()

    monkeypatch.setattr(backends, "run_unit", fake_run)
    out = run_parcel([_unit(i, 10) for i in range(3)])
    assert isinstance(out[0], UnitResult) and isinstance(out[2], UnitResult)
    assert out[1] == "ValueError('bad unit')"


def test_a_parcel_not_full_waits_for_more_units_while_the_workers_have_enough() -> None:
    pool, client = _pool()
    first = [_unit(i, 10) for i in range(PARCEL_UNITS)]
    for u in first:
        pool.submit(u)
    pool._send()
    pool._running = {object(): p for p in client.sent}  # what the recording client "runs"
    assert client.sent == [first]
    more = [_unit(100 + i, 10) for i in range(3)]
    for u in more:
        pool.submit(u)
    pool._send()  # one worker thread, one parcel in flight: it needs its next one now
    assert client.sent == [first, more]
    pool._running = {object(): p for p in client.sent}
    later = [_unit(200 + i, 10) for i in range(3)]
    for u in later:
        pool.submit(u)
    pool._send()  # two in flight for one thread: these wait to fill a parcel
    assert client.sent == [first, more] and pool._waiting == later
    rest = [_unit(300 + i, 10) for i in range(PARCEL_UNITS - 3)]
    for u in rest:
        pool.submit(u)
    pool._send()
    assert client.sent[-1] == later + rest and pool._waiting == []


def test_the_queue_hands_over_units_while_parcels_in_flight_and_waiting_are_few() -> None:
    """Counted by bytes and units: enough for PARCELS_PER_THREAD parcels per worker thread."""
    pool, _client = _pool()
    pool.slots = 1000
    assert pool.wants(0)
    half = _unit(0, PARCEL_BYTES // 2)
    pool.submit(half)
    pool._running = {object(): [half]}  # one running: one parcel and a half-filled one
    assert pool.wants(2)  # 1 running + 1 filling < 3 for one thread
    pool.submit(_unit(1, PARCEL_BYTES // 2 + 1))  # the waiting bytes now fill two parcels
    assert not pool.wants(3)
    pool._waiting = [_unit(10 + i, 0) for i in range(PARCEL_UNITS + 1)]  # units without bytes count too
    assert not pool.wants(3)
    pool._waiting = []
    pool.slots = 2
    assert not pool.wants(2)  # never more units than the slots, whatever their size


class ScriptedBackend:
    """Runs nothing: loses every unit of several files as `kind`, gives the rest an empty result,
    and records what it was handed."""

    slots = 100
    coarse = False

    def __init__(self, kind: ProblemKind) -> None:
        self.kind = kind
        self.handed: list[Unit] = []
        self._waiting: list[Unit] = []

    def wants(self, in_flight: int) -> bool:
        return in_flight < self.slots

    def submit(self, unit: Unit) -> None:
        self.handed.append(unit)
        self._waiting.append(unit)

    def wait(self) -> list[tuple[Unit, UnitResult | BaseException]]:
        done, self._waiting = self._waiting, []
        return [(u, UnitLost(self.kind, "lost") if len(u.tasks) > 1 or u.isolated else UnitResult()) for u in done]

    def close(self) -> None:
        pass


@pytest.mark.parametrize("kind", [ProblemKind.TIMED_OUT, ProblemKind.WORKER_DIED])
def test_a_unit_past_its_deadline_or_whose_worker_died_runs_again_file_by_file(
    tmp_path: Path, kind: ProblemKind
) -> None:
    """A unit of several files lost whole is split, each file run alone under its own deadline;
    the files lost again alone become problems of that kind, one each, and nothing is silent."""
    from exhunt.evidence import discover
    from exhunt.fleet.queue import hunt_queue

    host = tmp_path / "EX01" / "Logging" / "HttpProxy" / "Owa"
    host.mkdir(parents=True)
    for i in range(3):
        (host / f"HttpProxy_202103020{i}-1.LOG").write_text("#Fields: DateTime\n")
    hosts = list(discover(str(tmp_path)))
    backend = ScriptedBackend(kind)
    assessed: list[Any] = []
    hunt_queue(hosts, HuntOptions(), backend, on_host=lambda _e, a: assessed.append(a))  # type: ignore[arg-type]
    assert len(assessed) == 1
    whole = [u for u in backend.handed if len(u.tasks) > 1]
    alone = [u for u in backend.handed if u.isolated]
    assert whole, "the plan puts the small files of a host in one unit"
    assert sorted(id(t) for u in whole for t in u.tasks) == sorted(id(t) for u in alone for t in u.tasks)
    problems = [p for p in assessed[0].errors if p.kind is kind]
    assert len(problems) == sum(len(u.tasks) for u in whole)


class NamingBackend(ScriptedBackend):
    """Loses the first unit of several files with the position of the pair that hung (as
    DaskPool does when a worker's flight record names it), and gives each pair a coverage span
    of its own file, so the merged host shows which pairs ran and in what order."""

    def __init__(self) -> None:
        super().__init__(ProblemKind.TIMED_OUT)
        self.lost_one = False

    def wait(self) -> list[tuple[Unit, UnitResult | BaseException]]:
        done, self._waiting = self._waiting, []
        out: list[tuple[Unit, UnitResult | BaseException]] = []
        for u in done:
            if len(u.tasks) > 2 and not self.lost_one:
                self.lost_one = True
                out.append((u, UnitLost(ProblemKind.TIMED_OUT, "stopped after 9 s", at=1)))
                continue
            result = UnitResult()
            for t in u.tasks:
                if isinstance(t, engine.Task):
                    result.observations.append(_seen(t.file.rel_path))
            out.append((u, result))
        return out


def _seen(path: str) -> Any:
    from exhunt.model import Observation, ObservationKind

    return Observation(ObservationKind.NOTICE, f"ran {path}", path)


def test_a_pair_named_as_hung_is_the_only_one_lost_and_the_rest_run_again_in_order(tmp_path: Path) -> None:
    """A unit lost with the position of its hung pair: that pair alone becomes a timed-out problem
    naming its file, the pairs before and after it are handed over again (not one file at a time,
    and not the hung one), and the host's results keep the unit's order."""
    from exhunt.evidence import discover
    from exhunt.fleet.queue import hunt_queue

    host = tmp_path / "EX01" / "Logging" / "HttpProxy" / "Owa"
    host.mkdir(parents=True)
    for i in range(4):
        (host / f"HttpProxy_202103020{i}-1.LOG").write_text("#Fields: DateTime\n")
    hosts = list(discover(str(tmp_path)))
    backend = NamingBackend()
    assessed: list[Any] = []
    hunt_queue(hosts, HuntOptions(), backend, on_host=lambda _e, a: assessed.append(a))  # type: ignore[arg-type]
    whole = next(u for u in backend.handed if len(u.tasks) > 2)
    hung = whole.tasks[1]
    again = [
        u
        for u in backend.handed[backend.handed.index(whole) + 1 :]
        if {id(t) for t in u.tasks} <= {id(t) for t in whole.tasks}
    ]
    assert [u.tasks for u in again] == [whole.tasks[:1], whole.tasks[2:]]
    (problem,) = [p for p in assessed[0].errors if p.kind is ProblemKind.TIMED_OUT]
    assert isinstance(hung, engine.Task) and problem.path == hung.file.rel_path
    assert problem.message == f"{hung.analyzer}: stopped after 9 s"
    ran = [o.source for o in assessed[0].observations if o.value.startswith("ran ")]
    assert ran == [t.file.rel_path for t in whole.tasks if t is not hung and isinstance(t, engine.Task)]


def test_a_flight_record_names_the_pair_in_flight_and_is_made_new(tmp_path: Path, monkeypatch: Any) -> None:
    """Read as a worker's nanny reads it: the unit and pair in flight and for how long; gone when
    the parcel ends. Never written through a link someone else put at its name; one of this user
    left by a killed worker is replaced."""
    import os
    import tempfile

    from exhunt.fleet.backends import FlightRecord, read_flights

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    record = FlightRecord.open("exhunt-flight-t-1")
    assert record is not None
    assert read_flights(["exhunt-flight-t-1", "exhunt-flight-t-2"]) == [None, None]  # nothing started yet
    record.started(2, 5)
    ((unit, pair, elapsed), missing) = read_flights(["exhunt-flight-t-1", "exhunt-flight-t-2"])
    assert (unit, pair, missing) == (2, 5, None) and 0 <= elapsed < 60
    record.close()
    assert read_flights(["exhunt-flight-t-1"]) == [None] and not list(tmp_path.iterdir())

    target = tmp_path / "victim"
    target.write_text("kept")
    os.symlink(target, tmp_path / "exhunt-flight-t-3")
    assert FlightRecord.open("exhunt-flight-t-3") is None
    assert target.read_text() == "kept"
    (tmp_path / "exhunt-flight-t-4").write_bytes(b"left by a killed worker")
    again = FlightRecord.open("exhunt-flight-t-4")
    assert again is not None
    again.close()
