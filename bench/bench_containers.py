"""Benchmark hunting many small files as a folder and as archives of the same files.

    python bench/bench_containers.py                    # 20,000 files under bench/out/containers
    python bench/bench_containers.py --files 5000 10000 20000

For each size it writes one tree of small web pages and logs (a server's `inetpub` and
`Logging` folders), the same tree as a zip, a tar.gz and a zip inside a zip, and times the whole
`exhunt hunt PATH --json FILE` command on each, interleaved, in one run. The folder is the
comparison: an archive should cost about what its decompression costs, not grow with the square
of its member count. It also checks that each run found the planted web shell.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

SHELL = b'<%@ Page Language="Jscript"%><%eval(Request.Item["exhunt"],"unsafe");%>'
PAGE = b"<html><body>Contoso intranet page %d</body></html>\n"


def write_tree(root: Path, files: int) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    for i in range(files - 1):
        folder = f"C/inetpub/wwwroot/site{i % 50}/pages{i % 7}"
        members[f"{folder}/page{i}.html"] = PAGE % i
    members["C/inetpub/wwwroot/aspnet_client/system_web/shell.aspx"] = SHELL
    for name, data in members.items():
        path = root / "folder" / "EX01" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return members


def write_archives(root: Path, members: dict[str, bytes]) -> dict[str, Path]:
    paths = {"folder": root / "folder"}
    zip_path = root / "EX01.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(f"EX01/{name}", data)
    paths["zip"] = zip_path
    tgz = root / "EX01.tar.gz"
    with tarfile.open(tgz, "w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(f"EX01/{name}")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    paths["tar.gz"] = tgz
    outer = root / "case.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as z:
        z.write(zip_path, "EX01.zip")
    paths["zip in zip"] = outer
    return paths


def hunt(path: Path, out: Path) -> tuple[float, bool]:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "exhunt", "hunt", str(path), "--json", str(out)], check=False, capture_output=True
    )
    elapsed = time.perf_counter() - start
    doc = json.loads(out.read_text())
    found = any(f["rule_id"].startswith("EXH-WS-") for h in doc["hosts"] for f in h["findings"])
    return elapsed, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, nargs="+", default=[20000])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "containers")
    args = parser.parse_args()
    for files in args.files:
        root = args.out / str(files)
        if not (root / "EX01.zip").exists():
            write_archives(root, write_tree(root, files))
        paths = {
            k: root / v
            for k, v in (
                ("folder", "folder"),
                ("zip", "EX01.zip"),
                ("tar.gz", "EX01.tar.gz"),
                ("zip in zip", "case.zip"),
            )
        }
        for label, path in paths.items():
            seconds, found = hunt(path, root / "result.json")
            print(f"{files:>7} files  {label:<11} {seconds:7.1f} s  shell found: {found}")


if __name__ == "__main__":
    main()
