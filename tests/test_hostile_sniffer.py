"""The content sniffer decides a kind for any bytes, in bounded time, and never raises."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("hypothesis", reason="hypothesis (a test extra) is not installed")
from hypothesis import given
from hypothesis import strategies as st

from exhunt import boundedjson
from exhunt.evidence.classify import kind_from_content
from exhunt.model import ArtefactKind

NAMES = ["x.json", "x.jsonl", "x.txt", "x.log", "x.csv", "x.evtx", "x.aspx", "x"]
SEEDS = [
    b"[" * 2048,
    b"{" * 4096,
    b'[{"a":' * 1000,
    b'{"Channel":"Security","EventID":4624}\n',
    b"#Software: Microsoft Internet Information Services 10.0\n#Fields: date time\n",
    b"DateTime,RequestId,MajorVersion\n",
    b"\xff\xfe" + "[[[[".encode("utf-16-le") * 600,
]


@pytest.mark.parametrize("name", ["x.json", "x.jsonl", "x.txt", "x.log", "x.csv"])
def test_deeply_nested_json_is_a_plain_file_not_a_crash(name: str) -> None:
    assert kind_from_content(b"[" * 2048, name) is ArtefactKind.FILE


def test_an_event_record_is_still_recognised() -> None:
    assert kind_from_content(SEEDS[3], "x.json") is ArtefactKind.EVENT_JSON


def test_bounded_json_refuses_deep_nesting_as_a_value_error() -> None:
    with pytest.raises(ValueError, match="nested deeper"):
        boundedjson.loads("[" * 100_000 + "]" * 100_000)
    assert boundedjson.loads('{"a": ["[[[", {"b": "\\"[["}]}') == {"a": ["[[[", {"b": '"[['}]}


@given(st.one_of(st.binary(max_size=4096), st.sampled_from(SEEDS)), st.sampled_from(NAMES), st.binary(max_size=64))
def test_sniffer_is_total(data: bytes, name: str, tail: bytes) -> None:
    started = time.monotonic()
    kind = kind_from_content(data + tail, name)
    assert isinstance(kind, ArtefactKind)
    assert time.monotonic() - started < 2
