"""Evidence opened safely: a file swapped after listing for a FIFO, a device or a link is refused
without blocking, and reading does not change access times where the system allows it."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from exhunt.evidence import FileRef
from exhunt.evidence.safe_open import NotRegularFile, open_evidence

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and O_NOFOLLOW are POSIX")


def _opens_within(ref: FileRef, seconds: float = 5.0) -> BaseException | None:
    """Open and read `ref` in a thread; the outcome, or a failure if it blocked."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            with ref.open() as fh:
                fh.read(1 << 20)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, "opening the swapped file blocked"
    return outcome[0]


@posix_only
def test_a_file_swapped_for_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "u_ex210303.log"
    path.write_text("x")
    ref = FileRef(str(path))
    path.unlink()
    os.mkfifo(path)
    error = _opens_within(ref)
    assert isinstance(error, NotRegularFile) and "pipe" in str(error)


@posix_only
@pytest.mark.parametrize("target", ["/dev/zero", "outside"])
def test_a_file_swapped_for_a_link_is_not_followed(tmp_path: Path, target: str) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    secret = tmp_path / "outside.txt"
    secret.write_text("not evidence")
    path = evidence / "shell.aspx"
    path.write_text("x")
    ref = FileRef(str(path))
    path.unlink()
    path.symlink_to(target if target.startswith("/") else secret)
    error = _opens_within(ref)
    assert isinstance(error, NotRegularFile) and "link" in str(error)


@posix_only
def test_a_folder_in_place_of_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile, match="folder"):
        open_evidence(str(tmp_path))


def test_a_regular_file_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"line 1\nline 2\n")
    with FileRef(str(path)).open() as fh:
        assert fh.read() == b"line 1\nline 2\n"
        fh.seek(5)
        assert fh.read(1) == b"1"


@pytest.mark.skipif(not hasattr(os, "O_NOATIME"), reason="no O_NOATIME on this system")
def test_reading_evidence_keeps_its_access_time(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"x" * 100)
    os.utime(path, (1_000_000_000, 1_000_000_000))  # an old atime: relatime would update it
    with open_evidence(str(path)) as fh:
        fh.read()
    assert path.stat().st_atime == 1_000_000_000
