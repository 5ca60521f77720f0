"""Is this Exchange, and which build? Decided from unauthenticated responses only.

Sources, most precise first (docs/builds.md#remote-fingerprinting): the `X-OWA-Version` header (4-part build
with the security update), the eDiscovery export tool ClickOnce manifest (4-part), the resource
paths of the OWA logon page (3-part on recent versions = CU only) and the HttpProxy leak headers
(Exchange, but no build). Every reason to call a host Exchange is kept as evidence.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from exhunt.builds.parse import build_order
from exhunt.scan.client import Reply


class BuildSource:
    OWA_VERSION_HEADER = "x-owa-version"
    EXPORTTOOL_MANIFEST = "exporttool-manifest"
    OWA_LOGON_PAGE = "owa-logon-page"


SOURCE_RANK = (BuildSource.OWA_VERSION_HEADER, BuildSource.EXPORTTOOL_MANIFEST, BuildSource.OWA_LOGON_PAGE)

OWA_PATH = "/owa/"
LOGON_PATH = "/owa/auth/logon.aspx"
EXPORTTOOL_PATH = "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application"

# HttpProxy headers that name servers and routing (docs/builds.md#remote-fingerprinting).
LEAK_HEADERS = ("X-FEServer", "X-BEServer", "X-CalculatedBETarget", "X-DiagInfo")

_BUILD = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{1,5})(?:\.(\d{1,5}))?$")
_LOGON_RESOURCE = re.compile(
    rb"/owa/(?:auth/)?(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)/(?:themes|scripts|resources)/", re.IGNORECASE
)
_ASSEMBLY_IDENTITY = re.compile(rb"<(?:\w+:)?assemblyIdentity\b([^>]{0,2000})>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""\b(name|version)\s*=\s*["']([^"']{0,200})["']""", re.IGNORECASE)
# Text only the OWA logon page carries (Metasploit's Exchange check uses the same two markers).
_LOGON_MARKERS = (b"IsOwaPremiumBrowser", b"To use Outlook, browser settings must allow scripts to run")
_MAX_CLUE_TEXT = 120


@dataclass(frozen=True, slots=True)
class BuildClue:
    source: str
    build: str  # normalised: no zero padding
    parts: int  # 4 = exact build with the security update, 3 = CU only
    where: str  # the request path it came from


@dataclass(slots=True)
class Fingerprint:
    is_exchange: bool = False
    build: str | None = None
    build_source: str | None = None
    build_precision: str | None = None  # "exact" (4-part) or "cu" (3-part)
    product: str | None = None
    evidence: list[str] = field(default_factory=list)
    leaks: dict[str, str] = field(default_factory=dict)
    clues: list[BuildClue] = field(default_factory=list)


def normalise_build(text: str) -> tuple[str, int] | None:
    """'15.01.2176.009' -> ('15.1.2176.9', 4); None for anything that is not an Exchange build."""
    m = _BUILD.match(text.strip())
    if not m:
        return None
    nums = [int(g) for g in m.groups() if g is not None]
    if nums[0] not in (8, 14, 15) or nums[1] > 5:
        return None
    return ".".join(map(str, nums)), len(nums)


def product_of(build: str) -> str | None:
    nums = [int(p) for p in build.split(".")]
    if nums[0] == 8:
        return "Exchange Server 2007"
    if nums[0] == 14:
        return "Exchange Server 2010"
    if nums[:2] == [15, 0]:
        return "Exchange Server 2013"
    if nums[:2] == [15, 1]:
        return "Exchange Server 2016"
    if nums[:2] == [15, 2]:
        # Subscription Edition kept the 15.2 major and starts at build 2562 (docs/builds.md#fixing-updates-per-chain).
        return "Exchange Server SE" if nums[2] >= 2562 else "Exchange Server 2019"
    return None


def _printable(text: str) -> str:
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return clean[:_MAX_CLUE_TEXT] + ("..." if len(clean) > _MAX_CLUE_TEXT else "")


def _bare(path: str) -> str:
    return path.split("?", 1)[0]


def owa_version_clue(reply: Reply, evidence: list[str]) -> BuildClue | None:
    clues = owa_version_clues(reply, evidence)
    return clues[0] if clues else None


def owa_version_clues(reply: Reply, evidence: list[str]) -> list[BuildClue]:
    """A build from each X-OWA-Version header of the answer (a server may repeat it)."""
    clues = []
    for value in reply.header_values("X-OWA-Version"):
        found = normalise_build(value)
        if found is None:
            evidence.append(f"X-OWA-Version header is not a build: {_printable(value)!r}")
            continue
        evidence.append(f"X-OWA-Version: {found[0]} on {_bare(reply.path)}")
        clues.append(BuildClue(BuildSource.OWA_VERSION_HEADER, found[0], found[1], reply.path))
    return clues


