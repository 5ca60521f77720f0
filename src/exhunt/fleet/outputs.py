"""A hunt's outputs, checked before any evidence is read and written as each host finishes.

`check_outputs` refuses a path that cannot be written, an unknown extension, or `-` where
stdout makes no sense, before the hunt starts. `HuntSink` takes each assessed host once: it
stores it, writes its JSON into `--out-dir`, its page beside the fleet HTML index, feeds it to
the combined JSON and the other streamed outputs (spooled, written in host order at the end),
and keeps only a one-line summary, so a hunt of thousands of hosts does not hold them all. An
interrupted hunt closes every file properly with the hosts finished. An output that fails once
the hunt runs (a full disk, findings that cannot be read back from their temporary file) is
said in `HuntSink.failures` and the hunt goes on: a streamed output is given up whole rather
than written without some hosts, a part-written file is removed, a failed store takes no more
hosts and is left `interrupted` (to be resumed); the command ends with exit status 2.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from exhunt import __version__, interrupts
from exhunt.cli_options import why_unwritable
from exhunt.fleet.findingspill import SpilledFindings
from exhunt.fleet.hunt_log import HuntStoreError, HuntWriter
from exhunt.fleet.jsonpieces import host_document_pieces, host_pieces
from exhunt.fleet.spool import HostOrder, SpooledOutput, host_order
from exhunt.fleet.verdicts import HostSummary
from exhunt.model import HUNT_SCHEMA, HostAssessment, HuntResult, Observation, ObservationKind, iso
from exhunt.outfile import replaced, written_in_place
from exhunt.report.findings_jsonl import FindingsStream
from exhunt.report.timeline import TimelineStream

# More hosts than this get the HTML index and one page per host; fewer, one page with them all.
FEW_HOSTS = 5

# What each output accepts: its extensions, and whether `-` (stdout) makes sense.
OUTPUT_KINDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "json": ((".json",), True),
    "jsonl": ((), True),  # () = any name: JSON lines, CSV and MISP files go by many
    "csv": ((), True),
    "html": ((".html", ".htm"), True),
    "timeline": ((".csv", ".jsonl"), True),
    "stix": ((".json",), True),
    "misp": ((), True),
}


def check_outputs(outputs: dict[str, str | None], out_dir: str | None) -> list[str]:
    """Every reason an output could not be written, before anything is read. Empty when fine."""
    problems: list[str] = []
    created = _out_dir_problem(out_dir, problems)
    to_stdout = [name for name, path in outputs.items() if path == "-"]
    if len(to_stdout) > 1:
        problems.append(f"only one output can go to stdout ('-'), not --{' and --'.join(to_stdout)}")
    for name, path in outputs.items():
        if not path:
            continue
        suffixes, stdout_ok = OUTPUT_KINDS[name]
        if path == "-":
            if not stdout_ok:
                problems.append(f"--{name} cannot go to stdout; give a file ending in {' or '.join(suffixes)}")
            continue
        target = Path(path)
        if suffixes and target.suffix.lower() not in suffixes and not written_in_place(target):
            problems.append(f"--{name} {path}: the file name must end in {' or '.join(suffixes)}")
            continue
        why = why_unwritable(target, created)
        if why:
            problems.append(f"--{name} {path}: {why}")
    return problems


def _out_dir_problem(out_dir: str | None, problems: list[str]) -> Path | None:
    """Check `--out-dir` (adding to `problems`); the folder when it is there or can be made."""
    if not out_dir:
        return None
    d = Path(out_dir)
    if d.exists() and not d.is_dir():
        problems.append(f"--out-dir {out_dir}: not a folder")
    elif d.is_dir() and not os.access(d, os.W_OK | os.X_OK):
        problems.append(f"--out-dir {out_dir}: cannot be written")
    elif not d.exists() and (why := why_unwritable(d)):
        problems.append(f"--out-dir {out_dir}: {why}")
    else:
        return d
    return None


class JsonStream(SpooledOutput):
    """The combined `exhunt.hunt/2` JSON, fed host by host as hosts finish; `close` writes it
    with the hosts in host order (`exhunt.fleet.spool`), whatever order they finished in."""

    def __init__(self, path: str, started: datetime) -> None:
        super().__init__(path)
        self._started = started
        self._tail: dict[str, Any] = {}

    def add(self, host: HostAssessment, order: HostOrder | None = None) -> None:
        self.add_pieces(order, host_pieces(host, "    "))  # a finding at a time, never the whole

    def write(self, out: IO[str], pieces: Iterator[str]) -> None:
        self.write_parts(out, (iter((piece,)) for piece in pieces))

    def write_parts(self, out: IO[str], parts: Iterator[Iterator[str]]) -> None:
        head = {"schema": HUNT_SCHEMA, "tool_version": __version__, "started": iso(self._started)}
        out.write(json.dumps(head, indent=2, ensure_ascii=True)[:-2] + ',\n  "hosts": [')
        count = 0
        for part in parts:
            out.write(("," if count else "") + "\n    ")
            for block in part:
                out.write(block)
            count += 1
        rest = json.dumps(self._tail, indent=2, ensure_ascii=True)[1:]
        out.write(("\n  " if count else "") + "]," + rest + "\n")

    def finish(self, finished: datetime, interrupted: bool) -> None:
        self._tail = {"finished": iso(finished)} | ({"interrupted": True} if interrupted else {})
        self.close()


def write_host_json(host: HostAssessment, path: Path, started: datetime) -> None:
    """One host as a complete `exhunt.hunt/2` document, readable by `exhunt report`."""
    with replaced(path) as out:
        for piece in host_document_pieces(host, started, datetime.now(UTC)):  # a finding at a time
            out.write(piece)
        out.write("\n")


def spill_findings(host: HostAssessment) -> None:
    """Move the host's findings out of memory, into a private temporary file. If that file
    cannot be written, they stay in memory and the host says why in a notice: not a problem,
    since no evidence went unread and no finding is lost (the verdict, assessed before, stands;
    the hunt only held more memory)."""
    if not host.findings or isinstance(host.findings, SpilledFindings):
        return
    try:
        host.findings = SpilledFindings(host.findings)
    except OSError as exc:
        host.observations.append(
            Observation(
                ObservationKind.NOTICE,
                f"the {len(host.findings)} findings could not be moved to a temporary file ({exc}); "
                "they were kept in memory",
                host.root or host.host,
            )
        )


@dataclass(slots=True)
class HuntSink:
    """Where each assessed host goes. `keep` holds full assessments for outputs that need the
    whole hunt at once (STIX, MISP, the single-page HTML of a few hosts); the others are fed
    host by host."""

    started: datetime
    store: HuntWriter | None = None
    hunt_id: int | None = None
    out_dir: Path | None = None
    json: JsonStream | None = None
    html_index: str | None = None  # fleet mode: host pages beside this index
    # Fed host by host, written in host order at the end: --timeline, --csv, --jsonl.
    streams: dict[str, TimelineStream | FindingsStream] = field(default_factory=dict)
    keep: bool = False
    show: Callable[[HostAssessment], None] | None = None
    summaries: list[HostSummary] = field(default_factory=list)
    # Why an output was not written or not wholly (a full disk, findings that cannot be read
    # back from their temporary file): the hunt goes on, and ends saying so (exit status 2).
    failures: list[str] = field(default_factory=list)
    _kept: list[tuple[HostOrder, HostAssessment]] = field(default_factory=list)
    _dropped: set[str] = field(default_factory=set)  # streamed outputs given up: not written
    writing: str = ""  # the output `close` is writing (named when Ctrl-C stops it there)

    @property
    def kept(self) -> list[HostAssessment]:
        """The hosts held for the whole-hunt outputs, in host order."""
        return [host for _order, host in sorted(self._kept, key=lambda pair: pair[0])]

    def host_done(self, key: str, host: HostAssessment, *, stored: bool = False) -> None:
        """Hand one host to every output; `stored` when it came from the store (a resumed hunt).
        Its findings are first moved to a private temporary file (`SpilledFindings`), from
        which every output reads them one at a time."""
        spill_findings(host)
        if self.store is not None and self.hunt_id is not None and not stored and "db" not in self._dropped:
            try:
                with interrupts.deferred():  # a transaction cut short would lock the store
                    self.store.add_host(self.hunt_id, host, key)
            except (HuntStoreError, OSError) as exc:
                self._dropped.add("db")
                self.failures.append(f"{exc}; {host.host} and the hosts after it were not stored")
        if self.out_dir is not None:
            from exhunt.report.fleet_html import file_stem  # the HTML report's stack, when needed

            path = self.out_dir / (file_stem(host.host, key) + ".json")
            try:
                write_host_json(host, path, self.started)
            except OSError as exc:
                self.failures.append(f"cannot write --out-dir {self.out_dir}: {path.name}: {exc}")
        page = ""
        if self.html_index:
            from exhunt.report.fleet_html import write_host_page

            partial = HuntResult(__version__, self.started, datetime.now(UTC), [])
            try:
                page = write_host_page(host, key, self.html_index, partial)
            except OSError as exc:
                self.failures.append(f"cannot write the page of {host.host} beside --html {self.html_index}: {exc}")
        order = host_order(host.host, key)
        for name, output in self._streamed():
            try:
                output.add(host, order)
            except OSError as exc:
                self._drop(name, output, exc)
        if self.keep:
            self._kept.append((order, host))
        self.summaries.append(HostSummary.of(host, page))
        if self.show is not None and not stored:
            try:
                self.show(host)
            except OSError as exc:
                self.failures.append(f"cannot show {host.host}: {exc}")

    def _streamed(self) -> list[tuple[str, JsonStream | TimelineStream | FindingsStream]]:
        """The outputs fed host by host and written at the end, but those given up."""
        outputs: list[tuple[str, JsonStream | TimelineStream | FindingsStream]] = []
        if self.json is not None:
            outputs.append(("json", self.json))
        outputs += self.streams.items()
        return [(name, output) for name, output in outputs if name not in self._dropped]

    def _drop(self, name: str, output: SpooledOutput, exc: OSError) -> None:
        """Give up an output that could not take a host: it is not written at all, rather than
        written without some of the hunt."""
        self._dropped.add(name)
        self.failures.append(f"cannot write --{name} {output.target}: {exc}; not written")
        try:
            output.abandon()
        except OSError as also:
            self.failures.append(f"--{name} {output.target}: its spool did not close ({also})")

    def dropped(self, name: str) -> bool:
        """Whether the output `name` (`json`, `timeline`, `csv`, `jsonl`, `db`) was given up."""
        return name in self._dropped

    def close(self, interrupted: bool) -> datetime:
        """Write the outputs fed host by host; one that cannot be written is said in `failures`
        and the others are still written."""
        finished = datetime.now(UTC)
        stopped = True  # until every output is written: Ctrl-C while writing them stops the hunt too
        try:
            for name, output in self._streamed():
                self.writing = f"--{name} {output.target}"
                try:
                    if isinstance(output, JsonStream):
                        output.finish(finished, interrupted)
                    else:
                        output.close()
                except OSError as exc:
                    # Nothing to remove: a file is written beside its name and renamed over it
                    # only when whole (the previous one stays), and a FIFO or device named as
                    # the output (/dev/full, /dev/stdout) is written in place and is not ours.
                    self._dropped.add(name)
                    self.failures.append(f"cannot write --{name} {output.target}: {exc}")
            if self.html_index:
                from exhunt.report.fleet_html import write_index

                self.writing = f"--html {self.html_index}"
                try:
                    write_index(
                        self.summaries,
                        self.html_index,
                        started=self.started,
                        finished=finished,
                        interrupted=interrupted,
                    )
                except OSError as exc:
                    self.failures.append(f"cannot write --html {self.html_index}: {exc}")
            self.writing = ""
            stopped = False
        finally:
            # A hunt stopped, or some of whose hosts could not be stored, is left to be resumed.
            if self.store is not None and self.hunt_id is not None:
                status = "interrupted" if interrupted or stopped or "db" in self._dropped else "finished"
                try:
                    with interrupts.deferred():
                        self.store.finish_hunt(self.hunt_id, status)
                except (HuntStoreError, OSError) as exc:
                    self.failures.append(str(exc))
        return finished
