"""`exhunt hunt` end to end: evidence discovery, every analyzer, assessment and outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import REPO
from exhunt.cli import main
from exhunt.model import HuntResult

EXAMPLES = REPO / "examples"


def _hunt(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["hunt", *args, "--json", "-"])
    return code, json.loads(capsys.readouterr().out)


def test_otrf_proxylogon_events_make_the_host_compromised(otrf_host: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _hunt(capsys, str(otrf_host))
    assert code == 1
    (h,) = doc["hosts"]
    assert h["verdict"] == "compromised"
    rules = {f["rule_id"] for f in h["findings"]}
    excerpts = " ".join(f["evidence"]["excerpt"] or "" for f in h["findings"]) + json.dumps(
        [f["details"] for f in h["findings"]]
    )
    assert "EXH-EVT-VDIR-URL-SCRIPT" in rules  # the OAB ExternalUrl carrying script
    assert "ohyeah.aspx" in excerpts  # the web shell dropped into owa\auth
    assert "whoami" in excerpts  # the web shell running a command
    for f in h["findings"]:
        assert f["evidence"]["path"].endswith(".json") and f["evidence"]["line"]


def test_otrf_events_read_from_the_zip_in_place(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _hunt(capsys, str(shared_data / "events" / "proxylogon_ssrf_rce_poc.zip"))
    assert code == 1 and doc["hosts"][0]["verdict"] == "compromised"


@pytest.fixture
def examples_copy(tmp_path: Path) -> Path:
    """A copy, so the test proves nothing about the repository's own files being touched."""
    if not EXAMPLES.is_dir():
        pytest.skip("examples/ not present")
    return Path(shutil.copytree(EXAMPLES, tmp_path / "examples"))


def test_bundled_examples(examples_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.read_bytes() for p in examples_copy.rglob("*") if p.is_file()}
    html, timeline = tmp_path / "r.html", tmp_path / "t.jsonl"
    code, doc = _hunt(capsys, str(examples_copy), "--html", str(html), "--timeline", str(timeline))
    assert code == 1
    verdicts = {h["host"]: h["verdict"] for h in doc["hosts"]}
    assert verdicts == {"EX01-compromised": "compromised", "EX02-clean": "clean"}
    ex01 = next(h for h in doc["hosts"] if h["host"] == "EX01-compromised")
    chains = {f["chain"] for f in ex01["findings"]}
    assert "ProxyLogon" in chains
    assert ex01["exchange_build"] == "15.1.2176.2"
    assert ex01["exposure"]["exposure"]["ProxyLogon"]["status"] == "vulnerable"
    assert ex01["remediation"], "a compromised host gets a plan"
    assert "<svg" in html.read_text() and timeline.read_text().count("\n") > 5
    # a saved result re-renders
    HuntResult.from_dict(doc)
    # evidence untouched
    assert {p: p.read_bytes() for p in examples_copy.rglob("*") if p.is_file()} == before


