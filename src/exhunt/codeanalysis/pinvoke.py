"""Native Windows functions a file declares by P/Invoke: C#'s `[DllImport("lib")] ... extern T
Name(...)` and VB's `Declare [Ansi|Unicode|Auto] Function|Sub Name Lib "lib"`.

A served page has no use for them: the site's own code calls native functions from compiled
assemblies, if at all, while shells declare them to run shellcode, steal tokens or open raw
sockets. Which functions and libraries a page declares is what a responder reads first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from exhunt.codeanalysis.extract import CodeUnit
from exhunt.filehunt.saferegex import compile_linear

# C#: the attribute, then the `extern` method it marks (the library may be a constant's name),
# other attributes between them (`[return: MarshalAs(UnmanagedType.Bool)]`), its name qualified
# across lines or padded with comments (`[System.Runtime.InteropServices /**/ .DllImport(...)]`).
# Both run on RE2: a page repeating the attribute thousands of times costs time linear in it.
_GAP = r"(?:\s|/\*[^*]*\*/)*"  # white space and block comments between the tokens
_CS = compile_linear(
    rf"\[{_GAP}(?:global{_GAP}::{_GAP})?(?:\w+{_GAP}\.{_GAP})*DllImport(?:Attribute)?"
    rf"{_GAP}\({_GAP}@?(?:\"(?P<lib>[^\"\n]{{1,200}})\"|(?P<named>[\w.]{{1,200}}))"
    r"[^\]]{0,400}\](?:[^;{}()\[\]]|\[[^\[\];{}]*\]){0,300}?\bextern\b(?:[^;{}()\[\]]|\[\s*\]){0,200}?\b(?P<name>\w+)\s*\(",
    ignore_case=True,
)
# VB: the Declare statement holds both.
_VB = compile_linear(
    r"\bDeclare\s+(?:(?:Ansi|Unicode|Auto)\s+)?(?:Function|Sub)\s+(?P<name>\w+)\s+Lib\s+\"(?P<lib>[^\"\n]{1,200})\"",
    ignore_case=True,
)


@dataclass(frozen=True, slots=True)
class Declared:
    name: str
    library: str  # as written; a constant's name when the attribute names one
    line: int


def declared(units: Iterable[CodeUnit]) -> list[Declared]:
    """Every P/Invoke declaration of the units, in file order."""
    out: list[Declared] = []
    for unit in units:
        for pattern in (_CS, _VB):
            for m in pattern.finditer(unit.text):
                library = m.group("lib") or (m.group("named") if pattern is _CS else None) or ""
                out.append(Declared(m.group("name"), library, unit.text.count("\n", 0, m.start()) + 1))
    return sorted(out, key=lambda d: d.line)
