"""A logged source address as the interchange formats take it: a bare IPv4 or IPv6 address.

Logs hold more than addresses in their client fields: a forwarded chain (`10.0.0.1, 10.0.0.2`),
`-`, junk, or an IPv6 address with a zone (`fe80::1%eth0`). Python's `ipaddress` accepts any
text after the `%` as the zone, quotes and brackets included, so a client field written by an
attacker could carry them into a STIX pattern (`[ipv6-addr:value = '...']`), a MISP `ip-src`
or an ECS `source.ip` (an `ip` field a SIEM refuses the whole line for). The zone names an
interface of the machine that logged the address and is no part of the address: it is dropped.
An IPv4 address written as IPv6 (`::ffff:203.0.113.7`) is given as IPv4, so both spellings of
one attacker are one indicator.
"""

from __future__ import annotations

import ipaddress

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str | None) -> Address | None:
    """The address in `text`, without a zone, or None when it is not one address."""
    if not text:
        return None
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address):
        mapped = addr.ipv4_mapped
        if mapped is not None:
            return mapped
        if addr.scope_id is not None:
            return ipaddress.IPv6Address(addr.packed)
    return addr


def address_text(text: str | None) -> str | None:
    """`parse_address` as text, or None."""
    addr = parse_address(text)
    return None if addr is None else str(addr)
