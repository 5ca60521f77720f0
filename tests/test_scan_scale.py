"""A scan of a million addresses keeps its memory flat and stops at --total-timeout.

Loopback only: every address of 127.0.0.0/12 is the local host, where nothing listens on port 1,
so each connection is refused at once. The targets are expanded as the workers take them, and the
ones not reached by the time limit are one count, not a million results.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

_CHILD = """
import resource, sys
from exhunt.cli import main
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
code = main(sys.argv[1:])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"RSS-GROWTH-KIB {peak - base}", file=sys.stderr)
sys.exit(code)
"""


def test_scan_of_a_million_loopback_addresses_stops_on_time_in_flat_memory(tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    argv = ["scan", "127.0.0.0/12", "--port", "1", "--max-targets", "2000000", "--total-timeout", "1.5"]
    argv += ["--timeout", "1", "--connect-timeout", "1", "--no-db", "--no-progress", "-q", "--json", str(out)]
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _CHILD, *argv], capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    # nothing exposed, but most targets were never asked (the total timeout): exit code 3
    assert done.returncode == 3, done.stderr[-2000:]
    growth_kib = int(done.stderr.split("RSS-GROWTH-KIB ")[1].split()[0])
    report = json.loads(out.read_text())
    scanned = len(report["results"])
    assert 0 < scanned < 1_048_574
    assert report["summary"]["not_scanned"] == 1_048_574 - scanned
    assert report["summary"]["not_judged"] == f"{1_048_574 - scanned} target(s) not scanned"
    assert all(r["address"].startswith("127.") and not r["reachable"] for r in report["results"])
    # Interpreter start and imports take ~1-2 s; the scan itself 1.5 s.
    assert elapsed < 20, elapsed
    assert growth_kib < 100 * 1024, growth_kib
