"""Published and user indicators: file hashes and web-shell paths, and network values for the logs.

Shipped lists live in `exhunt/data/indicators/*.csv`, written in exhunt's own format from the
published facts, one source named on every entry. Users add lists of the same format through
`HuntOptions.extra_indicator_paths` (files or folders of `.csv`/`.txt`).

Format (see `listfile.py` for the CSV rules):

    type,value,kind,label,source
    sha256,b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0,webshell,HAFNIUM web shell,MSTIC
    path,C:\\inetpub\\wwwroot\\aspnet_client\\supp0rt.aspx,webshell,,MSTIC
    md5,0123456789abcdef0123456789abcdef,malware,our own case 42,

`type` is sha256, sha1, md5, path, ip, domain or user_agent; `kind` is webshell, ransomware,
malware, tool or other (default other). A path is matched as a suffix of the file's path on the
server, so `C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\...` also matches an
install on D:, and may hold `*` / `?` wildcards. Only `type` and `value` are required. The file
hunt matches hashes and paths; ip, domain and user_agent entries are looked for in web logs
(`exhunt.analyzers.web_indicators`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import translate
from functools import lru_cache
from importlib import resources

from exhunt.filehunt.listfile import ListProblem, ListRow, expand_paths, read_list_file, read_rows

HASH_TYPES = {"sha256": 64, "sha1": 40, "md5": 32}
NETWORK_TYPES = frozenset({"ip", "domain", "user_agent"})
TYPES = frozenset({*HASH_TYPES, "path", *NETWORK_TYPES})
KINDS = frozenset({"webshell", "ransomware", "malware", "tool", "other"})
COLUMNS = ("type", "value", "kind", "label", "source")
_HEX = re.compile(r"^[0-9a-f]+$")
# A list holding the hash of nothing would flag every empty file on the disk.
_EMPTY = {
    "sha256": hashlib.sha256(b"").hexdigest(),
    "sha1": hashlib.sha1(b"").hexdigest(),
    "md5": hashlib.md5(b"").hexdigest(),
}
# A host name (a domain indicator, or a name in a URI, a Host header, a Referer, a command line).
HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)+")
# Dotted words in lower-case text, each checked with HOST_NAME after: starting only where a word
# starts and never giving back what it took, so a long run of letters (a base64 blob in a script
# block) costs one pass, where HOST_NAME's search would retry it from every position.
_DOTTED = re.compile(r"(?<![a-z0-9.-])[a-z0-9-]++(?:\.[a-z0-9-]++)++")
MAX_HOST_NAME = 253


def host_names(text: str) -> list[str]:
    """The host names in lower-case `text`, in order, each once."""
    seen: dict[str, None] = {}
    for m in _DOTTED.finditer(text):
        name = m.group(0)
        if len(name) <= MAX_HOST_NAME and name not in seen and HOST_NAME.fullmatch(name):
            seen[name] = None
    return list(seen)


# Exchange installs anywhere; its published paths are matched from these folders on.
_INSTALL_ANCHORS = ("/frontend/", "/clientaccess/", "/bin/", "/logging/")


@dataclass(frozen=True, slots=True)
class Indicator:
    type: str
    value: str  # normalised: lower-case hex, or a '/'-separated lower-case path suffix
    kind: str
    label: str
    source: str
    origin: str  # list file it came from
    line: int

    def describe(self) -> str:
        parts = [p for p in (self.label, self.source and f"source: {self.source}") if p]
        return "; ".join(parts) or f"listed in {self.origin}:{self.line}"


@dataclass
class IndicatorSet:
    hashes: dict[str, dict[str, list[Indicator]]] = field(default_factory=lambda: {t: {} for t in HASH_TYPES})
    paths: dict[str, list[Indicator]] = field(default_factory=dict)
    # The last segment of every key of `paths`: a file whose name is none of them matches no
    # listed path, and is told so without a lookup per segment of its path.
    path_names: set[str] = field(default_factory=set)
    path_patterns: list[tuple[re.Pattern[str], Indicator]] = field(default_factory=list)
    network: Counter[str] = field(default_factory=Counter)
    network_entries: list[Indicator] = field(default_factory=list)  # ip, domain, user_agent
    problems: list[ListProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def wants(self) -> frozenset[str]:
        """Digests worth computing: sha256 always, md5/sha1 only when a list holds some."""
        return frozenset({"sha256"} | {t for t in ("md5", "sha1") if self.hashes[t]})

    def add(self, ind: Indicator) -> None:
        if ind.type in HASH_TYPES:
            self.hashes[ind.type].setdefault(ind.value, []).append(ind)
        elif ind.type == "path":
            if "*" in ind.value or "?" in ind.value:
                self.path_patterns.append((re.compile(translate("*/" + ind.value)), ind))
            else:
                self.paths.setdefault(ind.value, []).append(ind)
                self.path_names.add(ind.value.rsplit("/", 1)[-1])
        else:
            self.network[ind.type] += 1
            self.network_entries.append(ind)

    def match_hashes(self, digests: dict[str, str]) -> list[Indicator]:
        out: list[Indicator] = []
        for algo, digest in digests.items():
            out.extend(self.hashes.get(algo, {}).get(digest, ()))
        return out

    def match_path(self, normalised: str) -> list[Indicator]:
        """Indicators whose path is a whole-segment suffix of this normalised ('/a/b/c') path."""
        out: list[Indicator] = []
        at = normalised.find("/") if normalised.rsplit("/", 1)[-1] in self.path_names else -1
        while at >= 0:
            out.extend(self.paths.get(normalised[at + 1 :], ()))
            at = normalised.find("/", at + 1)
        for pattern, ind in self.path_patterns:
            if pattern.match(normalised):
                out.append(ind)
        return out

    def __len__(self) -> int:
        hashes = sum(len(v) for d in self.hashes.values() for v in d.values())
        paths = sum(len(v) for v in self.paths.values()) + len(self.path_patterns)
        return hashes + paths + sum(self.network.values())


_ENV_FOLDERS = {
    "%programdata%": "programdata",
    "%windir%": "windows",
    "%systemroot%": "windows",
    "%public%": "users/public",
    "%allusersprofile%": "programdata",
}


def normalise_path_indicator(value: str) -> str:
    p = "/" + value.replace("\\", "/").strip().strip("/").lower()
    p = re.sub(r"/{2,}", "/", p)
    for var, folder in _ENV_FOLDERS.items():
        p = p.replace(f"/{var}/", f"/{folder}/")
    for anchor in _INSTALL_ANCHORS:
        at = p.find(anchor)
        if at >= 0 and "/exchange" in p[:at]:
            return p[at + 1 :]
    return re.sub(r"^/(?:[a-z]:|%[a-z]+%)/", "/", p)[1:]


def agent_text(text: str) -> str:
    """A user agent as compared: lower case, IIS's `+` read as a space, runs of space as one."""
    return " ".join(text.replace("+", " ").lower().split())


