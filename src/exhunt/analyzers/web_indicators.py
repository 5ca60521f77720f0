"""Network indicators in web requests: listed attacker addresses, domains and user agents.

Indicator lists (`exhunt.filehunt.indicators`: the shipped ones and the user's own) hold three
network types beside hashes and paths: `ip` (an address, or an IPv4 range in CIDR form), `domain`
and `user_agent`. Every request of an IIS, HttpProxy or HTTPERR log is checked against them:

- an address matches the request's client address, or any address of its forwarding chain
  (HttpProxy's `ClientIpAddress` list, IIS's `X-Forwarded-For` when it is logged);
- a domain matches the host the client asked for, or a host name in the URL-decoded URI or the
  Referer (a download address in a web shell's command): the domain itself or any name under
  it, never a longer name that merely ends with the same letters (`notevil.example`);
- a user agent matches when the listed text is part of the logged one, compared case-insensitively
  with IIS's `+` read as a space.

The shipped user agents are not used here: they are published attacker agents that are also real
crawlers', judged with more context by the IIS user-agent rule. Each list value becomes a literal
of the log prefilter, so a line naming none of them costs nothing beyond the prefilter's pass.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from exhunt.artefacts.prefilter import Pattern
from exhunt.artefacts.urls import decode_uri
from exhunt.filehunt.indicators import Indicator, agent_text, host_names, load_indicators

if TYPE_CHECKING:
    from exhunt.analyzers.web_requests import WebRequest

DETECTOR = "web-indicator"
SHIPPED_ORIGIN = "exhunt/data/indicators/"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Match:
    indicator: Indicator
    seen_in: str  # which part of the request: client address, forwarded address, host, URI...
    value: str  # what the request held there


@dataclass(eq=False)  # hashed by identity: one per process and set of lists (network_indicators)
class NetworkIndicators:
    """The network entries of the indicator lists, ready to match requests with."""

    addresses: dict[str, list[Indicator]] = field(default_factory=dict)
    networks: list[tuple[Network, Indicator]] = field(default_factory=list)
    domains: dict[str, list[Indicator]] = field(default_factory=dict)
    agents: list[tuple[str, Indicator]] = field(default_factory=list)
    text_literals: set[str] = field(default_factory=set)  # of addresses and domains
    agent_literals: set[str] = field(default_factory=set)  # of user agents, as written and as IIS writes them

    def add(self, ind: Indicator) -> None:
        if ind.type == "ip":
            network = ipaddress.ip_network(ind.value, strict=False)
            if network.num_addresses == 1:
                address = unmapped(network.network_address)
                self.addresses.setdefault(str(address), []).append(ind)
                self.text_literals.add(_address_literal(address))
            else:
                self.networks.append((network, ind))
                self.text_literals.add(_range_literal(network))
        elif ind.type == "domain":
            domain = ind.value.strip().strip(".").lower()
            self.domains.setdefault(domain, []).append(ind)
            self.text_literals.add(domain)
        elif ind.type == "user_agent" and not ind.origin.startswith(SHIPPED_ORIGIN):
            agent = agent_text(ind.value)
            self.agents.append((agent, ind))
            self.agent_literals.update({agent, agent.replace(" ", "+")})

    def __bool__(self) -> bool:
        return bool(self.addresses or self.networks or self.domains or self.agents)

    @property
    def literals(self) -> set[str]:
        """What the web-log prefilter looks for: every type's literals."""
        return self.text_literals | self.agent_literals

    def patterns(self, group: str) -> tuple[Pattern, ...]:
        return tuple(Pattern.literal(group, text) for text in sorted(self.literals))

    def match(self, req: WebRequest) -> list[Match]:
        out: list[Match] = []
        for seen_in, address in _addresses(req):
            out += self.match_address(seen_in, address)
        if self.domains:
            for seen_in, name in _host_names(req):
                out += self.match_domain(seen_in, name)
        if self.agents and req.user_agent:
            agent = agent_text(req.user_agent)
            out += [Match(ind, "user agent", req.user_agent) for listed, ind in self.agents if listed in agent]
        return out

    def match_address(self, seen_in: str, text: str) -> list[Match]:
        """The listed addresses and ranges `text` (one address) is, as seen in `seen_in`."""
        try:
            address = unmapped(ipaddress.ip_address(text.split("%", 1)[0]))
        except ValueError:
            return []
        found = [Match(ind, seen_in, text) for ind in self.addresses.get(str(address), ())]
        found += [Match(ind, seen_in, text) for net, ind in self.networks if address in net]
        return found

    def match_domain(self, seen_in: str, name: str) -> list[Match]:
        """The listed domains `name` (lower case) is or is under, as seen in `seen_in`."""
        labels = name.split(".")
        found: list[Match] = []
        for at in range(len(labels) - 1):  # the name itself and every parent with two labels or more
            found += [Match(ind, seen_in, name) for ind in self.domains.get(".".join(labels[at:]), ())]
        return found


def unmapped(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IPv4 address as a dual-stack socket writes it (`::ffff:192.0.2.7`, a 4624's IpAddress
    or a Sysmon 3 on IPv6) is that IPv4 address."""
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


def _address_literal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What the prefilter looks for: an IPv4 address as written; for IPv6, which has many
    written forms (`2001:DB8:0::1`), its first group and colon, the address told by the match."""
    first = address.exploded.split(":", 1)[0].lstrip("0")
    return f"{first}:" if address.version == 6 and first else str(address)


def _range_literal(network: Network) -> str:
    """The text every address of an IPv4 range starts with, to the last whole octet ('10.1.' for
    10.1.0.0/16, '10.1.' for 10.1.4.0/22): what the prefilter looks for."""
    octets = network.prefixlen // 8
    return ".".join(str(network.network_address).split(".")[:octets]) + "."


def _addresses(req: WebRequest) -> list[tuple[str, str]]:
    out = [("client address", req.client_ip)] if req.client_ip else []
    for token in req.forwarded.replace(",", " ").replace(";", " ").split():
        token = token.strip("[]\"'")
        if token and token != req.client_ip and token != "-":
            # an IPv4 address with its port (`1.2.3.4:5678`)
            out.append(("forwarded address", token.rsplit(":", 1)[0] if token.count(":") == 1 else token))
    return out


def _host_names(req: WebRequest) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if req.host:
        out.append(("host", req.host.lower().rsplit(":", 1)[0].strip("[]")))
    for seen_in, text in (("URI", req.decoded), ("referer", decode_uri(req.referer).lower())):
        out += [(seen_in, name) for name in host_names(text)]
    return out


@lru_cache(maxsize=8)
def network_indicators(extra_paths: tuple[str, ...] = ()) -> NetworkIndicators:
    """The network entries of the shipped lists and the user's, once per process and list set."""
    out = NetworkIndicators()
    for ind in load_indicators(extra_paths).network_entries:
        out.add(ind)
    return out
