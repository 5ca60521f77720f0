"""Exchange's comma-separated logs: HttpProxy, ECP Server, Rps_Http (docs/logs.md).

A file starts with `#Software`, `#Version`, `#Log-type`, `#Date` and `#Fields: <comma list>`
directives, or with a bare header line (`DateTime,...`, `TimeStamp,...`); columns are mapped by
that header. Values are CSV-quoted when they hold commas or quotes.
"""

from __future__ import annotations

import csv
from typing import ClassVar

from exhunt.artefacts.formats import LogFormat, directive_value
from exhunt.artefacts.reader import ErrorLog
from exhunt.artefacts.records import Header, LogRecord
from exhunt.artefacts.scan import Line
from exhunt.artefacts.timestamps import parse_iso
from exhunt.model import ProblemKind

# Exchange 2016 CU22 / 2019 / SE HttpProxy columns (docs/logs.md#httpproxy); a fallback only for
# data met before any header, and only when the value count matches.
HTTPPROXY_FIELDS = (
    "DateTime",
    "RequestId",
    "MajorVersion",
    "MinorVersion",
    "BuildVersion",
    "RevisionVersion",
    "ClientRequestId",
    "Protocol",
    "UrlHost",
    "UrlStem",
    "ProtocolAction",
    "AuthenticationType",
    "IsAuthenticated",
    "AuthenticatedUser",
    "Organization",
    "AnchorMailbox",
    "UserAgent",
    "ClientIpAddress",
    "ServerHostName",
    "HttpStatus",
    "BackEndStatus",
    "ErrorCode",
    "Method",
    "ProxyAction",
    "TargetServer",
    "TargetServerVersion",
    "RoutingType",
    "RoutingHint",
    "BackEndCookie",
    "ServerLocatorHost",
    "ServerLocatorLatency",
    "RequestBytes",
    "ResponseBytes",
    "TargetOutstandingRequests",
    "AuthModulePerfContext",
    "HttpPipelineLatency",
    "CalculateTargetBackEndLatency",
    "GlsLatencyBreakup",
    "TotalGlsLatency",
    "AccountForestLatencyBreakup",
    "TotalAccountForestLatency",
    "ResourceForestLatencyBreakup",
    "TotalResourceForestLatency",
    "ADLatency",
    "SharedCacheLatencyBreakup",
    "TotalSharedCacheLatency",
    "ActivityContextLifeTime",
    "ModuleToHandlerSwitchingLatency",
    "ClientReqStreamLatency",
    "BackendReqInitLatency",
    "BackendReqStreamLatency",
    "BackendProcessingLatency",
    "BackendRespInitLatency",
    "BackendRespStreamLatency",
    "ClientRespStreamLatency",
    "KerberosAuthHeaderLatency",
    "HandlerCompletionLatency",
    "RequestHandlerLatency",
    "HandlerToModuleSwitchingLatency",
    "ProxyTime",
    "CoreLatency",
    "RoutingLatency",
    "HttpProxyOverhead",
    "TotalRequestTime",
    "RouteRefresherLatency",
    "UrlQuery",
    "BackEndGenericInfo",
    "GenericInfo",
    "GenericErrors",
    "EdgeTraceId",
    "DatabaseGuid",
    "UserADObjectGuid",
    "PartitionEndpointLookupLatency",
    "RoutingStatus",
)

ECP_FIELDS = ["TimeStamp", "ServerName", "EventId", "EventData"]

# Rps_Http column order as read without a header by public tooling (docs/logs.md#rps_http).
RPS_HTTP_FIELDS = (
    "DateTime",
    "StartTime",
    "RequestId",
    "MajorVersion",
    "MinorVersion",
    "BuildVersion",
    "RevisionVersion",
    "ClientRequestId",
    "UrlHost",
    "UrlStem",
    "AuthenticationType",
    "IsAuthenticated",
    "AuthenticatedUser",
    "Organization",
    "ManagedOrganization",
    "ClientIpAddress",
    "ServerHostName",
    "FrontEndServer",
    "HttpStatus",
    "SubStatus",
    "ErrorCode",
    "Action",
    "CommandId",
    "CommandName",
    "SessionId",
    "ShellId",
    "FailFast",
    "ContributeToFailFast",
    "RequestBytes",
    "ClientInfo",
    "CPU",
    "Memory",
    "ActivityContextLifeTime",
    "TotalTime",
    "UrlQuery",
    "GenericLatency",
    "GenericInfo",
    "GenericErrors",
)