def network_value_problem(kind_of: str, value: str) -> str | None:
    """Why a network indicator's value cannot be used (None when it can)."""
    if kind_of == "ip":
        try:
            network = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            return f"not an IP address or CIDR range: {value[:80]!r}"
        if network.num_addresses > 1 and (network.version == 6 or network.prefixlen < 8):
            return f"range {value[:80]!r} not taken: list IPv6 addresses one by one, IPv4 ranges from /8 to /32"
        return None
    if kind_of == "domain":
        name = value.strip().strip(".").lower()
        return None if HOST_NAME.fullmatch(name) else f"not a domain name: {value[:80]!r}"
    if len(agent_text(value)) < 4:
        return f"user agent {value[:80]!r} too short to match only what it names (4 characters at least)"
    return None


def parse_indicators(text: str, origin: str, into: IndicatorSet) -> None:
    """Add one list's entries to `into`; its bad lines go to `into.problems`."""
    add_rows(read_rows(text, origin, ("type", "value"), COLUMNS, into.problems), into)


def add_rows(rows: Iterable[ListRow], into: IndicatorSet) -> None:
    """Add entries of a list or feed (each a row of type, value, kind, label and source) to `into`."""
    for row in rows:
        origin = row.origin
        kind_of = row.fields["type"].lower()
        raw = row.fields["value"]
        kind = (row.fields.get("kind") or "other").lower()
        if kind_of not in TYPES:
            expected = ", ".join(sorted(TYPES))
            message = f"unknown type {kind_of!r} (expected {expected})"
            into.problems.append(ListProblem(origin, row.line, message))
            continue
        if kind not in KINDS:
            into.problems.append(
                ListProblem(origin, row.line, f"unknown kind {kind!r} (expected {', '.join(sorted(KINDS))})")
            )
            continue
        if kind_of in HASH_TYPES:
            value = raw.lower()
            if len(value) != HASH_TYPES[kind_of] or not _HEX.match(value):
                into.problems.append(
                    ListProblem(origin, row.line, f"not a {kind_of} ({HASH_TYPES[kind_of]} hex digits): {raw[:80]!r}")
                )
                continue
            if value == _EMPTY[kind_of]:
                into.problems.append(
                    ListProblem(origin, row.line, f"the {kind_of} of an empty file matches every empty file; ignored")
                )
                continue
        elif kind_of == "path":
            value = normalise_path_indicator(raw)
            if not value or value.endswith("/"):
                into.problems.append(ListProblem(origin, row.line, f"not a file path: {raw[:80]!r}"))
                continue
        else:
            why = network_value_problem(kind_of, raw)
            if why is not None:
                into.problems.append(ListProblem(origin, row.line, why))
                continue
            value = raw.strip()
        into.add(
            Indicator(kind_of, value, kind, row.fields.get("label", ""), row.fields.get("source", ""), origin, row.line)
        )


def shipped_lists() -> list[tuple[str, str]]:
    """(origin, text) of every indicator list shipped with exhunt."""
    folder = resources.files("exhunt") / "data" / "indicators"
    return [
        (f"exhunt/data/indicators/{e.name}", e.read_text(encoding="utf-8"))
        for e in sorted(folder.iterdir(), key=lambda e: e.name)
        if e.name.endswith(".csv")
    ]


@lru_cache(maxsize=8)
def load_indicators(extra_paths: tuple[str, ...] = ()) -> IndicatorSet:
    """Shipped lists plus the user's, once per process and set of user paths."""
    out = IndicatorSet()
    for origin, text in shipped_lists():
        out.files.append(origin)
        parse_indicators(text, origin, out)
    for path in expand_paths(extra_paths, (".csv", ".txt", ".json"), out.problems):
        user_text = read_list_file(path, out.problems)
        if user_text is None:
            continue
        out.files.append(path)
        if path.lower().endswith(".json"):
            from exhunt.filehunt.feeds import feed_rows

            add_rows(feed_rows(user_text, path, out.problems), out)
        else:
            parse_indicators(user_text, path, out)
    return out
