"""Exchange remote PowerShell Rps_Http logs: each remote PowerShell request, with its client."""

import re

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

ARTEFACT = Artefact(
    kind=ArtefactKind.RPS_HTTP,
    title="Rps_Http logs",
    role=Role.SUPPORTING_LOG,
    reader="Exchange CSV log (artefacts/exchange_csv.py), analyzer rps-http-log",
    blind_spot="No remote PowerShell Rps_Http logs (OWASSRF).",
    live_paths=(r"%ExchangeInstallPath%\Logging\CmdletInfra\Powershell-Proxy\Http\*Rps_Http*.log",),
    logging_folders=(("cmdletinfra", "powershell-proxy", "http"),),
    logging_name_word="rps_http",
    name_pattern=re.compile(r"rps_http"),
    csv_headers=("datetime,starttime,requestid,",),
)
