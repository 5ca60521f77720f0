"""A user's YARA includes and allow-list regexes cannot hang, exhaust or escape."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from exhunt.filehunt.contentrules import load_content_rules

RULE = 'rule mine_{n} {{ strings: $a = "needle{n}" condition: $a }}\n'


def _load(*paths: Path) -> object:
    load_content_rules.cache_clear()
    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(load_content_rules(tuple(str(p) for p in paths))), daemon=True)
    worker.start()
    worker.join(30)
    assert box, "loading the user's rules blocked"
    return box[0]


def _problems(rules: object) -> str:
    return " | ".join(p.message for p in rules.problems)  # type: ignore[attr-defined]


def test_an_include_inside_the_rule_folder_loads(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "part.yar").write_text(RULE.format(n=1))
    main = tmp_path / "main.yar"
    main.write_text('include "sub/part.yar"\n' + RULE.format(n=2))
    rules = _load(main)
    assert not rules.problems  # type: ignore[attr-defined]
    assert str(main) in rules.user_files  # type: ignore[attr-defined]


def test_an_include_outside_the_rule_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.yar").write_text(RULE.format(n=1))
    folder = tmp_path / "rules"
    folder.mkdir()
    main = folder / "main.yar"
    main.write_text('include "../outside.yar"\n' + RULE.format(n=2))
    rules = _load(main)
    assert "outside the rule file's folder" in _problems(rules)
    assert str(main) not in rules.user_files  # type: ignore[attr-defined]


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "link-to-dev-zero", "loop"])
def test_an_include_of_a_fifo_or_device_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    main = tmp_path / "main.yar"
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.yar")
        main.write_text('include "pipe.yar"\n')
    elif kind == "dev-zero":
        main.write_text('include "/dev/zero"\n')
    elif kind == "link-to-dev-zero":
        (tmp_path / "zero.yar").symlink_to("/dev/zero")
        main.write_text('include "zero.yar"\n')
    else:
        main.write_text('include "main.yar"\n')
    started = time.monotonic()
    rules = _load(main)
    assert time.monotonic() - started < 10
    assert _problems(rules), "the include was not refused"
    assert rules.rules is not None  # type: ignore[attr-defined]  # the shipped rules still load


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_rule_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "rules.yar")
    rules = _load(tmp_path / "rules.yar")
    assert _problems(rules) and not rules.user_files  # type: ignore[attr-defined]


def _allowlist(tmp_path: Path, *rows: str) -> object:
    from exhunt.filehunt.allowlist import load_allowlists

    path = tmp_path / "allow.csv"
    path.write_text("type,value,rules,reason\n" + "\n".join(rows) + "\n")
    load_allowlists.cache_clear()
    return load_allowlists((str(path),))


def test_a_catastrophic_allowlist_regex_runs_in_linear_time(tmp_path: Path) -> None:
    allow = _allowlist(tmp_path, "regex,(a+)+$,,pathological")
    started = time.monotonic()
    assert allow.match("EXH-WS-1", None, "/" + "a" * 100_000 + "!") is None  # type: ignore[attr-defined]
    assert allow.match("EXH-WS-1", None, "/aaa") is not None  # type: ignore[attr-defined]
    assert time.monotonic() - started < 1


def test_a_deeply_nested_allowlist_regex_costs_its_row_only(tmp_path: Path) -> None:
    nested = "(" * 3000 + "x" + ")" * 3000
    allow = _allowlist(
        tmp_path, f"regex,{nested},,deep", "regex,/tools/report[0-9]+\\.aspx$,,ok", "regex,(?<=a)b,,lookbehind"
    )
    assert allow.match("EXH-WS-1", None, "/inetpub/tools/report7.aspx") is not None  # type: ignore[attr-defined]
    messages = [p.message for p in allow.problems]  # type: ignore[attr-defined]
    assert any("RE2" in m for m in messages)  # the look-behind row is refused with a reason
