"""Windows event logs as .evtx files."""

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

ARTEFACT = Artefact(
    kind=ArtefactKind.EVTX,
    title="event logs",
    role=Role.EVENT_LOG,
    reader="EVTX (events/evtx_file.py), analyzer events",
    blind_spot="No Windows event logs (CVE-2021-26857, Exchange cmdlets, process traces).",
    live_paths=(r"%SystemRoot%\System32\winevt\Logs\*.evtx",),
    coverage="EventLog",
    judged_on=True,
    extensions=frozenset({".evtx"}),
)
