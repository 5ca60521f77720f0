"""Time exhunt's log hunt against ripgrep and a naive full CSV parse, on one corpus, in one run.

    python bench/corpus.py /tmp/corpus --size-mb 1024
    python bench/run.py /tmp/corpus [--jobs N] [--via pool|cli] [--json results.json]

(a) exhunt: every HttpProxy and IIS file through exhunt's analyzers, all cores. Until
    `exhunt hunt DIR --json FILE` can read a folder on its own, the files go to the analyzers
    through a process pool (`via_pool`); `via_cli` is the one function to switch to then.
(b) rg: ripgrep over the same files with the same patterns the prefilter uses (the floor: a
    plain multi-pattern text search that parses nothing).
(c) naive: Python's csv module over every line (split for IIS), every rule on every record,
    the same processes; what a straightforward script does (docs/design-choices.md "Performance").

All three read from the page cache (the corpus is read once before timing). The run checks that
(a) and (c) find every injected attack line of the manifest, and reports their false positives.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.httpproxy import HttpProxyAnalyzer
from exhunt.analyzers.iis import IisAnalyzer
from exhunt.analyzers.logscan import FileHunt, LogAnalyzer
from exhunt.artefacts.exchange_csv import HttpProxyFormat
from exhunt.artefacts.reader import ErrorLog
from exhunt.artefacts.records import Header, LogRecord
from exhunt.artefacts.scan import Line
from exhunt.artefacts.w3c import W3CFormat
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, UnitResult

ANALYZERS: dict[ArtefactKind, LogAnalyzer] = {
    ArtefactKind.HTTPPROXY: HttpProxyAnalyzer(),
    ArtefactKind.IIS: IisAnalyzer(),
}
CTX = HostContext("BENCH", "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\", HuntOptions())


def corpus_files(root: Path) -> list[EvidenceFile]:
    """The corpus' logs, biggest first (so two cores stay busy to the end)."""
    out = []
    for path in root.rglob("*"):
        if not path.is_file() or path.suffix.lower() not in {".log"}:
            continue
        rel = path.relative_to(root).as_posix()
        kind = ArtefactKind.HTTPPROXY if "/HttpProxy/" in f"/{rel}" else ArtefactKind.IIS
        out.append(EvidenceFile(FileRef(str(path)), rel, kind, path.stat().st_size))
    return sorted(out, key=lambda f: -f.size)


# --- (a) exhunt -------------------------------------------------------------------------------


def analyze_one(file: EvidenceFile) -> UnitResult:
    return ANALYZERS[file.kind].analyze(file, CTX)


def via_pool(root: Path, jobs: int) -> UnitResult:
    merged = UnitResult()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(analyze_one, corpus_files(root)):
            merged.merge(result)
    return merged


def via_cli(root: Path, jobs: int) -> UnitResult:
    """`exhunt hunt ROOT --json FILE`, the whole command, read back into one result."""
    from exhunt.model import HuntResult, Suppression

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hunt.json"
        command = [sys.executable, "-m", "exhunt", "hunt", str(root), "--json", str(out), "--jobs", str(jobs), "-q"]
        subprocess.run(command, check=False, capture_output=True)
        result = HuntResult.from_dict(json.loads(out.read_text()))
    merged = UnitResult()
    for host in result.hosts:
        merged.findings += host.findings
        merged.errors += host.errors
        for s in host.suppressed:
            assert isinstance(s, Suppression)
            merged.suppress(s.rule_id, s.reason, s.count)
    return merged


RUNNERS: dict[str, Callable[[Path, int], UnitResult]] = {"pool": via_pool, "cli": via_cli}


# --- (b) ripgrep ------------------------------------------------------------------------------

_RG_META = set(".^$*+?()[]{}|\\")


