"""The attack chains exhunt judges, and the exposure of a build to each.

Kept apart from `model.py` (which re-exports them) so that `exhunt build` and the build table
load without the hunt's dataclasses.
"""

from __future__ import annotations

from enum import StrEnum


class Chain(StrEnum):
    PROXYLOGON = "ProxyLogon"
    PROXYSHELL = "ProxyShell"
    PROXYNOTSHELL = "ProxyNotShell"
    OWASSRF = "OWASSRF"


CHAINS: tuple[Chain, ...] = tuple(Chain)


class Exposure(StrEnum):
    VULNERABLE = "vulnerable"
    PATCHED = "patched"
    VULNERABLE_UNLESS_SU = "vulnerable-unless-su"
    UNKNOWN = "unknown"
