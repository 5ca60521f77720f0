"""What the code-analysis tests share: analyse a snippet, read a chain, list medium-or-above rules,
and check a shell is found with the words its chain must name."""

from __future__ import annotations

from exhunt.codeanalysis import CodeReport, analyze_code
from exhunt.rules import rule


def run(name: str, code: str) -> CodeReport:
    return analyze_code(code.encode(), name)


def chain_of(report: CodeReport, rule_id: str) -> str:
    return next(c.chain for c in report.capabilities if c.rule_id == rule_id)


def medium_or_above(report: CodeReport) -> list[str]:
    return [c.rule_id for c in report.capabilities if rule(c.rule_id).severity.rank >= 2]


def assert_found(name: str, code: str, rule_id: str, words: list[str]) -> CodeReport:
    """The snippet fires `rule_id` at medium or above, its chain naming each of `words`."""
    report = run(name, code)
    chain = chain_of(report, rule_id)
    for w in words:
        assert w in chain, chain
    assert rule_id in medium_or_above(report)
    return report
