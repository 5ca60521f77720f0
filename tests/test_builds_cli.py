"""`exhunt build`: JSON contract, tables that fit 80 columns, stdin, exit codes, bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from exhunt.builds import assess_build
from exhunt.cli import main
from exhunt.commands.build import read_lines, render, shown

ISSUE_BUILDS = ["15.1.2176.2", "15.1.2176.9", "15.2.1118.20", "15.0.1497.2", "14.3.513.0"]
PL = ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"]
PS = ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"]
PNS = ["CVE-2022-41040", "CVE-2022-41082"]
OWA = ["CVE-2022-41080"]


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = main(["build", *args, "--json", "-", "-q"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def chains(item: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    return {chain: (e["status"], e["cves"]) for chain, e in item["exposure"].items()}


def test_issue_builds_json_matches_the_notes(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = run_json(ISSUE_BUILDS, capsys)
    assert code == 1 and err == ""
    assert doc["schema"] == "exhunt.build/1"
    items = {i["input"]: i for i in doc["builds"]}
    assert list(items) == ISSUE_BUILDS

    cu19 = items["15.1.2176.2"]
    assert (cu19["name"], cu19["release_date"]) == ("Exchange Server 2016 CU19", "2020-12-15")
    assert chains(cu19) == {
        "ProxyLogon": ("vulnerable", PL),
        "ProxyShell": ("vulnerable", PS),
        "ProxyNotShell": ("vulnerable", PNS),
        "OWASSRF": ("vulnerable", OWA),
    }

    mar21 = items["15.1.2176.9"]
    assert mar21["name"] == "Exchange Server 2016 CU19 Mar21SU"
    assert chains(mar21) == {
        "ProxyLogon": ("patched", []),
        "ProxyShell": ("vulnerable", PS),
        "ProxyNotShell": ("vulnerable", PNS),
        "OWASSRF": ("vulnerable", OWA),
    }

    nov22 = items["15.2.1118.20"]
    assert nov22["name"] == "Exchange Server 2019 CU12 Nov22SU"
    assert {s for s, _ in chains(nov22).values()} == {"patched"}

    e13 = items["15.0.1497.2"]
    assert e13["name"] == "Exchange Server 2013 CU23"
    assert chains(e13) == {
        "ProxyLogon": ("vulnerable", PL),
        "ProxyShell": ("vulnerable", PS),
        "ProxyNotShell": ("vulnerable", PNS),
        "OWASSRF": ("vulnerable", OWA),
    }
    assert e13["next_update"] == {
        "name": "Exchange Server 2013 CU23 Mar23SU",
        "build": "15.0.1497.48",
        "kb": "KB5024296",
        "note": None,
    }

    e10 = items["14.3.513.0"]
    assert e10["name"] == "Exchange Server 2010 SP3 RU32"
    later = ("ProxyShell", "ProxyNotShell", "OWASSRF")
    assert chains(e10) == dict.fromkeys(["ProxyLogon", *later], ("patched", []))
    assert [e10["exposure"][c]["note"] for c in later] == ["not affected"] * 3
    assert e10["next_update"] is None

    for item in doc["builds"]:
        assert item["error"] is None
        assert set(item) >= {"input", "build", "name", "release_date", "exposure", "next_update", "error"}


def test_cu19_next_update_names_the_cu_and_the_su(capsys: pytest.CaptureFixture[str]) -> None:
    _, doc, _ = run_json(["15.1.2176.2"], capsys)
    nxt = doc["builds"][0]["next_update"]
    assert nxt["name"].startswith("Exchange Server 2016 CU23 ") and nxt["kb"].startswith("KB")
    assert "CU23 (15.1.2507.6" in nxt["note"] and "first" in nxt["note"]


def test_all_patched_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "15.2.1118.20", "15.2.2562.17"]) == 0
    assert "2 build(s): 0 exposed, 2 patched" in capsys.readouterr().out


def test_unknown_product_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "8.3.517.0"]) == 1
    assert "unknown" in capsys.readouterr().out


def test_bad_input_exits_2_and_still_reports_good_builds(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = run_json(["15.1", "abc", "15.1.2176.2", "15.1.99999.1"], capsys)
    assert code == 2
    assert [i["error"] is None for i in doc["builds"]] == [False, False, True, False]
    lines = err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("exhunt build: ") for line in lines)
    assert "'15.1'" in lines[0] and "'abc'" in lines[1] and "far outside" in lines[2]


def test_bad_input_has_no_traceback_in_a_real_process() -> None:
    argv = [sys.executable, "-m", "exhunt", "build", "abc", "15.1", "15.1.99999.1", "15.1.2176.2"]
    out = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr + out.stdout
    assert len(out.stderr.strip().splitlines()) == 3
    assert "Exchange Server 2016 CU19" in out.stdout


def test_hostile_input_is_shown_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "\x1b[31m15.1\x07" + "x" * 300]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "\\x1b" in err and len(err.splitlines()[0]) < 400
    assert "\\t" in shown("a\tb")


def test_builds_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = b"15.1.2176.2\n\n# a comment\n  15.2.1118.20  \r\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, doc, _ = run_json([], capsys)
    assert code == 1
    assert [i["build"] for i in doc["builds"]] == ["15.1.2176.2", "15.2.1118.20"]


GET_EXCHANGESERVER = (
    "\r\nName    Edition     AdminDisplayVersion\r\n----    -------     -------------------\r\n"
    "EX01    Enterprise  Version 15.1 (Build 2176.2)\r\nEX02    Standard    Version 15.2 (Build 1118.40)\r\n\r\n"
)
EXSETUP_VERSION = (
    "ProductVersion   FileVersion      FileName\r\n--------------   -----------      --------\r\n"
    "15.01.2176.009   15.01.2176.009   C:\\Program Files\\Microsoft\\Exchange Server\\V15\\bin\\ExSetup.exe\r\n"
)


@pytest.mark.parametrize(
    ("table", "builds"),
    [(GET_EXCHANGESERVER, ["15.1.2176", "15.2.1118"]), (EXSETUP_VERSION, ["15.1.2176.9"])],
)
def test_a_powershell_table_is_read_line_by_line(
    table: str, builds: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `Get-ExchangeServer | ft Name,Edition,AdminDisplayVersion > servers.txt` and a file's
    version info print: the heading and rule lines hold no build and are passed by, and each
    server's line is assessed by the build it holds, keeping its text (its server's name)."""
    saved = tmp_path / "servers.txt"
    saved.write_bytes("\ufeff".encode("utf-16-le") + table.encode("utf-16-le"))
    code, doc, err = run_json(["-i", str(saved)], capsys)
    assert code == 1 and err == ""
    assert [b["build"] for b in doc["builds"]] == builds
    assert all(b["error"] is None for b in doc["builds"])
    if table is GET_EXCHANGESERVER:
        assert [b["input"].split()[0] for b in doc["builds"]] == ["EX01", "EX02"]
    assert main(["build", "-i", str(saved)]) == 1
    assert "from: " in capsys.readouterr().out


