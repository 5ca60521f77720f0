"""A served page that declares native Windows functions by P/Invoke (C#'s DllImport, VB's
Declare ... Lib): `EXH-WS-CODE-PINVOKE`, naming the functions and libraries, for the functions
`EXH-WS-CODE-NATIVE-CODE` does not know (an EFS trigger of the potato pages, token duplication).
Low (context) in a site, since Microsoft's samples declare LogonUser or a disk's free space in a
page (tests/test_code_token_theft.py, tests/test_code_page_scope.py keep those below medium);
medium in the sign-in folders. Not reported: a page whose call of a known function is already
reported, and source files, where a site's native calls belong."""

from __future__ import annotations

from pathlib import Path

import pytest

from code_support import assert_benign, chain_of, prefilter_reads, run
from exhunt.model import Severity
from files_support import OWA_AUTH, by_rule, hunt, server_file

RULE = "EXH-WS-CODE-PINVOKE"


def members(declarations: str, body: str = "") -> str:
    return (
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        f'<script runat="server">\n{declarations}\nvoid Page_Load(object s, EventArgs e) {{ {body} }}\n</script>'
    )


SHELLS = [
    (
        "efs.aspx",
        members(
            '[DllImport("efsrpc.dll", CharSet = CharSet.Unicode)]\n'
            "static extern int EfsRpcOpenFileRaw(IntPtr h, out IntPtr ctx, string name, int flags);",
            'IntPtr c; EfsRpcOpenFileRaw(IntPtr.Zero, out c, @"\\\\localhost/pipe/x\\C$\\x", 0);',
        ),
        ["EfsRpcOpenFileRaw", "efsrpc.dll"],
    ),
    (
        "token.aspx",
        members(
            '[DllImport("advapi32.dll", SetLastError = true)]\n'
            "public static extern bool OpenProcessToken(IntPtr h, uint a, out IntPtr t);\n"
            '[DllImport("advapi32.dll")] static extern byte[] GetSidBytes(IntPtr t);\n'
            '[System.Runtime.InteropServices.DllImport("advapi32.dll")] public static extern bool '
            "DuplicateTokenEx(IntPtr a, uint b, IntPtr c, int d, int e, out IntPtr f);"
        ),
        ["OpenProcessToken, GetSidBytes, DuplicateTokenEx", "advapi32.dll"],
    ),
    (
        "tick.aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        'Private Declare Auto Function GetTickCount Lib "kernel32" () As Integer\n'
        "Sub Page_Load()\nResponse.Write(GetTickCount())\nEnd Sub\n</script>",
        ["GetTickCount", "kernel32"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_page_declaring_native_functions(name: str, code: str, words: list[str]) -> None:
    chain = chain_of(run(name, code), RULE)
    for word in words:
        assert word in chain, chain
    assert prefilter_reads(name, code)


def test_context_in_a_site_and_medium_in_the_sign_in_folders(tmp_path: Path) -> None:
    code = SHELLS[0][1].encode()
    site = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\app\efs.aspx", code)))
    auth = by_rule(hunt(server_file(tmp_path, OWA_AUTH + r"\efs.aspx", code)))
    assert site[RULE].severity is Severity.LOW
    assert auth[RULE].severity is Severity.MEDIUM


def test_the_finding_points_at_each_declaration() -> None:
    report = run("token.aspx", SHELLS[1][1])
    (found,) = [c for c in report.capabilities if c.rule_id == RULE]
    assert found.line == 4 and found.lines == (4, 6, 7)


def test_a_known_dangerous_call_is_reported_as_that_alone() -> None:
    code = members(
        '[DllImport("kernel32")] static extern IntPtr VirtualAlloc(IntPtr a, uint s, uint t, uint p);',
        "VirtualAlloc(IntPtr.Zero, 4096, 0x3000, 0x40);",
    )
    found = [c.rule_id for c in run("alloc.aspx", code).capabilities]
    assert "EXH-WS-CODE-NATIVE-CODE" in found and RULE not in found


def test_source_files_keep_their_native_calls() -> None:
    report = assert_benign(
        "Native.cs",
        'using System.Runtime.InteropServices;\npublic static class Native {\n    [DllImport("kernel32")] '
        "public static extern uint GetTickCount();\n}",
    )
    assert RULE not in [c.rule_id for c in report.capabilities]


def test_a_page_of_repeated_attributes_costs_linear_time() -> None:
    """Hostile input: the attribute and `extern` repeated without the call that ends a
    declaration; the search runs on RE2, so the page costs what its size allows."""
    import time

    from exhunt.codeanalysis.extract import CodeUnit, Lang, UnitKind
    from exhunt.codeanalysis.pinvoke import declared

    text = ('[DllImport("a")]' + " extern" * 42 + " " + "ab " * 60 + "\n") * 4000
    started = time.perf_counter()
    assert declared([CodeUnit(Lang.CSHARP, UnitKind.MEMBERS, text, 1)]) == []
    assert time.perf_counter() - started < 15


def test_declarations_with_more_attributes_are_read_by_both_rules() -> None:
    """`[return: MarshalAs(...)]` or another attribute between DllImport and the method: the
    declaration is the same, for this rule and for the native-code rule, which read it alike."""
    named = members(
        '[DllImport("advapi32.dll", SetLastError = true)]\n[return: MarshalAs(UnmanagedType.Bool)]\n'
        "static extern bool RevertToSelf();"
    )
    assert "RevertToSelf (advapi32.dll)" in chain_of(run("revert.aspx", named), RULE)
    called = members(
        '[DllImport("kernel32.dll")]\n[return: MarshalAs(UnmanagedType.Bool)]\n'
        "static extern bool VirtualProtect(IntPtr a, UIntPtr s, uint n, out uint o);",
        "uint o; VirtualProtect(IntPtr.Zero, UIntPtr.Zero, 0x40, out o);",
    )
    assert "declares VirtualProtect by P/Invoke" in chain_of(run("protect.aspx", called), "EXH-WS-CODE-NATIVE-CODE")
