"""One build in, one answer out: its name, release date, exposure per chain and the update to install.

`assess_build` never raises: a build it cannot use comes back with `error` set and every chain
`unknown`, so callers (hunts, scans) can pass through whatever text the evidence holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from exhunt.builds.exposure import ChainExposure, chain_exposure, unknown_exposure
from exhunt.builds.parse import BuildForm, BuildNumber, BuildParseError, parse_build
from exhunt.builds.products import OLDER_VERSIONS, support_note
from exhunt.builds.table import BuildEntry, BuildTable, build_table


@dataclass(frozen=True, slots=True)
class NextUpdate:
    name: str
    build: str
    kb: str | None
    note: str | None = None  # e.g. the CU to install first

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "build": self.build, "kb": self.kb, "note": self.note}


@dataclass(frozen=True, slots=True)
class BuildAssessment:
    input: str
    build: str | None  # normalised: "15.1.2176.2", or "15.1.2176" when only the CU is known
    name: str | None
    release_date: date | None
    exposure: dict[str, ChainExposure]
    next_update: NextUpdate | None
    error: str | None = None
    product: str | None = None
    exact: bool = False  # the security-update level is known (a 4-part build)
    notes: tuple[str, ...] = field(default=())

    @property
    def statuses(self) -> set[str]:
        return {str(c.status) for c in self.exposure.values()}

    def to_dict(self) -> dict[str, Any]:
        """One item of the `exhunt.build/1` JSON contract (DESIGN.md)."""
        return {
            "input": self.input,
            "build": self.build,
            "name": self.name,
            "product": self.product,
            "release_date": self.release_date.isoformat() if self.release_date else None,
            "exact": self.exact,
            "exposure": {chain: exp.to_dict() for chain, exp in self.exposure.items()},
            "next_update": self.next_update.to_dict() if self.next_update else None,
            "notes": list(self.notes),
            "error": self.error,
        }


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
    return BuildAssessment(shown, None, None, None, unknown_exposure("build not understood"), None, message)


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
