"""Property tests of every reader: a bad record among good ones costs that record only.

For each reader, its richest seed (real-shaped evidence with findings) gets hostile bytes put
between two of its lines: binary junk, NULs, a damaged sector, a megabyte line, a deep JSON
nest, an open quote, a lone surrogate escape. The reader must not raise, must finish in bounded
time, and must still find everything it found in the seed. EVTX files are real samples with
bytes overwritten at random places.
"""

from __future__ import annotations

import tempfile
import time
from functools import cache
from pathlib import Path

import pytest

pytest.importorskip("hypothesis", reason="hypothesis (a test extra) is not installed")
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz_targets import READERS, Reader, found, hunt_bytes

JUNK = st.one_of(
    st.binary(min_size=1, max_size=512),
    st.sampled_from(
        [
            b"\x00" * 4096,
            bytes(range(256)) * 32,  # a damaged sector
            b"x" * (1 << 20),  # one megabyte line
            b"[" * 5000,
            b'{"Event": ' * 990 + b"1" + b"}" * 990,
            b'"unterminated, quote',
            b'{"Channel": "Security", "EventID": "\\ud800", "x": "\\ud800"}',
            b"#Fields: a,b,c",
            b"\xff\xfe\x00\x00",
            b"\r\r\r\n\n",
        ]
    ),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
LINE_READERS = [name for name in READERS if name not in {"evtx", "pages"}]  # pages are not records


@cache
def _seed(name: str) -> tuple[bytes, dict[str, int]] | None:
    reader = READERS[name]
    best: tuple[bytes, dict[str, int]] | None = None
    for path in reader.seeds()[:40]:
        data = path.read_bytes()
        # Cached across tests, so not under a test's tmp_path: removed as soon as it is read.
        with tempfile.TemporaryDirectory(prefix="exhunt-seed-") as work:
            result = hunt_bytes(reader, data, Path(work))
        hits = found(result)
        if best is None or sum(hits.values()) > sum(best[1].values()):
            best = (data, hits)
    return best


def _hunt(reader: Reader, data: bytes, tmp: Path) -> dict[str, int]:
    started = time.monotonic()
    result = hunt_bytes(reader, data, tmp)
    assert time.monotonic() - started < 30, "the reader took too long"
    return found(result)


@pytest.mark.parametrize("name", LINE_READERS)
@given(junk=JUNK, where=st.floats(min_value=0, max_value=1), eol=st.sampled_from([b"\r\n", b"\n"]))
@settings(max_examples=max(10, settings.default.max_examples // 4))
def test_a_bad_record_among_good_ones_costs_only_itself(
    tmp_path_factory: pytest.TempPathFactory, name: str, junk: bytes, where: float, eol: bytes
) -> None:
    seed = _seed(name)
    if seed is None:
        pytest.skip(f"no seed evidence for the {name} reader")
    data, before = seed
    lines = data.splitlines(keepends=True)
    # After the header (first lines starting with '#'), before any record that matters.
    first = next((i for i, line in enumerate(lines) if not line.startswith(b"#")), len(lines))
    at = first + int(where * (len(lines) - first))
    mutated = b"".join(lines[:at]) + junk.replace(b"\n", b" ").replace(b"\r", b" ") + eol + b"".join(lines[at:])
    after = _hunt(READERS[name], mutated, tmp_path_factory.mktemp(name))
    lost = {rule: n - after.get(rule, 0) for rule, n in before.items() if after.get(rule, 0) < n}
    assert not lost, f"findings lost around a bad record: {lost}"


@given(st.data())
@settings(max_examples=max(10, settings.default.max_examples // 4))
def test_a_damaged_evtx_never_raises(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    seeds = READERS["evtx"].seeds()
    if not seeds:
        pytest.skip("no EVTX samples in ../shared/data/evtx (present beside a CI clone)")
    raw = bytearray(data.draw(st.sampled_from(seeds)).read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        patch = data.draw(st.binary(min_size=1, max_size=64))
        raw[at : at + len(patch)] = patch
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]  # truncated too
    _hunt(READERS["evtx"], bytes(raw), tmp_path_factory.mktemp("evtx"))


@pytest.mark.parametrize("name", ["httpproxy", "iis", "ecp"])
@pytest.mark.parametrize("kib", [8, 40])
def test_a_damaged_sector_in_the_first_64_kib_costs_only_its_lines(tmp_path: Path, name: str, kib: int) -> None:
    seed = _seed(name)
    assert seed is not None
    data, before = seed
    head, _, rest = data.partition(b"\n#Fields")
    header_end = data.index(b"\n", len(head) + 1) + 1 if rest else data.index(b"\n") + 1
    sector = bytes(range(256)) * (kib * 4)
    damaged = data[:header_end] + sector + b"\r\n" + data[header_end:]
    after = _hunt(READERS[name], damaged, tmp_path)
    assert all(after.get(rule, 0) >= n for rule, n in before.items()), (before, after)
