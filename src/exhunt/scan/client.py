"""The HTTP side of a scan: one host's conversation, bounded in time, size and redirects.

Every request has a total time limit, a body cap and at most one retry on a connection error;
redirects are followed by hand and only on the same host. Slow, lying, non-HTTP and garbage
servers end as a `ProbeError` with a kind, never as a hang or an uncaught exception.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp
from yarl import URL

from exhunt import __version__
from exhunt.scan.certificate import CertificateInfo, parse_certificate
from exhunt.scan.targets import Target

# Honest on purpose: whoever reads the target's logs should see what asked.
USER_AGENT = f"exhunt/{__version__} (Exchange exposure scanner)"


class ErrorKind(StrEnum):
    CONNECT = "connect"  # refused, unreachable, name not resolved
    TIMEOUT = "timeout"
    TLS = "tls"
    ABORTED = "aborted"  # the server closed or reset the connection before answering
    PROTOCOL = "protocol"  # the server did not speak HTTP (or spoke it badly)
    ERROR = "error"  # anything else; the message names it


# Connection errors worth one more try; a timeout already cost its time.
_RETRYABLE = frozenset({ErrorKind.CONNECT, ErrorKind.ABORTED})


class ProbeError(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP response, its body capped; `incomplete` when the body was cut short or lied about."""

    path: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool = False
    incomplete: bool = False

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        """Every value of a header the answer repeats, in order."""
        lname = name.lower()
        return [value for key, value in self.headers if key.lower() == lname]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(slots=True)
class Exchange:
    """A request and where it ended: the replies of every hop followed, or the error that stopped it."""

    path: str
    hops: list[Reply] = field(default_factory=list)
    error: ProbeError | None = None
    note: str | None = None  # why redirects stopped being followed

    @property
    def final(self) -> Reply | None:
        return self.hops[-1] if self.hops else None


@dataclass(frozen=True, slots=True)
class TlsInfo:
    version: str | None
    cipher: str | None
    certificate: CertificateInfo | None
    legacy: bool  # reached only with the legacy (TLS 1.0, lowered security level) context


@dataclass(frozen=True, slots=True)
class ClientOptions:
    request_timeout: float = 10.0
    connect_timeout: float = 5.0
    max_body: int = 512 * 1024
    max_redirects: int = 5
    sni: str | None = None  # host name to present when the target is an IP literal
    legacy_tls: bool = False
    retries: int = 1
    retry_delay: float = 0.25
    user_agent: str = USER_AGENT


def verifying_nothing_context() -> ssl.SSLContext:
    """TLS 1.2+ without certificate checks: Exchange certificates are often self-signed."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def legacy_context() -> ssl.SSLContext:
    """TLS 1.0 with security level 0, for 2010-era servers; only ever used for a retry.

    OpenSSL 3 refuses TLS 1.0 at the default security level even with the minimum version
    lowered, so both are needed.
    """
    ctx = verifying_nothing_context()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


class RateLimiter:
    """At most `rate` requests per second across the whole scan (evenly spaced)."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass(slots=True)
class TlsContexts:
    default: ssl.SSLContext = field(default_factory=verifying_nothing_context)
    legacy: ssl.SSLContext | None = None


def classify(exc: BaseException) -> ProbeError:
    """Name what went wrong in words a reader of the results understands."""
    if isinstance(exc, ProbeError):
        return exc
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ProbeError(ErrorKind.TIMEOUT, f"connect timed out ({_short(text)})")
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return ProbeError(ErrorKind.TIMEOUT, "no data from the server within the read time limit")
    if isinstance(exc, TimeoutError):
        return ProbeError(ErrorKind.TIMEOUT, "request time limit reached")
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return ProbeError(ErrorKind.TLS, f"TLS handshake failed: {_short(_tls_reason(exc, text))}")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ProbeError(ErrorKind.ABORTED, "server closed the connection without answering")
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        if isinstance(os_error, ConnectionResetError):
            return ProbeError(ErrorKind.CONNECT, "connection reset while connecting (TLS handshake refused?)")
        reason = os_error.strerror or str(os_error) or type(os_error).__name__
        return ProbeError(ErrorKind.CONNECT, f"cannot connect ({_short(reason)})")
    if isinstance(exc, aiohttp.ClientOSError | ConnectionResetError):
        return ProbeError(ErrorKind.ABORTED, f"connection reset ({_short(text)})")
    if isinstance(exc, aiohttp.ClientResponseError):
        first = (str(exc.message).strip().splitlines() or [""])[0].rstrip(":")
        return ProbeError(ErrorKind.PROTOCOL, f"not a valid HTTP answer: {_short(first)}")
    if isinstance(exc, aiohttp.ClientPayloadError | ValueError | UnicodeError):
        return ProbeError(ErrorKind.PROTOCOL, f"not a valid HTTP answer: {_short(text)}")
    return ProbeError(ErrorKind.ERROR, f"{type(exc).__name__}: {_short(text)}")


