"""The artefact registry: one module per artefact kind, and the questions the rest of exhunt asks.

Classification (`evidence/classify.py`), the engine (through the analyzers' kinds), assessment
(which artefacts a clean verdict needs, what a missing one hides) and the live collection all ask
here, so a new artefact is a new module in this package plus its analyzer.
"""

from __future__ import annotations

from collections.abc import Iterator

from exhunt.model import ArtefactKind
from exhunt.registry import (
    ecp_activity,
    ecp_server,
    event_json,
    evtx,
    file,
    httperr,
    httpproxy,
    iis,
    iis_config,
    oab_generator,
    rps_http,
)
from exhunt.registry.base import Artefact, Role

__all__ = ["ARTEFACTS", "Artefact", "Role", "artefact", "collection_paths", "judged_on", "live_folders", "of_role"]

# In the order classification tries them: Exchange's own logs before IIS's, IIS before HTTPERR.
ARTEFACTS: tuple[Artefact, ...] = tuple(
    m.ARTEFACT
    for m in (
        evtx,
        iis_config,
        httpproxy,
        ecp_server,
        ecp_activity,
        rps_http,
        oab_generator,
        iis,
        httperr,
        event_json,
        file,
    )
)
_BY_KIND = {a.kind: a for a in ARTEFACTS}


def artefact(kind: ArtefactKind) -> Artefact:
    return _BY_KIND[kind]


def of_role(*roles: Role) -> Iterator[Artefact]:
    return (a for a in ARTEFACTS if a.role in roles)


def judged_on() -> dict[str, str]:
    """Coverage key -> title of every artefact a clean verdict needs, web logs first."""
    order = list(Role)
    needed = sorted((a for a in ARTEFACTS if a.judged_on), key=lambda a: order.index(a.role))
    return {a.coverage_key: a.title for a in needed}


def live_folders(
    prefix: str, roles: tuple[Role, ...] = (Role.WEB_LOG, Role.SUPPORTING_LOG, Role.EVENT_LOG)
) -> list[tuple[str, Artefact]]:
    """(folder, artefact) for the logs whose live paths start with `prefix` (e.g. `%SystemRoot%`):
    the folder above the first wildcard, the one a live collection lists."""
    out: list[tuple[str, Artefact]] = []
    for art in of_role(*roles):
        for path in art.live_paths:
            if not path.lower().startswith(prefix.lower()):
                continue
            parts = path.split("\\")[:-1]
            fixed = [p for p in parts[: next((i for i, p in enumerate(parts) if "*" in p), len(parts))]]
            out.append(("\\".join(fixed), art))
    return out


def collection_paths() -> list[tuple[ArtefactKind, str]]:
    """(kind, Windows path pattern) of everything worth collecting from a server."""
    return [(a.kind, path) for a in ARTEFACTS for path in a.live_paths]
