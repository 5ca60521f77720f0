"""Collection recipes: a KAPE target, a Velociraptor artifact and a PowerShell script that collect
exactly what exhunt reads, written from one list of Windows path patterns so they never drift.

The list is the artefact registry's (`exhunt.registry`: every artefact kind declares where it
lives on a server), so a new artefact reaches the recipes with no edit here. Each pattern is a
Windows path with environment variables (`%ExchangeInstallPath%`,
`%SystemRoot%`, `%SystemDrive%`, `%ProgramData%`) and globs: `*` in the last part, or `**` for
everything below a folder. Each recipe lays the files out the way `exhunt hunt` recognises them:
KAPE as a disk mirror under `--tdest` (`<tdest>\\C\\Program Files\\...`), Velociraptor as its
collection (`uploads/auto/C%3A/...`), the PowerShell script as `<COMPUTERNAME>\\C\\...` in a zip.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

from exhunt import __version__
from exhunt.model import ArtefactKind
from exhunt.registry import ARTEFACTS

DEFAULT_INSTALL = r"C:\Program Files\Microsoft\Exchange Server\V15"
_NAMESPACE = uuid.UUID("3f0f4bb4-5f2e-4a4e-8f6a-1a7c2b0c9d21")


def collection() -> list[tuple[ArtefactKind, str, str]]:
    """(artefact kind, what, Windows path pattern) of everything the registry says exhunt reads."""
    return [(a.kind, a.title, path) for a in ARTEFACTS for path in a.live_paths]


@dataclass(frozen=True, slots=True)
class Item:
    """One pattern, split the way collection tools want it."""

    kind: ArtefactKind
    what: str
    pattern: str  # as in COLLECTION
    folder: str  # the pattern's folder, variables kept
    mask: str  # file mask in that folder
    recursive: bool  # also every folder below

    def folder_with(self, variables: dict[str, str]) -> str:
        folder = self.folder
        for name, value in variables.items():
            folder = folder.replace(f"%{name}%", value)
        return folder


def split(kind: ArtefactKind, what: str, pattern: str) -> Item:
    parts = pattern.split("\\")
    first = next((i for i, p in enumerate(parts) if "*" in p), len(parts) - 1)
    folder = "\\".join(parts[:first])
    rest = parts[first:]
    if rest[0] == "**":
        return Item(kind, what, pattern, folder, rest[1] if len(rest) > 1 else "*", True)
    if len(rest) > 1:
        # a wildcard folder (W3SVC*): KAPE and PowerShell take it recursively from its parent
        return Item(kind, what, pattern, folder, rest[-1], True)
    return Item(kind, what, pattern, folder, rest[0], False)


def _regex(pattern: str) -> re.Pattern[str]:
    """A Windows glob as a case-insensitive regex: `**` any depth, `*` and `?` within one name."""
    out = []
    for token in re.split(r"(\*\*|\*|\?)", pattern):
        if token == "**":
            out.append(".*")
        elif token == "*":
            out.append(r"[^\\]*")
        elif token == "?":
            out.append(r"[^\\]")
        else:
            out.append(re.escape(token))
    return re.compile("".join(out) + "$", re.IGNORECASE)


def collected_by(path: str, install: str = DEFAULT_INSTALL) -> Item | None:
    """The first item whose pattern takes the Windows `path`, or None: what the recipes collect."""
    variables = _variables(install)
    for it in items():
        pattern = it.pattern
        for name, value in variables.items():
            pattern = pattern.replace(f"%{name}%", value)
        if _regex(pattern).match(path):
            return it
    return None


def items() -> list[Item]:
    return [split(kind, what, pattern) for kind, what, pattern in collection()]


def _variables(install: str) -> dict[str, str]:
    return {
        "ExchangeInstallPath": install.rstrip("\\"),
        "SystemRoot": r"C:\Windows",
        "SystemDrive": "C:",
        "ProgramData": r"C:\ProgramData",
    }


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text)


def kape_target(install: str = DEFAULT_INSTALL) -> str:
    """A KAPE target (.tkape). KAPE copies each entry under `--tdest`, keeping drive and path."""
    variables = _variables(install)
    lines = [
        f"Description: {_yaml_str('Exchange server artefacts read by exhunt ' + __version__)}",
        "Author: exhunt",
        "Version: 1.0",
        f"Id: {uuid.uuid5(_NAMESPACE, 'kape|' + install)}",
        "RecreateDirectories: true",
        "Targets:",
    ]
    for it in items():
        lines += [
            "    -",
            f"        Name: {_yaml_str(it.what + chr(32) + chr(40) + it.pattern + chr(41))}",
            "        Category: Exchange",
            f"        Path: {_yaml_str(it.folder_with(variables) + chr(92))}",
            f"        FileMask: {_yaml_str(it.mask)}",
            f"        Recursive: {'true' if it.recursive else 'false'}",
            f"        Comment: {_yaml_str(f'{it.kind.value}: {it.pattern}')}",
        ]
    lines.append("# Run: kape.exe --tsource C: --target ExhuntExchange --tdest D:\\case\\<HOST>")
    lines.append("# then: exhunt hunt D:\\case\\<HOST>")
    return "\n".join(lines) + "\n"


_SETUP_KEY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\ExchangeServer\v15\Setup"
_TRAILING_SLASH = r"\\$"
_WINDOWS = r"C:\Windows"
_PROGRAMDATA = r"C:\ProgramData"


def _vql_str(text: str) -> str:
    """A VQL raw string: backslashes stay as written."""
    return "'''" + text + "'''"


def velociraptor_artifact(install: str = DEFAULT_INSTALL) -> str:
    """A Velociraptor CLIENT artifact uploading every pattern (files keep their paths)."""
    rows = ",\n".join(f"          {_vql_str(it.pattern)}" for it in items())
    return (
        "name: Custom.Exhunt.Exchange.Collection\n"
        "description: |\n"
        f"  The Exchange server artefacts exhunt {__version__} reads: HttpProxy, ECP, OAB generator,\n"
        "  remote PowerShell, IIS and HTTPERR logs, event logs, IIS configuration, and the web\n"
        "  folders, ProgramData and Windows Temp for the file hunt. Hunt the collection zip with\n"
        "  `exhunt hunt Collection-<host>-<time>.zip`.\n"
        "author: exhunt\n"
        "type: CLIENT\n"
        "parameters:\n"
        "  - name: ExchangeInstallPath\n"
        "    description: Exchange install folder; empty reads it from the registry (MsiInstallPath)\n"
        '    default: ""\n'
        "sources:\n"
        "  - name: Upload\n"
        "    query: |\n"
        "      LET setup = SELECT MsiInstallPath FROM read_reg_key(\n"
        f"          globs={_vql_str(_SETUP_KEY)})\n"
        f"      LET install = regex_replace(source=ExchangeInstallPath || setup[0].MsiInstallPath || {_vql_str(install)},\n"
        f"          re={_vql_str(_TRAILING_SLASH)}, replace='')\n"
        f"      LET system_root = environ(var='SystemRoot') || {_vql_str(_WINDOWS)}\n"
        "      LET system_drive = environ(var='SystemDrive') || 'C:'\n"
        f"      LET program_data = environ(var='ProgramData') || {_vql_str(_PROGRAMDATA)}\n"
        "      LET patterns = (\n"
        f"{rows}\n"
        "      )\n"
        "      LET globs = SELECT regex_replace(source=regex_replace(source=regex_replace(source=regex_replace(\n"
        '          source=_value, re="%ExchangeInstallPath%", replace=install),\n'
        '          re="%SystemRoot%", replace=system_root),\n'
        '          re="%SystemDrive%", replace=system_drive),\n'
        '          re="%ProgramData%", replace=program_data) AS Glob FROM foreach(row=patterns)\n'
        '      SELECT OSPath, Size, Mtime, upload(file=OSPath, accessor="auto") AS Upload\n'
        '      FROM glob(globs=globs.Glob, accessor="auto")\n'
        "      WHERE NOT IsDir\n"
    )


def _ps(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def powershell_script(install: str = DEFAULT_INSTALL) -> str:
    """A PowerShell script (5.1 or later) copying every pattern to <Out>\\<COMPUTERNAME>\\<drive>\\<path>,
    then zipping it. Read-only on the evidence; files it cannot read are listed, not skipped silently."""
    rows = "\n".join(
        f"    @({_ps(it.what)}, {_ps(it.folder)}, {_ps(it.mask)}, ${'true' if it.recursive else 'false'})"
        + ("," if i < len(items()) - 1 else "")
        for i, it in enumerate(items())
    )
    return f"""# Collects the Exchange server artefacts exhunt {__version__} reads. Run as administrator:
