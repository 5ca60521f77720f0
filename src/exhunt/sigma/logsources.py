"""Sigma logsources resolved to the logs exhunt reads (`exhunt/data/sigma/logsources.toml`).

A rule's (product, category, service) becomes one or more `Target`s: a channel (or a web log
kind for category `webserver`), the event ids that can carry it, the field renames for that log
and extra conditions the event must meet. A rule for a log exhunt does not read (Linux,
firewalls, cloud) is `NotApplicable`, which is not an error of the rule.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

ANY_CHANNEL = "*"
WEB_IIS = "web:iis"
WEB_HTTPPROXY = "web:httpproxy"
WEB_KINDS = (WEB_IIS, WEB_HTTPPROXY)


class NotApplicable(ValueError):
    """The rule's logsource is not in any evidence exhunt reads."""


@dataclass(frozen=True)
class Target:
    channels: tuple[str, ...]  # lower-case channel names, a web log kind, or ANY_CHANNEL
    event_ids: frozenset[int] | None  # None: any event id
    renames: Mapping[str, str] = field(default_factory=dict)
    conditions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class LogsourceMap:
    services: Mapping[str, tuple[str, ...]]
    categories: Mapping[str, tuple[dict[str, Any], ...]]
    providers: Mapping[str, str]  # lower-case provider -> lower-case channel
    web: Mapping[str, Mapping[str, str]]  # web kind -> Sigma field -> column

    def resolve(self, product: str | None, category: str | None, service: str | None) -> list[Target]:
        if category == "webserver":
            return [Target((kind,), None) for kind in WEB_KINDS]
        if product not in (None, "windows"):
            raise NotApplicable(f"product {product}")
        if category:
            entries = [e for e in self.categories.get(category, ()) if not service or e["service"] == service]
            if not entries:
                raise NotApplicable(f"category {category}" + (f" / service {service}" if service else ""))
            return [
                Target(
                    self._channels(e["service"]),
                    frozenset(e["event_ids"]),
                    dict(e.get("fields", {})),
                    {k: tuple(v) if isinstance(v, list) else (str(v),) for k, v in e.get("conditions", {}).items()},
                )
                for e in entries
            ]
        if service:
            return [Target(self._channels(service), None)]
        if product == "windows":
            return [Target((ANY_CHANNEL,), None)]
        raise NotApplicable("no product, category or service")

    def _channels(self, service: str) -> tuple[str, ...]:
        channels = self.services.get(service)
        if not channels:
            raise NotApplicable(f"service {service}")
        return channels

    def channel_of(self, channel: str, provider: str) -> str:
        """The lower-case channel an event belongs to; from its provider when it has no channel."""
        if channel:
            return channel.lower()
        return self.providers.get(provider.lower(), "")


@cache
def logsource_map() -> LogsourceMap:
    text = (resources.files("exhunt") / "data" / "sigma" / "logsources.toml").read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    categories: dict[str, list[dict[str, Any]]] = {}
    for entry in doc.get("categories", []):
        categories.setdefault(entry["category"], []).append(entry)
    return LogsourceMap(
        services={k: tuple(c.lower() for c in v) for k, v in doc["services"].items()},
        categories={k: tuple(v) for k, v in categories.items()},
        providers={k.lower(): v.lower() for k, v in doc.get("providers", {}).items()},
        web={kind: dict(columns) for kind, columns in doc.get("web", {}).items()},
    )
