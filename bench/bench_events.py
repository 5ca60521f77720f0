"""Events per second of the event-log hunt, against the raw `evtx` parser on the same files.

The shared .evtx samples (../shared/data/evtx/) are queued again and again until the work list
holds at least `--events` events (one million by default); the same files are re-read, so the
figures measure parsing and detection, not the disk. Four runs on that list:

  raw evtx parse          PyEvtxParser(...).records_json(), nothing else (the floor)
  exhunt parse + detect   the `events` analyzer: parse, normalise, detect, coverage

each in one process and over a process pool of `--workers` (all cores by default), the way
`exhunt hunt` spreads files. With `--json`, the OTRF ProxyLogon JSON-lines export
(../shared/data/events/) is repeated the same way and hunted over the pool.

Usage:  .venv/bin/python bench/bench_events.py [--events N] [--workers N] [--json]
Writes bench/out/bench_events.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from evtx import PyEvtxParser

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
OTRF_MEMBER = "proxylogon_ssrf_rce_poc_2021-03-14T01401970.json"
CTX = HostContext("bench", None, HuntOptions())

# Published by other projects, NOT measured here: different
# hardware, rule sets and outputs. Shown for scale only.
PUBLISHED = [
    (
        "Zircolite (Python, SQLite), 452,554 Sysmon events, full Sigma set",
        452_554 / 11.6,
        "wagga40/Zircolite docs/Benchmark.md",
    ),
    ("hayabusa (Rust), 4.82 M events / 6.1 GB, 4-core", 4_817_181 / 285, "Yamato-Security/hayabusa#1176"),
    ("chainsaw 2.16 (Rust), 452,554 Sysmon events", 452_554 / 113.5, "wagga40/Zircolite docs/Benchmark.md"),
]


def raw_parse(path: str) -> tuple[int, int]:
    records = sum(1 for _ in PyEvtxParser(path, number_of_threads=1, indent=False).records_json())
    return records, 0


def hunt_evtx(path: str) -> tuple[int, int]:
    return _hunt(path, ArtefactKind.EVTX)


def hunt_json(path: str) -> tuple[int, int]:
    return _hunt(path, ArtefactKind.EVENT_JSON)


def _hunt(path: str, kind: ArtefactKind) -> tuple[int, int]:
    file = EvidenceFile(FileRef(path), Path(path).name, kind, os.path.getsize(path))
    result = registry()["events"].analyze(file, CTX)
    return result.coverage["EventLog"].records, len(result.findings)


def work_list(files: Sequence[Path], counts: Sequence[int], target: int) -> list[str]:
    """The files, over and over, until the list holds `target` events."""
    paths: list[str] = []
    total = 0
    while total < target:
        for path, count in zip(files, counts, strict=True):
            paths.append(str(path))
            total += count
    return paths


def run(label: str, job: Callable[[str], tuple[int, int]], paths: list[str], workers: int) -> dict[str, object]:
    start = time.perf_counter()
    cpu = time.process_time()
    if workers == 1:
        results = [job(p) for p in paths]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(job, paths, chunksize=max(1, len(paths) // (workers * 32))))
    seconds = time.perf_counter() - start
    events = sum(r[0] for r in results)
    row = {
        "run": label,
        "workers": workers,
        "files": len(paths),
        "events": events,
        "findings": sum(r[1] for r in results),
        "seconds": round(seconds, 3),
        "events_per_second": round(events / seconds),
        "parent_cpu_seconds": round(time.process_time() - cpu, 3),
    }
    print(f"{label:<34} {workers:>3} {events:>10,} {seconds:>9.2f} {events / seconds:>12,.0f}", flush=True)
    return row


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events per run (default 1,000,000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="pool size (default: all cores)")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--json", action="store_true", help="also hunt the OTRF JSON-lines export")
    args = parser.parse_args(argv)

    samples = sorted((args.data / "evtx").rglob("*.evtx"))
    if not samples:
        print(f"bench_events: no .evtx samples under {args.data / 'evtx'}", file=sys.stderr)
        return 2
    counts = [raw_parse(str(p))[0] for p in samples]
    paths = work_list(samples, counts, args.events)
    print(
        f"{len(samples)} samples, {sum(counts):,} events per round, {len(paths):,} files queued; "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'run':<34} {'wkr':>3} {'events':>10} {'seconds':>9} {'events/s':>12}")
    rows = [
        run("raw evtx parse", raw_parse, paths, 1),
        run("raw evtx parse", raw_parse, paths, args.workers),
        run("exhunt parse + detect (evtx)", hunt_evtx, paths, 1),
        run("exhunt parse + detect (evtx)", hunt_evtx, paths, args.workers),
    ]
    if args.json:
        with tempfile.TemporaryDirectory(prefix="exhunt-bench-") as tmp:
            with zipfile.ZipFile(args.data / "events" / "proxylogon_ssrf_rce_poc.zip") as zf:
                zf.extract(OTRF_MEMBER, tmp)
            export = Path(tmp) / OTRF_MEMBER
            json_paths = work_list([export], [hunt_json(str(export))[0]], args.events)
            rows.append(run("exhunt parse + detect (JSON lines)", hunt_json, json_paths, args.workers))
    print("\nPublished elsewhere, NOT measured here (other hardware, rule sets and outputs):")
    for label, rate, source in PUBLISHED:
        print(f"  {label}: ~{rate:,.0f} events/s ({source})")

    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "events",
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "load_before": os.getloadavg()[0],
        "samples": [p.name for p in samples],
        "runs": rows,
        "published_not_measured": [{"what": w, "events_per_second": round(r), "source": s} for w, r, s in PUBLISHED],
    }
    (out / "bench_events.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
