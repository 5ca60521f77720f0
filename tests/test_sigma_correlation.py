"""Sigma correlation rules: event counts, distinct value counts and (ordered) co-occurrence of
base-rule matches per group of field values within a time span, over all of a host's files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from exhunt.cli import main
from exhunt.model import Category, Implies, ProblemKind, Severity, UnitResult
from exhunt.sigma import correlation
from exhunt.sigma.correlation import Hit, HitKeeper, SigmaCorrelation, correlate
from exhunt.sigma.entries import SigmaMeta
from exhunt.sigma.ruleset import load_ruleset
from exhunt.sigma.view import event_view
from sigma_support import attached, event, rule_yaml

FAILED = rule_yaml(
    "    selection:\n        EventID: 4625\n    condition: selection",
    logsource="product: windows\n    service: security",
    name="failed_logon",
    level="low",
)
FAILED_ID = "11111111-2222-3333-4444-555555555555"
T0 = datetime(2022, 10, 3, 8, 0, tzinfo=UTC)


def correlation_yaml(body: str, cid: str = "cccccccc-2222-3333-4444-555555555555", level: str = "high") -> str:
    return f"title: correlated\nid: {cid}\nstatus: test\nlevel: {level}\ncorrelation:\n{body}"


def meta(cid: str = "c") -> SigmaMeta:
    return SigmaMeta(
        cid,
        None,
        "correlated",
        "high",
        Category.POST_EXPLOITATION,
        Severity.HIGH,
        Implies.SUSPICIOUS,
        None,
        (),
        "c.yml",
        "",
        (),
    )


def corr(
    kind: str, count: int, refs: tuple[str, ...] = ("a",), field: str | None = None, op: str = "gte"
) -> SigmaCorrelation:
    return SigmaCorrelation(meta(), kind, refs, ("ip",), {}, 300, op, count, field, False)


def hit(ref: str, seconds: float, ip: str = "192.0.2.1", value: str | None = None, line: int = 1) -> Hit:
    return ("c", ref, (ip,), value, (T0 + timedelta(seconds=seconds)).timestamp(), "Security.evtx", line, None)


def windows(correlation: SigmaCorrelation, hits: list[Hit]) -> list[str | None]:
    return [f.detail("matches") for f in correlate([correlation], hits).findings]


def test_event_count_within_the_time_span_per_group_each_window_once() -> None:
    burst = [hit("a", s, line=n) for n, s in enumerate((0, 10, 20, 30, 40))]
    assert windows(corr("event_count", 5), burst) == ["5"]
    assert windows(corr("event_count", 5, op="gt"), burst) == []
    assert windows(corr("event_count", 2), burst) == ["5"]  # one episode: the matches keep coming
    apart = [hit("a", s) for s in (0, 10, 1000, 1010)]  # two bursts, 990 s apart
    assert windows(corr("event_count", 2), apart) == ["2", "2"]
    spread = [hit("a", s) for s in (0, 200, 400, 600, 800)]  # never five within 300 s
    assert windows(corr("event_count", 3), spread) == []
    other_groups = [hit("a", s, ip=f"192.0.2.{s}") for s in (0, 1, 2, 3, 4)]
    assert windows(corr("event_count", 2), other_groups) == []


def test_value_count_counts_distinct_values() -> None:
    sprayed = [hit("a", n, value=f"user{n % 3}") for n in range(9)]
    assert windows(corr("value_count", 3, field="TargetUserName"), sprayed) == ["9"]
    assert windows(corr("value_count", 4, field="TargetUserName"), sprayed) == []
    (finding,) = correlate([corr("value_count", 3, field="TargetUserName")], sprayed).findings
    assert finding.detail("values") == "user0, user1, user2" and finding.detail("group_ip") == "192.0.2.1"
    assert finding.timestamp == T0 + timedelta(seconds=8) and finding.evidence.path == "Security.evtx"


def test_temporal_needs_every_rule_and_temporal_ordered_their_order() -> None:
    both = [hit("b", 0), hit("a", 60)]
    assert windows(corr("temporal", 2, refs=("a", "b")), both) == ["2"]
    assert windows(corr("temporal", 2, refs=("a", "b")), [hit("a", 0), hit("a", 60)]) == []
    assert windows(corr("temporal", 2, refs=("a", "b")), [hit("b", 0), hit("a", 600)]) == []  # too far apart
    assert windows(corr("temporal_ordered", 2, refs=("a", "b")), both) == []
    assert windows(corr("temporal_ordered", 2, refs=("a", "b")), [hit("a", 0), hit("b", 60)]) == ["2"]


def test_correlations_of_other_files_name_rules_by_name_and_unsupported_ones_say_why() -> None:
    rules = attached(
        FAILED,
        correlation_yaml(
            "    type: event_count\n    rules: [failed_logon]\n    group-by: [IpAddress]\n    timespan: 5m\n    condition:\n        gte: 10\n"
        ),
        correlation_yaml(
            "    type: value_sum\n    rules: [failed_logon]\n    timespan: 5m\n    condition:\n        gte: 10\n        field: x\n",
            cid="dddddddd-2222-3333-4444-555555555555",
        ),
        correlation_yaml(
            "    type: event_count\n    rules: [failed_logon]\n    timespan: 5m\n    condition:\n        lt: 10\n",
            cid="eeeeeeee-2222-3333-4444-555555555555",
        ),
        correlation_yaml(
            "    type: value_count\n    rules: [failed_logon]\n    timespan: 5m\n    condition:\n        gte: 10\n",
            cid="ffffffff-2222-3333-4444-555555555555",
        ),
        correlation_yaml(
            "    type: event_count\n    rules: [no_such_rule]\n    timespan: 5m\n    condition:\n        gte: 2\n",
            cid="abababab-2222-3333-4444-555555555555",
        ),
    )
    assert [c.meta.id[:8] for c in rules.correlations] == ["cccccccc", "abababab"]
    reasons = {(p.rule_id or p.path)[:8]: p.message for p in rules.rejected}
    assert "value_sum is not supported" in reasons["dddddddd"]
    assert "condition lt is not supported" in reasons["eeeeeeee"]
    assert "without field reference" in reasons["rule4.ym"]  # pySigma refuses the file
    (linked,) = [r for r in rules.rules if r.links]
    assert linked.meta.id == FAILED_ID and not linked.generate
    assert linked.links == (("cccccccc-2222-3333-4444-555555555555", "failed_logon", ("IpAddress",), None),)
    assert "names rules not loaded: no_such_rule (it can never fire)" in reasons["abababab"]


def _security_export(tmp_path: Path, name: str, sources: list[tuple[int, str, str]]) -> None:
    rows = [
        {
            "Channel": "Security",
            "SourceName": "Microsoft-Windows-Security-Auditing",
            "EventID": 4625,
            "Hostname": "EX01.corp.example",
            "TimeCreated": (T0 + timedelta(seconds=s)).isoformat().replace("+00:00", "Z"),
            "RecordNumber": 100 + s,
            "IpAddress": ip,
            "TargetUserName": user,
        }
        for s, ip, user in sources
    ]
    (tmp_path / "EX01").mkdir(exist_ok=True)
    (tmp_path / "EX01" / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _rules(tmp_path: Path, correlation: str) -> Path:
    """A folder of rules: the base rule in one file, a correlation naming it in another."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "base.yml").write_text(FAILED, encoding="utf-8")
    (rules / "correlation.yml").write_text(correlation_yaml(correlation), encoding="utf-8")
    return rules


