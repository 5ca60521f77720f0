"""Once per host: what exhunt's caches of compiled Hyperscan databases and rule TOML met other
than absent or sound entries (damaged, foreign, unreadable, stale, too large, not readable, not
written), as one notice.

A cache miss costs time, never a result: the database is compiled again, the TOML parsed again,
and the hunt's findings are those of a run without a cache; the notice only says why it was
slower and that the cache folder deserves a look. The notes are those of the process that runs
this check: the one the workers fork from, which compiled the hunt's prefilters and read its rules
before (`exhunt.warmup`), a Dask worker that did the same when the pool started, or the process
of a hunt run inline, after the host's files. A first run, every entry absent, says nothing. The
Sigma rule cache says what became of it in the Sigma load notice (`analyzers/sigma.py`).
"""

from __future__ import annotations

from exhunt import cachefile
from exhunt.analyzers import HostContext
from exhunt.evidence.base import HostEvidence
from exhunt.hscache import cache_dir
from exhunt.model import Observation, ObservationKind, UnitResult


class CacheNotes:
    name = "cache-notes"

    def analyze_host(self, host: HostEvidence, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        notes = cachefile.notes()
        if notes:
            folder = cache_dir()
            summary = "exhunt cache: " + "; ".join(notes)
            result.observations.append(Observation(ObservationKind.NOTICE, summary, str(folder or "")))
        return result


ANALYZERS = [CacheNotes()]
