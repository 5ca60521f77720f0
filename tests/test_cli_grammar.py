"""One grammar across subcommands: output flags taking FILE or -, console flags, options and
targets in any order, help wrapped to the terminal, exit codes in every --help."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest

from conftest import REPO
from exhunt.cli import build_parsers, main

EXAMPLES = REPO / "examples"
CONSOLE_FLAGS = {"-q", "-v", "--no-color", "--progress", "--no-progress"}
OUTPUTS = {
    "hunt": {"--json", "--jsonl", "--csv", "--html", "--timeline", "--stix", "--misp"},
    "report": {"--json", "--jsonl", "--csv", "--html", "--timeline", "--stix", "--misp"},
    "scan": {"--json", "--jsonl", "--csv", "--html"},
    "build": {"--json", "--jsonl", "--csv"},
    "rules": {"--json"},
}


def _options(command: str) -> dict[str, object]:
    _, subs = build_parsers()
    parser, _ = subs[command]
    return {flag: action for action in parser._actions for flag in action.option_strings}


@pytest.mark.parametrize("command", sorted(OUTPUTS))
def test_result_commands_share_output_and_console_flags(command: str) -> None:
    options = _options(command)
    assert set(options) >= CONSOLE_FLAGS, command
    for flag in OUTPUTS[command]:
        action = options[flag]
        assert action.metavar == "FILE|-" and action.nargs is None, (command, flag)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", [*sorted(OUTPUTS), "config", "collect"])
def test_every_help_lists_the_exit_codes_and_fits_80_columns(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "exit codes:" in text and "130" in text and "interrupted" in text
    too_wide = [line for line in text.splitlines() if len(line) > 80]
    assert not too_wide, too_wide
    lines = text.splitlines()
    # an example's comment on a line of its own stays under its example, with no gap between them
    cut_off = [b for a, b in itertools.pairwise(lines) if not a.strip() and b.lstrip().startswith("# ")]
    assert not cut_off, cut_off


def test_help_follows_a_wide_terminal(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit):
        main(["hunt", "--help"])
    widths = [len(line) for line in capsys.readouterr().out.splitlines()]
    assert 80 < max(widths) <= 100


def test_targets_and_options_in_any_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.json"
    assert main(["build", "--json", str(out), "15.1.2176.2", "-q", "15.2.1118.20"]) == 1
    assert [b["build"] for b in json.loads(out.read_text())["builds"]] == ["15.1.2176.2", "15.2.1118.20"]
    assert main(["hunt", "-q", "--json", str(tmp_path / "h.json"), str(EXAMPLES / "EX02-clean")]) in (0, 1)
    assert json.loads((tmp_path / "h.json").read_text())["hosts"]


def test_dash_writes_html_and_stix_to_stdout_not_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["hunt", str(EXAMPLES / "EX01-compromised"), "-q", "--html", "-"]) == 1
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")
    assert main(["hunt", str(EXAMPLES / "EX01-compromised"), "-q", "--stix", "-"]) == 1
    assert json.loads(capsys.readouterr().out)["type"] == "bundle"
    assert not (tmp_path / "-").exists()


def test_only_one_output_may_take_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hunt", str(EXAMPLES), "--json", "-", "--html", "-"]) == 2
    assert "stdout" in capsys.readouterr().err


def test_machine_output_on_stdout_moves_the_summary_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hunt", str(EXAMPLES / "EX01-compromised"), "--jsonl", "-", "--no-progress"]) == 1
    out, err = capsys.readouterr()
    assert all(json.loads(line)["rule"]["id"] for line in out.splitlines())
    assert "compromised" in err


def test_no_color_flag_and_environment(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # colour even though the test's stdout is no terminal
    monkeypatch.delenv("NO_COLOR", raising=False)
    main(["build", "15.1.2176.2"])
    assert "\x1b[" in capsys.readouterr().out
    main(["build", "15.1.2176.2", "--no-color"])
    assert "\x1b[3" not in capsys.readouterr().out  # no colour codes (bold may stay)
    monkeypatch.setenv("NO_COLOR", "1")
    main(["build", "15.1.2176.2"])
    assert "\x1b[3" not in capsys.readouterr().out


def test_build_csv_and_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "15.1.2176.2", "15.2.1118.20", "--csv", "-", "-q"]) == 1
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["ProxyLogon"] for r in rows] == ["vulnerable", "patched"]
    assert main(["build", "15.1.2176.2", "--jsonl", "-", "-q"]) == 1
    assert json.loads(capsys.readouterr().out)["build"] == "15.1.2176.2"


def test_rules_filters_never_cut_ids(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["rules", "--chain", "proxyshell", "--severity", "high", "--json", "-"]) == 0
    chosen = json.loads(capsys.readouterr().out)["rules"]
    assert chosen and all(r["chain"] == "ProxyShell" and r["severity"] in ("high", "critical") for r in chosen)
    assert main(["rules"]) == 0
    table = capsys.readouterr().out
    assert main(["rules", "--json", "-", "-q"]) == 0
    ids = [r["id"] for r in json.loads(capsys.readouterr().out)["rules"]]
    assert all(rule_id in table for rule_id in ids)
    assert max(len(line) for line in table.splitlines()) <= 80
    assert main(["rules", "--chain", "none", "--json", "-"]) == 0
    assert all(r["chain"] is None for r in json.loads(capsys.readouterr().out)["rules"])


@pytest.mark.parametrize(
    ("host", "extra", "verdict_code"),
    [
        ("EX01-compromised", ["--html", "-"], 1),  # a machine output on standard output
        ("EX01-compromised", ["-v"], 1),  # the console on standard output
        ("EX02-clean", ["-v"], 0),  # a console cut short must not become exit 1 either
    ],
)
def test_a_reader_that_leaves_early_keeps_the_verdicts_exit_code(
    host: str, extra: list[str], verdict_code: int
) -> None:
    """`exhunt hunt ... | head`: the writing stops quietly, the exit code still says what was
    found. The reader here is gone before exhunt writes its first byte."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "exhunt", "hunt", str(EXAMPLES / host), "--no-db", "--no-progress", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader leaves, as `head` does once it has its lines
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == verdict_code, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "Exception ignored" not in stderr


