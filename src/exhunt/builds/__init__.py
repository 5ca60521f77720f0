"""Exchange build intelligence: the build table, and what a build leaves open.

from exhunt.builds import assess_build, parse_build, BuildParseError
"""

from __future__ import annotations

from exhunt.builds.assess import BuildAssessment, NextUpdate, assess_build
from exhunt.builds.exposure import CHAIN_CVES, FIXES, ChainExposure, Fix
from exhunt.builds.parse import BuildForm, BuildNumber, BuildParseError, parse_build
from exhunt.builds.table import BuildEntry, BuildTable, build_table

__all__ = [
    "CHAIN_CVES",
    "FIXES",
    "BuildAssessment",
    "BuildEntry",
    "BuildForm",
    "BuildNumber",
    "BuildParseError",
    "BuildTable",
    "ChainExposure",
    "Fix",
    "NextUpdate",
    "assess_build",
    "build_table",
    "parse_build",
]
