"""Exchange OAB generator logs: where the offline address book was downloaded to."""

import re

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

ARTEFACT = Artefact(
    kind=ArtefactKind.OAB_GENERATOR,
    title="OAB generator logs",
    role=Role.SUPPORTING_LOG,
    reader="line log (artefacts/oab.py), analyzer oab-generator-log",
    blind_spot="No OAB generator logs (CVE-2021-26858 file writes).",
    live_paths=(r"%ExchangeInstallPath%\Logging\OABGeneratorLog\*.log",),
    judged_on=True,
    logging_folders=(("oabgeneratorlog",),),
    name_pattern=re.compile(r"^oabgenerator"),
    log_types=("oab generator", "oabgenerator"),
)
