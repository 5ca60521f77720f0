"""From a fingerprinted build and check verdicts to one exposure status per chain.

The build decides first (`exhunt.builds.assess_build`; a 3-part build gives `vulnerable-unless-su`
where the CU received a fix). A check that saw the vulnerable behaviour overrides it, and since
security updates are cumulative, a host missing an older fix also misses every later one.
"""

from __future__ import annotations

from exhunt.builds import assess_build
from exhunt.model import CHAINS, Chain, Exposure
from exhunt.scan.checks import CheckResult, CheckVerdict
from exhunt.scan.result import HostResult, unknown_exposure

# Chains in the order their fixes shipped (Mar 2021, Apr/May 2021, Nov 2022 twice).
_FIX_ORDER = (Chain.PROXYLOGON, Chain.PROXYSHELL, Chain.PROXYNOTSHELL, Chain.OWASSRF)
_OPEN = frozenset({str(Exposure.UNKNOWN), str(Exposure.VULNERABLE_UNLESS_SU)})


def apply_build(result: HostResult) -> None:
    """Fill exposure, build name and next update from the build table; unknown without a build."""
    result.exposure = unknown_exposure()
    if result.build is None:
        return
    assessment = assess_build(result.build)
    if assessment.error:
        result.errors.append(f"build {result.build}: {assessment.error}")
    result.build_name = assessment.name
    result.product = result.product or assessment.product
    result.build_notes = list(assessment.notes)
    if assessment.next_update is not None:
        result.next_update = assessment.next_update.to_dict()
    for chain in CHAINS:
        exposure = assessment.exposure.get(str(chain))
        if exposure is None:
            continue
        result.exposure[str(chain)] = str(exposure.status)
        if exposure.note:
            result.exposure_notes.setdefault(str(chain), []).append(exposure.note)


def apply_checks(result: HostResult, checks: list[CheckResult]) -> None:
    """Let what the checks saw correct or complete the build's verdict."""
    for check in checks:
        chain = check.chain
        if check.verdict is CheckVerdict.VULNERABLE:
            before = result.exposure.get(chain)
            if before == str(Exposure.PATCHED):
                _note(
                    result,
                    chain,
                    f"the build says patched, but the {check.name} check saw the flaw "
                    "(several servers behind one name?)",
                )
            result.exposure[chain] = str(Exposure.VULNERABLE)
            _note(result, chain, f"confirmed by the {check.name} check")
            # Updates are cumulative: a host missing this fix lacks every later one too.
            later = _FIX_ORDER[_FIX_ORDER.index(Chain(chain)) + 1 :]
            for other in later:
                if result.exposure.get(str(other)) in _OPEN:
                    result.exposure[str(other)] = str(Exposure.VULNERABLE)
                    _note(result, str(other), f"inferred: the {chain} fix is missing, and later fixes include it")
        elif check.verdict is CheckVerdict.MITIGATED:
            _note(
                result, chain, f"mitigation seen by the {check.name} check ({check.detail}); a mitigation is not a fix"
            )
            if chain == str(Chain.PROXYNOTSHELL):
                # docs/detection/owassrf.md: OWASSRF reaches PowerShell through /owa/, past this rule.
                _note(result, str(Chain.OWASSRF), "the autodiscover URL rewrite mitigation does not stop OWASSRF")


def _note(result: HostResult, chain: str, text: str) -> None:
    notes = result.exposure_notes.setdefault(chain, [])
    if text not in notes:
        notes.append(text)
