"""Once per host: what exhunt's caches of compiled Hyperscan databases and rule TOML met other
than absent or sound entries (damaged, foreign, unreadable, stale, too large, not readable, not
written), a notice for each cache folder and reason.

A cache miss costs time, never a result: the database is compiled again, the TOML parsed again,
and the hunt's findings are those of a run without a cache; the notice only says why it was
slower and that the cache folder deserves a look. The notes are those of the process that runs
this check (the one the workers fork from, which compiled the hunt's prefilters and read its rules
before, `exhunt.warmup`; a Dask worker, which did the same when the pool started; the process of a
hunt run inline, after the host's files) and those of the hunting process, which reads the rules
too and adds what its own caches met when it assesses the host (`fleet/queue.py`), each once. A
first run, every entry absent, says nothing. The Sigma rule cache says what became of it in the
Sigma load notice (`analyzers/sigma.py`).
"""

from __future__ import annotations

from exhunt import cachefile
from exhunt.analyzers import HostContext
from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.hscache import cache_dir
from exhunt.model import Observation, ObservationKind, UnitResult


def cache_notices() -> list[Observation]:
    """What this process's caches met, a notice each (`exhunt cache: ...`)."""
    folder = str(cache_dir() or "")
    return [Observation(ObservationKind.NOTICE, f"exhunt cache: {note}", folder) for note in cachefile.notes()]


class CacheNotes:
    name = "cache-notes"

    def files_read(self, host: HostEvidence) -> list[EvidenceFile]:
        """None: it reports this process's caches, not the evidence (without this, its unit
        carried every file of the host to its worker: 20,000 files made again there, about
        20 MB of that worker's memory on a tree of that many)."""
        return []

    def analyze_host(self, host: HostEvidence, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        result.observations.extend(cache_notices())
        return result


ANALYZERS = [CacheNotes()]