def _tls_reason(exc: BaseException, text: str) -> str:
    """OpenSSL's own words for a failed handshake, without aiohttp's wrapper around them.

    aiohttp's message names the client's context object (`ssl:<ssl.SSLContext object at 0x...>`)
    and repeats the address; OpenSSL's reason (`wrong version number`) is what tells a reader
    the port answered in something other than TLS.
    """
    inner = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    if not isinstance(inner, ssl.SSLError):
        return text
    words = inner.strerror if isinstance(inner.strerror, str) and inner.strerror else str(inner)
    words = re.sub(r"^\[SSL(?:: [A-Z0-9_]+)?\]\s*", "", words)
    words = re.sub(r"\s*\(_ssl\.c:\d+\)$", "", words).strip() or type(inner).__name__
    if inner.reason == "WRONG_VERSION_NUMBER":
        words += " (the port does not speak TLS: plain HTTP or another protocol?)"
    return words


def clean_text(text: str) -> str:
    """Header bytes that were not UTF-8 come as surrogates; make them U+FFFD so every writer copes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def _short(text: str, limit: int = 200) -> str:
    """One printable line: server-chosen text must not steer the terminal it is shown on."""
    text = "".join(c if c.isprintable() else "?" for c in " ".join(clean_text(text).split()))
    return text if len(text) <= limit else text[:limit] + "..."


class _WatchingConnector(aiohttp.TCPConnector):
    """Shows each connection's transport to a callback: the peer address and TLS session live there.

    A small response is complete, and its connection back in the pool, before the caller sees
    it, so the response object cannot be asked.
    """

    def __init__(self, watch: Callable[[asyncio.BaseTransport], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._watch = watch

    async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:
        conn = await super().connect(req, traces, timeout)
        if conn.transport is not None:
            self._watch(conn.transport)
        return conn


class HostClient:
    """Requests to one target, over its own small connection pool (closed when the host is done)."""

    def __init__(
        self, target: Target, options: ClientOptions, contexts: TlsContexts, limiter: RateLimiter | None = None
    ) -> None:
        self.target = target
        self.options = options
        self._contexts = contexts
        self._limiter = limiter or RateLimiter(None)
        self._legacy = False
        self._answered = False  # a reply came with the current TLS settings
        self._session: aiohttp.ClientSession | None = None
        self.tls: TlsInfo | None = None
        self.address: str | None = None
        self.requests = 0
        sni = options.sni if options.sni and target.is_ip else None
        self._sni = sni
        self._allowed_hosts = {target.host.lower()} | ({sni.lower()} if sni else set())

    async def __aenter__(self) -> HostClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._close_session()

    async def _close_session(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = _WatchingConnector(self._note_transport, limit=2, ssl=False, ttl_dns_cache=None)
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.options.user_agent, "Accept": "*/*"},
                auto_decompress=True,
                max_line_size=8190,
                max_field_size=8190,
            )
            # aiohttp silently resends an idempotent request once when the connection drops; this
            # client decides itself (one retry, none for checks, whose dropped connection is the answer).
            self._session._retry_connection = False
        return self._session

    async def get(
        self, path: str, headers: dict[str, str] | None = None, *, follow: bool = True, retry: bool = True
    ) -> Exchange:
        """GET `path`, following same-host redirects when asked; never raises."""
        result = Exchange(path)
        seen = {path}
        current = path
        for _ in range(self.options.max_redirects + 1):
            try:
                reply = await self._request(current, headers, retry=retry)
            except ProbeError as exc:
                result.error = exc
                return result
            result.hops.append(reply)
            if not follow or reply.status not in (301, 302, 303, 307, 308):
                return result
            location = reply.header("Location")
            if not location:
                return result
            nxt = self._same_host_path(current, location)
            if nxt is None:
                result.note = f"redirect to another host not followed: {_short(location, 120)}"
                return result
            if nxt in seen:
                result.note = "redirect loop"
                return result
            seen.add(nxt)
            current = nxt
        result.note = f"more than {self.options.max_redirects} redirects"
        return result

    def _same_host_path(self, current: str, location: str) -> str | None:
        """The path to request next if `location` stays on this host, port and scheme; else None."""
        try:
            base = URL(self.target.base_url + current, encoded=True)
            nxt = base.join(URL(location.strip(), encoded=True))
            host = (nxt.host or "").lower().strip("[]")
            port = nxt.explicit_port or (443 if nxt.scheme == "https" else 80)
        except (ValueError, TypeError):
            return None
        if nxt.scheme != self.target.scheme or port != self.target.port:
            return None
        if host not in self._allowed_hosts:
            return None
        query = f"?{nxt.raw_query_string}" if nxt.raw_query_string else ""
        return (nxt.raw_path or "/") + query

    async def _request(self, path: str, headers: dict[str, str] | None, *, retry: bool) -> Reply:
        attempts = 1 + (self.options.retries if retry else 0)
        last: ProbeError | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(self.options.retry_delay)
            try:
                async with asyncio.timeout(self.options.request_timeout + 1.0):
                    return await self._once(path, headers)
            except ProbeError as exc:
                last = exc
            except Exception as exc:  # every failure of a hostile server ends here, named
                last = classify(exc)
            if self._wants_legacy(last):
                # One more handshake with the legacy context; it stays for the rest of this host.
                self._legacy = True
                await self._close_session()
                try:
                    async with asyncio.timeout(self.options.request_timeout + 1.0):
                        return await self._once(path, headers)
                except Exception as exc:
                    last = classify(exc)
                    self._legacy = False
                    await self._close_session()
            if last.kind not in _RETRYABLE:
                break
        assert last is not None
        raise last

    def _wants_legacy(self, error: ProbeError) -> bool:
        """A first handshake refused (alert, or a reset as SChannel sends) while legacy TLS is allowed."""
        if self._contexts.legacy is None or self._legacy or self._answered or self.target.scheme != "https":
            return False
        return error.kind is ErrorKind.TLS or (
            error.kind in (ErrorKind.CONNECT, ErrorKind.ABORTED) and "reset" in error.message.lower()
        )

    async def _once(self, path: str, headers: dict[str, str] | None) -> Reply:
        await self._limiter.wait()
        session = self._open_session()
        timeout = aiohttp.ClientTimeout(
            total=self.options.request_timeout,
            sock_connect=self.options.connect_timeout,
            sock_read=self.options.request_timeout,
        )
        ssl_ctx: ssl.SSLContext | bool = False
        if self.target.scheme == "https":
            legacy = self._contexts.legacy if self._legacy else None
            ssl_ctx = legacy or self._contexts.default
        req_headers = dict(headers or {})
        if self._sni:
            req_headers.setdefault("Host", self._sni if self.target.port == 443 else f"{self._sni}:{self.target.port}")
        url = URL(self.target.base_url + path, encoded=True)
        self.requests += 1
        async with session.get(
            url, headers=req_headers, allow_redirects=False, ssl=ssl_ctx, timeout=timeout, server_hostname=self._sni
        ) as resp:
            self._answered = True
            body, truncated, incomplete = await self._read_body(resp)
            answered = tuple((clean_text(k), clean_text(v)) for k, v in resp.headers.items())
            return Reply(path, resp.status, answered, body, truncated, incomplete)

    async def _read_body(self, resp: aiohttp.ClientResponse) -> tuple[bytes, bool, bool]:
        cap = self.options.max_body
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in resp.content.iter_chunked(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    resp.close()  # drop the rest of a huge body with the connection
                    return b"".join(chunks)[:cap], True, False
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            return b"".join(chunks), False, True
        return b"".join(chunks), False, False

    def _note_transport(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        if peer and self.address is None:
            self.address = str(peer[0])
        sslobj = transport.get_extra_info("ssl_object")
        if sslobj is not None and self.tls is None:
            der = sslobj.getpeercert(binary_form=True)
            cipher = sslobj.cipher()
            self.tls = TlsInfo(
                sslobj.version(), cipher[0] if cipher else None, parse_certificate(der) if der else None, self._legacy
            )
