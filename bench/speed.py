"""The whole `exhunt` command beside its floor and its peer, on the same input, in one run.

    python bench/speed.py logs DIR        exhunt hunt <DIR's log files>  vs  rg -i -f <the prefilter's patterns>  vs  cat
    python bench/speed.py events [N]      exhunt hunt <N events of .evtx>  vs  the raw evtx parse
                                          (--sigma PATH: also exhunt hunt --sigma PATH, e.g. SigmaHQ's
                                          rules/windows, with its compiled-rule cache filled
                                          beforehand and with the cache off)
    python bench/speed.py files DIR       exhunt hunt DIR  vs  without code analysis  vs  read + SHA-256
    python bench/speed.py files-memory [DIR]  exhunt hunt on trees of 5,000, 10,000 and 20,000 files
                                          (--counts): peak memory and CPU per 1,000 files as it grows
    python bench/speed.py events-large [MIB]  exhunt hunt on one .evtx log of MIB MiB (1,024 by default), read in
                                          parts by every worker, vs the raw evtx parse of it in one process
                                          and with the parser's own threads (one per core)
    python bench/speed.py events-memory   exhunt hunt on 100,000, 300,000 and 1,000,000 events of .evtx
                                          (--counts) beside the raw evtx parse of each: peak memory
                                          and CPU per 100,000 events as the evidence grows
    python bench/speed.py startup         exhunt --version, exhunt build  vs  python -c pass
    python bench/speed.py scan [HOSTS]    exhunt scan  vs  a bare aiohttp client (3 requests a host, no
                                          fingerprinting) on the same HOSTS emulated hosts (2,000 by
                                          default) on loopback, plain HTTP and HTTPS (--modes)
    python bench/speed.py memory DIR      peak memory of exhunt hunt over DIR's logs taken 1, 2 and 4
                                          times (--scales; hard links, no copies), beside cat

Options: --rounds N (interleaved, default 3), --jobs N (exhunt's workers, default all cores),
--json FILE (the figures as JSON), --before SRC (logs, files, files-memory, events, events-memory: also the hunt on another checkout's
`src` folder, in the same rounds, and whether its findings are the same). DIR for logs comes from `bench/corpus.py DIR --size-mb N`
(its manifest.json is used to check every injected line was found); DIR for files from
`bench/filetree.py DIR`. The events corpus is the shared .evtx samples (../shared/data/evtx)
copied into a temporary folder until it holds N events (1,000,000 by default); --samples NAME
takes only the samples named so (`System.evtx`: a server's log that no detector wants).

Each command is timed from start to exit (interpreter start-up, evidence discovery, the pool,
assessment and writing the JSON included), with the median and the best of the rounds, CPU
seconds and the peak resident memory summed over its process tree. The load average is printed
before and after: on a shared machine the ratios are the figures to read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
PY = sys.executable
EXHUNT = [PY, "-m", "exhunt"]


def hunt_command(target: Path, out: Path, jobs: int) -> list[str]:
    return [*EXHUNT, "hunt", str(target), "--json", str(out), "--jobs", str(jobs), "-q"]


# --before SRC: the `src` folder of another checkout (an older commit), timed in the same run.
BEFORE: Path | None = None


def with_before(commands: dict[str, Sequence[str]], name: str, argv: Sequence[str]) -> dict[str, Sequence[str]]:
    """`commands` with `argv` also run on the --before checkout's code, as "NAME (before)"."""
    if BEFORE is None:
        return commands
    return {**commands, f"{name} (before)": ["env", f"PYTHONPATH={BEFORE}", *argv]}


def log_files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".log")


def rg_pattern_file(tmp: Path) -> Path:
    from run import rg_patterns

    path = tmp / "patterns.txt"
    path.write_text("\n".join(rg_patterns()) + "\n")
    return path


