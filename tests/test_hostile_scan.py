"""A hostile server's certificate text reaches no output raw; the hunt JSON alone stays exact."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from emulator import Emulator, EmulatorThread, ExchangeHost, server_context
from exhunt.cli import main
from exhunt.scan.output import write_csv
from exhunt.scan.result import HostResult

FAST = ["--timeout", "2", "--connect-timeout", "1", "--host-timeout", "5", "--no-progress"]
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# OSC 52 (write the clipboard), clear the screen, BEL, right-to-left override.
HOSTILE_CN = "\x1b]52;c;Y2FsYy5leGU\x07\x1b[2J\x1b[3J\x07EXCH\u202egnp.exe"


def _hostile_certificate(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "30"]
    subprocess.run(
        [openssl, *request, "-utf8", "-subj", f"/CN={HOSTILE_CN}/O=Evil\x1b[31m Org"],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_certificate_text_is_inert_in_csv_on_stdout_and_exact_in_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    em = Emulator()
    addr = em.add("127.0.6.1", ExchangeHost("15.2.1118.20"), tls=server_context(*_hostile_certificate(tmp_path)))
    spec = f"https://{addr[0]}:{addr[1]}/"
    with EmulatorThread(em):
        main(["scan", spec, "--no-db", *FAST, "--csv", "-", "--json", str(tmp_path / "s.json")])
    captured = capsys.readouterr()
    assert "EXCH" in captured.out  # the subject is there, escaped
    assert not RAW.search(captured.out.replace("\n", "").replace("\r", ""))
    assert not RAW.search(re.sub(r"\x1b\[[0-9;]*m", "", captured.err).replace("\n", ""))
    (row,) = list(csv.DictReader(io.StringIO(captured.out)))
    assert any("\\x1b]52" in v for v in row.values())
    subject = json.loads((tmp_path / "s.json").read_text())["results"][0]["tls"]["certificate"]["subject"]
    assert "\x1b]52;c;" in subject and "\u202e" in subject  # JSON keeps the exact value


def test_csv_cells_hold_no_control_characters_or_surrogates() -> None:
    result = HostResult.from_dict(
        {"target": "t\x07", "key": "k", "host": "h", "port": 443, "scheme": "https", "errors": ["e\udcff\x1b[2J"]}
    )
    out = io.StringIO()
    write_csv([result], out)
    assert not RAW.search(out.getvalue().replace("\r\n", "").replace("\n", ""))
    out.getvalue().encode("utf-8")  # a lone surrogate would make the file unwritable
