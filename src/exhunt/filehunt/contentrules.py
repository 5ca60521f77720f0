"""YARA content rules: the shipped ones plus the user's, compiled once per process and set of paths.

Shipped rules live in `exhunt/data/yara/*.yar`; each names the catalog rule that explains it in
its meta (`exhunt_id = "EXH-WS-CHOPPER"`), and may name the pattern whose line best shows the
evidence (`evidence = "$url_code"`; default: the first match). User rules come from
`HuntOptions.extra_yara_paths` (files or folders of .yar/.yara, for example a checkout of a
public signature set). Every user
file is test-compiled on its own first: a broken one is reported with its file and line and left
out, and everything else still runs. The variables public rule sets expect (filename, filepath,
extension, filetype, owner) are defined, so their rules compile and see the file's name.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yara_x

from exhunt.evidence.safe_open import TooLarge, read_regular
from exhunt.filehunt.listfile import ListProblem, expand_paths
from exhunt.filehunt.yarainclude import IncludeRefused, expand_includes

SHIPPED_NAMESPACE = "exhunt"
# Variables rule sets written for LOKI/THOR-style scanners use (Loki's and THOR's documentation name them).
EXTERNALS = ("filename", "filepath", "extension", "filetype", "owner")
MAX_MATCHES_PER_PATTERN = 64
MAX_RULE_FILE_BYTES = 16 * 1024 * 1024
_LOCATION = re.compile(r"-->\s*(?P<origin>.+?):(?P<line>\d+):\d+")


@dataclass(frozen=True, slots=True)
class PatternHit:
    identifier: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: str
    namespace: str
    origin: str  # the rule file, for the user's rules; "exhunt/data/yara" for shipped ones
    shipped: bool
    meta: dict[str, Any]
    patterns: tuple[PatternHit, ...]

    @property
    def exhunt_id(self) -> str | None:
        value = self.meta.get("exhunt_id")
        return value if isinstance(value, str) else None


@dataclass
class ContentRules:
    rules: yara_x.Rules
    namespaces: dict[str, str]  # namespace -> rule file
    user_files: list[str] = field(default_factory=list)
    problems: list[ListProblem] = field(default_factory=list)
    timeout: int = 60

    @property
    def has_user_rules(self) -> bool:
        return bool(self.user_files)

    # One scanner per thread, made on the thread's first scan and reused for every file after
    # (making one cost a tenth of a file's scan). yara-x's scanner may only be dropped by the
    # thread that made it: kept with the compiled rules (cached per process) and shared, it would
    # be dropped at exit by another thread (a Dask worker scans in its executor's threads), which
    # yara-x reports as an error; a thread's own copy goes with the thread.
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    def scanner(self) -> yara_x.Scanner:
        """This thread's scanner over these rules, with the timeout and match limit set."""
        scanner: yara_x.Scanner | None = getattr(self._local, "scanner", None)
        if scanner is None:
            scanner = yara_x.Scanner(self.rules)
            scanner.set_timeout(self.timeout)
            scanner.max_matches_per_pattern(MAX_MATCHES_PER_PATTERN)
            self._local.scanner = scanner
        return scanner

    def scan(self, data: bytes, names: dict[str, str] | None = None) -> list[RuleHit]:
        """Matching rules for these bytes; yara_x.TimeoutError / ScanError propagate to the caller."""
        scanner = self.scanner()
        if self.has_user_rules:
            for key in EXTERNALS:
                scanner.set_global(key, (names or {}).get(key, ""))
        results = scanner.scan(data)
        hits: list[RuleHit] = []
        for rule in results.matching_rules:
            patterns = tuple(PatternHit(p.identifier, m.offset, m.length) for p in rule.patterns for m in p.matches)
            origin = self.namespaces.get(rule.namespace, rule.namespace)
            hits.append(
                RuleHit(
                    rule.identifier,
                    rule.namespace,
                    origin,
                    rule.namespace == SHIPPED_NAMESPACE,
                    dict(rule.metadata),
                    patterns,
                )
            )
        return hits


def _compiler() -> yara_x.Compiler:
    # Relaxed syntax accepts the regexes of rule sets written for libyara (peers §3.2).
    # Includes are resolved by exhunt (yarainclude.py), confined to the rule file's folder.
    compiler = yara_x.Compiler(relaxed_re_syntax=True, includes_enabled=False)
    for key in EXTERNALS:
        compiler.define_global(key, "")
    return compiler


def shipped_sources() -> list[tuple[str, str]]:
    folder = resources.files("exhunt") / "data" / "yara"
    return [
        (f"exhunt/data/yara/{e.name}", e.read_text(encoding="utf-8"))
        for e in sorted(folder.iterdir(), key=lambda e: e.name)
        if e.name.endswith(".yar")
    ]


def compile_error(origin: str, exc: Exception) -> ListProblem:
    """A compiler error as 'file:line: first line of the message'."""
    text = str(exc)
    where = _LOCATION.search(text)
    line = int(where.group("line")) if where else None
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return ListProblem(origin, line, f"YARA rule does not compile: {first}")


def _read_rule_file(path: str, problems: list[ListProblem]) -> str | None:
    try:
        text = read_regular(path, MAX_RULE_FILE_BYTES).decode("utf-8", errors="replace")
    except TooLarge:
        problems.append(ListProblem(path, None, "YARA file larger than 16 MiB, not loaded"))
        return None
    except OSError as exc:
        problems.append(ListProblem(path, None, f"cannot read: {exc.strerror or exc}"))
        return None
    try:
        return expand_includes(path, text, MAX_RULE_FILE_BYTES)
    except IncludeRefused as exc:
        problems.append(ListProblem(path, None, f"YARA rule not loaded: {exc}"))
        return None


@lru_cache(maxsize=4)
def load_content_rules(extra_paths: tuple[str, ...] = (), timeout: int = 60) -> ContentRules:
    """Compile shipped and user rules once per process; user problems are collected, not raised."""
    problems: list[ListProblem] = []
    good: list[tuple[str, str]] = []
    for path in expand_paths(extra_paths, (".yar", ".yara"), problems):
        text = _read_rule_file(path, problems)
        if text is None:
            continue
        trial = _compiler()
        try:
            trial.add_source(text, origin=path)
            trial.build()
        except yara_x.CompileError as exc:
            problems.append(compile_error(path, exc))
            continue
        good.append((path, text))

    compiler = _compiler()
    compiler.new_namespace(SHIPPED_NAMESPACE)
    for origin, text in shipped_sources():
        compiler.add_source(text, origin=origin)
    namespaces = {SHIPPED_NAMESPACE: "exhunt/data/yara"}
    for index, (path, text) in enumerate(good, 1):
        namespace = f"user{index}"
        compiler.new_namespace(namespace)
        compiler.add_source(text, origin=path)
        namespaces[namespace] = path
    return ContentRules(compiler.build(), namespaces, [p for p, _ in good], problems, timeout)


def escape_snippet(data: bytes, limit: int = 48) -> str:
    """A short printable rendering of matched bytes: UTF-16 text decoded, other bytes as \\xNN."""
    chunk = data[: limit * 2]
    if len(chunk) >= 4 and chunk[1::2].count(0) == len(chunk[1::2]) and chunk[0::2].count(0) == 0:
        return "(UTF-16) " + escape_snippet(chunk[0::2], limit)
    chunk = chunk[:limit]
    out = "".join("\\\\" if b == 0x5C else chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in chunk)
    return out + ("..." if len(data) > len(chunk) else "")
