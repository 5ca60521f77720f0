"""Requests to web shells and tunnels in IIS logs, on built evidence and on the real shared IIS logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, Implies, Severity
from test_log_samples import benign_iis, by_rule, evidence, iis_line, iis_log, run, write

IIS = "C/inetpub/logs/LogFiles/W3SVC1/u_ex210304.log"


def get(stem: str, status: str = "200", method: str = "GET", ip: str = "203.0.113.9", query: str = "") -> str:
    return iis_line(
        **{
            "cs-uri-stem": stem,
            "sc-status": status,
            "cs-method": method,
            "c-ip": ip,
            "cs-uri-query": query,
            "cs(User-Agent)": "antSword/v2.1",
        }
    )


def test_scripts_that_exchange_does_not_ship(tmp_path: Path) -> None:
    lines = [
        *benign_iis(10),
        get("/aspnet_client/discover.aspx", method="POST"),  # 15 known path, ran
        get("/owa/auth/RedirSuiteServerProxy.aspx"),  # 16 known look-alike
        get("/owa/auth/8Lw7tAhF9i1pJnRo.aspx", status="404"),  # 17 known, probe
        get("/owa/auth/ChackLogsSE.aspx"),  # 18 known name family
        get("/ews/333.aspx"),  # 19 known, outside auth
        get("/owa/auth/Current/scripts/shellz.aspx", status="200"),  # 20 not stock
        get("/ecp/auth/blank.aspx", status="404"),  # 21 not stock, probe
        get("/aspnet_client/system_web/4_0_30319/x.ashx", method="POST"),  # 22 not stock
        get("/owa/auth/logon.aspx"),
        get("/OWA/auth/LogOff.aspx"),  # stock: nothing
        get("/ecp/auth/TimeoutLogoff.aspx"),
        get("/owa/auth/errorFE.aspx", status="500"),
        get("/aspnet_client/system_web/4_0_30319/WebUIValidation.js"),
        *benign_iis(3, start=500),
    ]
    write(tmp_path, IIS, iis_log(lines))
    result = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    known = by_rule(result, "EXH-IIS-WEBSHELL-KNOWN-PATH")
    other = by_rule(result, "EXH-IIS-WEBSHELL-ACCESS")
    assert [f.evidence.line for f in known] == [15, 16, 17, 18, 19]
    assert [f.evidence.line for f in other] == [20, 21, 22]
    assert len(result.findings) == 8
    ran = [f.evidence.line for f in result.findings if f.implies is Implies.COMPROMISE]
    assert ran == [15, 16, 18, 19, 20, 22]
    probe = known[2]
    assert (probe.implies, probe.severity) == (Implies.ATTEMPT, Severity.MEDIUM)
    assert known[1].detail("look_alike_of") == "/owa/auth/RedirSuiteServiceProxy.aspx"
    assert known[0].category == "webshell-access" and known[0].detail("published_user_agent") == "antSword/"
    assert "(POST)" in (known[0].detail("outcome") or "")


def test_regeorg_style_tunnel(tmp_path: Path) -> None:
    ip = "198.51.100.50"
    lines = [
        *benign_iis(5),
        get("/aspnet_client/tunnel.ashx", method="POST", ip=ip, query="cmd=connect&target=10.0.0.5&port=445"),
        *[get("/aspnet_client/tunnel.ashx", method="POST", ip=ip, query=q) for q in ["cmd=forward", "cmd=read"] * 5],
        get("/aspnet_client/tunnel.ashx", method="POST", ip=ip, query="cmd=disconnect"),
        # one stray request with a tunnel-like query is not a tunnel
        get("/owa/auth/logon.aspx", ip="10.9.9.9", query="cmd=read"),
    ]
    write(tmp_path, IIS, iis_log(lines))
    result = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    (tunnel,) = by_rule(result, "EXH-IIS-TUNNEL-WEBSHELL")
    assert tunnel.evidence.line == 10 and tunnel.detail("tunnel_target") == "10.0.0.5:445"
    assert tunnel.detail("tunnel_requests") == "12" and tunnel.implies is Implies.COMPROMISE
    assert by_rule(result, "EXH-IIS-WEBSHELL-ACCESS")  # the .ashx itself is also not stock


@pytest.mark.shared
def test_tunna_log_raises_tunnel_findings(shared_data: Path) -> None:
    path = shared_data / "iis" / "Tunna_rdp_tunnel_IIS.log"
    file = EvidenceFile(FileRef(str(path)), "iis/Tunna_rdp_tunnel_IIS.log", ArtefactKind.IIS, path.stat().st_size)
    result = run("iis-log", file)
    tunnels = by_rule(result, "EXH-IIS-TUNNEL-WEBSHELL")
    lines = path.read_text().splitlines()
    opens = [i + 1 for i, t in enumerate(lines) if " proxy&port=" in t]
    assert [f.evidence.line for f in tunnels] == opens and len(opens) == 3
    for f in tunnels:
        assert f.category == "webshell-access" and f.implies is Implies.COMPROMISE
        assert f.detail("script") == "/erp/conn.aspx" and f.detail("tunnel_target") == "127.0.0.1:3389"
        assert f.source_ip == "10.0.2.17"
        assert f.detail(
            "url",
        ).startswith("/erp/conn.aspx?proxy&port=3389")
    data_lines = sum(1 for t in lines if "/erp/conn.aspx" in t)
    assert tunnels[0].detail("tunnel_requests") == str(data_lines)
    assert {f.rule_id for f in result.findings} == {"EXH-IIS-TUNNEL-WEBSHELL"}
    span = result.coverage["IIS"]
    assert span.records == data_lines and span.files == 1
    assert span.first is not None and span.first.isoformat().startswith("2019-09-03T10:13:36")
    assert not result.errors


@pytest.mark.shared
def test_every_shared_iis_log_parses(shared_data: Path) -> None:
    from exhunt.artefacts.formats import iter_records
    from exhunt.artefacts.reader import ErrorLog
    from exhunt.artefacts.w3c import W3CFormat

    files = sorted(p for p in (shared_data / "iis").rglob("*") if p.is_file())
    assert len(files) >= 7
    for path in files:
        rel = str(path.relative_to(shared_data))
        result = run("iis-log", EvidenceFile(FileRef(str(path)), rel, ArtefactKind.IIS, path.stat().st_size))
        assert result.coverage["IIS"].records > 0, rel
        log = ErrorLog(rel)
        with path.open("rb") as fh:
            recs = list(iter_records(fh, W3CFormat(rel, log)))
        assert recs and all(r.get("cs-uri-stem").startswith("/") for r in recs), rel
        assert len(recs) == result.coverage["IIS"].records, rel
        # Expected: plaso's edge-case file has rows whose value count does not match #Fields.
        assert all("malformed" in e.message for e in log.finish()), rel
        assert not result.errors or all("malformed" in e.message for e in result.errors), rel
