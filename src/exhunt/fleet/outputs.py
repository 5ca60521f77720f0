"""A hunt's outputs, checked before any evidence is read and written as each host finishes.

`check_outputs` refuses a path that cannot be written, an unknown extension, or `-` where
stdout makes no sense, before the hunt starts. `HuntSink` takes each assessed host once: it
stores it, writes its JSON into `--out-dir`, its page beside the fleet HTML index, appends it
to the combined JSON, and keeps only a one-line summary, so a hunt of thousands of hosts does
not hold them all. An interrupted hunt closes every file properly with the hosts finished.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from exhunt import __version__
from exhunt.fleet.hunt_log import HuntWriter
from exhunt.fleet.verdicts import HostSummary
from exhunt.model import HUNT_SCHEMA, HostAssessment, HuntResult, iso
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


def _writable_file(path: Path) -> str | None:
    if path.is_dir():
        return "is a folder"
    if path.exists():
        return None if os.access(path, os.W_OK) else "cannot be written (permission)"
    parent = path.parent if str(path.parent) else Path()
    if not parent.is_dir():
        return f"its folder {parent} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"its folder {parent} cannot be written"
    return None


def check_outputs(outputs: dict[str, str | None], out_dir: str | None) -> list[str]:
    """Every reason an output could not be written, before anything is read. Empty when fine."""
    problems: list[str] = []
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
        why = _writable_file(target)
        if why:
            problems.append(f"--{name} {path}: {why}")
    if out_dir:
        d = Path(out_dir)
        if d.exists() and not d.is_dir():
            problems.append(f"--out-dir {out_dir}: not a folder")
        elif d.is_dir() and not os.access(d, os.W_OK | os.X_OK):
            problems.append(f"--out-dir {out_dir}: cannot be written")
        elif not d.exists():
            why = _writable_file(d)
            if why:
                problems.append(f"--out-dir {out_dir}: {why}")
    return problems


class JsonStream:
    """The combined `exhunt.hunt/2` JSON written host by host; `close` completes it."""

    def __init__(self, path: str, started: datetime) -> None:
        self._own = path != "-"
        # Open across the whole hunt, closed by `close` (also after Ctrl-C).
        self._out: IO[str] = Path(path).open("w", encoding="utf-8") if self._own else _stdout()  # noqa: SIM115
        head = {"schema": HUNT_SCHEMA, "tool_version": __version__, "started": iso(started)}
        self._out.write(json.dumps(head, indent=2, ensure_ascii=True)[:-2] + ',\n  "hosts": [')
        self._count = 0

    def add(self, host: HostAssessment) -> None:
        text = json.dumps(host.to_dict(), indent=2, ensure_ascii=True).replace("\n", "\n    ")
        self._out.write(("," if self._count else "") + "\n    " + text)
        self._count += 1

    def close(self, finished: datetime, interrupted: bool) -> None:
        tail: dict[str, Any] = {"finished": iso(finished)}
        if interrupted:
            tail["interrupted"] = True
        rest = json.dumps(tail, indent=2, ensure_ascii=True)[1:]
        self._out.write(("\n  " if self._count else "") + "]," + rest + "\n")
        if self._own:
            self._out.close()
        else:
            self._out.flush()


def _stdout() -> IO[str]:
    import sys

    return sys.stdout


def write_host_json(host: HostAssessment, path: Path, started: datetime) -> None:
    """One host as a complete `exhunt.hunt/2` document, readable by `exhunt report`."""
    doc = HuntResult(__version__, started, datetime.now(UTC), [host]).to_dict()
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")


@dataclass(slots=True)
class HuntSink:
    """Where each assessed host goes. `keep` holds full assessments for outputs that need the
    whole hunt at once (STIX, the single-page HTML of a few hosts); the timeline is streamed."""

    started: datetime
    store: HuntWriter | None = None
    hunt_id: int | None = None
    out_dir: Path | None = None
    json: JsonStream | None = None
    html_index: str | None = None  # fleet mode: host pages beside this index
    timeline: TimelineStream | None = None  # written host by host
    keep: bool = False
    show: Callable[[HostAssessment], None] | None = None
    summaries: list[HostSummary] = field(default_factory=list)
    kept: list[HostAssessment] = field(default_factory=list)

    def host_done(self, key: str, host: HostAssessment, *, stored: bool = False) -> None:
        """Hand one host to every output; `stored` when it came from the store (a resumed hunt)."""
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
        if self.json is not None:
            self.json.add(host)
        if self.timeline is not None:
            self.timeline.add(host)
        if self.keep:
            self.kept.append(host)
        self.summaries.append(HostSummary.of(host, page))
        if self.show is not None and not stored:
            self.show(host)

    def close(self, interrupted: bool) -> datetime:
        finished = datetime.now(UTC)
        if self.json is not None:
            self.json.close(finished, interrupted)
        if self.timeline is not None:
            self.timeline.close()
        if self.html_index:
            from exhunt.report.fleet_html import write_index

            write_index(
                self.summaries, self.html_index, started=self.started, finished=finished, interrupted=interrupted
            )
        if self.store is not None and self.hunt_id is not None:
            self.store.finish_hunt(self.hunt_id, "interrupted" if interrupted else "finished")
        return finished
