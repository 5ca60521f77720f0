"""`exhunt hunt` from the command line to the last file written: outputs checked first, then
the store opened, the evidence discovered, the hosts hunted through one queue (locally or on
Dask) and each written out as it finishes. Ctrl-C closes everything with the hosts done."""

from __future__ import annotations

import argparse
import math
import shlex
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from rich.console import Console

from exhunt import __version__, interrupts
from exhunt.analyzers import HuntOptions
from exhunt.cli_options import show_progress
from exhunt.evidence.confine import outputs_inside
from exhunt.fleet.hunt_log import HuntStoreError, HuntWriter, SqliteHuntLog
from exhunt.fleet.outputs import FEW_HOSTS, HuntSink, JsonStream, check_outputs
from exhunt.fleet.queue import Backend, FleetProgress
from exhunt.fleet.verdicts import verdict_rank
from exhunt.model import ArtefactKind, HostAssessment, HuntResult, Verdict
from exhunt.outfile import written_in_place
from exhunt.report.findings_jsonl import FindingsStream
from exhunt.report.safe_text import printable
from exhunt.report.timeline import TimelineStream
from exhunt.wording import counted

if TYPE_CHECKING:
    from exhunt.evidence.apart import Listed
    from exhunt.evidence.base import HostEvidence
    from exhunt.evidence.tree import Progress
    from exhunt.fleet.starting import StartingPool
    from exhunt.fleet.store import HuntStore

EXIT_INTERRUPTED = 130
# Outputs written from the whole hunt at its end, so every host is kept in memory for them:
# one STIX bundle and one MISP event whose objects are shared across hosts. --json, --jsonl,
# --csv and --timeline are fed host by host (spooled, written in host order at the end), and a
# fleet's --html is an index written as hosts finish.
WHOLE_HUNT_OUTPUTS = ("stix", "misp")


def render_host(out: Console, host: HostAssessment, *, per_rule: int) -> None:
    """One host on the console; the console report's stack (rich's tables) is imported only
    when a host is shown, not by a quiet hunt."""
    from exhunt.report.console import render_host as render

    render(out, host, per_rule=per_rule)


def _missing_lists(options: HuntOptions) -> list[str]:
    """The --sigma, --sigma-levels, --yara, --indicators and --allowlist paths that do not exist:
    each host records them as a problem, and a typo must not pass unseen under -q, as a missing
    --rules file does not."""
    given = [
        *(("--sigma", p) for p in options.sigma_paths),
        *((("--sigma-levels", options.sigma_levels),) if options.sigma_paths and options.sigma_levels else ()),
        *(("--yara", p) for p in options.extra_yara_paths),
        *(("--indicators", p) for p in options.extra_indicator_paths),
        *(("--allowlist", p) for p in options.allowlist_paths),
    ]
    return [
        f"{printable(path)} ({option}): no such file or folder" for option, path in given if not Path(path).exists()
    ]


def _say(err: Console, text: str, style: str | None = None, whole: bool = False) -> None:
    """One message; `whole`: never wrapped (a command to copy, however long)."""
    err.print(text, style=style, markup=False, highlight=False, soft_wrap=whole)


def _human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TB"


def progress_line(p: FleetProgress) -> str:
    """hosts 12/200 · files 3,400/51,000 · 1.2 GB/8.0 GB · 95.0 MB/s · ETA 1m12s"""
    eta = p.eta
    left = "-" if eta is None else f"{int(eta // 60)}m{int(eta % 60):02d}s"
    return (
        f"hosts {p.hosts_done}/{p.hosts_total} · files {p.files_done:,}/{p.files_total:,} · "
        f"{_human_bytes(p.bytes_done)}/{_human_bytes(p.bytes_total)} · {_human_bytes(p.rate)}/s · ETA {left}"
    )


def _options(args: argparse.Namespace) -> HuntOptions:
    from exhunt.commands.hunt import hunt_options  # the CLI and the configuration file's settings

    return hunt_options(args)


def _outputs(args: argparse.Namespace) -> dict[str, str | None]:
    from exhunt.commands.hunt import OUTPUT_NAMES

    return {name: getattr(args, name, None) for name in OUTPUT_NAMES}


