"""Text handed over host by host as hosts finish, read back in one fixed order of hosts.

Hosts finish in an order that depends on the scheduler, the load and the sizes of their files.
The combined outputs list them in one stable order (host name, then the folder or zip holding
its evidence) whatever ran them, so two hunts of the same evidence give the same files. Each
host's text goes to an anonymous spool file beside the output as the host finishes (only its
place is held in memory), piece by piece when it comes so (a host's JSON, a finding at a time),
and `parts` reads it back sorted, a block at a time. The spool disappears when closed,
and with the process if it dies.
"""

from __future__ import annotations

import codecs
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from exhunt.outfile import replaced

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
        self.block = READ_BYTES  # bytes read back at a time per host

    def __len__(self) -> int:
        return len(self._index)

    def add(self, order: HostOrder, text: str) -> None:
        self.add_pieces(order, (text,))

    def add_pieces(self, order: HostOrder, pieces: Iterable[str]) -> None:
        """One host's text, written as its pieces come, so the whole is never held."""
        self._file.seek(self._end)
        length = 0
        for piece in pieces:
            data = piece.encode("utf-8")
            self._file.write(data)
            length += len(data)
        self._index.append((order, len(self._index), self._end, length))
        self._end += length

    def parts(self) -> Iterator[Iterator[str]]:
        """Every host's text, in host order (texts of one host in the order they were added),
        each read back a block (`block` bytes) at a time. The parts may be read side by side
        (each read seeks to its own place first)."""
        for _order, _seq, start, length in sorted(self._index):
            yield self._read(start, length)

    def _read(self, start: int, length: int) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")()
        while length > 0:
            self._file.seek(start)
            data = self._file.read(min(length, self.block))
            if not data:
                raise OSError("the spool file is shorter than what was written to it")
            start += len(data)
            length -= len(data)
            yield decoder.decode(data, final=length <= 0)

    def pieces(self) -> Iterator[str]:
        """Every host's text whole, in host order."""
        return ("".join(part) for part in self.parts())

    def close(self) -> None:
        self._file.close()


class SpooledOutput:
    """An output file (or `-`, standard output) fed host by host and written in host order by
    `close`. Subclasses turn a host into text (`add`) and write the whole (`write`)."""

    newline: str | None = "\n"
    block = 0  # bytes read back at a time per host (0: READ_BYTES); less where hosts are read side by side

    def __init__(self, path: str | Path) -> None:
        self.target = str(path)
        self._spool = OrderedSpool(path)

    def add_text(self, order: HostOrder | None, text: str) -> None:
        """One host's text; without an order, hosts keep the order they were added in."""
        self._spool.add(order or UNORDERED, text)

    def add_pieces(self, order: HostOrder | None, pieces: Iterable[str]) -> None:
        """One host's text in pieces, each written to the spool as it comes."""
        self._spool.add_pieces(order or UNORDERED, pieces)

    def write(self, out: IO[str], pieces: Iterator[str]) -> None:
        for piece in pieces:
            out.write(piece)

    def write_parts(self, out: IO[str], parts: Iterator[Iterator[str]]) -> None:
        """The whole output from each host's text, given a block at a time; by default `write`
        on each host's text whole."""
        self.write(out, ("".join(part) for part in parts))

    def abandon(self) -> None:
        """Write nothing: the output failed (what was spooled goes with the spool)."""
        self._spool.close()

    def close(self) -> None:
        self._spool.block = self.block or READ_BYTES
        try:
            if self.target == "-":
                out = sys.stdout
                self.write_parts(out, self._spool.parts())
                out.flush()
            else:
                with replaced(self.target, newline=self.newline) as out:
                    self.write_parts(out, self._spool.parts())
        finally:
            self._spool.close()


UNORDERED: HostOrder = ("", "", "")
READ_BYTES = 1 << 20
