"""Exchange HttpProxy logs: one row per request the front end proxied, with where it went."""

import re

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

ARTEFACT = Artefact(
    kind=ArtefactKind.HTTPPROXY,
    title="HttpProxy logs",
    role=Role.WEB_LOG,
    reader="Exchange CSV log (artefacts/exchange_csv.py), analyzer httpproxy-log",
    blind_spot=(
        "No Exchange HttpProxy logs: ProxyLogon's cookie-based SSRF (CVE-2021-26855) is only visible "
        "there; IIS logs show the requests but not where they were routed."
    ),
    live_paths=(r"%ExchangeInstallPath%\Logging\HttpProxy\**\*.log",),
    judged_on=True,
    logging_folders=(("httpproxy",),),
    name_pattern=re.compile(r"^httpproxy_"),
    log_types=("httpproxy",),
    csv_headers=("datetime,requestid,",),
)
