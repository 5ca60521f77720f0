"""What to scan: host names, addresses, URLs, `host:port`, `[v6]:port`, CIDR ranges and files of these.

Every spec turns into `Target`s (scheme, host, port). Host names are not resolved here: the HTTP
client resolves them when it connects, so a file of names costs no DNS until the scan runs.
Ranges are counted before they are expanded, and one invocation stops at `max_targets`
addresses unless the user raises the limit.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORT = 443
DEFAULT_MAX_TARGETS = 65_536

# RFC 1123 labels; a trailing dot is allowed and dropped.
_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
_MAX_SPEC = 2048


class TargetError(ValueError):
    """A target spec that cannot be scanned; the message says why, in words."""


class TargetLimitError(TargetError):
    """The specs expand to more addresses than one invocation may scan."""


@dataclass(frozen=True, slots=True)
class Target:
    spec: str  # what the user wrote (or the range it came from, with the address)
    host: str  # host name or IP literal, without brackets
    port: int
    scheme: str = "https"

    @property
    def is_ip(self) -> bool:
        return _ip(self.host) is not None

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.authority}"

    @property
    def key(self) -> str:
        """The identity a host keeps across scans (results store, diff)."""
        return f"{self.scheme}://{self.authority}"


@dataclass(frozen=True, slots=True)
class BadTarget:
    """A spec that could not be turned into a target; reported with the results, not dropped."""

    spec: str
    reason: str


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise TargetError(f"bad port {text!r} in {spec!r}")
    return int(text)


def _default_scheme(port: int) -> str:
    return "http" if port == 80 else "https"


def _check_host(host: str, spec: str) -> str:
    if _ip(host) is not None:
        return str(_ip(host))
    if not _HOSTNAME.match(host) or host.replace(".", "").isdigit():
        raise TargetError(f"not a host name, address, URL or range: {spec!r}")
    return host.rstrip(".").lower()


@dataclass(frozen=True, slots=True)
class _Range:
    spec: str
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    port: int
    scheme: str

    @property
    def _skips_ends(self) -> bool:
        # Network and broadcast addresses are skipped for ranges larger than a point-to-point link.
        return self.network.version == 4 and self.network.num_addresses > 2

    @property
    def first(self) -> int:
        return int(self.network.network_address) + self._skips_ends

    @property
    def last(self) -> int:
        return int(self.network.broadcast_address) - self._skips_ends

    @property
    def space(self) -> tuple[str, int, int]:
        """Addresses of different schemes, ports or IP versions never collide."""
        return (self.scheme, self.port, self.network.version)

    def count(self) -> int:
        return self.last - self.first + 1

    def __contains__(self, item: tuple[tuple[str, int, int], int]) -> bool:
        space, number = item
        return space == self.space and self.first <= number <= self.last

    def expand(self) -> Iterator[Target]:
        """The range's targets one by one, in address order; nothing is listed up front."""
        # By the range's own version: ip_address(1) would be 0.0.0.1 for an IPv6 range's ::1.
        make = ipaddress.IPv4Address if self.network.version == 4 else ipaddress.IPv6Address
        for number in range(self.first, self.last + 1):
            target = Target("", str(make(number)), self.port, self.scheme)
            yield Target(target.authority, target.host, target.port, target.scheme)


def parse_spec(spec: str, default_port: int = DEFAULT_PORT) -> Target | _Range:
    """One spec -> a target or a range of them. Raises TargetError with a readable reason."""
    text = spec.strip()
    if not text:
        raise TargetError("empty target")
    if len(text) > _MAX_SPEC or any(ord(c) < 33 or c in "\\\"'<>`{}|^" for c in text):
        raise TargetError(f"not a host name, address, URL or range: {text[:80]!r}")
    if "://" in text:
        return _parse_url(text)
    if "/" in text:
        return _parse_range(text, default_port)
    if text.startswith("["):
        m = re.fullmatch(r"\[([0-9A-Fa-f:.%]+)\](?::(\d+))?", text)
        if not m or _ip(m.group(1)) is None:
            raise TargetError(f"bad IPv6 target {text!r}")
        port = _port(m.group(2), text) if m.group(2) else default_port
        return Target(text, str(_ip(m.group(1))), port, _default_scheme(port))
    if text.count(":") >= 2:  # a bare IPv6 address
        if _ip(text) is None:
            raise TargetError(f"bad IPv6 address {text!r} (use [addr]:port for a port)")
        return Target(text, str(_ip(text)), default_port, _default_scheme(default_port))
    host, sep, port_text = text.partition(":")
    port = _port(port_text, text) if sep else default_port
    return Target(text, _check_host(host, text), port, _default_scheme(port))


