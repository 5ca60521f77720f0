"""Sigma `webserver` rules on Exchange's IIS and HttpProxy logs, under Sigma's field names."""

from __future__ import annotations

from pathlib import Path

import pytest

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.model import ArtefactKind, HttpFacet, UnitResult
from sigma_support import rule_yaml
from test_log_samples import (
    benign_httpproxy,
    benign_iis,
    evidence,
    httpproxy_log,
    httpproxy_row,
    iis_line,
    iis_log,
    write,
)

IIS = "C/inetpub/logs/LogFiles/W3SVC1/u_ex210812.log"
PROXY = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Autodiscover/HttpProxy_2021081210-1.LOG"
ATTACKER = "198.51.100.23"
WEB = "category: webserver"
SHELL_QUERY = "cmd=whoami%20/all&x=1"
RULE = rule_yaml(
    "    selection:\n"
    "        cs-method: 'POST'\n"
    "        cs-uri-stem|endswith: '.aspx'\n"
    "        cs-uri-query|contains: '=whoami'\n"
    "        sc-status: 200\n"
    "    condition: selection",
    logsource=WEB,
    tags="\n    - attack.t1505.003",
)
AGENT_RULE = rule_yaml(
    "    selection:\n        cs-user-agent|startswith: 'Mozilla/5.0 (evil'\n        c-ip|cidr: '198.51.100.0/24'\n"
    "    condition: selection",
    logsource=WEB,
    id="22222222-2222-3333-4444-555555555555",
)
QUERY_START_RULE = rule_yaml(
    "    selection:\n        cs-uri-query|startswith: '@evil.corp/'\n        cs-username: null\n    condition: selection",
    logsource=WEB,
    id="33333333-2222-3333-4444-555555555555",
)


def hunt_web(tmp_path: Path, rel: str, kind: ArtefactKind, *rules: str) -> UnitResult:
    paths = []
    for n, text in enumerate(rules):
        path = tmp_path / "rules" / f"r{n}.yml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        paths.append(str(path))
    ctx = HostContext("EX01", None, HuntOptions(sigma_paths=tuple(paths)))
    return registry()["sigma-web"].analyze(evidence(tmp_path, rel, kind), ctx)  # type: ignore[union-attr]


def shell_iis(status: str = "200", agent: str = "Mozilla/5.0 (evil tool)") -> str:
    return iis_line(
        **{
            "date": "2021-08-12",
            "time": "10:05:00",
            "cs-method": "POST",
            "cs-uri-stem": "/owa/auth/x.aspx",
            "cs-uri-query": SHELL_QUERY,
            "c-ip": ATTACKER,
            "cs(User-Agent)": agent,
            "sc-status": status,
        }
    )


def test_iis_records_under_sigma_field_names(tmp_path: Path) -> None:
    write(tmp_path, IIS, iis_log([*benign_iis(20), shell_iis(), shell_iis("404")]))
    result = hunt_web(tmp_path, IIS, ArtefactKind.IIS, RULE, AGENT_RULE)
    assert result.errors == []
    by_rule: dict[str, list[int | None]] = {}
    for f in result.findings:
        by_rule.setdefault(f.rule_id, []).append(f.evidence.line)
    first_data = 5  # after the four directive lines
    assert by_rule["11111111-2222-3333-4444-555555555555"] == [first_data + 20], "the 404 is not matched"
    # the user agent is logged with '+' for spaces; the rule's spaces still match, on both lines
    assert by_rule["22222222-2222-3333-4444-555555555555"] == [first_data + 20, first_data + 21]
    f = next(f for f in result.findings if f.rule_id.startswith("1111"))
    assert f.http == HttpFacet(
        method="POST",
        url=f"/owa/auth/x.aspx?{SHELL_QUERY}",
        host=None,
        status=200,
        user_agent="Mozilla/5.0 (evil tool)",
        client_ip=ATTACKER,
        request_id=None,
    )
    assert f.source_ip == ATTACKER and f.detail("attack") == "T1505.003" and f.timestamp is not None


RAW_AGENT_RULE = rule_yaml(
    "    selection:\n"
    "        cs-method: 'POST'\n"
    "        cs-user-agent:\n"
    "            - 'Googlebot/2.1+(+http://www.googlebot.com/bot.html)'\n"
    "        cs-referer|contains: 'search?q=exchange+owa'\n"
    "    condition: selection",
    logsource=WEB,
    id="44444444-2222-3333-4444-555555555555",
)


