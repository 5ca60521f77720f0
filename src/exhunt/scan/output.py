"""Machine-readable scan outputs: the `exhunt.scan/1` JSON report, JSON lines and CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

import orjson

from exhunt.model import CHAINS
from exhunt.report.csvsafe import spreadsheet_safe
from exhunt.report.safe_text import printable
from exhunt.scan.result import HostResult, ScanReport

CSV_COLUMNS = (
    "target",
    "key",
    "address",
    "port",
    "reachable",
    "is_exchange",
    "product",
    "build",
    "build_source",
    "build_precision",
    *map(str, CHAINS),
    "checks",
    "cert_subject",
    "cert_sha256",
    "evidence",
    "errors",
)


def report_json(report: ScanReport) -> str:
    return orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode()


def result_line(result: HostResult) -> str:
    """One result as one JSON line, for streaming."""
    return orjson.dumps(result.to_dict()).decode()


def _cell(value: Any, safe: bool) -> str:
    """One cell on one line. Certificate subjects, headers and errors come from the server:
    control characters (OSC 52 clipboard writes, screen clears, BEL), bidi overrides and lone
    surrogates are shown as escapes, so `--csv -` on a terminal or the file in a viewer stays
    inert; and by default a spreadsheet will not run the cell as a formula."""
    text = "" if value is None else printable(str(value).replace("\r", " ").replace("\n", " "))
    return spreadsheet_safe(text) if safe else text


def _row(r: HostResult, safe: bool) -> list[str]:
    cert = (r.tls or {}).get("certificate") or {}
    checks = "; ".join(f"{c.name}={c.verdict}" for c in r.checks)
    values: list[Any] = [
        r.target,
        r.key,
        r.address,
        r.port or "",
        r.reachable,
        r.is_exchange,
        r.product,
        r.build,
        r.build_source,
        r.build_precision,
        *(r.exposure.get(str(c)) for c in CHAINS),
        checks,
        cert.get("subject"),
        cert.get("sha256"),
        " | ".join(r.evidence),
        " | ".join(r.errors),
    ]
    return [_cell(v, safe) for v in values]


def write_csv(results: Iterable[HostResult], out: IO[str], safe: bool = True) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in results:
        writer.writerow(_row(r, safe))
