"""The verdict fails closed end to end: `clean` only on complete evidence read without a problem
that hid part of it, with an exit code of its own for `insufficient-evidence`."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from conftest import REPO
from exhunt.analyzers.iis import IisAnalyzer
from exhunt.artefacts.records import LogRecord
from exhunt.cli import main
from exhunt.evidence.base import HostProblem, listing_problem
from exhunt.model import ProblemKind

EX02 = REPO / "examples" / "EX02-clean"


def _hunt(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["hunt", *args, "--json", "-"])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def clean_copy(tmp_path: Path) -> Path:
    if not EX02.is_dir():
        pytest.skip("examples/ not present")
    return Path(shutil.copytree(EX02, tmp_path / "EX02"))


def test_clean_example_is_clean_with_exit_code_0(clean_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _hunt(capsys, str(clean_copy))
    (host,) = doc["hosts"]
    assert (code, host["verdict"]) == (0, "clean"), host["verdict_reason"]
    assert not [e for e in host["errors"] if e["kind"] not in ("evidence-malformed", "partly-analyzed")]


def test_a_detector_that_raises_makes_clean_evidence_insufficient(
    clean_copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(self: IisAnalyzer, rec: LogRecord, rules: frozenset[str], hunt: object) -> None:
        raise ZeroDivisionError("a bug in the detector")

    monkeypatch.setattr(IisAnalyzer, "every_line", True)  # every record reaches the detector
    monkeypatch.setattr(IisAnalyzer, "check", explode)
    code, doc = _hunt(capsys, str(clean_copy), "--jobs", "1")
    (host,) = doc["hosts"]
    assert code == 3
    assert host["verdict"] == "insufficient-evidence"
    reason = host["verdict_reason"]
    assert "analyzer-failed" in reason and "iis-log" in reason and "u_ex23" in reason
    failed = [e for e in host["errors"] if e["kind"] == "analyzer-failed"]
    iis_files = list(clean_copy.rglob("u_ex*.log"))
    # one problem per file, however many records failed, each naming the detector and its first line
    assert len(failed) == len(iis_files)
    assert all(e["producer"] == "iis-log" and e["line"] and "ZeroDivisionError" in e["message"] for e in failed)


def test_iis_logs_and_web_files_alone_are_not_clean(clean_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(clean_copy / "C" / "Program Files")
    shutil.rmtree(clean_copy / "events")
    code, doc = _hunt(capsys, str(clean_copy))
    (host,) = doc["hosts"]
    assert (code, host["verdict"]) == (3, "insufficient-evidence")
    assert "HttpProxy logs" in host["verdict_reason"] and "event logs" in host["verdict_reason"]


def test_findings_outrank_insufficient_evidence_in_the_exit_code(
    clean_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hosts = tmp_path / "hosts"
    hosts.mkdir()
    shutil.copytree(REPO / "examples" / "EX01-compromised", hosts / "EX01")
    shutil.copytree(clean_copy / "C" / "inetpub", hosts / "EX03" / "C" / "inetpub")
    code, doc = _hunt(capsys, str(hosts))
    assert {h["host"]: h["verdict"] for h in doc["hosts"]} == {
        "EX01": "compromised",
        "EX03": "insufficient-evidence",
    }
    assert code == 1


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["hunt", "--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out and "3  no findings, but" in out


def test_reports_never_claim_full_coverage_next_to_blind_spots(
    clean_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "r.html"
    code = main(["hunt", str(clean_copy), "--html", str(page)])
    out = capsys.readouterr().out
    assert code == 0 and "CLEAN" in out and "Blind spots" in out
    html = page.read_text()
    assert "Every check ran on enough evidence" not in html
    assert "Some questions stay open" in html and "blind spots" in html


def test_console_counts_problems_by_kind_and_names_who_met_them(
    clean_copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(self: IisAnalyzer, rec: LogRecord, rules: frozenset[str], hunt: object) -> None:
        raise ZeroDivisionError("a bug in the detector")

    monkeypatch.setattr(IisAnalyzer, "every_line", True)
    monkeypatch.setattr(IisAnalyzer, "check", explode)
    assert main(["hunt", str(clean_copy)]) == 3
    out = capsys.readouterr().out
    assert "INSUFFICIENT-EVIDENCE" in out
    assert "9 analyzer-failed" in out and "analyzer-failed [iis-log]" in out


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and symbolic links as POSIX has them")
def test_evidence_listing_problems_carry_the_kind_their_lister_gave(tmp_path: Path) -> None:
    """The lister says what went wrong; nothing is guessed from the words of its message."""
    from exhunt.engine import listing_problems
    from exhunt.evidence import discover

    root = tmp_path / "EX01" / "C" / "inetpub" / "wwwroot"
    (root / "sub").mkdir(parents=True)
    (root / "a.aspx").write_text("<%@ Page %>")
    os.mkfifo(root / "pipe.aspx")
    (root / "gone.aspx").symlink_to(root / "missing.aspx")
    (root / "again").symlink_to(root / "sub")
    (host,) = discover(str(tmp_path / "EX01"))
    kinds = {p.path.rsplit("/", 1)[-1]: (p.kind, p.producer) for p in listing_problems(host)}
    assert kinds["pipe.aspx"] == (ProblemKind.UNSUPPORTED, "evidence")
    assert kinds["gone.aspx"] == (ProblemKind.UNREADABLE, "evidence")
    assert kinds["again"] == (ProblemKind.MALFORMED, "evidence")
    worded = listing_problem(HostProblem("a/b", "encrypted? no: the word only", ProblemKind.UNREADABLE))
    assert worded.kind is ProblemKind.UNREADABLE


def test_an_encrypted_collection_is_an_encrypted_problem(tmp_path: Path) -> None:
    import zipfile

    from exhunt.engine import listing_problems
    from exhunt.evidence import discover

    path = tmp_path / "Collection-EX10-2024-01-01T00_00_00Z.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", '{"EncryptionScheme": "X509"}')
        zf.writestr("data.zip", b"PK\x03\x04garbage")
    (host,) = discover(str(path))
    kinds = {p.path: p.kind for p in listing_problems(host)}
    assert kinds[path.name] is ProblemKind.ENCRYPTED
