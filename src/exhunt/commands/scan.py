"""`exhunt scan`: remote exposure scan of many Exchange servers, with a results store."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from exhunt import __version__
from exhunt.cli_options import (
    add_console,
    add_output,
    consoles,
    show_progress,
    stdout_clash,
    to_stdout,
    unwritable,
    write_text,
)
from exhunt.model import CHAINS, Exposure, iso
from exhunt.report.safe_text import printable_middle
from exhunt.scan.checks import CHECKS
from exhunt.scan.client import ClientOptions
from exhunt.scan.output import report_json, result_line, write_csv
from exhunt.scan.result import HostResult, ScanReport, not_judged, summarise
from exhunt.scan.scanner import ScanOptions, bad_target_result, scan_targets
from exhunt.scan.store import Change, ChangeKind, ScanStore, StoreError, default_db_path, diff
from exhunt.scan.targets import (
    DEFAULT_MAX_TARGETS,
    TargetError,
    TargetLimitError,
    TargetSet,
    expand_targets,
    read_spec_lines,
)
from exhunt.textencoding import text_encoding
from exhunt.wording import counted

NAME = "scan"
HELP = "scan Exchange servers remotely: build, exposure per chain, opt-in checks, history"
_CHECK_HELP = "\n".join(
    textwrap.fill(
        f"{c.title}. Leaves: {c.traces}.", width=78, initial_indent=f"  {name:<14} ", subsequent_indent=" " * 17
    )
    for name, c in CHECKS.items()
)
DESCRIPTION = f"""\
Scan hosts over HTTPS for Microsoft Exchange, read the build each one reveals without logging
in, and say per chain (ProxyLogon, ProxyShell, ProxyNotShell, OWASSRF) whether it is
vulnerable, patched, vulnerable-unless-su (only the CU is visible, not the security update) or
unknown.

The build comes, most precise first, from the X-OWA-Version header, the eDiscovery export tool
manifest, or the OWA logon page's resource paths (CU only); the X-FEServer / X-BEServer /
X-CalculatedBETarget / X-DiagInfo headers and the logon page identify Exchange without a build.
Every result lists this evidence, the TLS certificate presented, and what went wrong.

