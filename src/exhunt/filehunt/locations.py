"""Where a file sat on the server, and what that says about how much a hit there weighs.

The same China Chopper page is a live backdoor in `owa\\auth` and a curiosity in a researcher's
download folder. Paths are compared case-insensitively with '/' separators, from the file's
Windows path when the evidence layer knows it, else from its path inside the evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from exhunt.evidence.base import EvidenceFile


class Place(StrEnum):
    EXCHANGE_AUTH = "exchange-auth"  # FrontEnd\HttpProxy\{owa,ecp}\auth
    EXCHANGE_VDIR = "exchange-vdir"  # other FrontEnd\HttpProxy and ClientAccess folders
    ASPNET_CLIENT = "aspnet-client"  # inetpub\wwwroot\aspnet_client
    IIS_WEBROOT = "iis-webroot"  # the rest of inetpub\wwwroot
    ASPNET_TEMP = "aspnet-temp"  # Temporary ASP.NET Files (compiled pages)
    PROGRAMDATA = "programdata"
    ROOT_DIR = "c-root"  # C:\root, where HAFNIUM left LSASS dumps (docs/detection/proxylogon.md#test-proxylogon-checks)
    WINDOWS_TEMP = "windows-temp"
    OTHER = "other"  # a known place outside all of the above
    UNKNOWN = "unknown"  # a plain folder of files: the original location is not known


WEB_ROOTS = frozenset(
    {Place.EXCHANGE_AUTH, Place.EXCHANGE_VDIR, Place.ASPNET_CLIENT, Place.IIS_WEBROOT, Place.ASPNET_TEMP}
)
# Where attackers staged dumps and archives (docs/detection/proxylogon.md#test-proxylogon-checks; Microsoft's HAFNIUM blog, 2021-03-02).
STAGING_PLACES = frozenset({Place.PROGRAMDATA, Place.ROOT_DIR, Place.WINDOWS_TEMP})

# Server-side page types IIS runs; the file-system hunt's "web files".
PAGE_EXTENSIONS = frozenset(
    {
        ".aspx",
        ".ashx",
        ".asmx",
        ".asax",
        ".ascx",
        ".asp",
        ".asa",
        ".cshtml",
        ".vbhtml",
        ".svc",
        ".master",
        ".soap",
        ".cer",
        ".cdx",
        ".shtml",
    }
)

# Stock content of the front-end auth folders: the names in Microsoft's per-build baselines
# (CSS-Exchange Security/src/Baselines, 2013 to 2019 CU9).
OWA_AUTH_STOCK = frozenset(
    {
        "errorfe.aspx",
        "expiredpassword.aspx",
        "frowny.aspx",
        "getidtoken.htm",
        "logoff.aspx",
        "logon.aspx",
        "outlookcn.aspx",
        "redirsuiteserviceproxy.aspx",
        "signout.aspx",
        "svmfeedback.aspx",
    }
)
# The baselines name TimeoutLogout.aspx; CISA's alert says TimeoutLogoff.aspx (and Microsoft's
# March 2021 IOC feed lists ecp\auth\TimeoutLogout.aspx as a web-shell path).
ECP_AUTH_STOCK = frozenset({"timeoutlogout.aspx"})
# owa\auth\<build>\ and owa\auth\Current\ hold static themes and scripts, never pages.
_VERSION_FOLDER = re.compile(r"^(?:\d+(?:\.\d+){1,3}|current|version)$")

_DRIVE_PREFIX = re.compile(r"^(?:[a-z](?::|%3a)?)/")
_SLASHES = re.compile(r"/{2,}")


def normalise(path: str) -> str:
    """Lower case, '/' separators, one leading '/', so markers match whole path segments."""
    p = _SLASHES.sub("/", path.replace("\\", "/").lower())
    return "/" + p.lstrip("/")


@dataclass(frozen=True, slots=True)
class Location:
    path: str  # normalised, see `normalise`
    place: Place
    known: bool  # the path is the server's own (a Windows path or a disk mirror), not a bare folder
    # The last path segment and its extension ('' without one): asked several times per file.
    name: str = field(init=False, repr=False, compare=False)
    extension: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        name = self.path.rsplit("/", 1)[-1]
        dot = name.rfind(".")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "extension", name[dot:] if dot > 0 else "")

    @property
    def is_page(self) -> bool:
        return self.extension in PAGE_EXTENSIONS

    @property
    def in_web_root(self) -> bool:
        return self.place in WEB_ROOTS

    @property
    def priority(self) -> int:
        """Order in which to look: 0 web roots, 1 staging folders, 2 anywhere else."""
        if self.place in WEB_ROOTS:
            return 0
        return 1 if self.place in STAGING_PLACES else 2

    def auth_folder(self) -> tuple[str, str] | None:
        """('owa' | 'ecp', path below the auth folder) for files in the front-end auth folders."""
        for vdir in ("owa", "ecp"):
            marker = f"/frontend/httpproxy/{vdir}/auth/"
            at = self.path.find(marker)
            if at >= 0:
                return vdir, self.path[at + len(marker) :]
        return None


def locate(file: EvidenceFile) -> Location:
    """Classify a file by its Windows path when known, else by its path in the evidence."""
    if file.windows_path:
        return classify(file.windows_path, known=True)
    rel = normalise(file.rel_path)
    # A disk mirror starts with a drive folder ('C/...', 'C%3A/...'): its paths are the server's.
    known = bool(_DRIVE_PREFIX.match(rel[1:])) and any(
        marker in rel for marker in ("/windows/", "/program files", "/inetpub/", "/programdata/", "/users/")
    )
    return classify(file.rel_path, known=known)


def classify(path: str, *, known: bool) -> Location:
    p = normalise(path)
    place = _place(p)
    if place is Place.OTHER and not known:
        place = Place.UNKNOWN
    return Location(p, place, known or place is not Place.UNKNOWN)


def _place(p: str) -> Place:
    if "/frontend/httpproxy/owa/auth/" in p or "/frontend/httpproxy/ecp/auth/" in p:
        return Place.EXCHANGE_AUTH
    if "/temporary asp.net files/" in p:
        return Place.ASPNET_TEMP
    if "/inetpub/wwwroot/aspnet_client/" in p:
        return Place.ASPNET_CLIENT
    if "/inetpub/wwwroot/" in p:
        return Place.IIS_WEBROOT
    if "/frontend/httpproxy/" in p or "/clientaccess/" in p:
        return Place.EXCHANGE_VDIR
    if "/programdata/" in p or "/users/all users/" in p:
        return Place.PROGRAMDATA
    if "/windows/temp/" in p:
        return Place.WINDOWS_TEMP
    rest = _DRIVE_PREFIX.sub("", p[1:], count=1)
    if rest.startswith("root/") and rest != p[1:]:
        return Place.ROOT_DIR
    return Place.OTHER


def auth_stock_status(loc: Location) -> tuple[bool, str] | None:
    """For files in owa\\auth or ecp\\auth: (is stock, why). None outside those folders."""
    found = loc.auth_folder()
    if found is None:
        return None
    vdir, below = found
    parts = below.split("/")
    if len(parts) == 1:
        stock = OWA_AUTH_STOCK if vdir == "owa" else ECP_AUTH_STOCK
        if parts[0] in stock:
            return True, f"stock {vdir}\\auth file"
        return False, f"not a file of a standard {vdir}\\auth folder"
    if vdir == "owa" and _VERSION_FOLDER.match(parts[0]):
        if loc.is_page:
            return False, f"a server page inside the static owa\\auth\\{parts[0]} folder"
        return True, "static resource of a build folder"
    return False, f"not a folder of a standard {vdir}\\auth folder"


def look_alike(name: str, stock: frozenset[str]) -> str | None:
    """The stock name this one imitates (e.g. RedirSuiteServerProxy.aspx), if any."""
    name = name.lower()
    if name in stock:
        return None
    stem, _, ext = name.rpartition(".")
    for genuine in sorted(stock):
        g_stem, _, g_ext = genuine.rpartition(".")
        if ext != g_ext or len(g_stem) < 6:
            continue
        limit = max(2, len(g_stem) // 6)
        if abs(len(stem) - len(g_stem)) <= limit and edit_distance(stem, g_stem, limit) <= limit:
            return genuine
    return None


def edit_distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance, giving up (returning cap + 1) once it must exceed `cap`."""
    if a == b:
        return 0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]
