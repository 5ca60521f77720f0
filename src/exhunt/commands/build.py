"""`exhunt build`: what Exchange builds leave open, and the update each one needs next."""

from __future__ import annotations

import argparse
import codecs
import csv
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from exhunt import __version__
from exhunt.builds import BuildAssessment, assess_build
from exhunt.cli_options import add_console, add_output, consoles, stdout_clash, to_stdout, write_text, write_with
from exhunt.model import CHAINS, Exposure
from exhunt.report.csvsafe import spreadsheet_safe

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
  exhunt build 15.1.2176.2 --json -        # exhunt.build/1 JSON for scripts
  Get-ExchangeServer | % { $_.AdminDisplayVersion.ToString() } | exhunt build -

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
        "-i", "--input", action="append", default=[], metavar="FILE", help="read builds from FILE, one per line"
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
    try:
        texts = list(_inputs(args.builds, args.input))
    except OSError as exc:
        print(f"exhunt build: cannot read {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not texts:
        print(
            "exhunt build: no build given: name one or more, or pipe them in one per line (see exhunt build --help)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    assessments = [assess_build(t) for t in texts]
    for a in assessments:
        if a.error:
            print(f"exhunt build: {shown(a.input)}: {a.error}", file=sys.stderr)
    try:
        _write_outputs(assessments, args)
    except BrokenPipeError:
        raise
    except OSError as exc:
        print(f"exhunt build: cannot write {exc.filename or 'an output'}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.quiet:
        render(assessments, out)
    return exit_code(assessments)


def _write_outputs(assessments: Sequence[BuildAssessment], args: argparse.Namespace) -> None:
    if args.json:
        document = {
            "schema": "exhunt.build/1",
            "tool_version": __version__,
            "builds": [a.to_dict() for a in assessments],
        }
        write_text(args.json, json.dumps(document, indent=2) + "\n")
    if args.jsonl:
        write_text(args.jsonl, "".join(json.dumps(a.to_dict()) + "\n" for a in assessments))
    if args.csv:
        write_with(args.csv, lambda fh: write_csv(assessments, fh, safe=not args.csv_raw))


CSV_COLUMNS = ("input", "build", "name", "product", "release_date", "exact", *map(str, CHAINS), "next_update", "error")


def write_csv(assessments: Sequence[BuildAssessment], out: IO[str], safe: bool = True) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for a in assessments:
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
        writer.writerow([spreadsheet_safe(v) if safe else v for v in values])


def exit_code(assessments: Sequence[BuildAssessment]) -> int:
    if any(a.error for a in assessments):
        return EXIT_BAD_INPUT
    exposed = {Exposure.VULNERABLE, Exposure.VULNERABLE_UNLESS_SU, Exposure.UNKNOWN}
    if any(c.status in exposed for a in assessments for c in a.exposure.values()):
        return EXIT_EXPOSED
    return EXIT_PATCHED


def _inputs(arguments: Sequence[str], files: Sequence[str] = ()) -> Iterable[str]:
    """The builds named on the command line, with '-' (or nothing) standing for standard input."""
    for name in files:
        yield from read_lines(_stdin_bytes() if name == "-" else Path(name).read_bytes())
    if not arguments and files:
        return
    if not arguments:
        if sys.stdin is None or sys.stdin.isatty():
            return
        arguments = ["-"]
    for arg in arguments:
        if arg == "-":
            yield from read_lines(_stdin_bytes())
        else:
            yield arg[:MAX_LINE]


def _stdin_bytes() -> bytes:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return bytes(buffer.read())
    return sys.stdin.read().encode("utf-8", "replace")


def read_lines(data: bytes) -> list[str]:
    """Builds piped in, one per line. PowerShell pipes UTF-16 with a BOM; others UTF-8, maybe with one."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", "replace")
    elif len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:4:2] != b"\x00\x00":
        text = data.decode("utf-16-le", "replace")  # UTF-16 without a BOM
    else:
        text = data.decode("utf-8-sig", "replace")
    lines = []
    for raw in text.splitlines():
        line = raw.strip().strip("\x00").strip()
        if line and not line.startswith("#"):
            lines.append(line[:MAX_LINE])
    return lines


def shown(text: str) -> str:
    """Input as safe to print: control characters escaped, long text cut."""
    safe = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return repr(safe if len(safe) <= SHOWN else safe[:SHOWN] + "...")


def render(assessments: Sequence[BuildAssessment], console: Console) -> None:
    """One block per build: heading, a table of the four chains, the next update and notes."""
    good = [a for a in assessments if not a.error]
    for a in good:
        console.print(_block(a))
        console.print()
    bad = len(assessments) - len(good)
    statuses = [{c.status for c in a.exposure.values()} for a in good]
    exposed = sum(1 for s in statuses if s & {Exposure.VULNERABLE, Exposure.VULNERABLE_UNLESS_SU})
    unknown = sum(1 for s in statuses if Exposure.UNKNOWN in s)
    patched = sum(1 for s in statuses if s == {Exposure.PATCHED})
    summary = f"{len(good)} build(s): {exposed} exposed, {patched} patched"
    if unknown:
        summary += f", {unknown} unknown"
    if bad:
        summary += f"; {bad} not understood (see the messages above)"
    console.print(summary, style="bold", highlight=False)


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