def test_a_hunt_correlates_matches_across_a_hosts_files(tmp_path: Path) -> None:
    # a password spray split over two files (a log and its rotated part): ten users from one address
    attacker = "203.0.113.7"
    _security_export(tmp_path, "security-1.jsonl", [(n, attacker, f"user{n}") for n in range(5)])
    _security_export(
        tmp_path, "security-2.jsonl", [(n, attacker, f"user{n}") for n in range(5, 10)] + [(20, "192.0.2.5", "admin")]
    )
    rules = _rules(
        tmp_path,
        "    type: value_count\n    rules: [failed_logon]\n    group-by: [IpAddress]\n    timespan: 10m\n"
        "    condition:\n        gte: 10\n        field: TargetUserName\n",
    )
    out = tmp_path / "out.json"
    for _ in range(2):  # the rules read with pySigma, then from the compiled-rule cache
        load_ruleset.cache_clear()
        assert main(["hunt", str(tmp_path / "EX01"), "--sigma", str(rules), "--json", str(out), "-q"]) == 1
        (host,) = json.loads(out.read_text(encoding="utf-8"))["hosts"]
        (finding,) = host["findings"]  # the base rule keeps its matches to the correlation
        assert finding["rule_id"] == "cccccccc-2222-3333-4444-555555555555" and finding["severity"] == "high"
        assert finding["details"]["group_IpAddress"] == attacker and finding["details"]["matches"] == "10"
        assert finding["source_ip"] == attacker  # grouped by the client's address: an indicator
        assert finding["evidence"]["path"].endswith("security-2.jsonl")
        suppressed = {(s["rule_id"], s["reason"]): s["count"] for s in host["suppressed"]}
        assert suppressed[(FAILED_ID, "named by Sigma correlations only (generate: false): counted there")] == 11


