"""Exchange ECP Server logs: the cmdlets ECP ran, with their parameters."""

import re

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

ARTEFACT = Artefact(
    kind=ArtefactKind.ECP_SERVER,
    title="ECP Server logs",
    role=Role.SUPPORTING_LOG,
    reader="Exchange CSV log (artefacts/exchange_csv.py), analyzer ecp-server-log",
    blind_spot="No ECP Server logs (CVE-2021-27065 virtual directory edits).",
    live_paths=(r"%ExchangeInstallPath%\Logging\ECP\Server\*.log",),
    judged_on=True,
    logging_folders=(("ecp", "server"),),
    name_pattern=re.compile(r"^ecpserver"),
    log_types=("ecp server",),
)
