"""Sigma engine: rules loaded and rejected, regression cases, and events per second.

Loads every SigmaHQ rule folder in ../shared/data/sigma (rules, rules-emerging-threats,
rules-threat-hunting, rules-dfir) and reports how many rules were loaded, rejected (and why) and
left aside because their logsource is not a log exhunt reads. Then:

0. Loading, in fresh processes (interleaved rounds, CPU seconds of the process): the rules
   read with pySigma (compiled-rule cache off), the same with the cache filled beforehand,
   beside `python -c pass`. Each load also builds every prefilter database.
1. SigmaHQ's regression cases (regression_data/**.evtx): does each case's own rule fire, with
   the whole rule set loaded (so every other rule is evaluated on those events too)?
2. Speed, one process, on a work list of .evtx files (the shared EVTX samples and the
   regression files, repeated until it holds `--events` events; same files re-read, so the
   figures measure parsing and matching, not the disk):

     raw evtx parse                 PyEvtxParser(...).records_json(), nothing else
     exhunt detectors alone         the `events` analyzer without Sigma rules
     exhunt detectors + Sigma       the same with every loaded Sigma rule
     Sigma matching alone           only the matching, on events parsed and normalised beforehand

Usage:  .venv/bin/python bench/bench_sigma.py [--events N] [--rounds N] [--before SRC] [--load-only]
(`--before SRC`: another version's `src` folder, whose load with its own cache filled is timed in
the same rounds; `--load-only`: only step 0.)
Writes bench/out/bench_sigma.json and prints the figures. The data it reads is listed in
bench/MANIFEST-sigma.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import orjson
import yaml
from evtx import PyEvtxParser

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.events.normalise import from_evtx_json
from exhunt.events.record import EventRecord
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind
from exhunt.sigma.ruleset import load_ruleset

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import harness  # noqa: E402

DATA = REPO.parent / "shared" / "data"
FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting", "rules-dfir")


def raw_parse(path: str) -> int:
    return sum(1 for _ in PyEvtxParser(path, number_of_threads=1).records_json())


def analyzer_run(options: HuntOptions) -> Callable[[str], tuple[int, int]]:
    ctx = HostContext("bench", None, options)
    analyzer = registry()["events"]

    def job(path: str) -> tuple[int, int]:
        file = EvidenceFile(FileRef(path), Path(path).name, ArtefactKind.EVTX, os.path.getsize(path))
        result = analyzer.analyze(file, ctx)  # type: ignore[union-attr]
        return result.coverage["EventLog"].records, len(result.findings)

    return job


def timed(label: str, job: Callable[[], tuple[int, int]]) -> dict[str, object]:
    """Wall time and this process's CPU time: on a shared machine the CPU figure is the steadier."""
    start, cpu = time.perf_counter(), time.process_time()
    events, findings = job()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{label:<30} {events:>9,} {findings:>8,} {seconds:>8.2f} {events / seconds:>10,.0f} "
        f"{cpu_seconds:>8.2f} {events / cpu_seconds:>10,.0f}",
        flush=True,
    )
    return {
        "run": label,
        "events": events,
        "findings": findings,
        "seconds": round(seconds, 3),
        "events_per_second": round(events / seconds),
        "cpu_seconds": round(cpu_seconds, 3),
        "events_per_cpu_second": round(events / cpu_seconds),
    }


def regression(sigma: Path, paths: tuple[str, ...]) -> dict[str, object]:
    rules = load_ruleset(paths)
    ctx = HostContext("bench", None, HuntOptions(sigma_paths=paths))
    analyzer = registry()["events"]
    fired = missed = 0
    missing: list[str] = []
    for info in sorted((sigma / "regression_data").rglob("info.yml")):
        doc = yaml.safe_load(info.read_text(encoding="utf-8"))
        rule_id = doc["rule_metadata"][0]["id"]
        for test in doc.get("regression_tests_info", ()):
            evtx = sigma / test["path"]
            if test.get("type") != "evtx" or not evtx.is_file():
                continue
            file = EvidenceFile(FileRef(str(evtx)), evtx.name, ArtefactKind.EVTX, evtx.stat().st_size)
            result = analyzer.analyze(file, ctx)  # type: ignore[union-attr]
            if any(f.rule_id == rule_id for f in result.findings):
                fired += 1
            else:
                missed += 1
                missing.append(f"{rule_id} {doc['rule_metadata'][0]['title']}")
    print(f"regression cases: {fired} fire their own rule, {missed} do not (of {fired + missed})")
    for line in missing:
        print("  missed:", line)
    del rules
    return {"fired": fired, "missed": missed, "missing": missing}


