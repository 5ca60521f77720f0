"""Benchmark `exhunt scan` against thousands of emulated hosts on loopback.

Emulator processes serve the hosts (the test emulator, tests/emulator.py) on several 127.x.y.z
addresses and kernel-chosen ports; the scanner runs as the real command in its own process on
a targets file. Reported: hosts per second (wall clock, start of the command to its exit) and
the share of hosts fingerprinted correctly (build, build source and "is Exchange" as served).

    .venv/bin/python bench/bench_scan.py                 # 2,000 hosts, plain HTTP and TLS
    .venv/bin/python bench/bench_scan.py --hosts 5000 --modes https --concurrency 400

Only loopback is used; no name is ever resolved.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from emulator import (  # noqa: E402
    Emulator,
    ExchangeHost,
    HardenedHost,
    Profile,
    RawHost,
    WebHost,
    make_certificate,
    server_context,
)

BUILDS = [
    "15.1.2176.2",
    "15.1.2176.9",
    "15.1.2176.14",
    "15.2.1118.20",
    "15.2.986.36",
    "15.1.2507.16",
    "15.0.1497.2",
    "15.2.1258.12",
    "15.1.2375.37",
    "15.2.792.10",
]


def profile_for(i: int) -> tuple[Profile, dict[str, Any]]:
    """A realistic mix: most hosts reveal the build one way or another, some hide, some are not Exchange."""
    build = BUILDS[i % len(BUILDS)]
    kind = i % 20
    if kind < 10:
        return ExchangeHost(build), {"build": build, "source": "x-owa-version", "exchange": True}
    if kind < 14:
        return (
            ExchangeHost(build, owa_version_header=False),
            {"build": build, "source": "exporttool-manifest", "exchange": True},
        )
    if kind < 17:
        return (
            ExchangeHost(build, owa_version_header=False, exporttool=False),
            {"build": build.rsplit(".", 1)[0], "source": "owa-logon-page", "exchange": True},
        )
    if kind == 17:
        return (
            ExchangeHost(build, owa_version_header=False, exporttool=False, logon_page=False),
            {"build": None, "source": None, "exchange": True},
        )
    if kind == 18:
        return HardenedHost(), {"build": None, "source": None, "exchange": False}
    return (WebHost() if i % 40 == 19 else RawHost("close")), {"build": None, "source": None, "exchange": False}


def serve(first: int, count: int, addresses: list[str], cert: tuple[str, str] | None, conn: Any) -> None:
    """One emulator process: `count` hosts from host number `first`, spread over `addresses`."""
    import asyncio

    async def main() -> None:
        em = Emulator()
        tls = server_context(Path(cert[0]), Path(cert[1])) if cert else None
        endpoints = []
        for n in range(first, first + count):
            profile, expected = profile_for(n)
            ip, port = em.add(addresses[n % len(addresses)], profile, tls=tls)
            endpoints.append((ip, port, expected))
        await em.start()
        conn.send(endpoints)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until told to stop
        await em.stop()

    asyncio.run(main())


def bare_client(targets: Path, concurrency: int) -> None:
    """The floor to compare with: plain aiohttp, no fingerprinting, no limits beyond the timeout.

    Per host, like the scanner: its own connection pool, GET /owa/ following redirects (to the
    logon page), then the export tool manifest - 3 requests, a few more than the scanner's average.
    """
    import asyncio
    import ssl

    import aiohttp

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    urls = targets.read_text().split()

    async def one(base: str, gate: asyncio.Semaphore) -> int:
        async with (
            gate,
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=2, ssl=ctx), timeout=aiohttp.ClientTimeout(total=10)
            ) as session,
        ):
            answered = 0
            for path in ("owa/", "ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application"):
                try:
                    async with session.get(base + path) as resp:
                        await resp.read()
                        answered += 1
                except (aiohttp.ClientError, TimeoutError):
                    break
            return answered

    async def main() -> None:
        gate = asyncio.Semaphore(concurrency)
        await asyncio.gather(*(one(u, gate) for u in urls))

    asyncio.run(main())


def timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds of a child process (the emulators are children too, but still running)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


class Emulated:
    """`hosts` emulated hosts of one scheme served by `processes` emulator processes, for as long
    as the `with` block lasts; `targets` is the file of their URLs for `exhunt scan -i`."""

    def __init__(self, scheme: str, hosts: int, processes: int, workdir: Path) -> None:
        self.scheme, self.hosts, self.processes, self.workdir = scheme, hosts, processes, workdir
        self.procs: list[Any] = []
        self.pipes: list[Any] = []
        self.endpoints: list[tuple[str, int, dict[str, Any]]] = []
        self.targets = workdir / f"targets-{scheme}.txt"

    def __enter__(self) -> Emulated:
        cert = None
        if self.scheme == "https":
            c, k = make_certificate(self.workdir)
            cert = (str(c), str(k))
        ctx = mp.get_context("fork")
        per = -(-self.hosts // self.processes)
        for p in range(self.processes):
            count = min(per, self.hosts - p * per)
            addresses = [f"127.{10 + p}.{a // 250}.{a % 250 + 1}" for a in range(20)]
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=serve, args=(p * per, count, addresses, cert, child), daemon=True)
            proc.start()
            self.procs.append(proc)
            self.pipes.append(parent)
        for pipe in self.pipes:
            self.endpoints.extend(pipe.recv())
        self.targets.write_text("".join(f"{self.scheme}://{ip}:{port}/\n" for ip, port, _ in self.endpoints))
        return self

    def __exit__(self, *_exc: object) -> None:
        for pipe in self.pipes:
            pipe.send("stop")
        for p in self.procs:
            p.join(10)
            if p.is_alive():
                p.terminate()

    def check(self, report: dict[str, Any]) -> dict[str, Any]:
        """How many hosts the scan's JSON report fingerprinted as they are served."""
        by_key = {r["key"]: r for r in report["results"]}
        correct = missing = 0
        wrong: list[str] = []
        for ip, port, expected in self.endpoints:
            r = by_key.get(f"{self.scheme}://{ip}:{port}")
            if r is None:
                missing += 1
                continue
            got = (r["build"], r["build_source"], r["is_exchange"])
            if got == (expected["build"], expected["source"], expected["exchange"]):
                correct += 1
            elif len(wrong) < 5:
                wrong.append(f"{ip}:{port} expected {expected} got {got} errors {r['errors'][:2]}")
        return {"hosts": len(self.endpoints), "correct": correct, "missing": missing, "examples_wrong": wrong}