def split_csv(text: str) -> list[str]:
    """One CSV line into values. Plain split when nothing is quoted (the common, fast case)."""
    if '"' not in text:
        return text.split(",")
    try:
        return next(csv.reader([text], strict=False))
    except (csv.Error, StopIteration):
        return text.split(",")


class ExchangeCsvFormat(LogFormat):
    """Header-driven reading of one Exchange CSV log."""

    kind: ClassVar[str] = "ExchangeCsv"
    time_column: ClassVar[str] = "DateTime"
    # Used when data comes before any header: (columns, whether to say so as an error).
    fallback_fields: ClassVar[tuple[str, ...]] = ()
    fallback_is_normal: ClassVar[bool] = False

    def __init__(self, path: str, log: ErrorLog) -> None:
        super().__init__(path, log)
        self.header: Header | None = None
        self.log_type: str | None = None
        self._warned_headerless = False
        self._warned_width = False

    def directive(self, line: Line) -> None:
        text = line.text.lstrip("\ufeff")
        if not text.startswith("#"):
            self.header = Header(split_csv(text))  # a bare header line
            return
        fields = directive_value(text, "Fields")
        if fields is not None:
            names = split_csv(fields)
            if any(n.strip() for n in names):
                self.header = Header(names)
            else:
                self.log.add(f"line {line.number}: empty #Fields directive", line.number)
            return
        version = directive_value(text, "Version")
        if version is not None:
            self.version = version
            return
        log_type = directive_value(text, "Log-type")
        if log_type is not None:
            self.log_type = log_type

    def record(self, line: Line) -> LogRecord | None:
        values = split_csv(line.text)
        header = self.header
        if header is None:
            fallback = self.fallback_fields
            if not fallback or len(values) != len(fallback):
                if not self._warned_headerless:
                    self._warned_headerless = True
                    self.log.add(
                        f"line {line.number}: data before any header line; not parsed",
                        line.number,
                        kind=ProblemKind.NOT_ANALYZED,
                    )
                return None
            if not self.fallback_is_normal and not self._warned_headerless:
                self._warned_headerless = True
                self.log.add(
                    f"line {line.number}: no header line; assumed the standard {self.kind} columns", line.number
                )
            header = self.header = Header(list(fallback))
        if len(values) < len(header):
            if not line.complete:
                self.log.add(
                    f"line {line.number}: last record cut short ({len(values)} of {len(header)} values)", line.number
                )
            elif not self._warned_width:
                self._warned_width = True
                self.log.add(
                    f"line {line.number}: {len(values)} values where the header names {len(header)}", line.number
                )
        ts = (
            parse_iso(values[header.index[self.time_column.lower()]])
            if (self.time_column.lower() in header.index and header.index[self.time_column.lower()] < len(values))
            else None
        )
        return LogRecord(self.path, line.number, line.text, header, values, ts)


class HttpProxyFormat(ExchangeCsvFormat):
    kind = "HttpProxy"
    header_prefixes = ("DateTime,",)
    fallback_fields = tuple(HTTPPROXY_FIELDS)


class EcpServerFormat(ExchangeCsvFormat):
    kind = "ECPServer"
    header_prefixes = ("TimeStamp,",)
    time_column = "TimeStamp"
    fallback_fields = tuple(ECP_FIELDS)


class RpsHttpFormat(ExchangeCsvFormat):
    kind = "RpsHttp"
    header_prefixes = ("DateTime,",)
    fallback_fields = tuple(RPS_HTTP_FIELDS)
    fallback_is_normal = True


class EcpActivityFormat(EcpServerFormat):
    """ECP Activity logs: the ECP Server columns (docs/logs.md#ecp-server)."""

    kind = "ECPActivity"