def test_missing_path_is_a_clear_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hunt", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-file-size", "0"], "--max-file-size must be at least 1"),
        (["--evtx-threads", "0"], "--evtx-threads must be at least 1"),
        (["--evtx-memory-bound", "-5"], "--evtx-memory-bound must be 0"),
        (["--file-scan-timeout", "0"], "--file-scan-timeout must be more than 0"),
        (["--per-rule", "-1"], "--per-rule must be 0"),
        # inf overflowed the unit timer (a traceback); nan passed every check and timed nothing.
        (["--unit-timeout", "inf"], "--unit-timeout must be 0 (off) or more, and finite"),
        (["--unit-timeout", "nan"], "--unit-timeout must be 0 (off) or more, and finite"),
        (["--file-scan-timeout", "inf"], "--file-scan-timeout must be more than 0 (seconds), and finite"),
        (["--code-analysis-timeout", "0"], "--code-analysis-timeout must be more than 0 (seconds), and finite"),
        (["--code-analysis-timeout", "nan"], "--code-analysis-timeout must be more than 0 (seconds), and finite"),
    ],
)
def test_out_of_range_settings_are_refused_not_bent(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 0 that was quietly raised to 1, or taken as the default, is refused with what is allowed,
    from the command line and from the configuration file alike."""
    assert main(["hunt", str(EXAMPLES), "--no-db", "-q", *argv]) == 2
    assert message in capsys.readouterr().err
    key, value = argv[0].lstrip("-").replace("-", "_"), argv[1]
    config = tmp_path / "config.toml"
    config.write_text(f"[hunt]\n{key} = {value}\n")
    try:
        code = main(["hunt", str(EXAMPLES), "--no-db", "-q", "--config", str(config)])
    except SystemExit as exc:  # the file's own check (negative numbers) is argparse's usage error
        code = exc.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    assert code == 2 and (message in err or "must not be negative" in err), err


def test_file_scan_timeout_is_taken_in_whole_seconds_rounded_up() -> None:
    """`--file-scan-timeout` is a float on the command line; before, any float was ignored for
    the default of 30 s, so the option never took effect."""
    from exhunt.analyzers import HuntOptions
    from exhunt.filehunt.toolkit import DEFAULT_SCAN_TIMEOUT, scan_timeout

    assert scan_timeout(HuntOptions(settings={"file_scan_timeout": 10.0})) == 10
    assert scan_timeout(HuntOptions(settings={"file_scan_timeout": 2.5})) == 3
    assert scan_timeout(HuntOptions(settings={"file_scan_timeout": 0.1})) == 1
    assert scan_timeout(HuntOptions(settings={"file_scan_timeout": 7})) == 7
    assert scan_timeout(HuntOptions(settings={"file_scan_timeout": True})) == DEFAULT_SCAN_TIMEOUT
    assert scan_timeout(HuntOptions(settings={})) == DEFAULT_SCAN_TIMEOUT


def test_one_log_file_is_hunted_on_its_own(tmp_path: Path) -> None:
    """`exhunt hunt u_ex210303.log`: the file a colleague mailed in, without its server's folders."""
    log = EXAMPLES / "EX01-compromised" / "C" / "inetpub" / "logs" / "LogFiles" / "W3SVC1" / "u_ex210303.log"
    out = tmp_path / "one.json"
    assert main(["hunt", str(log), "--no-db", "-q", "--json", str(out)]) == 1
    (host,) = json.loads(out.read_text())["hosts"]
    assert host["host"] == "u_ex210303" and host["verdict"] == "compromised"
    paths = {(f["evidence"]["path"], f["rule_id"]) for f in host["findings"]}
    assert ("u_ex210303.log", "EXH-PL-IIS-SSRF-ENTRY") in paths
    assert all(f["evidence"]["line"] for f in host["findings"] if f["evidence"]["path"] == "u_ex210303.log")


def test_sigma_levels_without_sigma_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It changes nothing without Sigma rules: a user who meant both hears so, even under -q."""
    missing = tmp_path / "levles.toml"
    assert main(["hunt", str(EXAMPLES / "EX02-clean"), "--no-db", "-q", "--sigma-levels", str(missing)]) == 0
    err = capsys.readouterr().err
    assert f"--sigma-levels {missing} is not used without --sigma; it does not exist either" in " ".join(err.split())
    levels = tmp_path / "levels.toml"
    levels.write_text("")
    assert main(["hunt", str(EXAMPLES / "EX02-clean"), "--no-db", "-q", "--sigma-levels", str(levels)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "is not used without --sigma" in err and "does not exist" not in err


def test_the_code_analysis_timeout_reaches_the_analysis_and_its_problem_the_report(tmp_path: Path) -> None:
    """A page's code analysis past `--code-analysis-timeout` is a timed-out problem of that file
    (the host is not clean); with time enough, the same page is followed to its finding."""
    root = tmp_path / "evidence" / "inetpub" / "wwwroot"
    root.mkdir(parents=True)
    body = "\n".join(f'string v{i} = Request["k{i}"] + "x";' for i in range(2000))
    (root / "big.aspx").write_text(
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        + body
        + '\nSystem.Diagnostics.Process.Start("cmd.exe", v1);\n}\n</script>\n',
        encoding="utf-8",
    )
    reports = {}
    for seconds in ("0.001", "60"):
        out = tmp_path / f"{seconds}.json"
        main(
            [
                "hunt",
                str(tmp_path / "evidence"),
                "--no-db",
                "-q",
                "--code-analysis-timeout",
                seconds,
                "--json",
                str(out),
            ]
        )
        reports[seconds] = out.read_text(encoding="utf-8")
    assert "code analysis stopped: deadline" in reports["0.001"]
    assert "code analysis stopped" not in reports["60"]
    assert "EXH-WS-CODE-PROCESS" in reports["60"]
