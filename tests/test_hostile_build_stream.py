"""`exhunt build -` streams: builds are assessed and written as they are read."""

from __future__ import annotations

import io
import json
import sys
import threading
from pathlib import Path

import pytest

from exhunt.cli import main
from exhunt.commands.build import read_stream


class _Pipe(io.RawIOBase):
    """Standard input that gives lines slowly and records how far the reader got."""

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.given >= self.lines:
            return 0
        chunk = b"15.1.2176.2\n"
        self.given += 1
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_builds_are_yielded_before_the_input_ends() -> None:
    pipe = _Pipe(10_000)
    first = next(read_stream(io.BufferedReader(pipe, buffer_size=64)))
    assert first == "15.1.2176.2"
    assert pipe.given < 100  # the first build came long before the 10,000th line was read


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_encodings_still_detected(encoding: str) -> None:
    data = "15.1.2176.2\r\n# comment\n\n  15.2.1118.20 \n".encode(encoding)
    assert list(read_stream(io.BytesIO(data))) == ["15.1.2176.2", "15.2.1118.20"]


def test_an_endless_line_is_cut_not_held(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"15.1.2176.2\n" + b"9" * 5_000_000 + b"\n15.2.1118.20\n"
    lines = list(read_stream(io.BytesIO(data)))
    assert lines[0] == "15.1.2176.2" and lines[-1] == "15.2.1118.20" and len(lines[1]) == 200


def test_json_streamed_is_the_same_document(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    builds = ["15.1.2176.2", "not a build", "15.2.1118.20"] * 200
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("\n".join(builds).encode())))
    assert main(["build", "-", "--json", "-"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "exhunt.build/1" and len(document["builds"]) == 600
    assert document["builds"][0]["build"] == "15.1.2176.2" and document["builds"][1]["error"]


def test_the_table_appears_while_input_is_still_coming(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = __import__("os").pipe()
    writer = open(write_end, "wb", buffering=0)  # noqa: SIM115
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdin", open(read_end))  # noqa: SIM115
    monkeypatch.setattr(sys, "stdout", out)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (main(["build", "-"]), done.set()), daemon=True)
    worker.start()
    writer.write(b"15.1.2176.2\n")
    for _ in range(100):
        if "15.1.2176.2" in out.getvalue():
            break
        done.wait(0.05)
    assert "15.1.2176.2" in out.getvalue(), "nothing written before the input ended"
    writer.close()
    worker.join(30)
    assert "1 build(s)" in out.getvalue()
