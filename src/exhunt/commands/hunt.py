"""`exhunt hunt`: was this server compromised? Logs, event logs and files, one verdict per host."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from exhunt.analyzers import HuntOptions
from exhunt.engine import Progress as HuntProgress
from exhunt.hunt import hunt_hosts
from exhunt.model import HuntResult, Verdict
from exhunt.report.console import render_host, render_summary
from exhunt.rules import RuleErrors, catalog

NAME = "hunt"
HELP = "hunt a server, a triage collection or a folder for traces of Exchange attacks"
DESCRIPTION = """\
Hunt the evidence of one or many Exchange servers for traces of ProxyLogon, ProxyShell,
ProxyNotShell and OWASSRF: SSRF requests and virtual-directory abuse in the HttpProxy, ECP,
OAB generator, IIS and remote PowerShell logs; UM errors, Exchange cmdlets, web shells spawning
shells and LSASS dumps in Windows event logs; web shells, dumps and staged archives on disk.

PATH may be a folder mirroring a server's disk (C/Program Files/..., any drive letter or
install path), a KAPE or Velociraptor collection (folder or .zip), a bare Exchange Logging
folder, a bare IIS log folder, any folder of files, a .zip of these, or a folder holding one
sub-folder per host. On a Windows Exchange server, leave PATH out to hunt the live server.
Evidence is only read, never changed.

Each host gets one verdict: compromised, exploitation-attempted, suspicious, clean, or
insufficient-evidence (nothing found, but an artefact the chains are judged on was missing, or
part of the evidence could not be read: the report says which). Every finding names its rule
(explain one with `exhunt rules RULE_ID`), file and line.

exit codes:
  0  every host clean
  1  a host is compromised, exploitation-attempted or suspicious
  2  usage error, evidence that cannot be opened, or an output that cannot be written
  3  no findings, but a host's evidence was insufficient to call it clean

examples:
  exhunt hunt examples/EX01-compromised
  exhunt hunt Collection-EX01-2021-03-05.zip --json ex01.json --html ex01.html
  exhunt hunt triage/ --jobs 8 --timeline timeline.jsonl --stix iocs.json
  exhunt hunt C:\\inetpub\\wwwroot --yara my-rules/ --allowlist allow.txt
  exhunt hunt EX01/ --sigma sigma/rules/windows --sigma sigma/rules/web
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="evidence to hunt (leave out on a Windows Exchange server for the live host)",
    )
    out = parser.add_argument_group("outputs")
    out.add_argument("--json", metavar="FILE", help="write results as JSON (exhunt.hunt/2; '-' for stdout)")
    out.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    out.add_argument("--timeline", metavar="FILE", help="write a Timesketch timeline (.csv or .jsonl)")
    out.add_argument("--stix", metavar="FILE", help="write observed indicators as a STIX 2.1 bundle")
    out.add_argument("-q", "--quiet", action="store_true", help="no console summary, no progress bar")
    out.add_argument(
        "--per-rule",
        type=int,
        default=5,
        metavar="N",
        help="findings shown per rule on the console (default 5; --json has all)",
    )
    rules = parser.add_argument_group("your own rules and allow-lists")
    rules.add_argument(
        "--yara", action="append", default=[], metavar="PATH", help="extra YARA rule file or folder (repeatable)"
    )
    rules.add_argument(
        "--indicators",
        action="append",
        default=[],
        metavar="FILE",
        help="extra hash / path indicator file (repeatable)",
    )
    rules.add_argument(
        "--allowlist",
        action="append",
        default=[],
        metavar="FILE",
        help="allow-list of hashes, paths or patterns to silence (repeatable)",
    )
    parser.add_argument(
        "--split-by-computer",
        action="store_true",
        help="hunt the event files of each computer the events name as a host of their own",
    )
    rules.add_argument(
        "--sigma",
        action="append",
        default=[],
        metavar="PATH",
        help="Sigma rule file or folder, run on event logs and (category webserver) IIS and HttpProxy logs (repeatable)",
    )
    rules.add_argument(
        "--sigma-levels",
        metavar="FILE",
        help="TOML file overriding what Sigma levels or rule ids imply (same shape as the shipped levels.toml)",
    )
    perf = parser.add_argument_group("performance")
    perf.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="worker processes (default: all cores)")
    perf.add_argument(
        "--max-file-size",
        type=int,
        default=64,
        metavar="MB",
        help="files larger than this are hashed but their content is not scanned (default 64)",
    )
    perf.add_argument(
        "--unit-timeout",
        type=float,
        default=HuntOptions.unit_timeout,
        metavar="SECONDS",
        help=(
            "deadline of one analyzer over one file, plus one second per MiB of the file "
            f"(default {HuntOptions.unit_timeout:.0f}); a file that passes it is stopped and reported "
            "as timed-out, and the hunt goes on. 0 turns deadlines off"
        ),
    )
    perf.add_argument(
        "--no-code-analysis",
        action="store_true",
        help="do not parse server code in pages (faster; web shells then rest on content rules and indicators)",
    )


