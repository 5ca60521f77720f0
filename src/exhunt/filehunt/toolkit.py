"""Everything the file hunt loads once per process: indicators, allow-lists, content rules.

Keyed by the user's paths, so worker processes build it on first use and reuse it for every file
they are given. What could not be loaded is kept in `problems`, for the host-level report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from exhunt.analyzers import HuntOptions
from exhunt.filehunt.allowlist import Allowlist, load_allowlists
from exhunt.filehunt.contentrules import ContentRules, load_content_rules
from exhunt.filehunt.indicators import IndicatorSet, load_indicators
from exhunt.filehunt.listfile import ListProblem

DEFAULT_SCAN_TIMEOUT = 30  # seconds per file; HuntOptions.settings["file_scan_timeout"] overrides


@dataclass(frozen=True)
class Toolkit:
    indicators: IndicatorSet
    allowlist: Allowlist
    content_rules: ContentRules

    @property
    def problems(self) -> list[ListProblem]:
        return [*self.indicators.problems, *self.allowlist.problems, *self.content_rules.problems]


def scan_timeout(options: HuntOptions) -> int:
    """Whole seconds for yara-x, rounded up: `--file-scan-timeout` is a float (2.5 gives 3 s).

    A value that is not a positive number (the command line refuses those) gives the default.
    """
    value = options.settings.get("file_scan_timeout", DEFAULT_SCAN_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return DEFAULT_SCAN_TIMEOUT
    return max(1, math.ceil(value))


def toolkit(options: HuntOptions) -> Toolkit:
    return _toolkit(
        tuple(options.extra_indicator_paths),
        tuple(options.allowlist_paths),
        tuple(options.extra_yara_paths),
        scan_timeout(options),
    )


@lru_cache(maxsize=4)
def _toolkit(indicators: tuple[str, ...], allow: tuple[str, ...], yara: tuple[str, ...], timeout: int) -> Toolkit:
    return Toolkit(load_indicators(indicators), load_allowlists(allow), load_content_rules(yara, timeout))
