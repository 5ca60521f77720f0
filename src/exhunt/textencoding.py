"""Which encoding a text a user hands in (a list, a saved result, a pipe) is written in.

UTF-16 with its byte-order mark is what Windows PowerShell 5 writes with `>` and `Out-File`
(and Excel as "Unicode Text"); anything else is read as UTF-8, with or without its mark.
"""

from __future__ import annotations

import codecs

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def text_encoding(start: bytes) -> str:
    """The codec for a text whose first bytes are `start`: `utf-16` (it reads the mark and
    drops it) after a UTF-16 byte-order mark, else `utf-8-sig`."""
    return "utf-16" if start.startswith(UTF16_BOMS) else "utf-8-sig"
