"""Exchange ECP Activity logs: the back-end ECP requests, with their URL and build."""

import re

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

ARTEFACT = Artefact(
    kind=ArtefactKind.ECP_ACTIVITY,
    title="ECP Activity logs",
    role=Role.SUPPORTING_LOG,
    reader="Exchange CSV log (artefacts/exchange_csv.py), analyzer ecp-activity-log",
    blind_spot="No ECP Activity logs (the back-end side of ECP requests, a second view of CVE-2021-27065).",
    live_paths=(r"%ExchangeInstallPath%\Logging\ECP\Activity\*.log",),
    logging_folders=(("ecp", "activity"),),
    name_pattern=re.compile(r"^ecpactivity"),
    log_types=("ecp activity",),
)
