"""The token-level reader, for code no grammar could parse (or too large to parse).

Comments are dropped, adjacent string literals joined across `+`/`&`, and the code cut into
statements. A variable assigned from request data is tainted; a statement that names a sink
API and request data (directly or through a tainted variable) is a flow. A call of a Windows
function (the native-code rule's names) is kept whatever its arguments, as the parsed reading
keeps it: whether the page declares that function is judged afterwards. Coarser than the syntax
tree (no types, no folding beyond concatenation), linear in the size of the code.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from exhunt.codeanalysis.taint import SinkHit, SinkRule, Taint
from exhunt.codeanalysis.vocabulary import CONTROL_MEMBERS, SOURCE_MEMBERS, TRANSFORMS

# VB's comment lines: white space within the line only, so a run of blank lines is not scanned
# again from each of them.
_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*|^[^\S\n]*'[^\n]*", re.S | re.M)
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_JOIN = re.compile(r'"\s*[+&]\s*"')
_SPLIT = re.compile(r"[;\n{}]")
# An assignment, or a declaration with its type: a generic type's arguments and an array's ranks
# may hold spaces (`Dictionary<string, string> d = ...`, `string [] a = ...`). Each `>` tried as
# the end of the type is followed by one word, so the match stays linear in the statement.
_ASSIGN = re.compile(
    r"^\s*(?:[\w.]+(?:\s*<[\w.\s,<>\[\]?]*>)?(?:\s*\[[\s,]*\])*\??\s+)?"
    r"(?P<name>[A-Za-z_]\w*)\s*(?:\+|&)?=(?!=)(?P<rhs>.*)$",
    re.S,
)
# VB's declaration with a type (`Dim c As String = Request("c")`, which the C# form above reads
# as an assignment to `String`), or of a new object made from the arguments that follow
# (`Dim c As New StringBuilder(Request("c"))`).
_VB_DIM = re.compile(
    r"(?i)^\s*(?:(?:dim|private|public|protected|friend|static|shared|const|readonly)\s+)+"
    r"(?P<name>[A-Za-z_]\w*)\s+as\s+"
    r"(?:(?:new\s+)?[\w.]+(?:\s*\([^()=]*\))?\s*=(?!=)(?P<rhs>.*)|new\s+[\w.]+\s*(?P<made>\(.*))$",
    re.S,
)
_SOURCE = re.compile(r"\bRequest\s*(?:\.\s*(?P<m>\w+)|[\[(])", re.I)
# A P/Invoke declaration (C# `extern`, VB `Declare`): it names a Windows function, it does not call it.
_DECLARATION = re.compile(r"(?i)\bextern\b|\bDeclare\s+(?:Function|Sub|Auto|Ansi|Unicode)\b")
MAX_STATEMENT = 4096
MAX_TAINTED = 256
# Lines a variable's taint keeps: a variable set again and again from itself and the request
# (`x = x + Request["a"]` down 100,000 lines) would otherwise carry every line, and each
# statement would copy them all (25 s for such a page).
MAX_TAINT_LINES = 64


def _bounded(t: Taint) -> Taint:
    """`t` with at most `MAX_TAINT_LINES` lines: the first ones and the last."""
    if len(t.lines) <= MAX_TAINT_LINES:
        return t
    ordered = sorted(t.lines)
    kept = frozenset(ordered[: MAX_TAINT_LINES - 1] + ordered[-1:])
    return Taint(t.sources, t.kinds, t.steps, kept, t.joined)


@dataclass(frozen=True, slots=True)
class TokenResult:
    hits: list[SinkHit]
    folded: dict[str, int]
    too_long: list[int] = field(default_factory=list)  # lines of statements past MAX_STATEMENT, not read
    stopped_at: int | None = None  # the line reading stopped at, its time spent; None: read to the end


def _control_source(controls: Mapping[str, str]) -> re.Pattern[str]:
    """Values the client posts back: a declared control's Text, Value, PostedFile..."""
    names = "|".join(sorted(re.escape(c) for c in controls))
    members = "|".join(sorted(CONTROL_MEMBERS))
    declared = rf"|\b(?P<c>{names})\s*\.\s*(?P<cm>{members})\b" if names else ""
    return re.compile(rf"(?i)(?!x)x{declared}")


def _source(stmt: str, controls: re.Pattern[str] | None = None) -> tuple[str, str] | None:
    if controls is not None:
        c = controls.search(stmt)
        if c is not None:
            member = (c.group("cm") or "").lower() if c.groupdict().get("cm") else ""
            kind = "name" if member == "filename" else CONTROL_MEMBERS[member]
            return kind, f"page control '{c.group('c')}'"
    for m in _SOURCE.finditer(stmt):
        member = (m.group("m") or "").lower()
        if not member:
            return "request", "request parameter"
        if member in SOURCE_MEMBERS:
            return SOURCE_MEMBERS[member]
    return None


# A statement carried on to the next line: C# and JScript end a statement only at `;` or a brace,
# so a line ending in an operator, or a next line starting with `.` or `+` (a chained call written
# one member a line), goes on; VB goes on after ` _` and after `(`, `,`, `&` and `+`.
_GOES_ON = {
    False: (re.compile(r"[.(,+=&|]\s*$"), re.compile(r"^\s*[.+]")),
    True: (re.compile(r"(?:\s_|[(,&+])\s*$"), None),
}


# Statements read between looks at the clock.
_CLOCK_EVERY = 256


