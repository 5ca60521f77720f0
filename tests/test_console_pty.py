"""The hunt as a person sees it on an 80-column terminal: run under a pseudo-terminal and read
back through a terminal emulator (pyte), progress bar and colours included."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from conftest import REPO

pyte = pytest.importorskip("pyte", reason="pyte (terminal emulator) is needed to read the screen back")

COLUMNS = 80
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\b")
OTHER_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b")


def _run_in_pty(*args: str) -> tuple[list[str], int]:
    """Run exhunt with stdout and stderr on an 80-column pseudo-terminal; return the screen's
    lines (scrollback included) as a terminal would show them, and the exit code."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": "50"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "exhunt", *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=120)
    os.close(master)
    screen = pyte.HistoryScreen(COLUMNS, 50, history=5000)
    screen.set_mode(pyte.modes.LNM)  # a pty turns \n into \r\n; the emulator must too
    stream = pyte.ByteStream(screen)
    stream.feed(b"".join(chunks))
    history = ["".join(ch.data for ch in line.values()) for line in screen.history.top]
    lines = [line.rstrip() for line in history + screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return lines, code


@pytest.fixture(scope="module")
def screen() -> tuple[list[str], int]:
    return _run_in_pty("hunt", str(REPO / "examples" / "EX01-compromised"), "--progress")


def test_nothing_is_wider_than_the_terminal_and_the_hunt_ends_with_the_verdicts(
    screen: tuple[list[str], int],
) -> None:
    lines, code = screen
    assert code == 1
    assert all(len(line) <= COLUMNS for line in lines)
    tail = "\n".join(lines[-12:])
    assert "1 host, worst first" in tail and "compromised" in tail and "EX01-compromised" in tail
    assert not any(re.search(r"\d+/\d+ files", line) for line in lines), "a progress line was left behind"


def test_wrapped_lines_keep_their_indent(screen: tuple[list[str], int]) -> None:
    lines, _ = screen
    start = next(i for i, line in enumerate(lines) if line.startswith("What to do next"))
    steps = lines[start + 1 : start + 40]
    assert any(re.match(r"^  \d+\. ", line) for line in steps)
    body = [line for line in steps if line and not line.startswith("─")]
    continuation = [line for line in body if not re.match(r"^  \d+\. ", line)]
    assert continuation, "some steps are longer than one line at 80 columns"
    for line in body[: len(body) - 1]:
        if line.startswith(("Log coverage", "Blind", "─", " 1 host")):
            break
        assert line.startswith("  "), line


def test_one_timestamp_format_and_rule_ids_whole(screen: tuple[list[str], int], tmp_path: Path) -> None:
    lines, _ = screen
    text = "\n".join(lines)
    ours = "\n".join(line for line in lines if not line.startswith(" " * 8))  # excerpts are as logged
    assert ISO.search(ours)
    assert not OTHER_TIME.search(ours), OTHER_TIME.search(ours)
    out = tmp_path / "r.json"
    subprocess.run(
        [sys.executable, "-m", "exhunt", "hunt", str(REPO / "examples" / "EX01-compromised"), "-q", "--json", str(out)],
        check=False,
    )
    for f in json.loads(out.read_text())["hosts"][0]["findings"]:
        assert f["rule_id"] in text, f["rule_id"]


def test_rules_table_at_80_columns_keeps_every_id_whole() -> None:
    lines, code = _run_in_pty("rules")
    assert code == 0 and all(len(line) <= COLUMNS for line in lines)
    text = "\n".join(lines)
    ids = [
        r["id"]
        for r in json.loads(subprocess.check_output([sys.executable, "-m", "exhunt", "rules", "--json", "-"]))["rules"]
    ]
    missing = [i for i in ids if i not in text]
    assert not missing, missing
