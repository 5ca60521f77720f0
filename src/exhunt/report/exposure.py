"""A forgiving reader of the `exhunt.build/1` item a host assessment carries as `exposure`.

The item may come back from a JSON file anyone could have edited, so every field is checked
for its type and anything unexpected reads as "unknown" instead of raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exhunt.model import CHAINS, Exposure

EXPOSED = frozenset({Exposure.VULNERABLE.value, Exposure.VULNERABLE_UNLESS_SU.value})


@dataclass(frozen=True, slots=True)
class ChainExposureView:
    chain: str
    status: str  # an Exposure value, or "unknown" for anything else
    cves: tuple[str, ...]
    note: str | None = None

    @property
    def exposed(self) -> bool:
        return self.status in EXPOSED


@dataclass(frozen=True, slots=True)
class UpdateView:
    name: str
    build: str | None
    kb: str | None

    def label(self) -> str:
        extra = ", ".join(x for x in (self.build, self.kb) if x)
        return f"{self.name} ({extra})" if extra else self.name


@dataclass(frozen=True, slots=True)
class BuildView:
    build: str | None
    name: str | None
    release_date: str | None
    chains: tuple[ChainExposureView, ...]
    next_update: UpdateView | None
    error: str | None

    @property
    def exposed_chains(self) -> tuple[ChainExposureView, ...]:
        return tuple(c for c in self.chains if c.exposed)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _cves(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(t for t in (_text(v) for v in value) if t)


def _status(value: Any) -> str:
    text = _text(value)
    return text if text in {e.value for e in Exposure} else Exposure.UNKNOWN.value


def read_build(item: Mapping[str, Any] | None) -> BuildView | None:
    """The build, per-chain exposure and next update of an `exhunt.build/1` item, or None."""
    if not isinstance(item, Mapping):
        return None
    per_chain = item.get("exposure")
    per_chain = per_chain if isinstance(per_chain, Mapping) else {}
    # The four chains always, in their fixed order; any other key the item carries after them.
    names = [c.value for c in CHAINS] + sorted(str(k) for k in per_chain if k not in {c.value for c in CHAINS})
    chains = []
    for name in names:
        entry = per_chain.get(name)
        if isinstance(entry, Mapping):
            chains.append(
                ChainExposureView(
                    name, _status(entry.get("status")), _cves(entry.get("cves")), _text(entry.get("note"))
                )
            )
        elif name in {c.value for c in CHAINS}:
            chains.append(ChainExposureView(name, Exposure.UNKNOWN.value, ()))
    update = item.get("next_update")
    next_update = None
    if isinstance(update, Mapping) and _text(update.get("name")):
        next_update = UpdateView(_text(update.get("name")) or "", _text(update.get("build")), _text(update.get("kb")))
    return BuildView(
        build=_text(item.get("build")) or _text(item.get("input")),
        name=_text(item.get("name")),
        release_date=_text(item.get("release_date")),
        chains=tuple(chains),
        next_update=next_update,
        error=_text(item.get("error")),
    )