def test_generate_keeps_the_base_rules_findings(tmp_path: Path) -> None:
    _security_export(tmp_path, "security.jsonl", [(n, "203.0.113.7", "u") for n in range(3)])
    rules = _rules(
        tmp_path,
        "    type: event_count\n    rules: [failed_logon]\n    group-by: [IpAddress]\n    timespan: 1m\n"
        "    generate: true\n    condition:\n        gte: 3\n",
    )
    out = tmp_path / "out.json"
    main(["hunt", str(tmp_path / "EX01"), "--sigma", str(rules), "--json", str(out), "-q"])
    (host,) = json.loads(out.read_text(encoding="utf-8"))["hosts"]
    ids = sorted(f["rule_id"][:8] for f in host["findings"])
    assert ids == ["11111111"] * 3 + ["cccccccc"]


def test_matches_without_a_time_are_counted_not_correlated() -> None:
    rules = attached(
        FAILED,
        correlation_yaml(
            "    type: event_count\n    rules: [failed_logon]\n    timespan: 5m\n    condition:\n        gte: 1\n"
        ),
    )
    result = UnitResult()
    record = event("Security", 4625, IpAddress="192.0.2.1")  # no time
    fired = rules.match_event(record)
    assert [r.meta.id for r in fired] == [FAILED_ID]
    assert HitKeeper(result, "x.evtx").keep(fired, lambda: event_view(record), record.timestamp, 1, None) == []
    assert result.correlation_hits == []
    reason = "a match without a time: not placed in any window"
    assert result.suppressed[("cccccccc-2222-3333-4444-555555555555", reason)] == 1


def test_a_hosts_hits_are_bounded_and_the_excess_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(correlation, "MAX_HITS_PER_HOST", 5)
    held = 0
    results = []
    for _ in range(3):
        result = UnitResult()
        result.correlation_hits = [hit("a", n) for n in range(3)]
        held = correlation.bound_host(held, result, "EX01")
        results.append(result)
    assert [len(r.correlation_hits) for r in results] == [3, 2, 0]
    problems = [p for r in results for p in r.errors]
    assert len(problems) == 1 and problems[0].kind is ProblemKind.LIMIT and "not correlated" in problems[0].message


def test_a_correlation_of_correlations_is_said_to_be_unsupported() -> None:
    first = correlation_yaml(
        "    type: event_count\n    rules: [failed_logon]\n    timespan: 5m\n    condition:\n        gte: 2\n"
    ).replace("title: correlated\n", "title: correlated\nname: burst\n")
    second = correlation_yaml(
        "    type: event_count\n    rules: [burst]\n    timespan: 1h\n    condition:\n        gte: 2\n",
        cid="bcbcbcbc-2222-3333-4444-555555555555",
    )
    rules = attached(FAILED, first, second)
    (problem,) = [p for p in rules.rejected if p.rule_id and p.rule_id.startswith("bcbcbcbc")]
    assert "a correlation of correlations is not supported" in problem.message


def test_a_correlation_without_tactics_takes_its_rules_kind() -> None:
    web = rule_yaml(
        "    selection:\n        sc-status: 401\n    condition: selection",
        logsource="category: webserver",
        name="refused",
    )
    spray = correlation_yaml(
        "    type: event_count\n    rules: [refused]\n    timespan: 1m\n    condition:\n        gte: 10\n"
    )
    (correlation,) = attached(web, spray).correlations
    assert correlation.meta.category is Category.EXPLOITATION_ATTEMPT  # as web rules are
    tagged = spray.replace("level: high\n", "level: high\ntags:\n    - attack.credential-access\n")
    (correlation,) = attached(web, tagged).correlations
    assert correlation.meta.category is Category.CREDENTIAL_ACCESS


def test_correlations_that_fail_are_a_problem_of_the_host_not_the_hunt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _security_export(tmp_path, "security.jsonl", [(n, "203.0.113.7", "u") for n in range(3)])
    rules = _rules(
        tmp_path,
        "    type: event_count\n    rules: [failed_logon]\n    group-by: [IpAddress]\n    timespan: 1m\n"
        "    condition:\n        gte: 3\n",
    )

    def broken(*_args: object) -> None:
        raise RuntimeError("no windows today")

    monkeypatch.setattr(correlation, "correlate", broken)
    out = tmp_path / "out.json"
    assert main(["hunt", str(tmp_path / "EX01"), "--sigma", str(rules), "--json", str(out), "-q"]) == 3
    (host,) = json.loads(out.read_text(encoding="utf-8"))["hosts"]
    assert host["verdict"] != "clean" and host["findings"] == []
    (problem,) = [p for p in host["errors"] if "Sigma correlations" in p["message"]]
    assert problem["kind"] == "analyzer-failed" and "no windows today" in problem["message"]
