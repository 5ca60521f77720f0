"""Writes the example SIEM exports of IIS logs in this folder: the same three requests (a benign
OWA logon page, the ProxyLogon SSRF entry `POST /ecp/y.js`, a web shell answered 200) as the
Filebeat/Elastic Agent `iis` module indexes them (ECS JSON lines) and as a Splunk CSV export of
`sourcetype=ms:iis:auto`. Run it to rebuild them: `python tests/data/web-exports/build.py`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUESTS = [
    (
        "2021-03-03T05:00:00Z",
        "GET",
        "/owa/auth/logon.aspx",
        "url=https%3a%2f%2fmail%2fowa%2f",
        "10.0.0.5",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        200,
    ),
    ("2021-03-03T05:01:00Z", "POST", "/ecp/y.js", "-", "203.0.113.7", "ExchangeServicesClient/0.0.0.0", 200),
    (
        "2021-03-03T05:02:00Z",
        "POST",
        "/aspnet_client/system_web/shell.aspx",
        "-",
        "203.0.113.7",
        "python-requests/2.25.1",
        200,
    ),
]


def elastic() -> str:
    out = []
    for when, method, path, query, client, agent, status in REQUESTS:
        doc = {
            "@timestamp": when,
            "agent": {"type": "filebeat", "version": "7.17.0"},
            "ecs": {"version": "1.12.0"},
            "event": {"dataset": "iis.access", "module": "iis", "category": ["web"], "duration": 15000000},
            "fileset": {"name": "access"},
            "input": {"type": "log"},
            "log": {"file": {"path": "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210303.log"}},
            "source": {"address": client, "ip": client},
            "destination": {"address": "10.0.0.10", "port": 443},
            "http": {"request": {"method": method}, "response": {"status_code": status}},
            "url": {"path": path, "original": path + ("" if query == "-" else "?" + query)},
            "user_agent": {"original": agent},
            "iis": {"access": {"sub_status": 0, "win32_status": 0, "site_name": "W3SVC1"}},
        }
        if query != "-":
            doc["url"]["query"] = query  # type: ignore[index]
        out.append(json.dumps(doc) + "\n")
    return "".join(out)


def splunk() -> str:
    columns = [
        "_time",
        "date",
        "time",
        "s_ip",
        "cs_method",
        "cs_uri_stem",
        "cs_uri_query",
        "s_port",
        "cs_username",
        "c_ip",
        "cs_User_Agent",
        "cs_Referer",
        "sc_status",
        "sc_substatus",
        "sc_win32_status",
        "time_taken",
        "host",
        "source",
        "sourcetype",
        "_raw",
    ]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for when, method, path, query, client, agent, status in REQUESTS:
        date, time = when[:10], when[11:19]
        ua = agent.replace(" ", "+")
        raw = f"{date} {time} 10.0.0.10 {method} {path} {query} 443 - {client} {ua} - {status} 0 0 15"
        writer.writerow(
            [
                when,
                date,
                time,
                "10.0.0.10",
                method,
                path,
                query,
                "443",
                "-",
                client,
                ua,
                "-",
                status,
                0,
                0,
                15,
                "EX01",
                "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210303.log",
                "ms:iis:auto",
                raw,
            ]
        )
    return buf.getvalue()


if __name__ == "__main__":
    for rel, build in {
        "elastic-iis/EX01/filebeat-iis-access.ndjson": elastic,
        "splunk-iis/EX01/ms-iis-auto.csv": splunk,
    }.items():
        path = HERE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(build(), encoding="utf-8", newline="")
