"""A host's JSON as a stream of text pieces, finding by finding, the same bytes as `json.dumps`.

A host of a million events can carry tens of thousands of findings. `json.dumps(host.to_dict())`
holds, at once, the dict of every finding and the whole text (and `.replace` a second copy)
beside the assessment itself; the combined JSON, each host's file in `--out-dir` and the hunt
store each did that again. Here the host is dumped with a random marker in its findings' place,
and each finding is turned into data and text alone, in the marker's place, so the text is the
same, byte for byte, and only one finding's data is held at a time. The hunt store's compact
record (no indent) is made the same way.

Each finding is dumped by orjson (`OPT_INDENT_2` writes what `json.dumps(indent=2)` writes for
strings, integers, booleans, null, lists and objects, which is all a finding holds) and indented
to the marker's depth; the standard library's pure-Python indenting encoder cost about a
millisecond per finding. orjson leaves non-ASCII characters and DEL as they are where
`ensure_ascii` escapes them, so a finding whose text holds any is dumped by `json` instead, as
is anything else orjson refuses (an integer beyond 64 bits).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import msgspec
import orjson

from exhunt import __version__
from exhunt.codec import to_data
from exhunt.model import Finding, HostAssessment, HuntResult

_INDENTED = json.JSONEncoder(indent=2, ensure_ascii=True)
_PIECE = 1 << 16  # characters handed on at a time: the encoder's own pieces are a few each
# A list item no evidence can spell, dumped in place of the findings and then replaced.
_MARK = f"\x00exhunt-findings-{os.urandom(16).hex()}\x00"
_TOKEN = json.dumps(_MARK, ensure_ascii=True)
_INDENT_2 = orjson.OPT_INDENT_2
# An indented JSON text holds a line break only between its items or inside its brackets.
_AFTER_COMMA = re.compile(r",\n *")
_LINE_BREAK = re.compile(r"\n *")


def _marked(host: HostAssessment) -> dict[str, Any]:
    """`host.to_dict()` with the marker as its one finding (the key where it always stands)."""
    stand_in: list[Any] = [_MARK]  # dumped as a string where the findings stand
    data: dict[str, Any] = to_data(dataclasses.replace(host, findings=stand_in))
    return data


def _joined(pieces: Iterator[str], indent: str = "") -> Iterator[str]:
    """The encoder's small pieces gathered into larger ones, each nested line indented by `indent`."""
    held: list[str] = []
    size = 0
    for piece in pieces:
        held.append(piece)
        size += len(piece)
        if size >= _PIECE:
            text = "".join(held)
            yield text.replace("\n", "\n" + indent) if indent else text
            held, size = [], 0
    text = "".join(held)
    if text:
        yield text.replace("\n", "\n" + indent) if indent else text


def finding_text(data: Any) -> str:
    """`json.dumps(data, indent=2, ensure_ascii=True)` for one finding's data."""
    try:
        raw = orjson.dumps(data, option=_INDENT_2)
    except TypeError:  # orjson.JSONEncodeError: json.dumps below writes it, or raises itself
        return json.dumps(data, indent=2, ensure_ascii=True)
    if raw.isascii() and b"\x7f" not in raw:
        return raw.decode("ascii")
    return json.dumps(data, indent=2, ensure_ascii=True)


def compact_dump(data: Any) -> str:
    """`json.dumps(data, ensure_ascii=True)` for data of strings, integers, booleans, None,
    lists and dicts (a finding's facets; orjson writes some floats otherwise than `json`, so
    data with floats must not come here): orjson's text spaced by msgspec's formatter
    (`compact_text`) where it is the same, as in `finding_text`; `json`'s where not."""
    try:
        raw = orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a lone surrogate
        return json.dumps(data, ensure_ascii=True)
    if raw.isascii() and b"\x7f" not in raw:
        try:
            return msgspec.json.format(raw, indent=0).decode("ascii")
        except msgspec.DecodeError:  # pragma: no cover - orjson writes JSON that msgspec reads
            pass
    return json.dumps(data, ensure_ascii=True)


def indented_text(data: Any) -> str:
    """`json.dumps(data, indent=2, ensure_ascii=True)` for a host's data but its findings: the
    standard library's C encoder writes it on one line and msgspec's formatter indents it, in a
    third of the time of the standard library's indenting encoder (pure Python: a host's
    observations are one or more for each file read), which stays for what msgspec refuses
    (NaN, a lone surrogate's escape)."""
    compact = json.dumps(data, ensure_ascii=True)
    try:
        return msgspec.json.format(compact, indent=2)
    except msgspec.DecodeError:
        return _INDENTED.encode(data)


