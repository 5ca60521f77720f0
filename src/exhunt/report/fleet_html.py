"""The HTML report of a fleet: an index page (verdict counts, one row per host, worst first) and
one page per host beside it, in `<index stem>.hosts/`. Written as the hunt goes: each host's
page when it is assessed, the index from one small row per host at the end."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from pathlib import Path

from exhunt import __version__
from exhunt.fleet.outputs import FEW_HOSTS as FEW_HOSTS
from exhunt.fleet.verdicts import HostSummary, verdict_counts, verdict_rank
from exhunt.model import HostAssessment, HuntResult
from exhunt.outfile import replaced
from exhunt.report.html import _environment, _stylesheet, content_security_policy, render_html


def file_stem(host: str, key: str) -> str:
    """A file name for a host: its name made safe, and a short digest of its evidence key so
    two collections of one host do not overwrite each other. Letters and digits of any script
    stay (in NFC), so `Сервер-交换机-EX08` is still readable; anything else (separators, controls,
    bidi overrides, marks) becomes `_`."""
    text = unicodedata.normalize("NFC", host)
    name = re.sub(r"_+", "_", "".join(c if c.isalnum() or c in "._-" else "_" for c in text))
    name = name.strip("._")[:60] or "host"
    return f"{name}-{hashlib.sha256(key.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"


def pages_dir(index: str | Path) -> Path:
    p = Path(index)
    return p.with_name(p.stem + ".hosts")


def write_host_page(host: HostAssessment, key: str, index: str | Path, result: HuntResult) -> str:
    """Write one host's page; returns its path relative to the index."""
    folder = pages_dir(index)
    folder.mkdir(exist_ok=True)
    name = file_stem(host.host, key) + ".html"
    one = HuntResult(result.tool_version, result.started, result.finished, [host])
    text = render_html(one, index_href=f"../{Path(index).name}")
    with replaced(folder / name, errors="backslashreplace") as out:
        out.write(text)
    return f"{folder.name}/{name}"


def render_index(
    rows: list[HostSummary],
    *,
    started: datetime,
    finished: datetime | None,
    interrupted: bool = False,
    tool_version: str = __version__,
) -> str:
    ordered = sorted(rows, key=lambda r: (verdict_rank(r.verdict), r.host.lower(), r.page))
    css, _ = _stylesheet()
    return (
        _environment()
        .get_template("fleet.html.j2")
        .render(
            rows=ordered,
            counts=[(str(v), n) for v, n in verdict_counts(r.verdict for r in rows).items()],
            started=started,
            finished=finished,
            interrupted=interrupted,
            tool_version=tool_version,
            css=css,
            csp=content_security_policy(),
        )
    )


def write_index(rows: list[HostSummary], path: str | Path, **kwargs: object) -> None:
    text = render_index(rows, **kwargs)  # type: ignore[arg-type]
    with replaced(path, errors="backslashreplace") as out:
        out.write(text)


def write_fleet_html(result: HuntResult, index: str | Path) -> None:
    """The index and every host page of a whole hunt at once (`exhunt report`)."""
    rows: list[HostSummary] = []
    for host in result.hosts:
        key = f"{host.root}#{host.host}#{len(rows)}"
        rows.append(HostSummary.of(host, write_host_page(host, key, index, result)))
    write_index(rows, index, started=result.started, finished=result.finished, tool_version=result.tool_version)
