"""The EventData column of ECP Server and ECP Activity logs (docs/logs.md#ecp-server).

EventData is a `;`-separated list of `S:KEY=value` pairs. A pair whose value holds `;` or quotes
is wrapped in single quotes, with inner single quotes doubled:

    S:TIME=12;'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://f/<script>..;..</script>''.Identity=''x''';S:REQID=..

`S:CMD` holds a cmdlet and its parameters as `Cmdlet.Param=value.Param=value`, where a value
is either single-quoted (quotes doubled inside) or bare.
"""

from __future__ import annotations

import re

_PARAM = re.compile(r"\.([A-Za-z][A-Za-z0-9_]*)=")


def split_pairs(text: str) -> list[str]:
    """Split EventData at `;` outside single-quoted runs, and unwrap each quoted pair."""
    pairs: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "'":
            if quoted and i + 1 < n and text[i + 1] == "'":
                buf.append("'")
                i += 2
                continue
            quoted = not quoted
        elif ch == ";" and not quoted:
            pairs.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if buf:
        pairs.append("".join(buf))
    return [p for p in (p.strip() for p in pairs) if p]


def event_data(text: str) -> dict[str, str]:
    """`S:KEY=value` pairs by upper-case KEY (first one wins); pairs without `=` are dropped."""
    out: dict[str, str] = {}
    for pair in split_pairs(text):
        key, sep, value = pair.partition("=")
        if not sep:
            continue
        key = key.strip()
        if key[:2].upper() == "S:":
            key = key[2:]
        out.setdefault(key.upper(), value)
    return out


def cmdlet_parameters(cmd: str) -> tuple[str, list[tuple[str, str]]]:
    """(`Set-OabVirtualDirectory`, [(`ExternalUrl`, value), ...]) from an `S:CMD` value.

    Quoted values are read up to their closing quote, so dots, `=` and tags inside them do not
    split them; a bare value runs to the next `.Name=`.
    """
    m = _PARAM.search(cmd)
    if m is None:
        return cmd.strip(), []
    name = cmd[: m.start()].strip()
    params: list[tuple[str, str]] = []
    pos = m.start()
    n = len(cmd)
    while pos < n:
        m = _PARAM.match(cmd, pos)
        if m is None:
            nxt = _PARAM.search(cmd, pos + 1)
            if nxt is None:
                break
            pos = nxt.start()
            continue
        param = m.group(1)
        pos = m.end()
        if pos < n and cmd[pos] == "'":
            value, pos = _quoted(cmd, pos)
        else:
            nxt = _PARAM.search(cmd, pos)
            end = nxt.start() if nxt else n
            value, pos = cmd[pos:end], end
        params.append((param, value))
    return name, params


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """A single-quoted value starting at `pos`; returns it unescaped and the position after it."""
    out: list[str] = []
    i = pos + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "'":
            if i + 1 < n and text[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return "".join(out), n
