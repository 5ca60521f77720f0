"""Fixed command lines that say what an intruder does on their own, whatever the client sends."""

from __future__ import annotations

import functools
import re
from typing import Any

from exhunt.codeanalysis.encodedcommand import MAX_DECODED, decoded_commands
from exhunt.codeanalysis.fold import as_text, show
from exhunt.codeanalysis.report import Capability, CodeProblem, CodeReport, hit_lines
from exhunt.codeanalysis.taint import SinkHit
from exhunt.filehunt.saferegex import LinearRegexError, compile_linear
from exhunt.ruleparams import CodeFlowParams
from exhunt.ruleschema import REGEX_FLAGS

# Calls that start a program, which may be a script the page wrote first (`written_scripts`).
_STARTS_PROCESS = frozenset(
    {
        "Process.Start",
        "new ProcessStartInfo",
        "new Process",
        "Interaction.Shell",
        "Shell",
        "wscript.shell.Exec",
        "wscript.shell.Run",
        "Win32_Process.Create",
        "ManagementClass.InvokeMethod",
    }
)


# File writes that are given their whole content (`File.WriteAllText(path, text)`).
_WRITES_CONTENT = frozenset(
    {
        "File.WriteAllText",
        "File.WriteAllLines",
        "File.AppendAllText",
        "File.AppendAllLines",
        "File.WriteAllTextAsync",
        "File.WriteAllLinesAsync",
        "File.AppendAllTextAsync",
        "File.AppendAllLinesAsync",
        "FileSystem.WriteAllText",
    }
)


_MAX_SCRIPTS = 8


_LINE_BREAKS = re.compile(r"[\r\n]+")


def acts_alone(
    hit: SinkHit,
    flow: CodeFlowParams,
    report: CodeReport,
    reported: set[tuple[str, int]],
    scan: list[int],
    matched: dict[tuple[tuple[str, ...], str], bool],
    scripts: tuple[tuple[int, str], ...] = (),
    more_scripts: bool = False,
) -> None:
    """A call of a capability that counts whatever its data's source: an event log cleared or
    deleted, whatever names it; a command when the text its arguments fold to matches the rule's
    `arguments` (a command line clearing logs, an Exchange cmdlet's name). Once per rule and line
    (`reported`: the rules and lines already reported, kept up to date here). `scan` holds what
    the file's patterns may still search (`_ARGUMENT_SCAN_CHARS`): past it a call is not matched,
    and the file has a `limit` problem, never a silent miss. `matched`: what the patterns gave on
    texts already searched (a page of many calls with the same arguments is searched once)."""
    if (hit.rule_id, hit.line) in reported:
        return
    source = f"takes {' and '.join(hit.taint.sources[:2])}, then " if hit.taint is not None else ""
    if flow.arguments:
        command = hit.command_text()
        if scripts and hit.api in _STARTS_PROCESS:
            # a batch or PowerShell file the page wrote with fixed text, which this start may run
            command = " ".join([command, *(f"[the script written at line {line}: {text}]" for line, text in scripts)])
            if more_scripts:
                _limit(
                    report,
                    f"only the first {_MAX_SCRIPTS} texts the file writes were read as scripts it may start",
                    hit.line,
                )
        # (the call's own name counts too: a method reached by reflection names what it reads)
        key = (flow.arguments, f"{hit.api} {command}")
        found = matched.get(key)
        if found is None:
            cost = len(key[1]) * (len(flow.arguments) + 1)  # (+1: the look for encoded commands)
            if cost > scan[0]:
                if scan[0] >= 0:
                    message = "folded arguments past the search budget were not matched against the rules' patterns"
                    report.problems.append(CodeProblem("limit", message, hit.line))
                    scan[0] = -1
                return
            scan[0] -= cost
            unpacked, cut = _unpacked(command)
            if cut:
                _limit(
                    report,
                    f"only the first {MAX_DECODED} encoded PowerShell commands of a command line were decoded",
                    hit.line,
                )
            found = matched[key] = any_match(flow.arguments, " ".join([key[1], *unpacked]))
        if not found:
            return
        unpacked = _unpacked(command)[0]
        shown = show(command) if command.strip() else ""
        unpacked_shown = [f"-EncodedCommand decoded: {show(t)}" for t in unpacked]
        how = f"{flow.phrase} ({'; '.join(x for x in (shown, *unpacked_shown, hit.api, hit.note) if x)})"
    else:
        how = f"{flow.phrase} ({hit.api})"
    lines = hit_lines(hit)
    report.capabilities.append(Capability(hit.rule_id, hit.line, f"{source}{how}", lines, hit.api))
    reported.add((hit.rule_id, hit.line))


def written_scripts(hits: list[SinkHit]) -> tuple[tuple[tuple[int, str], ...], bool]:
    """Text the file's code writes whole into a file (`File.WriteAllText(p, "vssadmin delete
    shadows /all /quiet")`), by line: a page that writes a batch file and then starts it runs
    that text, which the call that starts it does not spell. At most `_MAX_SCRIPTS`, and whether
    the file writes more (left out: the caller records a limit where a program start reads them)."""
    found: list[tuple[int, str]] = []
    for hit in hits:
        if hit.capability == "file-write" and hit.api in _WRITES_CONTENT and len(hit.args) > 1:
            text = as_text(hit.args[1])
            text = _LINE_BREAKS.sub(" ; ", text).strip() if text else None  # one line, as a finding shows it
            if text and (hit.line, text) not in found:
                if len(found) == _MAX_SCRIPTS:
                    return tuple(found), True
                found.append((hit.line, text))
    return tuple(found), False


def _limit(report: CodeReport, message: str, line: int) -> None:
    """A `limit` problem of the file, once per message: what was left unread keeps it from clean."""
    if not any(p.kind == "limit" and p.message == message for p in report.problems):
        report.problems.append(CodeProblem("limit", message, line))


@functools.lru_cache(maxsize=64)
def _unpacked(command: str) -> tuple[tuple[str, ...], bool]:
    """What each `powershell -enc <base64>` of a command line runs (`encodedcommand`), and
    whether more were left undecoded; looked for once per command line however many rules
    search it."""
    texts, cut = decoded_commands(command)
    return tuple(texts), cut


def any_match(patterns: tuple[str, ...], text: str) -> bool:
    """Whether one of a rule's patterns occurs in text the page controls (its code, a folded
    command line): searched on RE2, in time linear in the text, where `re` backtracks for minutes
    over a long line built to defeat it."""
    return any(_linear(p).search(text) for p in patterns)


@functools.lru_cache(maxsize=256)
def _linear(pattern: str) -> Any:
    """A rule's pattern (matched with `REGEX_FLAGS`: case-insensitive, `.` across lines) compiled
    on RE2; on Python's `re` if RE2 refuses it (look-around, back-references), as validated."""
    try:
        return compile_linear("(?s)" + pattern, ignore_case=True)
    except LinearRegexError:  # RE2 does not take every pattern `re` does; `re` still reads it
        return re.compile(pattern, REGEX_FLAGS)