#   powershell -ExecutionPolicy Bypass -File exhunt-collect.ps1 -Out D:\\case
# then: exhunt hunt D:\\case\\<COMPUTERNAME>.zip
param(
    [string]$Out = (Get-Location).Path,
    [string]$ExchangeInstallPath = ''
)
$ErrorActionPreference = 'Continue'
if (-not $ExchangeInstallPath) {{
    $setup = Get-ItemProperty -Path 'HKLM:\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup' -ErrorAction SilentlyContinue
    $ExchangeInstallPath = if ($setup.MsiInstallPath) {{ $setup.MsiInstallPath }}
        elseif ($env:ExchangeInstallPath) {{ $env:ExchangeInstallPath }}
        else {{ {_ps(install)} }}
}}
$vars = @{{
    '%ExchangeInstallPath%' = $ExchangeInstallPath.TrimEnd('\\')
    '%SystemRoot%' = $env:SystemRoot
    '%SystemDrive%' = $env:SystemDrive
    '%ProgramData%' = $env:ProgramData
}}
$root = Join-Path $Out $env:COMPUTERNAME
New-Item -ItemType Directory -Force -Path $root | Out-Null
$errors = Join-Path $root 'exhunt-collection-errors.txt'
$items = @(
{rows}
)
foreach ($item in $items) {{
    $what, $folder, $mask, $recurse = $item
    foreach ($name in $vars.Keys) {{ $folder = $folder.Replace($name, $vars[$name]) }}
    $parent = Split-Path $folder -Parent
    $leaf = Split-Path $folder -Leaf
    $folders = if ($leaf -like '*[*]*') {{ Get-ChildItem -Path $parent -Filter $leaf -Directory -ErrorAction SilentlyContinue | ForEach-Object FullName }} else {{ @($folder) }}
    foreach ($f in $folders) {{
        if (-not (Test-Path -LiteralPath $f)) {{ Add-Content $errors "$what: $f not found"; continue }}
        Get-ChildItem -LiteralPath $f -Filter $mask -File -Recurse:$recurse -Force -ErrorAction SilentlyContinue -ErrorVariable +failed |
            ForEach-Object {{
                $drive = $_.FullName.Substring(0, 1)
                $target = Join-Path (Join-Path $root $drive) $_.FullName.Substring(3)
                New-Item -ItemType Directory -Force -Path (Split-Path $target -Parent) | Out-Null
                try {{ Copy-Item -LiteralPath $_.FullName -Destination $target -ErrorAction Stop }}
                catch {{ Add-Content $errors "$what: $($_.Exception.Message)" }}
            }}
    }}
}}
foreach ($e in $failed) {{ Add-Content $errors $e.ToString() }}
Compress-Archive -Path $root -DestinationPath "$root.zip" -Force
Write-Host "collected into $root.zip; exhunt hunt $root.zip"
"""


RECIPES = {
    "kape": (kape_target, "ExhuntExchange.tkape"),
    "velociraptor": (velociraptor_artifact, "Custom.Exhunt.Exchange.Collection.yaml"),
    "powershell": (powershell_script, "exhunt-collect.ps1"),
}
