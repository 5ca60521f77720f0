"""The hunt pipeline: evidence -> analyzers -> assessment, one host at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from exhunt import __version__
from exhunt.analyzers import HostContext, HuntOptions
from exhunt.assess import assess
from exhunt.engine import ProgressCallback, Workers, analyze_host, default_jobs
from exhunt.evidence.base import HostEvidence
from exhunt.model import HostAssessment, HuntResult


def hunt_hosts(
    hosts: list[HostEvidence],
    options: HuntOptions | None = None,
    *,
    jobs: int | None = None,
    on_progress: ProgressCallback | None = None,
    on_host: Callable[[HostAssessment], None] | None = None,
) -> HuntResult:
    options = options or HuntOptions()
    started = datetime.now(UTC)
    assessments = []
    # One set of worker processes for every host: what a worker compiled (rules, prefilters) and
    # cached serves the next host too.
    with Workers(jobs or default_jobs()) as workers:
        for host in hosts:
            ctx = HostContext(host=host.name, exchange_install=host.exchange_install, options=options)
            merged = analyze_host(host, ctx, jobs=jobs, on_progress=on_progress, workers=workers)
            assessment = assess(host, merged)
            assessments.append(assessment)
            if on_host:
                on_host(assessment)
    return HuntResult(__version__, started, datetime.now(UTC), assessments)
