"""The floors the benchmarks compare exhunt with: the least work any tool must do on the same input.

    python bench/floors.py evtx FILE...      parse every record with the raw `evtx` parser, nothing else
    python bench/floors.py evtx-threads FILE...   the same with the parser's own threads (one per core)
    python bench/floors.py sha256 DIR        read and SHA-256 every file under DIR (one process)

Each prints one count so a run can be checked, and is run as a whole command by bench/speed.py.
"""

from __future__ import annotations

import hashlib
import os
import sys


def evtx_records(paths: list[str], threads: int = 1) -> int:
    from evtx import PyEvtxParser

    return sum(sum(1 for _ in PyEvtxParser(p, number_of_threads=threads, indent=False).records_json()) for p in paths)


def sha256_tree(root: str) -> int:
    n = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as fh:
                hashlib.file_digest(fh, "sha256")
            n += 1
    return n


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"evtx", "evtx-threads", "sha256"}:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "evtx":
        print(evtx_records(argv[1:]))
    elif argv[0] == "evtx-threads":
        print(evtx_records(argv[1:], threads=0))
    else:
        print(sha256_tree(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