def _check_args(args: argparse.Namespace) -> list[str]:
    problems = []
    if args.jobs is not None and args.jobs < 1:
        problems.append("--jobs must be at least 1")
    if args.scheduler and args.jobs is not None:
        problems.append("--jobs and --scheduler do not go together: the cluster's workers do the work")
    if args.no_db and args.resume is not None:
        problems.append("--resume needs the hunt store; leave out --no-db")
    # nan passes no comparison and inf overflows the timers: both are refused, like a negative.
    if not 0 <= args.unit_timeout < math.inf:
        problems.append("--unit-timeout must be 0 (off) or more, and finite")
    # The configuration file's values arrive here too (as the options' defaults), so these
    # bounds hold for both; before, a 0 was quietly raised to 1 or taken as the default.
    if args.max_file_size < 1:
        problems.append("--max-file-size must be at least 1 (MB)")
    if args.event_part_mb is not None and args.event_part_mb < 0:
        problems.append("--event-part-mb must be 0 (every file whole) or more")
    if args.evtx_threads < 1:
        problems.append("--evtx-threads must be at least 1")
    if args.evtx_memory_bound is not None and args.evtx_memory_bound < 0:
        problems.append("--evtx-memory-bound must be 0 (the reader's own bound) or more")
    if not 0 < args.file_scan_timeout < math.inf:
        problems.append("--file-scan-timeout must be more than 0 (seconds), and finite")
    if args.code_analysis_timeout is not None and not 0 < args.code_analysis_timeout < math.inf:
        problems.append("--code-analysis-timeout must be more than 0 (seconds), and finite")
    if args.per_rule < 0:
        problems.append("--per-rule must be 0 (all) or more")
    outputs = _outputs(args)
    written = [p for p in (*outputs.values(), args.out_dir) if p and p != "-"]
    if args.path and (inside := outputs_inside(written, args.path)):
        problems.append(f"refusing to write inside the evidence (it is only read): {', '.join(inside)}")
    problems += check_outputs(outputs, args.out_dir)
    return problems


class HostOutline(NamedTuple):
    """What the hunt needs of a host before its files are made in this process."""

    key: str  # `exhunt.hunt.host_key`
    kinds: frozenset[ArtefactKind]  # of its files
    size: int  # bytes of its files


def outline_host(host: HostEvidence) -> HostOutline:
    from exhunt.evidence.packed import sizes_of
    from exhunt.hunt import artefact_kinds, host_key

    return HostOutline(host_key(host), artefact_kinds([host]), sum(sizes_of(host.files)))


def _backend(
    args: argparse.Namespace,
    listed: Listed[HostOutline],
    todo_at: list[int],
    options: HuntOptions,
    starting: StartingPool | None,
) -> Backend:
    """The local workers, forked before the listing's files are made here (`Listed.hosts`);
    or the Dask pool, which is asked whether it reads them."""
    from exhunt.hunt import local_backend_for

    if starting is None:
        todo = [listed.outlines[i] for i in todo_at]
        kinds = frozenset(kind for o in todo for kind in o.kinds)
        return local_backend_for(kinds, sum(o.size for o in todo), options, args.jobs)
    from exhunt.hunt import artefact_kinds, host_place

    everyone = listed.hosts()
    hosts = [everyone[i] for i in todo_at]
    pool = starting.take(_options(args), artefact_kinds(hosts))
    try:
        # paths every worker must read: each host's folder (its key may name a computer too)
        places = {place for h in hosts if (place := host_place(h)) is not None}
        sample = sorted(places | {f.ref.archive or f.ref.path for h in hosts for f in h.files[:1]})
        pool.check_readable(sample)
    except BaseException:
        pool.close()
        raise
    return pool


