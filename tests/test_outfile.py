"""Output files are written whole or not at all, and special files are written in place."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import REPO
from exhunt.cli import main
from exhunt.outfile import replaced

EXAMPLES = REPO / "examples"


def test_a_failure_while_writing_leaves_the_previous_file_and_no_part(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text("the report of yesterday")
    with pytest.raises(KeyboardInterrupt), replaced(report) as out:
        out.write("<html>half a page")
        raise KeyboardInterrupt
    assert report.read_text() == "the report of yesterday"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"], "no part file is left"


def test_a_complete_write_replaces_the_file_keeps_its_mode_and_follows_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    with replaced(link) as out:
        out.write("new")
    assert link.is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.json"
    with replaced(fresh) as out:
        out.write("{}")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    with replaced(fifo) as out:
        out.write("through the pipe")
    reader.join(10)
    assert got == ["through the pipe"] and stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_hunt_interrupted_while_writing_an_output_leaves_no_cut_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after the first host's lines of --jsonl were written: yesterday's file stays whole
    (before, the file held the first host and ended there, looking complete)."""
    from exhunt.fleet import spool

    out = tmp_path / "findings.jsonl"
    out.write_text("yesterday\n")
    real_parts = spool.OrderedSpool.parts

    def first_then_ctrl_c(self: spool.OrderedSpool) -> object:
        for n, part in enumerate(real_parts(self)):
            if n == 1:
                raise KeyboardInterrupt
            yield part

    monkeypatch.setattr(spool.OrderedSpool, "parts", first_then_ctrl_c)
    assert main(["hunt", str(EXAMPLES), "--no-db", "-q", "--jsonl", str(out)]) == 130
    assert out.read_text() == "yesterday\n"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.jsonl"]


def test_outputs_to_dev_stdout_still_work(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "exhunt", "build", "15.1.2176.2", "-q", "--json", "/dev/stdout"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and '"15.1.2176.2"' in done.stdout


def test_an_existing_output_in_a_folder_that_cannot_be_written_is_refused_before_the_hunt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is written beside its name and renamed: its folder must take a new file, which
    is checked before the hunt starts, not found out after it."""
    from exhunt.cli_options import why_unwritable

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "r.json").write_text("{}")
    real_access = os.access

    def folder_read_only(path: object, mode: int) -> bool:
        if Path(str(path)) == folder and mode & os.W_OK:
            return False
        return real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", folder_read_only)
    assert why_unwritable(folder / "r.json") == f"its folder {folder} cannot be written"
    assert why_unwritable(tmp_path / "elsewhere.json") is None
