"""Benchmark the file-system hunt: files/s and MB/s over a generated server tree.

    python bench/bench_files.py                 # 20,000 files under bench/out/filetree
    python bench/bench_files.py --files 50000 --jobs 1 2 4

Runs the file analyzer over every file, in one process and in a process pool (as the hunt
engine does), after two baselines on the same tree: Python reading and SHA-256 hashing every
file (the least any hash-checking hunt must do), and ripgrep listing the files that contain
the China Chopper call (a raw-read floor, when `rg` is installed). The tree stays in the page
cache between runs, so all figures are warm-cache. It also checks that the planted shells
were found.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.files import FILE_HUNT
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind
from filetree import SHELLS, TreeSpec, generate

BATCH = 200


def evidence(root: Path) -> list[EvidenceFile]:
    out = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            if name.startswith(".tree"):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            drive, _, rest = rel.partition("/")
            st = path.stat()
            kind = ArtefactKind.IIS_CONFIG if name.lower() == "web.config" else ArtefactKind.FILE
            windows = f"{drive}:\\{rest.replace('/', chr(92))}"
            mtime = datetime.fromtimestamp(st.st_mtime, UTC)
            out.append(EvidenceFile(FileRef(str(path)), rel, kind, st.st_size, mtime, windows))
    return out


def analyze_batch(files: list[EvidenceFile], options: HuntOptions) -> tuple[Counter[str], int, list[str]]:
    ctx = HostContext("BENCH", None, options)
    rules: Counter[str] = Counter()
    errors = 0
    shell_hits: list[str] = []
    for f in files:
        result = FILE_HUNT.analyze(f, ctx)
        errors += len(result.errors)
        for finding in result.findings:
            rules[finding.rule_id] += 1
            if finding.category == "webshell" and finding.severity.rank >= 3:
                shell_hits.append(f.rel_path)
    return rules, errors, shell_hits


def run_hunt(files: list[EvidenceFile], jobs: int, options: HuntOptions) -> tuple[float, Counter[str], int, set[str]]:
    batches = [files[i : i + BATCH] for i in range(0, len(files), BATCH)]
    rules: Counter[str] = Counter()
    errors = 0
    shells: set[str] = set()
    start = time.perf_counter()
    if jobs == 1:
        outcomes = [analyze_batch(b, options) for b in batches]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(analyze_batch, batches, [options] * len(batches)))
    elapsed = time.perf_counter() - start
    for counted, errs, hits in outcomes:
        rules.update(counted)
        errors += errs
        shells.update(hits)
    return elapsed, rules, errors, shells


def hash_only(files: list[EvidenceFile]) -> float:
    start = time.perf_counter()
    for f in files:
        h = hashlib.sha256()
        with f.open() as fh:
            while block := fh.read(1024 * 1024):
                h.update(block)
    return time.perf_counter() - start


def ripgrep(root: Path) -> float | None:
    rg = shutil.which("rg")
    if rg is None:
        return None
    start = time.perf_counter()
    subprocess.run(
        [rg, "-uu", "-l", "-F", "-a", "-j", "1", "eval(Request", str(root)], capture_output=True, check=False
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent / "out" / "filetree")
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    t0 = time.perf_counter()
    generate(args.root, TreeSpec(files=args.files))
    files = evidence(args.root)
    total = sum(f.size for f in files)
    mb = total / 1e6
    print(f"tree: {len(files)} files, {mb:.1f} MB (generated/checked in {time.perf_counter() - t0:.1f}s)")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average before runs "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )

    rows = []
    elapsed = hash_only(files)
    rows.append(("python read + sha256, 1 process", elapsed, ""))
    rg = ripgrep(args.root)
    if rg is not None:
        rows.append(("ripgrep -F 'eval(Request', 1 thread", rg, ""))
    options = HuntOptions()
    missing: set[str] = set()
    for jobs in args.jobs:
        elapsed, rules, errors, shells = run_hunt(files, jobs, options)
        planted = {rel for rel in SHELLS if rel.endswith(".aspx")}
        missing |= planted - shells
        findings = sum(rules.values())
        rows.append(
            (
                f"exhunt file hunt, {jobs} process{'es' if jobs > 1 else ''}",
                elapsed,
                f"{findings} findings, {errors} errors",
            )
        )
    print(f"\n{'run':40} {'seconds':>8} {'files/s':>9} {'MB/s':>7}  notes")
    for name, seconds, note in rows:
        print(f"{name:40} {seconds:8.2f} {len(files) / seconds:9.0f} {mb / seconds:7.1f}  {note}")
    print(f"\nrules raised (last run): {dict(sorted(rules.items()))}")
    print(f"load average after runs: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if missing:
        print(f"MISSED planted shells: {sorted(missing)}")
        return 1
    print("all planted web shells found")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
