"""Pages of many statements (large helper classes, generated files) re-read, after the first round
of taint propagation, only the statements naming something whose taint changed. A large page
spent its time in full rounds, one per link of a chain of helpers, and one of 800 KB passed the
deadline. The narrowing must find what full rounds find: it ends only on a full round that
changes nothing, so a statement it skipped wrongly is still read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from code_support import assert_benign, assert_found, cs_page, run
from exhunt.codeanalysis.flow import NARROW_FROM, UnitFlow, unit

PROCESS = "EXH-WS-CODE-PROCESS"
RUN = 'System.Diagnostics.Process.Start("cmd.exe", "/c " + cmd);'


def filler(count: int) -> str:
    """Statements nothing tainted reaches, enough to make the page a narrowed one."""
    return "".join(f"\nint v{i} = {i} + {i};" for i in range(count))


def large_chain(links: int, last: str = 'Request["c"]') -> str:
    """A large page whose Page_Load runs what a chain of helpers, each below its caller, returns."""
    helpers = "".join(f"\n}}\nstring F{i}(string s) {{\n    var t = F{i + 1}(s);\n    return t;" for i in range(links))
    body = 'var cmd = F0(Request.QueryString["x"]);\n' + RUN + filler(NARROW_FROM) + helpers
    return cs_page(body + f"\n}}\nstring F{links}(string s) {{\n    return {last};")


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Each round of propagation, True when it read every statement."""
    seen: list[bool] = []
    original = UnitFlow._propagate

    def counted(self: UnitFlow, names: frozenset[tuple[str | None, str]] | None = None) -> None:
        seen.append(names is None)
        original(self, names)

    monkeypatch.setattr(UnitFlow, "_propagate", counted)
    yield seen


def test_a_chain_in_a_large_page_is_followed_in_narrowed_rounds(rounds: list[bool]) -> None:
    report = assert_found("large.aspx", large_chain(6), PROCESS, ["request parameter 'c'"])
    assert report.problems == []
    assert rounds.count(False) >= 6, rounds  # the links were followed in narrowed rounds
    assert rounds.count(True) == 2, rounds  # the first round and the one confirming the end
    assert rounds[-1] is True


def test_a_small_page_reads_every_statement_each_round(rounds: list[bool]) -> None:
    assert_found("small.aspx", cs_page('var cmd = Request["c"];\n' + RUN), PROCESS, ["request parameter 'c'"])
    assert rounds and all(rounds)


def test_a_narrowing_that_skips_everything_still_ends_on_the_same_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The confirming full round is what makes the result right: with a filter that lets no
    statement through, the full rounds alone carry the chain to the sink."""
    monkeypatch.setattr(UnitFlow, "_reads_changed", lambda self, node, method, names: False)
    report = assert_found("skipped.aspx", large_chain(4), PROCESS, ["request parameter 'c'"])
    assert report.problems == []


def test_a_large_page_still_growing_after_the_rounds_is_a_recorded_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(unit, "PROPAGATION_ROUNDS", 3)  # a narrowed page may take twice as many: 6
    report = run("long.aspx", large_chain(8))
    assert any(p.kind == "limit" and "after 6 rounds of taint propagation" in p.message for p in report.problems)


def test_a_large_page_returning_a_fixed_command_stays_quiet() -> None:
    assert_benign("fixed.aspx", large_chain(4, last='"ipconfig"').replace('Request.QueryString["x"]', '"a"'))
