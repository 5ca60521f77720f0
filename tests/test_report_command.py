from __future__ import annotations

import json
from pathlib import Path

import pytest
import stix2

from exhunt.cli import main
from exhunt.model import HuntResult, Verdict
from exhunt.report.html import render_html
from test_report_fixtures import HOSTILE, clean_host, compromised_host, hunt

HEAD = b'{"schema": "exhunt.hunt/1", "started": "2024-01-01T00:00:00Z", "finished": "2024-01-01T00:00:01Z",'


def _save(tmp_path: Path, result: HuntResult, name: str = "results.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
    return path


def test_rerender_every_output_from_saved_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hunt(compromised_host(HOSTILE), clean_host())
    saved = _save(tmp_path, result)
    html, timeline, iocs = tmp_path / "r.html", tmp_path / "t.jsonl", tmp_path / "i.json"
    code = main(["report", str(saved), "--html", str(html), "--timeline", str(timeline), "--stix", str(iocs)])
    assert code == 1  # a host has findings
    assert html.read_text(encoding="utf-8") == render_html(result)
    assert len(timeline.read_text(encoding="utf-8").splitlines()) == 5
    stix2.parse(iocs.read_text(encoding="utf-8"))
    out = capsys.readouterr().out
    assert "2 hosts" in out and "2 findings without a time left out" in out


def test_clean_result_exits_zero(tmp_path: Path) -> None:
    saved = _save(tmp_path, hunt(clean_host()))
    assert main(["report", str(saved), "--html", str(tmp_path / "r.html")]) == 0


def test_insufficient_evidence_result_exits_as_the_hunt_did(tmp_path: Path) -> None:
    """Re-rendering a hunt whose host could not be called clean is not a clean result: exit 3,
    as `exhunt hunt` gave; a host with findings still outranks it."""
    short = clean_host("EX03")
    short.verdict = Verdict.INSUFFICIENT
    short.verdict_reason = "No HttpProxy or IIS logs"
    saved = _save(tmp_path, hunt(clean_host(), short))
    assert main(["report", str(saved), "--html", str(tmp_path / "r.html"), "-q"]) == 3
    saved = _save(tmp_path, hunt(short, compromised_host()))
    assert main(["report", str(saved), "--html", str(tmp_path / "r.html"), "-q"]) == 1


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    saved = tmp_path / "bom.json"
    saved.write_bytes(b"\xef\xbb\xbf" + json.dumps(hunt(clean_host()).to_dict()).encode())
    assert main(["report", str(saved), "--timeline", str(tmp_path / "t.csv")]) == 0


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_its_byte_order_mark_is_accepted(tmp_path: Path, encoding: str) -> None:
    """What Windows PowerShell 5 writes when a result is saved again with `>` or `Out-File`."""
    text = json.dumps(hunt(compromised_host()).to_dict(), ensure_ascii=False)
    saved = tmp_path / "ps.json"
    saved.write_bytes(("\ufeff" + text).encode(encoding))
    assert saved.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    out = tmp_path / "again.json"
    assert main(["report", str(saved), "--json", str(out)]) == 1
    plain = tmp_path / "plain.json"
    plain.write_text(text, encoding="utf-8")
    again = tmp_path / "again-plain.json"
    assert main(["report", str(plain), "--json", str(again)]) == 1
    assert json.loads(out.read_text()) == json.loads(again.read_text())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00binary", "not a text file"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"schema": "exhunt.scan/1", "results": []}', "not an exhunt hunt result"),
        (
            HEAD + b' "hosts": [{"verdict": "clean"}]}',
            "bad or missing field",
        ),
        (
            HEAD + b' "hosts": [{"host": "A", "verdict": "pwned"}]}',
            "pwned",
        ),
        (
            b'{"schema": "exhunt.hunt/1", "started": "yesterday", "finished": "2024-01-01T00:00:01Z"}',
            "yesterday",
        ),
        (
            HEAD + b' "hosts": 5}',
            "bad or missing field",
        ),
    ],
)
def test_bad_input_is_a_clear_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    saved = tmp_path / "results.json"
    if content is not None:
        saved.write_bytes(content)
    out = tmp_path / "r.html"
    assert main(["report", str(saved), "--html", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_a_folder_is_not_a_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path), "--html", str(tmp_path / "r.html")]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = _save(tmp_path, hunt(clean_host()))
    assert main(["report", str(saved)]) == 2
    assert "nothing to write" in capsys.readouterr().err
    assert main(["report", str(saved), "--timeline", str(tmp_path / "t.txt")]) == 2
    assert ".csv or .jsonl" in capsys.readouterr().err
    assert main(["report", str(saved), "--html", str(tmp_path / "missing" / "r.html")]) == 2
    assert "cannot write" in capsys.readouterr().err
    # From the hunt store too, and before the store is opened: a stored hunt of many hosts takes a while.
    db = tmp_path / "no-store.sqlite"
    assert main(["report", "--hunt", "1", "--db", str(db), "--html", str(tmp_path / "missing" / "r.html")]) == 2
    assert f"its folder {tmp_path / 'missing'} does not exist" in capsys.readouterr().err
    assert not db.exists()