def _parse_url(text: str) -> Target:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise TargetError(f"bad URL {text!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetError(f"only http:// and https:// URLs can be scanned: {text!r}")
    if not parts.hostname:
        raise TargetError(f"URL without a host: {text!r}")
    port = port or (443 if scheme == "https" else 80)
    return Target(text, _check_host(parts.hostname, text), port, scheme)


def _parse_range(text: str, default_port: int) -> _Range:
    body, port = text, default_port
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)", text) or re.fullmatch(r"([0-9.]+/\d+):(\d+)", text)
    if m:
        body, port = m.group(1), _port(m.group(2), text)
    try:
        network = ipaddress.ip_network(body, strict=False)
    except ValueError:
        raise TargetError(f"bad address range {text!r}") from None
    return _Range(text, network, port, _default_scheme(port))


def read_spec_lines(lines: Iterable[str]) -> Iterator[str]:
    """Specs from a file or stdin: one or more per line (spaces or commas), `#` starts a comment."""
    for line in lines:
        line = line.split("#", 1)[0]
        for word in re.split(r"[\s,;]+", line):
            if word:
                yield word


_MAX_BAD_KEPT = 1000  # a file of junk must not become a million error rows


def _address_of(target: Target) -> tuple[tuple[str, int, int], int] | None:
    ip = _ip(target.host)
    return None if ip is None else ((target.scheme, target.port, ip.version), int(ip))


def _union_size(ranges: list[_Range]) -> int:
    """Distinct addresses in the ranges, overlaps counted once (intervals merged per address space)."""
    spans: dict[tuple[str, int, int], list[tuple[int, int]]] = {}
    for item in ranges:
        spans.setdefault(item.space, []).append((item.first, item.last))
    total = 0
    for intervals in spans.values():
        intervals.sort()
        cur_first, cur_last = intervals[0]
        for first, last in intervals[1:]:
            if first > cur_last + 1:
                total += cur_last - cur_first + 1
                cur_first, cur_last = first, last
            else:
                cur_last = max(cur_last, last)
        total += cur_last - cur_first + 1
    return total


class TargetSet:
    """Parsed specs, expanded lazily: iterating yields each distinct target once, in spec order.

    Ranges are kept as intervals of addresses, never as lists: `count` (distinct targets) is
    worked out from the intervals, and a duplicate is recognised by containment in an earlier
    range or membership of the (small) set of single targets, so memory does not grow with the
    size of the ranges.
    """

    def __init__(self, items: list[Target | _Range], bad: list[BadTarget], bad_not_kept: int = 0) -> None:
        self.items = items
        self.bad = bad
        self.bad_not_kept = bad_not_kept  # bad specs past the first _MAX_BAD_KEPT, counted only
        ranges = [item for item in items if isinstance(item, _Range)]
        singles = {item.key: _address_of(item) for item in items if isinstance(item, Target)}
        outside = sum(1 for a in singles.values() if a is None or not any(a in r for r in ranges))
        self.count = _union_size(ranges) + outside  # distinct targets
        self.duplicates = sum(r.count() for r in ranges) + (len(items) - len(ranges)) - self.count

    def _walk(self) -> Iterator[Target]:
        singles: set[str] = set()
        single_addresses: set[tuple[tuple[str, int, int], int]] = set()
        earlier: list[_Range] = []
        for item in self.items:
            if isinstance(item, _Range):
                for target in item.expand():
                    address = _address_of(target)
                    if address is None or not (address in single_addresses or any(address in r for r in earlier)):
                        yield target
                earlier.append(item)
                continue
            address = _address_of(item)
            duplicate = item.key in singles or (address is not None and any(address in r for r in earlier))
            singles.add(item.key)
            if address is not None:
                single_addresses.add(address)
            if not duplicate:
                yield item

    def __iter__(self) -> Iterator[Target]:
        return self._walk()

    @property
    def targets(self) -> list[Target]:
        """All targets as a list: for small sets and tests; the scanner iterates instead."""
        return list(self)


def expand_targets(
    specs: Iterable[str], default_port: int = DEFAULT_PORT, max_targets: int = DEFAULT_MAX_TARGETS
) -> TargetSet:
    """Parse specs, keeping bad specs as `BadTarget`s; the targets are expanded when iterated.

    Raises TargetLimitError when the specs hold more than `max_targets` addresses.
    """
    parsed: list[Target | _Range] = []
    bad: list[BadTarget] = []
    bad_not_kept = 0
    total = 0
    for spec in specs:
        try:
            item = parse_spec(spec, default_port)
        except TargetError as exc:
            if len(bad) < _MAX_BAD_KEPT:
                bad.append(BadTarget(spec[:200], str(exc)))
            else:
                bad_not_kept += 1
            continue
        total += item.count() if isinstance(item, _Range) else 1
        if total > max_targets:
            raise TargetLimitError(
                f"the targets expand to more than {max_targets:,} addresses (at {spec[:80]!r}); "
                "scan fewer, or raise the limit with --max-targets"
            )
        parsed.append(item)
    return TargetSet(parsed, bad, bad_not_kept)
