"""Whole-hunt time and memory over a fleet of host collections, in one run, three ways.

    python bench/bench_fleet.py /tmp/fleet --hosts 200 --large 10 --repeat 2 [--json out.json]

The fleet: `--hosts` sub-folders, `--large` of them holding one large HttpProxy log (the biggest
file of a `bench/corpus.py` corpus of `--large-mb`), the rest a small corpus (`--small-mb`, a
few HttpProxy and IIS files); hosts are hard links to two generated templates, so the fleet
costs the disk of one of each. Every mode runs in a fresh process (its peak RSS is its own):

  per-host   the hunt as it was: hosts one after another, each through `engine.analyze_host`
             with its own workers (`--jobs`), then assessed
  queue      `hunt_hosts`: every host's units in one queue on the engine's workers (`--jobs`)
  dask       the same queue on a `distributed.LocalCluster` of `--jobs` worker processes; its
             fork server and the cluster are started before discovery, the cluster on a
             thread (`exhunt.fleet.starting`), as `exhunt hunt --scheduler local:N` does; the
             time the hunt then still waits for the cluster is timed as its start-up
  dask-late  the same, the fork server and the cluster started only after discovery (as
             before either was started early): a peer for the early start
  cli-queue  `exhunt hunt ROOT --jobs N --json F -q --no-db` over the whole fleet, timed from
             the interpreter's start to its exit (imports, rules, discovery, pool, hunt, outputs)
  cli-dask   the same with `--scheduler local:N`
  MODE@before  a cli mode run on another checkout's `src` (`--before SRC`), in the same rounds

Each run times discovery, the pool's start and the hunt; `whole` is all three. exhunt runs as
pip installs it, from compiled bytecode (compiled once here; PYTHONDONTWRITEBYTECODE, set in some
environments, would have every process compile exhunt's modules at its start, a second or more
of CPU, twice for Dask: in the hunting process and in the fork server).

Fleet sizes. The default (`--hosts 200 --large 10 --large-mb 48 --small-mb 1`) is 10 hosts with
one 20 MB log and 190 hosts of 3 MB, 0.8 GB: a hunt of a few seconds, where any fixed start cost
shows. A real Exchange server keeps hundreds of MB of logs (HttpProxy and IIS logs of a few
weeks, before rotation deletes them); `--hosts 20 --large 2 --large-mb 400 --small-mb 150` is 2
hosts with one 160 MB IIS log and 18 hosts of 154 MB in 10 files, 3.1 GB, still mixed sizes and
small enough to repeat on one machine. With `cli-queue` and `cli-dask` the summary gives Dask's
fixed cost in seconds and CPU seconds (the command's difference per round), the hunt's ratio,
and the hunt length at which the whole command is within 1.2x of the local pool.

Memory flat in the fleet size: each mode runs again on the first `--hosts // 4` hosts and on
all of them (`--repeat 0`: only that), and the peaks are compared: the hunting process's own, and the resident memory
summed over it and every process it started (workers, a LocalCluster's nannies), sampled, as
resident set size and as PSS (shared pages counted once). Every run reports how many hosts were
assessed and their verdicts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def build_fleet(root: Path, hosts: int, large: int, large_mb: int, small_mb: int) -> None:
    from corpus import generate

    templates = root.with_name(root.name + "-templates")  # beside the fleet, not a host of it
    if (root / ".done").exists():
        return
    big, small = templates / "big", templates / "small"
    if not big.exists():
        generate(big, large_mb, seed=1, attacks=5)
    if not small.exists():
        generate(small, small_mb, seed=2, attacks=1)
    biggest = max(
        (p for p in big.rglob("*") if p.is_file() and p.suffix.upper() == ".LOG"), key=lambda p: p.stat().st_size
    )
    for i in range(hosts):
        host = root / f"EX{i:04d}"
        if i < large:
            dest = host / biggest.relative_to(big)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(biggest, dest)
            continue
        for src in small.rglob("*"):
            if src.is_file() and src.name != "manifest.json":
                dest = host / src.relative_to(small)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.link(src, dest)
    (root / ".done").write_text("")


class MemorySampler:
    """Peak of the resident memory summed over this process and all its descendants (workers,
    nannies, a fork server and the workers it forked), sampled every 50 ms on a thread: what the
    hunt costs the machine, not one process; and the same as proportional set size (PSS, every
    200 ms), which counts a page shared copy-on-write by several processes once. Also each
    descendant's CPU time as last sampled: a fork server is never waited for, nor are the workers
    it forks (they are its children), so RUSAGE_CHILDREN misses them; the samples miss at most a
    descendant's last 50 ms."""

    def __init__(self) -> None:
        import psutil

        self._me = psutil.Process()
        self.peak = 0
        # The same summed as proportional set size: a page shared by several processes (a fork
        # server's with the workers it forked, copy-on-write) counted once over them, not once each.
        self.peak_pss = 0
        self.cpu: dict[int, float] = {}  # descendant pid -> its own user + system seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self, full: bool) -> tuple[int, int]:
        import psutil

        total = pss = 0
        for proc in [self._me, *self._me.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # gone between listing and reading
                # PSS reads every mapping of the process (a millisecond or more): 1 sample in 4.
                memory = proc.memory_full_info() if full else proc.memory_info()
                total += memory.rss
                pss += getattr(memory, "pss", 0)  # Linux only
                if proc is not self._me:
                    times = proc.cpu_times()
                    self.cpu[proc.pid] = times.user + times.system
        return total, pss

    def _run(self) -> None:
        rounds = 0
        while not self._stop.is_set():
            rss, pss = self._sample(full=rounds % 4 == 0)
            rounds += 1
            self.peak = max(self.peak, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(0.05)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_mode(mode: str, root: Path, hosts: int, jobs: int) -> dict[str, Any]:
    """One timed hunt in this process."""
    from exhunt.analyzers import HostContext, HuntOptions
    from exhunt.assess import assess
    from exhunt.engine import analyze_host
    from exhunt.evidence import discover
    from exhunt.hunt import artefact_kinds, hunt_hosts

    sampler = MemorySampler()
    begin = time.perf_counter()
    starting = None
    if mode == "dask":
        from exhunt.fleet.forking import start_fork_server
        from exhunt.fleet.starting import StartingPool

        start_fork_server()  # as `exhunt hunt --scheduler local:N` does, before discovery
        starting = StartingPool(f"local:{jobs}")  # and the cluster on a thread meanwhile
    found = sorted(discover(str(root)), key=lambda h: h.name)[:hosts]
    options = HuntOptions()
    verdicts: dict[str, str] = {}
    t0 = time.perf_counter()
    discovery = t0 - begin
    startup = 0.0
    if mode == "per-host":
        for host in found:
            ctx = HostContext(host.name, host.exchange_install, options)
            verdicts[host.name] = str(assess(host, analyze_host(host, ctx, jobs=jobs)).verdict)
    else:
        backend = None
        if starting is not None:
            backend = starting.take(options, artefact_kinds(found))
            startup = time.perf_counter() - t0
            t0 = time.perf_counter()
        elif mode.startswith("dask"):
            from exhunt.fleet.backends import DaskPool

            backend = DaskPool(f"local:{jobs}", options=options, kinds=artefact_kinds(found))
            startup = time.perf_counter() - t0
            t0 = time.perf_counter()
        hunt_hosts(
            found,
            options,
            jobs=jobs,
            backend=backend,
            keep=False,
            on_host=lambda _e, a: verdicts.__setitem__(a.host, str(a.verdict)),
        )
    end = time.perf_counter()
    seconds = end - t0
    size = sum(f.size for h in found for f in h.files)
    own = resource.getrusage(resource.RUSAGE_SELF)
    peak_all = sampler.stop()
    return {
        "mode": mode,
        "hosts": len(verdicts),
        "seconds": seconds,
        "startup": startup,
        "discovery": discovery,
        "whole": end - begin,  # discovery, the pool's start and the hunt
        "bytes": size,
        "mb_per_s": size / 1e6 / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_all_mb": peak_all / 2**20,
        "peak_pss_all_mb": sampler.peak_pss / 2**20,
        # CPU seconds of this process (discovery included) and of every process it started,
        # directly or not (sampled, see MemorySampler)
        "cpu_s": own.ru_utime + own.ru_stime + sum(sampler.cpu.values()),
        "verdicts": dict(sorted(statistics_of(verdicts).items())),
    }


def statistics_of(verdicts: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in verdicts.values():
        out[v] = out.get(v, 0) + 1
    return out


def run_cli(mode: str, root: Path, jobs: int) -> dict[str, Any]:
    """`exhunt hunt ROOT` itself over the whole fleet, from the interpreter's start to its exit:
    `--jobs N` (cli-queue) or `--scheduler local:N` (cli-dask)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hunt.json"
        base, _, checkout = mode.partition("@")
        how = ["--jobs", str(jobs)] if base == "cli-queue" else ["--scheduler", f"local:{jobs}"]
        cmd = [sys.executable, "-m", "exhunt", "hunt", str(root), "--no-db", "-q", "--json", str(out), *how]
        env = dict(os.environ, PYTHONPATH=str(BEFORE)) if checkout == "before" and BEFORE else None
        sampler = MemorySampler()
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False, env=env)
        seconds = time.perf_counter() - t0
        peak_all = sampler.stop()
        doc = json.loads(out.read_text())
    verdicts = {h["host"] + h["root"]: h["verdict"] for h in doc["hosts"]}
    size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file() and f.name != ".done")
    return {
        "mode": mode,
        "hosts": len(verdicts),
        "seconds": seconds,
        "startup": 0.0,
        "discovery": 0.0,
        "whole": seconds,  # the command's whole run: interpreter start, imports, discovery, pool, hunt
        "bytes": size,
        "mb_per_s": size / 1e6 / seconds,
        "peak_rss_mb": 0.0,
        "peak_rss_all_mb": peak_all / 2**20,
        "peak_pss_all_mb": sampler.peak_pss / 2**20,
        "cpu_s": sum(sampler.cpu.values()),
        "verdicts": dict(sorted(statistics_of(verdicts).items())),
    }


def in_child(mode: str, root: Path, hosts: int, jobs: int) -> dict[str, Any]:
    if mode.startswith("cli-"):
        return run_cli(mode, root, jobs)
    cmd = [sys.executable, __file__, str(root), "--child", mode, "--hosts", str(hosts), "--jobs", str(jobs)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


BEFORE: Path | None = None  # --before SRC: the `src` folder of another checkout


def as_installed() -> None:
    """Run exhunt as pip installs it, from compiled bytecode: compiled once here, and every
    process started from here runs without PYTHONDONTWRITEBYTECODE."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    for src in (Path(__file__).resolve().parent.parent / "src", BEFORE):
        if src is not None:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(src / "exhunt")], check=False)


def start_cost(runs: list[dict[str, Any]], queue: str, dask: str) -> None:
    """Dask's fixed cost, per round: the command's seconds beyond the local pool's hunt at Dask's
    hunt ratio, its extra CPU seconds over the local pool's, and the hunt length at which the whole command is within 1.2x of the local pool's
    (queue seconds >= fixed / (1.2 - hunt ratio), the hunt ratio from the dask and queue modes
    when they ran, else taken as 1)."""
    queues = [r for r in runs if r["mode"] == queue]
    dasks = [r for r in runs if r["mode"] == dask]
    if not queues or len(queues) != len(dasks):
        return
    pairs = list(zip(queues, dasks, strict=True))
    hunts = [r for r in runs if r["mode"] in ("queue", "dask")]
    ratios = [
        d["seconds"] / q["seconds"]
        for q, d in zip(
            [r for r in hunts if r["mode"] == "queue"], [r for r in hunts if r["mode"] == "dask"], strict=True
        )
    ]
    ratio = statistics.median(ratios) if ratios else 1.0
    # What the command costs beyond its hunt: its whole time less the hunt at Dask's rate.
    fixed = [d["seconds"] - ratio * q["seconds"] for q, d in pairs]
    cpu = [d["cpu_s"] - q["cpu_s"] for q, d in pairs]
    line = (
        f"{dask} over {queue}, fixed cost per round: "
        + " ".join(f"{x:+.2f} s" for x in fixed)
        + f" (median {statistics.median(fixed):+.2f} s); CPU "
        + " ".join(f"{x:+.2f}" for x in cpu)
        + f" (median {statistics.median(cpu):+.2f} CPU s); hunt ratio {ratio:.2f}"
    )
    if ratio < 1.2:
        line += f"; within 1.2x from a local-pool hunt of {max(0.0, statistics.median(fixed)) / (1.2 - ratio):.0f} s"
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--large", type=int, default=10)
    parser.add_argument("--large-mb", type=int, default=48)
    parser.add_argument("--small-mb", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--modes", default="per-host,queue,dask")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--before", type=Path, help="the `src` folder of another checkout, for MODE@before")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global BEFORE
    BEFORE = args.before.resolve() if args.before else None
    if args.child:
        print(json.dumps(run_mode(args.child, args.root, args.hosts, args.jobs)))
        return 0
    as_installed()
    build_fleet(args.root, args.hosts, args.large, args.large_mb, args.small_mb)
    runs: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        for mode in args.modes.split(","):
            r = in_child(mode, args.root, args.hosts, args.jobs)
            runs.append(r)
            print(
                f"{mode:<15} {r['hosts']} hosts {r['seconds']:7.2f} s (+{r['startup']:.1f} s start-up, "
                f"{r['discovery']:.1f} s discovery; whole {r['whole']:.2f} s) "
                f"{r['mb_per_s']:6.1f} MB/s  peak RSS {r['peak_rss_mb']:.0f} MB, all processes "
                f"{r['peak_rss_all_mb']:.0f} MB (PSS {r['peak_pss_all_mb']:.0f} MB)  CPU {r['cpu_s']:.1f} s  load {os.getloadavg()[0]:.1f}  {r['verdicts']}",
                flush=True,
            )
    quarter = max(1, args.hosts // 4)
    flat = [
        in_child(mode, args.root, n, args.jobs)
        for mode in args.modes.split(",")
        if not mode.startswith("cli-")  # the command hunts the whole folder
        for n in (quarter, args.hosts)
    ]
    for r in flat:
        print(
            f"{r['mode']:<9} {r['hosts']} hosts: peak RSS {r['peak_rss_mb']:.0f} MB, all processes "
            f"{r['peak_rss_all_mb']:.0f} MB (PSS {r['peak_pss_all_mb']:.0f} MB) (memory flat check)",
            flush=True,
        )
    if not runs:  # --repeat 0: the memory check alone
        return 0
    medians = {
        mode: statistics.median(r["seconds"] for r in runs if r["mode"] == mode) for mode in args.modes.split(",")
    }
    print("medians: " + ", ".join(f"{m} {s:.2f} s" for m, s in medians.items()))
    if "cli-queue" in medians and "cli-dask" in medians:
        pairs = list(
            zip(
                [r for r in runs if r["mode"] == "cli-queue"], [r for r in runs if r["mode"] == "cli-dask"], strict=True
            )
        )
        cli = [d["seconds"] / q["seconds"] for q, d in pairs]
        print(
            "exhunt hunt, --scheduler local:N / --jobs N per round: "
            + " ".join(f"{x:.2f}" for x in cli)
            + f" (median {statistics.median(cli):.2f}, min {min(cli):.2f})"
        )
    for mode in medians:
        if mode.startswith("cli-dask"):
            start_cost(runs, "cli-queue" + mode[len("cli-dask") :], mode)
    if "queue" in medians and "dask" in medians:
        pairs = list(
            zip([r for r in runs if r["mode"] == "queue"], [r for r in runs if r["mode"] == "dask"], strict=True)
        )
        hunt = [d["seconds"] / q["seconds"] for q, d in pairs]
        started = [(d["seconds"] + d["startup"]) / q["seconds"] for q, d in pairs]
        whole = [d["whole"] / q["whole"] for q, d in pairs]
        print(
            "dask / queue per round: hunt "
            + " ".join(f"{x:.2f}" for x in hunt)
            + f" (median {statistics.median(hunt):.2f}); with cluster start-up "
            + " ".join(f"{x:.2f}" for x in started)
            + f" (median {statistics.median(started):.2f}); whole run, discovery included "
            + " ".join(f"{x:.2f}" for x in whole)
            + f" (median {statistics.median(whole):.2f}, min {min(whole):.2f})"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
                    "runs": runs,
                    "flat_check": flat,
                    "medians": medians,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
