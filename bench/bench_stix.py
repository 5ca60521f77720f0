"""STIX writer: time per finding as the number of findings grows (is it linear?).

Hunts the bundled compromised example once, then repeats its findings until the host holds N
findings, each copy with its own source address and evidence path (so every copy adds its own
observables, the case where de-duplication cannot help), and times `write_stix` for each N.
A linear writer keeps the time per finding flat; a quadratic one doubles it with each doubling.

Usage:  .venv/bin/python bench/bench_stix.py [N ...]   (default 2000 8000 32000)
"""

from __future__ import annotations

import dataclasses
import ipaddress
import sys
import tempfile
import time
from pathlib import Path

from exhunt.model import Finding, HuntResult
from exhunt.report.stix import write_stix

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "EX01-compromised"


def _hunt() -> HuntResult:
    from exhunt.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        main(["hunt", str(EXAMPLE), "--no-db", "-q", "--json", str(out)])
        from exhunt import boundedjson
        from exhunt.typecheck import decode

        return decode(boundedjson.loads(out.read_text()), HuntResult.from_dict)


def _grown(result: HuntResult, n: int) -> HuntResult:
    host = result.hosts[0]
    seed = host.findings
    findings: list[Finding] = []
    for i in range(n):
        f = seed[i % len(seed)]
        ip = str(ipaddress.IPv4Address(0xC6120000 + i))  # 198.18.0.0/15, benchmarking addresses
        evidence = dataclasses.replace(f.evidence, path=f"{f.evidence.path}.{i}")
        findings.append(dataclasses.replace(f, source_ip=ip, evidence=evidence))
    return dataclasses.replace(result, hosts=[dataclasses.replace(host, findings=findings)])


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [2000, 8000, 32000]
    base = _hunt()
    print(f"{'findings':>9} {'objects':>8} {'seconds':>8} {'ms/finding':>10}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            grown = _grown(base, n)
            started = time.perf_counter()
            objects = write_stix(grown, Path(tmp) / "s.json")
            took = time.perf_counter() - started
            print(f"{n:>9} {objects:>8} {took:>8.2f} {1000 * took / n:>10.3f}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
