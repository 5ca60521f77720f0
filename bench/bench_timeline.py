"""Timeline of a fleet: writing it in one time order across hosts, beside host by host.

Builds H hosts of R dated findings each whose times interleave across hosts, feeds them to a
spooled `--timeline` (`TimelineStream`, as a fleet hunt does) and times its `close`, which
merges the hosts' spooled rows by time. Its floor is the same rows written host by host (the
findings table's way, `undated=True`, no merge), alternated with it round by round in one run;
the load average is printed with each round. Compare the ratio, not the seconds.

Usage:  .venv/bin/python bench/bench_timeline.py [HOSTS ROWS ROUNDS]   (default 40 2500 3)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from exhunt.model import Category, EvidenceRef, Finding, HostAssessment, Implies, Severity, Verdict
from exhunt.report.timeline import TimelineStream

T0 = datetime(2021, 3, 3, 6, 47, 12, tzinfo=UTC)


def _hosts(count: int, rows: int) -> list[HostAssessment]:
    hosts = []
    for h in range(count):
        findings = [
            Finding(
                "EXH-BENCH",
                1,
                "Bench row",
                Severity("high"),
                Category("exploitation"),
                Implies("attempt"),
                (),
                None,
                EvidenceRef("u_ex210303.log", i + 1, "GET /owa/auth/x.js " * 12, None),
                T0 + timedelta(seconds=i * count + h),
                "192.0.2.1",
                (),
            )
            for i in range(rows)
        ]
        hosts.append(HostAssessment(f"EX{h:03d}", Verdict.ATTEMPTED, "bench", findings=findings))
    return hosts


def _close(hosts: list[HostAssessment], out: Path, merged: bool) -> float:
    stream = TimelineStream(out, undated=not merged)
    for i, host in enumerate(hosts):
        stream.add(host, (host.host.casefold(), host.host, str(i)))
    started = time.perf_counter()
    stream.close()
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    count, rows, rounds = (int(a) for a in argv) if argv else (40, 2500, 3)
    hosts = _hosts(count, rows)
    times: dict[tuple[str, bool], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for fmt in ("jsonl", "csv"):
                for merged in (False, True):
                    took = _close(hosts, Path(tmp) / f"t.{fmt}", merged)
                    times.setdefault((fmt, merged), []).append(took)
                    way = "merged by time" if merged else "host by host  "
                    print(f"round {r} {fmt:5} {way} {took:7.3f} s  load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    for fmt in ("jsonl", "csv"):
        floor, merge = statistics.median(times[fmt, False]), statistics.median(times[fmt, True])
        print(
            f"{fmt}: {count * rows} rows, median {merge:.3f} s merged, {floor:.3f} s host by host, x{merge / floor:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
