"""Every detector fills the typed facets writers read: request, file, event, process, accounts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO
from exhunt.cli import main
from exhunt.model import HuntResult


@pytest.fixture(scope="module")
def examples_hunt() -> HuntResult:
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        main(["hunt", str(REPO / "examples"), "--json", "-", "--jobs", "1"])
    return HuntResult.from_dict(json.loads(out.getvalue()))


def test_log_findings_carry_the_request(examples_hunt: HuntResult) -> None:
    logs = [f for h in examples_hunt.hosts for f in h.findings if f.evidence.path.lower().endswith(".log")]
    web = [f for f in logs if f.rule_id not in ("EXH-PL-26858-OAB-PATH",)]
    assert web
    for f in web:
        assert f.http is not None, f.rule_id
        assert f.http.url or f.http.request_id, f.rule_id
    iis = [f for f in web if "/W3SVC" in f.evidence.path]
    assert iis and all(f.http and f.http.status and f.http.method and f.http.client_ip for f in iis)
    proxy = [f for f in web if "/HttpProxy/" in f.evidence.path]
    assert proxy and all(f.http and f.http.request_id for f in proxy)


def test_file_findings_carry_the_file(examples_hunt: HuntResult) -> None:
    on_disk = [f for h in examples_hunt.hosts for f in h.findings if f.evidence.sha256]
    assert on_disk
    for f in on_disk:
        assert f.file is not None and f.file.sha256 == f.evidence.sha256 and f.file.size is not None
        assert f.file.place


def test_event_findings_carry_event_process_and_accounts(otrf_host: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["hunt", str(otrf_host), "--json", "-", "--jobs", "1"])
    result = HuntResult.from_dict(json.loads(capsys.readouterr().out))
    findings = result.hosts[0].findings
    assert findings and all(f.event is not None and f.event.event_id is not None for f in findings)
    processes = [f for f in findings if f.process is not None]
    assert any(f.process and f.process.image and f.process.command_line for f in processes)
    assert any(f.accounts for f in findings)


def test_facets_survive_the_json(examples_hunt: HuntResult) -> None:
    doc = examples_hunt.to_dict()
    findings = [f for h in doc["hosts"] for f in h["findings"]]
    assert any("http" in f for f in findings) and any("file" in f for f in findings)
    assert HuntResult.from_dict(json.loads(json.dumps(doc))) == examples_hunt
