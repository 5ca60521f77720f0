"""Read an evidence file once: its hashes, its head, and its whole content when small enough.

Files above the size limit are still read to the end to hash them (in blocks, memory stays
flat); only the content rules skip them, and the caller reports that. Evidence is opened
read-only through its FileRef and never modified.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from dataclasses import dataclass, field

from exhunt.evidence.base import EvidenceFile

BLOCK = 1024 * 1024
HEAD_BYTES = 1024 * 1024  # enough for magic numbers and a minidump's module list


@dataclass(slots=True)
class FileContent:
    head: bytes = b""
    data: bytes | None = None  # the whole file, when it fit under the limit
    size: int = 0  # bytes read
    digests: dict[str, str] = field(default_factory=dict)  # algorithm -> hex, when read to the end
    over_limit: bool = False
    error: str | None = None

    @property
    def text_source(self) -> bytes:
        """What heuristics may search: the whole file when we have it, else its head."""
        return self.data if self.data is not None else self.head


def read_file(file: EvidenceFile, limit: int, algorithms: frozenset[str] = frozenset({"sha256"})) -> FileContent:
    """One pass over the file; errors are returned in `.error`, never raised."""
    out = FileContent()
    hashers = {name: hashlib.new(name) for name in sorted(algorithms)}
    kept: list[bytes] | None = []
    head = bytearray()
    try:
        with file.open() as fh:
            while True:
                block = fh.read(BLOCK)
                if not block:
                    break
                out.size += len(block)
                for h in hashers.values():
                    h.update(block)
                if len(head) < HEAD_BYTES:
                    head += block[: HEAD_BYTES - len(head)]
                if kept is not None:
                    if out.size > limit:
                        kept = None  # keep hashing, stop holding: memory stays flat
                        out.over_limit = True
                    else:
                        kept.append(block)
    except (OSError, EOFError, RuntimeError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
        # zip members fail with BadZipFile/zlib errors, or RuntimeError when encrypted
        out.error = f"cannot read: {getattr(exc, 'strerror', None) or exc}"
        out.head = bytes(head)
        return out
    out.head = bytes(head)
    out.digests = {name: h.hexdigest() for name, h in hashers.items()}
    if kept is not None:
        out.data = b"".join(kept)
    return out
