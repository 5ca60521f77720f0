"""The file-system hunt: web shells, dumps and other traces on disk, one file at a time.

Each file is read once (bounded by `HuntOptions.max_file_size`; larger files are still hashed,
and reported as not content-scanned), hashed once, then checked against the indicator lists,
the YARA content rules and the heuristics of `exhunt.filehunt.heuristics`. A hit's weight
depends on where the file sat (`exhunt.filehunt.locations`); the user's allow-lists silence hits
by hash, glob or regex, and every silenced hit is counted. `exhunt.analyzers.filesetup` reports,
once per host, the user rules and lists that could not be loaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import yara_x

from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.filesetup import FILE_HUNT_KINDS
from exhunt.codeanalysis.extract import MAX_REFERENCES, Reference
from exhunt.codeanalysis.report import Included
from exhunt.evidence.base import EvidenceFile
from exhunt.evidence.safe_open import open_evidence
from exhunt.filehunt import codehunt, heuristics
from exhunt.filehunt.contentrules import RuleHit, escape_snippet
from exhunt.filehunt.heuristics import Look
from exhunt.filehunt.indicators import Indicator
from exhunt.filehunt.locations import (
    PAGE_EXTENSIONS,
    STAGING_PLACES,
    WEB_ROOTS,
    Location,
    Place,
    auth_stock_status,
    locate,
)
from exhunt.filehunt.reading import FileContent, read_file
from exhunt.filehunt.toolkit import Toolkit, toolkit
from exhunt.hits import Hit, Reporter
from exhunt.model import EvidenceRef, FileFacet, Problem, ProblemKind, Severity, UnitResult, iso
from exhunt.ruleparams import IndicatorParams
from exhunt.rules import catalog, per_catalog, rule, rules_of

EXCERPT_CHARS = 600
MAX_MATCHES_SHOWN = 8
# A content match in a file no web server serves: weighed by the rule's `unserved` tier.
UNSERVED = "unserved"
# A code-analysis hit in a folder where no custom server code belongs: the rule's tier of that name.
NO_CUSTOM_CODE = "no-custom-code"
# The LSASS dump rule is a content rule (its YARA rule names it) that two checks here add to:
# the dump's name and its module list in the first bytes (dumps larger than the scan limit).
LSASS_DUMP = "EXH-FS-LSASS-DUMP"


@dataclass
class _Pending:
    """One rule's hit on this file, before allow-listing and location weighting."""

    rule_id: str
    details: dict[str, str] = field(default_factory=dict)
    outcome: str = "hit"
    line: int | None = None
    record: str | None = None
    excerpt: str | None = None
    content: bool = False  # a content rule: weighed by location