def run_hunt(args: argparse.Namespace) -> int:
    from exhunt.cli_options import consoles, to_stdout

    out, err = consoles(args, stdout_taken=bool(to_stdout(args, list(_outputs(args)))))
    problems = _check_args(args)
    if problems:
        for p in problems:
            _say(err, f"exhunt hunt: {p}")
        return 2
    starting: StartingPool | None = None
    if args.scheduler:
        from exhunt.fleet.forking import is_local, start_fork_server
        from exhunt.fleet.starting import StartingPool

        if is_local(args.scheduler):
            start_fork_server()  # it warms up on another core while rules load and hosts are found
        # The cluster starts (or the scheduler is reached) on a thread meanwhile, too.
        starting = StartingPool(args.scheduler)
    try:
        with interrupts.recorded():  # a Ctrl-C dropped on its way still stops the hunt
            return _run_hunt(args, out, err, starting)
    finally:
        if starting is not None:
            starting.close()  # unless the hunt took it (and closed it)


def _setup_told(options: HuntOptions, err: Console) -> bool:
    """Check every rule before any evidence is read, and tell what of the user's rules, lists
    and options will not be used; False when the shipped rules are broken (no hunt can run)."""
    from exhunt.rules import RuleErrors, catalog, use, user_problems

    use(options.user_rules)
    try:
        catalog()  # every rule checked before any evidence is read
    except RuleErrors as exc:
        err.print(
            f"exhunt hunt: the shipped rules are broken ({len(exc.errors)} problems):\n{exc}",
            markup=False,
            soft_wrap=True,
        )
        return False
    broken = user_problems()
    if broken:
        lines = "\n".join(str(e) for e in broken)
        err.print(
            f"exhunt hunt: {len(broken)} problems in your rule files; those rules do not run, the rest do, "
            f"and no host can be called clean:\n{lines}",
            markup=False,
            soft_wrap=True,
        )
    missing = _missing_lists(options)
    if missing:
        err.print(
            f"exhunt hunt: {len(missing)} of your rule or list paths do not exist; the hunt goes on without "
            "them, and no host can be called clean:\n" + "\n".join(missing),
            markup=False,
            soft_wrap=True,
        )
    if options.sigma_levels and not options.sigma_paths:
        # It maps Sigma levels and rule ids to what a hit implies: without Sigma rules it does
        # nothing, which a user who meant to give both should hear (a typo in it most of all).
        gone = "" if Path(options.sigma_levels).exists() else "; it does not exist either"
        err.print(
            f"exhunt hunt: --sigma-levels {printable(options.sigma_levels)} is not used without --sigma{gone}",
            markup=False,
            soft_wrap=True,
        )
    return True


def _open_store(args: argparse.Namespace, stack: ExitStack) -> tuple[HuntWriter | None, HuntStore | None]:
    """The store the hunt writes each host into (none with --no-db), and the whole store
    (SQLAlchemy) where the hunt creates it or resumes one: to read the hosts already done."""
    if args.no_db:
        return None, None
    log = SqliteHuntLog.open(args.db) if args.resume is None else None
    if log is not None:
        return stack.enter_context(log), None
    from exhunt.fleet.store import HuntStore

    full = stack.enter_context(HuntStore(args.db))
    if args.resume is not None:
        full.hunt(args.resume)
    return full, full


def _list_evidence(args: argparse.Namespace) -> Listed[HostOutline]:
    """The hosts the evidence holds, each outlined (key, kinds, size). Listed in a process of its
    own where it can be: this one keeps the listing, not the memory making it took; and its files
    are made here only once the workers have forked (`_backend`), so they inherit none of them."""
    from exhunt.evidence import discover
    from exhunt.evidence.apart import list_apart

    def listing(on_progress: Progress | None) -> list[HostEvidence]:
        found = discover(args.path) if on_progress is None else discover(args.path, on_progress=on_progress)
        if args.split_by_computer:
            from exhunt.evidence.computers import split_by_computer

            found = split_by_computer(found)
        return found

    return list_apart(listing, outline_host)


def _say_fed(
    args: argparse.Namespace,
    err: Console,
    sink: HuntSink,
    streams: dict[str, TimelineStream | FindingsStream],
    fleet: bool,
) -> None:
    """Where the outputs fed host by host went: --json, a fleet's --html index, --out-dir and the
    streams (those a failure dropped are not named)."""
    hosts = len(sink.summaries)
    if args.json and args.json != "-" and not sink.dropped("json"):
        _say(err, f"json: {args.json} ({counted(hosts, 'host')}, written host by host)")
    if fleet and args.html:
        _say(err, f"html: {args.html} (an index of {counted(hosts, 'host')}, a page per host beside it)")
    if args.out_dir:
        _say(err, f"{hosts} host results written to {args.out_dir}")
    _say_streams(err, {name: stream for name, stream in streams.items() if not sink.dropped(name)})


