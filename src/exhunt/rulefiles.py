"""The user's rule files (`exhunt hunt --rules PATH`), read once where the hunt starts.

Each file or folder (its `.toml` files) becomes a `RuleFile` holding the text, so the workers
load what was read here rather than reading the path again. A path that cannot be read is a
`RuleFile` with the reason, which the catalog reports like any other broken rule file.
"""

from __future__ import annotations

from collections.abc import Iterable

from exhunt.evidence.safe_open import read_regular
from exhunt.filehunt.listfile import ListProblem, expand_paths
from exhunt.rules import RuleFile

MAX_RULE_FILE_BYTES = 4 * 1024 * 1024


def read_rule_files(paths: Iterable[str]) -> tuple[RuleFile, ...]:
    """The files the user named (folders: their `.toml` files, sorted), in order."""
    missing: list[ListProblem] = []
    out: list[RuleFile] = []
    for path in expand_paths(tuple(paths), (".toml",), missing):
        try:
            data = read_regular(path, MAX_RULE_FILE_BYTES)
        except OSError as exc:  # a FIFO, a device, too large, no permission
            out.append(RuleFile(path, "", f"cannot read: {exc.strerror or exc}"))
            continue
        try:
            out.append(RuleFile(path, data.decode("utf-8")))
        except UnicodeDecodeError as exc:
            out.append(RuleFile(path, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}"))
    out += [RuleFile(p.origin, "", p.message) for p in missing]
    return tuple(out)
