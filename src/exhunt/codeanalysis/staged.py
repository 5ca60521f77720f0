"""Code the client sends, written to a file and then run by a fixed command line.

A shell that wants no client text on a command line writes what it is sent to a batch file, a
script, an MSBuild project or a program, then starts that file with a command line of its own
(`cmd /c C:\\Windows\\Temp\\t.bat`, `MSBuild.exe C:\\Windows\\Temp\\p.proj`: LOLBAS's inline-task
runners among them). Neither call alone is a finding: the write's path is fixed and outside the
site, the command is fixed. Together they run the client's code. `staged_runs` finds the command
lines that name a file the page writes with client data, and gives them that data's taint.
"""

from __future__ import annotations

import dataclasses
import re

from exhunt.codeanalysis.flow import SinkHit
from exhunt.codeanalysis.fold import as_text

# What a write's content must come from to be the client's: request fields and body, uploads,
# a service's arguments and the page's own input controls.
_CLIENT = frozenset({"request", "body", "upload", "webmethod", "control"})
# Files a command line runs or hands to an interpreter, compiler or project runner.
_RUN = re.compile(
    r"[\w.$~-]{1,100}\.(?:bat|cmd|ps1|psm1|vbs|vbe|js|jse|wsf|wsh|hta|sct|proj|csproj|vbproj|targets|exe|com|scr"
    r"|dll|cs|vb|msi|inf)(?![\w.])",
    re.I,
)


def staged_runs(hits: list[SinkHit]) -> list[SinkHit]:
    """`hits` with each fixed command (a `process` call no request data reaches) that names a
    file a write of the same code fills with client data given that data's taint, the write
    added as a step (the write stays as it was)."""
    written: dict[str, SinkHit] = {}
    for hit in hits:
        if hit.capability == "file-write" and hit.content is not None and hit.content.kinds & _CLIENT:
            for name in _names(_path_text(hit)):
                written.setdefault(name, hit)
    if not written:
        return hits
    out: list[SinkHit] = []
    for hit in hits:
        if hit.capability == "process" and hit.taint is None:
            ran = next((n for n in _names(hit.command_text()) if n in written), None)
            write = written[ran] if ran is not None else None
            if ran is not None and write is not None and write.content is not None:
                taint = write.content.step(f"writes it to {ran} ({write.api})", write.line)
                note = f"runs {ran}, which the page wrote"
                hit = dataclasses.replace(hit, taint=taint, note=f"{hit.note}; {note}" if hit.note else note)
        out.append(hit)
    return out


def _path_text(hit: SinkHit) -> str:
    """A write's path as the analysis knows it: folded, or the source text of what did not fold."""
    first = as_text(hit.args[0]) if hit.args else None
    return first if first else " ".join(t for i, t, _ in hit.unresolved if i == 0)


def _names(text: str) -> list[str]:
    """The file names (lower case, without folders) of runnable files `text` mentions."""
    return [m.group(0).lower() for m in _RUN.finditer(text[:4096])]
