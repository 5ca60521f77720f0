"""A hunt's outputs, checked before any evidence is read and written as each host finishes.

`check_outputs` refuses a path that cannot be written, an unknown extension, or `-` where
stdout makes no sense, before the hunt starts. `HuntSink` takes each assessed host once: it
stores it, writes its JSON into `--out-dir`, its page beside the fleet HTML index, feeds it to
the combined JSON and the other streamed outputs (spooled, written in host order at the end),
and keeps only a one-line summary, so a hunt of thousands of hosts does not hold them all. An
interrupted hunt closes every file properly with the hosts finished.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from exhunt import __version__
from exhunt.cli_options import why_unwritable
from exhunt.fleet.findingspill import SpilledFindings
from exhunt.fleet.hunt_log import HuntWriter
from exhunt.fleet.jsonpieces import host_document_pieces, host_pieces
from exhunt.fleet.spool import HostOrder, SpooledOutput, host_order
from exhunt.fleet.verdicts import HostSummary
from exhunt.model import HUNT_SCHEMA, HostAssessment, HuntResult, Problem, ProblemKind, iso
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
        if suffixes and target.suffix.lower() not in suffixes:
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
    with path.open("w", encoding="utf-8") as out:
        for piece in host_document_pieces(host, started, datetime.now(UTC)):  # a finding at a time
            out.write(piece)
        out.write("\n")


def spill_findings(host: HostAssessment) -> None:
    """Move the host's findings out of memory, into a private temporary file. If that file
    cannot be written, they stay in memory, and the host records why as a problem (one that
    hides nothing: every finding is still there)."""
    if not host.findings or isinstance(host.findings, SpilledFindings):
        return
    try:
        host.findings = SpilledFindings(host.findings)
    except OSError as exc:
        host.errors.append(
            Problem(
                path=host.root or host.host,
                message=f"the {len(host.findings)} findings could not be moved to a temporary file "
                f"({exc}); they were kept in memory",
                kind=ProblemKind.PARTIAL,
                producer="exhunt",
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
    _kept: list[tuple[HostOrder, HostAssessment]] = field(default_factory=list)

    @property
    def kept(self) -> list[HostAssessment]:
        """The hosts held for the whole-hunt outputs, in host order."""
        return [host for _order, host in sorted(self._kept, key=lambda pair: pair[0])]

    def host_done(self, key: str, host: HostAssessment, *, stored: bool = False) -> None:
        """Hand one host to every output; `stored` when it came from the store (a resumed hunt).
        Its findings are first moved to a private temporary file (`SpilledFindings`), from
        which every output reads them one at a time."""
        spill_findings(host)
        if self.store is not None and self.hunt_id is not None and not stored:
            self.store.add_host(self.hunt_id, host, key)
        if self.out_dir is not None:
            from exhunt.report.fleet_html import file_stem  # the HTML report's stack, when needed

            write_host_json(host, self.out_dir / (file_stem(host.host, key) + ".json"), self.started)
        page = ""
        if self.html_index:
            from exhunt.report.fleet_html import write_host_page

            partial = HuntResult(__version__, self.started, datetime.now(UTC), [])
            page = write_host_page(host, key, self.html_index, partial)
        order = host_order(host.host, key)
        if self.json is not None:
            self.json.add(host, order)
        for stream in self.streams.values():
            stream.add(host, order)
        if self.keep:
            self._kept.append((order, host))
        self.summaries.append(HostSummary.of(host, page))
        if self.show is not None and not stored:
            self.show(host)

    def close(self, interrupted: bool) -> datetime:
        finished = datetime.now(UTC)
        if self.json is not None:
            self.json.finish(finished, interrupted)
        for stream in self.streams.values():
            stream.close()
        if self.html_index:
            from exhunt.report.fleet_html import write_index

            write_index(
                self.summaries, self.html_index, started=self.started, finished=finished, interrupted=interrupted
            )
        if self.store is not None and self.hunt_id is not None:
            self.store.finish_hunt(self.hunt_id, "interrupted" if interrupted else "finished")
        return finished
