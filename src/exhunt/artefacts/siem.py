"""IIS records as SIEMs export them, turned back into W3C log lines for the IIS reader.

- Elastic: Filebeat's or Elastic Agent's `iis` module (`event.dataset: iis.access`), JSON lines
  or a JSON array: ECS fields `@timestamp`, `source.address`, `http.request.method`,
  `url.path`, `url.query`, `http.response.status_code`, `user_agent.original`, `user.name`,
  `destination.address`/`port`, `iis.access.sub_status`/`win32_status`, and Filebeat 6's
  `iis.access.*` names (`remote_ip`, `method`, `url`, `query_string`, `response_code`...).
- Splunk: a CSV export of `sourcetype=ms:iis:auto`, whose columns are the W3C field names with
  `_` for `-` and `(`/`)` (`cs_uri_stem`, `cs_User_Agent`), beside `_time`, `_raw`, `host`.

The output is a W3C log with one `#Fields:` line and one line per record, so every IIS rule
reads the SIEM copy as it reads the server's own log; a record's line number is its position in
the export plus the two header lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any, cast

import orjson

from exhunt.artefacts.w3c import DEFAULT_FIELDS
from exhunt.streams import BlockStream, replay

FIELDS = DEFAULT_FIELDS
_REWINDS = (io.BufferedReader, io.FileIO)  # files on disk, where seeking back is exact
_ECS = {
    "s-ip": ("destination.address", "destination.ip", "iis.access.server_ip"),
    "cs-method": ("http.request.method", "iis.access.method"),
    "cs-uri-stem": ("url.path", "iis.access.url"),
    "cs-uri-query": ("url.query", "iis.access.query_string"),
    "s-port": ("destination.port", "iis.access.port"),
    "cs-username": ("user.name", "iis.access.user_name"),
    "c-ip": ("source.address", "source.ip", "iis.access.remote_ip"),
    "cs(User-Agent)": ("user_agent.original", "iis.access.agent", "iis.access.user_agent.original"),
    "cs(Referer)": ("http.request.referrer", "iis.access.referrer"),
    "sc-status": ("http.response.status_code", "iis.access.response_code"),
    "sc-substatus": ("iis.access.sub_status",),
    "sc-win32-status": ("iis.access.win32_status",),
}
_MAX_LINE = 1 << 20


def is_elastic_iis(record: dict[str, Any]) -> bool:
    event = record.get("event")
    dataset = event.get("dataset") if isinstance(event, dict) else record.get("event.dataset")
    if dataset == "iis.access":
        return True
    fileset = record.get("fileset")
    return isinstance(fileset, dict) and fileset.get("module") == "iis" and fileset.get("name") == "access"


def is_splunk_iis_header(line: str) -> bool:
    columns = {c.strip().strip('"') for c in line.split(",")}
    return "cs_uri_stem" in columns and ("c_ip" in columns or "cs_method" in columns)


def _get(record: dict[str, Any], dotted: str) -> Any:
    if dotted in record:
        return record[dotted]
    node: Any = record
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _w3c(value: Any, field: str) -> str:
    """One value as IIS writes it: `-` when empty, spaces as `+` in the free-text fields."""
    if value is None or value == "":
        return "-"
    text = str(value).replace("\r", " ").replace("\n", " ")[:_MAX_LINE]
    return (
        text.replace(" ", "+")
        if field in ("cs(User-Agent)", "cs(Referer)", "cs-username")
        else text.replace(" ", "%20")
    )


def _stamp(value: Any) -> tuple[str, str]:
    if not isinstance(value, str):
        return "-", "-"
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "-", "-"
    ts = ts.astimezone(UTC) if ts.tzinfo else ts
    return ts.strftime("%Y-%m-%d"), ts.strftime("%H:%M:%S")


def _line(values: dict[str, str]) -> bytes:
    return (" ".join(values.get(f, "-") for f in FIELDS) + "\n").encode("utf-8", errors="replace")


def _header() -> bytes:
    return (
        b"#Software: Microsoft Internet Information Services (SIEM export)\n#Fields: "
        + " ".join(FIELDS).encode()
        + b"\n"
    )


def elastic_lines(records: Iterator[Any]) -> Iterator[bytes]:
    yield _header()
    for record in records:
        if not isinstance(record, dict) or not is_elastic_iis(record):
            yield b"#exhunt: not an IIS access record\n"
            continue
        values = dict(zip(("date", "time"), _stamp(record.get("@timestamp")), strict=True))
        for field, names in _ECS.items():
            value = next((v for n in names if (v := _get(record, n)) not in (None, "")), None)
            values[field] = _w3c(value, field)
        duration = _get(record, "event.duration")
        if isinstance(duration, int | float):
            values["time-taken"] = str(int(duration // 1_000_000))  # ECS durations are nanoseconds
        yield _line(values)


def splunk_lines(text: io.TextIOBase) -> Iterator[bytes]:
    yield _header()
    csv.field_size_limit(_MAX_LINE)
    reader = csv.DictReader(text)
    try:
        for row in reader:
            values: dict[str, str] = {}
            for key, value in row.items():
                if not isinstance(key, str) or key.startswith("_"):
                    continue
                field = key.replace("_", "-")
                if field.lower() == "cs-user-agent":
                    field = "cs(User-Agent)"
                elif field.lower() == "cs-referer":
                    field = "cs(Referer)"
                values[field] = _w3c(value, field)
            if values.get("date", "-") == "-":
                values["date"], values["time"] = _stamp(row.get("_time"))
            yield _line(values)
    except csv.Error:
        yield b"#exhunt: the CSV export is damaged from here on\n"


def as_w3c(stream: IO[bytes]) -> IO[bytes]:
    """The stream itself when it is a W3C log, else the W3C lines of a SIEM export of IIS."""
    start = stream.tell() if isinstance(stream, _REWINDS) and stream.seekable() else None
    head = stream.read(65536)
    body = head.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()
    w3c = body[:1] not in (b"{", b"[") and not is_splunk_iis_header(
        body.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    )
    if w3c and start is not None:
        # A file on disk: read again from its start by the block reader, straight into its
        # buffer (a replaying wrapper would copy every byte twice more).
        stream.seek(start)
        return stream
    rest = replay(head, stream)
    if w3c:
        return rest
    if body[:1] in (b"{", b"["):
        return cast(IO[bytes], io.BufferedReader(BlockStream(elastic_lines(_json_records(rest)), rest.close)))
    text = io.TextIOWrapper(rest, encoding="utf-8-sig", errors="replace", newline="")
    return cast(IO[bytes], io.BufferedReader(BlockStream(splunk_lines(text), text.close)))


def _json_records(stream: IO[bytes]) -> Iterator[Any]:
    first = stream.read(1 << 20)
    if first.lstrip().startswith(b"["):
        data = first + stream.read(64 << 20)
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            yield None
            return
        yield from doc if isinstance(doc, list) else [doc]
        return
    carry = first
    while True:
        *lines, carry = carry.split(b"\n")
        for line in lines:
            if line.strip():
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError:
                    yield None
        block = stream.read(1 << 20)
        if not block:
            break
        carry += block
        if len(carry) > 8 << 20:
            yield None
            carry = b""
    if carry.strip():
        try:
            yield orjson.loads(carry)
        except orjson.JSONDecodeError:
            yield None
