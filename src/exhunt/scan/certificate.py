"""The server certificate as evidence: subject, issuer, names, expiry and fingerprint.

Exchange servers usually present self-signed or internal-CA certificates, so the scanner does
not verify them, but what they say is worth keeping: the
subject and SAN often name the internal server. Python's `ssl` only decodes certificates it has
verified, so this module reads the few fields it needs from the DER bytes itself. Anything it
cannot read becomes `None`, never an exception.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_NAME_OIDS = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "1.2.840.113549.1.9.1": "emailAddress",
}
_SAN_OID = "2.5.29.17"
_MAX_NAMES = 100  # a certificate with more SAN entries than this is truncated in the evidence


class _DerError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    subject: str | None
    issuer: str | None
    san: tuple[str, ...]
    not_before: datetime | None
    not_after: datetime | None
    sha256: str

    @property
    def self_signed(self) -> bool:
        return self.subject is not None and self.subject == self.issuer

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "san": list(self.san),
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "sha256": self.sha256,
            "self_signed": self.self_signed,
        }


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat().replace("+00:00", "Z") if ts else None


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the element at `pos`."""
    if pos + 2 > len(data):
        raise _DerError("truncated")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or pos + n > len(data):
            raise _DerError("bad length")
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    end = pos + length
    if end > len(data):
        raise _DerError("truncated")
    return tag, pos, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, vstart, vend = _tlv(data, pos)
        out.append((tag, vstart, vend))
        pos = vend
    return out


def _oid(raw: bytes) -> str:
    if not raw:
        raise _DerError("empty oid")
    parts = [raw[0] // 40, raw[0] % 40]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


def _text(tag: int, raw: bytes) -> str:
    if tag == 0x1E:  # BMPString
        return raw.decode("utf-16-be", "replace")
    if tag == 0x1C:  # UniversalString
        return raw.decode("utf-32-be", "replace")
    if tag == 0x14:  # T61String: latin-1 is what issuers meant in practice
        return raw.decode("latin-1")
    return raw.decode("utf-8", "replace")


def _name(data: bytes, start: int, end: int) -> str:
    parts = []
    for _, rstart, rend in _children(data, start, end):  # RDN sets
        for _, astart, aend in _children(data, rstart, rend):  # AttributeTypeAndValue
            attrs = _children(data, astart, aend)
            if len(attrs) < 2:
                continue
            oid = _oid(data[attrs[0][1] : attrs[0][2]])
            tag, vstart, vend = attrs[1]
            parts.append(f"{_NAME_OIDS.get(oid, oid)}={_text(tag, data[vstart:vend])}")
    return ", ".join(parts)


def _time(tag: int, raw: bytes) -> datetime | None:
    text = raw.decode("ascii", "replace").rstrip("Z")
    try:
        if tag == 0x17:  # UTCTime, two-digit year (RFC 5280: 50-99 = 19xx)
            ts = datetime.strptime(text + "+0000", "%y%m%d%H%M%S%z")
            if ts.year >= 2050:
                ts = ts.replace(year=ts.year - 100)
        else:
            ts = datetime.strptime(text[:14] + "+0000", "%Y%m%d%H%M%S%z")
    except ValueError:
        return None
    return ts.astimezone(UTC)


def _san(data: bytes, start: int) -> list[str]:
    names = []
    _, sstart, send = _tlv(data, start)  # the extension's OCTET STRING holds one SEQUENCE
    for tag, vstart, vend in _children(data, sstart, send):
        raw = data[vstart:vend]
        if tag == 0x82:  # dNSName
            names.append("DNS:" + raw.decode("ascii", "replace"))
        elif tag == 0x87 and len(raw) in (4, 16):  # iPAddress
            names.append("IP:" + str(ipaddress.ip_address(raw)))
        if len(names) >= _MAX_NAMES:
            break
    return names


def parse_certificate(der: bytes) -> CertificateInfo:
    """Read subject, issuer, validity and SAN from a DER certificate; unreadable parts are None."""
    digest = hashlib.sha256(der).hexdigest()
    subject = issuer = None
    not_before = not_after = None
    san: list[str] = []
    try:
        _, cstart, cend = _tlv(der, 0)
        _, tstart, tend = _children(der, cstart, cend)[0]
        fields = _children(der, tstart, tend)
        if fields and fields[0][0] == 0xA0:  # explicit version
            fields = fields[1:]
        # serial, signature algorithm, issuer, validity, subject, key, then optional parts
        issuer = _name(der, fields[2][1], fields[2][2])
        validity = _children(der, fields[3][1], fields[3][2])
        not_before = _time(validity[0][0], der[validity[0][1] : validity[0][2]])
        not_after = _time(validity[1][0], der[validity[1][1] : validity[1][2]])
        subject = _name(der, fields[4][1], fields[4][2])
        for tag, fstart, _ in fields[6:]:
            if tag != 0xA3:
                continue
            _, xstart, xend = _tlv(der, fstart)
            for _, estart, eend in _children(der, xstart, xend):
                ext = _children(der, estart, eend)
                if ext and _oid(der[ext[0][1] : ext[0][2]]) == _SAN_OID:
                    san = _san(der, ext[-1][1])
    except (_DerError, IndexError, ValueError):
        pass
    return CertificateInfo(subject or None, issuer or None, tuple(san), not_before, not_after, digest)
