"""What an artefact kind declares: where it is found, how it is recognised, who reads it, what its
absence hides, and where it lives on a live server."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from exhunt.model import ArtefactKind


class Role(StrEnum):
    WEB_LOG = "web log"  # every request: the SSRF step of every chain shows here
    SUPPORTING_LOG = "supporting log"  # one service's own log: one step of one chain
    EVENT_LOG = "event log"
    CONFIG = "config"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class Artefact:
    """One artefact kind. Paths are lower case; `live_paths` are Windows paths with environment
    variables (`%ExchangeInstallPath%`, `%SystemRoot%`, `%SystemDrive%`) and `**` globs, the form
    collection recipes (KAPE targets, Velociraptor artifacts, PowerShell) are written from."""

    kind: ArtefactKind
    title: str  # e.g. "HttpProxy logs"
    role: Role
    reader: str  # what reads it, in words: the format and the module
    blind_spot: str  # what cannot be seen without it
    live_paths: tuple[str, ...] = ()
    coverage: str = ""  # the coverage row its analyzer writes (default: the kind's value)
    judged_on: bool = False  # `clean` needs it (assess.JUDGED_ON)
    # Classification by path: folders below an Exchange `Logging` folder (`("ecp", "server")`),
    # with a word the file name must hold; a file-name pattern; a folder-name test; extensions
    # and exact names. Checked in registry order, the first match wins.
    logging_folders: tuple[tuple[str, ...], ...] = ()
    logging_name_word: str = ""
    name_pattern: re.Pattern[str] | None = None
    folder_test: Callable[[str], bool] | None = None
    extensions: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    # Classification by content (the first lines of a log whose path says nothing).
    log_types: tuple[str, ...] = ()  # `#Log-type:` values, lower-case prefixes
    software: tuple[str, ...] = ()  # `#Software:` values, lower-case prefixes
    csv_headers: tuple[str, ...] = ()  # bare CSV header lines, lower-case prefixes
    json_events: bool = False  # JSON whose first record is a Windows event

    @property
    def coverage_key(self) -> str:
        return self.coverage or self.kind.value
