"""IIS configuration: applicationHost.config and web.config files."""

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

ARTEFACT = Artefact(
    kind=ArtefactKind.IIS_CONFIG,
    title="IIS configuration",
    role=Role.CONFIG,
    reader="XML (filehunt/safexml.py), analyzers iisconfig and files",
    blind_spot="No IIS configuration: virtual directories and the URL rewrite mitigations cannot be checked.",
    live_paths=(
        r"%SystemRoot%\System32\inetsrv\config\applicationHost.config",
        r"%ExchangeInstallPath%\FrontEnd\HttpProxy\**\web.config",
        r"%ExchangeInstallPath%\ClientAccess\**\web.config",
    ),
    names=frozenset({"applicationhost.config", "web.config"}),
)