def for_ripgrep(regex: bytes) -> str:
    """Python-escaped regex text to the Rust regex dialect (which rejects escapes like `\\~`)."""
    text = regex.decode()
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(nxt if not nxt.isalnum() and nxt not in _RG_META else ch + nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def rg_patterns() -> list[str]:
    seen: dict[str, None] = {}
    for analyzer in ANALYZERS.values():
        for p in analyzer.patterns():
            seen[for_ripgrep(p.regex)] = None
    return list(seen)


def run_rg(root: Path, jobs: int) -> int:
    """Lines matching any pattern (case-insensitive), over the whole corpus."""
    rg = shutil.which("rg")
    if rg is None:
        raise SystemExit("ripgrep (rg) is not installed: apt-get install -y ripgrep")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(rg_patterns()) + "\n")
        patterns = fh.name
    try:
        out = subprocess.run(
            [rg, "-i", "-c", "--no-filename", "-j", str(jobs), "-g", "*.log", "-g", "*.LOG", "-f", patterns, str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.unlink(patterns)
    return sum(int(n) for n in out.stdout.split())


# --- (c) naive --------------------------------------------------------------------------------


def naive_one(file: EvidenceFile) -> UnitResult:
    """Every line through csv (HttpProxy) or split (IIS), every rule evaluated on every record."""
    analyzer = ANALYZERS[file.kind]
    result = UnitResult()
    hunt = FileHunt(file, CTX, result)
    all_rules = frozenset(r.id for r in analyzer.rules())
    log = ErrorLog(file.rel_path)
    span = result.cover(analyzer.coverage_kind)
    with open(file.ref.path, encoding="utf-8", errors="replace", newline="") as fh:
        if file.kind is ArtefactKind.HTTPPROXY:
            records = _naive_csv(fh, file.rel_path, log)
        else:
            records = _naive_w3c(fh, file.rel_path, log)
        for rec in records:
            span.see(rec.timestamp)
            span.records += 1
            analyzer.check(rec, all_rules, hunt)
        analyzer.finish(hunt)
    span.files = 1
    return result


def _naive_csv(fh: object, rel: str, log: ErrorLog) -> Iterator[LogRecord]:
    fmt = HttpProxyFormat(rel, log)
    header: Header | None = None
    for number, row in enumerate(csv.reader(fh), 1):  # type: ignore[arg-type]
        if not row:
            continue
        if row[0].startswith("#Fields:"):
            header = Header([row[0][len("#Fields:") :].strip(), *row[1:]])
            continue
        if row[0].startswith("#") or header is None:
            continue
        raw = ",".join(row)
        fmt.header = header
        yield LogRecord(rel, number, raw, header, row, _ts(row[header.index["datetime"]]))


def _ts(text: str) -> object:
    from exhunt.artefacts.timestamps import parse_iso

    return parse_iso(text)


def _naive_w3c(fh: object, rel: str, log: ErrorLog) -> Iterator[LogRecord]:
    fmt = W3CFormat(rel, log)
    for number, text in enumerate(fh, 1):  # type: ignore[call-overload]
        text = text.rstrip("\r\n")
        line = Line(number, text, frozenset(), text.startswith("#"), False, True)
        rec = fmt.feed(line)
        if rec is not None:
            yield rec


def via_naive(root: Path, jobs: int) -> UnitResult:
    merged = UnitResult()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(naive_one, corpus_files(root)):
            merged.merge(result)
    return merged


# --- the run ----------------------------------------------------------------------------------


def check(result: UnitResult, manifest: dict[str, object]) -> tuple[int, int, int]:
    """(expected found, expected missed, findings not in the manifest)."""
    expected = {(a["file"], a["line"], a["rule_id"]) for a in manifest["attacks"]}  # type: ignore[index, union-attr]
    got = {(f.evidence.path, f.evidence.line, f.rule_id) for f in result.findings}
    missed = expected - got
    for key, n in manifest.get("suppressed", {}).items():  # type: ignore[union-attr]
        counted = sum(c for (rid, _), c in result.suppressed.items() if rid == key)
        if counted < n:
            missed.add(("suppressed", counted, key))
    return len(expected - missed), len(missed), len(got - expected)


def warm(root: Path) -> int:
    total = 0
    for f in corpus_files(root):
        with open(f.ref.path, "rb") as fh:
            while chunk := fh.read(16 << 20):
                total += len(chunk)
    return total


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Median wall time over `repeat` runs (the machine may be shared), and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def peak_child_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--via", choices=sorted(RUNNERS), default="cli")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the median is reported")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    manifest = json.loads((args.corpus / "manifest.json").read_text())
    size = warm(args.corpus)
    mb = size / 1e6
    figures: dict[str, object] = {
        "corpus_mb": round(mb, 1),
        "files": len(corpus_files(args.corpus)),
        "lines": manifest["lines"],
        "jobs": args.jobs,
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(f"corpus: {mb:.0f} MB in {figures['files']} files, {manifest['lines']} lines; {args.jobs} jobs")

    t_ex, res = timed(lambda: RUNNERS[args.via](args.corpus, args.jobs), args.repeat)
    found, missed, extra = check(res, manifest)  # type: ignore[arg-type]
    rss = peak_child_rss_mb()
    figures["exhunt"] = {
        "seconds": round(t_ex, 2),
        "mb_s": round(mb / t_ex),
        "found": found,
        "missed": missed,
        "unexpected_findings": extra,
        "peak_worker_rss_mb": round(rss),
    }
    print(
        f"exhunt ({args.via}): {t_ex:6.2f} s {mb / t_ex:7.0f} MB/s  found {found}, missed {missed}, "
        f"unexpected {extra}; peak worker RSS {rss:.0f} MB"
    )

    t_rg, lines = timed(lambda: run_rg(args.corpus, args.jobs), args.repeat)
    figures["rg"] = {
        "seconds": round(t_rg, 2),
        "mb_s": round(mb / t_rg),
        "matching_lines": lines,
        "patterns": len(rg_patterns()),
    }
    print(f"rg:            {t_rg:6.2f} s {mb / t_rg:7.0f} MB/s  {lines} matching lines")

    if not args.skip_naive:
        t_nv, res_nv = timed(lambda: via_naive(args.corpus, args.jobs), args.repeat)
        found_nv, missed_nv, extra_nv = check(res_nv, manifest)  # type: ignore[arg-type]
        figures["naive"] = {
            "seconds": round(t_nv, 2),
            "mb_s": round(mb / t_nv),
            "found": found_nv,
            "missed": missed_nv,
            "unexpected_findings": extra_nv,
        }
        print(
            f"naive csv:     {t_nv:6.2f} s {mb / t_nv:7.0f} MB/s  found {found_nv}, missed {missed_nv}, "
            f"unexpected {extra_nv}"
        )
    figures["exhunt_over_rg"] = round(t_ex / t_rg, 2)
    print(f"exhunt / rg = {t_ex / t_rg:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if missed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
