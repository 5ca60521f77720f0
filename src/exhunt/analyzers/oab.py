"""OABGeneratorLog: CVE-2021-26858's file write outside the OAB folder (docs/detection/proxylogon.md#test-proxylogon-checks, docs/logs.md#oab-generator)."""

from __future__ import annotations

import ntpath

from exhunt.analyzers.logscan import FileHunt, LogAnalyzer
from exhunt.artefacts.oab import OabGeneratorFormat
from exhunt.artefacts.records import LogRecord
from exhunt.hits import Hit
from exhunt.model import ArtefactKind, FileFacet
from exhunt.ruleparams import OabDownloadParams
from exhunt.rules import fired

DETECTOR = "oab-download"
UNKNOWN_INSTALL = "unknown (tested for any \\ClientAccess\\OAB\\ folder)"


def normalise_windows_path(path: str) -> str:
    """Quotes off, `/` as `\\`, `.` and `..` resolved, so a prefix test cannot be walked around."""
    path = path.strip().strip("'\"").strip()
    return ntpath.normpath(path.replace("/", "\\")) if path else path


def inside_oab_folder(path: str, install: str | None, oab_folder: str) -> bool:
    """True when `path` is in the OAB generator's own folder. With the install root known, that
    is `<install>ClientAccess\\OAB` (`oab_folder` is the rule's); without it, any local
    `\\ClientAccess\\OAB\\` folder."""
    norm = normalise_windows_path(path).lower()
    if norm.startswith("\\\\"):
        return False  # a UNC path is never where the generator downloads
    oab = oab_folder.strip("\\")
    if install:
        base = normalise_windows_path(install.rstrip("\\/") + "\\" + oab).lower()
        return norm == base or norm.startswith(base + "\\")
    return ("\\" + oab + "\\") in norm


def between(text: str, start: str, end: str, limit: int) -> str | None:
    """What lies between the leftmost `start` and the first `end` after it, at most `limit`
    characters apart (as the regex `start(.{0,limit}?)end` would find it on one line). Each
    `end` is found first and `start` looked for only within reach before it, so a line that
    repeats either phrase thousands of times costs one pass, not one bounded scan per phrase."""
    pos = searched = 0  # no `start` begins before `searched` with an end in reach
    while (close := text.find(end, pos)) >= 0:
        opener = text.find(start, max(searched, close - limit - len(start)), close)
        if opener >= 0:
            return text[opener + len(start) : close]
        searched = max(searched, close - len(start) + 1)
        pos = close + 1
    return None


class OabGeneratorAnalyzer(LogAnalyzer):
    name = "oab-generator-log"
    kinds = frozenset({ArtefactKind.OAB_GENERATOR})
    format = OabGeneratorFormat
    detectors = (DETECTOR,)

    def check(self, rec: LogRecord, rules: frozenset[str], hunt: FileHunt) -> None:
        for rule in fired(DETECTOR, rules):
            self._download(rec, rule.id, rule.params_as(OabDownloadParams), hunt)

    @staticmethod
    def _download(rec: LogRecord, rule_id: str, p: OabDownloadParams, hunt: FileHunt) -> None:
        found = between(rec.raw, p.message_start, p.message_end, p.max_path)
        if found is None:
            return
        path = found.strip().strip("'\"")
        if inside_oab_folder(path, hunt.ctx.exchange_install, p.oab_folder):
            hunt.suppress(rule_id, "download failed inside the OAB folder (normal OAB generator behaviour)")
            return
        norm = normalise_windows_path(path)
        hunt.report(
            rec,
            Hit(
                rule_id,
                file=FileFacet(path=norm or path, place="written by the OAB generator"),
                facts={
                    "path": path,
                    "normalised_path": norm if norm != path else "",
                    "exchange_install": hunt.ctx.exchange_install or UNKNOWN_INSTALL,
                },
            ),
        )


ANALYZERS = [OabGeneratorAnalyzer()]
