"""HTTP.sys error logs: requests the kernel refused or dropped before IIS saw them."""

import re

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

ARTEFACT = Artefact(
    kind=ArtefactKind.HTTPERR,
    title="HTTPERR logs",
    role=Role.SUPPORTING_LOG,
    reader="W3C extended log (artefacts/w3c.py), analyzer httperr-log",
    blind_spot=(
        "No HTTP.sys HTTPERR logs (attack requests refused or dropped before IIS, e.g. a mitigation or a time-out)."
    ),
    live_paths=(r"%SystemRoot%\System32\LogFiles\HTTPERR\*.log",),
    name_pattern=re.compile(r"^httperr\d*\.log$"),
    folder_test="httperr".__eq__,
    software=("microsoft http api",),
)
