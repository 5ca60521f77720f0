"""A test stand-in for many Exchange (and not-Exchange) servers, on loopback addresses only.

One `Emulator` listens on any number of `127.x.y.z` sockets (port 0 = the kernel picks a free
one); each socket has a profile saying what kind of server answers there: an Exchange build
with its headers, logon page, export tool manifest and patched / unpatched / mitigated
behaviour for the opt-in checks; a hardened front that reveals nothing; an ordinary web server;
or a misbehaving one (slow, hanging, garbage, not HTTP, huge body, redirect loops...).
Every request is logged per socket so tests can see what the scanner sent.

It runs on the test's own event loop (`async with`), in a thread (`EmulatorThread`, for code that
runs its own loop), or in a process of its own (`EmulatorProcess`, for tests that time the
scanner: there the servers' work cannot delay the scanner's timers).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import web

Address = tuple[str, int]


# --- profiles -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExchangeHost:
    build: str  # the full 4-part build the server runs
    owa_version_header: bool = True
    exporttool: bool = True
    logon_page: bool = True
    logon_parts: int = 3  # how many parts of the build the logon page's resource paths show
    leak_headers: bool = True
    server_name: str = "EXCH01"
    proxylogon: str = "patched"  # vulnerable | patched | mitigated (EOMT cookie rule)
    proxyshell: str = "patched"  # vulnerable | patched
    pns_rewrite: str = "none"  # none | abort | custom: the ProxyNotShell URL rewrite mitigation
    slow_paths: tuple[str, ...] = ()  # path prefixes answered only after `delay` seconds
    delay: float = 60.0
    drop_first: int = 0  # connections dropped before answering (a flaky network)


@dataclass(frozen=True)
class HardenedHost:
    """Exchange behind a front that strips headers and blocks everything revealing."""


@dataclass(frozen=True)
class WebHost:
    server: str = "nginx/1.24.0"
    title: str = "Welcome"  # a page may say "Outlook" without being Exchange


@dataclass(frozen=True)
class LyingHost:
    """Claims to be Exchange with values that are not builds."""

    owa_version: str = "15.1.99999999.1<script>"
    manifest: bytes = b"<assemblyIdentity name='microsoft.exchange.ediscovery.exporttool' version='lies'/>"


@dataclass(frozen=True)
class Misbehaving:
    kind: str  # slow | drip | huge | gzip-bomb | redirect-loop | redirect-chain | redirect-offsite
    #            | lying-length | reset
    delay: float = 60.0
    size: int = 64 * 1024 * 1024
    location: str = "https://127.9.9.9/owa/auth/logon.aspx"  # where redirect-offsite points


@dataclass(frozen=True)
class RawHost:
    """Not an HTTP server at all, on the TCP level."""

    kind: str  # hang | garbage | banner | close | bad-headers


Profile = ExchangeHost | HardenedHost | WebHost | LyingHost | Misbehaving | RawHost


@dataclass
class RequestRecord:
    method: str
    path_qs: str
    headers: dict[str, str]


# --- Exchange content -----------------------------------------------------------------------


def _major_minor(build: str) -> tuple[int, int]:
    parts = build.split(".")
    return int(parts[0]), int(parts[1])


def logon_page(build: str, parts: int) -> str:
    """A logon page with the resource layout of OWA: /owa/auth/<ver>/themes/... (2013+)."""
    ver = ".".join(build.split(".")[:parts])
    prefix = f"/owa/{ver}" if _major_minor(build)[0] == 14 else f"/owa/auth/{ver}"
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html><head>
<meta http-equiv="Content-Type" content="text/html; CHARSET=utf-8">
<meta name="Robots" content="NOINDEX, NOFOLLOW">
<title>Outlook</title>
<link rel="shortcut icon" href="{prefix}/themes/resources/favicon.ico" type="image/x-icon">
<link type="text/css" rel="stylesheet" href="{prefix}/themes/resources/logon.css">
<link type="text/css" rel="stylesheet" href="{prefix}/themes/resources/owafont_en.css">
<script type="text/javascript" src="{prefix}/scripts/premium/flogon.js"></script>
<script type="text/javascript">
  function IsOwaPremiumBrowser() {{ return document.documentMode >= 9; }}
  var a_fRC = 1; var g_fFcs = 1;
</script>
</head>
<body class="signInBg">
<noscript><div id="dvErr"><table cellpadding="0" cellspacing="0"><tr><td>
<img src="{prefix}/themes/resources/warn.png" alt=""></td>
<td>To use Outlook, browser settings must allow scripts to run. For more information, contact your
administrator.</td></tr></table></div></noscript>
<form action="/owa/auth.owa" method="POST" name="logonForm" autocomplete="off">
<input type="hidden" name="destination" value="">
<input id="username" name="username" type="text"><input id="password" name="password" type="password">
<div class="signInImage"><img src="{prefix}/themes/resources/owa_text_blue.png" alt=""></div>
</form></body></html>
"""