def _statements(code: str, first_line: int, vb: bool = False) -> Iterator[tuple[str, int]]:
    """The code cut at `;`, new lines and braces, each piece with the line it starts on (the
    new lines are separators, so they are counted here, not found in the pieces). A new line
    where the statement goes on (`_GOES_ON`) is no cut."""
    ends, starts = _GOES_ON[vb]
    line = start_line = first_line
    pos = 0
    for m in _SPLIT.finditer(code):
        if m.group() == "\n":
            line += 1
            before = code[max(pos, m.start() - 200) : m.start()]
            after = code[m.end() : m.end() + 200]
            goes_on = ends.search(before) is not None or (starts is not None and starts.match(after) is not None)
            if goes_on and m.start() - pos < MAX_STATEMENT:
                continue  # the statement goes on past the line (while it is short enough to read)
        yield code[pos : m.start()], start_line
        pos = m.end()
        start_line = line
    yield code[pos:], start_line


def read_tokens(
    code: str,
    rules: Sequence[SinkRule],
    first_line: int = 1,
    controls: Mapping[str, str] | None = None,
    vb: bool = False,
    stop_at: float | None = None,
) -> TokenResult:
    """`stop_at`: a `time.monotonic()` time past which no further statement is read (the result
    says where reading stopped)."""
    control_rx = _control_source(controls or {})
    code = _COMMENTS.sub(lambda m: "\n" * m.group(0).count("\n"), code)
    folded: dict[str, int] = {}
    tainted: dict[str, Taint] = {}
    hits: list[SinkHit] = []
    sinks = _SinkIndex(rules)
    has_native = any(rule.capability == "native-code" for rule in rules)
    too_long: list[int] = []
    for count, (raw, stmt_line) in enumerate(_statements(code, first_line, vb)):
        if stop_at is not None and count % _CLOCK_EVERY == 0 and time.monotonic() > stop_at:
            return TokenResult(hits, folded, too_long, stmt_line)
        stmt = raw.strip()
        if len(stmt) > MAX_STATEMENT:
            too_long.append(stmt_line)
        if not stmt or len(stmt) > MAX_STATEMENT:
            continue
        if _JOIN.search(stmt):
            joined = _JOIN.sub("", stmt)
            for s in _STRING.findall(joined):
                if s not in stmt and len(s) > 3:
                    folded.setdefault(s[1:-1], stmt_line)
            stmt = joined
        t = _statement_taint(stmt, stmt_line, control_rx, tainted)
        m = (_VB_DIM.match(stmt) if vb else None) or _ASSIGN.match(stmt)
        if m and t is not None and len(tainted) < MAX_TAINTED:
            tainted[m.group("name")] = _bounded(t)
        # Windows functions count whatever the source of their arguments, where the page declares
        # them (judged with the file's declarations later), but not in the declaration itself.
        if t is None and not has_native:
            continue
        hits.extend(sinks.hits(stmt, stmt_line, t))
    return TokenResult(hits, folded, too_long)


_WORDS = re.compile(r"[A-Za-z_]\w*")


def _statement_taint(
    stmt: str, line: int, control_rx: re.Pattern[str] | None, tainted: Mapping[str, Taint]
) -> Taint | None:
    """What of the request a statement carries: a source it names, or a variable a statement
    before it set from one, through the decoders and ciphers the statement names."""
    t: Taint | None = None
    src = _source(stmt, control_rx)
    if src is not None:
        t = Taint((src[1],), frozenset({src[0]}), (), frozenset({line}))
    if tainted:
        for name in sorted(set(_WORDS.findall(stmt)) & tainted.keys()):  # (sorted: the same chain every run)
            vt = tainted[name]
            t = vt if t is None else t.merge(vt)
    if t is not None:
        low = stmt.lower()
        for key, step in TRANSFORMS.items():
            if key in low:
                t = t.step(step, line)
        if "createdecryptor" in low or "transformfinalblock" in low:
            t = t.step("decrypts it", line)
    return t


class _SinkIndex:
    """The rules' sink patterns as token patterns, found by one pass of every sink name first:
    most statements name none, and a statement is tried only against the patterns of the names
    it calls (a page of many statements that each call one sink is not searched for every rule's
    every name)."""

    def __init__(self, rules: Sequence[SinkRule]) -> None:
        self.sinks = [
            (rule, p, re.compile(rf"(?i)(?:\bnew\s+(?:[\w.]+\.)?|\.|\b){re.escape(p.parts[-1])}\s*\("))
            for rule in rules
            for p in rule.patterns
        ]
        names = sorted({re.escape(p.parts[-1]) for _, p, _ in self.sinks})
        self.any_sink = re.compile(r"(?i)\b(?P<name>" + "|".join(names) + r")\s*\(")
        self.by_name: dict[str, list[int]] = {}  # a sink name (lower case) -> its patterns, in rule order
        for i, (_, p, _) in enumerate(self.sinks):
            self.by_name.setdefault(p.parts[-1].lower(), []).append(i)

    def hits(self, stmt: str, line: int, t: Taint | None) -> list[SinkHit]:
        """The sinks a statement calls; with no taint (`t` None), the Windows functions only,
        and not in their declaration."""
        native_only = t is None
        called = {m.group("name").lower() for m in self.any_sink.finditer(stmt)}
        if not called or (native_only and _DECLARATION.search(stmt)):
            return []
        out = []
        for i in sorted(i for name in called for i in self.by_name[name]):
            rule, pattern, rx = self.sinks[i]
            if native_only and rule.capability != "native-code":
                continue
            if pattern.label == "eval" and not re.search(r"(?i)\beval\s*\(", stmt):
                continue
            if rx.search(stmt):
                out.append(SinkHit(rule.rule_id, rule.capability, pattern.label, line, t, None, [], "token-level"))
        return out