def test_iis_values_written_as_iis_logs_them_match_too(tmp_path: Path) -> None:
    """IIS writes a space in the user agent, referer and cookie as '+', and many Sigma rules
    give those values as logged (SigmaHQ's Exchange web rules do): they match as well as
    values written with spaces, on IIS; the query keeps its '+' as it is."""
    line = shell_iis(agent="Googlebot/2.1 (+http://www.googlebot.com/bot.html)").replace(
        " - 200 ", " https://example.org/search?q=exchange+owa 200 ", 1
    )
    write(tmp_path, IIS, iis_log([*benign_iis(3), line]))
    result = hunt_web(tmp_path, IIS, ArtefactKind.IIS, RAW_AGENT_RULE)
    assert result.errors == []
    assert [f.rule_id[:4] for f in result.findings] == ["4444"]
    plus_query = RAW_AGENT_RULE.replace("cs-referer|contains", "cs-uri-query|contains").replace(
        "search?q=exchange+owa", "whoami+/all"
    )
    write(tmp_path, IIS, iis_log([*benign_iis(3), line.replace(SHELL_QUERY, "cmd=whoami+/all")]))
    assert [f.rule_id[:4] for f in hunt_web(tmp_path, IIS, ArtefactKind.IIS, plus_query).findings] == ["4444"]


def test_httpproxy_records_under_sigma_field_names(tmp_path: Path) -> None:
    row = httpproxy_row(
        DateTime="2021-08-12T10:03:00.120Z",
        Protocol="Autodiscover",
        UrlStem="/autodiscover/autodiscover.json",
        UrlQuery="?@evil.corp/powershell/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
        AuthenticatedUser="",
        UserAgent="Mozilla/5.0 (evil tool)",
        ClientIpAddress=ATTACKER,
        HttpStatus="200",
        Method="POST",
    )
    write(tmp_path, PROXY, httpproxy_log([*benign_httpproxy(8), row]))
    result = hunt_web(tmp_path, PROXY, ArtefactKind.HTTPPROXY, QUERY_START_RULE, AGENT_RULE)
    assert result.errors == []
    assert sorted((f.rule_id[:4], f.evidence.line) for f in result.findings) == [("2222", 14), ("3333", 14)]
    f = result.findings[0]
    assert f.http is not None and f.http.method == "POST" and f.http.status == 200
    assert f.http.url is not None and f.http.url.startswith("/autodiscover/autodiscover.json?@evil.corp/")


def test_web_rules_leave_event_logs_alone_and_event_rules_leave_web_logs_alone(tmp_path: Path) -> None:
    process_rule = rule_yaml("    sel:\n        CommandLine|contains: 'whoami'\n    condition: sel")
    write(tmp_path, IIS, iis_log([shell_iis()]))
    assert hunt_web(tmp_path, IIS, ArtefactKind.IIS, process_rule).findings == []


def test_sigmahq_exchange_web_rules_fire_on_exchange_logs(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / "sigma" / "rules-emerging-threats" / "2021" / "Exploits" / "ProxyShell-Exploit"
    if not folder.is_dir():
        pytest.skip("SigmaHQ ProxyShell web rules not in ../shared")
    line = iis_line(
        **{
            "date": "2021-08-12",
            "cs-method": "POST",
            "cs-uri-stem": "/autodiscover/autodiscover.json",
            "cs-uri-query": "@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
            "c-ip": ATTACKER,
            "sc-status": "200",
        }
    )
    write(tmp_path, IIS, iis_log([*benign_iis(30), line]))
    ctx = HostContext("EX01", None, HuntOptions(sigma_paths=(str(folder),)))
    result = registry()["sigma-web"].analyze(evidence(tmp_path, IIS, ArtefactKind.IIS), ctx)  # type: ignore[union-attr]
    titles = {f.title for f in result.findings}
    assert "Successful Exchange ProxyShell Attack" in titles
    assert {f.evidence.line for f in result.findings} == {35}
    (success,) = [f for f in result.findings if f.title == "Successful Exchange ProxyShell Attack"]
    assert success.chain == "ProxyShell"  # from the shipped per-rule mapping
