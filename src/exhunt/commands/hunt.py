"""`exhunt hunt`: was this server compromised? Logs, event logs and files, one verdict per host."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from exhunt.analyzers import HuntOptions
from exhunt.fleet.verdicts import FOUND
from exhunt.model import Verdict

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
  exhunt hunt cases/ --out-dir results/ --html results/index.html   # a fleet: one JSON per host
  exhunt hunt /mnt/shared/cases --scheduler tcp://dask.example.org:8786
  exhunt hunt cases/ --scheduler local:8 --resume 12

Many hosts: every host's files go into one work queue (biggest first) and each host is written
out as soon as it is assessed: stored (`exhunt fleet` lists and compares stored hunts), into
--out-dir, and as its own page beside the --html index when there are more than a few hosts.
With --scheduler the same work runs on a Dask cluster; its workers open the evidence by path,
so PATH must be on storage every worker reads at the same path. Ctrl-C keeps every finished
host and prints the --resume command that hunts the rest.
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
    out.add_argument(
        "--html",
        metavar="FILE",
        help="write the HTML report (more than a few hosts: an index with one page per host beside it)",
    )
    out.add_argument("--out-dir", metavar="DIR", help="write each host's JSON here as soon as it is assessed")
    out.add_argument(
        "--details", action="store_true", help="many hosts: show every host's findings, not only the hosts not clean"
    )
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
        "--no-code-analysis",
        action="store_true",
        help="do not parse server code in pages (faster; web shells then rest on content rules and indicators)",
    )


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


def run(args: argparse.Namespace) -> int:
    from exhunt.fleet.run import run_hunt

    return run_hunt(args)