def test_a_line_with_two_builds_or_none_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = run_json(["EX01 15.1.2176.2 EX02 15.2.1118.40", "EX03 2021.03.02", "15.1.2176.2"], capsys)
    assert code == 2 and [b["build"] for b in doc["builds"]] == [None, None, "15.1.2176.2"]
    assert "more than one build on one line" in err and "EX03 2021.03.02" in err


def test_dash_mixes_arguments_and_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"15.2.1118.20\n")))
    _, doc, _ = run_json(["14.3.513.0", "-"], capsys)
    assert [i["build"] for i in doc["builds"]] == ["14.3.513.0", "15.2.1118.20"]


def test_no_build_on_a_terminal_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    assert main(["build"]) == 2
    assert "no build given" in capsys.readouterr().err


@pytest.mark.parametrize(
    "data",
    [
        "\ufeff15.1.2176.2\r\n15.0.1497.2\r\n".encode("utf-16-le"),  # PowerShell pipe, with BOM
        "15.1.2176.2\n15.0.1497.2\n".encode("utf-16-le"),  # no BOM
        b"\xef\xbb\xbf15.1.2176.2\n15.0.1497.2",  # UTF-8 BOM
        b"15.1.2176.2\n\xff\xfe\x00junk\n15.0.1497.2\n",  # binary junk between builds
    ],
)
def test_read_lines_decodes_what_shells_pipe(data: bytes) -> None:
    lines = read_lines(data)
    assert lines[0] == "15.1.2176.2" and lines[-1] == "15.0.1497.2"


def test_tables_fit_80_columns() -> None:
    builds = [
        *ISSUE_BUILDS,
        "15.1.2106.13",
        "15.1.2176",
        "8.3.517.0",
        "15.1.2507.99",
        "15.1.2176.10",
        "Version 15.2 (Build 1118.7)",
        "abc",
    ]
    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    render([assess_build(b) for b in builds], console)
    text = console.export_text()
    lines = text.splitlines()
    assert len(lines) > 100
    too_wide = [line for line in lines if len(line) > 80]
    assert not too_wide, too_wide
    for expected in (
        "Exchange Server 2016 CU19 Mar21SU",
        "vulnerable-unless-su",
        "CVE-2021-26857",
        "next update: Exchange Server 2013 CU23 Mar23SU",
        "not affected",
        "unknown",
    ):
        assert expected in text


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["build", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "exhunt build 15.1.2176.2" in out and "--json" in out
