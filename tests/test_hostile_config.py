"""A not-well-formed IIS config with one huge line is read in linear time, and still judged."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from test_iisconfig import APPHOST, VDIRS, apphost, config, run


@pytest.mark.parametrize("unit", [b"<virtualDirectory ", b"autodiscover ", b"x-beresource "])
def test_a_megabyte_line_in_a_broken_config_costs_linear_time(tmp_path: Path, unit: bytes) -> None:
    huge = unit * (2 * 2**20 // len(unit))  # one 2 MiB line: over 900 s before
    broken = apphost(VDIRS).replace(b"</sites>", b"</site>\n" + huge + b"\n", 1)
    started = time.monotonic()
    result = run([config(tmp_path, APPHOST, broken)])
    assert time.monotonic() - started < 20
    assert any("not well-formed" in e.message for e in result.errors)
    paths = {f.detail("physical_path") for f in result.findings if f.rule_id == "EXH-IIS-VDIR-SUSPICIOUS-PATH"}
    assert r"C:\ProgramData\COM1" in paths  # the good lines around the bad one still read