def finding_texts(findings: Sequence[Finding]) -> Iterator[str]:
    """Each finding's `finding_text`, in order: as kept beside findings moved to a temporary
    file (`findingspill.SpilledFindings.texts`), else made here."""
    kept: Callable[[], Iterator[str]] | None = getattr(findings, "texts", None)
    if kept is not None:
        return kept()
    return (finding_text(to_data(f)) for f in findings)


def compact_text(indented: str) -> str:
    """`json.dumps(data, ensure_ascii=True)` from `json.dumps(data, indent=2, ensure_ascii=True)`.

    msgspec writes it on one line with `, ` and `: ` between items, its strings and numbers as
    they stand, in a third of the time of the two substitutions below. Those are for what it
    refuses (the escape of a lone surrogate, `NaN`): every line break of a JSON text stands
    between items (a string's own are escaped), after a comma (which keeps its space) or inside
    brackets."""
    try:
        return msgspec.json.format(indented, indent=0)
    except msgspec.DecodeError:
        return _LINE_BREAK.sub("", _AFTER_COMMA.sub(", ", indented))


def _around_marker(text: str) -> tuple[str, str] | None:
    """`text` before and after the one place the marker stands; None if it does not stand there
    exactly once (it cannot: the marker is random)."""
    at = text.find(_TOKEN)
    if at < 0 or text.find(_TOKEN, at + 1) >= 0:  # pragma: no cover - the marker is random
        return None
    return text[:at], text[at + len(_TOKEN) :]


def _indented_pieces(host: HostAssessment, prefix: str) -> Iterator[str] | None:
    """The host's indented JSON with its findings each dumped alone (`finding_text`); None
    if the marker is not found once."""
    around = _around_marker(indented_text(_marked(host)))
    if around is None:  # pragma: no cover - the marker is random
        return None
    head, tail = around
    inner = "\n" + head[head.rfind("\n") + 1 :] + prefix  # the marker's line break and indent

    def pieces() -> Iterator[str]:
        yield head.replace("\n", "\n" + prefix) if prefix else head
        for n, text in enumerate(finding_texts(host.findings)):
            body = text.replace("\n", inner)
            yield "," + inner + body if n else body
        yield tail.replace("\n", "\n" + prefix) if prefix else tail

    return pieces()


def host_pieces(host: HostAssessment, indent: str = "") -> Iterator[str]:
    """`json.dumps(host.to_dict(), indent=2, ensure_ascii=True)`, every line after the first
    indented by `indent`, in pieces."""
    if host.findings:
        pieces = _indented_pieces(host, indent)
        if pieces is not None:
            return _joined(pieces)
    return _joined(iter((indented_text(host.to_dict()),)), indent)


def host_document_pieces(host: HostAssessment, started: datetime, finished: datetime) -> Iterator[str]:
    """`json.dumps(HuntResult(version, started, finished, [host]).to_dict(), indent=2,
    ensure_ascii=True)`: one host as a whole `exhunt.hunt/2` document, in pieces."""
    doc = HuntResult(__version__, started, finished, []).to_dict()
    doc["hosts"] = [_MARK]
    around = _around_marker(_INDENTED.encode(doc))
    if around is None:  # pragma: no cover - the marker is random
        doc["hosts"] = [host.to_dict()]
        return _joined(_INDENTED.iterencode(doc))
    head, tail = around
    return itertools.chain((head,), host_pieces(host, head[head.rfind("\n") + 1 :]), (tail,))


def host_record(host: HostAssessment) -> str:
    """`json.dumps(host.to_dict(), ensure_ascii=True)` without the data of every finding at once."""
    return "".join(host_record_pieces(host))


def host_record_pieces(host: HostAssessment) -> Iterator[str]:
    """`host_record` in pieces, a finding at a time, so the whole text need never be held."""
    if not host.findings:
        yield json.dumps(host.to_dict(), ensure_ascii=True)
        return
    around = _around_marker(json.dumps(_marked(host), ensure_ascii=True))
    if around is None:  # pragma: no cover - the marker is random
        yield json.dumps(host.to_dict(), ensure_ascii=True)
        return
    head, tail = around
    yield head
    for n, indented in enumerate(finding_texts(host.findings)):
        text = compact_text(indented)
        yield ", " + text if n else text
    yield tail
