"""A hostile evidence corpus: the bundled compromised example, with a bad case beside each kind
of good evidence. Build it with `python tests/hostile_corpus.py FOLDER` to hunt it by hand;
`test_hostile_corpus.py` hunts it in one run.

Each case is (name, what the hunt must show): a named problem, or a finding that must survive.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "EX01-compromised"
LOGGING = "C/Program Files/Microsoft/Exchange Server/V15/Logging"
PROXY = f"{LOGGING}/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"


@dataclass(frozen=True)
class Case:
    name: str
    path: str  # relative to the corpus root, as the hunt shows it
    expect_problem: bool  # True: a named problem at `path`; False: read without losing anything


def build(root: Path) -> list[Case]:
    """Write the corpus under `root` (a copy of the example plus the bad cases)."""
    shutil.copytree(EXAMPLE, root, symlinks=True)
    cases: list[Case] = []

    def add(rel: str, data: bytes, name: str, problem: bool) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        cases.append(Case(name, rel, problem))

    # Deep nesting where the content sniffer decodes JSON (was RecursionError: the hunt lost).
    for ext in ("json", "jsonl", "txt", "log", "csv"):
        add(f"C/Users/Public/nest.{ext}", b"[" * 2048, f"2 KB of '[' in a .{ext}", False)
    # An attack line dated at the calendar's end (was OverflowError in the HTML chart).
    proxy = (root / PROXY).read_bytes().splitlines(keepends=True)
    attack = next(line for line in proxy if b"ServerInfo~" in line)
    add(
        f"{LOGGING}/HttpProxy/Owa/HttpProxy_9999123123-1.LOG",
        b"".join(proxy[:5]) + attack.replace(b"2021-03-03T", b"9999-12-31T", 1),
        "an HttpProxy line dated 9999-12-31",
        False,
    )
    # A web shell whose name holds a byte that is not UTF-8 (was: STIX bundle lost).
    shell = (root / "C/inetpub/wwwroot/aspnet_client/Q7kf2LmA.aspx").read_bytes()
    odd = os.fsencode(str(root / "C/inetpub/wwwroot/aspnet_client")) + b"/sh\xffell.aspx"
    Path(os.fsdecode(odd)).write_bytes(shell)
    cases.append(
        Case("a web shell named with a non-UTF-8 byte", "C/inetpub/wwwroot/aspnet_client/sh\udcffell.aspx", False)
    )
    # Control characters and a bidi override in a logged value (console and CSV must stay inert).
    add(
        f"{LOGGING}/HttpProxy/Owa/HttpProxy_2021030307-1.LOG",
        b"".join(proxy[:5]) + attack.replace(b"python-requests", b"\x1b]52;c;Y2FsYw\x07\x1b[2J\xe2\x80\xaeevil", 1),
        "escape sequences in a user agent",
        False,
    )
    # A not-well-formed applicationHost.config with one 2 MiB line (was quadratic, > 900 s).
    add(
        "C/Windows/System32/inetsrv/config/applicationHost.config",
        b'<?xml version="1.0"?>\n<configuration>\n<system.applicationHost><sites><site name="Default Web Site">\n'
        + b"<virtualDirectory " * (2 * 2**20 // 18)
        + b"\n</sites></configuration>\n",
        "a broken applicationHost.config with a 2 MiB line",
        True,
    )
    # A damaged sector at the start of an IIS log (was: the whole log skipped as binary).
    iis = sorted((root / "C/inetpub/logs/LogFiles/W3SVC1").glob("u_ex2103*.log"))[-1]
    lines = iis.read_bytes().splitlines(keepends=True)
    header = [line for line in lines if line.startswith(b"#")]
    iis.write_bytes(b"".join(header) + bytes(range(256)) * 64 + b"\r\n" + b"".join(lines[len(header) :]))
    cases.append(Case("16 KiB of binary junk after an IIS log's header", str(iis.relative_to(root)), False))
    # Containers: a zip holding a web shell, and the same zip truncated in the case folder.
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr("inetpub/wwwroot/aspnet_client/zipshell.aspx", shell)
    add("C/Users/Public/collected.zip", good.getvalue(), "a zip holding a web shell", False)
    add("C/Users/Public/truncated.zip", good.getvalue()[: len(good.getvalue()) // 2], "a truncated zip", True)
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "C/inetpub/wwwroot/pipe.aspx")
        cases.append(Case("a FIFO named like a web page", "C/inetpub/wwwroot/pipe.aspx", True))
        (root / "C/inetpub/wwwroot/zero.aspx").symlink_to("/dev/zero")
        cases.append(Case("a link to /dev/zero", "C/inetpub/wwwroot/zero.aspx", True))
        (root / "C/inetpub/wwwroot/passwd.aspx").symlink_to("/etc/passwd")
        cases.append(Case("a link to a file outside the evidence", "C/inetpub/wwwroot/passwd.aspx", True))
    return cases


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} FOLDER (created; must not exist)")
    for case in build(Path(sys.argv[1])):
        print(f"{'problem' if case.expect_problem else 'read   '}  {case.name}: {case.path!r}")
