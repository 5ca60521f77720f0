"""Scan many hosts at once: a fixed pool of workers, each host bounded in time, results as they come.

Per host: GET /owa/ (following same-host redirects to the logon page), the export tool manifest
unless the build is already exact, the logon page if not yet seen, then the opt-in checks. The
host's time budget and the scan's overall limit end a host with what was learnt so far; every
target comes back as exactly one `HostResult`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime

from exhunt.scan.checks import CHECKS, CheckResult, CheckVerdict, HostContext
from exhunt.scan.client import (
    ClientOptions,
    ErrorKind,
    Exchange,
    HostClient,
    RateLimiter,
    Reply,
    TlsContexts,
    legacy_context,
)
from exhunt.scan.exposure import apply_build, apply_checks
from exhunt.scan.fingerprint import EXPORTTOOL_PATH, LOGON_PATH, OWA_PATH, Fingerprint, fingerprint
from exhunt.scan.result import HostResult
from exhunt.scan.targets import BadTarget, Target


@dataclass(frozen=True, slots=True)
class ScanOptions:
    client: ClientOptions = field(default_factory=ClientOptions)
    checks: tuple[str, ...] = ()  # names from checks.CHECKS; none by default
    concurrency: int = 100
    host_timeout: float = 30.0
    total_timeout: float | None = None
    rate: float | None = None  # requests per second over the whole scan


def _new_result(target: Target) -> HostResult:
    return HostResult(target.spec, target.key, target.host, target.port, target.scheme, scanned_at=datetime.now(UTC))


def bad_target_result(bad: BadTarget) -> HostResult:
    """A spec that could not be scanned, reported beside the others."""
    result = HostResult(bad.spec, bad.spec, bad.spec, 0, "", scanned_at=datetime.now(UTC))
    result.errors.append(f"not scanned: {bad.reason}")
    return result


def not_scanned_result(target: Target, reason: str) -> HostResult:
    result = _new_result(target)
    result.errors.append(f"not scanned: {reason}")
    return result


class _Probe:
    """The requests of one host and what they showed."""

    def __init__(self, client: HostClient, result: HostResult) -> None:
        self.client = client
        self.result = result
        self.replies: list[Reply] = []
        self.stopped = False  # a timeout: the host is not worth more requests
        self._fingerprint: tuple[int, Fingerprint] | None = None

    def fingerprint(self) -> Fingerprint:
        """The fingerprint of the replies so far (recomputed only when a reply was added)."""
        if self._fingerprint is None or self._fingerprint[0] != len(self.replies):
            self._fingerprint = (len(self.replies), fingerprint(self.replies))
        return self._fingerprint[1]

    async def get(
        self, path: str, headers: dict[str, str] | None = None, *, follow: bool = True, retry: bool = True
    ) -> Exchange:
        exchange = await self.client.get(path, headers, follow=follow, retry=retry)
        self.replies.extend(exchange.hops)
        if exchange.hops:
            self.result.reachable = True
        if exchange.note:
            self.result.evidence.append(f"{path}: {exchange.note}")
        if exchange.error is not None:
            self.result.errors.append(f"{path}: {exchange.error}")
            if exchange.error.kind is ErrorKind.TIMEOUT:
                self.stopped = True
        for reply in exchange.hops:
            if reply.truncated:
                self.result.errors.append(f"{reply.path}: body larger than the cap, read in part")
            if reply.incomplete:
                self.result.errors.append(f"{reply.path}: body cut short by the server")
        return exchange


async def _probe_host(probe: _Probe, checks: Sequence[str]) -> None:
    first = await probe.get(OWA_PATH)
    if first.final is None:
        return
    fp = probe.fingerprint()
    if fp.build_precision != "exact" and not probe.stopped:
        await probe.get(EXPORTTOOL_PATH, follow=False)
        fp = probe.fingerprint()
    seen_logon = any(r.path.lower().startswith(LOGON_PATH) for r in probe.replies)
    if fp.build_precision != "exact" and not seen_logon and not probe.stopped:
        await probe.get(LOGON_PATH)
        fp = probe.fingerprint()
    context = HostContext(
        is_exchange=fp.is_exchange, sends_fe_server=any(r.header("X-FEServer") for r in probe.replies)
    )
    for name in checks:
        check = CHECKS[name]
        reason = (
            "the host stopped answering"
            if probe.stopped
            else None
            if context.is_exchange
            else "the host was not recognised as Exchange"
        )
        if reason is not None:
            probe.result.checks.append(CheckResult(check.name, check.chain, CheckVerdict.UNKNOWN, f"not run: {reason}"))
            continue
        # No retry: a dropped connection is itself the answer of a blocking rule.
        exchange = await probe.get(check.path, dict(check.headers), follow=False, retry=False)
        probe.result.checks.append(check.judge(exchange, context))


def _finish(result: HostResult, probe: _Probe) -> None:
    fp = probe.fingerprint() if probe.replies else None
    if fp is not None:
        result.is_exchange = fp.is_exchange
        result.build, result.build_source = fp.build, fp.build_source
        result.build_precision, result.product = fp.build_precision, fp.product
        result.evidence = fp.evidence + result.evidence
        result.leaks = fp.leaks
    apply_build(result)
    apply_checks(result, result.checks)


def _contexts(options: ScanOptions) -> TlsContexts:
    return TlsContexts(legacy=legacy_context() if options.client.legacy_tls else None)


async def scan_host(
    target: Target,
    options: ScanOptions,
    contexts: TlsContexts | None = None,
    limiter: RateLimiter | None = None,
    budget: float | None = None,
) -> HostResult:
    """Scan one target within `budget` seconds (default: the host time limit). Never raises."""
    contexts = contexts or _contexts(options)
    budget = options.host_timeout if budget is None else min(budget, options.host_timeout)
    result = _new_result(target)
    started = time.monotonic()
    client = HostClient(target, options.client, contexts, limiter)
    probe = _Probe(client, result)
    try:
        async with asyncio.timeout(budget):
            async with client:
                await _probe_host(probe, options.checks)
    except TimeoutError:
        result.errors.append(f"host time limit reached after {budget:.1f}s; what was learnt so far is kept")
    except Exception as exc:  # a bug must cost one host, not the scan
        result.errors.append(f"internal error: {type(exc).__name__}: {exc}")
    result.address = client.address or (target.host if target.is_ip else None)
    result.requests = client.requests
    if client.tls is not None:
        tls = client.tls
        result.tls = {
            "version": tls.version,
            "cipher": tls.cipher,
            "legacy": tls.legacy,
            "certificate": tls.certificate.to_dict() if tls.certificate else None,
        }
    _finish(result, probe)
    result.duration = time.monotonic() - started
    return result


async def scan_targets(targets: Iterable[Target], options: ScanOptions) -> AsyncIterator[HostResult]:
    """Yield one result per target scanned, in the order they finish.

    Targets are taken from the iterable one at a time, as workers free up, so a generator of
    millions of addresses is never listed. When the scan's time limit passes, hosts in flight
    end with what they learnt (a time-limit error) and no further target is taken: the caller
    counts those as not scanned instead of receiving a result for each.
    """
    contexts = _contexts(options)
    limiter = RateLimiter(options.rate)
    deadline = time.monotonic() + options.total_timeout if options.total_timeout else None
    queue: asyncio.Queue[HostResult | None] = asyncio.Queue()
    pending = iter(targets)

    def take() -> Target | None:
        if deadline is not None and deadline - time.monotonic() <= 0:
            return None
        return next(pending, None)

    async def worker() -> None:
        try:
            # One shared iterator: each target is taken by exactly one worker.
            while (target := take()) is not None:
                try:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    result = await scan_host(target, options, contexts, limiter, remaining)
                except Exception as exc:
                    result = not_scanned_result(target, f"internal error: {type(exc).__name__}: {exc}")
                await queue.put(result)
        finally:
            queue.put_nowait(None)

    wanted = options.concurrency if not isinstance(targets, Sized) else min(options.concurrency, len(targets))
    workers = [asyncio.create_task(worker()) for _ in range(max(1, wanted))]
    running = len(workers)
    try:
        while running:
            result = await queue.get()
            if result is None:
                running -= 1
            else:
                yield result
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
