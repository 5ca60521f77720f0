from __future__ import annotations

import codecs
import io

import pytest

from exhunt.artefacts.reader import BlockReader, ErrorLog, sniff_encoding


def blocks(data: bytes, **kw: int) -> tuple[list[bytes], list[int], ErrorLog, BlockReader]:
    log = ErrorLog("x.log")
    reader = BlockReader(io.BytesIO(data), log, **kw)
    out = [(b.body, b.first_line) for b in reader]  # a block is valid until the next one is read
    reader.finish()
    return [body for body, _ in out], [first for _, first in out], log, reader


def test_blocks_end_on_line_boundaries_and_number_lines() -> None:
    data = b"".join(b"line %d\r\n" % i for i in range(1, 1001))
    parts, firsts, log, _ = blocks(data, block_size=1000)
    assert b"".join(parts) == data
    assert all(p.endswith(b"\n") for p in parts)
    for part, first in zip(parts, firsts, strict=True):
        assert part.startswith(b"line %d\r\n" % first)
    assert not log.finish()


def test_utf8_bom_is_dropped_silently() -> None:
    parts, _, log, _ = blocks(codecs.BOM_UTF8 + b"#Fields: a\nx\n")
    assert b"".join(parts) == b"#Fields: a\nx\n"
    assert not log.finish()


@pytest.mark.parametrize(
    ("codec", "bom"),
    [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-16-le", b""), ("utf-16-be", b"")],
)
def test_utf16_files_are_transcoded_while_streaming(codec: str, bom: bytes) -> None:
    text = "".join(f"2021-03-03 06:00:{i % 60:02d} GET /owa/ caf\u00e9 {i}\r\n" for i in range(3000))
    parts, firsts, log, reader = blocks(bom + text.encode(codec), block_size=4097)  # odd: splits code units
    assert b"".join(parts).decode("utf-8") == text
    assert firsts[0] == 1 and len(parts) > 5
    assert reader.encoding == codec
    assert any("UTF-16" in e.message for e in log.finish())


def test_nul_junk_is_removed_and_reported_with_its_line() -> None:
    data = b"a\nb\n" + b"\x00" * 5000 + b"c\nd"
    parts, _, log, reader = blocks(data, block_size=1024)
    assert b"".join(parts) == b"a\nb\nc\nd"
    assert reader.nul_bytes == 5000
    (err,) = log.finish()
    assert "5000 NUL" in err.message and err.line == 3


def test_binary_file_is_skipped_with_an_error() -> None:
    data = bytes(range(256)) * 400
    parts, _, log, reader = blocks(data)
    assert parts == [] and reader.binary
    assert "binary" in log.finish()[0].message


def test_zero_filled_file_reads_as_empty_with_an_error() -> None:
    parts, _, log, reader = blocks(b"\x00" * 100000, block_size=4096)
    assert b"".join(parts) == b"" and not reader.binary
    assert "100000 NUL" in log.finish()[0].message


def test_over_long_line_is_capped_and_reading_goes_on() -> None:
    data = b"first\n" + b"A" * 3000 + b"\nafter\n"
    parts, _, log, _ = blocks(data, block_size=256, max_line=1000)
    joined = b"".join(parts)
    assert joined == b"first\n" + b"A" * 1000 + b"\nafter\n"
    (err,) = log.finish()
    assert err.line == 2 and "longer than" in err.message


def test_over_long_last_line_without_newline() -> None:
    parts, _, log, _ = blocks(b"ok\n" + b"B" * 5000, block_size=512, max_line=1000)
    assert b"".join(parts) == b"ok\n" + b"B" * 1000
    assert log.finish()[0].line == 2


def test_truncated_last_line_is_kept() -> None:
    parts, _, _, _ = blocks(b"a\nb\nhalf a li")
    assert b"".join(parts).endswith(b"\nhalf a li")


def test_empty_file() -> None:
    parts, _, log, _ = blocks(b"")
    assert parts == [b""] and not log.finish()


class Exploding(io.RawIOBase):
    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        self.calls += 1
        if self.calls == 1:
            return b"one\ntwo\n"
        raise OSError("device error")


def test_read_error_mid_file_is_recorded() -> None:
    log = ErrorLog("x.log")
    parts = [b.body for b in BlockReader(Exploding(), log)]  # type: ignore[arg-type]
    assert b"".join(parts) == b"one\ntwo\n"
    assert "device error" in log.finish()[0].message


def test_error_log_is_capped() -> None:
    log = ErrorLog("x.log", limit=3)
    for i in range(10):
        log.add(f"problem {i}", i)
    errs = log.finish()
    assert len(errs) == 4 and "7 more" in errs[-1].message


def test_sniff_encoding_plain_ascii_is_utf8() -> None:
    assert sniff_encoding(b"#Software: Microsoft Exchange Server\r\n") == ("utf-8", 0)
