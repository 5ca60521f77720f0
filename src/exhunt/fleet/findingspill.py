"""A host's findings kept out of memory in private temporary files.

A host of a million events can hold tens of thousands of findings (about 3 KB each as Python
objects). As its units come back, each unit's findings go to a file of the host's own
(`ArrivedFindings`, msgpack alone), and a light copy of each stays: what the assessment reads
(sorting, correlation, the verdict, incidents, remediation; `remediation.light`). Once the host
is assessed they are written in their final order to the file the hunt's hosts share, and the
host's own file is closed. What comes after (the hunt store, the JSON outputs, the streamed
outputs, a host kept for the console or the whole-hunt outputs) reads them from there in their
order, a block of many findings at a time. `SpilledFindings` writes each finding as msgpack
(`findingpack.packed`: read back into the same `Finding`, equal field by field; pickled when
msgpack cannot carry it), followed by its indented JSON text (`jsonpieces.finding_text`, the
same bytes every writer of a host's JSON writes) and its row of the hunt store
(`findingrows`), both made from one `to_data` of it, and holds only where each one starts: 24
bytes a finding. The JSON writers and the store take the text and the row as they are, without
decoding the finding or making its data again.

The hosts of a hunt share one such file (`SpillFile`), so hosts kept to the end hold no open
file each. It is created private (0600) in the system's temporary folder and unlinked at once,
so it is gone when closed (with the last host read from it) or when the process dies. Each read
seeks to the finding's place under a lock, so two readers never move each other's place. A
finding that cannot be written raises `OSError`; the file then takes no more spills (closed at
once if it held nothing), and the caller keeps the host's findings in memory and notes why
(nothing is lost). A finding that cannot be read back (a disk error, a file cut short) raises
`SpillReadError`, an `OSError` naming the temporary file as the cause: the output being written
fails with it and says so, as for any other error of writing it.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import tempfile
import threading
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, overload

from exhunt.codec import to_data
from exhunt.findingpack import packed, unpacked
from exhunt.fleet.findingrows import packed_row, unpacked_row
from exhunt.fleet.jsonpieces import finding_text
from exhunt.model import Finding, SortKey


def _decoded(data: bytes | memoryview) -> Finding:
    try:
        return unpacked(data)
    except Exception as exc:  # what was written read back otherwise: the disk gave other bytes
        raise SpillReadError(f"a finding read back from it does not decode ({exc!r})") from exc


class SpillReadError(OSError):
    """Findings moved to the temporary file cannot be read back from it."""

    def __init__(self, why: str) -> None:
        super().__init__(f"the findings kept in a temporary file cannot be read back: {why}")


class SpillFile:
    """One private temporary file that the findings of many hosts are appended to, so that a
    hunt holds one open file for them, not one per host: thousands of hosts kept to the end
    (for STIX, MISP, or the console's details) would otherwise run out of file descriptors.
    Closed when the last `SpilledFindings` reading from it is gone."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="exhunt-findings-")  # noqa: SIM115
        self._end = 0
        self._lock = threading.Lock()
        self.retired = False  # a write failed: no further spill goes here
        weakref.finalize(self, self._file.close)

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        """Gone now, whoever still holds findings in it (they raise `ValueError` if read)."""
        self.retired = True
        self._file.close()

    def append(self, blocks: Iterable[bytes]) -> int:
        """Write `blocks` at the end; where they start. On a failed write the file takes no more
        spills (what it holds before stays readable) and, if it held nothing, is closed."""
        with self._lock:
            start = self._end
            try:
                self._file.seek(start)
                for block in blocks:
                    self._file.write(block)
                self._file.flush()
                self._end = self._file.tell()
            except BaseException:
                self.retired = True
                if start == 0:
                    self._file.close()
                raise
            return start

    def read(self, start: int, end: int) -> bytes:
        try:
            with self._lock:  # a seek and a read together: two readers never move each other's place
                self._file.seek(start)
                data = self._file.read(end - start)
        except OSError as exc:
            raise SpillReadError(str(exc)) from exc
        if len(data) != end - start:
            raise SpillReadError(f"it ended {end - start - len(data)} bytes short")
        return data


_shared: weakref.ref[SpillFile] | None = None
_shared_lock = threading.Lock()


def shared_spill_file() -> SpillFile:
    """The process's spill file in use, or a new one when there is none (or it was retired)."""
    global _shared
    with _shared_lock:
        current = _shared() if _shared is not None else None
        if current is None or current.retired:
            current = SpillFile()
            _shared = weakref.ref(current)
        return current


# Bytes read back at a time when findings are read in their order (a host's are one stretch of
# the file): one read for many findings, not a seek and a read for each.
READ_BLOCK = 1 << 20


class SpilledFindings(Sequence[Finding]):
    """Findings in their order, read back from a private temporary file (`into`, else the one
    this process's hosts share): one by its place, or all of them a block at a time. `ordered`:
    whether they are in `Finding.sort_key` order, checked as they are written when not given.
    `findings` may give a finding with its `packed` bytes, read back from another spill file:
    written as they are."""

    def __init__(
        self,
        findings: Iterable[Finding | tuple[Finding, bytes]],
        into: SpillFile | None = None,
        *,
        texts: bool = True,
        ordered: bool | None = None,
    ) -> None:
        self._starts = array("q")  # where each finding's msgpack starts, from the host's start
        self._texts = array("q")  # where its JSON text starts (its msgpack ends there)
        self._rows = array("q")  # where its hunt store row starts (`findingrows`; its text ends there)
        self.ordered = True if ordered is None else ordered  # `model.in_order` then keeps their order
        self._with_texts = texts  # without: the msgpack alone (`ArrivedFindings`)
        check = ordered is None

        def blocks() -> Iterator[bytes]:  # written as they are made, never all held at once
            end = 0
            last: SortKey | None = None
            for item in findings:
                finding, data = item if isinstance(item, tuple) else (item, packed(item))
                if check:
                    key = finding.sort_key()
                    if last is not None and key < last:
                        self.ordered = False
                    last = key
                text = row = b""
                if texts:
                    fields = to_data(finding)
                    text = finding_text(fields).encode("ascii")  # escaped: ASCII only
                    row = packed_row(fields)
                    yield b"".join((data, text, row))  # one write, not three
                else:
                    yield data
                self._starts.append(end)
                self._texts.append(end + len(data))
                self._rows.append(end + len(data) + len(text))
                end += len(data) + len(text) + len(row)
            self._starts.append(end)  # where a finding after the last would start

        spill = into if into is not None else shared_spill_file()
        self._base = spill.append(blocks())
        # Closed with the last reference to the findings of any host in it (a host kept to the
        # end, or shown once the progress bar is gone, keeps them readable until then).
        self._spill: SpillFile | None = spill

    def __len__(self) -> int:
        return len(self._starts) - 1

    def _read(self, start: int, end: int) -> bytes:
        if self._spill is None:
            raise ValueError("the spilled findings were closed")
        return self._spill.read(self._base + start, self._base + end)

    def _finding(self, i: int) -> Finding:
        return _decoded(self._read(self._starts[i], self._texts[i]))

    def packed_at(self, i: int) -> tuple[Finding, bytes]:
        """The `i`-th finding with its bytes as written (`findingpack.packed`)."""
        data = self._read(self._starts[i], self._texts[i])
        return _decoded(data), data

    def _blocks(self) -> Iterator[tuple[int, int, bytes]]:
        """(first, end, the bytes of findings first to end - 1): all of them in their order,
        about `READ_BLOCK` bytes at a time (one finding at least)."""
        starts, count, i = self._starts, len(self), 0
        while i < count:
            end = max(i + 1, bisect.bisect_right(starts, starts[i] + READ_BLOCK, i, count + 1) - 1)
            yield i, end, self._read(starts[i], starts[end])
            i = end

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> list[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | list[Finding]:
        if isinstance(index, slice):
            return [self._finding(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("finding index out of range")
        return self._finding(index)

    def __iter__(self) -> Iterator[Finding]:
        starts, texts = self._starts, self._texts
        for first, end, data in self._blocks():
            view, base = memoryview(data), starts[first]
            for i in range(first, end):
                yield _decoded(view[starts[i] - base : texts[i] - base])

    def texts(self) -> Iterator[str]:
        """Each finding's `finding_text`, in order, as written when it was spilled."""
        if not self._with_texts:
            raise ValueError("these findings were spilled without their texts")
        texts, rows = self._texts, self._rows
        for first, end, data in self._blocks():
            base = self._starts[first]
            for i in range(first, end):
                yield str(data[texts[i] - base : rows[i] - base], "ascii")

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Each finding's hunt store values (`findingrows.row_values`), in order, as made when
        it was spilled."""
        if not self._with_texts:
            raise ValueError("these findings were spilled without their rows")
        starts, rows = self._starts, self._rows
        for first, end, data in self._blocks():
            view, base = memoryview(data), starts[first]
            for i in range(first, end):
                try:
                    values = unpacked_row(view[rows[i] - base : starts[i + 1] - base])
                except Exception as exc:  # what was written read back otherwise: the disk gave other bytes
                    raise SpillReadError(f"a finding's row read back from it does not decode ({exc!r})") from exc
                yield values

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (SpilledFindings, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SpilledFindings({len(self)} findings)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))  # a copy elsewhere holds them in memory

    def close(self) -> None:
        """No more reading: the file closes when no other host's findings are read from it."""
        self._spill = None


class ArrivedFindings:
    """A host's findings as its units come back, before it is assessed: each unit's findings
    go at once to a private temporary file of the host's own (msgpack alone), and a light copy
    of each (`light`: what the assessment and its remediation read) stays in memory. Once the
    host is assessed, `spill_in` writes the full findings in their final order to the spill
    file the hosts share, and the host's own file is closed (gone with it).

    A unit's findings that cannot be written stay in memory, and `problem` says so: nothing is
    lost, and the host records why."""

    def __init__(self, light: Callable[[Finding, dict[Any, Any]], Finding]) -> None:
        self._light = light
        self._same: dict[Any, Any] = {}  # values the light copies share (`light`'s second argument)
        self._file: SpillFile | None = None
        self._parts: dict[tuple[int, int], tuple[Sequence[Finding], list[Finding]]] = {}
        self._kept = 0  # findings kept in memory, their spill having failed
        self._why: str | None = None

    def add(self, key: tuple[int, int], findings: list[Finding]) -> None:
        """The findings of one unit (`key` orders units as the merge does)."""
        if not findings:
            return
        lights = [self._light(f, self._same) for f in findings]
        held: Sequence[Finding] = findings
        if self._why is None:
            try:
                if self._file is None:
                    self._file = SpillFile()
                held = SpilledFindings(findings, into=self._file, texts=False, ordered=False)  # `lights()` orders them
            except OSError as exc:
                self._why = str(exc)
        if held is findings:
            self._kept += len(findings)
        self._parts[key] = (held, lights)

    def __len__(self) -> int:
        return sum(len(lights) for _held, lights in self._parts.values())

    def lights(self) -> list[Finding]:
        """The light findings in the order of their units."""
        return [f for key in sorted(self._parts) for f in self._parts[key][1]]

    def _full(self) -> list[Sequence[Finding]]:
        return [self._parts[key][0] for key in sorted(self._parts)]

    def in_order(self, order: Sequence[int], extra: dict[int, tuple[str, str]]) -> Iterator[Finding]:
        """The full findings: the `order[k]`-th of `lights()` k-th, with the detail `extra` gives
        it (by its place in `lights()`) added last, as the light copies got it."""
        for item in self._in_order(order, extra):
            yield item[0] if isinstance(item, tuple) else item

    def _in_order(
        self, order: Sequence[int], extra: dict[int, tuple[str, str]]
    ) -> Iterator[Finding | tuple[Finding, bytes]]:
        """`in_order`, each finding read back from the host's own file given with its bytes
        there, unless a detail was added to it: spilled again without packing it again."""
        held = self._full()
        starts = list(itertools.accumulate((len(h) for h in held), initial=0))
        for i in order:
            part = bisect.bisect_right(starts, i) - 1
            findings, at = held[part], i - starts[part]
            if i in extra:
                finding = findings[at]
                yield dataclasses.replace(finding, details=(*finding.details, extra[i]))
            elif isinstance(findings, SpilledFindings):
                yield findings.packed_at(at)
            else:
                yield findings[at]

    def spill_in(
        self, order: Sequence[int], extra: dict[int, tuple[str, str]]
    ) -> tuple[Sequence[Finding], list[str], list[str]]:
        """The full findings in `order` (their `Finding.sort_key` order, as `assess` sorts the
        light copies) moved to the spill file the hosts share; why some stayed
        in memory (as they came back, or now: then all are in memory, read back whole), which
        loses nothing; and why the findings are only their light copies, when the host's own
        file cannot be read back (a disk error): then their excerpts, details and events are
        lost, and the host records the problem. The host's own file is closed after, either way."""
        kept = [self.problem] if self.problem else []
        try:
            if not order:
                return [], kept, []
            try:
                return SpilledFindings(self._in_order(order, extra), ordered=True), kept, []
            except SpillReadError as exc:
                return self._lights_in(order, extra), kept, [self._lost(exc)]
            except OSError as exc:
                try:
                    whole = list(self.in_order(order, extra))
                except SpillReadError as lost:
                    return self._lights_in(order, extra), kept, [self._lost(lost)]
                kept.append(
                    f"the {len(whole)} findings could not be moved to a temporary file ({exc}); they were kept in memory"
                )
                return whole, kept, []
        finally:
            self.close()

    def _lights_in(self, order: Sequence[int], extra: dict[int, tuple[str, str]]) -> list[Finding]:
        lights = self.lights()
        return [
            dataclasses.replace(lights[i], details=(*lights[i].details, extra[i])) if i in extra else lights[i]
            for i in order
        ]

    @staticmethod
    def _lost(exc: OSError) -> str:
        return f"{exc}; the findings are given as the assessment read them, without excerpts, details or events"

    @property
    def problem(self) -> str | None:
        """Why some findings stayed in memory as they came back, if some did."""
        if self._why is None:
            return None
        return (
            f"{self._kept} of the findings could not be moved to a temporary file as they came back "
            f"({self._why}); they were kept in memory"
        )

    def close(self) -> None:
        self._parts.clear()
        self._same.clear()
        if self._file is not None:
            self._file.close()
            self._file = None
