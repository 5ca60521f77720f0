"""A user's YARA file with its `include` directives resolved by exhunt, not by the compiler.

The compiler would open whatever an `include` names: a FIFO (the hunt blocks), `/dev/zero` (all
memory), any file on the machine. exhunt resolves each include itself and compiles the result
with includes disabled: an included file must be a regular file inside the folder of the rule
file the user gave, read with a size bound; includes nest at most a few levels and never loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from exhunt.evidence.confine import inside
from exhunt.evidence.safe_open import read_regular

MAX_DEPTH = 8
_INCLUDE = re.compile(r'^[ \t]*include[ \t]+"((?:[^"\\\n]|\\.)*)"[ \t]*$', re.MULTILINE)


class IncludeRefused(ValueError):
    """An include that names something exhunt will not read; the message says why."""


@dataclass(frozen=True, slots=True)
class _Budget:
    limit: int  # total bytes of the rule file and everything it includes


def expand_includes(path: str, text: str, limit: int) -> str:
    """`text` (the content of the rule file at `path`) with every include replaced by the text
    it names. Raises `IncludeRefused` for an include outside the folder, not a regular file,
    unreadable, too large, nested too deep or in a loop."""
    folder = str(Path(path).resolve().parent)
    used = [len(text.encode("utf-8", "surrogateescape"))]
    return _expand(text, path, folder, _Budget(limit), used, (str(Path(path).resolve()),))


def _expand(text: str, origin: str, folder: str, budget: _Budget, used: list[int], chain: tuple[str, ...]) -> str:
    if len(chain) > MAX_DEPTH:
        raise IncludeRefused(f"{origin}: includes nested deeper than {MAX_DEPTH} levels")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).replace('\\"', '"').replace("\\\\", "\\")
        real = str((Path(chain[-1]).parent / name).resolve())  # an absolute name stays absolute
        if not inside(real, folder):
            raise IncludeRefused(f"{origin}: include {name!r} is outside the rule file's folder {folder}")
        if real in chain:
            raise IncludeRefused(f"{origin}: include {name!r} includes itself")
        try:
            data = read_regular(real, max(budget.limit - used[0], 0))
        except OSError as exc:
            raise IncludeRefused(f"{origin}: include {name!r} not read: {exc.strerror or exc}") from None
        used[0] += len(data)
        return _expand(data.decode("utf-8", "replace"), name, folder, budget, used, (*chain, real))

    return _INCLUDE.sub(replace, text)