class _Shown:
    """The hosts the console shows as they finish (every host of a few, a fleet's not clean
    ones), and those held back until the progress bar is gone, so no bar is left in the
    scrollback."""

    def __init__(self, args: argparse.Namespace, out: Console, err: Console, fleet: bool) -> None:
        self.args, self.out, self.fleet = args, out, fleet
        self.per_rule = 0 if args.verbose else args.per_rule
        self.deferred = show_progress(args, err) and out.is_terminal
        self.waiting: list[HostAssessment] = []

    def __call__(self, host: HostAssessment) -> None:
        args = self.args
        if args.quiet:
            return
        if not self.fleet or args.details or args.verbose or host.verdict is not Verdict.CLEAN:
            if self.deferred:
                self.waiting.append(host)
            else:
                render_host(self.out, host, per_rule=self.per_rule)

    def held(self) -> None:
        for host in self.waiting:
            render_host(self.out, host, per_rule=self.per_rule)


def _run_hunt(args: argparse.Namespace, out: Console, err: Console, starting: StartingPool | None) -> int:
    from datetime import UTC, datetime

    from exhunt.evidence import EvidenceUnavailable
    from exhunt.fleet.backends import BackendError
    from exhunt.hunt import hunt_hosts

    options = _options(args)
    if not _setup_told(options, err):
        return 2
    with ExitStack() as stack:
        try:
            store, full = _open_store(args, stack)
            listed = _list_evidence(args)
        except (HuntStoreError, EvidenceUnavailable) as exc:
            _say(err, f"exhunt hunt: {exc}")
            return 2
        outlines = listed.outlines
        if not outlines:
            _say(err, f"exhunt hunt: no evidence found in {args.path}")
            return 2
        todo_at, done_keys = _still_to_do(args, full, outlines)
        total = len(outlines)
        fleet = total > FEW_HOSTS
        if _html_in_place(args, err, total, fleet):
            return 2
        if args.out_dir:
            Path(args.out_dir).mkdir(parents=True, exist_ok=True)
        hunt_id = _hunt_record(args, store, full, total)
        started = datetime.now(UTC)
        shown = _Shown(args, out, err, fleet)
        streams = _streams(args, started)
        sink = HuntSink(
            started=started,
            store=store,
            hunt_id=hunt_id,
            out_dir=Path(args.out_dir) if args.out_dir else None,
            json=JsonStream(args.json, started) if args.json else None,
            html_index=args.html if args.html and fleet else None,
            streams=streams,
            keep=bool(not fleet or any(getattr(args, name, None) for name in WHOLE_HUNT_OUTPUTS)),
            show=shown,
        )
        if full is not None and hunt_id is not None and done_keys:
            for key, stored in full.keyed_assessments(hunt_id):
                sink.host_done(key, stored, stored=True)
            if not args.quiet:
                _say(err, f"resuming hunt {hunt_id}: {len(done_keys)} of {total} hosts already done")

        interrupted = False
        try:
            backend = _backend(args, listed, todo_at, options, starting) if todo_at else None
            if backend is not None:
                hosts = listed.hosts()
                todo = [hosts[i] for i in todo_at]
                keys = {id(hosts[i]): outlines[i].key for i in todo_at}  # worked out once, in the child
                _hunt(args, options, err, todo, keys, backend, sink, hunt_hosts)
        except BackendError as exc:
            sink.close(interrupted=True)
            _say(err, f"exhunt hunt: {exc}")
            return 2
        except KeyboardInterrupt:
            interrupts.taken()
            interrupted = True
        try:
            finished = sink.close(interrupted)
        except KeyboardInterrupt:  # while the outputs fed host by host were being written
            interrupts.taken()
            _say_unwritten(args, err, sink, hunt_id)
            return EXIT_INTERRUPTED
        shown.held()
        if not args.quiet:
            _say_fed(args, err, sink, streams, fleet)
        ok = _whole_hunt_outputs(args, err, sink, HuntResult(__version__, started, finished, sink.kept), fleet)
        return _ended(args, out, err, sink, ok, fleet=fleet, total=total, hunt_id=hunt_id, interrupted=interrupted)
    return 2  # pragma: no cover - every path above returns