def load_times(paths: tuple[str, ...], rounds: int, before: Path | None = None) -> dict[str, object]:
    """Loading the rules in a fresh process: without the cache, with it filled, beside the
    interpreter alone (interleaved rounds; CPU seconds of the process); with `before` (another
    version's `src` folder), that version's load with its own cache filled too."""
    load = f"from exhunt.sigma.ruleset import load_ruleset; load_ruleset({paths!r})"
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as tmp_before:
        cached = ["env", f"EXHUNT_SIGMA_CACHE={tmp}", sys.executable, "-c", load]
        subprocess.run(cached, check=True)  # fills the cache
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "load, cache off": ["env", "EXHUNT_SIGMA_CACHE=off", sys.executable, "-c", load],
            "load, cache filled": cached,
        }
        if before is not None:
            old = ["env", f"PYTHONPATH={before}", f"EXHUNT_SIGMA_CACHE={tmp_before}", sys.executable, "-c", load]
            where = "import exhunt, sys; sys.stdout.write(exhunt.__file__)"
            found = subprocess.run([*old[:-2], "-c", where], check=True, capture_output=True, text=True).stdout
            assert Path(found).is_relative_to(before), f"{found} is not the version before"
            subprocess.run(old, check=True)  # fills its cache
            commands["filled, before"] = old
        load_before = os.getloadavg()[0]
        figures = harness.compare(commands, rounds)
    print(
        f"\nloading {', '.join(Path(p).name for p in paths)} in a fresh process ({rounds} rounds, load {load_before:.1f}):"
    )
    out: dict[str, object] = {"load_before": load_before}
    for name, fig in figures.items():
        cpus = [s.cpu for s in fig.samples]
        print(
            f"  {name:<20} CPU median {statistics.median(cpus):6.2f} s, min {min(cpus):6.2f} s; wall median {fig.median:6.2f} s"
        )
        out[name] = {
            "cpu_median_s": round(statistics.median(cpus), 3),
            "cpu_min_s": round(min(cpus), 3),
            **fig.to_dict(),
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300_000, help="events per run (default 300,000)")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the load timing (default 3)")
    parser.add_argument("--before", type=Path, help="another version's src folder: its load beside this one's")
    parser.add_argument("--load-only", action="store_true", help="only the load timing of rules/windows")
    args = parser.parse_args(argv)
    sigma = args.data / "sigma"
    folders = tuple(str(sigma / f) for f in FOLDERS if (sigma / f).is_dir())
    if not folders:
        print(f"bench_sigma: no SigmaHQ rules under {sigma}", file=sys.stderr)
        return 2

    windows = (str(sigma / "rules" / "windows"),)
    loading = load_times(windows, args.rounds, args.before) if (sigma / "rules").is_dir() else {}
    if args.load_only:
        return 0
    cache = tempfile.TemporaryDirectory()  # this process's rule cache: never the user's
    os.environ["EXHUNT_SIGMA_CACHE"] = cache.name
    start = time.perf_counter()
    rules = load_ruleset(folders)
    load_seconds = time.perf_counter() - start
    print(rules.cache_note)
    print(
        f"{rules.files} rule files; {len(rules.loaded)} rules loaded ({len(rules.rules)} compiled targets) in "
        f"{load_seconds:.1f} s; {len(rules.rejected)} rejected; {len(rules.not_applicable)} for logs exhunt does not read"
    )
    rejected = Counter(p.message for p in rules.rejected)
    for message, n in rejected.most_common():
        print(f"  rejected {n}: {message}")
    aside = Counter(p.message for p in rules.not_applicable)
    for message, n in aside.most_common(8):
        print(f"  not applicable {n}: {message}")
    reg = regression(sigma, folders) if (sigma / "regression_data").is_dir() else {}

    samples = sorted((args.data / "evtx").rglob("*.evtx")) + sorted((sigma / "regression_data").rglob("*.evtx"))
    counts = [raw_parse(str(p)) for p in samples]
    paths: list[str] = []
    total = 0
    while total < args.events:
        for path, count in zip(samples, counts, strict=True):
            paths.append(str(path))
            total += count
    print(
        f"\n{len(samples)} .evtx files, {sum(counts):,} events per round, {len(paths):,} files queued; "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'run':<30} {'events':>9} {'findings':>8} {'wall s':>8} {'events/s':>10} {'cpu s':>8} {'ev/cpu-s':>10}")
    plain = analyzer_run(HuntOptions())
    with_sigma = analyzer_run(HuntOptions(sigma_paths=folders))
    plain(paths[0]), with_sigma(paths[0])  # rule loading and first use are not timed (loading is above)
    records: list[EventRecord] = []
    for path in map(str, samples):
        records += [from_evtx_json(orjson.loads(r["data"])["Event"], path) for r in PyEvtxParser(path).records_json()]

    def sigma_only() -> tuple[int, int]:
        events = findings = 0
        while events < total:
            for record in records:
                events += 1
                findings += len(rules.match_event(record))
        return events, findings

    rows = [
        timed("raw evtx parse", lambda: (sum(raw_parse(p) for p in paths), 0)),
        timed("exhunt detectors alone", lambda: tuple(map(sum, zip(*(plain(p) for p in paths), strict=True)))),  # type: ignore[arg-type,return-value]
        timed("exhunt detectors + Sigma", lambda: tuple(map(sum, zip(*(with_sigma(p) for p in paths), strict=True)))),  # type: ignore[arg-type,return-value]
        timed("Sigma matching alone", sigma_only),
    ]
    raw_rate, plain_rate, sigma_rate = (int(str(r["events_per_cpu_second"])) for r in rows[:3])
    print(
        f"\nper CPU-second: exhunt detectors alone at {100 * plain_rate / raw_rate:.0f} % of the raw parse rate, "
        f"with every Sigma rule at {100 * sigma_rate / raw_rate:.0f} %"
    )

    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "sigma",
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "load_before": os.getloadavg()[0],
        "rule_files": rules.files,
        "rules_loaded": len(rules.loaded),
        "compiled_targets": len(rules.rules),
        "load_seconds": round(load_seconds, 2),
        "loading_rules_windows": loading,
        "rejected": dict(rejected),
        "not_applicable": dict(aside),
        "regression": reg,
        "runs": rows,
    }
    (out / "bench_sigma.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
