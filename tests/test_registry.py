"""The artefact registry: every kind declared once, consumed by an analyzer, asked by the rest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import REPO
from exhunt import assess, engine, registry
from exhunt.analyzers import HostContext, HuntOptions, file_analyzers
from exhunt.cli import main
from exhunt.evidence.base import EvidenceFile, FileRef, HostEvidence
from exhunt.evidence.classify import kind_from_content, kind_from_path
from exhunt.model import ArtefactKind, ProblemKind
from exhunt.registry import Role

EX02 = REPO / "examples" / "EX02-clean"

HTTPERR = (
    "#Software: Microsoft HTTP API 2.0\r\n#Version: 1.0\r\n#Date: 2023-01-20 10:00:00\r\n"
    "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status "
    "s-siteid s-reason s-queuename\r\n"
    "2023-01-20 10:00:01 198.51.100.7 50112 10.0.0.5 443 HTTP/1.1 GET /owa/ - 503 1 QueueFull MSExchangeOWAAppPool\r\n"
    "2023-01-20 10:00:05 198.51.100.7 50113 10.0.0.5 443 HTTP/1.1 POST "
    "/autodiscover/autodiscover.json?@evil.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.example"
    " - 400 - BadRequest -\r\n"
    "2023-01-20 10:00:09 198.51.100.7 50114 10.0.0.5 443 - - - - - - Timer_ConnectionIdle -\r\n"
)
ECP_ACTIVITY = (
    "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: ECP Activity Context Log\r\n"
    "#Fields: TimeStamp,ServerName,EventId,EventData\r\n"
    '2023-01-20T10:01:00.000Z,EX02,ECP.Request,"S:URL=https://localhost:444/ecp/default.aspx;S:Bld=15.1.2507.16"\r\n'
    "2023-01-20T10:02:00.000Z,EX02,ECP.Request,\"'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://f/"
    '<script language=""JScript"" runat=""server"">function Page_Load(){}</script>'
    ".Identity="
    "x"
    ""
    "';S:Bld=15.1.2507.16\"\r\n"
)


def test_every_kind_is_declared_once_and_has_a_consumer() -> None:
    kinds = [a.kind for a in registry.ARTEFACTS]
    assert sorted(kinds) == sorted(ArtefactKind) and len(set(kinds)) == len(kinds)
    for art in registry.ARTEFACTS:
        assert file_analyzers(art.kind), f"{art.kind} is classified but no analyzer reads it"
        assert art.title and art.reader and art.blind_spot


def test_assessment_asks_the_registry() -> None:
    assert assess.WEB_LOGS == ("HttpProxy", "IIS")
    assert list(assess.JUDGED_ON) == ["HttpProxy", "IIS", "ECPServer", "OABGeneratorLog", "EventLog"]
    assert {"HTTPERR", "ECPActivity", "RpsHttp"} <= set(assess.BLIND_WITHOUT)
    assert all(a.role in (Role.WEB_LOG, Role.SUPPORTING_LOG, Role.EVENT_LOG) for a in registry.ARTEFACTS if a.judged_on)


def test_collection_paths_cover_every_log_and_say_where_it_lives() -> None:
    paths = registry.collection_paths()
    by_kind: dict[ArtefactKind, list[str]] = {}
    for kind, path in paths:
        by_kind.setdefault(kind, []).append(path)
        assert path.startswith("%") and "/" not in path
    for art in registry.of_role(Role.WEB_LOG, Role.SUPPORTING_LOG):
        assert by_kind.get(art.kind), art.kind
    assert r"%SystemRoot%\System32\LogFiles\HTTPERR\*.log" in by_kind[ArtefactKind.HTTPERR]
    assert registry.live_folders("%SystemRoot%") == [
        (r"%SystemRoot%\System32\winevt\Logs", registry.artefact(ArtefactKind.EVTX)),
        (r"%SystemRoot%\System32\LogFiles\HTTPERR", registry.artefact(ArtefactKind.HTTPERR)),
    ]


@pytest.mark.parametrize(
    ("path", "content", "kind"),
    [
        ("windows/system32/logfiles/httperr/httperr1.log", None, ArtefactKind.HTTPERR),
        ("copied/httperr12.log", None, ArtefactKind.HTTPERR),
        ("v15/logging/ecp/activity/ecpactivity_1_20230120-1.log", None, ArtefactKind.ECP_ACTIVITY),
        ("loose/x.log", HTTPERR, ArtefactKind.HTTPERR),
        ("loose/y.log", ECP_ACTIVITY, ArtefactKind.ECP_ACTIVITY),
    ],
)
def test_httperr_and_ecp_activity_are_classified(path: str, content: str | None, kind: ArtefactKind) -> None:
    parts = tuple(path.split("/"))
    found = kind_from_path(parts)
    if content is not None:
        assert found is None
        found = kind_from_content(content.encode(), parts[-1])
    assert found is kind


def test_httperr_and_ecp_activity_show_in_coverage_and_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not EX02.is_dir():
        pytest.skip("examples/ not present")
    root = Path(shutil.copytree(EX02, tmp_path / "EX02"))
    httperr = root / "C" / "Windows" / "System32" / "LogFiles" / "HTTPERR"
    httperr.mkdir(parents=True)
    (httperr / "httperr1.log").write_text(HTTPERR, newline="")
    activity = root / "C" / "Program Files" / "Microsoft" / "Exchange Server" / "V15" / "Logging" / "ECP" / "Activity"
    activity.mkdir(parents=True)
    (activity / "ECPActivity_1234_20230120-1.LOG").write_text(ECP_ACTIVITY, newline="")
    code = main(["hunt", str(root), "--json", "-"])
    (host,) = json.loads(capsys.readouterr().out)["hosts"]
    assert host["log_coverage"]["HTTPERR"]["records"] == 3
    assert host["log_coverage"]["ECPActivity"]["records"] == 2
    by_rule = {f["rule_id"]: f for f in host["findings"]}
    refused = by_rule["EXH-PS-AUTODISCOVER-SSRF"]
    assert refused["evidence"]["path"].endswith("httperr1.log") and refused["implies"] == "attempt"
    assert refused["details"]["httperr_reason"] == "BadRequest" and refused["source_ip"] == "198.51.100.7"
    script = by_rule["EXH-PL-27065-ECP-VDIR-SCRIPT"]
    assert script["evidence"]["path"].endswith(".LOG") and "ECPActivity" in script["evidence"]["path"]
    assert (code, host["verdict"]) == (1, "compromised")
    assert not host["errors"]


def test_a_kind_nobody_reads_is_a_not_analyzed_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "httperr1.log"
    log.write_text(HTTPERR)
    host = HostEvidence("EX01", str(tmp_path), "files")
    host.files.append(EvidenceFile(FileRef(str(log)), "httperr1.log", ArtefactKind.HTTPERR, log.stat().st_size))
    monkeypatch.setattr(engine, "file_analyzers", lambda kind: [])
    monkeypatch.setattr(engine, "host_analyzers", lambda: [])
    result = engine.analyze_host(host, HostContext("EX01", None, HuntOptions()), jobs=1)
    (problem,) = result.errors
    assert (problem.kind, problem.path, problem.producer) == (ProblemKind.NOT_ANALYZED, "httperr1.log", "engine")
    assert "HTTPERR" in problem.message
