"""A host's JSON as a stream of text pieces, finding by finding, the same bytes as `json.dumps`.

A host of a million events can carry tens of thousands of findings. `json.dumps(host.to_dict())`
holds, at once, the dict of every finding and the whole text (and `.replace` a second copy)
beside the assessment itself; the combined JSON, each host's file in `--out-dir` and the hunt
store each did that again. Here the host is turned into data with its findings left as a list
that turns each finding into data only as the encoder reaches it, and the encoder's pieces are
handed on as they come (`json.JSONEncoder.iterencode`, the encoder `json.dumps` itself runs
with an indent), so the text is the same, byte for byte, and only one finding's data is held
at a time. The hunt store's compact record (no indent, where `json.dumps` runs the C encoder)
is dumped around a random marker that stands for the findings, each dumped alone in its place.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from exhunt import __version__
from exhunt.codec import to_data
from exhunt.model import Finding, HostAssessment, HuntResult

_INDENTED = json.JSONEncoder(indent=2, ensure_ascii=True)
_PIECE = 1 << 16  # characters handed on at a time: the encoder's own pieces are a few each
# A list item no evidence can spell, dumped in place of the findings and then replaced.
_MARK = f"\x00exhunt-findings-{secrets.token_hex(16)}\x00"
_TOKEN = json.dumps(_MARK, ensure_ascii=True)


class _Findings(list[Any]):
    """The findings' data, made one finding at a time as the encoder iterates (it reads a list's
    items only by iterating; its emptiness by truth, which the one placeholder item answers)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__([None])
        self._findings = findings

    def __iter__(self) -> Iterator[Any]:
        return (to_data(f) for f in self._findings)

    def __len__(self) -> int:
        return len(self._findings)


def _with_findings(host: HostAssessment, findings: Any) -> dict[str, Any]:
    """`host.to_dict()` with `findings` in its findings' place (the key where it always stands)."""
    stand_in: list[Any] = [_MARK]  # one item, so the key is never left out as empty
    data: dict[str, Any] = to_data(dataclasses.replace(host, findings=stand_in))
    data["findings"] = findings
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


def host_data(host: HostAssessment) -> dict[str, Any]:
    """`host.to_dict()` whose findings become data only as an encoder reaches each one."""
    return _with_findings(host, _Findings(host.findings)) if host.findings else host.to_dict()


def host_pieces(host: HostAssessment, indent: str = "") -> Iterator[str]:
    """`json.dumps(host.to_dict(), indent=2, ensure_ascii=True)`, every line after the first
    indented by `indent`, in pieces."""
    return _joined(_INDENTED.iterencode(host_data(host)), indent)


def host_document_pieces(host: HostAssessment, started: datetime, finished: datetime) -> Iterator[str]:
    """`json.dumps(HuntResult(version, started, finished, [host]).to_dict(), indent=2,
    ensure_ascii=True)`: one host as a whole `exhunt.hunt/2` document, in pieces."""
    doc = HuntResult(__version__, started, finished, []).to_dict()
    doc["hosts"] = [host_data(host)]
    return _joined(_INDENTED.iterencode(doc))


def host_record(host: HostAssessment) -> str:
    """`json.dumps(host.to_dict(), ensure_ascii=True)` without the data of every finding at once."""
    if not host.findings:
        return json.dumps(host.to_dict(), ensure_ascii=True)
    text = json.dumps(_with_findings(host, [_MARK]), ensure_ascii=True)
    at = text.find(_TOKEN)
    if at < 0 or text.find(_TOKEN, at + 1) >= 0:  # pragma: no cover - the marker is random
        return json.dumps(host.to_dict(), ensure_ascii=True)
    parts = [text[:at]]
    for n, finding in enumerate(host.findings):
        if n:
            parts.append(", ")
        parts.append(json.dumps(to_data(finding), ensure_ascii=True))
    parts.append(text[at + len(_TOKEN) :])
    return "".join(parts)
