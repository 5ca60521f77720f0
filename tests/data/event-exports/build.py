"""Writes the example event exports in this folder, one per format, each holding the same four
events (a w3wp.exe -> cmd.exe web-shell command as Sysmon 1 and as Security 4688, a benign logon,
a benign service start), shaped as each tool documents its output. Run it to rebuild them:
`python tests/data/event-exports/build.py`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
COMPUTER = "EX01.corp.local"
CMD = 'cmd /c "cd /d "C:\\inetpub\\wwwroot\\aspnet_client\\"&whoami&echo [S]&cd&echo [E]"'
W3WP = "C:\\Windows\\System32\\inetsrv\\w3wp.exe"
W3WP_CMD = 'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "MSExchangeOWAAppPool" -v "v4.0"'
EVENTS = [
    {
        "channel": "Microsoft-Windows-Sysmon/Operational",
        "provider": "Microsoft-Windows-Sysmon",
        "id": 1,
        "record": 1201,
        "time": "2021-03-03T05:00:10.123Z",
        "data": {
            "RuleName": "-",
            "UtcTime": "2021-03-03 05:00:10.123",
            "ProcessId": "4242",
            "Image": "C:\\Windows\\System32\\cmd.exe",
            "CommandLine": CMD,
            "User": "NT AUTHORITY\\SYSTEM",
            "ParentProcessId": "3108",
            "ParentImage": W3WP,
            "ParentCommandLine": W3WP_CMD,
        },
    },
    {
        "channel": "Security",
        "provider": "Microsoft-Windows-Security-Auditing",
        "id": 4688,
        "record": 88001,
        "time": "2021-03-03T05:00:10.125Z",
        "data": {
            "SubjectUserSid": "S-1-5-18",
            "SubjectUserName": "EX01$",
            "SubjectDomainName": "CORP",
            "SubjectLogonId": "0x3e7",
            "NewProcessId": "0x1092",
            "NewProcessName": "C:\\Windows\\System32\\cmd.exe",
            "TokenElevationType": "%%1936",
            "ProcessId": "0xc24",
            "CommandLine": CMD,
            "ParentProcessName": W3WP,
        },
    },
    {
        "channel": "Security",
        "provider": "Microsoft-Windows-Security-Auditing",
        "id": 4624,
        "record": 88002,
        "time": "2021-03-03T05:01:00.000Z",
        "data": {"TargetUserName": "alice", "TargetDomainName": "CORP", "LogonType": "3", "IpAddress": "10.0.0.5"},
    },
    {
        "channel": "System",
        "provider": "Service Control Manager",
        "id": 7036,
        "record": 501,
        "time": "2021-03-03T05:02:00.000Z",
        "data": {"param1": "Windows Update", "param2": "running"},
    },
]
MESSAGES = {
    1: "Process Create:\n" + "\n".join(f"{k}: {v}" for k, v in EVENTS[0]["data"].items()),  # type: ignore[union-attr]
    4688: (
        "A new process has been created.\n\nCreator Subject:\n\tSecurity ID:\t\tS-1-5-18\n"
        "\tAccount Name:\t\tEX01$\n\tAccount Domain:\t\tCORP\n\tLogon ID:\t\t0x3E7\n\n"
        "Process Information:\n\tNew Process ID:\t\t0x1092\n"
        "\tNew Process Name:\tC:\\Windows\\System32\\cmd.exe\n\tToken Elevation Type:\t%%1936\n"
        f"\tCreator Process ID:\t0xc24\n\tCreator Process Name:\t{W3WP}\n\tProcess Command Line:\t{CMD}\n"
    ),
    4624: "An account was successfully logged on.",
    7036: "The Windows Update service entered the running state.",
}


def jsonl(docs: list[dict]) -> str:
    return "".join(json.dumps(d) + "\n" for d in docs)


def winlogbeat6() -> str:
    return jsonl(
        [
            {
                "@timestamp": e["time"],
                "beat": {"hostname": "EX01", "name": "EX01", "version": "6.8.23"},
                "computer_name": COMPUTER,
                "event_data": e["data"],
                "event_id": e["id"],
                "level": "Information",
                "log_name": e["channel"],
                "message": MESSAGES[e["id"]],
                "record_number": str(e["record"]),
                "source_name": e["provider"],
                "type": "wineventlog",
            }
            for e in EVENTS
        ]
    )


def winlogbeat_ecs(version: str, agent: bool) -> str:
    docs = []
    for e in EVENTS:
        doc = {
            "@timestamp": e["time"],
            "agent": {"type": "filebeat" if agent else "winlogbeat", "version": version},
            "event": {"code": str(e["id"]), "created": e["time"], "kind": "event", "provider": e["provider"]},
            "host": {"name": "ex01.corp.local", "hostname": "EX01"},
            "log": {"level": "information"},
            "message": MESSAGES[e["id"]],
            "winlog": {
                "channel": e["channel"],
                "computer_name": COMPUTER,
                "event_data": e["data"],
                "event_id": str(e["id"]) if version.startswith("8") else e["id"],
                "provider_name": e["provider"],
                "record_id": e["record"],
            },
        }
        if agent:
            doc["data_stream"] = {"dataset": "system.security", "namespace": "default", "type": "logs"}
        docs.append(doc)
    return jsonl(docs)


def velociraptor() -> str:
    return jsonl(
        [
            {
                "EventTime": e["time"],
                "Computer": COMPUTER,
                "Channel": e["channel"],
                "Provider": e["provider"],
                "EventID": e["id"],
                "EventRecordID": e["record"],
                "UserSID": "S-1-5-18",
                "Username": "SYSTEM",
                "EventData": e["data"],
                "UserData": None,
                "Message": MESSAGES[e["id"]],
                "OSPath": f"C:\\Windows\\System32\\winevt\\Logs\\{e['channel'].replace('/', '%4')}.evtx",
            }
            for e in EVENTS
        ]
    )


def _payload(data: dict[str, str]) -> str:
    items = [{"@Name": k, "#text": v} for k, v in data.items() if not k.startswith("param")]
    unnamed = [v for k, v in data.items() if k.startswith("param")]
    return json.dumps({"EventData": {"Data": items or unnamed}})


def _evtxecmd_rows() -> list[dict]:
    return [
        {
            "RecordNumber": n,
            "EventRecordId": str(e["record"]),
            "TimeCreated": e["time"].replace("T", " ").rstrip("Z") + "0000",
            "EventId": e["id"],
            "Level": "Info",
            "Provider": e["provider"],
            "Channel": e["channel"],
            "ProcessId": 4,
            "ThreadId": 8,
            "Computer": COMPUTER,
            "ChunkNumber": 0,
            "UserId": "S-1-5-18",
            "MapDescription": "",
            "UserName": "",
            "RemoteHost": "",
            "PayloadData1": "",
            "ExecutableInfo": e["data"].get("CommandLine", ""),  # type: ignore[union-attr]
            "HiddenRecord": False,
            "SourceFile": f"C:\\Windows\\System32\\winevt\\Logs\\{e['channel'].replace('/', '%4')}.evtx",
            "Keywords": "Audit success",
            "ExtraDataOffset": 0,
            "Payload": _payload(e["data"]),  # type: ignore[arg-type]
        }
        for n, e in enumerate(EVENTS, 1)
    ]


def evtxecmd_json() -> str:
    return jsonl(_evtxecmd_rows())


def evtxecmd_csv() -> str:
    rows = _evtxecmd_rows()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _xml_event(e: dict, rendering: bool) -> str:
    data = "".join(
        f"<Data>{escape(v)}</Data>" if k.startswith("param") else f"<Data Name={quoteattr(k)}>{escape(v)}</Data>"
        for k, v in e["data"].items()
    )
    render = (
        f"<RenderingInfo Culture='en-US'><Message>{escape(MESSAGES[e['id']])}</Message><Level>Information</Level></RenderingInfo>"
        if rendering
        else ""
    )
    return (
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        f"<Provider Name={quoteattr(e['provider'])}/><EventID>{e['id']}</EventID><Version>0</Version>"
        f"<Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>"
        f"<TimeCreated SystemTime='{e['time'][:-1]}0000Z'/><EventRecordID>{e['record']}</EventRecordID>"
        f"<Correlation/><Execution ProcessID='4' ThreadID='8'/><Channel>{escape(e['channel'])}</Channel>"
        f"<Computer>{COMPUTER}</Computer><Security/></System><EventData>{data}</EventData>{render}</Event>"
    )


def wevtutil_xml() -> str:
    return "".join(_xml_event(e, True) for e in EVENTS)  # wevtutil writes events with no root


def event_viewer_xml() -> str:
    body = "\n".join(_xml_event(e, False) for e in EVENTS)
    return f'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<Events>\n{body}\n</Events>\n'


def splunk_json() -> str:
    docs = []
    for n, e in enumerate(EVENTS):
        if n % 2 == 0:  # XmlWinEventLog
            raw = _xml_event(e, True)
            sourcetype = f"XmlWinEventLog:{e['channel']}"
        else:  # classic WinEventLog text
            raw = (
                "03/03/2021 05:00:10 AM\nLogName={}\nEventCode={}\nEventType=0\nComputerName={}\n"
                "SourceName={}\nType=Information\nRecordNumber={}\nKeywords=Audit Success\n"
                "TaskCategory=Process Creation\nOpCode=Info\nMessage={}"
            ).format(e["channel"], e["id"], COMPUTER, e["provider"], e["record"], MESSAGES[e["id"]])
            sourcetype = f"WinEventLog:{e['channel']}"
        result = {
            "_raw": raw,
            "_time": e["time"].replace("Z", "+00:00"),
            "host": "EX01",
            "source": f"WinEventLog:{e['channel']}",
            "sourcetype": sourcetype,
            "index": "wineventlog",
        }
        docs.append({"preview": False, "offset": n, "result": result})
    return jsonl(docs)


FORMATS = {
    "winlogbeat-6/EX01/winlogbeat-6.8.json": winlogbeat6,
    "winlogbeat-7/EX01/winlogbeat-7.17.ndjson": lambda: winlogbeat_ecs("7.17.0", False),
    "winlogbeat-8/EX01/winlogbeat-8.11.ndjson": lambda: winlogbeat_ecs("8.11.0", False),
    "elastic-agent-8/EX01/logs-system.security-default.ndjson": lambda: winlogbeat_ecs("8.11.0", True),
    "velociraptor/EX01/results/Windows.EventLogs.EvtxHunter.json": velociraptor,
    "evtxecmd-json/EX01/EventLogs/20210303050000_EvtxECmd_Output.json": evtxecmd_json,
    "evtxecmd-csv/EX01/EventLogs/20210303050000_EvtxECmd_Output.csv": evtxecmd_csv,
    "wevtutil-xml/EX01/security-and-sysmon.xml": wevtutil_xml,
    "event-viewer-xml/EX01/saved-events.xml": event_viewer_xml,
    "splunk-json/EX01/splunk-export.json": splunk_json,
}

if __name__ == "__main__":
    for rel, build in FORMATS.items():
        path = HERE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(build(), encoding="utf-8", newline="")
