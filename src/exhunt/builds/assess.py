"""One build in, one answer out: its name, release date, exposure per chain and the update to install.

`assess_build` never raises: a build it cannot use comes back with `error` set and every chain
`unknown`, so callers (hunts, scans) can pass through whatever text the evidence holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from exhunt.builds.exposure import ChainExposure, chain_exposure, unknown_exposure
from exhunt.builds.parse import BuildForm, BuildNumber, BuildParseError, parse_build
from exhunt.builds.products import OLDER_VERSIONS, support_note
from exhunt.builds.table import BuildEntry, BuildTable, build_table
from exhunt.chains import CHAINS, Exposure
from exhunt.codec import JsonData


@dataclass(frozen=True, slots=True)
class NextUpdate(JsonData):
    name: str
    build: str
    kb: str | None
    note: str | None = None  # e.g. the CU to install first

    def label(self) -> str:
        """ "Exchange Server 2016 CU19 Mar21SU (15.1.2176.9, KB5000871)" """
        extra = ", ".join(x for x in (self.build, self.kb) if x)
        return f"{self.name} ({extra})" if extra else self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildAssessment(JsonData):
    """What one build leaves open: the one shape of a build's exposure, from `exhunt build` to a
    hunt's `HostAssessment.exposure` and every writer. Its JSON (the codec's) is one item of the
    `exhunt.build/1` contract; `read_assessment` reads it back, forgiving what it cannot use."""

    input: str
    build: str | None  # normalised: "15.1.2176.2", or "15.1.2176" when only the CU is known
    name: str | None
    product: str | None = None
    release_date: date | None
    exact: bool = False  # the security-update level is known (a 4-part build)
    exposure: dict[str, ChainExposure]
    next_update: NextUpdate | None
    notes: tuple[str, ...] = ()
    error: str | None = None

    @property
    def statuses(self) -> set[str]:
        return {str(c.status) for c in self.exposure.values()}

    @property
    def shown(self) -> str:
        """The build as it is best named: normalised, else as it was given."""
        return self.build or self.input

    def chains(self) -> list[tuple[str, ChainExposure]]:
        """(chain, exposure) for the four chains in their fixed order (unknown when missing),
        then any other the item carries."""
        known = [str(c) for c in CHAINS]
        out = [(name, self.exposure.get(name) or ChainExposure(Exposure.UNKNOWN)) for name in known]
        return out + sorted((k, v) for k, v in self.exposure.items() if k not in known)

    def exposed_chains(self) -> list[tuple[str, ChainExposure]]:
        return [(name, c) for name, c in self.chains() if c.exposed]


def assess_build(text: str) -> BuildAssessment:
    """Assess one build as typed, logged or fingerprinted. Never raises."""
    shown = text if isinstance(text, str) else repr(text)
    try:
        return _assess(text)
    except BuildParseError as exc:
        return _failed(shown, str(exc))
    except Exception as exc:  # the contract is "never raises": report instead of crashing a hunt
        return _failed(shown, f"could not assess this build ({type(exc).__name__}: {exc})")


def _failed(shown: str, message: str) -> BuildAssessment:
    return BuildAssessment(
        input=shown,
        build=None,
        name=None,
        release_date=None,
        exposure=unknown_exposure("build not understood"),
        next_update=None,
        error=message,
    )


def _assess(text: str) -> BuildAssessment:
    number = parse_build(text)
    old = OLDER_VERSIONS.get((number.major, number.minor))
    if old is not None:
        return _assess_older(text, number, old)
    table = build_table()
    level = table.level_of(number.highest)
    if level is None:  # parse_build rejects builds below a version's first build
        raise BuildParseError(f"{number} is earlier than any known build of its version")
    span = table.minor_span(number.major, number.minor)
    newest = span[1] if span else level
    beyond = number.lowest > newest.build
    entry = table.get(number.lowest) if number.exact else _cu_level_entry(table, number)
    notes: list[str] = []
    # A 3-part build is ambiguous when its CU has updates sharing those three parts (always, from
    # Exchange 2013 on); an Exchange 2010 rollup has a build number of its own.
    ambiguous = (
        not number.exact
        and (entry is None or entry.is_level)
        and len([m for m in table.members(level) if m.build[:3] == number.highest[:3]]) != 1
    )
    if number.form is BuildForm.ADMIN_DISPLAY:
        notes.append(
            "AdminDisplayVersion shows the CU level only: security updates do not change it. "
            "ExSetup.exe's file version gives the exact build."
        )
    elif ambiguous:
        notes.append("Only the CU level is known: the installed security update decides the exposure.")
    if entry is not None:
        name = f"{_level_label(entry)} (update level unknown)" if ambiguous else entry.name
        released = entry.released
        if entry.note:
            notes.append(f"Build table: {entry.note}.")
    else:
        name = f"{_level_label(level)} ({'newer than the build table' if beyond else 'unlisted build'})"
        released = None
        notes.append(_unlisted_note(table, number, level, newest, beyond))
    support = support_note(level.product)
    if support:
        notes.append(support)
    if entry is not None and entry.update == "Mar21SU" and not any(u.update == "May21SU" for u in table.updates(level)):
        # docs/builds.md#security-update-logic, docs/remediation.md: the older-CU March SU closes ProxyLogon and nothing else.
        notes.append(
            f"The March 2021 update for {level.cu} fixes the ProxyLogon CVEs only; {level.cu} received "
            "no later security update."
        )
    # A CU-level build is at least the CU as released (whose revision may already carry fixes).
    lowest = max(number.lowest, level.build) if level.build[:3] == number.highest[:3] else number.lowest
    exposure = chain_exposure(table, level, lowest, number.highest)
    return BuildAssessment(
        input=text,
        build=str(number),
        name=name,
        release_date=released,
        exposure=exposure,
        next_update=None if beyond else _next_update(table, level, number),
        product=level.product,
        exact=number.exact,
        notes=tuple(notes),
    )


def _level_label(level: BuildEntry) -> str:
    """ "Exchange Server 2016 CU23", without the half-year label some CU names carry."""
    return f"{level.product} {level.cu}"


def _assess_older(text: str, number: BuildNumber, product: str) -> BuildAssessment:
    note = f"exhunt has no build or CVE data for {product}"
    notes = [f"{note}: its exposure to these chains is not assessed."]
    support = support_note(product)
    if support:
        notes.append(support)
    return BuildAssessment(
        input=text,
        build=str(number),
        name=product,
        release_date=None,
        exposure=unknown_exposure(note),
        next_update=None,
        product=product,
        exact=number.exact,
        notes=tuple(notes),
    )


def _cu_level_entry(table: BuildTable, number: BuildNumber) -> BuildEntry | None:
    """For a 3-part build, the first row with those three parts: the CU itself, or for Exchange 2010
    (whose rollups each have their own build number) the rollup."""
    level = table.level_of(number.highest)
    if level is None:
        return None
    prefix = number.highest[:3]
    return next((m for m in table.members(level) if m.build[:3] == prefix), None)


def _unlisted_note(table: BuildTable, number: BuildNumber, level: BuildEntry, newest: BuildEntry, beyond: bool) -> str:
    if beyond:
        return (
            f"{number} is newer than any build exhunt knows (newest: {newest.name}, {newest.version}); "
            "it is judged as at least as patched as that build."
        )
    below = table.nearest_below(number.lowest)
    after = f", after {below.name} ({below.version})" if below is not None and below is not level else ""
    return f"{number} is not in exhunt's build table{after}; it is judged against {level.cu}'s fixes."


def _next_update(table: BuildTable, level: BuildEntry, number: BuildNumber) -> NextUpdate | None:
    if table.is_serviced(level):
        target = table.latest_member(level)
        if number.lowest >= target.build:
            return None
        note = "install it unless it is already in (only the CU is known)" if not number.exact else None
        return NextUpdate(target.name, target.version, target.kb or None, note)
    newest = table.newest_level(level.product)
    target = table.latest_member(newest)
    first = f"{_level_label(newest)} ({', '.join(x for x in (newest.version, newest.kb) if x)})"
    if target is newest:
        note = f"{level.cu} gets no more updates: upgrade to {first}"
    else:
        note = f"{level.cu} gets no more updates: install {first} first, then {target.update}"
    return NextUpdate(target.name, target.version, target.kb or None, note)


def read_assessment(item: Any) -> BuildAssessment | None:
    """A `BuildAssessment` from its JSON, which may come from a file anyone could have edited:
    every field is checked for its type, and anything unexpected reads as unknown (a chain's
    status) or as absent, instead of raising. Not an object at all: None."""
    if not isinstance(item, Mapping):
        return None
    per_chain = item.get("exposure")
    exposure: dict[str, ChainExposure] = {}
    for name, entry in per_chain.items() if isinstance(per_chain, Mapping) else ():
        if isinstance(entry, Mapping):
            exposure[str(name)] = ChainExposure(
                _status(entry.get("status")), _texts(entry.get("cves")), _text(entry.get("note"))
            )
    update = item.get("next_update")
    next_update = None
    if isinstance(update, Mapping) and _text(update.get("name")):
        next_update = NextUpdate(
            _text(update.get("name")) or "",
            _text(update.get("build")) or "",
            _text(update.get("kb")),
            _text(update.get("note")),
        )
    build = _text(item.get("build"))
    return BuildAssessment(
        input=_text(item.get("input")) or build or "",
        build=build,
        name=_text(item.get("name")),
        product=_text(item.get("product")),
        release_date=_date(item.get("release_date")),
        exact=item.get("exact") is True,
        exposure=exposure,
        next_update=next_update,
        notes=_texts(item.get("notes")),
        error=_text(item.get("error")),
    )


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(t for t in (_text(v) for v in value) if t)


def _status(value: Any) -> Exposure:
    try:
        return Exposure(value)
    except ValueError:
        return Exposure.UNKNOWN


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