@pytest.mark.parametrize("args", [["--help"], ["hunt", "--help"], ["--version"], ["rules", "--version"]])
def test_help_and_version_to_a_reader_that_left_end_quietly(args: list[str]) -> None:
    """`exhunt --help | head`: argparse prints and exits inside parse_args; a closed pipe is no
    error there either (exit 0, nothing said)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "exhunt", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, stderr
    assert stderr == "", stderr


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="no /dev/full here")
@pytest.mark.parametrize(
    ("args", "to_stdout", "said"),
    [
        (["rules", "-q", "--json", "/dev/full"], False, "exhunt rules: cannot write --json /dev/full: No space left"),
        (["config", "show", "--json", "/dev/full"], False, "exhunt config: cannot write --json /dev/full: No space"),
        (["rules"], True, "exhunt: cannot write standard output: No space left on device"),
        (["rules", "EXH-WS-CHOPPER"], True, "exhunt: cannot write standard output: No space left on device"),
        (["config", "show"], True, "exhunt: cannot write standard output: No space left on device"),
        (["fleet", "--db", "{db}"], True, "exhunt fleet: could not write standard output: "),
        # argparse prints these and exits inside parse_args, dropping the write's error.
        (["--help"], True, "exhunt: cannot write standard output: No space left on device"),
        (["hunt", "--help"], True, "exhunt: cannot write standard output: No space left on device"),
        (["--version"], True, "exhunt: cannot write standard output: No space left on device"),
        (["scan", "--version"], True, "exhunt: cannot write standard output: No space left on device"),
        ([], True, "exhunt: cannot write standard output: No space left on device"),
    ],
)
def test_a_full_disk_is_said_with_exit_code_2(tmp_path: Path, args: list[str], to_stdout: bool, said: str) -> None:
    """`--json /dev/full` and `> /dev/full`: a write refused for want of space is an error the
    command names, exit 2, never a traceback or a silent success."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}  # no user config
    if "{db}" in args:
        db = tmp_path / "hunts.sqlite"
        assert main(["hunt", str(EXAMPLES / "EX02-clean"), "-q", "--db", str(db)]) == 0
        args = [str(db) if a == "{db}" else a for a in args]
    with open("/dev/full", "w") as full:
        out = full if to_stdout else subprocess.DEVNULL
        proc = subprocess.run(
            [sys.executable, "-m", "exhunt", *args], stdout=out, stderr=subprocess.PIPE, timeout=120, env=env
        )
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert said in err and "Traceback" not in err and "Exception ignored" not in err
    assert Path("/dev/full").is_char_device()


def test_rules_table_at_80_columns_keeps_titles_readable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 80 columns the title column got 9 characters: a title took up to eight lines, a word
    # or a piece of one per line. On a narrow screen each title goes under its id instead.
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["rules", "--json", "-", "-q"]) == 0
    rules = json.loads(capsys.readouterr().out)["rules"]
    assert main(["rules"]) == 0
    table = capsys.readouterr().out
    assert max(len(line) for line in table.splitlines()) <= 80
    assert len(table.splitlines()) <= 3 * len(rules) + 6
    flat = " ".join(table.split())
    assert all(" ".join(r["title"].split()) in flat for r in rules)


def test_every_example_comment_is_set_off_by_two_spaces(capsys: pytest.CaptureFixture[str]) -> None:
    # The help formatter moves an example's `  # comment` under the example when the line is too
    # wide; with one space before '#', the comment was wrapped as part of the command instead.
    _, subs = build_parsers()
    for name, (parser, _mod) in subs.items():
        for line in f"{parser.description}\n{parser.epilog}".splitlines():
            if line.lstrip().startswith("exhunt ") and " #" in line:
                assert "  # " in line, (name, line)


def test_an_output_named_as_standard_output_moves_the_summary_to_stderr(tmp_path: Path) -> None:
    # `--json /dev/stdout` is standard output by another name: the summary went there too and
    # the JSON a script read began with the verdict table.
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "exhunt", "hunt", str(EXAMPLES / "EX02-clean"), "--no-db", "--json", "/dev/stdout"]
    proc = subprocess.run(cmd, capture_output=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["schema"] == "exhunt.hunt/2"
    assert b"CLEAN" in proc.stderr
