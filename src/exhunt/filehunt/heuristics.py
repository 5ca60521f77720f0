"""Heuristics over a file's place, name, first bytes and time: each one a catalog rule.

Pure functions: a `Location`, the bytes already read and the file time in, `Signal`s out. The
analyzer turns signals into findings (and applies the allow-lists).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from exhunt.filehunt.contentrules import escape_snippet
from exhunt.filehunt.locations import (
    ECP_AUTH_STOCK,
    OWA_AUTH_STOCK,
    WEB_ROOTS,
    Location,
    Place,
    auth_stock_status,
    look_alike,
)
from exhunt.model import utc


@dataclass(frozen=True, slots=True)
class Signal:
    rule_id: str
    details: dict[str, str] = field(default_factory=dict)
    outcome: str = "hit"  # one of the rule's outcome tiers (data/rules/files.toml)


BINARY_PAGE_EXTENSIONS = frozenset({".aspx", ".ashx", ".asmx", ".asp", ".asa", ".asax", ".ascx"})
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_CONTAINERS = (
    (b"!BDN", "PST (Outlook data file)"),
    (b"\x30\x82", "DER (certificate or request)"),
    (b"PK\x03\x04", "ZIP"),
    (b"Rar!", "RAR"),
    (b"\x1f\x8b", "GZIP"),
    (b"MZ", "PE executable"),
    (b"\xd0\xcf\x11\xe0", "OLE compound file"),
    (b"MDMP", "minidump"),
    (b"MSCF", "CAB"),
)
_IMAGES = (
    (b"gif87a", "GIF image"),
    (b"gif89a", "GIF image"),
    (b"\x89png", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
)
_PAGE_CODE = re.compile(rb"<%|runat\s*=\s*[\"']?server|<\x00%\x00", re.IGNORECASE)
_LSASS_NAME = re.compile(r"^lsass.*\.dmp$")
_VIRTUAL_PATH = re.compile(rb'virtualPath="([^"]{1,400})"', re.IGNORECASE)


def binary_page(loc: Location, head: bytes, text: bytes) -> Signal | None:
    """A server page whose first bytes are not text (EXH-WS-BINARY-PAGE)."""
    if loc.extension not in BINARY_PAGE_EXTENSIONS or not head:
        return None
    start = head
    for bom in _BOMS:
        if start.startswith(bom):
            if bom != _BOMS[0]:
                return None  # UTF-16 text is still text
            start = start[len(bom) :]
            break
    first = start[:8]
    what = next((name for magic, name in _IMAGES if first.lower().startswith(magic)), None)
    if what is None:
        what = next((name for magic, name in _CONTAINERS if first.startswith(magic)), None)
    if what is None and any(b < 0x09 or 0x0E <= b < 0x20 or b == 0x7F for b in first):
        what = "binary data"
    if what is None:
        return None
    details = {"starts_with": escape_snippet(first, 8), "container": what}
    if _PAGE_CODE.search(text):
        details["page_code"] = "present"
        return Signal("EXH-WS-BINARY-PAGE", details, "page-code")
    return Signal("EXH-WS-BINARY-PAGE", details)


def auth_folder(loc: Location) -> Signal | None:
    """Non-stock and look-alike files in owa\\auth / ecp\\auth."""
    status = auth_stock_status(loc)
    if status is None or status[0]:
        return None
    found = loc.auth_folder()
    assert found is not None
    vdir, below = found
    if "/" not in below:
        stock = OWA_AUTH_STOCK if vdir == "owa" else ECP_AUTH_STOCK
        imitated = look_alike(loc.name, stock | (ECP_AUTH_STOCK if vdir == "owa" else OWA_AUTH_STOCK))
        if imitated:
            return Signal("EXH-WS-AUTH-LOOKALIKE", {"imitates": imitated, "folder": f"{vdir}\\auth"})
    details = {"folder": f"{vdir}\\auth", "why": status[1]}
    if loc.is_page:
        return Signal("EXH-WS-AUTH-NONSTOCK", details)
    return Signal("EXH-WS-AUTH-NONSTOCK", details, "not-page")


def aspnet_client_page(loc: Location) -> Signal | None:
    if loc.place is Place.ASPNET_CLIENT and loc.is_page:
        return Signal("EXH-WS-ASPNET-CLIENT-PAGE", {"folder": "inetpub\\wwwroot\\aspnet_client"})
    return None


def compiled_page(loc: Location, text: bytes) -> Signal | None:
    """A Temporary ASP.NET Files record of a page compiled from a web-shell folder."""
    if loc.place is not Place.ASPNET_TEMP or not loc.name.endswith(".compiled"):
        return None
    found = _VIRTUAL_PATH.search(text)
    if not found:
        return None
    virtual = found.group(1).decode("utf-8", "replace")
    vp = virtual.lower()
    name = vp.rsplit("/", 1)[-1]
    for folder, stock in (("/owa/auth/", OWA_AUTH_STOCK), ("/ecp/auth/", ECP_AUTH_STOCK)):
        at = vp.find(folder)
        if at >= 0:
            if "/" not in vp[at + len(folder) :] and name in stock:
                return None
            return Signal("EXH-WS-COMPILED-PAGE", {"virtual_path": virtual})
    if "/aspnet_client/" in vp:
        return Signal("EXH-WS-COMPILED-PAGE", {"virtual_path": virtual})
    return None


def attack_window(loc: Location, mtime: datetime | None, windows: Iterable[Sequence[str]]) -> Signal | None:
    """A page in a web root last written while a chain was exploited at scale."""
    if mtime is None or not loc.is_page or loc.place not in WEB_ROOTS or loc.place is Place.ASPNET_TEMP:
        return None
    when = utc(mtime)
    hit = next((w for w in windows if _in_window(when, w)), None)
    if hit is None:
        return None
    if loc.place in (Place.ASPNET_CLIENT, Place.IIS_WEBROOT):
        outcome = "web-root"
    elif loc.place is Place.EXCHANGE_AUTH:
        status = auth_stock_status(loc)
        if status is None or status[0]:
            return None  # stock pages are rewritten by the updates of those very months
        outcome = "web-root"
    elif "/frontend/httpproxy/" in loc.path and loc.name != "global.asax":
        outcome = "hit"  # the rule's own (low): the proxy folders hold only global.asax and web.config
    else:
        return None  # ClientAccess: thousands of stock pages, every update rewrites them
    written = when.isoformat().replace("+00:00", "Z")
    return Signal("EXH-FS-ATTACK-WINDOW", {"window": f"{hit[0]} {hit[1]}..{hit[2]}", "written": written}, outcome)


def _in_window(when: datetime, window: Sequence[str]) -> bool:
    start = datetime.combine(date.fromisoformat(window[1]), datetime.min.time(), UTC)
    end = datetime.combine(date.fromisoformat(window[2]), datetime.max.time(), UTC)
    return start <= when <= end


def lsass_by_name(loc: Location) -> Signal | None:
    if _LSASS_NAME.match(loc.name):
        return Signal("EXH-FS-LSASS-DUMP", {"why": "named like an LSASS dump (lsass*.dmp)"})
    return None


def minidump_in_place(loc: Location, head: bytes) -> Signal | None:
    if not head.startswith(b"MDMP"):
        return None
    if loc.in_web_root:
        return Signal("EXH-FS-MINIDUMP", {"place": str(loc.place)}, "web-root")
    if loc.place in (Place.ROOT_DIR, Place.WINDOWS_TEMP):
        return Signal("EXH-FS-MINIDUMP", {"place": str(loc.place)})
    return None


def staged_archive(loc: Location, extensions: Iterable[str]) -> Signal | None:
    if loc.extension not in set(extensions):
        return None
    if loc.in_web_root:
        details = {"place": str(loc.place), "why": "downloadable from the web root"}
        return Signal("EXH-FS-ARCHIVE-STAGED", details, "web-root")
    if loc.place is not Place.PROGRAMDATA:
        return None
    marker = "/programdata/" if "/programdata/" in loc.path else "/users/all users/"
    below = loc.path.split(marker, 1)[1]
    if "/" not in below:
        return Signal("EXH-FS-ARCHIVE-STAGED", {"place": "programdata", "why": "directly in ProgramData"})
    # Deeper down it is most likely a vendor's package (docs/design-choices.md, issue #311/#328).
    return Signal(
        "EXH-FS-ARCHIVE-STAGED",
        {"place": "programdata", "why": "inside a ProgramData sub-folder"},
        "vendor-folder",
    )
