"""Pages kept as base64 text: a file whose whole content is the base64 of an ASP.NET page, once
or a few times over. Shells are uploaded so past filters that read a page's code, or staged to be
decoded on the server later (`certutil -decode`, a second request); the file itself holds no code
the analysis could read, the page it decodes to does."""

from __future__ import annotations

import base64
import binascii
import re

MAX_LAYERS = 3  # decoded at most this many times over
MIN_BYTES = 40  # shorter text is no page worth the name
_BOM = b"\xef\xbb\xbf"
_BASE64 = re.compile(rb"[A-Za-z0-9+/\r\n]+={0,2}")
_SPACE = re.compile(rb"\s+")
# Server code, as the prefilter asks of a page: a code block or directive, or a server script.
_SERVER_CODE = re.compile(rb"(?i)<%|\brunat\s*=\s*[\"']?server")


def maybe_encoded(data: bytes) -> bool:
    """A cheap look at the start: base64 letters only, for the prefilter to decide on."""
    head = data[:80].removeprefix(_BOM).strip()
    return len(head) >= MIN_BYTES and _BASE64.fullmatch(head) is not None


def encoded_page(data: bytes) -> tuple[int, bytes] | None:
    """The page the whole content decodes to, with how many times it was encoded; None when the
    content is not base64 text alone or does not come down to server code."""
    blob = data.removeprefix(_BOM).strip()
    for layers in range(1, MAX_LAYERS + 1):
        if len(blob) < MIN_BYTES or _BASE64.fullmatch(blob) is None:
            return None
        try:
            blob = base64.b64decode(_SPACE.sub(b"", blob), validate=True)
        except (binascii.Error, ValueError):
            return None
        if _SERVER_CODE.search(blob[: 1 << 20]) is not None:
            return layers, blob
        blob = blob.removeprefix(_BOM).strip()
    return None