SAVED_V1 = Path(__file__).parent / "data" / "hunt-v1-examples.json"  # written by an exhunt.hunt/1 release


def test_old_v1_json_still_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(SAVED_V1.read_text(encoding="utf-8"))
    assert doc["schema"] == "exhunt.hunt/1"
    result = HuntResult.from_dict(doc)
    ex01 = result.hosts[0]
    assert ex01.verdict == "compromised" and len(ex01.findings) == len(doc["hosts"][0]["findings"])
    first = doc["hosts"][0]["findings"][0]
    assert dict(ex01.findings[0].details) == first["details"]  # details kept in their order
    html, timeline, iocs = tmp_path / "r.html", tmp_path / "t.jsonl", tmp_path / "i.json"
    code = main(["report", str(SAVED_V1), "--html", str(html), "--timeline", str(timeline), "--stix", str(iocs)])
    assert code == 1
    assert "EX01-compromised" in html.read_text(encoding="utf-8")
    assert "EX01-compromised" in timeline.read_text(encoding="utf-8")
    assert json.loads(iocs.read_text(encoding="utf-8"))["type"] == "bundle"


def test_v2_round_trip_is_loss_free(tmp_path: Path) -> None:
    result = hunt(compromised_host(HOSTILE), clean_host())
    doc = result.to_dict()
    assert doc["schema"] == "exhunt.hunt/2"
    again = HuntResult.from_dict(json.loads(json.dumps(doc)))
    assert again == result
    assert again.to_dict() == doc
    # a /1 document re-read and written again is a /2 document with the same content
    old = HuntResult.from_dict(json.loads(SAVED_V1.read_text(encoding="utf-8")))
    assert HuntResult.from_dict(old.to_dict()) == old


def test_a_result_piped_in_on_standard_input(tmp_path: Path) -> None:
    # `exhunt hunt ... --json - | exhunt report - --stix iocs.json`: '-' was taken for a file
    # named '-' ("no such file"), and a pipe named as /dev/stdin is refused as no regular file.
    import subprocess
    import sys

    saved = _save(tmp_path, hunt(compromised_host(), clean_host()))
    iocs = tmp_path / "i.json"
    proc = subprocess.run(
        [sys.executable, "-m", "exhunt", "report", "-", "-q", "--stix", str(iocs)],
        input=saved.read_bytes(),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr.decode()
    assert stix2.parse(iocs.read_text(encoding="utf-8")).type == "bundle"
    bad = subprocess.run(
        [sys.executable, "-m", "exhunt", "report", "-", "--json", str(tmp_path / "x.json")],
        input=b"not json",
        capture_output=True,
        timeout=120,
    )
    assert bad.returncode == 2 and b"exhunt report: standard input: not valid JSON" in bad.stderr