def _write_json(result: HuntResult, path: str) -> None:
    from exhunt.report.jsonout import write_json

    write_json(result, path)


def _write_html(result: HuntResult, path: str) -> None:
    from exhunt.report.html import write_html  # Jinja2, only when a report is asked for

    write_html(result, path)


def _write_timeline(result: HuntResult, path: str) -> None:
    from exhunt.report.timeline import write_timeline

    write_timeline(result, path)


def _write_stix(result: HuntResult, path: str) -> None:
    from exhunt.report.stix import write_stix

    write_stix(result, path)


def write_outputs(result: HuntResult, args: argparse.Namespace, err: Console) -> bool:
    """Write every requested output; a failed one is reported and the others still written."""
    ok = True
    outputs: list[tuple[str | None, Callable[[HuntResult, str], None], str]] = [
        (args.json, _write_json, "JSON"),
        (getattr(args, "html", None), _write_html, "HTML report"),
        (getattr(args, "timeline", None), _write_timeline, "timeline"),
        (getattr(args, "stix", None), _write_stix, "STIX bundle"),
    ]
    for path, write, what in outputs:
        if not path:
            continue
        try:
            write(result, path)
            if path != "-":
                err.print(f"{what} written to {path}", highlight=False, markup=False)
        except (OSError, ValueError, ImportError, AttributeError) as exc:
            err.print(
                f"exhunt: could not write the {what} to {path}: {exc}", style="red", highlight=False, markup=False
            )
            ok = False
    return ok


EXIT_CLEAN = 0
EXIT_FOUND = 1
EXIT_INSUFFICIENT = 3


def exit_code(result: HuntResult) -> int:
    """Findings first: a host with findings outranks one whose evidence fell short."""
    found = {Verdict.COMPROMISED, Verdict.ATTEMPTED, Verdict.SUSPICIOUS}
    if any(h.verdict in found for h in result.hosts):
        return EXIT_FOUND
    if any(h.verdict is not Verdict.CLEAN for h in result.hosts):
        return EXIT_INSUFFICIENT
    return EXIT_CLEAN


def run(args: argparse.Namespace) -> int:
    from exhunt.evidence import EvidenceUnavailable, discover

    err = Console(stderr=True, highlight=False)
    out = Console(highlight=False)
    if args.jobs is not None and args.jobs < 1:
        err.print("exhunt hunt: --jobs must be at least 1", markup=False)
        return 2
    if args.unit_timeout < 0:
        err.print("exhunt hunt: --unit-timeout must be 0 (off) or more", markup=False)
        return 2
    if args.json == "-" and not args.quiet:
        args.quiet = True  # stdout carries the JSON
    options = HuntOptions(
        max_file_size=max(1, args.max_file_size) * 1024 * 1024,
        extra_yara_paths=tuple(args.yara),
        extra_indicator_paths=tuple(args.indicators),
        allowlist_paths=tuple(args.allowlist),
        sigma_paths=tuple(args.sigma),
        sigma_levels=args.sigma_levels,
        unit_timeout=args.unit_timeout,
        settings={"code_analysis": False} if args.no_code_analysis else {},
    )
    show_progress = not args.quiet and err.is_terminal
    try:
        catalog()  # every rule checked before any evidence is read
    except RuleErrors as exc:
        err.print(
            f"exhunt hunt: the shipped rules are broken ({len(exc.errors)} problems):\n{exc}",
            markup=False,
            soft_wrap=True,
        )
        return 2
    try:
        hosts = discover(args.path)
        if args.split_by_computer:
            from exhunt.evidence.computers import split_by_computer

            hosts = split_by_computer(hosts)
    except EvidenceUnavailable as exc:
        err.print(f"exhunt hunt: {exc}", markup=False)
        return 2
    if not hosts:
        err.print(f"exhunt hunt: no evidence found in {args.path}", markup=False)
        return 2

    def on_host(host: Any) -> None:
        if not args.quiet:
            render_host(out, host, per_rule=args.per_rule)

    if show_progress:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("hunting", total=None)

            def on_progress(p: HuntProgress) -> None:
                bar.update(
                    task,
                    total=p.bytes_total,
                    completed=p.bytes_done,
                    description=f"{p.host[:24]} {p.files_done}/{p.files_total} files",
                )

            result = hunt_hosts(hosts, options, jobs=args.jobs, on_progress=on_progress, on_host=on_host)
    else:
        result = hunt_hosts(hosts, options, jobs=args.jobs, on_host=on_host)
    if not args.quiet:
        render_summary(out, result.hosts)
    if not write_outputs(result, args, err):
        return 2
    return exit_code(result)
