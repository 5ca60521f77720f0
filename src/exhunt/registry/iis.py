"""IIS W3C logs of the Exchange front end (W3SVC1) and back end (W3SVC2)."""

import re

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

_W3SVC = re.compile(r"^w3svc\d*$")


def is_w3svc(name_lower: str) -> bool:
    """An IIS site log folder: `W3SVC1` (front end), `W3SVC2` (back end), `W3SVC`."""
    return bool(_W3SVC.match(name_lower))


ARTEFACT = Artefact(
    kind=ArtefactKind.IIS,
    title="IIS logs",
    role=Role.WEB_LOG,
    reader="W3C extended log (artefacts/w3c.py), analyzer iis-log",
    blind_spot="No IIS logs: requests to web shells and the status of every request cannot be seen.",
    live_paths=(r"%SystemDrive%\inetpub\logs\LogFiles\W3SVC*\*.log",),
    judged_on=True,
    name_pattern=re.compile(r"^u?_?ex\d{4,}.*\.log$|^u_(?:in|nc)\d{4,}.*\.log$"),
    folder_test=is_w3svc,
    software=("microsoft internet information services",),
)
