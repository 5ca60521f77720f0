"""What the code analysis says of one file: its capabilities, its problems, and the files it pulled in."""

from __future__ import annotations

from dataclasses import dataclass, field

from exhunt.codeanalysis.extract import CODE_EXTENSIONS
from exhunt.codeanalysis.taint import SinkHit

# Names of source files (not served pages): C#, VB and JScript.NET code, as `extract` reads them.
SOURCE_SUFFIXES = tuple(CODE_EXTENSIONS)


FILE_CAPABILITIES = frozenset({"file-manage", "file-read", "file-write", "page-write"})


@dataclass(frozen=True, slots=True)
class CodeProblem:
    kind: str  # "limit", "timed-out", "unsupported"
    message: str
    line: int | None = None


@dataclass(slots=True)
class Capability:
    rule_id: str
    line: int
    chain: str
    lines: tuple[int, ...]
    api: str = ""
    context: str = ""


@dataclass(frozen=True, slots=True)
class Included:
    """A file the page pulls in (`extract.references`), as read from beside it."""

    kind: str  # "include", "script", "register", "assembly", "codefile", "transform"
    path: str  # as the page names it
    line: int  # the page line that names it
    data: bytes


@dataclass(frozen=True, slots=True)
class IncludedSpan:
    """Lines `first`..`last` of the analysis are lines 1.. of an included file (its lines
    shifted past the page's own)."""

    first: int
    last: int
    path: str
    line: int  # the page line that names it
    textual: bool  # a server-side include: its text is the page's text
    own_class: bool = False  # the page's own code file (`CodeFile`/`Src`): its class is the page's


@dataclass(slots=True)
class CodeReport:
    capabilities: list[Capability] = field(default_factory=list)
    folded: dict[str, int] = field(default_factory=dict)  # folded string -> line
    problems: list[CodeProblem] = field(default_factory=list)
    readers: set[str] = field(default_factory=set)  # "tree-sitter:csharp", "tokens:vb"...
    languages: set[str] = field(default_factory=set)
    units: int = 0  # units of server code with text
    sinks: int = 0  # calls of a sink API found, whatever reaches them
    reached: int = 0  # of those, calls that a value from the request reaches
    # What the text was read in when not UTF-8 or UTF-16: UTF-32, a legacy code page, or "unknown".
    encoding: str = ""
    included: list[IncludedSpan] = field(default_factory=list)
    # Classes of user controls the page registers (`@ Control ClassName`): their members are
    # called as `Name.Member(...)`.
    control_classes: set[str] = field(default_factory=set)

    def where(self, line: int) -> str:
        """A line of the analysis as the user reads it: the page's own, or `file line n`."""
        for span in self.included:
            if span.first <= line <= span.last:
                return f"{span.path} line {line - span.first + 1}"
        return str(line)

    def page_line(self, line: int) -> int:
        """The page line of a line of the analysis: an included file's lines are where it is named."""
        return next((s.line for s in self.included if s.first <= line <= s.last), line)


def hit_lines(hit: SinkHit) -> tuple[int, ...]:
    """The lines a finding names for a call: its own and those its data came through."""
    return tuple(sorted((hit.taint.lines if hit.taint is not None else frozenset()) | {hit.line}))
