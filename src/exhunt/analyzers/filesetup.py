"""Reports, once per host with files for the file hunt, web logs or event logs, the user's YARA
files and lists that could not be loaded. Its own small module: every hunt runs it, and a hunt
without such files should not import the file hunt's readers and YARA for it (web and event logs
need the indicator lists only: their addresses, domains and user agents)."""

from __future__ import annotations

from exhunt.analyzers import HostContext
from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.model import ArtefactKind, Problem, ProblemKind, UnitResult

# The kinds the file hunt (`exhunt.analyzers.files`) reads.
FILE_HUNT_KINDS = frozenset({ArtefactKind.FILE, ArtefactKind.IIS_CONFIG})
# The kinds matched with the lists' network indicators: web requests (web_indicators.py), and
# command lines, logons, connections and DNS queries of event logs (events/detect/netindicators.py).
INDICATOR_KINDS = frozenset(
    {ArtefactKind.IIS, ArtefactKind.HTTPPROXY, ArtefactKind.HTTPERR, ArtefactKind.EVTX, ArtefactKind.EVENT_JSON}
)


class FileHuntSetup:
    """Reports, once per host, user YARA files and lists that could not be loaded (and why)."""

    name = "files-setup"

    def files_read(self, host: HostEvidence) -> list[EvidenceFile]:
        """The first file of the file hunt's kinds, else of a web or event log, if any: all
        `analyze_host` asks is whether there is one."""
        return next(([f] for f in host.files if f.kind in FILE_HUNT_KINDS), []) or next(
            ([f] for f in host.files if f.kind in INDICATOR_KINDS), []
        )

    def analyze_host(self, host: HostEvidence, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        if any(f.kind in FILE_HUNT_KINDS for f in host.files):
            from exhunt.filehunt.toolkit import toolkit

            problems = toolkit(ctx.options).problems
        elif any(f.kind in INDICATOR_KINDS for f in host.files):
            from exhunt.filehunt.indicators import load_indicators

            problems = load_indicators(ctx.options.extra_indicator_paths).problems
        else:
            return result
        for problem in problems:
            result.errors.append(
                Problem(problem.origin, problem.message, problem.line, ProblemKind.RULE_INVALID, "rule loader")
            )
        return result


FILE_HUNT_SETUP = FileHuntSetup()
ANALYZERS = [FILE_HUNT_SETUP]
