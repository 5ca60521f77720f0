"""`exhunt build`: what Exchange builds leave open, and the update each one needs next."""

from __future__ import annotations

import argparse
import codecs
import io
import json
import sys
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import IO, Any, cast

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from exhunt import __version__
from exhunt.builds import BuildAssessment, assess_build
from exhunt.chains import Exposure
from exhunt.report.terminal import InertConsole

NAME = "build"
HELP = "what an Exchange build leaves open: exposure per chain and CVE, and the update to install next"
DESCRIPTION = """\
Look up Exchange builds: product, CU and security update, release date, exposure to ProxyLogon,
ProxyShell, ProxyNotShell and OWASSRF with the CVEs still open, and the exact update to install
next (name, build, KB).

Builds may be given as 15.1.2176.2 (ExSetup.exe, X-OWA-Version: exact), zero padded
15.01.2176.002, 15.1.2176 (OWA paths: CU only, so a chain can be vulnerable-unless-su) or
"Version 15.1 (Build 2176.2)" (AdminDisplayVersion: CU only). With no BUILD, or with -, builds
are read from standard input, one per line (blank lines and lines starting with # are skipped).

Statuses: vulnerable, patched, vulnerable-unless-su (only the CU is known and that CU has a
fixing security update), unknown (a product exhunt has no data for).

examples:
  exhunt build 15.1.2176.2                 # Exchange 2016 CU19 without security updates
  exhunt build 15.1.2176.2 15.2.1118.20 14.3.513.0
  exhunt build "Version 15.1 (Build 2375.7)"
  exhunt build 15.1.2176.2 --json          # exhunt.build/1 JSON for scripts
  Get-ExchangeServer | % { $_.AdminDisplayVersion.ToString() } | exhunt build -

exit codes: 0 every build is patched against every chain; 1 a build is vulnerable,
vulnerable-unless-su or unknown; 2 a build could not be read (the others are still reported).
"""

EXIT_PATCHED = 0
EXIT_EXPOSED = 1
EXIT_BAD_INPUT = 2
# Longest input line kept whole; anything longer is no build number and is cut before display.
MAX_LINE = 200
SHOWN = 60

_STATUS_STYLE = {
    Exposure.VULNERABLE: "bold red",
    Exposure.VULNERABLE_UNLESS_SU: "bold yellow",
    Exposure.PATCHED: "green",
    Exposure.UNKNOWN: "magenta",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "builds", nargs="*", metavar="BUILD", help="build numbers; '-' or none reads them from standard input"
    )
    parser.add_argument("--json", action="store_true", help="print exhunt.build/1 JSON instead of tables")