def exporttool_manifest(build: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<asmv1:assembly xsi:schemaLocation="urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd"
  manifestVersion="1.0" xmlns:asmv1="urn:schemas-microsoft-com:asm.v1"
  xmlns="urn:schemas-microsoft-com:asm.v2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="{build}"
    publicKeyToken="b03f5f7f11d50a3a" language="neutral" processorArchitecture="msil"
    xmlns="urn:schemas-microsoft-com:asm.v1" />
  <description asmv2:publisher="Microsoft Corporation"
    asmv2:product="Microsoft Exchange eDiscovery Export Tool"
    xmlns:asmv2="urn:schemas-microsoft-com:asm.v2" xmlns="urn:schemas-microsoft-com:asm.v1" />
  <deployment install="false" trustURLParameters="true" />
  <dependency>
    <dependentAssembly dependencyType="install"
      codebase="{build}\\microsoft.exchange.ediscovery.exporttool.exe.manifest">
      <assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.exe" version="{build}"
        publicKeyToken="b03f5f7f11d50a3a" language="neutral" processorArchitecture="msil" type="win32" />
    </dependentAssembly>
  </dependency>
</asmv1:assembly>
"""


_IIS_404 = (
    "<!DOCTYPE html><html><head><title>404 - File or directory not found.</title></head>"
    "<body><h2>404 - File or directory not found.</h2></body></html>"
)
# The EOMTv2 rule: (?=.*autodiscover)(?=.*powershell) on the URL-decoded request URI (§1.4).
_PNS_RULE = re.compile(r"(?=.*autodiscover)(?=.*powershell)", re.IGNORECASE)


# --- the server -----------------------------------------------------------------------------


class Emulator:
    """Serves many profiles on many loopback sockets from one event loop."""

    def __init__(self) -> None:
        self.profiles: dict[Address, Profile] = {}
        self.requests: dict[Address, list[RequestRecord]] = {}
        self.sni_names: list[str | None] = []
        self._pending: list[tuple[socket.socket, Profile, ssl.SSLContext | None]] = []
        self._runner: web.AppRunner | None = None
        self._raw_servers: list[asyncio.AbstractServer] = []
        self._hung: list[asyncio.StreamWriter] = []
        self._dropped: dict[Any, int] = {}

    def add(self, ip: str, profile: Profile, port: int = 0, tls: ssl.SSLContext | None = None) -> Address:
        """Listen on `ip:port` (0 = any free port) with `profile`; returns the address bound."""
        assert ip.startswith("127.") or ip == "::1", "the emulator only listens on loopback"
        sock = socket.socket(socket.AF_INET6 if ip == "::1" else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, port))
        sock.listen(512)
        sock.setblocking(False)
        return self._adopt(sock, profile, tls)

    def _adopt(self, sock: socket.socket, profile: Profile, tls: ssl.SSLContext | None = None) -> Address:
        """Serve `profile` on a bound, listening socket (from `start` on)."""
        host, port = sock.getsockname()[:2]  # an IPv6 socket names four values: the key is (host, port)
        addr: Address = (host, port)
        if tls is not None:
            tls.sni_callback = self._note_sni
        self.profiles[addr] = profile
        self.requests[addr] = []
        self._pending.append((sock, profile, tls))
        return addr

    def _note_sni(self, sslobj: Any, name: str | None, ctx: Any) -> None:
        self.sni_names.append(name)

    async def start(self) -> None:
        if any(isinstance(p, Misbehaving) and p.kind == "gzip-bomb" for _, p, _ in self._pending):
            _gzip_bomb()  # made before serving: its 0.4 s of CPU held the first answer (and the loop)
        app = web.Application(handler_args={"max_field_size": 16384})
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        for sock, profile, tls in self._pending:
            if isinstance(profile, RawHost):
                server = await asyncio.start_server(self._raw_handler(profile), sock=sock, ssl=tls)
                self._raw_servers.append(server)
            else:
                await web.SockSite(self._runner, sock, ssl_context=tls).start()
        self._pending.clear()

    async def stop(self) -> None:
        for writer in self._hung:
            writer.transport.abort()
        for server in self._raw_servers:
            server.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # raw TCP servers
    def _raw_handler(self, profile: RawHost) -> Any:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                if profile.kind == "hang":
                    self._hung.append(writer)
                    await asyncio.sleep(3600)
                elif profile.kind == "garbage":
                    await reader.read(1024)
                    rnd = os.urandom(4096)
                    for _ in range(50):
                        writer.write(rnd)
                        await writer.drain()
                        await asyncio.sleep(0.01)
                elif profile.kind == "banner":
                    writer.write(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n")
                    await writer.drain()
                    await reader.read(1024)
                    writer.write(b"Protocol mismatch.\n")
                    await writer.drain()
                elif profile.kind == "bad-headers":
                    # Not UTF-8, control characters, a terminal escape: all in one Exchange-looking answer.
                    await reader.read(4096)
                    writer.write(
                        b"HTTP/1.1 302 Found\r\nLocation: http://\xff\xfeevil.example/\x1b[31m\xc3\x28\r\n"
                        b"X-FEServer: EX\xff01\x1b[2J\r\nX-OWA-Version: 15.1.\xff\r\n"
                        b"Content-Length: 0\r\n\r\n"
                    )
                    await writer.drain()
                # "close": hang up at once
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    writer.close()

        return handle

    # HTTP
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        addr: Address = (sockname[0], sockname[1]) if sockname else ("?", 0)
        self.requests.setdefault(addr, []).append(
            RequestRecord(request.method, request.raw_path, dict(request.headers))
        )
        profile = self.profiles.get(addr)
        if isinstance(profile, ExchangeHost):
            return await self._exchange(request, profile)
        if isinstance(profile, HardenedHost):
            return web.Response(status=403, text="Forbidden", headers={"Server": "frontdoor"})
        if isinstance(profile, WebHost):
            if request.path == "/":
                page = f"<html><head><title>{profile.title}</title></head><body>hi</body></html>"
                return web.Response(text=page, content_type="text/html", headers={"Server": profile.server})
            return web.Response(status=404, text="not found", headers={"Server": profile.server})
        if isinstance(profile, LyingHost):
            headers = {"X-OWA-Version": profile.owa_version, "Server": "Microsoft-IIS/10.0"}
            if "exporttool" in request.path:
                return web.Response(body=profile.manifest, headers=headers, content_type="text/xml")
            return web.Response(text="<html>Outlook</html>", headers=headers, content_type="text/html")
        if isinstance(profile, Misbehaving):
            return await self._misbehave(request, profile)
        return web.Response(status=500)

    async def _exchange(self, request: web.Request, host: ExchangeHost) -> web.StreamResponse:
        raw = request.raw_path
        lower = raw.lower()
        addr = request.transport.get_extra_info("sockname")[:2] if request.transport else None
        if host.drop_first and self._dropped.get(addr, 0) < host.drop_first:
            self._dropped[addr] = self._dropped.get(addr, 0) + 1
            return _abort(request)
        if any(lower.startswith(p.lower()) for p in host.slow_paths):
            await asyncio.sleep(host.delay)
        base = {"Server": "Microsoft-IIS/10.0", "X-Powered-By": "ASP.NET", "request-id": str(uuid.uuid4())}
        if host.pns_rewrite != "none" and _PNS_RULE.search(unquote(raw)):
            # IIS URL Rewrite runs before Exchange: no Exchange header on this answer.
            if host.pns_rewrite == "abort":
                return _abort(request)
            return web.Response(status=403, text="Forbidden", headers={"Server": "Microsoft-IIS/10.0"})
        if host.leak_headers:
            base["X-FEServer"] = host.server_name
        owa = {**base}
        if host.owa_version_header:
            owa["X-OWA-Version"] = host.build
        scheme = "https" if request.secure else "http"
        if lower in ("/owa", "/owa/"):
            target = f"{scheme}://{request.host}/owa/"
            location = (
                f"{scheme}://{request.host}/owa/auth/logon.aspx?url="
                f"{target.replace(':', '%3a').replace('/', '%2f')}&reason=0"
            )
            return web.Response(status=302, headers={**owa, "Location": location}, text="")
        if lower.startswith("/owa/auth/logon.aspx"):
            if not host.logon_page:
                return web.Response(status=404, text=_IIS_404, headers=base, content_type="text/html")
            return web.Response(
                text=logon_page(host.build, host.logon_parts),
                content_type="text/html",
                headers={**owa, "X-Frame-Options": "SAMEORIGIN"},
            )
        if lower.startswith("/owa/auth/x.js"):
            cookie = request.headers.get("Cookie", "")
            if "X-AnonResource-Backend" in cookie or "X-BEResource" in cookie:
                if host.proxylogon == "mitigated":
                    return _abort(request)
                if host.proxylogon == "vulnerable":
                    return web.Response(
                        status=500,
                        text="NegotiateSecurityContext failed with for host 'localhost' with status 'TargetUnknown'",
                        headers={**base, "X-CalculatedBETarget": "localhost"},
                    )
            return web.Response(status=404, text=_IIS_404, headers=base, content_type="text/html")
        if lower.startswith("/autodiscover/autodiscover.json"):
            if "@" in unquote(raw) and "/owa/" in lower and host.proxyshell == "vulnerable":
                return web.Response(
                    status=302,
                    headers={
                        **base,
                        "X-CalculatedBETarget": f"{host.server_name.lower()}.corp.example",
                        "Location": f"{scheme}://{request.host}/owa/auth/logon.aspx?url={scheme}%3a%2f%2f"
                        f"{request.host}%2fowa%2f&reason=0",
                    },
                )
            return web.Response(status=400, text="Bad Request", headers=base)
        if lower.startswith("/ecp/current/exporttool/microsoft.exchange.ediscovery.exporttool.application"):
            if not host.exporttool:
                return web.Response(status=404, text=_IIS_404, headers=base, content_type="text/html")
            return web.Response(
                text=exporttool_manifest(host.build), content_type="application/x-ms-application", headers=base
            )
        return web.Response(status=404, text=_IIS_404, headers=base, content_type="text/html")

    async def _misbehave(self, request: web.Request, m: Misbehaving) -> web.StreamResponse:
        if m.kind == "slow":
            await asyncio.sleep(m.delay)
            return web.Response(text="late")
        if m.kind == "reset":
            return _abort(request)
        if m.kind == "gzip-bomb":
            return web.Response(body=_gzip_bomb(), headers={"Content-Encoding": "gzip", "Content-Type": "text/html"})
        if m.kind == "redirect-loop":
            nxt = "/b/" if request.path.startswith("/a/") else "/a/"
            return web.Response(status=302, headers={"Location": nxt})
        if m.kind == "redirect-chain":
            n = int(request.query.get("n", "0"))
            return web.Response(status=302, headers={"Location": f"/owa/?n={n + 1}"})
        if m.kind == "redirect-offsite":
            return web.Response(status=302, headers={"Location": m.location})
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        if m.kind == "lying-length":
            resp.content_length = 100_000
            await resp.prepare(request)
            await resp.write(b"<html>short")
            _abort(request)
            return resp
        await resp.prepare(request)
        try:
            if m.kind == "drip":
                while True:
                    await resp.write(b"x")
                    await asyncio.sleep(0.2)
            elif m.kind == "huge":
                chunk = b"A" * 65536
                for _ in range(m.size // len(chunk)):
                    await resp.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return resp


_BOMB: list[bytes] = []


def _gzip_bomb() -> bytes:
    """About 100 KB of gzip that inflates to 100 MB of zeros (made once, kept)."""
    if not _BOMB:
        import zlib

        packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: with a gzip header
        zeros = b"\0" * (1024 * 1024)
        _BOMB.append(b"".join(packer.compress(zeros) for _ in range(100)) + packer.flush())
    return _BOMB[0]


def _abort(request: web.Request) -> web.Response:
    """Drop the connection without an answer, as IIS's AbortRequest rewrite action does."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=204)


# --- TLS for tests ----------------------------------------------------------------------------


def make_certificate(
    directory: Path,
    common_name: str = "EXCH01.corp.example",
    san: str = "DNS:mail.example.com,DNS:autodiscover.example.com,IP:127.0.0.1",
) -> tuple[Path, Path]:
    """A self-signed certificate made by the `openssl` command; raises FileNotFoundError without it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "30",
            "-subj",
            f"/CN={common_name}/O=Example Org",
            "-addext",
            f"subjectAltName={san}",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(cert: Path, key: Path, legacy_only: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if legacy_only:
        # What a default Exchange 2010 on Windows 2008 R2 offers: TLS 1.0 only.
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


class EmulatorThread:
    """An `Emulator` on its own event loop in a thread, for code that runs `asyncio.run` itself (the CLI)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Emulator:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.emulator.start(), self._loop).result(30)
        return self.emulator

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.emulator.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