def _html_in_place(args: argparse.Namespace, err: Console, total: int, fleet: bool) -> bool:
    """Whether --html names a place a fleet's pages cannot go beside (standard output, a
    device): told, and the hunt refused before it starts."""
    if fleet and args.html and (args.html == "-" or written_in_place(args.html)):
        # The pages go beside the index: beside /dev/stdout they would be written into /dev.
        _say(
            err,
            f"exhunt hunt: {total} hosts: --html writes an index with a page per host beside it; "
            f"give a file, not {args.html}",
        )
        return True
    return False


def _whole_hunt_outputs(
    args: argparse.Namespace, err: Console, sink: HuntSink, result: HuntResult, fleet: bool
) -> bool:
    """The outputs written from the whole hunt once it ended (those not fed host by host), after
    the failures of those that were; whether every output was written."""
    from exhunt.commands.hunt import write_outputs

    for failure in sink.failures:
        _say(err, f"exhunt hunt: {failure}", style="red")
    skip = {"json", *sink.streams} | ({"html"} if fleet else set())
    return write_outputs(result, args, err, err, skip=skip) and not sink.failures


def _ended(
    args: argparse.Namespace,
    out: Console,
    err: Console,
    sink: HuntSink,
    ok: bool,
    *,
    fleet: bool,
    total: int,
    hunt_id: int | None,
    interrupted: bool,
) -> int:
    """The verdicts, the last thing the console shows, and the exit code: interrupted (with the
    command that resumes), an output not written, or the worst verdict's."""
    from exhunt.commands.hunt import exit_code

    summaries = sink.summaries
    if not args.quiet and fleet:
        _fleet_table(out, summaries)
    elif not args.quiet:
        from exhunt.report.console import render_summary

        render_summary(out, sink.kept)
    if interrupted:
        _say(err, f"exhunt hunt: interrupted; {len(summaries)} of {total} hosts finished and kept.")
        if hunt_id is not None:
            _say(err, f"resume with: {resume_command(args, hunt_id)}", whole=True)
        return EXIT_INTERRUPTED
    if not ok:
        return 2
    return exit_code(s.verdict for s in summaries)


def _still_to_do(
    args: argparse.Namespace, full: HuntStore | None, outlines: list[HostOutline]
) -> tuple[list[int], set[str]]:
    """The places in `outlines` of the hosts left to hunt, and the keys of those a resumed hunt
    (`--resume`) already finished (every host, and none, for a new hunt)."""
    todo_at = list(range(len(outlines)))
    done_keys: set[str] = set()
    if full is not None and args.resume is not None:
        done_keys = full.done_roots(args.resume)
        todo_at = [i for i in todo_at if not full.is_done(done_keys, outlines[i].key)]
    return todo_at, done_keys


def _hunt_record(args: argparse.Namespace, store: HuntWriter | None, full: HuntStore | None, total: int) -> int | None:
    """The stored hunt this one writes into: the one `--resume` names, reopened, or a new one;
    None without a store."""
    if store is None:
        return None
    if full is not None and args.resume is not None:
        with interrupts.deferred():
            full.reopen_hunt(args.resume, total)
        return int(args.resume)
    with interrupts.deferred():
        return store.start_hunt(tool_version=__version__, evidence=args.path, hosts_total=total)


def _say_unwritten(args: argparse.Namespace, err: Console, sink: HuntSink, hunt_id: int | None) -> None:
    """Tell that an interruption stopped the outputs being written, and how to have them."""
    # Output files are written whole or not at all (`outfile.replaced`): the one being
    # written, and those after it, are not there (an older file of the name is left).
    _say(
        err,
        f"exhunt hunt: interrupted while writing {sink.writing or 'the outputs'}: "
        "it and the outputs after it were not written.",
    )
    if hunt_id is not None:
        db = f" --db {args.db}" if args.db else ""
        _say(err, f"every host hunted is stored: exhunt report --hunt {hunt_id}{db} writes the outputs again")
        _say(err, f"resume with: {resume_command(args, hunt_id)}", whole=True)


