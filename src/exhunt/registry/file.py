"""Any other file: the file-system hunt looks at its name, hash and content."""

from exhunt.model import ArtefactKind
from exhunt.registry.base import Artefact, Role

ARTEFACT = Artefact(
    kind=ArtefactKind.FILE,
    title="files",
    role=Role.FILE,
    reader="bytes (filehunt/reading.py), analyzer files",
    blind_spot="No files: web shells, dumps and staged archives on disk cannot be found.",
    live_paths=(
        r"%ExchangeInstallPath%\FrontEnd\HttpProxy\**",
        r"%ExchangeInstallPath%\ClientAccess\**",
        r"%SystemDrive%\inetpub\wwwroot\**",
        r"%ProgramData%\*",
        r"%SystemRoot%\Temp\*",
        r"%SystemDrive%\root\*",  # where Test-ProxyLogon looks for LSASS dumps
        r"%ExchangeInstallPath%\bin\ExSetup.exe",  # the exact build (analyzers/exsetup.py)
    ),
)