def bench_logs(root: Path, rounds: int, jobs: int, tmp: Path) -> dict[str, object]:
    rg = shutil.which("rg")
    if rg is None:
        raise SystemExit("ripgrep (rg) is not installed: apt-get install -y ripgrep")
    # The hunt gets the very files rg and cat get: the corpus's log files, hard-linked into a
    # folder of their own, without the corpus's manifest.json (the answer key), which the hunt
    # would otherwise read as one more file, preparing the whole file hunt for it.
    logs = scaled_corpus(root, 1, tmp / "logs")
    files = log_files(logs)
    size_mb = sum(os.path.getsize(f) for f in files) / 1e6
    patterns = rg_pattern_file(tmp)
    out = tmp / "hunt.json"
    commands: dict[str, Sequence[str]] = {
        "exhunt hunt": hunt_command(logs, out, jobs),
        "rg -i -f": [rg, "-i", "-c", "--no-filename", "-j", str(jobs), "-f", str(patterns), *files],
        "cat": ["cat", *files],
    }
    commands = with_before(commands, "exhunt hunt", hunt_command(logs, tmp / "before.json", jobs))
    figures = harness.compare(commands, rounds)
    checked = check_logs(root, out)
    print(harness.table(figures, "rg -i -f", size_mb=size_mb))
    print(f"injected attack lines found: {checked['found']} of {checked['expected']}")
    if BEFORE is not None:
        print(f"findings as before: {same_findings(out, tmp / 'before.json')}")
    return {"size_mb": round(size_mb, 1), "files": len(files), "check": checked, **_dump(figures, "rg -i -f")}


def check_logs(root: Path, out: Path) -> dict[str, int]:
    """How many of the corpus' injected attack lines the hunt reported, by file, line and rule."""
    manifest = json.loads((root / "manifest.json").read_text())
    result = json.loads(out.read_text())
    got = {
        (f["evidence"]["path"], f["evidence"]["line"], f["rule_id"])
        for host in result["hosts"]
        for f in host["findings"]
    }
    expected = {(a["file"], a["line"], a["rule_id"]) for a in manifest["attacks"]}
    return {"expected": len(expected), "found": len(expected & got)}


def same_findings(a: Path, b: Path) -> bool:
    """Whether two hunt JSON files say the same, apart from when the hunts ran."""
    left, right = json.loads(a.read_text()), json.loads(b.read_text())
    for result in (left, right):
        result.pop("started", None)
        result.pop("finished", None)
    return bool(left == right)


def scaled_corpus(root: Path, times: int, out: Path) -> Path:
    """DIR's log files `times` over, as hard links (`u_ex210302.copy2.log`...) in `out`: the
    same evidence, more of it, without using disk (`out` on DIR's file system)."""
    for path in log_files(root):
        rel = Path(path).relative_to(root)
        (out / rel.parent).mkdir(parents=True, exist_ok=True)
        for k in range(times):
            name = rel.name if k == 0 else f"{rel.stem}.copy{k + 1}{rel.suffix}"
            os.link(path, out / rel.parent / name)
    return out


def bench_memory(root: Path, scales: Sequence[int], rounds: int, jobs: int, tmp: Path) -> dict[str, object]:
    rows: list[dict[str, object]] = []
    print(
        f"{'logs MB':>8} {'files':>6} {'median s':>9} {'cpu s':>7} {'peak MB':>8} {'MB/cpu-s':>9} {'cat peak MB':>12}"
    )
    for times in scales:
        folder = scaled_corpus(root, times, tmp / f"x{times}")
        files = log_files(folder)
        size_mb = sum(os.path.getsize(f) for f in files) / 1e6
        out = tmp / f"x{times}.json"
        figures = harness.compare({"exhunt hunt": hunt_command(folder, out, jobs), "cat": ["cat", *files]}, rounds)
        hunt, cat = figures["exhunt hunt"], figures["cat"]
        result = json.loads(out.read_text())
        row = {
            "times": times,
            "size_mb": round(size_mb, 1),
            "files": len(files),
            "findings": sum(len(h["findings"]) for h in result["hosts"]),
            "hunt": hunt.to_dict(),
            "cat": cat.to_dict(),
        }
        rows.append(row)
        print(
            f"{size_mb:8.0f} {len(files):6d} {hunt.median:9.2f} {hunt.cpu:7.2f} {hunt.peak_rss_mb:8.0f}"
            f" {size_mb / max(hunt.cpu, 1e-9):9.0f} {cat.peak_rss_mb:12.0f}"
        )
        shutil.rmtree(folder)
    return {"scales": rows}


def events_corpus(tmp: Path, wanted: int, pattern: str = "*.evtx") -> tuple[Path, int]:
    """The shared samples (those named as `pattern`) copied into `tmp`/events until they hold
    `wanted` events."""
    from evtx import PyEvtxParser

    samples = sorted((SHARED / "evtx").rglob(pattern))
    if not samples:
        raise SystemExit(f"no .evtx samples under {SHARED / 'evtx'}")
    counts = []
    for s in samples:
        try:
            counts.append((s, sum(1 for _ in PyEvtxParser(str(s)).records())))
        except Exception:  # a deliberately broken sample: not part of a speed corpus
            continue
    folder = tmp / "events"
    folder.mkdir(parents=True)
    total, n = 0, 0
    while total < wanted:
        for s, c in counts:
            shutil.copyfile(s, folder / f"{n:05d}-{s.name}")
            total += c
            n += 1
            if total >= wanted:
                break
    return folder, total


