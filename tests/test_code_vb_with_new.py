"""VB's `With New T(...)` block, over an object no variable holds: what the block stores in the
object and then runs is followed as it is for `With p` (docs/detection/webshell-code.md, "With
blocks over a new object")."""

from __future__ import annotations

import time

import pytest

from code_support import assert_benign, assert_found, vb_page
from exhunt.codeanalysis.syntax import _with_new_objects

SHELLS = [
    (
        "with-new-process.aspx",
        'With New System.Diagnostics.Process()\n.StartInfo.FileName = "cmd.exe"\n'
        '.StartInfo.Arguments = "/c " & Request("c")\n.StartInfo.UseShellExecute = False\n.Start()\nEnd With',
    ),
    (
        "with-new-info.aspx",
        'With New System.Diagnostics.ProcessStartInfo("cmd.exe") \' the shell\n'
        '.Arguments = "/c " & Request.Form("c")\nSystem.Diagnostics.Process.Start(.FileName, .Arguments)\nEnd With',
    ),
]


@pytest.mark.parametrize(("name", "body"), SHELLS, ids=[s[0] for s in SHELLS])
def test_with_new_object_is_followed(name: str, body: str) -> None:
    assert_found(name, vb_page(body), "EXH-WS-CODE-PROCESS", ["'c'", "runs it as a command"])


def test_fixed_with_new_object_stays_quiet() -> None:
    body = 'With New System.Diagnostics.Process()\n.StartInfo.FileName = "ipconfig.exe"\n.Start()\nEnd With'
    assert_benign("ipconfig.aspx", vb_page(body))


def test_rewrite_keeps_lines_and_leaves_other_heads() -> None:
    text = b'With New X("a: b")\n.Y = 1\nEnd With\n'
    out = _with_new_objects(text)
    assert out == b'Dim __with1 As New X("a: b") : With __with1\n.Y = 1\nEnd With\n'
    # A head continued on the next line, a block over a variable, and one with more on its line.
    for same in (
        b"With New X With {\n.A = 1}\nEnd With",
        b"With New X(a,\nb)",
        b"With p\nEnd With",
        b"With New X() : .Y = 1",
    ):
        assert _with_new_objects(same) is None, same


def test_head_of_many_quotes_costs_bounded_time() -> None:
    # `""""...` can be read as one string or as many: taken whole, it is one pass (a pattern that
    # tried both ways took tens of seconds on 60 quote marks).
    began = time.monotonic()
    assert _with_new_objects(b'With New X("' + b'""' * 30 + b"a(\n") is None
    assert _with_new_objects(b"With New X(" + b'"' * 60 + b")\n") is not None
    assert time.monotonic() - began < 10
