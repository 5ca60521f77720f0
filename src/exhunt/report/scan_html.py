"""`exhunt scan --html`: the scan results as one self-contained, script-free HTML table.

Every value a server sent (headers, certificate names, errors) is escaped; the page makes no
request and runs nothing: its Content-Security-Policy allows only its own stylesheet, by hash.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from exhunt.model import CHAINS, iso
from exhunt.scan.result import ScanReport, summarise
from exhunt.wording import counted

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
td.addr,td.build{white-space:nowrap;font-family:monospace}
.vulnerable{color:#a00;font-weight:bold}.vulnerable-unless-su{color:#a60;font-weight:bold}
.patched{color:#070}.unknown{color:#666}
@media print{body{margin:0}tr{break-inside:avoid}}
"""


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
    return f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"


def render_scan_html(report: ScanReport) -> str:
    s = summarise(report.results)
    rows = []
    for r in report.results:
        cells = [
            f'<td class="addr">{escape(r.target)}</td>',
            f'<td class="addr">{escape(r.address or "")}</td>',
            f'<td class="build">{escape(r.build or "-")}</td>',
            f"<td>{escape(r.build_source or '-')}</td>",
        ]
        for chain in CHAINS:
            status = r.exposure.get(str(chain), "unknown") if r.is_exchange else "-"
            cells.append(f'<td class="{escape(status)}">{escape(status)}</td>')
        notes = [*r.errors, *(f"{c.name}: {c.verdict}" for c in r.checks)]
        cells.append(f"<td>{escape(r.product or ('Exchange not seen' if r.reachable else 'no answer'))}</td>")
        cells.append(f"<td>{'<br>'.join(escape(n) for n in notes)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    heads = ["target", "address", "build", "from", *map(str, CHAINS), "product", "notes"]
    summary = (
        f"{counted(s['targets'], 'target')}: {s['reachable']} answered, {s['exchange']} Exchange "
        f"({s['with_build']} with a build), {s['exposed']} exposed"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">'
        f"<title>exhunt scan {escape(str(report.started.date()))}</title><style>{_CSS}</style></head><body>"
        f"<h1>exhunt scan</h1><p>{escape(summary)}. Started {escape(iso(report.started) or '')}, "
        f"exhunt {escape(report.tool_version)}.</p>"
        f"<table><thead><tr>{''.join(f'<th>{escape(h)}</th>' for h in heads)}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></body></html>\n"
    )
