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
    head: list[bytes] = []  # the first HEAD_BYTES, as read (a small file's one block, uncopied)
    head_size = 0
    # A file on disk is read through a buffered reader, which returns less than asked only at the
    # end of the file: no second read to learn that (a member of a container is read to b"").
    ends_short = file.ref.archive is None
    # A file smaller than a block is read with one buffer of its listed size (plus one byte, to
    # see the end): no block-sized buffer to allocate and shrink for each of thousands of pages.
    # So is a file on disk whose whole content is kept: read in blocks, it was held twice while
    # they were joined (16 MB of a worker's memory for an 8 MB page).
    whole = 0 <= file.size < BLOCK or (ends_short and 0 <= file.size <= limit)
    step = file.size + 1 if whole else BLOCK
    try:
        with file.open() as fh:
            while True:
                asked, step = step, BLOCK
                block = fh.read(asked)
                if not block:
                    break
                out.size += len(block)
                for h in hashers.values():
                    h.update(block)
                if head_size < HEAD_BYTES:
                    piece = block[: HEAD_BYTES - head_size]
                    head.append(piece)
                    head_size += len(piece)
                if kept is not None:
                    if out.size > limit:
                        kept = None  # keep hashing, stop holding: memory stays flat
                        out.over_limit = True
                    else:
                        kept.append(block)
                if ends_short and len(block) < asked:
                    break
    except (OSError, EOFError, RuntimeError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
        # zip members fail with BadZipFile/zlib errors, or RuntimeError when encrypted
        out.error = f"cannot read: {getattr(exc, 'strerror', None) or exc}"
        out.head = _joined(head)
        return out
    out.head = _joined(head)
    out.digests = {name: h.hexdigest() for name, h in hashers.items()}
    if kept is not None:
        out.data = _joined(kept)
    return out


def _joined(blocks: list[bytes]) -> bytes:
    return blocks[0] if len(blocks) == 1 else b"".join(blocks)