def scan_command(targets: Path, out: Path, concurrency: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "exhunt",
        "scan",
        "-i",
        str(targets),
        "--no-db",
        "-q",
        "--json",
        str(out),
        "--concurrency",
        str(concurrency),
        "--timeout",
        "10",
        "--host-timeout",
        "30",
    ]


def bare_command(targets: Path, concurrency: int) -> list[str]:
    return [sys.executable, __file__, "--bare-client", str(targets), "--concurrency", str(concurrency)]


def run_mode(scheme: str, hosts: int, processes: int, concurrency: int, workdir: Path) -> dict[str, Any]:
    with Emulated(scheme, hosts, processes, workdir) as emulated:
        out = workdir / f"results-{scheme}.json"
        elapsed, cpu, proc = timed(scan_command(emulated.targets, out, concurrency))
        bare_elapsed, bare_cpu, bare = timed(bare_command(emulated.targets, concurrency))
        if bare.returncode != 0:
            raise SystemExit(f"bare client failed: {bare.stderr[-2000:]}")
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scan failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(out.read_text())
    checked = emulated.check(report)
    correct, count = checked["correct"], checked["hosts"]
    return {
        "scheme": scheme,
        "hosts": count,
        "results": len(report["results"]),
        "missing": checked["missing"],
        "seconds": round(elapsed, 2),
        "hosts_per_second": round(count / elapsed, 1),
        "correct": correct,
        "share_correct": round(correct / count, 4),
        "exchange": report["summary"]["exchange"],
        "concurrency": concurrency,
        "scanner_cpu_seconds": round(cpu, 2),
        "scanner_cpu_ms_per_host": round(1000 * cpu / count, 2),
        "requests": sum(r.get("requests", 0) for r in report["results"]),
        "bare_aiohttp_seconds": round(bare_elapsed, 2),
        "bare_aiohttp_hosts_per_second": round(count / bare_elapsed, 1),
        "bare_aiohttp_cpu_ms_per_host": round(1000 * bare_cpu / count, 2),
        "examples_wrong": checked["examples_wrong"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2, help="emulator processes")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--modes", default="http,https", help="http, https or both (comma-separated)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--bare-client", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_client:
        bare_client(args.bare_client, args.concurrency)
        return 0
    figures = []
    with tempfile.TemporaryDirectory(prefix="exhunt-bench-") as tmp:
        for scheme in args.modes.split(","):
            fig = run_mode(scheme.strip(), args.hosts, args.processes, args.concurrency, Path(tmp))
            figures.append(fig)
            print(
                f"{fig['scheme']:5}: {fig['hosts']} hosts in {fig['seconds']}s = {fig['hosts_per_second']} "
                f"hosts/s; {fig['results']} results, {fig['missing']} missing; fingerprinted correctly "
                f"{fig['correct']}/{fig['hosts']} ({fig['share_correct']:.1%}); concurrency {fig['concurrency']}; "
                f"{fig['requests']} requests; scanner CPU {fig['scanner_cpu_seconds']}s "
                f"({fig['scanner_cpu_ms_per_host']} ms/host)"
            )
            print(
                f"       bare aiohttp, 3 requests per host, same hosts: {fig['bare_aiohttp_hosts_per_second']} "
                f"hosts/s, CPU {fig['bare_aiohttp_cpu_ms_per_host']} ms/host"
            )
            for line in fig["examples_wrong"]:
                print("   ", line)
    print(f"machine: {os.cpu_count()} CPUs, emulator ({args.processes} processes) on the same machine")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
