"""The hunt pipeline: evidence -> analyzers -> assessment, every host's units through one queue."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from exhunt import __version__
from exhunt.analyzers import HuntOptions
from exhunt.engine import INLINE_BYTES, default_jobs
from exhunt.evidence.base import COMPUTER_MARK, HostEvidence
from exhunt.evidence.packed import kinds_of, sizes_of
from exhunt.fleet.backends import LocalWorkers
from exhunt.fleet.queue import Backend, FleetProgressCallback, Unit, hunt_queue, run_unit
from exhunt.model import ArtefactKind, HostAssessment, HuntResult, UnitResult

HostDone = Callable[[HostEvidence, HostAssessment], None]


class Inline(Backend):
    """Units run one by one in this process: for small evidence with deadlines turned off,
    where worker processes cost more than they save."""

    slots = 1

    def __init__(self) -> None:
        self._waiting: list[Unit] = []

    def submit(self, unit: Unit) -> None:
        self._waiting.append(unit)

    def wait(self) -> list[tuple[Unit, UnitResult | BaseException]]:
        unit = self._waiting.pop(0)
        try:
            return [(unit, run_unit(unit))]
        except Exception as exc:  # run_batch guards each file; this is a bug in the engine
            return [(unit, exc)]

    def close(self) -> None:
        self._waiting.clear()


def host_place(host: HostEvidence) -> str | None:
    """The folder or zip holding the host's files (the evidence root is shared by every host of
    a multi-host folder), or None when it has no files or they are on different drives."""
    dirname = os.path.dirname  # a Path per file cost a quarter of a second on 20,000 files
    places = {f.ref.archive or dirname(f.ref.path) or "." for f in host.files}
    if not places:
        return None
    try:
        return os.path.commonpath(sorted(places)) if len(places) > 1 else places.pop()
    except ValueError:  # different drives
        return None


def host_key(host: HostEvidence) -> str:
    """What identifies one host's evidence across hunts: its place (`host_place`); for a
    computer split off by --split-by-computer, that place and the computer, since the place is
    shared by every computer split from it and by what is left of the host. Not a path: workers
    are asked to read `host_place`, never this."""
    place = host_place(host)
    if place is None:
        return f"{host.root}#{host.name}"
    return place if host.computer is None else f"{place}{COMPUTER_MARK}{host.computer}"


def local_backend(hosts: list[HostEvidence], options: HuntOptions, jobs: int | None = None) -> Backend:
    """Worker processes; in this process only when deadlines are off and there is little work
    (a hung analyzer can only be stopped in a worker)."""
    return local_backend_for(artefact_kinds(hosts), sum(sum(sizes_of(h.files)) for h in hosts), options, jobs)


def local_backend_for(
    kinds: frozenset[ArtefactKind], size: int, options: HuntOptions, jobs: int | None = None
) -> Backend:
    """`local_backend` for hosts whose files are of `kinds` and `size` bytes in all: the hosts
    themselves need not be made yet (`exhunt.evidence.apart.Listed`)."""
    jobs = jobs or default_jobs()
    if options.unit_timeout <= 0 and (jobs <= 1 or size < INLINE_BYTES):
        return Inline()
    from exhunt.warmup import warm_up

    warm_up(options, kinds)  # once here: the workers fork with it compiled
    return LocalWorkers(jobs)


def artefact_kinds(hosts: list[HostEvidence]) -> frozenset[ArtefactKind]:
    return frozenset(kind for h in hosts for kind in kinds_of(h.files))


def hunt_hosts(
    hosts: list[HostEvidence],
    options: HuntOptions | None = None,
    *,
    jobs: int | None = None,
    backend: Backend | None = None,
    on_progress: FleetProgressCallback | None = None,
    on_host: HostDone | None = None,
    keep: bool = True,
) -> HuntResult:
    """Hunt every host; `on_host` gets each host as soon as it is assessed. With `keep=False`
    the result holds no hosts (they went to `on_host`), so memory does not grow with the fleet."""
    options = options or HuntOptions()
    started = datetime.now(UTC)
    kept: list[HostAssessment] = []

    def done(evidence: HostEvidence, assessment: HostAssessment) -> None:
        if keep:
            kept.append(assessment)
        if on_host:
            on_host(evidence, assessment)

    hunt_queue(
        hosts,
        options,
        backend or local_backend(hosts, options, jobs),
        on_host=done,
        on_progress=on_progress,
    )
    return HuntResult(__version__, started, datetime.now(UTC), kept)
