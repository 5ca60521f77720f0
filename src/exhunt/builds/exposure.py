"""Which attack chains and CVEs a build leaves open, judged against the update that fixed each.

The facts (docs/builds.md#fixing-updates-per-chain): the March 2021 SU fixed ProxyLogon (Exchange 2010: only
CVE-2021-26857, fixed by SP3 RU32); the April 2021 SU fixed CVE-2021-34473/-34523 and the May 2021
SU CVE-2021-31207 (ProxyShell); the November 2022 SU fixed ProxyNotShell and OWASSRF. The fixing
build for each CU comes from the build table (the row carrying that update name); a CU released
after the update includes its fixes. The decision follows §3.5: fixed if at or above a CU that
includes the fix, or at or above the fixing update of the build's own CU; otherwise open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from exhunt.builds.products import EXCHANGE_2010, EXCHANGE_2013, EXCHANGE_2016, EXCHANGE_2019, EXCHANGE_SE
from exhunt.builds.table import BuildEntry, BuildTable, BuildTuple
from exhunt.chains import CHAINS, Chain, Exposure
from exhunt.codec import JsonData

_MODERN = frozenset({EXCHANGE_2013, EXCHANGE_2016, EXCHANGE_2019, EXCHANGE_SE})
NOT_AFFECTED = "not affected"


@dataclass(frozen=True, slots=True)
class Fix:
    """A set of CVEs of one chain, closed by the update with this name on each CU."""

    chain: Chain
    cves: tuple[str, ...]
    update: str
    products: frozenset[str]


FIXES: tuple[Fix, ...] = (
    Fix(Chain.PROXYLOGON, ("CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"), "Mar21SU", _MODERN),
    Fix(Chain.PROXYLOGON, ("CVE-2021-26857",), "RU32", frozenset({EXCHANGE_2010})),
    # Fixed in April 2021, published in July 2021 (HealthChecker does not list them: docs/builds.md#security-update-logic).
    Fix(Chain.PROXYSHELL, ("CVE-2021-34473", "CVE-2021-34523"), "Apr21SU", _MODERN),
    Fix(Chain.PROXYSHELL, ("CVE-2021-31207",), "May21SU", _MODERN),
    Fix(Chain.PROXYNOTSHELL, ("CVE-2022-41040", "CVE-2022-41082"), "Nov22SU", _MODERN),
    Fix(Chain.OWASSRF, ("CVE-2022-41080",), "Nov22SU", _MODERN),
)

CHAIN_CVES: dict[Chain, tuple[str, ...]] = {
    chain: tuple(dict.fromkeys(cve for f in FIXES if f.chain is chain for cve in f.cves)) for chain in CHAINS
}


# The statuses that leave a chain open (or open unless the security update is in).
EXPOSED = frozenset({Exposure.VULNERABLE, Exposure.VULNERABLE_UNLESS_SU})


@dataclass(frozen=True, slots=True)
class ChainExposure(JsonData):
    status: Exposure
    cves: tuple[str, ...] = ()  # the CVEs still open (for vulnerable-unless-su: open unless the SU is in)
    note: str | None = None

    @property
    def exposed(self) -> bool:
        return self.status in EXPOSED


@dataclass(frozen=True, slots=True)
class FixPlan:
    """Where one Fix lands for one product, read from the build table."""

    fix: Fix
    product: str
    released: date | None  # the day the update first shipped
    by_level: dict[str, BuildEntry]  # CU name -> that CU's fixing update
    included_from: BuildEntry | None  # the first CU (or RTM) shipped with the fix built in

    def fixed(self, level: BuildEntry, build: BuildTuple) -> bool:
        if self.included_from is not None and build >= self.included_from.build:
            return True
        update = self.by_level.get(level.cu)
        return update is not None and build >= update.build


@cache
def fix_plans(table: BuildTable) -> dict[tuple[Fix, str], FixPlan]:
    plans: dict[tuple[Fix, str], FixPlan] = {}
    for fix in FIXES:
        carrying = [e for e in table.entries if e.update == fix.update and e.product in fix.products]
        dates = [e.released for e in carrying if e.released]
        released = min(dates) if dates else None
        for product in fix.products:
            by_level = {e.cu: e for e in carrying if e.product == product}
            later = [
                e
                for e in table.entries
                if e.product == product and e.is_level and released and e.released and e.released > released
            ]
            plans[(fix, product)] = FixPlan(fix, product, released, by_level, later[0] if later else None)
    return plans


@dataclass(frozen=True, slots=True)
class _Verdict:
    plan: FixPlan
    status: Exposure


def chain_exposure(
    table: BuildTable, level: BuildEntry, lowest: BuildTuple, highest: BuildTuple
) -> dict[str, ChainExposure]:
    """Exposure per chain for a build known to lie between `lowest` and `highest` (equal when exact).

    `level` is the CU the build belongs to. The verdict only improves as the build rises within
    its CU, so a build above the newest known one (same CU) is at least as patched as that build.
    """
    plans = fix_plans(table)
    results: dict[str, ChainExposure] = {}
    for chain in CHAINS:
        applicable = [plans[(f, level.product)] for f in FIXES if f.chain is chain and level.product in f.products]
        if not applicable:
            results[str(chain)] = ChainExposure(Exposure.PATCHED, (), NOT_AFFECTED)
            continue
        verdicts = [_Verdict(p, _judge(p, level, lowest, highest)) for p in applicable]
        results[str(chain)] = _summarise(level, verdicts)
    return results


def unknown_exposure(note: str | None) -> dict[str, ChainExposure]:
    return {str(chain): ChainExposure(Exposure.UNKNOWN, (), note) for chain in CHAINS}


def _judge(plan: FixPlan, level: BuildEntry, lowest: BuildTuple, highest: BuildTuple) -> Exposure:
    if plan.fixed(level, lowest):
        return Exposure.PATCHED
    if plan.fixed(level, highest):
        return Exposure.VULNERABLE_UNLESS_SU
    return Exposure.VULNERABLE


def _summarise(level: BuildEntry, verdicts: list[_Verdict]) -> ChainExposure:
    open_ = [v for v in verdicts if v.status is not Exposure.PATCHED]
    cves = tuple(cve for v in open_ for cve in v.plan.fix.cves)
    prefix = f"{EXCHANGE_2010} is affected by CVE-2021-26857 only" if level.product == EXCHANGE_2010 else None
    if not open_:
        return ChainExposure(Exposure.PATCHED, (), prefix)
    if any(v.status is Exposure.VULNERABLE for v in open_):
        status = Exposure.VULNERABLE
        advice = _advice(level, [v.plan for v in open_ if v.status is Exposure.VULNERABLE])
    else:
        status = Exposure.VULNERABLE_UNLESS_SU
        targets = [v.plan.by_level.get(level.cu) or v.plan.included_from for v in open_]
        target = max((t for t in targets if t is not None), key=lambda e: e.build, default=None)
        advice = (
            f"only the CU is known: patched if {_short(target)} or later is installed"
            if target is not None
            else "only the CU is known: the installed security update decides"
        )
    note = f"{prefix}; {advice}" if prefix else advice
    return ChainExposure(status, cves, note)


def _advice(level: BuildEntry, plans: list[FixPlan]) -> str:
    """What closes the open CVEs: the CU's own update if it has one, else an upgrade path."""
    missing = [p for p in plans if level.cu not in p.by_level]
    if not missing:
        target = max((p.by_level[level.cu] for p in plans), key=lambda e: e.build)
        return f"install {_short(target)} or later"
    governing = max(missing, key=lambda p: (p.released or date.min, p.fix.update))
    options: list[str] = []
    carrying = sorted(governing.by_level.values(), key=lambda e: e.build)[-2:]
    if carrying:
        options.append(f"upgrade to {' or '.join(e.cu for e in carrying)} and install {governing.fix.update}")
    if governing.included_from is not None:
        options.append(f"upgrade to {governing.included_from.cu} or later")
    return f"{level.cu} never received a fix: " + ", or ".join(options)


def _short(entry: BuildEntry) -> str:
    """ "CU19 May21SU (15.1.2176.14, KB5003435)"."""
    label = f"{entry.cu} {entry.update}".strip()
    details = ", ".join(x for x in (entry.version, entry.kb) if x)
    return f"{label} ({details})"
