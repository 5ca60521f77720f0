"""Subcommands are imported only when asked for: a quick `exhunt build` loads no HTTP client."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

_PROBE = """
import sys
from exhunt.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print("LOADED", " ".join(sorted(m for m in sys.modules if m.split(".")[0] in {{"aiohttp", "jinja2", "hyperscan", "yara_x", "evtx", "sigma"}} or m == "exhunt.model" or m.startswith(("exhunt.scan", "exhunt.analyzers", "exhunt.commands.", "exhunt.events")))))
"""


def _loaded(*argv: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=list(argv))], capture_output=True, text=True, check=False, timeout=60
    )
    line = next(line for line in out.stdout.splitlines() if line.startswith("LOADED"))
    return set(line.split()[1:])


def test_build_loads_neither_the_scanner_nor_the_hunt() -> None:
    loaded = _loaded("build", "15.1.2176.2")
    assert "aiohttp" not in loaded
    assert loaded == {"exhunt.commands.build"}  # nor the hunt's model (exhunt.model)


@pytest.mark.parametrize("command", ["rules", "report"])
def test_other_commands_load_no_http_client(command: str) -> None:
    loaded = _loaded(command, "--help") if command == "report" else _loaded(command)
    assert not {m for m in loaded if m.split(".")[0] == "aiohttp"}
    assert f"exhunt.commands.{command}" in loaded and "exhunt.commands.scan" not in loaded


def test_hunt_loads_no_http_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_DB", str(tmp_path / "db" / "scans.sqlite"))  # the hunt store goes beside it
    log = tmp_path / "evidence" / "inetpub" / "logs" / "LogFiles" / "W3SVC1" / "u_ex210303.log"
    log.parent.mkdir(parents=True)
    log.write_text("#Fields: date time cs-method cs-uri-stem\n2021-03-03 05:00:00 GET /owa/\n")
    loaded = _loaded("hunt", str(tmp_path / "evidence"), "--json", str(tmp_path / "out.json"), "-q")
    assert "exhunt.commands.hunt" in loaded and "exhunt.analyzers.iis" in loaded
    # Neither the scanner's HTTP client, nor pySigma without Sigma rules, nor the HTML report's
    # templates when no HTML is asked for, nor the event-log readers for a web log.
    unwanted = {
        m
        for m in loaded
        if m.split(".")[0] in {"aiohttp", "sigma", "jinja2", "evtx"} or m.startswith(("exhunt.scan", "exhunt.events"))
    }
    assert not unwanted


def test_top_level_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from exhunt.cli import command_names, main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in command_names():
        assert name in out
