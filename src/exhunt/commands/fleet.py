"""`exhunt fleet`: the latest verdict of every host ever hunted, and what changed between hunts."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from exhunt.cli_options import add_console, consoles, write_text
from exhunt.fleet.diff import diff_hunts
from exhunt.fleet.store import HuntStore, HuntStoreError
from exhunt.fleet.verdicts import FOUND, verdict_counts, verdict_rank
from exhunt.model import iso
from exhunt.report.console import safe
from exhunt.report.safe_text import printable, printable_middle

NAME = "fleet"
HELP = "the latest verdict per host from stored hunts, and what changed between two hunts"
DESCRIPTION = """\
Every `exhunt hunt` is stored (SQLite beside the scan store by default, `--db FILE` or a
postgresql:// URL). `exhunt fleet` lists each host's verdict from the newest hunt that assessed
it, worst first, with the count of hosts per verdict.

  exhunt fleet                     latest verdict per host
  exhunt fleet hunts               the stored hunts (id, time, hosts done / total, status)
  exhunt fleet diff [OLD NEW]      what changed between two hunts (default: the last two):
                                   hosts newly compromised, resolved, worse, better, new, gone,
                                   and findings (host, rule, file, line) not in the older hunt

examples:
  exhunt fleet --db postgresql://exhunt@db.example.org/exhunt
  exhunt fleet diff 12 14 --json -

exit codes: 0 no host compromised, attempted or suspicious (diff: nothing newly compromised and
no new finding), 1 otherwise, 2 the store cannot be read or a hunt id does not exist.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["diff", "hunts"], help="diff two hunts, or list the hunts")
    parser.add_argument("hunt_ids", nargs="*", type=int, metavar="HUNT_ID", help="for diff: the older and newer hunt")
    parser.add_argument("--db", metavar="FILE|URL", help="the hunt store (default: hunts.sqlite beside the scan store)")
    parser.add_argument("--json", metavar="FILE|-", help="write the listing as JSON ('-' for stdout)")
    add_console(parser)


def _emit_json(data: object, path: str) -> None:
    write_text(path, json.dumps(data, indent=2, ensure_ascii=True) + "\n")


def run(args: argparse.Namespace) -> int:
    out, err = consoles(args, stdout_taken=args.json == "-")
    try:
        with HuntStore(args.db) as store:
            if args.action == "diff":
                return _diff(store, args, out)
            if args.action == "hunts":
                return _hunts(store, args, out)
            return _latest(store, args, out)
    except HuntStoreError as exc:
        err.print(f"exhunt fleet: {exc}", markup=False)
        return 2
    except OSError as exc:
        what = f"--json {args.json}" if args.json and args.json != "-" else "standard output"
        err.print(f"exhunt fleet: could not write {what}: {exc}", markup=False)
        return 2


def _latest(store: HuntStore, args: argparse.Namespace, out: Console) -> int:
    rows = sorted(store.latest_per_host(), key=lambda r: (verdict_rank(r.verdict), r.host.lower()))
    counts = verdict_counts(r.verdict for r in rows)
    if args.json:
        doc = {"counts": {str(v): n for v, n in counts.items()}, "hosts": [r.to_dict() for r in rows]}
        _emit_json({"schema": "exhunt.fleet/1", **doc}, args.json)
    if args.json != "-" and not args.quiet:
        out.print("  ".join(f"{v}: {n}" for v, n in counts.items()), markup=False, soft_wrap=True)  # one line, for grep
        # A table, so the listing folds to the terminal (80 columns) instead of running past it.
        table = Table(box=None, pad_edge=False, padding=(0, 1))
        table.add_column("host", overflow="fold")
        table.add_column("verdict", overflow="fold")
        for name in ("findings", "problems", "hunt"):
            table.add_column(name, justify="right", no_wrap=True)
        table.add_column("assessed", no_wrap=True)
        for r in rows:
            table.add_row(
                safe(r.host, 60),
                str(r.verdict),
                str(r.findings),
                str(r.problems),
                str(r.hunt_id),
                (iso(r.assessed) or "-")[:19],
            )
        out.print(table)
    return 1 if any(r.verdict in FOUND for r in rows) else 0


def _hunts(store: HuntStore, args: argparse.Namespace, out: Console) -> int:
    hunts = store.hunts()
    if args.json:
        _emit_json({"schema": "exhunt.fleet-hunts/1", "hunts": [h.to_dict() for h in hunts]}, args.json)
    if args.json != "-":
        for h in hunts:
            out.print(
                f"{h.id:>5}  {(iso(h.started) or '-')[:19]}  {h.hosts_done}/{h.hosts_total} hosts  {h.status:<11}  "
                f"{printable_middle(h.evidence or '-', 80)}",
                markup=False,
                soft_wrap=True,
            )
    return 0


def _diff(store: HuntStore, args: argparse.Namespace, out: Console) -> int:
    ids = list(args.hunt_ids)
    if not ids:
        ids = [h.id for h in store.hunts()][-2:]
        if len(ids) < 2:
            raise HuntStoreError(f"fewer than two hunts in {store.where}: nothing to compare")
    if len(ids) != 2:
        raise HuntStoreError("fleet diff takes two hunt ids, the older first")
    for i in ids:
        store.hunt(i)  # a clear error for an id that does not exist
    d = diff_hunts(store, ids[0], ids[1])
    if args.json:
        _emit_json({"schema": "exhunt.fleet-diff/1", **d.to_dict()}, args.json)
    if args.json != "-":
        # One line per change, never wrapped (a pipe to grep or awk sees whole lines); a long path
        # is cut in its middle so that its file name and line stay.
        def line(text: str) -> None:
            out.print(text, markup=False, soft_wrap=True)

        line(f"hunt {d.old} -> hunt {d.new}")
        for change in ("newly-compromised", "worse", "resolved", "better", "new", "gone"):
            hosts = d.of(change)
            line(f"{change}: {len(hosts)}")
            for h in hosts:
                line(f"  {printable(h.host, 40, lines=False)}  {h.before or '-'} -> {h.after or '-'}")
        line(f"new findings: {len(d.new_findings)}")
        for host, rule, path, at in d.new_findings:
            where = f"{path}:{at}" if at is not None else path
            line(
                f"  {printable(host, 28, lines=False)}  {printable(rule, 80, lines=False)}  {printable_middle(where, 120)}"
            )
    return 1 if d.of("newly-compromised") or d.new_findings else 0