class EmulatorProcess:
    """An `Emulator`'s servers in a process of their own, for tests that time the scanner: in one
    process, the servers' work (a huge body, a gzip bomb, garbage written every 10 ms, thirteen
    hostile servers at once) delays the scanner's timers on a busy machine, on a shared event
    loop as in a thread (which holds the interpreter lock while it works).

    The sockets `Emulator.add` bound (loopback only, ports already known to the test) are handed
    to a child Python process, which serves their profiles until the context ends; then the
    requests it logged (and the SNI names it saw) are copied back into the `Emulator`. The child
    also stops when this process goes away (its stdin closes). Profiles are fixed once it starts
    (a change in the parent is not seen) and TLS contexts stay in the parent (not supported)."""

    def __init__(self, emulator: Emulator, start_timeout: float = 60.0) -> None:
        assert all(tls is None for _, _, tls in emulator._pending), "TLS servers stay in one process"
        self.emulator = emulator
        self._start_timeout = start_timeout
        self._child: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Emulator:
        pending = self.emulator._pending
        fds = [sock.fileno() for sock, _, _ in pending]
        here = str(Path(__file__).resolve().parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
        child = subprocess.Popen(
            [sys.executable, "-c", "import emulator; emulator.serve_handed_sockets()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=fds,
            env=env,
        )
        self._child = child
        try:
            assert child.stdin is not None and child.stdout is not None
            _send(child.stdin, [(sock.fileno(), profile) for sock, profile, _ in pending])
            child.stdin.flush()
            ready = _await_line(child.stdout, self._start_timeout)
            if ready != b"ready\n":
                raise RuntimeError(f"the emulator process did not start (it said {ready!r})")
        except BaseException:
            child.kill()
            child.wait()
            raise
        for sock, _, _ in pending:
            sock.close()  # the child serves them; the parent's copies only held the ports
        pending.clear()
        return self.emulator

    def __exit__(self, exc_type: object, *exc: object) -> None:
        child = self._child
        assert child is not None and child.stdin is not None and child.stdout is not None
        try:
            out, _ = child.communicate(timeout=30)  # closing its stdin is the child's signal to stop
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            if exc_type is None:
                raise
            return  # the test's own failure says more
        if child.returncode != 0 or not out:
            if exc_type is None:
                raise RuntimeError(f"the emulator process ended with code {child.returncode}")
            return
        requests, sni_names = pickle.loads(out)
        for addr, records in requests.items():
            self.emulator.requests.setdefault(addr, []).extend(records)
        self.emulator.sni_names.extend(sni_names)


def _send(stream: Any, obj: object) -> None:
    data = pickle.dumps(obj)
    stream.write(struct.pack("!I", len(data)) + data)


def _await_line(stream: Any, timeout: float) -> bytes:
    """One line from `stream`, or b"" after `timeout` seconds (the child hung while starting)."""
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return line[0] if line else b""


def serve_handed_sockets() -> None:
    """The child of `EmulatorProcess`: serve the sockets it was handed until its stdin closes,
    then write the requests it logged to its stdout."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever else prints goes to stderr, not into the answer
    stdin = sys.stdin.buffer
    (size,) = struct.unpack("!I", stdin.read(4))
    handed: list[tuple[int, Profile]] = pickle.loads(stdin.read(size))
    em = Emulator()
    for fd, profile in handed:
        sock = socket.socket(fileno=fd)
        sock.setblocking(False)
        em._adopt(sock, profile)

    async def serve() -> None:
        await em.start()
        out.write(b"ready\n")
        out.flush()
        await asyncio.get_running_loop().run_in_executor(None, stdin.read)  # until the parent closes it
        await em.stop()

    asyncio.run(serve())
    out.write(pickle.dumps((em.requests, em.sni_names)))
    out.flush()
