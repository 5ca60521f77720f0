"""Pages kept as base64 text: a file whose whole content is the base64 of an ASP.NET page, once
or a few times over. Shells are uploaded so past filters that read a page's code, or staged to be
decoded on the server later (`certutil -decode`, a second request); the file itself holds no code
the analysis could read, the page it decodes to does.

The base64 text may itself be saved in UTF-16 or UTF-32 (Windows PowerShell 5.1's `Out-File` and
`>` write UTF-16 by default), and the page it decodes to may be too: both are read as the letters
they spell."""

from __future__ import annotations

import base64
import binascii
import re

from exhunt.codeanalysis.charset import wide_codec

MAX_LAYERS = 3  # decoded at most this many times over
MIN_BYTES = 40  # shorter text is no page worth the name
_BOM = b"\xef\xbb\xbf"
_BASE64 = re.compile(rb"[A-Za-z0-9+/\r\n]+={0,2}")
_SPACE = re.compile(rb"\s+")
# Server code, as the prefilter asks of a page: a code block or directive, or a server script.
_SERVER_CODE = re.compile(rb"(?i)<%|\brunat\s*=\s*[\"']?server")


def maybe_encoded(data: bytes) -> bool:
    """A cheap look at the start: base64 letters only, for the prefilter to decide on."""
    head = _narrow(data, 400)[:80].removeprefix(_BOM).strip()
    return len(head) >= MIN_BYTES and _BASE64.fullmatch(head) is not None


def _head(page: bytes) -> bytes:
    """The first MiB of a decoded page as UTF-8, whatever width it was written in."""
    codec = wide_codec(page)
    if codec is None:
        return page[: 1 << 20]
    return page[: 1 << 22].decode(codec, "replace").encode("utf-8", "replace")[: 1 << 20]


def _narrow(data: bytes, limit: int | None = None) -> bytes:
    """Text in UTF-16 or UTF-32 (the first `limit` bytes of it) as the single bytes it spells
    when every character is ASCII; anything else as it is, for the base64 shape to reject."""
    codec = wide_codec(data)
    if codec is None:
        return data
    chunk = data if limit is None else data[:limit]
    try:
        # "ignore" only drops a character cut in two by the limit; the strict ASCII step
        # below still refuses any text that is not base64's letters.
        return chunk.decode(codec, "ignore" if limit is not None else "strict").encode("ascii")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return data


def encoded_page(data: bytes) -> tuple[int, bytes] | None:
    """The page the whole content decodes to, with how many times it was encoded; None when the
    content is not base64 text alone or does not come down to server code."""
    blob = _narrow(data).removeprefix(_BOM).strip()
    for layers in range(1, MAX_LAYERS + 1):
        if len(blob) < MIN_BYTES or _BASE64.fullmatch(blob) is None:
            return None
        try:
            blob = base64.b64decode(_SPACE.sub(b"", blob), validate=True)
        except (binascii.Error, ValueError):
            return None
        if _SERVER_CODE.search(_head(blob)) is not None:
            return layers, blob  # the page as its bytes are, wide or not: the analysis reads both
        blob = _narrow(blob).removeprefix(_BOM).strip()
    return None
