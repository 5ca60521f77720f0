"""Windows event logs exported as JSON (one event per line, or one array)."""

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

ARTEFACT = Artefact(
    kind=ArtefactKind.EVENT_JSON,
    title="event logs",
    role=Role.EVENT_LOG,
    reader="JSON lines or array (events/jsonl.py), analyzer events",
    blind_spot="No Windows event logs (CVE-2021-26857, Exchange cmdlets, process traces).",
    coverage="EventLog",
    judged_on=True,
    json_events=True,
)
