"""Exchange Server products: which version numbers exist, and when their support ended."""

from __future__ import annotations

from datetime import date

EXCHANGE_2010 = "Exchange Server 2010"
EXCHANGE_2013 = "Exchange Server 2013"
EXCHANGE_2016 = "Exchange Server 2016"
EXCHANGE_2019 = "Exchange Server 2019"
EXCHANGE_SE = "Exchange Server SE"

# The versions the build table covers, and what to call them in messages.
TABLE_MINORS: dict[tuple[int, int], str] = {
    (14, 0): EXCHANGE_2010,
    (14, 1): EXCHANGE_2010,
    (14, 2): EXCHANGE_2010,
    (14, 3): EXCHANGE_2010,
    (15, 0): EXCHANGE_2013,
    (15, 1): EXCHANGE_2016,
    (15, 2): f"{EXCHANGE_2019} or SE",  # SE is 15.2 from build 2562 (docs/builds.md#fixing-updates-per-chain)
}

# Older products: named, but exhunt holds no build or CVE data for them.
OLDER_VERSIONS: dict[tuple[int, int], str] = {
    (4, 0): "Exchange Server 4.0",
    (5, 0): "Exchange Server 5.0",
    (5, 5): "Exchange Server 5.5",
    (6, 0): "Exchange 2000 Server",
    (6, 5): "Exchange Server 2003",
    (8, 0): "Exchange Server 2007",
    (8, 1): "Exchange Server 2007 SP1",
    (8, 2): "Exchange Server 2007 SP2",
    (8, 3): "Exchange Server 2007 SP3",
}

# End of (extended) support. 2013/2016/2019 from HealthChecker's dictionary (docs/builds.md#fixing-updates-per-chain);
# 2007 and 2010 from Microsoft's lifecycle pages. Exchange Server SE follows the modern lifecycle.
SUPPORT_ENDED: dict[str, date] = {
    "Exchange Server 2007": date(2017, 4, 11),
    EXCHANGE_2010: date(2020, 10, 13),
    EXCHANGE_2013: date(2023, 4, 11),
    EXCHANGE_2016: date(2025, 10, 14),
    EXCHANGE_2019: date(2025, 10, 14),
}


def product_family(product: str) -> str:
    """ "Exchange Server 2007 SP3" -> "Exchange Server 2007": the name lifecycle dates are kept under."""
    return product.split(" SP", 1)[0]


def support_note(product: str) -> str | None:
    """A sentence on the product's support state, or None while it is supported."""
    ended = SUPPORT_ENDED.get(product_family(product))
    if ended is None:
        if product in OLDER_VERSIONS.values():
            return f"{product} is long out of support: move to a supported Exchange Server version."
        return None
    if product in (EXCHANGE_2016, EXCHANGE_2019):
        return (
            f"{product} reached the end of extended support on {ended.isoformat()}; Microsoft still "
            f"lists later updates, but plan the move to {EXCHANGE_SE}."
        )
    return (
        f"{product_family(product)} is out of support since {ended.isoformat()} and gets no more "
        "security updates: move to a supported Exchange Server version."
    )
