"""What the code-analysis tests share: analyse a snippet, read a chain, list medium-or-above rules."""

from __future__ import annotations

from exhunt.codeanalysis import CodeReport, analyze_code
from exhunt.rules import rule


def run(name: str, code: str) -> CodeReport:
    return analyze_code(code.encode(), name)


def chain_of(report: CodeReport, rule_id: str) -> str:
    return next(c.chain for c in report.capabilities if c.rule_id == rule_id)


def medium_or_above(report: CodeReport) -> list[str]:
    return [c.rule_id for c in report.capabilities if rule(c.rule_id).severity.rank >= 2]
