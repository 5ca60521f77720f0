"""The hostile corpus hunted in one run: bounded time, all good evidence found, each bad case named."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from exhunt.cli import main
from hostile_corpus import EXAMPLE, build

_RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


def _hunt(root: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    outputs = ["--json", str(out / "r.json"), "--html", str(out / "r.html"), "--stix", str(out / "s.json")]
    code = main(["hunt", str(root), "--timeline", str(out / "t.csv"), *outputs])
    printed = capsys.readouterr().out
    return code, json.loads((out / "r.json").read_text()), printed


def test_the_hostile_corpus_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean_out, out = tmp_path / "base", tmp_path / "out"
    clean_out.mkdir()
    out.mkdir()
    _, baseline, _ = _hunt(EXAMPLE, clean_out, capsys)
    root = tmp_path / "EX01"
    cases = build(root)
    started = time.monotonic()
    code, result, printed = _hunt(root, out, capsys)
    assert time.monotonic() - started < 180
    assert code == 1
    for name in ("r.html", "s.json", "t.csv"):
        assert (out / name).stat().st_size > 0, f"{name} was not written"
    (host,) = result["hosts"]  # type: ignore[misc]
    (base_host,) = baseline["hosts"]  # type: ignore[misc]

    # All the good evidence beside the bad cases is still found.
    def rules(h: dict[str, object]) -> set[str]:
        return {f["rule_id"] for f in h["findings"]}  # type: ignore[attr-defined, index]

    assert rules(base_host) <= rules(host), rules(base_host) - rules(host)
    # Each bad case is a named problem.
    problems = {e["path"] for e in host["errors"]}  # type: ignore[index]
    missing = [c.name for c in cases if c.expect_problem and c.path not in problems]
    assert not missing, f"bad cases without a named problem: {missing}; problems: {sorted(problems)}"
    # The shell named with an undecodable byte and the far-future attack are findings too.
    paths = {f["evidence"]["path"] for f in host["findings"]}  # type: ignore[index]
    assert "C/inetpub/wwwroot/aspnet_client/sh\udcffell.aspx" in paths
    assert any(p.endswith("zipshell.aspx") for p in paths)  # the good zip beside the truncated one
    assert any(str(f.get("timestamp", "")).startswith("9999") for f in host["findings"])  # type: ignore[union-attr]
    assert not _RAW.search(printed.replace("\n", "").replace("\x1b[", "")), "raw control text reached the console"
