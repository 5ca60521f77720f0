"""Where a fleet hunt's workers sit idle: `exhunt hunt ROOT` run in this process with every
(analyzer, file) pair timed where it runs, on the local workers (`--jobs N`) or on a Dask
LocalCluster (`--scheduler local:N`), the same unit function either way.

    python bench/fleet_idle.py ROOT --repeat 2 [--jobs 2] [--before SRC]

Each worker process appends the wall-clock start and end of every pair it runs to a file of its
own; from them, per worker, the time it ran nothing is split into: before its first pair (the
command's start, imports, rules, discovery, the pool's or cluster's start, warm-up), between
pairs (a round trip to the pool for the next batch or parcel, a queue that handed over too
little), and after its last pair until the hunt ends (the tail: the other worker still busy with
the last units). Idle time measured so does not depend on how busy the machine is the way the
wall time does: a worker that waits for a round trip waits whatever the load, and a worker
descheduled by the kernel while it runs a pair counts as busy. Modes alternate over `--repeat`
rounds; each is a fresh interpreter, and `MODE@before` runs another checkout's `src`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TRACE_DIR = "EXHUNT_BENCH_TRACE"


def _install_tracer(folder: str) -> None:
    """Wrap `exhunt.engine.run_unit` (what both pools run per pair) in this process, so that a
    worker forked from it, or this very process when it is a worker, records every pair."""
    import exhunt.engine as engine

    if getattr(engine.run_unit, "_traced", False):
        return
    inner = engine.run_unit

    def traced(unit: Any, ctx: Any) -> Any:
        start, cpu = time.time(), time.thread_time()
        try:
            return inner(unit, ctx)
        finally:
            end, cpu = time.time(), time.thread_time() - cpu
            with open(os.path.join(folder, f"{os.getpid()}.trace"), "a") as out:
                out.write(f"{start:.6f} {end:.6f} {cpu:.6f}\n")

    traced._traced = True  # type: ignore[attr-defined]
    engine.run_unit = traced  # type: ignore[assignment]


def child(root: str, how: list[str], folder: str) -> int:
    """The hunt itself, run by `exhunt.cli.main` in this process with the tracer installed."""
    begin = time.time()
    _install_tracer(folder)  # the local workers fork from here and inherit it
    import exhunt.fleet.backends as backends
    import exhunt.fleet.queue as queue

    warm = backends.DaskPool.warm_workers

    def warm_traced(self: Any, *args: Any, **kwargs: Any) -> None:
        warm(self, *args, **kwargs)
        self._client.run(_install_tracer, folder)  # Dask's workers come from the fork server

    backends.DaskPool.warm_workers = warm_traced  # type: ignore[method-assign]
    hunt_queue = queue.hunt_queue
    marks: dict[str, float] = {"begin": begin}

    def hunt_queue_timed(*args: Any, **kwargs: Any) -> None:
        marks["queue"] = time.time()
        try:
            hunt_queue(*args, **kwargs)
        finally:
            marks["queue_end"] = time.time()

    queue.hunt_queue = hunt_queue_timed
    import exhunt.hunt

    if hasattr(exhunt.hunt, "hunt_queue"):
        exhunt.hunt.hunt_queue = hunt_queue_timed  # type: ignore[attr-defined]
    from exhunt.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        code = main(["hunt", root, "--no-db", "-q", "--json", str(Path(tmp) / "h.json"), *how])
    marks["end"] = time.time()
    Path(folder, "marks.json").write_text(json.dumps(marks))
    return 0 if code in (0, 1, 3) else code


def breakdown(folder: Path) -> dict[str, Any]:
    marks = json.loads((folder / "marks.json").read_text())
    workers = []
    for trace in sorted(folder.glob("*.trace")):
        spans = sorted(tuple(map(float, line.split())) for line in trace.read_text().splitlines() if line.strip())
        busy = sum(e - s for s, e, _ in spans)
        gaps = [b[0] - a[1] for a, b in itertools.pairwise(spans)]
        workers.append(
            {
                "pairs": len(spans),
                "busy": busy,
                "busy_cpu": sum(c for _, _, c in spans),
                "before": spans[0][0] - marks["begin"],
                "before_queue": spans[0][0] - marks["queue"],
                "between": sum(max(0.0, g) for g in gaps),
                "gaps_over_50ms": sum(1 for g in gaps if g > 0.05),
                "tail": marks["queue_end"] - spans[-1][1],
            }
        )
    return {
        "whole": marks["end"] - marks["begin"],
        "to_queue": marks["queue"] - marks["begin"],
        "hunt": marks["queue_end"] - marks["queue"],
        "after": marks["end"] - marks["queue_end"],
        "workers": workers,
    }


def run(mode: str, root: Path, jobs: int, before: Path | None) -> dict[str, Any]:
    base, _, checkout = mode.partition("@")
    how = ["--jobs", str(jobs)] if base == "local" else ["--scheduler", f"local:{jobs}"]
    env = dict(os.environ)
    if checkout == "before" and before:
        env["PYTHONPATH"] = str(before)
    with tempfile.TemporaryDirectory() as folder:
        cmd = [sys.executable, __file__, str(root), "--child", json.dumps(how), "--trace", folder]
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - t0
        out = breakdown(Path(folder))
    out.update(mode=mode, seconds=seconds, load=load)
    return out


def show(r: dict[str, Any]) -> str:
    ws = r["workers"]
    total = lambda k: sum(w[k] for w in ws)  # noqa: E731
    return (
        f"{r['mode']:<15} {r['seconds']:6.2f} s (load {r['load']:.1f}) to queue {r['to_queue']:.2f} hunt "
        f"{r['hunt']:.2f} after {r['after']:.2f} | {len(ws)} workers busy {total('busy'):.2f} s ({total('busy_cpu'):.2f} CPU s); idle before first "
        f"{total('before'):.2f} s (of which after the queue started {total('before_queue'):.2f}), between "
        f"{total('between'):.2f} s ({total('gaps_over_50ms')} gaps > 50 ms), tail {total('tail'):.2f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--modes", default="local,dask")
    parser.add_argument("--before", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--trace", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(str(args.root), json.loads(args.child), args.trace)
    runs = []
    for _ in range(args.repeat):
        for mode in args.modes.split(","):
            r = run(mode, args.root, args.jobs, args.before.resolve() if args.before else None)
            runs.append(r)
            print(show(r), flush=True)
    for mode in args.modes.split(","):
        mine = [r for r in runs if r["mode"] == mode]
        idle = [sum(w["before"] + w["between"] + w["tail"] for w in r["workers"]) for r in mine]
        print(
            f"{mode}: median {statistics.median(r['seconds'] for r in mine):.2f} s, idle {statistics.median(idle):.2f} worker-s"
        )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
