"""Indicator feeds as CERTs and threat-intelligence platforms publish them: STIX 2.1 and MISP JSON.

A `--indicators` file ending in `.json` is read as one of two formats, told by its content:

- a STIX 2.1 bundle (`"type": "bundle"`, or a single `indicator` object): every `indicator`
  whose `pattern_type` is `stix` gives the equality comparisons of its pattern, parsed by OASIS's
  `stix2-patterns` (`[ipv4-addr:value = '203.0.113.9'] OR [domain-name:value = 'evil.example']`);
- a MISP event (`{"Event": {...}}`, a list of them, or `{"response": [...]}` as MISP's REST API
  answers): every attribute, also those inside objects, of a type exhunt can match, unless MISP
  marks it as context rather than for detection (`to_ids` false: left out without a word, as
  MISP's own exports for detection do).

What maps to what (exhunt's list types, `exhunt.filehunt.indicators`):

| STIX object path | MISP attribute type | exhunt type |
|---|---|---|
| `ipv4-addr:value`, `ipv6-addr:value` | `ip-src`, `ip-dst` (and `\\|port`), the ip of `domain\\|ip` | ip |
| `domain-name:value`, the host of `url:value` | `domain`, `hostname`, the host of `url` | domain |
| `file:hashes.'SHA-256'`, `'SHA-1'`, `'MD5'` | `sha256`, `sha1`, `md5`, the hash of `filename\\|sha256`... | sha256, sha1, md5 |
| `file:name` with a folder, `file:parent_directory_ref.path` is not taken | `filename` with a folder | path |
| the `User-Agent` request header of `network-traffic` | `user-agent` | user_agent |

A comparison exhunt cannot take as it is (another operator, an object it does not match, a bare
file name that would match every file so named, the other terms of an `AND`) is counted and
reported once per file, never dropped in silence. A pattern that joins terms with `AND` gives
only its hashes: a hash names one file alone, while taking any other term by itself would
report more than the pattern says. The number given with each entry and problem is the
indicator's or attribute's place in the file (JSON has no useful line numbers).

A pattern is parsed only when it is of a size a feed writes: at most `MAX_PATTERN` characters,
`MAX_TERMS` comparisons and `MAX_DEPTH` nested brackets, counted on its text first. The parser's
time grows with the pattern (half a second per megabyte of one value, about four seconds per
megabyte of comparisons) and its tree walk recurses once per comparison, failing near a
thousand, so a hostile indicator is skipped and reported with its file, place and id instead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from exhunt import boundedjson
from exhunt.filehunt.listfile import ListProblem, ListRow

_STIX_HASHES = {"sha-256": "sha256", "sha256": "sha256", "sha-1": "sha1", "sha1": "sha1", "md5": "md5"}
_MISP_HASHES = ("md5", "sha1", "sha256")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")
_AND = re.compile(r"\bAND\b")
_JOINS = re.compile(r"\b(?:AND|OR|FOLLOWEDBY)\b")  # between comparisons, and between observations
MAX_PATTERN = 16 * 1024  # characters: a published pattern is some hundreds, a feed's widest some thousands
MAX_TERMS = 256  # comparisons: the parser's tree walk recurses once per term and fails near a thousand
MAX_DEPTH = 64  # nested brackets and parentheses, for the same recursion
_KINDS = (("webshell", ("webshell", "web shell", "web-shell")), ("ransomware", ("ransomware",)))


def feed_rows(text: str, origin: str, problems: list[ListProblem]) -> Iterator[ListRow]:
    """The entries of one STIX 2.1 or MISP JSON file as list rows (type, value, kind, label,
    source); what cannot be used goes to `problems`."""
    try:
        doc = boundedjson.loads(text)
    except ValueError as exc:
        problems.append(ListProblem(origin, None, f"not JSON: {str(exc)[:200]}"))
        return
    skipped: Counter[str] = Counter()
    if isinstance(doc, dict) and (doc.get("type") in ("bundle", "indicator")):
        yield from _stix(doc, origin, skipped, problems)
    elif _misp_events(doc) is not None:
        yield from _misp(_misp_events(doc) or [], origin, skipped)
    else:
        problems.append(ListProblem(origin, None, "neither a STIX 2.1 bundle nor a MISP event: no indicators read"))
        return
    if skipped:
        said = "; ".join(f"{n} {why}" for why, n in skipped.most_common())
        problems.append(ListProblem(origin, None, f"entries not used (exhunt cannot match them as written): {said}"))


# ------------------------------------------------------------------------------------- STIX


def _stix(doc: dict[str, Any], origin: str, skipped: Counter[str], problems: list[ListProblem]) -> Iterator[ListRow]:
    objects = doc.get("objects") if doc.get("type") == "bundle" else [doc]
    if not isinstance(objects, list):
        problems.append(ListProblem(origin, None, "STIX bundle without an objects list"))
        return
    names = {o.get("id"): o.get("name") for o in objects if isinstance(o, dict) and o.get("type") == "identity"}
    place = 0
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("type") != "indicator":
            continue
        place += 1
        pattern = obj.get("pattern")
        if obj.get("revoked") is True:
            # withdrawn by its producer; an indicator past its valid_until is kept: evidence of a
            # past intrusion is hunted for when the indicator no longer works in a live feed
            skipped["revoked indicator(s)"] += 1
            continue
        if obj.get("pattern_type", "stix") != "stix" or not isinstance(pattern, str):
            skipped[f"indicator(s) of pattern type {obj.get('pattern_type')!r}"] += 1
            continue
        label = str(obj.get("name") or obj.get("description") or "")[:200]
        source = str(names.get(obj.get("created_by_ref")) or "")[:200]
        kind = _kind(label, str(obj.get("description") or ""), *map(str, obj.get("indicator_types") or ()))
        oversized = _oversized(pattern)
        if oversized is not None:
            ident = str(obj.get("id") or "without an id")[:100]
            problems.append(ListProblem(origin, place, f"indicator {ident!r}: {oversized}; skipped, not parsed"))
            continue
        try:
            terms = _pattern_terms(pattern)
        except Exception as exc:  # the parser raises its own and ANTLR's errors for a bad pattern
            problems.append(ListProblem(origin, place, f"STIX pattern not understood: {str(exc)[:200]}"))
            continue
        joined = _AND.search(_QUOTED.sub("''", pattern)) is not None and len(terms) > 1
        for kind_of, value, why in terms:
            if why is None and joined and kind_of not in _STIX_HASHES.values():
                why = "term(s) of a pattern joined by AND (its hashes are taken)"
            if why is not None:
                skipped[why] += 1
                continue
            yield _row(origin, place, kind_of, value, kind, label, source)


def _oversized(pattern: str) -> str | None:
    """Why a pattern is too large to parse (`MAX_PATTERN`, `MAX_TERMS`, `MAX_DEPTH`), or None.
    Counted on the text with its quoted values blanked, so a value holding `OR` or `(` counts
    as nothing."""
    if len(pattern) > MAX_PATTERN:
        return f"STIX pattern of {len(pattern):,} characters, more than {MAX_PATTERN:,}"
    bare = _QUOTED.sub("''", pattern)
    terms = len(_JOINS.findall(bare)) + 1
    if terms > MAX_TERMS:
        return f"STIX pattern of {terms:,} comparisons, more than {MAX_TERMS:,}"
    depth = deepest = 0
    for ch in bare:
        if ch in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]":
            depth -= 1
    if deepest > MAX_DEPTH:
        return f"STIX pattern nested {deepest:,} brackets deep, more than {MAX_DEPTH:,}"
    return None


def _pattern_terms(pattern: str) -> list[tuple[str, str, str | None]]:
    """(exhunt type, value, None) per usable comparison of a STIX pattern, or ("", "", why)."""
    from stix2patterns.v21.pattern import Pattern  # ANTLR: loaded only for STIX files

    out: list[tuple[str, str, str | None]] = []
    for object_type, comparisons in Pattern(pattern).inspect().comparisons.items():
        for path, operator, literal in comparisons:
            if operator != "=":
                out.append(("", "", f"comparison(s) with {operator}"))
                continue
            value = _unquote(literal)
            out.append(_stix_term(object_type, [str(p) for p in path], value))
    return out


def _stix_term(object_type: str, path: list[str], value: str | None) -> tuple[str, str, str | None]:
    if value is None:
        return ("", "", "value(s) that are not strings")
    if object_type in ("ipv4-addr", "ipv6-addr") and path == ["value"]:
        return ("ip", value, None)
    if object_type == "domain-name" and path == ["value"]:
        return ("domain", value, None)
    if object_type == "url" and path == ["value"]:
        return _url_host(value)
    if object_type == "file" and len(path) == 2 and path[0] == "hashes" and path[1].lower() in _STIX_HASHES:
        return (_STIX_HASHES[path[1].lower()], value, None)
    if object_type == "file" and path == ["name"]:
        return _file_path(value)
    if object_type == "network-traffic" and [p.lower() for p in path[-2:]] == ["request_header", "user-agent"]:
        return ("user_agent", value, None)
    return ("", "", f"{object_type}:{'.'.join(path)} comparison(s)")


def _unquote(literal: str) -> str | None:
    if len(literal) < 2 or not (literal.startswith("'") and literal.endswith("'")):
        return None
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


# ------------------------------------------------------------------------------------- MISP


def _misp_events(doc: Any) -> list[dict[str, Any]] | None:
    """The events of a MISP export: one event, a list of them, or an API response."""
    if isinstance(doc, dict) and isinstance(doc.get("response"), list):
        doc = doc["response"]
    if isinstance(doc, dict) and isinstance(doc.get("Event"), dict):
        return [doc["Event"]]
    if isinstance(doc, list) and doc and all(isinstance(d, dict) and isinstance(d.get("Event"), dict) for d in doc):
        return [d["Event"] for d in doc]
    return None


def _misp(events: list[dict[str, Any]], origin: str, skipped: Counter[str]) -> Iterator[ListRow]:
    place = 0
    for event in events:
        info = str(event.get("info") or "")[:200]
        org = event.get("Orgc") if isinstance(event.get("Orgc"), dict) else {}
        source = str(org.get("name") or "")[:200] if isinstance(org, dict) else ""
        kind = _kind(info, *(str(t.get("name", "")) for t in event.get("Tag") or () if isinstance(t, dict)))
        for attribute in _misp_attributes(event):
            place += 1
            if attribute.get("to_ids") is False or str(attribute.get("to_ids")).lower() in ("0", "false"):
                # MISP's own word that the value is context, not for detection (a benign host, a
                # note, a link): not an indicator left unread, so no problem of the feed either
                continue
            label = str(attribute.get("comment") or info)[:200]
            terms = _misp_terms(str(attribute.get("type") or ""), str(attribute.get("value") or ""))
            for kind_of, value, why in terms:
                if why is not None:
                    skipped[why] += 1
                else:
                    yield _row(origin, place, kind_of, value, kind, label, source)


def _misp_attributes(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for attribute in event.get("Attribute") or ():
        if isinstance(attribute, dict):
            yield attribute
    for obj in event.get("Object") or ():
        if isinstance(obj, dict):
            for attribute in obj.get("Attribute") or ():
                if isinstance(attribute, dict):
                    yield attribute


def _misp_terms(kind_of: str, value: str) -> list[tuple[str, str, str | None]]:
    parts = value.split("|")
    if kind_of in ("ip-src", "ip-dst"):
        return [("ip", value, None)]
    if kind_of in ("ip-src|port", "ip-dst|port"):
        return [("ip", parts[0], None)]
    if kind_of in ("domain", "hostname"):
        return [("domain", value, None)]
    if kind_of in ("domain|ip", "hostname|port") and len(parts) == 2:
        out: list[tuple[str, str, str | None]] = [("domain", parts[0], None)]
        return [*out, ("ip", parts[1], None)] if kind_of == "domain|ip" else out
    if kind_of == "url":
        return [_url_host(value)]
    if kind_of in _MISP_HASHES:
        return [(kind_of, value, None)]
    if kind_of.startswith("filename|") and kind_of[9:] in _MISP_HASHES and len(parts) == 2:
        return [(kind_of[9:], parts[1], None)]
    if kind_of == "filename":
        return [_file_path(value)]
    if kind_of == "user-agent":
        return [("user_agent", value, None)]
    return [("", "", f"MISP attribute(s) of type {kind_of!r}")]


# ------------------------------------------------------------------------------------- shared


def _url_host(url: str) -> tuple[str, str, str | None]:
    """A URL's host, as the domain (or address) indicator exhunt can look for."""
    try:
        host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
    except ValueError:
        host = ""
    if not host:
        return ("", "", "URL(s) without a host")
    is_address = host.replace(".", "").isdigit() or ":" in host
    return ("ip" if is_address else "domain", host, None)


def _file_path(name: str) -> tuple[str, str, str | None]:
    if "\\" in name or "/" in name:
        return ("path", name, None)
    return ("", "", "bare file name(s) (a name alone would match every file so named)")


def _kind(*texts: str) -> str:
    words = " ".join(texts).lower()
    return next((kind for kind, markers in _KINDS if any(m in words for m in markers)), "other")


def _row(origin: str, place: int, kind_of: str, value: str, kind: str, label: str, source: str) -> ListRow:
    fields = {"type": kind_of, "value": value, "kind": kind, "label": label, "source": source}
    return ListRow(origin, place, fields)
