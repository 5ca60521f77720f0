"""Code the client sends, written to a file and then run by a fixed command line.

A shell that wants no client text on a command line writes what it is sent to a batch file, a
script, an MSBuild project or a program, then starts that file with a command line of its own
(`cmd /c C:\\Windows\\Temp\\t.bat`, `MSBuild.exe C:\\Windows\\Temp\\p.proj`: LOLBAS's inline-task
runners among them). Neither call alone is a finding: the write's path is fixed and outside the
site, the command is fixed. Together they run the client's code. `staged_runs` finds the command
lines that name a file the page writes with client data, and gives them that data's taint. A
path the analysis cannot fold (`var p = Path.GetTempFileName()`) is matched by the variable
that holds it: a write of client data to `p`, then `Process.Start(p)` or `Assembly.LoadFile(p)`
in the same method, runs or loads what the client sent.
"""

from __future__ import annotations

import dataclasses
import re

from exhunt.codeanalysis.fold import as_text
from exhunt.codeanalysis.taint import SinkHit

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
    """`hits` with each fixed command or assembly load (a `process` call or a load from a path
    that no request data reaches) that names a file a write of the same code fills with client
    data, or that runs or loads the variable such a write's path is kept in, given that data's
    taint, the write added as a step (the write stays as it was)."""
    written: dict[str, SinkHit] = {}
    held: dict[tuple[str | None, str], SinkHit] = {}  # (method, variable) -> the write to its path
    for hit in hits:
        if hit.capability == "file-write" and hit.content is not None and hit.content.kinds & _CLIENT:
            for name in _names(_path_text(hit)):
                written.setdefault(name, hit)
            variable = _path_variable(hit)
            if variable is not None:
                held.setdefault((hit.method, variable), hit)
    if not written and not held:
        return hits
    out: list[SinkHit] = []
    for hit in hits:
        if hit.taint is not None or (hit.capability != "process" and not _LOADS.search(hit.api)):
            out.append(hit)
            continue
        verb = "runs" if hit.capability == "process" else "loads"
        ran = next((n for n in _names(hit.command_text()) if n in written), None)
        if ran is not None:  # `ExecuteAssembly(@"C:\Windows\Temp\a.exe")` of a file written just before
            hit = _joined(hit, written[ran], ran, f"{verb} {ran}, which the page wrote")
        else:
            variable = _path_variable(hit)
            write = held.get((hit.method, variable)) if variable is not None else None
            if write is not None and write.line <= hit.line:  # (a write found means a variable)
                hit = _joined(hit, write, f"the file `{variable}` names", f"{verb} the file the page wrote")
        out.append(hit)
    return out


def _joined(hit: SinkHit, write: SinkHit, written_to: str, note: str) -> SinkHit:
    """`hit` given the taint of what `write` put into the file it runs or loads."""
    if write.content is None:
        return hit
    taint = write.content.step(f"writes it to {written_to} ({write.api})", write.line)
    return dataclasses.replace(hit, taint=taint, note=f"{hit.note}; {note}" if hit.note else note)


def _path_variable(hit: SinkHit) -> str | None:
    """The variable a call's first argument is, when it does not fold to a path (`p` of
    `File.WriteAllBytes(p, data)` after `var p = Path.GetTempFileName()`)."""
    if hit.args and as_text(hit.args[0]):
        return None  # a path the analysis knows: matched by its file name
    first = hit.first.strip()
    return first if _VARIABLE.fullmatch(first) else None


# Assembly loads from a path (a dynamic-code call's API), and a plain variable name.
_LOADS = re.compile(r"LoadFrom|LoadFile|ExecuteAssembly\b|CreateInstanceFrom|InstallHelper", re.I)
_VARIABLE = re.compile(r"[A-Za-z_]\w{0,63}")


def _path_text(hit: SinkHit) -> str:
    """A write's path as the analysis knows it: folded, or the source text of what did not fold."""
    first = as_text(hit.args[0]) if hit.args else None
    return first if first else " ".join(t for i, t, _ in hit.unresolved if i == 0)


def _names(text: str) -> list[str]:
    """The file names (lower case, without folders) of runnable files `text` mentions."""
    return [m.group(0).lower() for m in _RUN.finditer(text[:4096])]
