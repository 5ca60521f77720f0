"""Time whole commands side by side: interleaved rounds, median and min, CPU, peak memory.

Every benchmark under bench/ times what a user runs (the `exhunt` command, start-up included)
beside its floor (the raw parser, `cat`, a plain read and hash) and, where one exists, a peer,
in the same run. Rounds are interleaved (A B C, B C A, C A B, ...) so a machine that gets busier
during the run slows every contender alike; the load average before and after is recorded, as
the figures mean little on a loaded machine.

Peak memory is the largest sum of resident memory over the command's whole process tree
(workers included), sampled every 20 ms from /proc.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.02
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float
    cpu: float  # user + system seconds of the whole process tree
    peak_rss_mb: float
    returncode: int
    peak_pss_mb: float = 0.0  # proportional set size: pages shared between processes counted once


@dataclass(slots=True)
class Figures:
    name: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def best(self) -> float:
        return min(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_rss_mb(self) -> float:
        return max(s.peak_rss_mb for s in self.samples)

    @property
    def peak_pss_mb(self) -> float:
        return max(s.peak_pss_mb for s in self.samples)

    def to_dict(self) -> dict[str, object]:
        return {
            "median_s": round(self.median, 3),
            "min_s": round(self.best, 3),
            "cpu_s": round(self.cpu, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "peak_pss_mb": round(self.peak_pss_mb, 1),
            "rounds": len(self.samples),
            "returncodes": sorted({s.returncode for s in self.samples}),
        }


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _tree_rss(pid: int, pss: bool = False) -> int:
    """Resident bytes of `pid` and every descendant (processes that end mid-walk count 0).

    The plain sum counts a page a forked worker still shares with its parent once per process;
    with `pss`, each shared page is split among the processes sharing it (Linux's proportional
    set size, /proc/PID/smaps_rollup), so the sum is the memory the tree really takes."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            if pss:
                total += _pss(current)
            else:
                fields = Path(f"/proc/{current}/statm").read_text().split()
                total += int(fields[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
        todo.extend(_children(current))
    return total


def _pss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    raise ValueError("no Pss line")


def run(argv: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Sample:
    """Run one command to its end, output discarded; its wall time, CPU and peak tree memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    )
    peak = peak_pss = 0
    tick = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        if tick % 5 == 0:  # smaps_rollup walks the page tables: every fifth sample
            peak_pss = max(peak_pss, _tree_rss(proc.pid, pss=True))
        tick += 1
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, cpu, peak / 2**20, proc.returncode, peak_pss / 2**20)


def compare(commands: dict[str, Sequence[str]], rounds: int = 3, **kwargs: object) -> dict[str, Figures]:
    """Every command `rounds` times, interleaved and rotated each round."""
    names = list(commands)
    out = {name: Figures(name) for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            out[name].samples.append(run(commands[name], **kwargs))  # type: ignore[arg-type]
    return out


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def table(figures: dict[str, Figures], baseline: str, *, size_mb: float | None = None) -> str:
    """A plain text table with each contender's ratio to `baseline`, by median wall time and by
    CPU seconds (the steadier of the two on a shared machine)."""
    base = figures[baseline].median
    base_cpu = figures[baseline].cpu or 1e-9
    rows = [
        f"{'command':<16} {'median s':>9} {'min s':>8} {'cpu s':>8} {'peak MB':>8} {'x ' + baseline:>10} {'x cpu':>6}"
    ]
    if size_mb:
        rows[0] += f" {'MB/s':>7}"
    for name, fig in figures.items():
        row = (
            f"{name:<16} {fig.median:9.2f} {fig.best:8.2f} {fig.cpu:8.2f} {fig.peak_rss_mb:8.0f}"
            f" {fig.median / base:10.2f} {fig.cpu / base_cpu:6.2f}"
        )
        if size_mb:
            row += f" {size_mb / fig.median:7.0f}"
        rows.append(row)
    return "\n".join(rows)
