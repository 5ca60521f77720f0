"""Arrays changed in place. A constant array decoded by a loop (`b[i] ^= k`,
`b[i] = (byte)(b[i] ^ key[i % n])`, VB's `b(i) = b(i) Xor k`) is folded to what the loop leaves;
a constant copied in (`Array.Copy`, `Buffer.BlockCopy`) is applied; any other store, copy or
read into the array leaves it unknown, never the constant it started as. Before, a page
XOR-decoding an embedded assembly was read as loading the still-encoded bytes, and nothing was
reported; and three-argument `Array.Copy` lost the request's bytes on the way
(docs/detection/webshell-code.md, "Arrays decoded in place")."""

from __future__ import annotations

import pytest

from code_support import PE, assert_benign, b64, cs_page, medium_or_above, run, vb_page

EMBEDDED = "EXH-WS-CODE-EMBEDDED-ASSEMBLY"
UNRESOLVED = "EXH-WS-CODE-UNRESOLVED-SINK"


def xored(data: bytes, key: bytes) -> bytes:
    return bytes(x ^ key[i % len(key)] for i, x in enumerate(data))


LOAD = 'System.Reflection.Assembly.Load(b).CreateInstance("Agent");'

DECODED = [
    (
        "xor-assign.aspx",
        cs_page(
            f'byte[] b = Convert.FromBase64String("{b64(xored(PE, b"U"))}");\n'
            "for (int i = 0; i < b.Length; i++) b[i] ^= 0x55;\n" + LOAD
        ),
    ),
    (
        "xor-cast.aspx",
        cs_page(
            f'byte[] b = Convert.FromBase64String("{b64(xored(PE, b"*"))}");\n'
            "for (int i = 0; i < b.Length; i++) { b[i] = (byte)(b[i] ^ 42); }\n" + LOAD
        ),
    ),
    (
        "xor-key.aspx",
        cs_page(
            'byte[] key = System.Text.Encoding.ASCII.GetBytes("s3cr3t");\n'
            f'byte[] b = Convert.FromBase64String("{b64(xored(PE, b"s3cr3t"))}");\n'
            "for (int i = 0; i < b.Length; i++) b[i] = (byte)(key[i % key.Length] ^ b[i]);\n" + LOAD
        ),
    ),
    (
        "xor.vb.aspx",
        vb_page(
            f'Dim b As Byte() = Convert.FromBase64String("{b64(xored(PE, b"U"))}")\n'
            "For i As Integer = 0 To b.Length - 1\n    b(i) = b(i) Xor &H55\nNext\n"
            'System.Reflection.Assembly.Load(b).CreateInstance("Agent")'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), DECODED, ids=[d[0] for d in DECODED])
def test_an_assembly_decoded_in_place_is_found(name: str, code: str) -> None:
    report = run(name, code)
    assert EMBEDDED in medium_or_above(report), [c.chain for c in report.capabilities]
    assert "a Windows executable (MZ)" in next(c.chain for c in report.capabilities if c.rule_id == EMBEDDED)


def test_an_array_changed_some_other_way_is_unknown_not_its_first_value() -> None:
    code = cs_page(
        f'byte[] b = Convert.FromBase64String("{b64(xored(PE, b"U"))}");\n'
        "for (int i = 0; i < b.Length; i++) b[i] = Next(b[i]);\n" + LOAD
    )
    report = run("other.aspx", code)
    assert UNRESOLVED in medium_or_above(report)
    assert EMBEDDED not in medium_or_above(report)


def test_a_key_from_the_request_makes_the_array_the_clients() -> None:
    code = cs_page(
        f'byte[] b = Convert.FromBase64String("{b64(xored(PE, b"U"))}");\n'
        'byte k = byte.Parse(Request["k"]);\nfor (int i = 0; i < b.Length; i++) b[i] ^= k;\n' + LOAD
    )
    report = run("keyed.aspx", code)
    assert "EXH-WS-CODE-ASSEMBLY" in medium_or_above(report)
    assert EMBEDDED not in medium_or_above(report)  # not read as the constant it started as
    assert "request parameter 'k'" in next(c.chain for c in report.capabilities if c.rule_id == "EXH-WS-CODE-ASSEMBLY")


def test_a_table_decoded_for_display_stays_quiet() -> None:
    code = cs_page(
        "byte[] t = new byte[] { 0x1d, 0x10, 0x19, 0x19, 0x1a };\n"
        "for (int i = 0; i < t.Length; i++) t[i] ^= 0x75;\n"
        "Response.Write(Server.HtmlEncode(System.Text.Encoding.ASCII.GetString(t)));"
    )
    report = assert_benign("table.aspx", code)
    assert "hello" in report.folded


def test_decoding_in_place_stops_at_its_budget_and_leaves_the_array_unknown() -> None:
    # 20 loops over a 300 KB array: past the 4 MiB a unit may decode, the rest is not folded.
    data = b64(bytes(range(256)) * 1200)
    loops = "\n".join(f"for (int i = 0; i < b.Length; i++) b[i] ^= {k + 1};" for k in range(20))
    report = run("hostile.aspx", cs_page(f'byte[] b = Convert.FromBase64String("{data}");\n{loops}\n' + LOAD))
    assert UNRESOLVED in medium_or_above(report)
    assert report.problems == []


def test_array_copy_of_three_arguments_copies_into_its_second() -> None:
    # `Array.Copy(src, dest, n)`: the destination is the second argument (the five-argument form
    # and Buffer.BlockCopy put it third); the request's bytes were lost on the way before.
    code = cs_page(
        'byte[] buf = new byte[4096];\nArray.Copy(Convert.FromBase64String(Request["c"]), buf, 4096);\n'
        'System.Reflection.Assembly.Load(buf).CreateInstance("Agent");'
    )
    report = run("copy.aspx", code)
    assert "EXH-WS-CODE-ASSEMBLY" in medium_or_above(report)
    assert "request parameter 'c'" in next(c.chain for c in report.capabilities if c.rule_id == "EXH-WS-CODE-ASSEMBLY")


@pytest.mark.parametrize(
    "copy",
    [
        f'Array.Copy(Convert.FromBase64String("{b64(PE)}"), buf, {len(PE)});',
        f'var src = Convert.FromBase64String("{b64(PE)}");\nBuffer.BlockCopy(src, 0, buf, 0, {len(PE)});',
    ],
    ids=["Array.Copy", "Buffer.BlockCopy"],
)
def test_a_constant_copied_into_an_array_is_what_the_array_holds(copy: str) -> None:
    code = cs_page(
        f"byte[] buf = new byte[{len(PE)}];\n{copy}\n" + 'System.Reflection.Assembly.Load(buf).CreateInstance("A");'
    )
    assert EMBEDDED in medium_or_above(run("copied.aspx", code))


def test_an_array_read_into_is_unknown_not_its_declared_value() -> None:
    code = cs_page(
        f'byte[] buf = Convert.FromBase64String("{b64(b"harmless")}");\n'
        'new System.IO.FileStream(Server.MapPath("~/App_Data/x.bin"), System.IO.FileMode.Open).Read(buf, 0, 8);\n'
        'System.Reflection.Assembly.Load(buf).CreateInstance("A");'
    )
    assert UNRESOLVED in medium_or_above(run("read.aspx", code))


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (
            "decode.aspx",
            cs_page(
                f'byte[] b = Convert.FromBase64String("{b64(xored(PE, b"U"))}");\nDecode(b);\n' + LOAD + "\n}\n"
                "void Decode(byte[] d) {\n    for (int i = 0; i < d.Length; i++) d[i] ^= 0x55;"
            ),
        ),
        (
            "decode.vb.aspx",
            vb_page(
                f'Dim b As Byte() = Convert.FromBase64String("{b64(xored(PE, b"U"))}")\nDecode(b)\n'
                'System.Reflection.Assembly.Load(b).CreateInstance("Agent")\nEnd Sub\n'
                "Sub Decode(d As Byte())\n    For i As Integer = 0 To d.Length - 1\n        d(i) = d(i) Xor &H55\n    Next"
            ),
        ),
    ],
    ids=["C#", "VB"],
)
def test_an_array_given_to_the_pages_own_method_is_unknown_after(name: str, code: str) -> None:
    # Arrays are passed by reference: the method may decode it in place.
    assert UNRESOLVED in medium_or_above(run(name, code))


def test_a_copy_count_past_its_source_is_refused_before_anything_is_made() -> None:
    # `new byte[n]` folds without its length, and the copy's count sizes it: a count the source
    # cannot fill (as .NET would refuse) must leave the array unknown, not allocate the count.
    code = cs_page(
        "byte[] buf = new byte[16];\n"
        f'Array.Copy(Convert.FromBase64String("{b64(PE)}"), buf, 1000000000000);\n'
        'System.Reflection.Assembly.Load(buf).CreateInstance("A");'
    )
    report = run("huge-count.aspx", code)
    assert UNRESOLVED in medium_or_above(report)
    assert report.problems == []
