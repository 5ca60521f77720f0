"""CPU of the hunt's own process per finding, step by step, on the findings of a real hunt.

    python bench/findings_cost.py HUNT.json [--rounds 5] [--keep DIR]

Every finding a worker sends goes through the hunt's own process one at a time: read from the
pipe, moved to the host's temporary file with a light copy kept, assessed, moved in its final
order to the file the hosts share (with its JSON text and its hunt store row), written into the
hunt store and into the JSON output. A host of a compromised server gives thousands. This takes
the first host's findings of HUNT.json (`exhunt hunt ... --json HUNT.json`; e.g. the events
corpus of `bench/speed.py events`), sends them as the workers do (pickled, eight files' findings
a message), and times each step of the hunt's own process with the same functions, in this
process alone (CPU seconds, median of the rounds). `--keep DIR` keeps the last round's JSON
output and hunt store, to compare two versions' bytes.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from exhunt import remediation
from exhunt.assess import assess
from exhunt.evidence.base import HostEvidence
from exhunt.fleet.findingspill import ArrivedFindings
from exhunt.fleet.hunt_log import SqliteHuntLog
from exhunt.fleet.outputs import HuntSink, JsonStream
from exhunt.model import Finding, UnitResult

STARTED = datetime(2024, 5, 1, tzinfo=UTC)


def messages(hunt: Path) -> tuple[list[bytes], int, float]:
    """The first host's findings as the workers send them (eight files' findings a message), how
    many, and the CPU seconds pickling them took."""
    by_file: dict[str, list[Finding]] = {}
    for data in json.loads(hunt.read_text())["hosts"][0]["findings"]:
        finding = Finding.from_dict(data)
        by_file.setdefault(finding.evidence.path, []).append(finding)
    files = sorted(by_file)
    wire, count, sending = [], 0, 0.0
    for i in range(0, len(files), 8):
        result = UnitResult(findings=[f for path in files[i : i + 8] for f in by_file[path]])
        count += len(result.findings)
        start = time.process_time()
        wire.append(pickle.dumps((0, 0, result), pickle.HIGHEST_PROTOCOL))
        sending += time.process_time() - start
    return wire, count, sending


def one_round(wire: list[bytes], store: Path, out: Path) -> dict[str, float]:
    clock = time.process_time
    spent = {"received (unpickled)": 0.0, "arrived (light copy, host's own file)": 0.0}
    arrived = ArrivedFindings(remediation.light)
    for k, message in enumerate(wire):  # as the queue does: each message's findings out of memory at once
        start = clock()
        _first, _last, result = pickle.loads(message)
        spent["received (unpickled)"] += clock() - start
        start = clock()
        arrived.add((k, 0), result.findings)
        result.findings = []
        spent["arrived (light copy, host's own file)"] += clock() - start
    start = clock()
    host = assess(HostEvidence("EX01", "/evidence", "events"), UnitResult(), arrived)
    spent["assessed, moved to the shared file"] = clock() - start
    log = SqliteHuntLog.open(str(store))
    if log is None:
        raise SystemExit(f"{store} is not a hunt store")
    hunt = log.start_hunt(tool_version="bench", evidence="/evidence", hosts_total=1)
    sink = HuntSink(started=STARTED, json=JsonStream(str(out / "hunt.json"), STARTED))
    start = clock()
    sink.host_done("k", host)
    spent["JSON output (spooled)"] = clock() - start
    start = clock()
    log.add_host(hunt, host, "k")
    spent["hunt store"] = clock() - start
    start = clock()
    sink.close(interrupted=False)
    spent["JSON output (written)"] = clock() - start
    log.close()
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("hunt", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args(argv)
    wire, count, sending = messages(args.hunt)
    gc.collect()
    print(f"{count} findings in {len(wire)} messages; pickled by the workers: {sending / count * 1e6:.1f} µs a finding")
    rounds: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        from exhunt.fleet.store import HuntStore

        with HuntStore(str(tmp / "template.sqlite")):  # made once: each round writes an existing store
            pass
        for n in range(args.rounds):
            out = tmp / f"round{n}"
            out.mkdir()
            shutil.copyfile(tmp / "template.sqlite", out / "hunts.sqlite")
            gc.collect()
            for step, seconds in one_round(wire, out / "hunts.sqlite", out).items():
                rounds.setdefault(step, []).append(seconds)
            if args.keep is not None and n == args.rounds - 1:
                shutil.copytree(out, args.keep, dirs_exist_ok=True)
    total = 0.0
    for step, seconds in rounds.items():
        median = statistics.median(seconds)
        total += median
        print(f"{step:40} {median * 1000:8.1f} ms {median / count * 1e6:7.1f} µs a finding")
    print(f"{'the hunt process in all':40} {total * 1000:8.1f} ms {total / count * 1e6:7.1f} µs a finding")
    return 0


if __name__ == "__main__":
    sys.exit(main())
