"""`exhunt hunt`: was this server compromised? Logs, event logs and files, one verdict per host."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console

from exhunt.analyzers import HuntOptions
from exhunt.cli_options import add_console, add_output, write_text, write_with
from exhunt.fleet.verdicts import FOUND
from exhunt.model import HuntResult, Verdict
from exhunt.wording import counted

NAME = "hunt"
HELP = "hunt a server, a triage collection or a folder for traces of Exchange attacks"
DESCRIPTION = """\
Hunt the evidence of one or many Exchange servers for traces of ProxyLogon, ProxyShell,
ProxyNotShell and OWASSRF: SSRF requests and virtual-directory abuse in the HttpProxy, ECP,
OAB generator, IIS and remote PowerShell logs; UM errors, Exchange cmdlets, web shells spawning
shells and LSASS dumps in Windows event logs; web shells, dumps and staged archives on disk.

PATH may be a folder mirroring a server's disk (C/Program Files/..., any drive letter or
install path), a KAPE or Velociraptor collection (folder or .zip), a bare Exchange Logging
folder, a bare IIS log folder, any folder of files, an archive of these (zip, tar, tar.gz,
tar.bz2, tar.xz, 7z; read in place, archives inside them too; .gz/.bz2/.xz logs), a folder
holding one sub-folder or archive per host, or one file (a log, an event export, a page) hunted on its own. On a Windows
Exchange server, leave PATH out to hunt the live server.
Evidence is only read, never changed.

Each host gets one verdict: compromised, exploitation-attempted, suspicious, clean, or
insufficient-evidence (nothing found, but an artefact the chains are judged on was missing, or
part of the evidence could not be read: the report says which). Every finding names its rule
(explain one with `exhunt rules RULE_ID`), file and line.

examples:
  exhunt hunt examples/EX01-compromised
  exhunt hunt Collection-EX01-2021-03-05.zip --json ex01.json --html ex01.html
  exhunt hunt triage/ --jobs 8 --timeline timeline.jsonl --stix iocs.json
  exhunt hunt C:\\inetpub\\wwwroot --yara my-rules/ --allowlist allow.txt
  exhunt hunt triage.zip -q --jsonl - | jq -c '[.host.name, .rule.id]'
  exhunt hunt triage.zip --misp event.json --csv findings.csv
  exhunt hunt cases/ --out-dir results/ --html results/index.html   # a fleet: one JSON per host
  exhunt hunt /mnt/shared/cases --scheduler tcp://dask.example.org:8786
  exhunt hunt cases/ --scheduler local:8 --resume 12
  exhunt hunt EX01/ --sigma sigma/rules/windows --sigma sigma/rules/web
  exhunt hunt EX01/ --sigma rules/ --sigma site-tuning.yml
      # filters and correlations of any file reach the rules of all
  exhunt hunt EX01/ --rules my-rules.toml     # your rules, in the shipped rules' TOML format

Many hosts: every host's files go into one work queue (biggest first) and each host is written
out as soon as it is assessed: stored (`exhunt fleet` lists and compares stored hunts), into
--out-dir, and as its own page beside the --html index when there are more than a few hosts.
With --scheduler the same work runs on a Dask cluster; its workers open the evidence by path,
so PATH must be on storage every worker reads at the same path. Ctrl-C keeps every finished
host and prints the --resume command that hunts the rest.