Targets: host names, IPs, URLs, host:port, [v6]:port, CIDR ranges (10.0.0.0/24), @FILE or
-i FILE (one or more per line, # comments; UTF-8, or UTF-16 as Windows PowerShell writes), and -
for stdin. Port 443 unless given. Certificates are not verified (Exchange certificates are often
self-signed) but recorded.

Results go into a SQLite store, one scan per run, so --diff can say what changed since the
previous scan: newly patched, newly exposed, gone, new. The store is --db FILE, else $EXHUNT_DB,
else the configuration file's [scan] db, else {default_db_path()}; --no-db keeps nothing.

Opt-in checks (--check NAME, or --check all). None exploits, writes or authenticates, but each
sends a request shaped like an attack's first step, which the target's IIS / HttpProxy logs
keep and its monitoring may alert on; they run only on hosts recognised as Exchange:
{_CHECK_HELP}

examples:
  exhunt scan mail.example.com                       # one host, table on the terminal
  exhunt scan 192.0.2.0/24 -p 8443 --json scan.json  # a range on another port
  exhunt scan -i servers.txt --csv scan.csv --concurrency 200
  exhunt scan 192.0.2.10 --sni mail.example.com      # an IP whose certificate/binding needs a name
  exhunt scan -i servers.txt --check proxylogon --check proxynotshell
  exhunt scan -i servers.txt --jsonl - | jq .build    # results as they come, one JSON per line
  exhunt scan --db scans.sqlite -i servers.txt --diff  # scan, then what changed since last time
  exhunt scan --db scans.sqlite --diff               # what changed between the last two scans

Settings (timeouts, concurrency, checks, the store...) may also come from a configuration
file: see `exhunt config show`.
"""

_STATUS_SHORT = {
    str(Exposure.VULNERABLE): "VULN",
    str(Exposure.VULNERABLE_UNLESS_SU): "SU?",
    str(Exposure.PATCHED): "ok",
    str(Exposure.UNKNOWN): "?",
}
_STATUS_STYLE = {"VULN": "bold red", "SU?": "yellow", "ok": "green", "?": "dim"}
_SOURCE_SHORT = {"x-owa-version": "header", "exporttool-manifest": "export", "owa-logon-page": "logon"}
_VERDICT_SHORT = {
    "vulnerable": "VULN",
    "not-vulnerable": "no",
    "mitigated": "mitigated",
    "not-mitigated": "unmitigated",
    "unknown": "?",
}
_CHAIN_SHORT = {"ProxyLogon": "PL", "ProxyShell": "PS", "ProxyNotShell": "PNS", "OWASSRF": "OWA"}
_HOSTNAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$")


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not 0 < value < math.inf:  # nan and inf too: a limit is a finite number (leave it unset for none)
            raise argparse.ArgumentTypeError(f"must be more than 0 and finite: {text!r}")
        return value

    return parse


CONFIG_SECTION = "scan"
EXIT_CODES = (
    "0  nothing exposed, and every target was judged",
    "1  a host is vulnerable or vulnerable-unless-su (--diff alone: something became exposed)",
    "2  usage or fatal error",
    "3  nothing exposed, but not every target was judged: a target not scanned (unusable spec, "
    "total timeout, internal error), an Exchange host whose exposure is unknown, or no target answered",
)
OUTPUTS = (
    ("json", "write the exhunt.scan/1 JSON report"),
    ("jsonl", "write each result as one JSON line as it comes (an exhunt.scan/1 result)"),
    ("csv", "write the results as CSV (spreadsheet-safe unless --csv-raw)"),
    ("html", "write the results as a self-contained HTML table"),
)
OUTPUT_NAMES = tuple(name for name, _ in OUTPUTS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="host, IP, URL, host:port, [v6]:port, CIDR range, @FILE, or - for stdin",
    )
    parser.add_argument(
        "-i",
        "--input",
        action="append",
        default=[],
        metavar="FILE",
        help="read targets from FILE (- = stdin); repeatable",
    )
    parser.add_argument("-p", "--port", type=int, default=443, help="port for targets without one (443)")
    parser.add_argument(
        "--check",
        action="append",
        default=[],
        choices=[*CHECKS, "all"],
        metavar="NAME",
        help=f"run an opt-in check ({', '.join(CHECKS)}, all); leaves traces in the target's logs, see above",
    )
    _add_limits(parser)
    tls = parser.add_argument_group("TLS")
    tls.add_argument(
        "--sni", metavar="NAME", help="for IP targets: the server name to send in TLS SNI and the Host header"
    )
    tls.add_argument(
        "--legacy-tls",
        action="store_true",
        help="when a TLS handshake fails, retry once with TLS 1.0 and a lowered security level "
        "(Exchange 2010-era servers); off by default",
    )
    out = add_output(parser, OUTPUTS)
    out.add_argument(
        "--csv-raw", action="store_true", help="write CSV cells as received, formulas included (forensic tools only)"
    )
    con = add_console(parser)
    con.add_argument("--all", action="store_true", help="list unreachable targets in the table too (also -v)")
    con.add_argument("--config", metavar="FILE", help="configuration file (default: see `exhunt config show`)")
    store = parser.add_argument_group("results store")
    store.add_argument("--db", metavar="FILE", type=Path, help="SQLite results store (default: see above)")
    store.add_argument("--no-db", action="store_true", help="do not store this scan")
    store.add_argument(
        "--diff", action="store_true", help="show what changed between the last two scans in the store (after this one)"
    )
    store.add_argument("--list-scans", action="store_true", help="list the scans in the store and exit")


def _add_limits(parser: argparse.ArgumentParser) -> None:
    """How many hosts at once, how fast, how long and how much."""
    group = parser.add_argument_group("speed and limits")
    group.add_argument("--concurrency", type=_positive(int), default=100, metavar="N", help="hosts at once (100)")
    group.add_argument(
        "--timeout",
        type=_positive(float),
        default=10.0,
        metavar="SECONDS",
        help="time limit of one request, body included (10)",
    )
    group.add_argument(
        "--connect-timeout", type=_positive(float), default=5.0, metavar="SECONDS", help="time limit to connect (5)"
    )
    group.add_argument(
        "--host-timeout",
        type=_positive(float),
        default=30.0,
        metavar="SECONDS",
        help="time limit for everything sent to one host (30)",
    )
    group.add_argument(
        "--total-timeout",
        type=_positive(float),
        default=None,
        metavar="SECONDS",
        help="time limit of the whole scan; hosts in flight then stop, the rest are counted as not scanned",
    )
    group.add_argument(
        "--rate",
        type=_positive(float),
        default=None,
        metavar="N",
        help="at most N requests per second over the whole scan",
    )
    group.add_argument(
        "--max-targets",
        type=_positive(int),
        default=DEFAULT_MAX_TARGETS,
        metavar="N",
        help=f"refuse to expand the targets past N addresses ({DEFAULT_MAX_TARGETS:,})",
    )
    group.add_argument(
        "--max-body",
        type=_positive(int),
        default=512 * 1024,
        metavar="BYTES",
        help="read at most this much of each response body (524288)",
    )


def _fail(message: str) -> int:
    print(f"exhunt scan: {message}", file=sys.stderr)
    return 2


def _read_lines(name: str) -> Iterator[str]:
    """A target list's lines: UTF-8, or UTF-16 with its byte-order mark, which is what Windows
    PowerShell 5 writes (`Get-ExchangeServer | % Fqdn > servers.txt`)."""
    if name == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if isinstance(buffer, io.BufferedReader):
            yield from _decoded(buffer)
        else:  # a text stream in its place, already decoded
            yield from sys.stdin
        return
    try:
        with open(name, "rb") as fh:
            yield from _decoded(fh)
    except OSError as exc:
        raise TargetError(f"cannot read {name}: {exc.strerror or exc}") from None


def _decoded(raw: io.BufferedReader) -> Iterator[str]:
    text = io.TextIOWrapper(raw, encoding=text_encoding(raw.peek(2)[:2]), errors="replace")
    try:
        yield from text
    finally:
        text.detach()  # the stream stays the caller's to close (standard input above all)


def _specs(args: argparse.Namespace) -> Iterator[str]:
    for spec in args.targets:
        if spec == "-":
            yield from read_spec_lines(_read_lines("-"))
        elif spec.startswith("@") and len(spec) > 1:
            yield from read_spec_lines(_read_lines(spec[1:]))
        else:
            yield spec
    for name in args.input:
        yield from read_spec_lines(_read_lines(name))


def _open_out(name: str) -> IO[str]:
    if name == "-":
        return sys.stdout
    return open(name, "w", encoding="utf-8", newline="")


# Options whose value must be more than 0. The command line checks them as it reads them; a
# configuration file's value arrives as the option's default, which argparse does not check.
_POSITIVE = (
    "concurrency",
    "timeout",
    "connect_timeout",
    "host_timeout",
    "total_timeout",
    "rate",
    "max_targets",
    "max_body",
)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        return _fail(f"bad port {args.port}")
    for name in _POSITIVE:
        value = getattr(args, name)
        if value is not None and not 0 < value < math.inf:
            return _fail(
                f"--{name.replace('_', '-')} must be more than 0 and finite, not {value!r} (configuration file?)"
            )
    if args.sni and not _HOSTNAME.match(args.sni):
        return _fail(f"--sni needs a host name, not {args.sni!r}")
    clash = stdout_clash(args, OUTPUT_NAMES)
    if clash:
        return _fail(clash)
    cannot = unwritable({name: getattr(args, name) for name in OUTPUT_NAMES})
    if cannot:  # before a scan of thousands of hosts, not after it
        return _fail("; ".join(f"cannot write {why}" for why in cannot))
    if args.verbose:
        args.all = True
    unknown = [c for c in args.check if c not in CHECKS and c != "all"]
    if unknown:
        return _fail(f"no such check: {', '.join(unknown)} (known: {', '.join(CHECKS)}, all)")
    if args.no_db and (args.diff or args.list_scans):
        return _fail("--diff and --list-scans need the results store; drop --no-db")
    scanning = bool(args.targets or args.input)
    if not scanning and not args.diff and not args.list_scans:
        return _fail("no targets (give hosts, ranges, @FILE or -i FILE; see --help)")
    try:
        store = None if args.no_db else ScanStore(Path(args.db) if args.db else default_db_path())
    except StoreError as exc:
        return _fail(str(exc))
    try:
        if args.list_scans:
            return _list_scans(store, args)  # type: ignore[arg-type]
        code = 0
        report: ScanReport | None = None
        if scanning:
            try:
                targets = expand_targets(_specs(args), args.port, args.max_targets)
            except TargetLimitError as exc:
                return _fail(str(exc))
            except TargetError as exc:
                return _fail(str(exc))
            if not targets.count and not targets.bad:
                return _fail("no targets in the input")
            if targets.bad_not_kept and not args.quiet:
                print(
                    f"exhunt scan: {targets.bad_not_kept} more unusable target specs were skipped without being listed",
                    file=sys.stderr,
                )
            report = _scan(targets, args, store)
            if report is None:
                return 2
            code = 1 if any(r.exposed for r in report.results) else 3 if not_judged(report) else 0
        if args.diff:
            assert store is not None
            diff_code = _show_diff(store, args, report)
            if not scanning:
                code = diff_code
        return code
    except StoreError as exc:
        return _fail(str(exc))
    finally:
        if store is not None:
            store.close()


def _options(args: argparse.Namespace) -> ScanOptions:
    checks = tuple(CHECKS) if "all" in args.check else tuple(dict.fromkeys(args.check))
    client = ClientOptions(
        request_timeout=args.timeout,
        connect_timeout=min(args.connect_timeout, args.timeout),
        max_body=args.max_body,
        sni=args.sni,
        legacy_tls=args.legacy_tls,
    )
    return ScanOptions(
        client=client,
        checks=checks,
        concurrency=args.concurrency,
        host_timeout=max(args.host_timeout, args.timeout),
        total_timeout=args.total_timeout,
        rate=args.rate,
    )


def _fit_concurrency(wanted: int) -> tuple[int, str | None]:
    """Hosts in flight need file descriptors (two each at most); stay inside the process's limit."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to meet
        return wanted, None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2 * wanted + 64
    if soft == resource.RLIM_INFINITY or needed <= soft:
        return wanted, None
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    except (ValueError, OSError):
        pass
    fitted = max(1, min(wanted, (soft - 64) // 2))
    if fitted < wanted:
        return fitted, f"--concurrency {wanted} needs more open files than allowed ({soft}); using {fitted}"
    return wanted, None


def _scan(targets: TargetSet, args: argparse.Namespace, store: ScanStore | None) -> ScanReport | None:
    args.concurrency, warning = _fit_concurrency(args.concurrency)
    if warning and not args.quiet:
        print(f"exhunt scan: {warning}", file=sys.stderr)
    options = _options(args)
    table_out, err = consoles(args, stdout_taken=bool(to_stdout(args, OUTPUT_NAMES)))
    report = ScanReport(__version__, datetime.now(UTC), checks=options.checks)
    try:
        jsonl = _open_out(args.jsonl) if args.jsonl else None
    except OSError as exc:
        _fail(f"cannot write {args.jsonl}: {exc.strerror or exc}")
        return None
    if store is not None:
        count = targets.count + len(targets.bad)
        report.scan_id = store.begin_scan(
            report.started,
            __version__,
            count,
            options.checks,
            {"port": args.port, "sni": args.sni, "legacy_tls": args.legacy_tls},
        )

    def keep(result: HostResult) -> None:
        report.results.append(result)
        if jsonl is not None:
            jsonl.write(result_line(result) + "\n")
            jsonl.flush()
        if store is not None and report.scan_id is not None:
            store.add_result(report.scan_id, result)

    for bad in targets.bad:
        keep(bad_target_result(bad))
    progress = show_progress(args, err) and targets.count > 1
    try:
        scanned = asyncio.run(_collect(targets, options, keep, err if progress else None))
    except KeyboardInterrupt:
        # Ctrl-C: the hosts answered so far are written (the JSON says it was interrupted) and
        # stay in the store as an unfinished scan, which --diff does not compare; then exit 130.
        report.interrupted = True
        scanned = len(report.results) - len(targets.bad)
    finally:
        if jsonl is not None and jsonl is not sys.stdout:
            jsonl.close()
    report.finished = datetime.now(UTC)
    report.not_scanned = targets.count - scanned
    if store is not None and report.scan_id is not None and not report.interrupted:
        store.finish_scan(report.scan_id, report.finished)
    report.results.sort(key=lambda r: r.key)
    if not _write_outputs(report, args):
        return None
    if report.interrupted:
        written = [getattr(args, name) for name in OUTPUT_NAMES if getattr(args, name)]
        where = f"; results so far in {', '.join(written)}" if written else ""
        print(f"exhunt scan: interrupted after {scanned} of {counted(targets.count, 'target')}{where}", file=sys.stderr)
        raise KeyboardInterrupt
    if not args.quiet:
        _render_table(report, args, table_out)
    return report


async def _collect(
    targets: TargetSet, options: ScanOptions, keep: Callable[[HostResult], None], console: Console | None
) -> int:
    """Scan the targets as they are expanded; the number of targets scanned."""
    scanned = 0
    if console is None:
        async for result in scan_targets(targets, options):
            keep(result)
            scanned += 1
        return scanned
    columns = (
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[exchange]} Exchange, {task.fields[exposed]} exposed"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("scan", total=targets.count, exchange=0, exposed=0)
        exchange = exposed = 0
        async for result in scan_targets(targets, options):
            keep(result)
            scanned += 1
            exchange += result.is_exchange
            exposed += result.exposed
            progress.update(task, advance=1, exchange=exchange, exposed=exposed)
    return scanned


def _write_text(name: str, text: str) -> bool:
    try:
        write_text(name, text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        _fail(f"cannot write {name}: {exc.strerror or exc}")
        return False
    return True


def _write_outputs(report: ScanReport, args: argparse.Namespace) -> bool:
    if args.json and not _write_text(args.json, report_json(report) + "\n"):
        return False
    if args.csv:
        buf = io.StringIO(newline="")
        write_csv(report.results, buf, safe=not args.csv_raw)
        if not _write_text(args.csv, buf.getvalue()):
            return False
    if args.html:
        from exhunt.report.scan_html import render_scan_html

        if not _write_text(args.html, render_scan_html(report)):
            return False
    return True


def _status_cell(result: HostResult, chain: str) -> str:
    if not result.is_exchange:
        return "-"
    short = _STATUS_SHORT.get(result.exposure.get(chain, ""), "?")
    return f"[{_STATUS_STYLE[short]}]{short}[/]"


def _note(result: HostResult) -> str:
    if not result.reachable:
        # "/owa/: timeout: ..." -> "timeout: ..." (the path is the same first request for every host)
        first = result.errors[0] if result.errors else "no answer"
        return first.split(": ", 1)[1] if first.startswith("/") and ": " in first else first
    if not result.is_exchange:
        return "Exchange not seen"
    checks = [
        f"{_CHAIN_SHORT.get(c.chain, c.chain)} {_VERDICT_SHORT.get(str(c.verdict), c.verdict)}" for c in result.checks
    ]
    if checks:
        return "checks: " + ", ".join(checks)
    product = (result.product or "").replace("Exchange Server", "Exchange")
    if result.build is None:
        # Exchange by its headers or logon page, and '?' in every chain: say why, not nothing.
        return "Exchange, no build seen (evidence in --json)"
    if any(e.startswith("X-OWA-Version differs") for e in result.evidence):
        return f"{product or 'Exchange'}; answers name several builds, the earliest judged"
    if not product and result.errors:
        return result.errors[0]
    return product


def _display_target(target: str) -> str:
    """The table shows where, not how: scheme and trailing slash go (JSON and CSV keep them)."""
    for prefix in ("https://", "http://"):
        if target.lower().startswith(prefix):
            return target[len(prefix) :].rstrip("/")
    return target


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


# Column widths: build, source, four chains. The target column is as wide as the longest target
# and the note gets what is left on a terminal (at least 12 each); piped, no cell is cut.
_WIDTHS = (12, 6, 4, 4, 4, 4)
_TARGET_MIN, _NOTE_MIN = 21, 12


def _render_table(report: ScanReport, args: argparse.Namespace, console: Console) -> None:
    rows = report.results if args.all else [r for r in report.results if r.reachable]
    targets = [_display_target(r.target) for r in rows]
    notes = [_note(r) for r in rows]
    fixed = sum(_WIDTHS) + len(_WIDTHS)  # one space after each column before the note
    target_width = max([_TARGET_MIN, *map(len, targets)])
    if console.is_terminal:
        # Cells are cut to the screen here, so the table never has to squeeze; a long target
        # loses its middle, which keeps its port.
        screen = max(80, min(console.width, 160))
        target_width = min(target_width, max(_TARGET_MIN, screen - fixed - 1 - _NOTE_MIN))
        note_width = max(_NOTE_MIN, screen - fixed - 1 - target_width)
    else:
        # A pipe or a file gets whole rows: a host name cut short in a scan of thousands is a
        # host nobody can find again, and grep and awk want the whole note.
        note_width = max([_NOTE_MIN, *map(len, notes)])
    width = target_width + 1 + fixed + note_width
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=0, show_edge=False)
    table.add_column("target", no_wrap=True, min_width=target_width, max_width=target_width)
    for name, w in zip(("build", "from", *(_CHAIN_SHORT[str(c)] for c in CHAINS)), _WIDTHS, strict=True):
        table.add_column(name, no_wrap=True, min_width=w, max_width=w)
    table.add_column("note", no_wrap=True, max_width=note_width)
    for r, shown, note in zip(rows, targets, notes, strict=True):
        table.add_row(
            escape(printable_middle(shown, target_width)),
            escape(_fit(r.build or "-", _WIDTHS[0])),
            _SOURCE_SHORT.get(r.build_source or "", "-"),
            *(_status_cell(r, str(c)) for c in CHAINS),
            escape(_fit(note, note_width)),
        )
    if rows:
        if console.is_terminal:
            console.print(table, width=width, no_wrap=True, crop=True)
        else:
            # rich renders no wider than its console, which is 80 columns when it is not a terminal.
            narrow = console.width
            console.width = max(narrow, width)
            try:
                with console.capture() as captured:
                    console.print(table, width=width, no_wrap=True, crop=False)
            finally:
                console.width = narrow
            # Without the padding to the widest note: each line ends where its text does.
            console.out("\n".join(line.rstrip() for line in captured.get().splitlines()), highlight=False)
        console.print(
            "VULN vulnerable, SU? vulnerable unless an update the scan cannot see is "
            "installed, ok patched, ? unknown, - Exchange not seen (none, or hidden); sources: header X-OWA-Version, "
            "export = export tool manifest, logon = logon page (CU only)",
            style="dim",
            width=80,
        )
    s = summarise(report.results)
    elapsed = (report.finished - report.started).total_seconds() if report.finished else 0.0
    console.print(
        f"{counted(s['targets'], 'target')}: {s['reachable']} answered, {s['exchange']} Exchange "
        f"({s['with_build']} with a build), {s['exposed']} exposed",
        soft_wrap=True,
    )
    stored = f", stored as scan {report.scan_id}" if report.scan_id is not None else ""
    console.print(f"{elapsed:.1f}s{stored}", style="dim", soft_wrap=True)
    if report.not_scanned:
        console.print(f"{counted(report.not_scanned, 'target')} not scanned: total timeout", soft_wrap=True)
    hidden = len(report.results) - len(rows)
    if hidden:
        console.print(f"{counted(hidden, 'target')} did not answer (--all lists them)", style="dim")
    why = not_judged(report)
    if why and not any(r.exposed for r in report.results):
        console.print(f"nothing exposed, but not every target was judged: {why} (exit code 3)", soft_wrap=True)


def _show_diff(store: ScanStore, args: argparse.Namespace, report: ScanReport | None) -> int:
    scans = store.scans(finished_only=True)
    console, _ = consoles(args, stdout_taken=bool(to_stdout(args, OUTPUT_NAMES)))
    if len(scans) < 2:
        if not args.quiet:
            console.print("--diff: the store holds fewer than two finished scans; nothing to compare yet")
        return 0
    older, newer = scans[-2], scans[-1]
    changes = diff(store.results(older.id), store.results(newer.id))
    if report is None and args.json:
        payload = {
            "schema": "exhunt.scan-diff/1",
            "older": older.to_dict(),
            "newer": newer.to_dict(),
            "changes": [c.to_dict() for c in changes],
        }
        if not _write_text(args.json, json.dumps(payload, indent=2, ensure_ascii=False) + "\n"):
            return 2
    if not args.quiet:
        _render_diff(console, older.id, newer.id, changes)
    worse = any(c.kind == ChangeKind.NEWLY_EXPOSED or (c.kind == ChangeKind.NEW and c.chains) for c in changes)
    return 1 if worse else 0


def _render_diff(console: Console, older: int, newer: int, changes: list[Change]) -> None:
    console.print(f"changes from scan {older} to scan {newer}:")
    if not changes:
        console.print("  none")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), show_edge=False)
    table.add_column("change", no_wrap=True)
    table.add_column("target", no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column("detail", overflow="fold", ratio=1)
    styles = {ChangeKind.NEWLY_EXPOSED: "bold red", ChangeKind.NEWLY_PATCHED: "green", ChangeKind.GONE: "dim"}
    for c in changes:
        table.add_row(
            f"[{styles.get(c.kind, '')}]{c.kind}[/]" if c.kind in styles else c.kind, escape(c.target), escape(c.detail)
        )
    console.print(table, width=min(console.width, 100))
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    console.print(", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))


def _list_scans(store: ScanStore, args: argparse.Namespace) -> int:
    scans = store.scans()
    if args.json:
        payload = {"schema": "exhunt.scan-list/1", "scans": [s.to_dict() for s in scans]}
        return 0 if _write_text(args.json, json.dumps(payload, indent=2) + "\n") else 2
    console, _ = consoles(args, stdout_taken=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=0, show_edge=False)
    for col in ("scan", "started (UTC)", "finished", "targets", "Exchange", "exposed", "checks"):
        table.add_column(col, no_wrap=True)
    for s in scans:
        table.add_row(
            str(s.id),
            _short_time(s.started),
            "yes" if s.finished else "no",
            str(s.targets),
            str(s.exchange),
            str(s.exposed),
            _fit(",".join(s.checks) or "-", 20),
        )
    console.print(table, width=max(80, console.width), crop=True)
    if not scans:
        console.print(f"no scans in {store.path} yet")
    return 0


def _short_time(ts: datetime | None) -> str:
    return iso(ts.replace(microsecond=0)) or "" if ts else ""
