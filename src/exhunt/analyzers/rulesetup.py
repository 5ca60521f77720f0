"""Once per host: the user's TOML rule files (`exhunt hunt --rules`), as this worker loaded them.

A rule that did not load (bad TOML, unknown detector, unknown or missing key, wrong type, a
regex that does not compile) is a `rule-invalid` problem naming the file, the rule and the key;
it keeps the host from `clean`, and every other rule runs.
"""

from __future__ import annotations

from exhunt.analyzers import HostContext
from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.model import Observation, ObservationKind, Problem, ProblemKind, UnitResult
from exhunt.rules import catalog, shipped_catalog, user_problems

PRODUCER = "rule loader"


class UserRulesSetup:
    name = "rules-setup"

    def files_read(self, host: HostEvidence) -> list[EvidenceFile]:
        return []  # it reports the rule files, not the evidence

    def analyze_host(self, host: HostEvidence, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        files = ctx.options.user_rules
        if not files:
            return result
        for e in user_problems():
            where = " ".join(part for part in (f"[{e.rule_id}]" if e.rule_id else "", e.key or "") if part)
            message = f"user rule not loaded: {where + ': ' if where else ''}{e.message}"
            result.errors.append(Problem(e.origin, message, None, ProblemKind.RULE_INVALID, PRODUCER))
        origins = {f.origin for f in files}
        shipped = shipped_catalog()
        mine = sorted(r.id for r in catalog().values() if r.origin in origins)
        overrides = [i for i in mine if i in shipped]
        summary = f"{len(mine)} user rules loaded from {len(files)} files"
        if overrides:
            summary += f", in place of the shipped {', '.join(overrides)}"
        result.observations.append(Observation(ObservationKind.NOTICE, summary, ", ".join(sorted(origins))))
        return result


ANALYZERS = [UserRulesSetup()]
