"""Heuristics over a file's place, name, first bytes and time, each a detector of the catalog.

Pure functions: what is known of a file (`Look`) and one rule's typed parameters in, a `Signal`
(details and outcome tier) or None out. `HEURISTICS` binds each to its detector name, so the
analyzer runs every catalog rule of that name with its own parameters: a second rule on a
heuristic (another folder, other page types) is a rule-file entry and no code. The analyzer
turns signals into findings (and applies the allow-lists).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

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
from exhunt.ruleparams import (
    AttackWindowParams,
    AuthFolderParams,
    BinaryPageParams,
    CompiledPageParams,
    ExtensionsParams,
    PlacesParams,
)


@dataclass(frozen=True, slots=True)
class Signal:
    details: dict[str, str] = field(default_factory=dict)
    outcome: str = "hit"  # one of the rule's outcome tiers (data/rules/files.toml)


@dataclass(frozen=True, slots=True)
class Look:
    """What the heuristics see of one file: where it sat, its first bytes, the text to search
    (its content, or its head when the content was not read) and its last write time."""

    loc: Location
    head: bytes
    text: bytes
    mtime: datetime | None


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


def binary_page(look: Look, p: BinaryPageParams) -> Signal | None:
    """A server page whose first bytes are not text."""
    if look.loc.extension not in p.extensions or not look.head:
        return None
    start = look.head
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
    if _PAGE_CODE.search(look.text):
        details["page_code"] = "present"
        return Signal(details, "page-code")
    return Signal(details)


def _auth_file(loc: Location, folders: frozenset[str]) -> tuple[str, str, str | None] | None:
    """(vdir, why, stock name it imitates) of a non-stock file in one of the auth `folders`."""
    status = auth_stock_status(loc)
    if status is None or status[0]:
        return None
    found = loc.auth_folder()
    assert found is not None
    vdir, below = found
    if vdir not in folders:
        return None
    imitated = None
    if "/" not in below:
        stock = OWA_AUTH_STOCK if vdir == "owa" else ECP_AUTH_STOCK
        imitated = look_alike(loc.name, stock | (ECP_AUTH_STOCK if vdir == "owa" else OWA_AUTH_STOCK))
    return vdir, status[1], imitated


def auth_lookalike(look: Look, p: AuthFolderParams) -> Signal | None:
    """A file in owa\\auth or ecp\\auth named a few letters off a stock one."""
    found = _auth_file(look.loc, p.folders)
    if found is None or found[2] is None:
        return None
    return Signal({"imitates": found[2], "folder": f"{found[0]}\\auth"})


def auth_nonstock(look: Look, p: AuthFolderParams) -> Signal | None:
    """Any other non-stock file in owa\\auth or ecp\\auth (a look-alike is the other rule's)."""
    found = _auth_file(look.loc, p.folders)
    if found is None or found[2] is not None:
        return None
    details = {"folder": f"{found[0]}\\auth", "why": found[1]}
    return Signal(details) if look.loc.is_page else Signal(details, "not-page")


def page_in_place(look: Look, p: PlacesParams) -> Signal | None:
    """A server page in a place that holds none (aspnet_client only has the client scripts)."""
    loc = look.loc
    if str(loc.place) in p.places and loc.is_page:
        return Signal()  # the finding names the place (`location`)
    return None


def compiled_page(look: Look, p: CompiledPageParams) -> Signal | None:
    """A Temporary ASP.NET Files record of a page compiled from one of the virtual folders."""
    loc = look.loc
    if loc.place is not Place.ASPNET_TEMP or not loc.name.endswith(".compiled"):
        return None
    found = _VIRTUAL_PATH.search(look.text)
    if not found:
        return None
    virtual = found.group(1).decode("utf-8", "replace")
    vp = virtual.lower()
    name = vp.rsplit("/", 1)[-1]
    for folder in p.virtual_folders:
        at = vp.find(folder)
        if at < 0:
            continue
        stock = _STOCK_OF.get(folder, frozenset())
        if "/" not in vp[at + len(folder) :] and name in stock:
            return None
        return Signal({"virtual_path": virtual})
    return None


_STOCK_OF = {"/owa/auth/": OWA_AUTH_STOCK, "/ecp/auth/": ECP_AUTH_STOCK}


def attack_window(look: Look, p: AttackWindowParams) -> Signal | None:
    """A page in a web root last written while a chain was exploited at scale."""
    loc, mtime = look.loc, look.mtime
    if mtime is None or not loc.is_page or loc.place not in WEB_ROOTS or loc.place is Place.ASPNET_TEMP:
        return None
    when = utc(mtime)
    hit = next((w for w in p.windows if _in_window(when, w)), None)
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
    return Signal({"window": f"{hit[0]} {hit[1]}..{hit[2]}", "written": written}, outcome)


def _in_window(when: datetime, window: tuple[str, ...]) -> bool:
    start, end = _window_bounds(window[1], window[2])
    return start <= when <= end


@cache
def _window_bounds(first: str, last: str) -> tuple[datetime, datetime]:
    """The first and last instant (UTC) of the days `first` to `last`: read once per window, not
    for every page in a web root."""
    start = datetime.combine(date.fromisoformat(first), datetime.min.time(), UTC)
    end = datetime.combine(date.fromisoformat(last), datetime.max.time(), UTC)
    return start, end


def lsass_by_name(loc: Location) -> bool:
    """Named like an LSASS dump (lsass*.dmp)."""
    return bool(_LSASS_NAME.match(loc.name))


def minidump_in_place(look: Look, p: PlacesParams) -> Signal | None:
    loc = look.loc
    if not look.head.startswith(b"MDMP"):
        return None
    if loc.in_web_root:
        return Signal({"place": str(loc.place)}, "web-root")
    if str(loc.place) in p.places:
        return Signal({"place": str(loc.place)})
    return None


def staged_archive(look: Look, p: ExtensionsParams) -> Signal | None:
    loc = look.loc
    if loc.extension not in p.extensions:
        return None
    if loc.in_web_root:
        details = {"place": str(loc.place), "why": "downloadable from the web root"}
        return Signal(details, "web-root")
    if loc.place is not Place.PROGRAMDATA:
        return None
    marker = "/programdata/" if "/programdata/" in loc.path else "/users/all users/"
    below = loc.path.split(marker, 1)[1]
    if "/" not in below:
        return Signal({"place": "programdata", "why": "directly in ProgramData"})
    # Deeper down it is most likely a vendor's package (docs/design-choices.md, issue #311/#328).
    return Signal({"place": "programdata", "why": "inside a ProgramData sub-folder"}, "vendor-folder")


MINIDUMP = "file-minidump"
ATTACK_WINDOW = "file-attack-window"
# Each heuristic's detector name, parameter class and check.
HEURISTICS: tuple[tuple[str, type, Callable[[Look, Any], Signal | None]], ...] = (
    ("file-binary-page", BinaryPageParams, binary_page),
    ("file-auth-lookalike", AuthFolderParams, auth_lookalike),
    ("file-auth-nonstock", AuthFolderParams, auth_nonstock),
    ("file-page-in-place", PlacesParams, page_in_place),
    ("file-compiled-page", CompiledPageParams, compiled_page),
    (ATTACK_WINDOW, AttackWindowParams, attack_window),
    ("file-staged-archive", ExtensionsParams, staged_archive),
    (MINIDUMP, PlacesParams, minidump_in_place),
)
