"""Text handed over host by host as hosts finish, read back in one fixed order of hosts.

Hosts finish in an order that depends on the scheduler, the load and the sizes of their files.
The combined outputs list them in one stable order (host name, then the folder or zip holding
its evidence) whatever ran them, so two hunts of the same evidence give the same files. Each
host's text goes to an anonymous spool file beside the output as the host finishes (only its
place is held in memory), and `pieces` reads it back sorted. The spool disappears when closed,
and with the process if it dies.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

HostOrder = tuple[str, str, str]


def host_order(name: str, key: str) -> HostOrder:
    """Where a host goes in the combined outputs: by name regardless of case, then by name,
    then by where its evidence lies (two collections of one server)."""
    return (name.casefold(), name, key)


class OrderedSpool:
    """Pieces of text added in any order with their host's place; `pieces` gives them in order."""

    def __init__(self, near: str | Path | None = None) -> None:
        folder = Path(near).parent if near is not None and str(near) != "-" else None
        # Beside the output (the same file system, where there is room for it); the system's
        # temporary folder for standard output.
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=folder or None, prefix=".exhunt-spool-")  # noqa: SIM115
        self._index: list[tuple[HostOrder, int, int, int]] = []
        self._end = 0

    def __len__(self) -> int:
        return len(self._index)

    def add(self, order: HostOrder, text: str) -> None:
        data = text.encode("utf-8")
        self._file.seek(self._end)
        self._file.write(data)
        self._index.append((order, len(self._index), self._end, len(data)))
        self._end += len(data)

    def pieces(self) -> Iterator[str]:
        """Every piece, in host order (pieces of one host in the order they were added)."""
        for _order, _seq, start, length in sorted(self._index):
            self._file.seek(start)
            yield self._file.read(length).decode("utf-8")

    def close(self) -> None:
        self._file.close()


class SpooledOutput:
    """An output file (or `-`, standard output) fed host by host and written in host order by
    `close`. Subclasses turn a host into text (`add`) and write the whole (`write`)."""

    newline: str | None = "\n"

    def __init__(self, path: str | Path) -> None:
        self.target = str(path)
        self._spool = OrderedSpool(path)

    def add_text(self, order: HostOrder | None, text: str) -> None:
        """One host's text; without an order, hosts keep the order they were added in."""
        self._spool.add(order or UNORDERED, text)

    def write(self, out: IO[str], pieces: Iterator[str]) -> None:
        for piece in pieces:
            out.write(piece)

    def close(self) -> None:
        try:
            if self.target == "-":
                out = sys.stdout
                self.write(out, self._spool.pieces())
                out.flush()
            else:
                with Path(self.target).open("w", encoding="utf-8", newline=self.newline) as out:
                    self.write(out, self._spool.pieces())
        finally:
            self._spool.close()


UNORDERED: HostOrder = ("", "", "")