class FileHuntAnalyzer:
    name = "files"
    kinds = FILE_HUNT_KINDS

    def prepare(self, options: HuntOptions | None = None) -> None:
        """Compile the content rules and load the lists once, before the workers fork."""
        options = options or HuntOptions()
        toolkit(options)
        if options.settings.get("code_analysis", True):
            codehunt.prepare()

    def analyze(self, file: EvidenceFile, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        result.cover(str(file.kind)).files += 1
        kit = toolkit(ctx.options)
        loc = locate(file)
        content = read_file(file, ctx.options.max_file_size, kit.indicators.wants)
        if content.error:
            result.errors.append(_problem(file, f"{content.error}; checked by name only", ProblemKind.UNREADABLE))
        elif content.over_limit:
            limit = ctx.options.max_file_size
            # A page or anything in a web folder could be a padded web shell: not checking its
            # content keeps the host from `clean`. Elsewhere the content rules have nothing to find.
            web = loc.place in WEB_ROOTS or loc.extension in PAGE_EXTENSIONS
            result.errors.append(
                _problem(
                    file,
                    f"content not scanned: size limit ({content.size} bytes, max_file_size {limit});"
                    " hashed and checked by name and first bytes only",
                    ProblemKind.LIMIT if web else ProblemKind.PARTIAL,
                )
            )

        pending: dict[str, _Pending] = {}
        for ind in kit.indicators.match_hashes(content.digests):
            for hit in _hash_hits(ind):
                _add(pending, hit)
        for ind in kit.indicators.match_path(loc.path):
            for hit in _path_hits(ind, loc):
                _add(pending, hit)
        if content.data is not None:
            _scan_content(kit, file, loc, content, pending, result)
            if ctx.options.settings.get("code_analysis", True):
                page = codehunt.read_as(loc, content.data)  # a page kept under another name
                if codehunt.wants(page or loc, content.data):
                    _analyze_code(file, page or loc, content.data, ctx, pending, result, renamed=page is not None)
        for hit in _heuristics(loc, file.mtime, content):
            _add(pending, hit)

        sha256 = content.digests.get("sha256")
        reporter = Reporter(result)
        for hit in pending.values():
            entry = kit.allowlist.match(hit.rule_id, sha256, loc.path)
            if entry is not None:
                result.suppress(hit.rule_id, f"allow-listed by {entry.where}")
                continue
            _report(reporter, hit, file, loc, content, sha256)
        return result


def _problem(file: EvidenceFile, message: str, kind: ProblemKind) -> Problem:
    return Problem(file.rel_path, message, None, kind, FileHuntAnalyzer.name)


def _add(pending: dict[str, _Pending], hit: _Pending) -> None:
    """Keep one finding per rule and file; a second reason adds to the first."""
    seen = pending.get(hit.rule_id)
    if seen is None:
        pending[hit.rule_id] = hit
        return
    for key, value in hit.details.items():
        if key in seen.details and seen.details[key] != value:
            seen.details[key] = f"{seen.details[key]}; {value}"
        else:
            seen.details.setdefault(key, value)
    tiers = rule(hit.rule_id)
    if tiers.outcome(hit.outcome).severity.rank > tiers.outcome(seen.outcome).severity.rank:
        seen.outcome = hit.outcome
    if seen.line is None and hit.line is not None:
        seen.line, seen.excerpt, seen.record = hit.line, hit.excerpt, hit.record


def _indicator_rules(detector: str, ind: Indicator) -> list[str]:
    """The rules of `detector` that report indicators of this one's kind."""
    return [r.id for r in rules_of(detector) if ind.kind in r.params_as(IndicatorParams).indicator_kinds]


def _hash_hits(ind: Indicator) -> list[_Pending]:
    details = {
        "indicator": ind.describe(),
        "indicator_kind": ind.kind,
        "indicator_list": f"{ind.origin}:{ind.line}",
        "matched_hash": ind.type,
    }
    return [_Pending(rule_id, dict(details)) for rule_id in _indicator_rules("file-hash-indicator", ind)]


def _path_hits(ind: Indicator, loc: Location) -> list[_Pending]:
    details = {"indicator": ind.describe(), "indicator_list": f"{ind.origin}:{ind.line}", "published_path": ind.value}
    outcome = "hit"
    status = auth_stock_status(loc)
    if status is not None and status[0]:
        details["note"] = "also the name of a stock Exchange file: compare its hash with a genuine copy"
        outcome = "stock-name"
    return [_Pending(rule_id, dict(details), outcome) for rule_id in _indicator_rules("file-path-indicator", ind)]


def _scan_content(
    kit: Toolkit,
    file: EvidenceFile,
    loc: Location,
    content: FileContent,
    pending: dict[str, _Pending],
    result: UnitResult,
) -> None:
    assert content.data is not None
    names = {
        "filename": loc.name,
        "filepath": file.windows_path or file.rel_path,
        "extension": loc.extension,
        "filetype": "",
        "owner": "",
    }
    try:
        hits = kit.content_rules.scan(content.data, names)
    except yara_x.TimeoutError:
        message = "content scan timed out; checked by hash, name and heuristics only"
        result.errors.append(_problem(file, message, ProblemKind.TIMED_OUT))
        return
    except yara_x.ScanError as exc:
        result.errors.append(_problem(file, f"content scan failed: {exc}", ProblemKind.ANALYZER_FAILED))
        return
    for hit in hits:
        _add(pending, _content_hit(hit, content.data))


def _analyze_code(
    file: EvidenceFile,
    loc: Location,
    data: bytes,
    ctx: HostContext,
    pending: dict[str, _Pending],
    result: UnitResult,
    *,
    renamed: bool = False,
) -> None:
    """What the file's server code can do (exhunt.codeanalysis), on the bytes already read; a
    code-behind file with the input controls of its page's markup beside it. A page's content
    under a name IIS does not run as one (`renamed`, read as `loc`'s extension) is weighed as a
    copy no server runs, the rule's unserved tier, where the name is the server's own (a disk
    mirror or a path the collection records)."""
    markup = _page_markup(file, ctx.options.max_file_size, result)
    included = _included_files(file, loc, data, ctx.options.max_file_size, result)
    hits, problems = codehunt.analyze(
        data, loc, file.rel_path, codehunt.deadline(ctx.options.settings, len(data)), markup, included
    )
    result.errors.extend(problems)
    for hit in hits:
        line, record, excerpt = _where_line(data, hit.line)
        details, outcome = dict(hit.details), "hit"
        if renamed:
            details["read_as"] = f"a {loc.extension} page: its directive or server script says so"
            # Only a name the server itself gave: in a plain folder of collected files a
            # `.aspx.txt` is as often a copy defanged by whoever collected it.
            if loc.known and UNSERVED in rule(hit.rule_id).outcomes:
                outcome = UNSERVED
                details["weight"] = "lowered: a page's code under a name no web server runs as a page"
        _add(
            pending,
            _Pending(hit.rule_id, details, outcome, line=line, record=record, excerpt=excerpt, content=True),
        )


def _page_markup(file: EvidenceFile, limit: int, result: UnitResult) -> bytes | None:
    """The markup of the page a code-behind file belongs to (`x.aspx` beside `x.aspx.cs`), read
    from the same folder on disk; None for other files, for members of containers and when no
    such page is there. A page that is there but cannot be read is a problem of this file."""
    if file.ref.archive is not None:
        return None
    # The name by os.path: a `Path` per file interns every part of its path, each file's own
    # name too, for as long as the worker lives (2 MB a worker on a tree of 20,000 files).
    page = codehunt.code_behind_of(os.path.basename(file.ref.path))  # noqa: PTH119
    if page is None:
        return None
    sibling = Path(file.ref.path).with_name(page)
    if not sibling.is_file():
        return None
    return _read_beside(
        sibling,
        limit,
        file,
        result,
        f"page markup {page}",
        "code-behind analysed without its page's controls",
        # the controls declared past the limit are not known: say so
        "code-behind analysed with the controls of its first part only",
    )


def _read_beside(
    path: Path, limit: int, file: EvidenceFile, result: UnitResult, what: str, without: str, first_part: str
) -> bytes | None:
    """A file beside `file` that its analysis reads too (`what`), up to `limit` bytes; one that
    cannot be read, or is cut at the limit, is a problem of `file` saying how `file` was analysed
    then (`without`, `first_part`), never a silent gap."""
    try:
        with open_evidence(str(path)) as fh:
            content = fh.read(limit + 1)
    except OSError as exc:
        result.errors.append(_problem(file, f"{what} not read ({exc}); {without}", ProblemKind.PARTIAL))
        return None
    if len(content) > limit:
        message = f"{what} is larger than the file size limit ({limit} bytes): {first_part}"
        result.errors.append(_problem(file, message, ProblemKind.PARTIAL))
        return content[:limit]
    return content


MAX_INCLUDE_DEPTH = 3  # server-side includes inside included files, followed this deep
MAX_FOLDER_ENTRIES = 10_000  # a folder listed to match a name in another letter case
MAX_LOOKUPS = 4 * MAX_REFERENCES  # named files looked for in the evidence, found or not


def _included_files(
    file: EvidenceFile, loc: Location, data: bytes, limit: int, result: UnitResult
) -> tuple[Included, ...]:
    """The files a page pulls in from beside it (server-side includes, `Register Src`, `Assembly
    Src`, `CodeFile`/`Src`), read from the evidence on disk: never above the evidence root, never
    through a link, each up to the file size limit, at most `MAX_REFERENCES` in all. A named file
    that is not there is not the page's problem (a collection may leave it out); one that is
    there and cannot be read, is a link, or lies outside the evidence is, and so are the files
    left unfollowed past those limits (each is hunted on its own as well)."""
    if file.ref.archive is not None or loc.extension not in _PAGES_WITH_REFERENCES:
        return ()
    # A code file named as its page's code-behind (`x.aspx.cs`) is paired with the page already.
    paired = {f"{loc.name}.cs".casefold(), f"{loc.name}.vb".casefold()}
    refs = [
        r
        for r in codehunt.references(data)
        if not (r.kind == "codefile" and r.path.replace("\\", "/").rsplit("/", 1)[-1].casefold() in paired)
    ]
    if not refs:
        return ()
    own = Path(file.ref.path)
    depth = len(PurePosixPath(file.rel_path).parts)
    root = own.parents[depth - 1] if 0 < depth <= len(own.parents) and str(own).endswith(file.rel_path) else own.parent
    out: list[Included] = []
    seen = {own}
    todo = [(r, own.parent, 0) for r in refs]
    looked = 0
    while todo and len(out) < MAX_REFERENCES and looked < MAX_LOOKUPS:
        ref, folder, level = todo.pop(0)
        looked += 1
        target = _resolve(ref, folder, root, file, result)
        if target is None or target in seen:
            continue
        seen.add(target)
        content = _read_beside(
            target,
            limit,
            file,
            result,
            f"{ref.path} (named at line {ref.line})",
            "the page analysed without it",
            "the page analysed with its first part only",
        )
        if content is None:
            continue
        out.append(Included(ref.kind, ref.path, ref.line, content))
        nested = [r for r in codehunt.references(content) if r.kind == "include"] if ref.kind == "include" else []
        if nested and level + 1 >= MAX_INCLUDE_DEPTH:
            message = (
                f"{ref.path} (named at line {ref.line}) includes {len(nested)} more file(s) at a depth past "
                f"{MAX_INCLUDE_DEPTH}: not read with the page"
            )
            result.errors.append(_problem(file, message, ProblemKind.PARTIAL))
        else:
            todo.extend((Reference(r.kind, r.path, ref.line, r.virtual), target.parent, level + 1) for r in nested)
    if todo:
        message = (
            f"at least {len(todo)} more file(s) the page names were not read with it: at most {MAX_REFERENCES} are read "
            f"and {MAX_LOOKUPS} looked for (first not followed: {todo[0][0].path}, named at line {todo[0][0].line})"
        )
        result.errors.append(_problem(file, message, ProblemKind.PARTIAL))
    return tuple(out)


_PAGES_WITH_REFERENCES = frozenset({".aspx", ".ascx", ".ashx", ".asmx", ".asax", ".master", ".soap"})


def _resolve(ref: Reference, folder: Path, root: Path, file: EvidenceFile, result: UnitResult) -> Path | None:
    """Where a named file is in the evidence: `file=` paths from the page's folder, site paths
    (`virtual=`, `~/`, `/`) from the nearest folder above the page that holds them. None when it
    is not there; a path that leaves the evidence or passes through a link is a problem."""
    name = ref.path.replace("\\", "/").strip()
    if ref.virtual:
        name = name.lstrip("~").lstrip("/")
        bases = [folder, *[p for p in folder.parents if p == root or root in p.parents]]
    else:
        bases = [folder]
    for base in bases:
        parts: list[str] = list(base.relative_to(root).parts) if base != root else []
        escaped = False
        for part in name.split("/"):
            if part in {"", "."}:
                continue
            if part == "..":
                if not parts:
                    escaped = True
                    break
                parts.pop()
            else:
                parts.append(part)
        if escaped:
            message = f"{ref.path} (named at line {ref.line}) lies outside the evidence; not followed"
            result.errors.append(_problem(file, message, ProblemKind.PARTIAL))
            return None
        found = _walk(root, parts)
        if isinstance(found, str):
            message = f"{ref.path} (named at line {ref.line}) {found}; not followed"
            result.errors.append(_problem(file, message, ProblemKind.PARTIAL))
            return None
        if found is not None:
            return found
    return None


def _walk(root: Path, parts: list[str]) -> Path | str | None:
    """`root/parts...` as it is on disk, each name also matched in another letter case (Windows
    names are not case-sensitive); None when absent, a reason when a folder on the way is a link."""
    current = root
    for i, part in enumerate(parts):
        candidate = current / part
        if not os.path.lexists(candidate):
            name = _names_in(str(current)).get(part.casefold())
            if name is None:
                return None
            candidate = current / name
        if i < len(parts) - 1:
            if candidate.is_symlink():
                return "passes through a link"
            if not candidate.is_dir():
                return None
        current = candidate
    return current if parts else None


@lru_cache(maxsize=32)
def _names_in(folder: str) -> dict[str, str]:
    """A folder's names by their case-folded form (the first `MAX_FOLDER_ENTRIES`), kept for the
    process: evidence does not change during a hunt, and pages of one folder name the same files."""
    names: dict[str, str] = {}
    try:
        with os.scandir(folder) as entries:
            for n, entry in enumerate(entries):
                if n >= MAX_FOLDER_ENTRIES:
                    break
                names.setdefault(entry.name.casefold(), entry.name)
    except OSError:
        return {}
    return names


def _where_line(data: bytes, line: int) -> tuple[int | None, str | None, str | None]:
    """(line, record, excerpt) for a line number of a text file."""
    if _looks_utf16(data):
        text = data.decode("utf-16", "replace")
        lines = text.splitlines()
        shown = lines[line - 1] if 0 < line <= len(lines) else ""
        return line, None, shown.strip()[:EXCERPT_CHARS]
    start = 0
    for _ in range(line - 1):
        nxt = data.find(b"\n", start)
        if nxt < 0:
            break
        start = nxt + 1
    return _where(data, start)


def _content_hit(hit: RuleHit, data: bytes) -> _Pending:
    rule_id, outcome = _content_rule_id(hit)
    ordered = sorted(hit.patterns, key=lambda p: p.offset)
    shown = ordered[:MAX_MATCHES_SHOWN]
    matched = "; ".join(
        f"{p.identifier}@{p.offset}: {escape_snippet(data[p.offset : p.offset + p.length])}" for p in shown
    )
    if len(hit.patterns) > len(shown):
        matched += f"; ... {len(hit.patterns) - len(shown)} more"
    details = {"yara_rule": hit.rule if hit.shipped else f"{hit.rule} ({hit.origin})"}
    if matched:
        details["matched"] = matched
    out = _Pending(rule_id, details, outcome, content=True)
    if hit.patterns:
        # A rule may name the pattern whose line tells the story best (meta evidence = "$x").
        preferred = hit.meta.get("evidence")
        anchor = next((p for p in ordered if p.identifier == preferred), ordered[0])
        out.line, out.record, out.excerpt = _where(data, anchor.offset)
    return out


def _content_rule_id(hit: RuleHit) -> tuple[str, str]:
    """(rule id, outcome): shipped rules name their catalog rule; user rules may name a content
    rule (detector `yara`), else they are EXH-FS-USER-YARA, weighed by their own severity."""
    wanted = hit.exhunt_id
    if wanted and wanted in catalog() and (hit.shipped or catalog()[wanted].detector == "yara"):
        return wanted, "hit"
    if hit.shipped:
        raise KeyError(f"shipped YARA rule {hit.rule} names no catalog rule ({wanted!r})")
    return "EXH-FS-USER-YARA", _user_outcome(hit.meta)


def _user_outcome(meta: dict[str, object]) -> str:
    """The EXH-FS-USER-YARA tier a user rule's own `severity` (or `score`) asks for."""
    value = meta.get("severity")
    severity: Severity | None = None
    if isinstance(value, str) and value.lower() in {s.value for s in Severity}:
        severity = Severity(value.lower())
    score = meta.get("score")
    if severity is None and isinstance(score, int) and not isinstance(score, bool):
        severity = Severity.HIGH if score >= 80 else Severity.MEDIUM if score >= 60 else Severity.LOW
    return "hit" if severity in (None, Severity.MEDIUM) else f"rated-{severity}"


def _where(data: bytes, offset: int) -> tuple[int | None, str | None, str | None]:
    """(line, record, excerpt) for a match: a line for text, a byte offset for binary files."""
    if b"\x00" in data[:4096] and not _looks_utf16(data):
        start = max(0, offset - 80)
        return None, f"offset {offset}", data[start : offset + 160].decode("latin-1")
    wide = _looks_utf16(data)
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    end = end if end >= 0 else len(data)
    width = EXCERPT_CHARS * (2 if wide else 1)
    if end - start > width:
        # A long line: show the part around the match, not its start.
        start = max(start, offset - width // 4)
        start -= (start % 2) if wide else 0
        end = min(end, start + width)
    raw = data[start:end]
    text = raw.decode("utf-16-le", "replace") if wide else raw.decode("utf-8", "replace")
    return line, None, text.strip("\r\n\x00")


def _looks_utf16(data: bytes) -> bool:
    sample = data[:512]
    return sample.startswith(b"\xff\xfe") or (len(sample) >= 8 and sample[1::2].count(0) > len(sample) // 3)


def _heuristics(loc: Location, mtime: datetime | None, content: FileContent) -> list[_Pending]:
    """Every heuristic rule of the catalog, each with its own parameters (by detector name)."""
    look = Look(loc, content.head, content.text_source, mtime)
    found: list[_Pending] = []
    lsass = content.head.startswith(b"MDMP") and _is_lsass_dump(content.head)
    if heuristics.lsass_by_name(loc):
        found.append(_Pending(LSASS_DUMP, {"why": "named like an LSASS dump (lsass*.dmp)"}))
    if lsass:
        found.append(_Pending(LSASS_DUMP, {"why": "minidump of lsass.exe (module list)"}))
    for detector, rule_id, params, check in _heuristic_checks():
        if lsass and detector == heuristics.MINIDUMP:
            continue  # the LSASS dump rule says more about this minidump
        signal = check(look, params)
        if signal is not None:
            found.append(_Pending(rule_id, dict(signal.details), signal.outcome))
    return found


@per_catalog
def _heuristic_checks() -> tuple[tuple[str, str, Any, Callable[[Look, Any], heuristics.Signal | None]], ...]:
    """(detector, rule id, typed parameters, check) of every heuristic rule of the catalog, in the
    order they run: worked out once per catalog, not for each of thousands of files."""
    return tuple(
        (detector, r.id, r.params_as(cls), check)
        for detector, cls, check in heuristics.HEURISTICS
        for r in rules_of(detector)
    )


def _is_lsass_dump(head: bytes) -> bool:
    # The content rule sees small dumps; real LSASS dumps are larger than the scan limit, and
    # their module list sits near the start (peers: minidump layout), so look at the head too.
    lowered = head.lower()
    return "lsass.exe".encode("utf-16-le") in lowered and "lsasrv.dll".encode("utf-16-le") in lowered


def _report(
    reporter: Reporter, hit: _Pending, file: EvidenceFile, loc: Location, content: FileContent, sha256: str | None
) -> None:
    r = rule(hit.rule_id)
    outcome = hit.outcome
    details = dict(hit.details)
    if hit.content and loc.place in _NO_CUSTOM_CODE and NO_CUSTOM_CODE in r.outcomes:
        # Stock owa\\auth, ecp\\auth and aspnet_client hold no custom server code at all.
        outcome = NO_CUSTOM_CODE
        details["weight"] = f"raised: server code in {loc.place}"
    elif hit.content and loc.known and loc.place not in _WEIGHTY and UNSERVED in r.outcomes:
        # Served by nothing: a copy, a download, a tool kit -- worth a look, not proof of use.
        outcome = UNSERVED
        details["weight"] = "lowered: the file lies outside the web roots"
    details["size"] = str(file.size if content.error else content.size)
    if file.mtime is not None:
        details["mtime"] = iso(file.mtime) or ""
    if file.windows_path:
        details["windows_path"] = file.windows_path
    details["location"] = str(loc.place)
    for algo in ("md5", "sha1"):
        if algo in content.digests:
            details[algo] = content.digests[algo]
    # A copied file often carries the copy's time, not the attacker's: the time stays a detail
    # (`mtime`) and only dates the finding for the rule that is about when the file was written.
    facet = FileFacet(
        path=file.windows_path or file.rel_path,
        sha256=sha256,
        size=file.size if content.error else content.size,
        place=str(loc.place),
    )
    reporter.report(
        Hit(r.id, outcome, details, file=facet),
        EvidenceRef(file.rel_path, hit.line, hit.excerpt, sha256, hit.record),
        timestamp=file.mtime if r.detector == heuristics.ATTACK_WINDOW else None,
    )


_NO_CUSTOM_CODE = frozenset({Place.EXCHANGE_AUTH, Place.ASPNET_CLIENT})
_WEIGHTY = frozenset(
    {
        Place.EXCHANGE_AUTH,
        Place.EXCHANGE_VDIR,
        Place.ASPNET_CLIENT,
        Place.IIS_WEBROOT,
        Place.ASPNET_TEMP,
        Place.UNKNOWN,
        *STAGING_PLACES,
    }
)

FILE_HUNT = FileHuntAnalyzer()
ANALYZERS = [FILE_HUNT]
