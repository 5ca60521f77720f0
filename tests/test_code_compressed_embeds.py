"""An assembly or a script kept compressed in the page: base64 of GZip or raw deflate data,
opened with `GZipStream`/`DeflateStream` over a `MemoryStream` and read out by `CopyTo` into
another memory stream, by `BinaryReader.ReadBytes` or by `StreamReader.ReadToEnd`. The folder
reads a stream over constant bytes as those bytes and decompresses them, so the loaded assembly
is seen to be a Windows executable (`EXH-WS-CODE-EMBEDDED-ASSEMBLY`, where it was only an
unresolved value before) and the compressed script is shown. A stream written to after it was
filled is unknown again; a decompression bomb costs the folder's limit and is a problem of the
file; a stream opened to compress, and a compressed text the page only shows, stay quiet."""

from __future__ import annotations

import gzip
import time
import zlib

import pytest

from code_support import PE, assert_benign, assert_found, b64, cs_page, run, vb_page

EMBEDDED = "EXH-WS-CODE-EMBEDDED-ASSEMBLY"


def deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


GZ = b64(gzip.compress(PE))
IO = "System.IO."
ZIP = "System.IO.Compression."

SHELLS = [
    (
        "gz_copyto.aspx",
        cs_page(
            f'var ms = new {IO}MemoryStream(Convert.FromBase64String("{GZ}"));\n'
            f"var gz = new {ZIP}GZipStream(ms, {ZIP}CompressionMode.Decompress);\n"
            f"var o = new {IO}MemoryStream();\n"
            "gz.CopyTo(o);\n"
            'System.Reflection.Assembly.Load(o.ToArray()).CreateInstance("Agent").Equals(Context);'
        ),
    ),
    (
        "gz_using.aspx",
        cs_page(
            f'using (var i = new {IO}MemoryStream(Convert.FromBase64String("{GZ}")))\n'
            f"using (var z = new {ZIP}GZipStream(i, {ZIP}CompressionMode.Decompress))\n"
            f"using (var o = new {IO}MemoryStream()) {{ z.CopyTo(o); "
            'System.Reflection.Assembly.Load(o.ToArray()).CreateInstance("Agent"); }'
        ),
    ),
    (
        "deflate_reader.aspx",
        cs_page(
            f"var b = new {IO}BinaryReader(new {ZIP}DeflateStream(new {IO}MemoryStream("
            f'Convert.FromBase64String("{b64(deflated(PE))}")), {ZIP}CompressionMode.Decompress)).ReadBytes({len(PE)});\n'
            "AppDomain.CurrentDomain.Load(b);"
        ),
    ),
    (
        "gz_vb.aspx",
        vb_page(
            f'Dim i As New {IO}MemoryStream(Convert.FromBase64String("{GZ}"))\n'
            f"Dim z As New {ZIP}GZipStream(i, {ZIP}CompressionMode.Decompress)\n"
            f"Dim o As New {IO}MemoryStream()\n"
            "z.CopyTo(o)\n"
            "System.Reflection.Assembly.Load(o.ToArray())"
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), SHELLS, ids=[s[0] for s in SHELLS])
def test_compressed_assembly_is_seen_to_be_an_executable(name: str, code: str) -> None:
    report = assert_found(name, code, EMBEDDED, ["a Windows executable (MZ)"])
    assert "EXH-WS-CODE-UNRESOLVED-SINK" not in [c.rule_id for c in report.capabilities]


def test_compressed_script_is_shown() -> None:
    script = 'var p = new ActiveXObject("WScript.Shell"); p.Run("cmd /c whoami > c:\\\\users\\\\public\\\\o.txt");'
    page = (
        '<%@ Page Language="JScript" %>\n<script runat="server">\nfunction Page_Load(s, e) {\n'
        f"var t = new {IO}StreamReader(new {ZIP}GZipStream(new {IO}MemoryStream("
        f'Convert.FromBase64String("{b64(gzip.compress(script.encode()))}")), {ZIP}CompressionMode.Decompress)).ReadToEnd();\n'
        'eval(t, "unsafe");\n}\n</script>'
    )
    report = run("gz_eval.aspx", page)
    assert script in report.folded, report.folded


def test_stream_written_after_it_was_filled_is_not_the_constant() -> None:
    code = cs_page(
        f'var z = new {ZIP}GZipStream(new {IO}MemoryStream(Convert.FromBase64String("{GZ}")), '
        f"{ZIP}CompressionMode.Decompress);\n"
        f"var o = new {IO}MemoryStream(); z.CopyTo(o);\n"
        "var r = Request.BinaryRead(Request.ContentLength); o.Write(r, 0, r.Length);\n"
        "System.Reflection.Assembly.Load(o.ToArray());"
    )
    report = assert_found("gz_then_body.aspx", code, "EXH-WS-CODE-ASSEMBLY", ["request body"])
    assert EMBEDDED not in [c.rule_id for c in report.capabilities]


def test_decompression_bomb_costs_the_limit_and_is_a_problem() -> None:
    bomb = b64(gzip.compress(b"\x00" * (64 << 20)))  # 64 MiB of zeros in about 64 KB
    code = cs_page(
        f'var z = new {ZIP}GZipStream(new {IO}MemoryStream(Convert.FromBase64String("{bomb}")), '
        f"{ZIP}CompressionMode.Decompress);\n"
        f"var o = new {IO}MemoryStream(); z.CopyTo(o);\nSystem.Reflection.Assembly.Load(o.ToArray());"
    )
    started = time.perf_counter()
    report = run("bomb.aspx", code)
    assert time.perf_counter() - started < 20
    assert any(p.kind == "limit" and "too large to fold" in p.message for p in report.problems), report.problems


BENIGN = [
    (
        "gz_text.aspx",
        cs_page(
            f"Response.Write(new {IO}StreamReader(new {ZIP}GZipStream(new {IO}MemoryStream("
            f'Convert.FromBase64String("{b64(gzip.compress(b"<p>Terms of use</p>"))}")), '
            f"{ZIP}CompressionMode.Decompress)).ReadToEnd());"
        ),
    ),
    (
        "gz_compress.aspx",
        cs_page(
            f"var o = new {IO}MemoryStream();\n"
            f"using (var z = new {ZIP}GZipStream(o, {ZIP}CompressionMode.Compress)) "
            '{ var b = System.Text.Encoding.UTF8.GetBytes("report"); z.Write(b, 0, b.Length); }\n'
            'Response.BinaryWrite(o.ToArray()); Response.AppendHeader("Content-Encoding", "gzip");'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_compressed_text_shown_or_output_compressed_is_not_reported(name: str, code: str) -> None:
    assert_benign(name, code)