Settings (jobs, limits, your rule and list paths, Sigma rules...) may also come from a
configuration file: see `exhunt config show`.
"""


CONFIG_SECTION = "hunt"
EXIT_CODES = (
    "0  every host clean",
    "1  a host is compromised, exploitation-attempted or suspicious",
    "2  usage error, evidence that cannot be opened, or an output that cannot be written",
    "3  no findings, but a host's evidence was insufficient to call it clean",
)
# (option, module, function writing to a text stream, what it is)
OUTPUTS = (
    ("json", "write exhunt.hunt/2 JSON (the whole result; `exhunt report` reads it back)"),
    ("jsonl", "write one JSON line per finding, dated or not, with ECS fields (exhunt.finding/1)"),
    ("csv", "write one CSV row per finding, dated or not (spreadsheet-safe unless --csv-raw)"),
    ("html", "write the self-contained HTML report"),
    ("timeline", "write a Timesketch timeline of the dated findings (.csv or .jsonl; - is JSON lines)"),
    ("stix", "write observed indicators as a STIX 2.1 bundle"),
    ("misp", "write the hunt as a MISP event (JSON, pymisp objects)"),
)
OUTPUT_NAMES = tuple(name for name, _ in OUTPUTS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="evidence to hunt (leave out on a Windows Exchange server for the live host)",
    )
    out = add_output(parser, OUTPUTS)
    out.add_argument("--out-dir", metavar="DIR", help="write each host's JSON here as soon as it is assessed")
    out.add_argument(
        "--details", action="store_true", help="many hosts: show every host's findings, not only the hosts not clean"
    )
    out.add_argument(
        "--csv-raw", action="store_true", help="write CSV cells as logged, formulas included (forensic tools only)"
    )
    con = add_console(parser)
    con.add_argument(
        "--per-rule",
        type=int,
        default=5,
        metavar="N",
        help="findings shown per rule on the console (default 5, 0 = all; -v shows all; --json has all)",
    )
    con.add_argument("--config", metavar="FILE", help="configuration file (default: see `exhunt config show`)")
    _add_own_rules(parser)
    evidence = parser.add_argument_group("evidence")
    evidence.add_argument(
        "--split-by-computer",
        action="store_true",
        help="hunt the event files of each computer the events name as a host of their own",
    )
    _add_store(parser)
    _add_performance(parser)


def _add_own_rules(parser: argparse.ArgumentParser) -> None:
    """Rules, indicators and allow-lists the user adds to the shipped ones."""
    rules = parser.add_argument_group("your own rules and allow-lists")
    rules.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="PATH",
        help="TOML rule file or folder in the shipped rules' format: adds rules, or replaces a shipped "
        "rule of the same id (repeatable; a rule that does not load is reported and the rest run)",
    )
    rules.add_argument(
        "--yara", action="append", default=[], metavar="PATH", help="extra YARA rule file or folder (repeatable)"
    )
    rules.add_argument(
        "--indicators",
        action="append",
        default=[],
        metavar="FILE",
        help="your indicators: a CSV list (hashes, paths, addresses, domains, user agents), a STIX 2.1 "
        "bundle or a MISP event (.json), or a folder of them (repeatable)",
    )
    rules.add_argument(
        "--allowlist",
        action="append",
        default=[],
        metavar="FILE",
        help="allow-list of hashes, paths or patterns to silence (repeatable)",
    )
    rules.add_argument(
        "--sigma",
        action="append",
        default=[],
        metavar="PATH",
        help=(
            "Sigma rule file or folder, run on event logs and (category webserver) IIS and HttpProxy logs "
            "(repeatable); its filters and correlations apply across all the files given; rules once read "
            "are kept compiled in exhunt's cache folder (see --no-cache)"
        ),
    )
    rules.add_argument(
        "--sigma-levels",
        metavar="FILE",
        help="TOML file overriding what Sigma levels or rule ids imply (same shape as the shipped levels.toml)",
    )


def _add_store(parser: argparse.ArgumentParser) -> None:
    """Where the hunt is stored, and resumed from."""
    store = parser.add_argument_group("results store")
    store.add_argument(
        "--db",
        metavar="FILE|URL",
        help="the hunt store: a SQLite file or a postgresql:// URL (default: hunts.sqlite beside the scan store)",
    )
    store.add_argument("--no-db", action="store_true", help="do not store this hunt")
    store.add_argument(
        "--resume", type=int, metavar="HUNT_ID", help="continue a stored hunt: hosts it already assessed are skipped"
    )


def _add_performance(parser: argparse.ArgumentParser) -> None:
    """Workers, size limits, deadlines, the cluster and the cache."""
    perf = parser.add_argument_group("performance")
    perf.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="worker processes (default: all cores)")
    perf.add_argument(
        "--max-file-size",
        type=int,
        default=64,
        metavar="MB",
        help="files larger than this are hashed but their content is not scanned (default 64)",
    )
    perf.add_argument("--evtx-threads", type=int, default=1, metavar="N", help="threads per .evtx file (default 1)")
    perf.add_argument(
        "--event-part-mb",
        type=int,
        default=None,
        metavar="MB",
        help="an .evtx file or JSON-lines export on disk of twice this or more is read in parts of"
        " about this size, one per worker (default 64; 0 = every file whole)",
    )
    perf.add_argument(
        "--evtx-memory-bound",
        type=int,
        default=None,
        metavar="BYTES",
        help="event records held per .evtx file at once (default: the reader's own bound)",
    )
    perf.add_argument(
        "--file-scan-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="time the YARA scan of one file may take (default 30)",
    )
    perf.add_argument(
        "--code-analysis-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=(
            "time the analysis of one file's server code may take (default 5), plus 5 s for each MiB of "
            "the file (up to 4 MiB); a file past it is read token by token and recorded as a timed-out "
            "problem, which keeps its host from clean"
        ),
    )
    perf.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster: tcp://HOST:8786, or local[:N] for N worker processes here",
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
        "--no-cache",
        action="store_true",
        help=(
            "read and write no cache: compiled Sigma rules and Hyperscan databases are built anew "
            "in this run and not kept (the same as EXHUNT_CACHE=off and EXHUNT_SIGMA_CACHE=off; "
            "Dask workers on other machines follow their own environment)"
        ),
    )
    perf.add_argument(
        "--no-code-analysis",
        action="store_true",
        help="do not parse server code in pages (faster; web shells then rest on content rules and indicators)",
    )


def _writer(module: str, name: str) -> Callable[..., Any]:
    """A writer, imported only when its output is asked for (Jinja2, stix2, pymisp are heavy)."""
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _write_one(result: HuntResult, name: str, target: str, safe: bool) -> str:
    """One output to a file or standard output, and a few words on what it holds; OSError or
    ValueError when it cannot be written."""
    findings = sum(len(h.findings) for h in result.hosts)
    if name == "json":
        write_text(target, _writer("exhunt.report.jsonout", "dumps")(result) + "\n")
        return counted(len(result.hosts), "host")
    if name == "jsonl":
        write_with(target, lambda out: _writer("exhunt.report.findings_jsonl", "write_lines")(result, out))
        return counted(findings, "finding")
    if name == "csv":
        timeline = importlib.import_module("exhunt.report.timeline")
        write_with(target, lambda out: timeline.write_csv(list(timeline.rows(result, undated=True)), out, safe))
        return counted(findings, "finding")
    if name == "html":
        write_text(target, _writer("exhunt.report.html", "render_html")(result))
        return counted(len(result.hosts), "host")
    if name == "timeline":
        timeline = importlib.import_module("exhunt.report.timeline")
        fmt = timeline.timeline_format(target)
        stats: list[Any] = []
        write_with(target, lambda out: stats.append(timeline.write_timeline_to(result, out, fmt, safe)))
        note = f"; {stats[0].undated} findings without a time left out" if stats[0].undated else ""
        return f"{counted(stats[0].rows, 'event')}{note}"
    if name == "stix":
        text, count = _writer("exhunt.report.stix", "bundle_text")(result)
        write_text(target, text + "\n")
        return counted(count, "object")
    if name == "misp":
        write_with(target, lambda out: _writer("exhunt.report.misp", "write_misp")(result, out))
        return counted(findings, "finding")
    raise ValueError(f"unknown output {name}")


def write_outputs(
    result: HuntResult, args: argparse.Namespace, say: Console, err: Console, skip: Iterable[str] = ()
) -> bool:
    """Write every requested output but those in `skip` (written elsewhere, host by host); a
    failed one is reported on `err` and the others still written. What was written is said on
    `say`."""
    ok = True
    safe = not getattr(args, "csv_raw", False)
    skipped = set(skip)
    for name, _ in OUTPUTS:
        target = getattr(args, name, None)
        if not target or name in skipped:
            continue
        try:
            what = _write_one(result, name, target, safe)
            if target != "-" and not getattr(args, "quiet", False):
                say.print(f"{name}: {target} ({what})", highlight=False, markup=False, soft_wrap=True)
        except BrokenPipeError:
            raise  # the reader of standard output went away: nothing left to tell it
        except (OSError, ValueError, ImportError, AttributeError) as exc:
            err.print(
                f"exhunt: cannot write --{name} {target}: {exc}",
                style="red",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            ok = False
    return ok


EXIT_CLEAN = 0
EXIT_FOUND = 1
EXIT_INSUFFICIENT = 3


def exit_code(verdicts: Iterable[Verdict]) -> int:
    """Findings first: a host with findings outranks one whose evidence fell short."""
    verdicts = list(verdicts)
    if any(v in FOUND for v in verdicts):
        return EXIT_FOUND
    if any(v is not Verdict.CLEAN for v in verdicts):
        return EXIT_INSUFFICIENT
    return EXIT_CLEAN


def hunt_options(args: argparse.Namespace) -> HuntOptions:
    settings: dict[str, Any] = {
        "evtx_threads": max(1, args.evtx_threads),
        "file_scan_timeout": args.file_scan_timeout,
    }
    if args.code_analysis_timeout is not None:  # else the analysis's own (`codehunt.deadline`)
        settings["code_analysis_timeout"] = args.code_analysis_timeout
    if args.evtx_memory_bound:
        settings["evtx_memory_bound"] = args.evtx_memory_bound
    if args.event_part_mb is not None:
        settings["event_part_mb"] = args.event_part_mb
    if getattr(args, "no_code_analysis", False):
        settings["code_analysis"] = False
    from exhunt.rulefiles import read_rule_files

    return HuntOptions(
        user_rules=read_rule_files(getattr(args, "rules", ())),
        max_file_size=max(1, args.max_file_size) * 1024 * 1024,
        extra_yara_paths=tuple(args.yara),
        extra_indicator_paths=tuple(args.indicators),
        allowlist_paths=tuple(args.allowlist),
        sigma_paths=tuple(args.sigma),
        sigma_levels=args.sigma_levels,
        unit_timeout=args.unit_timeout,
        settings=settings,
    )


def run(args: argparse.Namespace) -> int:
    from exhunt.fleet.run import run_hunt

    if getattr(args, "no_cache", False):
        from exhunt import hscache

        hscache.turn_off()

    return run_hunt(args)
