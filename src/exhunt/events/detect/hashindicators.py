"""Listed file hashes in the hashes Sysmon records: a web shell or a tool seen by its hash even
after the file is gone.

Sysmon writes the hashes of the file an event is about in one field, `SHA1=...,MD5=...,
SHA256=...,IMPHASH=...` (the algorithms its configuration asks for): a process started from it
(1), a driver or a module loaded (6, 7), an alternate data stream written (15, `Hash`), a file
deleted (23, 26), an executable's writing or a file's shredding blocked (27, 28), an executable
written (29). The hashes of the
indicator lists (the shipped 2021 lists and `--indicators`, including STIX and MISP feeds) are
compared with them, so a web shell deleted after use, or ransomware that ran, is found by the
event that saw it.

Image loads (7) are the bulk of a Sysmon log and no other detector reads them: an EVTX record of
a kind only this search reads is decoded only when its JSON text holds one of the listed hashes
(`common.TextCheck`, one multi-literal pass), so a log naming none costs one scan per such record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from exhunt.artefacts.prefilter import Pattern, Prefilter
from exhunt.events.detect.common import TextCheck, report
from exhunt.events.record import EventRecord
from exhunt.filehunt.indicators import HASH_TYPES, Indicator, load_indicators
from exhunt.hits import Reporter
from exhunt.model import FileFacet
from exhunt.rules import rules_of

DETECTOR = "event-hash-indicator"

# (source family, event id) -> the field holding the hashes, and the field naming the file
HASH_FIELDS: dict[tuple[str, int], tuple[str, str]] = {
    ("sysmon", 1): ("Hashes", "Image"),
    ("sysmon", 6): ("Hashes", "ImageLoaded"),
    ("sysmon", 7): ("Hashes", "ImageLoaded"),
    ("sysmon", 15): ("Hash", "TargetFilename"),
    ("sysmon", 23): ("Hashes", "TargetFilename"),
    ("sysmon", 26): ("Hashes", "TargetFilename"),
    ("sysmon", 27): ("Hashes", "TargetFilename"),
    ("sysmon", 28): ("Hashes", "TargetFilename"),
    ("sysmon", 29): ("Hashes", "TargetFilename"),
}
# keyed as events come (either part may be None: no entry then)
_FIELDS: dict[tuple[str | None, int | None], tuple[str, str]] = {k: v for k, v in HASH_FIELDS.items()}
_MAX_FIELD = 4096  # four hex digests and their names take under 300 characters


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: one per list set (cached)
class HashIndicators:
    """The lists' hashes by algorithm (lower-case hex), and every one of them as a literal."""

    by_type: Mapping[str, Mapping[str, list[Indicator]]]
    literals: frozenset[str]


@lru_cache(maxsize=8)
def hash_indicators(extra_paths: tuple[str, ...] = ()) -> HashIndicators:
    """The hashes of the shipped lists and the user's, once per process and list set."""
    hashes = load_indicators(extra_paths).hashes
    return HashIndicators(
        {kind: hashes.get(kind, {}) for kind in HASH_TYPES},
        frozenset(value for kind in HASH_TYPES for value in hashes.get(kind, {})),
    )


def parse_hashes(text: str) -> dict[str, str]:
    """`SHA1=A1..,MD5=B2..,SHA256=C3..,IMPHASH=D4..` -> {"sha1": "a1..", "md5": "b2..", ...}:
    the algorithms the lists hold, each a digest of its length; anything else is left out."""
    found: dict[str, str] = {}
    for part in text[:_MAX_FIELD].split(","):
        name, sep, value = part.partition("=")
        kind = name.strip().lower().replace("-", "")
        value = value.strip().lower()
        if sep and len(value) == HASH_TYPES.get(kind, -1) and all(c in "0123456789abcdef" for c in value):
            found[kind] = value
    return found


def matcher(
    values: HashIndicators, family: Callable[[EventRecord], str | None]
) -> Callable[[EventRecord, Reporter], None] | None:
    """The search of one event, or None when the lists hold no hash (or the rule is not loaded)."""
    rule_ids = [r.id for r in rules_of(DETECTOR)]
    if not rule_ids or not values.literals:
        return None

    def search(record: EventRecord, result: Reporter) -> None:
        fields = _FIELDS.get((family(record), record.event_id))
        if fields is None:
            return  # the common case: an event of another kind
        held = record.get(fields[0])
        if not held:
            return
        named = record.get(fields[1])
        digests = parse_hashes(held)
        facet = FileFacet(path=named, sha256=digests.get("sha256")) if named else None
        matched: list[tuple[str, str, Indicator]] = []
        for kind, digest in digests.items():
            matched += [(kind, digest, ind) for ind in values.by_type[kind].get(digest, ())]
        if not matched:
            return
        # One finding per event, as the file hunt makes one per file: every list entry that
        # names one of its hashes is given (the same web shell is in several published lists).
        facts = {
            "indicator": _joined(digest for _, digest, _ in matched),
            "seen_in": _joined(f"{fields[0]}: {kind.upper()}={digest}" for kind, digest, _ in matched),
            "file": named,
            "indicator_kind": _joined(ind.kind for _, _, ind in matched),
            "indicator_label": _joined(ind.label for _, _, ind in matched),
            "indicator_source": _joined(ind.source for _, _, ind in matched),
            "listed_in": _joined(f"{ind.origin}:{ind.line}" for _, _, ind in matched),
        }
        for rule_id in rule_ids:
            report(result, rule_id, record, facts, file=facet)

    return search


def _joined(values: Iterable[str]) -> str:
    """Distinct non-empty values in order, as one detail."""
    return "; ".join(dict.fromkeys(v for v in values if v))


def text_check(values: HashIndicators) -> TextCheck | None:
    """The check of the records of `HASH_FIELDS`' kinds no detector reads, or None when the
    lists hold no hash (then those records are passed by unread). Sysmon writes hex in capitals,
    the lists in small letters: the check ignores case."""
    if not rules_of(DETECTOR) or not values.literals:
        return None
    return TextCheck(candidates(values))


@lru_cache(maxsize=8)
def candidates(values: HashIndicators) -> Prefilter:
    """The listed digests as caseless literals, compiled once per process and lists."""
    return Prefilter(Pattern.literal("hash", digest) for digest in sorted(values.literals))