def resume_command(args: argparse.Namespace, hunt_id: int) -> str:
    """The command that hunts the hosts an interrupted hunt left: the one given (its outputs,
    rules, scheduler and store), with `--resume` for this hunt in place of any earlier one."""
    given: list[str] | None = getattr(args, "_argv", None)
    if not given:
        given = ["hunt", args.path] + (["--db", args.db] if args.db else [])
    kept: list[str] = []
    skip = False
    for word in given:
        if skip:
            skip = False
        elif word == "--resume":
            skip = True
        elif not word.startswith("--resume="):
            kept.append(word)
    return shlex.join(["exhunt", *kept, "--resume", str(hunt_id)])


def _streams(args: argparse.Namespace, started: Any) -> dict[str, TimelineStream | FindingsStream]:
    """The outputs fed host by host: --timeline, --csv (the findings table), --jsonl."""
    safe = not args.csv_raw
    streams: dict[str, TimelineStream | FindingsStream] = {}
    if args.timeline:
        streams["timeline"] = TimelineStream(args.timeline, safe=safe)
    if args.csv:
        streams["csv"] = TimelineStream(args.csv, safe=safe, fmt="csv", undated=True)
    if args.jsonl:
        streams["jsonl"] = FindingsStream(args.jsonl, started)
    return streams


def _say_streams(err: Console, streams: dict[str, TimelineStream | FindingsStream]) -> None:
    for name, stream in streams.items():
        if stream.target == "-":
            continue
        if isinstance(stream, FindingsStream):
            what = counted(stream.findings, "finding")
        elif name == "csv":
            what = counted(stream.rows, "finding")
        else:
            stats = stream.stats()
            note = f"; {stats.undated} findings without a time left out" if stats.undated else ""
            what = f"{counted(stats.rows, 'event')}{note}"
        _say(err, f"{name}: {stream.target} ({what}, fed host by host)")


def _hunt(
    args: argparse.Namespace,
    options: HuntOptions,
    err: Console,
    todo: list[Any],
    keys: dict[int, str],
    backend: Backend,
    sink: HuntSink,
    hunt_hosts: Any,
) -> None:
    """`keys`: each host's key (`exhunt.hunt.host_key`) by the host's id."""

    def on_host(evidence: Any, host: HostAssessment) -> None:
        sink.host_done(keys[id(evidence)], host)

    kwargs: dict[str, Any] = {"backend": backend, "on_host": on_host, "keep": False}
    if not show_progress(args, err):
        hunt_hosts(todo, options, **kwargs)
        return
    from rich.progress import BarColumn, Progress, TextColumn  # a progress bar is drawn: not with -q

    with Progress(TextColumn("{task.description}"), BarColumn(), console=err, transient=True) as bar:
        task = bar.add_task("hunting", total=None)

        def on_progress(p: FleetProgress) -> None:
            bar.update(task, total=p.bytes_total or None, completed=p.bytes_done, description=progress_line(p))

        hunt_hosts(todo, options, on_progress=on_progress, **kwargs)


def _fleet_table(out: Console, summaries: list[Any]) -> None:
    """One line per host, worst first, under the count of hosts per verdict."""
    from rich.table import Table

    from exhunt.fleet.verdicts import verdict_counts
    from exhunt.report.console import VERDICT_STYLE, safe

    out.rule(style="dim")
    counts = verdict_counts(s.verdict for s in summaries)
    table = Table(
        title="  ".join(f"{v}: {n}" for v, n in counts.items() if n), title_justify="left", box=None, pad_edge=False
    )
    for name, justify in (("verdict", "left"), ("host", "left"), ("findings", "right"), ("problems", "right")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("build", no_wrap=True)
    for s in sorted(summaries, key=lambda s: (verdict_rank(s.verdict), s.host.lower())):
        table.add_row(
            f"[{VERDICT_STYLE[s.verdict]}]{s.verdict.value}[/]",
            safe(s.host, 40),
            str(s.findings),
            str(s.problems),
            safe(s.build or "-"),
        )
    out.print(table)