def manifest_clue(reply: Reply, evidence: list[str]) -> BuildClue | None:
    if reply.status != 200:
        return None
    for m in _ASSEMBLY_IDENTITY.finditer(reply.body):
        attrs = {k.lower(): v for k, v in _ATTRIBUTE.findall(m.group(1))}
        name = attrs.get(b"name", b"").decode("ascii", "replace").lower()
        if not name.startswith("microsoft.exchange.ediscovery.exporttool"):
            continue
        version = attrs.get(b"version", b"").decode("ascii", "replace")
        found = normalise_build(version)
        if found is None or found[1] != 4:
            evidence.append(f"export tool manifest carries no usable version: {_printable(version)!r}")
            return None
        evidence.append(f"export tool manifest version {found[0]}")
        return BuildClue(BuildSource.EXPORTTOOL_MANIFEST, found[0], 4, reply.path)
    return None


def logon_page_clue(reply: Reply, evidence: list[str]) -> BuildClue | None:
    if reply.status != 200:
        return None
    markers = [m.decode() for m in _LOGON_MARKERS if m in reply.body]
    if markers:
        evidence.append(f"OWA logon page at {_bare(reply.path)} ({'; '.join(markers)})")
    counts: Counter[str] = Counter()
    for m in _LOGON_RESOURCE.finditer(reply.body):
        found = normalise_build(m.group(1).decode("ascii"))
        if found is not None:
            counts[found[0]] += 1
    if not counts:
        return None
    # The most cited version is the page's own; a 4-part one beats a 3-part one of the same CU.
    build = max(counts, key=lambda b: (counts[b], b.count(".")))
    parts = build.count(".") + 1
    evidence.append(f"OWA resource paths name {build} ({counts[build]} references)")
    return BuildClue(BuildSource.OWA_LOGON_PAGE, build, parts, reply.path)


def leak_headers(replies: Iterable[Reply]) -> dict[str, str]:
    out: dict[str, str] = {}
    for reply in replies:
        for name in LEAK_HEADERS:
            value = reply.header(name)
            if value and name not in out:
                out[name] = _printable(value)
    return out


def _redirects_to_logon(reply: Reply) -> bool:
    location = (reply.header("Location") or "").lower()
    return reply.status in (301, 302, 303, 307, 308) and "/owa/auth/logon.aspx" in location


def _same_line(a: str, b: str) -> bool:
    """True when one build is the other or a 3-part prefix of it."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def fingerprint(replies: list[Reply]) -> Fingerprint:
    """Decide from every reply of a host's probes (in the order they came)."""
    fp = Fingerprint()
    clues: list[BuildClue] = []
    strong = 0
    seen: set[str] = set()
    headers: list[BuildClue] = []  # every X-OWA-Version build, to tell whether they agree
    for reply in replies:
        readers = [owa_version_clue, logon_page_clue]
        if reply.path.startswith("/ecp/") and "exporttool" in reply.path:
            readers.append(manifest_clue)
        for read in readers:
            notes: list[str] = []
            if read is owa_version_clue:
                found = owa_version_clues(reply, notes)
                headers.extend(found)
                clue = found[0] if found else None
            else:
                clue = read(reply, notes)
            if clue is not None and any(c.source == clue.source for c in clues):
                continue  # the first answer of each source stands; the rest repeat it
            if read is logon_page_clue and notes:
                strong += 1
            if clue is not None:
                clues.append(clue)
            for note in notes:
                if note not in seen:
                    seen.add(note)
                    fp.evidence.append(note)
    strong += len(clues)
    builds = sorted({c.build for c in headers}, key=build_order)
    if any(not _same_line(builds[0], b) for b in builds[1:]):
        # One name, several builds in X-OWA-Version (several servers behind a load balancer, or
        # a server that lies): the first to answer is chance, so the earliest is judged, the
        # one that leaves the most open.
        earliest = next(c for c in headers if c.build == builds[0])
        clues = [earliest if c.source == BuildSource.OWA_VERSION_HEADER else c for c in clues]
        shown = ", ".join(builds[:5]) + (f" and {len(builds) - 5} more" if len(builds) > 5 else "")
        fp.evidence.append(
            f"X-OWA-Version differs between answers: {shown} (several servers behind one name?); "
            f"the earliest, {builds[0]}, is judged"
        )
    fp.leaks = leak_headers(replies)
    for name, value in fp.leaks.items():
        fp.evidence.append(f"{name}: {value}")
    strong += len(fp.leaks)
    weak = sum(_redirects_to_logon(r) for r in replies)
    if weak:
        fp.evidence.append("/owa/ redirects to /owa/auth/logon.aspx")
    # One Exchange-only artefact suffices; a redirect to the logon path alone is not enough.
    fp.is_exchange = strong > 0
    fp.clues = sorted(clues, key=lambda c: SOURCE_RANK.index(c.source))
    if fp.clues:
        best = fp.clues[0]
        fp.build, fp.build_source = best.build, best.source
        fp.build_precision = "exact" if best.parts == 4 else "cu"
        fp.product = product_of(best.build)
        for other in fp.clues[1:]:
            if not _same_line(best.build, other.build):
                fp.evidence.append(
                    f"sources disagree: {other.source} says {other.build}, "
                    f"{best.source} says {best.build} (several servers behind one name?)"
                )
    if not fp.is_exchange:
        fp.evidence.append("no Exchange artefact in the answers")
    return fp
