"""User allow-lists: silence a known-good file without editing any rule.

Lists are given with `HuntOptions.allowlist_paths` (files, or folders of `.csv`/`.txt`), in the
CSV format of `listfile.py`:

    type,value,rules,reason
    sha256,5e632c2ee54b9b2c22272334aca7c1e55ca5129e65b24f226f8c51fde832814e,,vendor login page
    glob,*/ProgramData/Contoso Backup/*.zip,EXH-FS-ARCHIVE-STAGED,backup agent keeps its archives here
    regex,/inetpub/wwwroot/tools/report[0-9]+\\.aspx$,EXH-WS-*,in-house reporting pages

`type` is sha256 (the file's hash), glob (shell-style, `*` crosses folders) or regex (Python,
searched). Globs and regexes see the file's path in lower case with '/' separators, from its
Windows path when known (`/c:/programdata/...`), else its path in the evidence; a glob not
starting with '/' or '*' matches the end of the path at a folder boundary (`it.zip` matches
`.../programdata/it.zip`, not `.../edit.zip`). `rules` is optional: space-separated rule ids
or id globs (`EXH-WS-*`); empty means every rule. A hit that an entry silences is counted as
"allow-listed by <file>:<line>", never hidden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase, translate
from functools import lru_cache

from exhunt.filehunt.listfile import ListProblem, expand_paths, read_list_file, read_rows
from exhunt.filehunt.saferegex import PathPattern, UserRegexError, compile_user_regex

COLUMNS = ("type", "value", "rules", "reason")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class AllowEntry:
    type: str
    value: str
    rules: tuple[str, ...]  # rule ids or id globs; empty = every rule
    reason: str
    origin: str
    line: int
    pattern: PathPattern | None = None

    def covers_rule(self, rule_id: str) -> bool:
        return not self.rules or any(fnmatchcase(rule_id, r) for r in self.rules)

    @property
    def where(self) -> str:
        return f"{self.origin}:{self.line}"


@dataclass
class Allowlist:
    by_hash: dict[str, list[AllowEntry]] = field(default_factory=dict)
    by_path: list[AllowEntry] = field(default_factory=list)
    problems: list[ListProblem] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_hash.values()) + len(self.by_path)

    def match(self, rule_id: str, sha256: str | None, path: str) -> AllowEntry | None:
        """The first entry silencing this rule's hit on this file, if any."""
        if sha256:
            for entry in self.by_hash.get(sha256, ()):
                if entry.covers_rule(rule_id):
                    return entry
        for entry in self.by_path:
            if entry.pattern is not None and entry.covers_rule(rule_id) and entry.pattern.search(path):
                return entry
        return None


def parse_allowlist(text: str, origin: str, into: Allowlist) -> None:
    for row in read_rows(text, origin, ("type", "value"), COLUMNS, into.problems):
        kind = row.fields["type"].lower()
        value = row.fields["value"]
        rules = tuple(r.upper() for r in row.fields.get("rules", "").split())
        bad_rules = [r for r in rules if not re.match(r"^EXH-[A-Z0-9*?\-]+$", r)]
        if bad_rules:
            into.problems.append(ListProblem(origin, row.line, f"not a rule id: {', '.join(bad_rules)}"))
            continue
        unknown = _unknown_rules(rules)
        if unknown:
            # A typo (`EXH-WS-CHOPER`) silences nothing: said, so the hits it was meant for are not a surprise.
            message = f"names no rule exhunt has: {', '.join(unknown)} (see `exhunt rules`); the entry silences nothing for it"
            into.problems.append(ListProblem(origin, row.line, message))
        reason = row.fields.get("reason", "")
        if kind == "sha256":
            digest = value.lower()
            if not _SHA256.match(digest):
                into.problems.append(ListProblem(origin, row.line, f"not a sha256 (64 hex digits): {value[:80]!r}"))
                continue
            entry = AllowEntry(kind, digest, rules, reason, origin, row.line)
            into.by_hash.setdefault(digest, []).append(entry)
        elif kind in ("glob", "regex"):
            source = value
            if kind == "glob":
                glob = value.replace("\\", "/").lower()
                # A glob not starting at the root matches whole trailing path segments.
                source = "^" + translate(glob if glob.startswith(("/", "*")) else "*/" + glob)
            try:
                # A glob becomes a regex exhunt writes itself; a user's regex runs on RE2, in
                # time linear in the path whatever it says (no `(a+)+$` blow-up, no recursion).
                pattern = re.compile(source, re.IGNORECASE) if kind == "glob" else compile_user_regex(source)
            except (re.error, UserRegexError) as exc:
                into.problems.append(ListProblem(origin, row.line, f"bad {kind}: {exc}"))
                continue
            into.by_path.append(AllowEntry(kind, value, rules, reason, origin, row.line, pattern))
        else:
            into.problems.append(ListProblem(origin, row.line, f"unknown type {kind!r} (expected sha256, glob, regex)"))


def _unknown_rules(rules: tuple[str, ...]) -> list[str]:
    """The ids and id globs of `rules` that match no rule of the catalog."""
    if not rules:
        return []
    from exhunt.rules import catalog

    ids = list(catalog())
    return [r for r in rules if not any(fnmatchcase(i, r) for i in ids)]


@lru_cache(maxsize=8)
def load_allowlists(paths: tuple[str, ...]) -> Allowlist:
    out = Allowlist()
    for path in expand_paths(paths, (".csv", ".txt"), out.problems):
        text = read_list_file(path, out.problems)
        if text is not None:
            parse_allowlist(text, path, out)
    return out
