"""The shipped build table: well formed, internally consistent, and in step with Microsoft's CSV."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from exhunt.builds import build_table
from exhunt.builds.table import BuildTableError, load_table

# Rows of ExchangeBuildNumbers.csv whose name differs from the table's, and why.
NAME_DISAGREEMENTS = {
    # Microsoft's build-number page labels these CUs with their half year; the CSV does not.
    "15.1.2507.6": "Exchange Server 2016 CU23 (2022H1)",
    "15.2.1118.7": "Exchange Server 2019 CU12 (2022H1)",
    "15.2.1544.4": "Exchange Server 2019 CU14 (2024H1)",
    "15.2.1748.10": "Exchange Server 2019 CU15 (2025H1)",
    # The CSV calls the service pack's own release "RTM"; Microsoft's page does not.
    "14.1.218.15": "Exchange Server 2010 SP1",
    "14.2.247.5": "Exchange Server 2010 SP2",
    "14.3.123.4": "Exchange Server 2010 SP3",
}
# Rows whose KB differs: the CSV repeats the Exchange 2013 KB of that month, while Microsoft's
# build-number page gives the Exchange 2016/2019 update its own KB.
KB_DISAGREEMENTS = {
    "15.1.2242.12": "KB5004779",
    "15.1.2308.14": "KB5004779",
    "15.2.858.15": "KB5004780",
    "15.2.922.13": "KB5004780",  # Jul21SU
    "15.1.2308.15": "KB5007012",
    "15.1.2375.12": "KB5007012",
    "15.2.922.14": "KB5007012",
    "15.2.986.9": "KB5007012",  # Oct21SU
    "15.1.2308.27": "KB5012698",
    "15.1.2375.24": "KB5012698",
    "15.2.922.27": "KB5012698",
    "15.2.986.22": "KB5012698",  # Mar22SU
    "15.1.2375.31": "KB5015322",
    "15.1.2507.12": "KB5015322",
    "15.2.986.29": "KB5015322",
    "15.2.1118.12": "KB5015322",  # Aug22SU
    "15.1.2375.32": "KB5019077",
    "15.1.2507.13": "KB5019077",
    "15.2.986.30": "KB5019077",
    "15.2.1118.15": "KB5019077",  # Oct22SU
    "15.1.2507.17": "KB5022143",
    "15.2.986.37": "KB5022193",
    "15.2.1118.21": "KB5022193",  # Jan23SU
    "15.2.1258.32": "KB5036402",
    "15.2.1544.9": "KB5036401",  # Mar24SU
}
# Builds in the CSV that Microsoft's build-number page gives differently (both are kept in the table).
BUILD_DISAGREEMENTS = {"14.3.266.1": "14.3.266.2", "14.3.339.0": "14.3.336.0"}


def normalise(build: str) -> str:
    return ".".join(str(int(p)) for p in build.split("."))


def csv_rows(shared_data: Path) -> list[dict[str, str]]:
    path = shared_data / "builds" / "ExchangeBuildNumbers.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.shared
def test_every_csv_build_from_2010_on_is_in_the_table(shared_data: Path) -> None:
    table = build_table()
    rows = [r for r in csv_rows(shared_data) if int(r["Build Number"].split(".")[0]) >= 14]
    assert sum(1 for r in rows if r["Build Number"].startswith("15")) >= 225
    seen_disagreements: set[str] = set()
    for row in rows:
        build = normalise(row["Build Number"])
        entry = table.get(tuple(int(p) for p in build.split(".")))  # type: ignore[arg-type]
        assert entry is not None, f"{build} ({row['Product Name']}) missing from the table"
        released = datetime.strptime(row["Date"], "%m/%d/%Y").date()
        assert entry.released == released, (build, entry.released, released)
        csv_name = row["Product Name"].replace("Exchange ", "Exchange Server ", 1)
        if build in NAME_DISAGREEMENTS:
            assert csv_name != entry.name and entry.name == NAME_DISAGREEMENTS[build], build
            seen_disagreements.add(build)
        else:
            assert entry.name == csv_name, (build, entry.name, csv_name)
        if build in KB_DISAGREEMENTS:
            assert row["KB"] != entry.kb and entry.kb == KB_DISAGREEMENTS[build], build
            seen_disagreements.add(build)
        elif row["KB"]:
            assert entry.kb == row["KB"], (build, entry.kb, row["KB"])
        if build in BUILD_DISAGREEMENTS:
            other = table.get(tuple(int(p) for p in BUILD_DISAGREEMENTS[build].split(".")))  # type: ignore[arg-type]
            assert other is not None and other.name == entry.name, build
            seen_disagreements.add(build)
    # Every documented disagreement still exists: the lists above do not go stale silently.
    documented = set(NAME_DISAGREEMENTS) | set(KB_DISAGREEMENTS) | set(BUILD_DISAGREEMENTS)
    assert documented == seen_disagreements, sorted(documented - seen_disagreements)


@pytest.mark.shared
def test_the_table_lists_no_15x_build_unknown_to_microsoft_listings_except_healthchecker_sus(
    shared_data: Path,
) -> None:
    in_csv = {normalise(r["Build Number"]) for r in csv_rows(shared_data)}
    for entry in build_table().entries:
        if entry.version not in in_csv:
            assert entry.sources in (("docs",), ("css",)), entry
            if entry.sources == ("css",):
                assert entry.kind == "SU" and entry.released is None and not entry.kb, entry


def test_table_is_consistent() -> None:
    table = build_table()
    assert len(table.entries) > 350
    products = {f"Exchange Server {v}" for v in ("2010", "2013", "2016", "2019", "SE")}
    for e in table.entries:
        assert e.product in products, e
        # Exchange 2010 RTM rollups are named without the "RTM": "Exchange Server 2010 RU1".
        assert e.name.startswith(f"{e.product} {e.cu}") or e.name == f"{e.product} {e.update}", e
        if e.update:
            assert e.name.endswith(e.update), e
            assert re.fullmatch(r"RU\d+(v\d)?|[A-Z][a-z]{2}\d\d(SU|HU)(v\d)?", e.update), e
        level = table.level_of(e.build)
        assert level is not None and (level.product, level.cu) == (e.product, e.cu), e
        if e.build[0] == 15 and not e.is_level:
            # From Exchange 2013 on, a security update keeps its CU's build number.
            assert e.build[:3] == level.build[:3], e
        if e.released and level.released and not e.is_level:
            assert e.released >= level.released, e
        if e.kb:
            assert re.fullmatch(r"KB\d{6,7}", e.kb), e
    se = table.level_of((15, 2, 2562, 17))
    assert se is not None and se.product == "Exchange Server SE"
    assert table.level_of((15, 2, 2561, 99)).product == "Exchange Server 2019"  # type: ignore[union-attr]


def test_lookups() -> None:
    table = build_table()
    e = table.get((15, 1, 2176, 9))
    assert e is not None and (e.name, e.kb, e.released) == (
        "Exchange Server 2016 CU19 Mar21SU",
        "KB5000871",
        date(2021, 3, 2),
    )
    level = table.level_of((15, 1, 2176, 10))
    assert level is not None and level.name == "Exchange Server 2016 CU19"
    assert table.level_of((15, 1, 2242, 3)) == level  # between CUs: the earlier one
    assert table.level_of((15, 1, 2242, 4)).cu == "CU20"  # type: ignore[union-attr]
    assert table.level_of((15, 0, 847, 64)).cu == "SP1"  # type: ignore[union-attr]
    assert table.level_of((15, 1, 1, 1)) is None
    assert [u.update for u in table.updates(level)][-3:] == ["Mar21SU", "Apr21SU", "May21SU"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("build\tname\n", "unexpected header"),
        ("", "holds no builds"),
        (
            "build\tname\tproduct\tcu\tupdate\tkind\treleased\tkb\tsources\tnote\n"
            "15.1.1.1\tx\tExchange Server 2016\tCU1\t\tXX\t\t\tcsv\t\n",
            "unknown kind",
        ),
        (
            "build\tname\tproduct\tcu\tupdate\tkind\treleased\tkb\tsources\tnote\n"
            "15.1.1\tx\tExchange Server 2016\tCU1\t\tCU\t\t\tcsv\t\n",
            "four parts",
        ),
        (
            "build\tname\tproduct\tcu\tupdate\tkind\treleased\tkb\tsources\tnote\n"
            "15.1.1.1\tx\tExchange Server 2016\tCU1\tMar21SU\tSU\t\t\tcsv\t\n",
            "no level row",
        ),
    ],
)
def test_a_broken_table_is_reported_with_its_line(text: str, message: str) -> None:
    with pytest.raises(BuildTableError, match=message):
        load_table(text)
