"""IIS logs as SIEMs export them (Elastic `iis` module JSON, Splunk CSV of `ms:iis:auto`) give the
same records and findings as the server's own W3C log of the same requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO
from exhunt.cli import main
from exhunt.evidence import discover
from exhunt.model import ArtefactKind

EXPORTS = REPO / "tests" / "data" / "web-exports"
W3C = """#Software: Microsoft Internet Information Services 10.0
#Version: 1.0
#Date: 2021-03-03 05:00:00
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken
2021-03-03 05:00:00 10.0.0.10 GET /owa/auth/logon.aspx url=https%3a%2f%2fmail%2fowa%2f 443 - 10.0.0.5 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 15
2021-03-03 05:01:00 10.0.0.10 POST /ecp/y.js - 443 - 203.0.113.7 ExchangeServicesClient/0.0.0.0 - 200 0 0 15
2021-03-03 05:02:00 10.0.0.10 POST /aspnet_client/system_web/shell.aspx - 443 - 203.0.113.7 python-requests/2.25.1 - 200 0 0 15
"""


def _hunt(capsys: pytest.CaptureFixture[str], path: Path) -> dict:
    main(["hunt", str(path), "--json", "-"])
    (host,) = json.loads(capsys.readouterr().out)["hosts"]
    return host


@pytest.mark.parametrize("fmt", ["elastic-iis", "splunk-iis"])
def test_siem_export_of_iis_reads_like_the_log(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (found,) = discover(str(EXPORTS / fmt))
    assert [f.kind for f in found.files] == [ArtefactKind.IIS]
    log = tmp_path / "EX01" / "W3SVC1" / "u_ex210303.log"
    log.parent.mkdir(parents=True)
    log.write_text(W3C)
    original = _hunt(capsys, tmp_path / "EX01")
    exported = _hunt(capsys, EXPORTS / fmt)
    assert exported["log_coverage"]["IIS"]["records"] == original["log_coverage"]["IIS"]["records"] == 3
    assert exported["log_coverage"]["IIS"]["first"] == original["log_coverage"]["IIS"]["first"]
    assert sorted(f["rule_id"] for f in exported["findings"]) == sorted(f["rule_id"] for f in original["findings"])
    assert {f["details"].get("client_ip") or f["source_ip"] for f in exported["findings"]} == {"203.0.113.7"}
    assert exported["verdict"] == original["verdict"] == "compromised"


def test_a_w3c_log_on_disk_is_read_as_itself(tmp_path: Path) -> None:
    from exhunt.artefacts.siem import as_w3c

    log = tmp_path / "u_ex210303.log"
    log.write_text(W3C * 2000)  # longer than the head read to sniff the format
    with log.open("rb") as fh:
        fh.seek(3)
        stream = as_w3c(fh)
        assert stream is fh  # no wrapper copying every block
        assert stream.read() == log.read_bytes()[3:]