def bench_events(
    wanted: int, rounds: int, jobs: int, tmp: Path, sigma: Sequence[str] = (), pattern: str = "*.evtx"
) -> dict[str, object]:
    folder, total = events_corpus(tmp, wanted, pattern)
    files = sorted(str(p) for p in folder.iterdir())
    out = tmp / "hunt.json"
    commands: dict[str, Sequence[str]] = {
        "exhunt hunt": hunt_command(folder, out, jobs),
        "raw evtx parse": [PY, str(REPO / "bench" / "floors.py"), "evtx", *files],
    }
    commands = with_before(commands, "exhunt hunt", hunt_command(folder, tmp / "before.json", jobs))
    if sigma:
        with_rules = [*hunt_command(folder, tmp / "sigma.json", jobs), *(a for p in sigma for a in ("--sigma", p))]
        # compiled rules cached on disk (filled once before the rounds), and without the cache
        cached = ["env", f"EXHUNT_SIGMA_CACHE={tmp / 'sigma-cache'}", *with_rules]
        subprocess.run(cached, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        commands["exhunt + sigma"] = cached
        commands["exhunt + sigma, no cache"] = ["env", "EXHUNT_SIGMA_CACHE=off", *with_rules]
        if BEFORE is not None:  # its own cache folder: a build prunes the other build's cache files
            before = ["env", f"PYTHONPATH={BEFORE}", f"EXHUNT_SIGMA_CACHE={tmp / 'sigma-cache-before'}", *with_rules]
            subprocess.run(before, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            commands["exhunt + sigma (before)"] = before
    figures = harness.compare(commands, rounds)
    print(harness.table(figures, "raw evtx parse"))
    rate = {name: round(total / fig.median) for name, fig in figures.items()}
    per_cpu = {name: round(total / fig.cpu) for name, fig in figures.items() if fig.cpu}
    raw_cpu = figures["raw evtx parse"].cpu
    print(f"{total} events; events/s: " + ", ".join(f"{k} {v}" for k, v in rate.items()))
    print("events per CPU-second: " + ", ".join(f"{k} {v}" for k, v in per_cpu.items()))
    print(
        "of the raw rate per CPU-second: "
        + ", ".join(f"{k} {raw_cpu / f.cpu:.0%}" for k, f in figures.items() if f.cpu)
    )
    same = events_as_before(out, tmp / "before.json")
    return {
        "events": total,
        "files": len(files),
        "events_per_s": rate,
        "events_per_cpu_s": per_cpu,
        "same_as_before": same,
        **_dump(figures, "raw evtx parse"),
    }


def events_as_before(out: Path, before: Path) -> bool | None:
    """Whether the hunt's JSON says what the --before checkout's does (None without --before),
    compared as `events_check` does: worker scheduling may change the order of observations."""
    if BEFORE is None:
        return None
    from events_check import canonical

    same = canonical(json.loads(out.read_text())) == canonical(json.loads(before.read_text()))
    print(f"findings as before: {same}")
    return same


def large_log(tmp: Path, mib: int, pattern: str) -> Path:
    """One .evtx log of `mib` MiB made of the chunks of the shared samples named as `pattern`,
    taken in turn (a chunk stands alone: its own string and template tables), in a host folder."""
    chunk, header_size = 65536, 4096
    header = b""
    chunks: list[bytes] = []
    for sample in sorted((SHARED / "evtx").rglob(pattern)):
        data = sample.read_bytes()
        header = header or data[:header_size]
        chunks += [
            data[n : n + chunk]
            for n in range(header_size, len(data) - chunk + 1, chunk)
            if data.startswith(b"ElfChnk\x00", n)
        ]
    if not chunks:
        raise SystemExit(f"no .evtx chunks in samples named {pattern} under {SHARED / 'evtx'}")
    folder = tmp / "EX01" / "Windows" / "System32" / "winevt" / "Logs"
    folder.mkdir(parents=True)
    wanted = mib * 1024 * 1024 // chunk
    with open(folder / "Large.evtx", "wb") as out:
        out.write(header)
        for n in range(wanted):
            out.write(chunks[n % len(chunks)])
    return folder / "Large.evtx"


def bench_events_large(mib: int, rounds: int, jobs: int, tmp: Path, pattern: str) -> dict[str, object]:
    log = large_log(tmp, mib, pattern)
    host = tmp / "EX01"
    out = tmp / "hunt.json"
    commands: dict[str, Sequence[str]] = {
        "exhunt hunt": hunt_command(host, out, jobs),
        "raw evtx parse": [PY, str(REPO / "bench" / "floors.py"), "evtx", str(log)],
        "raw evtx parse, parser threads": [PY, str(REPO / "bench" / "floors.py"), "evtx-threads", str(log)],
    }
    commands = with_before(commands, "exhunt hunt", hunt_command(host, tmp / "before.json", jobs))
    figures = harness.compare(commands, rounds)
    print(harness.table(figures, "raw evtx parse"))
    total = json.loads(out.read_text())["hosts"][0]["log_coverage"]["EventLog"]["records"]
    rate = {name: round(total / fig.median) for name, fig in figures.items()}
    print(f"{total} events in one {mib} MiB log; events/s (wall): " + ", ".join(f"{k} {v}" for k, v in rate.items()))
    same = events_as_before(out, tmp / "before.json")
    return {
        "events": total,
        "mib": mib,
        "events_per_s": rate,
        "same_as_before": same,
        **_dump(figures, "raw evtx parse"),
    }


def bench_events_memory(
    counts: Sequence[int], rounds: int, jobs: int, tmp: Path, pattern: str = "*.evtx"
) -> dict[str, object]:
    """Peak memory and CPU of the whole event hunt as the evidence grows, each size beside the
    raw parse of the same files (one interleaved run over every size)."""
    commands: dict[str, Sequence[str]] = {}
    totals: dict[int, int] = {}
    for n in counts:
        folder, totals[n] = events_corpus(tmp / f"ev{n}", n, pattern)
        files = sorted(str(p) for p in folder.iterdir())
        commands[f"hunt {n}"] = hunt_command(folder, tmp / f"hunt{n}.json", jobs)
        commands = with_before(commands, f"hunt {n}", hunt_command(folder, tmp / f"before{n}.json", jobs))
        commands[f"raw {n}"] = [PY, str(REPO / "bench" / "floors.py"), "evtx", *files]
    figures = harness.compare(commands, rounds)
    rows = [
        f"{'events':>9} {'median s':>9} {'cpu s':>7} {'cpu s / 100k':>13} {'peak MB':>8} {'peak PSS MB':>12}"
        f" {'raw cpu s':>10} {'raw peak MB':>12} {'of raw (cpu)':>13}"
    ]
    series = []
    for n in counts:
        raw = figures[f"raw {n}"]
        for name in (f"hunt {n} (before)", f"hunt {n}"):
            if name not in figures:
                continue
            hunt = figures[name]
            per = hunt.cpu / totals[n] * 100_000
            share = raw.cpu / hunt.cpu if hunt.cpu else 0.0
            label = f"{totals[n]}" + (" (before)" if name.endswith("(before)") else "")
            rows.append(
                f"{label:>9} {hunt.median:9.2f} {hunt.cpu:7.2f} {per:13.3f} {hunt.peak_rss_mb:8.0f}"
                f" {hunt.peak_pss_mb:12.0f} {raw.cpu:10.2f} {raw.peak_rss_mb:12.0f} {share:13.0%}"
            )
            entry = {
                "events": totals[n],
                "hunt": hunt.to_dict(),
                "raw": raw.to_dict(),
                "cpu_s_per_100k_events": round(per, 3),
            }
            series.append(entry | ({"before": True} if name.endswith("(before)") else {}))
    print("\n".join(rows))
    return {"series": series}


def bench_files(root: Path, rounds: int, jobs: int, tmp: Path) -> dict[str, object]:
    count = sum(len(names) for _, _, names in os.walk(root))
    out = tmp / "hunt.json"
    commands: dict[str, Sequence[str]] = {
        "exhunt hunt": hunt_command(root, out, jobs),
        "exhunt hunt --no-code-analysis": [*hunt_command(root, tmp / "plain.json", jobs), "--no-code-analysis"],
        "read + sha256": [PY, str(REPO / "bench" / "floors.py"), "sha256", str(root)],
    }
    commands = with_before(commands, "exhunt hunt", hunt_command(root, tmp / "before.json", jobs))
    figures = harness.compare(commands, rounds)
    print(harness.table(figures, "read + sha256"))
    rate = {name: round(count / fig.median) for name, fig in figures.items()}
    per_cpu = {name: round(count / fig.cpu) for name, fig in figures.items() if fig.cpu}
    print(f"{count} files; files/s: " + ", ".join(f"{k} {v}" for k, v in rate.items()))
    print("files per CPU-second: " + ", ".join(f"{k} {v}" for k, v in per_cpu.items()))
    if BEFORE is not None:
        print(f"findings as before: {same_findings(out, tmp / 'before.json')}")
    return {"files": count, "files_per_s": rate, "files_per_cpu_s": per_cpu, **_dump(figures, "read + sha256")}


def bench_files_memory(
    counts: Sequence[int], rounds: int, jobs: int, tmp: Path, trees: Path | None
) -> dict[str, object]:
    """Peak memory and CPU of the whole file hunt as the tree grows: trees of `bench/filetree.py`
    with each count of files (kept under `trees` when given, so later runs reuse them)."""
    import filetree

    commands: dict[str, Sequence[str]] = {}
    for n in counts:
        root = filetree.generate((trees or tmp) / f"tree{n}", filetree.TreeSpec(files=n))
        commands[f"{n} files"] = hunt_command(root, tmp / f"hunt{n}.json", jobs)
        commands = with_before(commands, f"{n} files", hunt_command(root, tmp / f"before{n}.json", jobs))
    figures = harness.compare(commands, rounds)
    head = f"{'files':>8} {'median s':>9} {'cpu s':>7} {'cpu s / 1000 files':>19} {'peak MB':>8} {'peak PSS MB':>12}"
    rows = [head + ("  version" if BEFORE is not None else "")]
    series = []
    for name, fig in figures.items():
        n = int(name.split()[0])
        per_k = fig.cpu / n * 1000
        rows.append(
            f"{n:>8} {fig.median:9.2f} {fig.cpu:7.2f} {per_k:19.3f} {fig.peak_rss_mb:8.0f} {fig.peak_pss_mb:12.0f}"
            + (("  before" if name.endswith("(before)") else "  this") if BEFORE is not None else "")
        )
        series.append(
            {"files": n, "before": name.endswith("(before)"), **fig.to_dict(), "cpu_s_per_1000_files": round(per_k, 3)}
        )
    print("\n".join(rows))
    if BEFORE is None:
        return {"series": series}
    # The last round's --json of each version, tree by tree: a memory gain that changed what the
    # hunt finds is not a gain.
    same = {n: same_findings(tmp / f"hunt{n}.json", tmp / f"before{n}.json") for n in counts}
    print("findings as before: " + ", ".join(f"{n} files {same[n]}" for n in counts))
    return {"series": series, "same_as_before": {str(n): same[n] for n in counts}}


def bench_scan(hosts: int, modes: Sequence[str], concurrency: int, rounds: int, tmp: Path) -> dict[str, object]:
    """Per scheme: emulated hosts served on loopback addresses by emulator processes of this
    run (not counted in the commands' CPU or memory), scanned by each command in turn."""
    import bench_scan

    out: dict[str, object] = {}
    for scheme in modes:
        with bench_scan.Emulated(scheme, hosts, 2, tmp) as emulated:
            report = tmp / f"scan-{scheme}.json"
            commands: dict[str, Sequence[str]] = {
                "exhunt scan": bench_scan.scan_command(emulated.targets, report, concurrency),
                "bare aiohttp": bench_scan.bare_command(emulated.targets, concurrency),
            }
            figures = harness.compare(commands, rounds)
            checked = emulated.check(json.loads(report.read_text()))
        count = checked["hosts"]
        print(f"{scheme}: {count} hosts, --concurrency {concurrency}")
        print(harness.table(figures, "bare aiohttp"))
        rate = {name: round(count / fig.median) for name, fig in figures.items()}
        per_cpu = {name: round(count / fig.cpu) for name, fig in figures.items() if fig.cpu}
        print("hosts/s: " + ", ".join(f"{k} {v}" for k, v in rate.items()))
        print("hosts per CPU-second: " + ", ".join(f"{k} {v}" for k, v in per_cpu.items()))
        print(f"fingerprinted as served: {checked['correct']} of {count}, {checked['missing']} missing")
        for line in checked["examples_wrong"]:
            print("   ", line)
        out[scheme] = {
            "hosts": count,
            "check": checked,
            "hosts_per_s": rate,
            "hosts_per_cpu_s": per_cpu,
            **_dump(figures, "bare aiohttp"),
        }
    return out


def bench_startup(rounds: int) -> dict[str, object]:
    commands: dict[str, Sequence[str]] = {
        "python -c pass": [PY, "-c", "pass"],
        "exhunt --version": [*EXHUNT, "--version"],
        "exhunt build": [*EXHUNT, "build", "15.2.1118.40"],
    }
    for argv in commands.values():
        harness.run(argv)
    figures = harness.compare(commands, max(rounds, 10))
    print(harness.table(figures, "python -c pass"))
    return _dump(figures, "python -c pass")


def _dump(figures: dict[str, harness.Figures], baseline: str) -> dict[str, object]:
    base = figures[baseline].median
    return {
        "baseline": baseline,
        "commands": {name: {**fig.to_dict(), "ratio": round(fig.median / base, 2)} for name, fig in figures.items()},
    }


def as_installed() -> None:
    """Run exhunt as pip installs it: with compiled bytecode. PYTHONDONTWRITEBYTECODE (set in some
    environments) would time the compiler at every start instead; the package is compiled once
    here, and the commands run without the variable."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    for src in (REPO / "src", BEFORE):
        if src is not None:
            subprocess.run([PY, "-m", "compileall", "-q", str(src / "exhunt")], check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "kind",
        choices=[
            "logs",
            "events",
            "events-large",
            "events-memory",
            "files",
            "files-memory",
            "startup",
            "memory",
            "scan",
        ],
    )
    parser.add_argument(
        "target",
        nargs="?",
        help="corpus folder (logs, files, memory), event count (events), MiB (events-large), folder to keep trees"
        " (files-memory), emulated hosts (scan)",
    )
    parser.add_argument(
        "--counts",
        help="files-memory: tree sizes in files (5000,10000,20000); events-memory: events (100000,300000,1000000)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--before",
        type=Path,
        help="logs, files, files-memory, events (with or without --sigma): also time the hunt on this `src` folder"
        " (another checkout)",
    )
    parser.add_argument("--sigma", action="append", default=[], help="events: Sigma rules to time too")
    parser.add_argument(
        "--samples",
        default="*.evtx",
        help="events, events-large, events-memory: which shared samples (e.g. System.evtx alone)",
    )
    parser.add_argument("--scales", default="1,2,4", help="memory: how many times DIR's logs are taken")
    parser.add_argument("--modes", default="http,https", help="scan: http, https or both (comma-separated)")
    parser.add_argument("--concurrency", type=int, default=200, help="scan: exhunt scan --concurrency")
    args = parser.parse_args(argv)
    global BEFORE
    BEFORE = args.before.resolve() if args.before else None
    as_installed()
    load_before = harness.load_average()
    print(f"{platform.python_version()} on {os.cpu_count()} cores; load average {load_before}")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.kind == "logs":
            figures = bench_logs(Path(args.target), args.rounds, args.jobs, tmp)
        elif args.kind == "events":
            figures = bench_events(int(args.target or 1_000_000), args.rounds, args.jobs, tmp, args.sigma, args.samples)
        elif args.kind == "events-large":
            figures = bench_events_large(int(args.target or 1024), args.rounds, args.jobs, tmp, args.samples)
        elif args.kind == "memory":
            scales = [int(n) for n in args.scales.split(",")]
            figures = bench_memory(Path(args.target), scales, args.rounds, args.jobs, tmp)
        elif args.kind == "files":
            figures = bench_files(Path(args.target), args.rounds, args.jobs, tmp)
        elif args.kind == "events-memory":
            counts = [int(n) for n in (args.counts or "100000,300000,1000000").split(",")]
            figures = bench_events_memory(counts, args.rounds, args.jobs, tmp, args.samples)
        elif args.kind == "files-memory":
            counts = [int(n) for n in (args.counts or "5000,10000,20000").split(",")]
            trees = Path(args.target) if args.target else None
            figures = bench_files_memory(counts, args.rounds, args.jobs, tmp, trees)
        elif args.kind == "scan":
            modes = [m.strip() for m in args.modes.split(",")]
            figures = bench_scan(int(args.target or 2000), modes, args.concurrency, args.rounds, tmp)
        else:
            figures = bench_startup(args.rounds)
    load_after = harness.load_average()
    print(f"load average after: {load_after}")
    if args.json:
        payload = {"kind": args.kind, "load_before": load_before, "load_after": load_after, **figures}
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
