"""`exhunt build`: what Exchange builds leave open, and the update each one needs next."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import re
import sys
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, cast

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from exhunt import __version__
from exhunt.builds import BuildAssessment, assess_build
from exhunt.builds.parse import BuildParseError, build_in, parse_build
from exhunt.chains import CHAINS, Exposure
from exhunt.cli_options import add_console, add_output, consoles, open_output, stdout_clash, to_stdout
from exhunt.report.csvsafe import spreadsheet_safe
from exhunt.textencoding import text_encoding

NAME = "build"
HELP = "what an Exchange build leaves open: exposure per chain and CVE, and the update to install next"
DESCRIPTION = """\
Look up Exchange builds: product, CU and security update, release date, exposure to ProxyLogon,
ProxyShell, ProxyNotShell and OWASSRF with the CVEs still open, and the exact update to install
next (name, build, KB).

Builds may be given as 15.1.2176.2 (ExSetup.exe, X-OWA-Version: exact), zero padded
15.01.2176.002, 15.1.2176 (OWA paths: CU only, so a chain can be vulnerable-unless-su) or
"Version 15.1 (Build 2176.2)" (AdminDisplayVersion: CU only). With no BUILD, or with -, builds
are read from standard input, one per line (blank lines and lines starting with # are skipped);
a table PowerShell printed is read too: each server's line is assessed by the build it holds.

Statuses: vulnerable, patched, vulnerable-unless-su (only the CU is known and that CU has a
fixing security update), unknown (a product exhunt has no data for).

examples:
  exhunt build 15.1.2176.2                 # Exchange 2016 CU19 without security updates
  exhunt build 15.1.2176.2 15.2.1118.20 14.3.513.0
  exhunt build "Version 15.1 (Build 2375.7)"
  exhunt build 15.1.2176.2 --json -        # exhunt.build/1 JSON for scripts
  Get-ExchangeServer | % { $_.AdminDisplayVersion.ToString() } | exhunt build -
  Get-ExchangeServer | ft Name,AdminDisplayVersion | exhunt build -   # names kept

  exhunt build -i builds.txt --csv builds.csv  # one row per build, a column per chain
"""
EXIT_CODES = (
    "0  every build is patched against every chain",
    "1  a build is vulnerable, vulnerable-unless-su or unknown",
    "2  a build could not be read (the others are still reported)",
)
OUTPUTS = (
    ("json", "write exhunt.build/1 JSON"),
    ("jsonl", "write one JSON line per build (an exhunt.build/1 item)"),
    ("csv", "write one CSV row per build, a status column per chain (spreadsheet-safe unless --csv-raw)"),
)
OUTPUT_NAMES = tuple(name for name, _ in OUTPUTS)

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
    parser.add_argument(
        "-i",
        "--input",
        action="append",
        default=[],
        metavar="FILE",
        help="read builds from FILE, one per line (or a table PowerShell printed)",
    )
    out = add_output(parser, OUTPUTS)
    out.add_argument("--csv-raw", action="store_true", help="write CSV cells as typed, formulas included")
    add_console(parser)


def run(args: argparse.Namespace) -> int:
    clash = stdout_clash(args, OUTPUT_NAMES)
    out, _ = consoles(args, stdout_taken=bool(to_stdout(args, OUTPUT_NAMES)))
    if clash:
        print(f"exhunt build: {clash}", file=sys.stderr)
        return EXIT_BAD_INPUT
    # Streamed: one build read, assessed and written at a time, so a million piped builds cost
    # the memory of one (the JSON document is written item by item, byte for byte as a whole).
    tally = _Tally()
    console = None if args.quiet else out
    try:
        with ExitStack() as stack:
            sinks = _Sinks(args, stack)
            for a in _assessed(_inputs(args.builds, args.input)):
                tally.add(a)
                if a.error:
                    print(f"exhunt build: {shown(a.input)}: {a.error}", file=sys.stderr)
                sinks.add(a)
                if console is not None and not a.error:
                    console.print(_block(a))
                    console.print()
            sinks.close()
    except _InputError as exc:
        print(f"exhunt build: cannot read {exc.filename}: {exc.reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        raise
    except OSError as exc:
        print(f"exhunt build: cannot write {exc.filename or 'an output'}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not tally.total:
        print(
            "exhunt build: no build given: name one or more, or pipe them in one per line (see exhunt build --help)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if console is not None:
        console.print(tally.summary(), style="bold", highlight=False)
    return tally.exit_code()


class _InputError(Exception):
    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(filename, reason)
        self.filename = filename
        self.reason = reason


def _assessed(texts: Iterable[str]) -> Iterator[BuildAssessment]:
    yield from map(_assess, texts)


class _Sinks:
    """The requested outputs, open for the whole run and fed one build at a time."""

    def __init__(self, args: argparse.Namespace, stack: ExitStack) -> None:
        self._json: IO[str] | None = None
        self._jsonl: IO[str] | None = None
        self._csv: Any = None
        self._safe = not args.csv_raw
        self._count = 0
        if args.json:
            self._json = stack.enter_context(open_output(args.json))
            head = json.dumps({"schema": "exhunt.build/1", "tool_version": __version__}, indent=2)
            self._json.write(head[:-2] + ',\n  "builds": [\n')
        if args.jsonl:
            self._jsonl = stack.enter_context(open_output(args.jsonl))
        if args.csv:
            self._csv = csv.writer(stack.enter_context(open_output(args.csv)))
            self._csv.writerow(CSV_COLUMNS)

    def add(self, a: BuildAssessment) -> None:
        if self._json is not None:
            if self._count:
                self._json.write(",\n")
            self._json.write(textwrap.indent(json.dumps(a.to_dict(), indent=2), "    "))
        if self._jsonl is not None:
            self._jsonl.write(json.dumps(a.to_dict()) + "\n")
        if self._csv is not None:
            self._csv.writerow(csv_row(a, self._safe))
        self._count += 1

    def close(self) -> None:
        if self._json is not None:
            self._json.write(("\n" if self._count else "") + "  ]\n}\n")


CSV_COLUMNS = ("input", "build", "name", "product", "release_date", "exact", *map(str, CHAINS), "next_update", "error")


def csv_row(a: BuildAssessment, safe: bool = True) -> list[str]:
    nxt = a.next_update
    values = [
        a.input,
        a.build or "",
        a.name or "",
        a.product or "",
        a.release_date.isoformat() if a.release_date else "",
        str(a.exact).lower(),
        *(str(a.exposure[str(c)].status) if str(c) in a.exposure else "" for c in CHAINS),
        f"{nxt.name} {nxt.build}" if nxt else "",
        a.error or "",
    ]
    return [spreadsheet_safe(v) if safe else v for v in values]


def write_csv(assessments: Sequence[BuildAssessment], out: IO[str], safe: bool = True) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for a in assessments:
        writer.writerow(csv_row(a, safe))


@lru_cache(maxsize=4096)
def _assess(text: str) -> BuildAssessment:
    """One build; a line of a table (`EX01  Version 15.1 (Build 2176.2)`) is assessed by the
    build it holds and keeps its own text, which names the server."""
    a = assess_build(text)
    if a.error is None:
        return a
    try:
        inner = build_in(text)
    except BuildParseError as exc:
        return dataclasses.replace(a, error=str(exc))
    if inner is None or inner == text:
        return a
    return dataclasses.replace(assess_build(inner), input=text)


_RULE = re.compile(r"[-=\s]+")


def _from_a_table(text: str) -> bool:
    """Whether a build was read out of a longer line rather than given as itself."""
    try:
        parse_build(text)
    except BuildParseError:
        return True
    return False


def _table_lines(lines: Iterable[str]) -> Iterator[str]:
    """Lines read from a file or a pipe, without the heading and rule lines of a table PowerShell
    printed (`Name  AdminDisplayVersion` over `----  -------`). A heading is known by the rule
    under it, so a line with no digit waits for the next one; any other line that is not a build
    stays, and is an error."""
    held: str | None = None
    for line in lines:
        if _RULE.fullmatch(line):
            held = None  # the heading of a table, and its rule
            continue
        if held is not None:
            yield held
            held = None
        if any(c.isdigit() for c in line):
            yield line  # at once: a build piped in is shown before the next one arrives
        else:
            held = line
    if held is not None:
        yield held


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


def _inputs(arguments: Sequence[str], files: Sequence[str] = ()) -> Iterable[str]:
    """The builds named on the command line, with '-' (or nothing) standing for standard input."""
    for name in files:
        if name == "-":
            yield from _table_lines(read_stream(_stdin_binary()))
            continue
        try:
            fh = Path(name).open("rb")  # noqa: SIM115 - closed below, after its lines were yielded
        except OSError as exc:
            raise _InputError(name, exc.strerror or str(exc)) from exc
        with fh:
            yield from _table_lines(read_stream(fh))
    if not arguments and files:
        return
    if not arguments:
        if sys.stdin is None or sys.stdin.isatty():
            return
        arguments = ["-"]
    for arg in arguments:
        if arg == "-":
            yield from _table_lines(read_stream(_stdin_binary()))
        else:
            yield arg[:MAX_LINE]


def _stdin_binary() -> IO[bytes]:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return buffer  # type: ignore[no-any-return]
    return io.BytesIO(sys.stdin.read().encode("utf-8", "replace"))


def _encoding(start: bytes) -> str:
    """PowerShell pipes UTF-16 with a BOM; others UTF-8, maybe with one. A pipe of builds may
    also be UTF-16 without a mark: every second byte of its first four is a NUL."""
    encoding = text_encoding(start)
    if encoding == "utf-8-sig" and len(start) >= 4 and start[1:4:2] == b"\x00\x00" and start[0:4:2] != b"\x00\x00":
        return "utf-16-le"
    return encoding


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
    parts: list[RenderableType] = [heading]
    if a.build and _from_a_table(a.input):
        # a line of a table (`EX01  Version 15.1 (Build 2176.2)`): the line says which server
        parts.append(Text.assemble(("from: ", "dim"), (shown(a.input), "dim")))
    parts.append(table)
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