def run(args: argparse.Namespace) -> int:
    # Streamed: one build read, assessed and written at a time, so a million piped builds cost
    # the memory of one (the JSON document is written item by item, byte for byte as a whole).
    tally = _Tally()
    console = None if args.json else InertConsole()
    out = sys.stdout
    for index, text in enumerate(_inputs(args.builds)):
        a = _assess(text)
        tally.add(a)
        if a.error:
            print(f"exhunt build: {shown(a.input)}: {a.error}", file=sys.stderr)
        if console is not None:
            if not a.error:
                console.print(_block(a))
                console.print()
            continue
        if index == 0:
            head = json.dumps({"schema": "exhunt.build/1", "tool_version": __version__}, indent=2)
            out.write(head[:-2] + ',\n  "builds": [\n')
        else:
            out.write(",\n")
        out.write(textwrap.indent(json.dumps(a.to_dict(), indent=2), "    "))
    if not tally.total:
        print(
            "exhunt build: no build given: name one or more, or pipe them in one per line (see exhunt build --help)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if console is None:
        out.write("\n  ]\n}\n")
    else:
        console.print(tally.summary(), style="bold", highlight=False)
    return tally.exit_code()


@lru_cache(maxsize=4096)
def _assess(text: str) -> BuildAssessment:
    return assess_build(text)


_EXPOSED = {Exposure.VULNERABLE, Exposure.VULNERABLE_UNLESS_SU}


class _Tally:
    """What the summary line and the exit code need, counted as builds stream past."""

    def __init__(self) -> None:
        self.total = self.bad = self.exposed = self.unknown = self.patched = 0

    def add(self, a: BuildAssessment) -> None:
        self.total += 1
        if a.error:
            self.bad += 1
            return
        statuses = {c.status for c in a.exposure.values()}
        self.exposed += bool(statuses & _EXPOSED)
        self.unknown += Exposure.UNKNOWN in statuses
        self.patched += statuses == {Exposure.PATCHED}

    def summary(self) -> str:
        good = self.total - self.bad
        text = f"{good} build(s): {self.exposed} exposed, {self.patched} patched"
        if self.unknown:
            text += f", {self.unknown} unknown"
        if self.bad:
            text += f"; {self.bad} not understood (see the messages above)"
        return text

    def exit_code(self) -> int:
        if self.bad:
            return EXIT_BAD_INPUT
        return EXIT_EXPOSED if self.exposed or self.unknown else EXIT_PATCHED


def exit_code(assessments: Sequence[BuildAssessment]) -> int:
    tally = _Tally()
    for a in assessments:
        tally.add(a)
    return tally.exit_code()


def _inputs(arguments: Sequence[str]) -> Iterable[str]:
    """The builds named on the command line, with '-' (or nothing) standing for standard input."""
    if not arguments:
        if sys.stdin is None or sys.stdin.isatty():
            return
        arguments = ["-"]
    for arg in arguments:
        if arg == "-":
            yield from read_stream(_stdin_binary())
        else:
            yield arg[:MAX_LINE]


def _stdin_binary() -> IO[bytes]:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return buffer  # type: ignore[no-any-return]
    return io.BytesIO(sys.stdin.read().encode("utf-8", "replace"))


def _encoding(start: bytes) -> str:
    """PowerShell pipes UTF-16 with a BOM; others UTF-8, maybe with one."""
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(start) >= 4 and start[1:4:2] == b"\x00\x00" and start[0:4:2] != b"\x00\x00":
        return "utf-16-le"  # UTF-16 without a BOM
    return "utf-8-sig"


def read_stream(stream: IO[bytes]) -> Iterator[str]:
    """Builds piped in, one per line, read as they come (lines longer than MAX_LINE cut)."""
    reader: Any = stream if hasattr(stream, "peek") else io.BufferedReader(cast(Any, stream))
    start = reader.peek(4)[:4]
    text = io.TextIOWrapper(reader, encoding=_encoding(start), errors="replace", newline=None)
    try:
        while raw := text.readline(MAX_LINE * 4):
            if not raw.endswith("\n"):  # a line longer than the bound: keep its start, skip the rest
                while (more := text.readline(MAX_LINE * 4)) and not more.endswith("\n"):
                    pass
            line = raw.strip().strip("\x00").strip()
            if line and not line.startswith("#"):
                yield line[:MAX_LINE]
    finally:
        text.detach()  # standard input stays open for whoever reads it next


def read_lines(data: bytes) -> list[str]:
    """Builds piped in, one per line (all at once; `read_stream` reads them as they come)."""
    return list(read_stream(io.BytesIO(data)))


def shown(text: str) -> str:
    """Input as safe to print: control characters escaped, long text cut."""
    safe = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return repr(safe if len(safe) <= SHOWN else safe[:SHOWN] + "...")


def render(assessments: Sequence[BuildAssessment], console: Console) -> None:
    """One block per build: heading, a table of the four chains, the next update and notes."""
    tally = _Tally()
    for a in assessments:
        tally.add(a)
        if not a.error:
            console.print(_block(a))
            console.print()
    console.print(tally.summary(), style="bold", highlight=False)


def _block(a: BuildAssessment) -> Group:
    released = f"released {a.release_date.isoformat()}" if a.release_date else "release date not listed"
    heading = Text.assemble((a.build or "", "bold"), "  ", (a.name or "", "bold"), f", {released}")
    table = Table(show_header=True, header_style="bold", expand=False, padding=(0, 1))
    table.add_column("chain", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("open CVEs and what fixes them", overflow="fold")
    for chain, exposure in a.exposure.items():
        detail = Text(" ".join(exposure.cves))
        if exposure.note:
            if exposure.cves:
                detail.append("\n")
            detail.append(exposure.note, style="dim")
        table.add_row(chain, Text(str(exposure.status), style=_STATUS_STYLE[exposure.status]), detail)
    parts: list[RenderableType] = [heading, table]
    nxt = a.next_update
    if nxt is not None:
        line = Text.assemble(("next update: ", "bold"), nxt.name, f"  {nxt.build}")
        if nxt.kb:
            line.append(f"  {nxt.kb}")
        parts.append(line)
        if nxt.note:
            parts.append(Padding(Text(nxt.note, style="dim"), (0, 0, 0, 2), expand=False))
    else:
        parts.append(Text.assemble(("next update: ", "bold"), "none (no newer update is known)"))
    if a.notes:
        parts.append(Text("notes:", style="bold"))
        parts.extend(Padding(Text(f"- {note}"), (0, 0, 0, 2), expand=False) for note in a.notes)
    return Group(*parts)
