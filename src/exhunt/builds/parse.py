"""Turn what a user, a log or a web server says about a build into a checked `BuildNumber`.

Accepted: "15.1.2176.2", zero padded "15.01.2176.002" (ExSetup.exe's long form), the CU-level
"15.1.2176" (what OWA paths show), and AdminDisplayVersion "Version 15.1 (Build 2176.2)", which is
also CU level: security updates do not change it (docs/builds.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from exhunt.builds.products import OLDER_VERSIONS, TABLE_MINORS
from exhunt.builds.table import BuildTuple, build_table

# Windows file-version fields are 16-bit.
MAX_PART = 65535
# How far past the newest known build of a version a build number may lie and still be taken as a
# newer release (a CU is roughly 60-250 builds after the previous one).
MAX_BUILDS_AHEAD = 1000
MAX_INPUT = 100

_DOTTED = re.compile(r"[vV]?([0-9]{1,6})\.([0-9]{1,6})\.([0-9]{1,6})(?:\.([0-9]{1,6}))?")
_TWO_PART = re.compile(r"[vV]?([0-9]{1,6})\.([0-9]{1,6})")
_ADMIN_DISPLAY = re.compile(
    r"(?:version\s+)?([0-9]{1,6})\.([0-9]{1,6})\s*\(\s*build\s+([0-9]{1,6})\.([0-9]{1,6})\s*\)", re.IGNORECASE
)
_EXAMPLES = '15.1.2176.2, 15.1.2176 (CU level) or "Version 15.1 (Build 2176.2)"'


class BuildParseError(ValueError):
    """The text is not a usable Exchange build number; the message says why, in one line."""


class BuildForm(StrEnum):
    FILE_VERSION = "file-version"  # 4 parts: the exact build, security update included
    CU_LEVEL = "cu-level"  # 3 parts: the CU is known, the security update is not
    ADMIN_DISPLAY = "admin-display-version"  # CU level, from AdminDisplayVersion


@dataclass(frozen=True, slots=True)
class BuildNumber:
    major: int
    minor: int
    build: int
    revision: int | None  # None when only the CU level is known
    form: BuildForm = BuildForm.FILE_VERSION

    @property
    def exact(self) -> bool:
        return self.revision is not None

    @property
    def lowest(self) -> BuildTuple:
        """The lowest build this could be."""
        return self.major, self.minor, self.build, self.revision if self.revision is not None else 0

    @property
    def highest(self) -> BuildTuple:
        """The highest build this could be."""
        return self.major, self.minor, self.build, self.revision if self.revision is not None else MAX_PART

    def __str__(self) -> str:
        parts = [self.major, self.minor, self.build] + ([self.revision] if self.revision is not None else [])
        return ".".join(str(p) for p in parts)


def build_order(text: str) -> tuple[int, ...]:
    """A dotted build's parts as numbers, to order builds by (`15.1.2176.2` before `15.1.2507.6`,
    which text order puts the other way at times); () for text that is not numbers and dots."""
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return ()


def parse_build(text: str) -> BuildNumber:
    """Parse and check a build number; raise BuildParseError with a one-line reason otherwise."""
    if not isinstance(text, str):
        raise BuildParseError("not a build number: expected text")
    cleaned = text.strip().strip("\ufeff").strip()
    if not cleaned:
        raise BuildParseError(f"empty: expected a build number such as {_EXAMPLES}")
    if len(cleaned) > MAX_INPUT:
        raise BuildParseError(f"too long to be a build number (more than {MAX_INPUT} characters)")
    number = _syntax(cleaned)
    _check_range(number)
    return number


_DOTTED_IN = re.compile(r"(?<![0-9.])" + _DOTTED.pattern + r"(?![0-9]|\.[0-9])")


def build_in(line: str) -> str | None:
    """The one build a line of a table holds, as written there, or None when it holds none.

    For what PowerShell prints: `EX01  Enterprise  Version 15.1 (Build 2176.2)` (Get-ExchangeServer)
    or `15.01.2176.002  15.01.2176.002  C:\\...\\ExSetup.exe` (a file's version info). Only
    numbers that are Exchange builds count; two different ones on one line are an error
    (BuildParseError), since the line would not say which server runs which.
    """
    found: dict[str, str] = {}
    first_error: BuildParseError | None = None
    for pattern in (_ADMIN_DISPLAY, _DOTTED_IN):
        for m in pattern.finditer(line):
            try:
                number = parse_build(m[0])
            except BuildParseError as exc:
                first_error = first_error or exc
                continue
            found.setdefault(f"{number}/{number.form}", m[0])
        if found:
            break
    if len({key.split("/")[0] for key in found}) > 1:
        raise BuildParseError(f"more than one build on one line ({', '.join(found.values())}): give one per line")
    if found:
        return next(iter(found.values()))
    if first_error is not None:
        raise first_error
    return None


def _syntax(text: str) -> BuildNumber:
    m = _DOTTED.fullmatch(text)
    if m:
        major, minor, build = int(m[1]), int(m[2]), int(m[3])
        revision = int(m[4]) if m[4] is not None else None
        form = BuildForm.FILE_VERSION if revision is not None else BuildForm.CU_LEVEL
        return BuildNumber(major, minor, build, revision, form)
    m = _ADMIN_DISPLAY.fullmatch(text)
    if m:
        return BuildNumber(int(m[1]), int(m[2]), int(m[3]), None, BuildForm.ADMIN_DISPLAY)
    m = _TWO_PART.fullmatch(text)
    if m:
        raise BuildParseError(
            f"{int(m[1])}.{int(m[2])} names a product version, not a build: give at least three parts, "
            f"e.g. {int(m[1])}.{int(m[2])}.2176 for the CU level or {int(m[1])}.{int(m[2])}.2176.2"
        )
    raise BuildParseError(f"not an Exchange build number: expected e.g. {_EXAMPLES}")


def _check_range(number: BuildNumber) -> None:
    parts = (number.major, number.minor, number.build, number.revision or 0)
    if any(p > MAX_PART for p in parts[:2]) or (number.revision or 0) > MAX_PART:
        raise BuildParseError(f"{number}: a part is above {MAX_PART}, which no Windows file version has")
    version = (number.major, number.minor)
    if version in OLDER_VERSIONS:
        if number.build > MAX_PART:
            raise BuildParseError(f"{number}: a part is above {MAX_PART}, which no Windows file version has")
        return
    if number.major == 15 and number.minor >= 20:
        raise BuildParseError(f"{number.major}.{number.minor} is Exchange Online, not an on-premises build")
    if version not in TABLE_MINORS:
        raise BuildParseError(
            f"{number.major}.{number.minor} is not an Exchange Server version "
            "(2010 is 14.x, 2013 is 15.0, 2016 is 15.1, 2019 and SE are 15.2)"
        )
    span = build_table().minor_span(*version)
    if span is None:  # the table covers every version in TABLE_MINORS; guard anyway
        return
    first, newest = span
    product = TABLE_MINORS[version]
    if number.highest < first.build:
        raise BuildParseError(f"{number} is earlier than the first {product} build ({first.version}, {first.cu})")
    if number.build > newest.build[2] + MAX_BUILDS_AHEAD:
        raise BuildParseError(
            f"{number}: build {number.build} is far outside any known {product} CU "
            f"(known builds run from {first.version} to {newest.version})"
        )
