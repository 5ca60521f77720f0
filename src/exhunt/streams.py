"""Byte streams made of blocks: what readers hand each other once they have peeked at a file."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, cast

_BLOCK = 1 << 20


class BlockStream(io.RawIOBase):
    """A read-only stream over an iterable of byte blocks; `on_close` runs when it is closed."""

    def __init__(self, blocks: Iterable[bytes], on_close: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._blocks: Iterator[bytes] = iter(blocks)
        self._pending = b""
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._pending = block
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        try:
            if self._on_close is not None and not self.closed:
                self._on_close()
        finally:
            super().close()


def replay(head: bytes, stream: IO[bytes]) -> IO[bytes]:
    """`head` (already read from `stream`) and then the rest of `stream`, as one buffered stream
    that closes `stream` when closed."""

    def blocks() -> Iterator[bytes]:
        if head:
            yield head
        while block := stream.read(_BLOCK):
            yield block

    return cast(IO[bytes], io.BufferedReader(BlockStream(blocks(), stream.close)))
