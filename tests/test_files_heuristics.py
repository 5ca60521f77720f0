"""Locations and heuristics on their own: where a file sat, and the signals that follow from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.filehunt import heuristics
from exhunt.filehunt.locations import OWA_AUTH_STOCK, Location, Place, auth_stock_status, classify, locate, look_alike
from exhunt.model import ArtefactKind, Severity
from exhunt.ruleparams import AttackWindowParams, BinaryPageParams
from exhunt.rules import catalog

WINDOW = catalog()["EXH-FS-ATTACK-WINDOW"].params_as(AttackWindowParams)
PAGES = catalog()["EXH-WS-BINARY-PAGE"].params_as(BinaryPageParams)


def weight(signal: heuristics.Signal, rule_id: str) -> Severity:
    """The severity of the tier of `rule_id` the signal names."""
    return catalog()[rule_id].outcome(signal.outcome).severity


def window(loc: Location, when: datetime | None) -> heuristics.Signal | None:
    return heuristics.attack_window(heuristics.Look(loc, b"", b"", when), WINDOW)


def binary(loc: Location, head: bytes, text: bytes) -> heuristics.Signal | None:
    return heuristics.binary_page(heuristics.Look(loc, head, text, None), PAGES)


def _file(rel: str, windows_path: str | None = None) -> EvidenceFile:
    return EvidenceFile(FileRef(rel), rel, ArtefactKind.FILE, 1, None, windows_path)


@pytest.mark.parametrize(
    ("rel", "windows_path", "place", "known"),
    [
        (
            "x/a.aspx",
            r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\a.aspx",
            Place.EXCHANGE_AUTH,
            True,
        ),
        (
            "C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ecp/auth/b.aspx",
            None,
            Place.EXCHANGE_AUTH,
            True,
        ),
        ("C%3A/inetpub/wwwroot/aspnet_client/system_web/c.aspx", None, Place.ASPNET_CLIENT, True),
        ("C/inetpub/wwwroot/iisstart.htm", None, Place.IIS_WEBROOT, True),
        ("D/Exchange/ClientAccess/ecp/default.aspx", None, Place.EXCHANGE_VDIR, True),
        (
            "C/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/a/b/x.compiled",
            None,
            Place.ASPNET_TEMP,
            True,
        ),
        ("C/ProgramData/it.zip", None, Place.PROGRAMDATA, True),
        ("C/Users/All Users/COM1/x.aspx", None, Place.PROGRAMDATA, True),
        ("C/root/lsass.dmp", None, Place.ROOT_DIR, True),
        ("x", r"C:\Windows\Temp\x.bat", Place.WINDOWS_TEMP, True),
        ("C/Users/bob/Downloads/x.aspx", None, Place.OTHER, True),
        ("root/lsass.dmp", None, Place.UNKNOWN, False),  # a plain folder called root, not C:\root
        ("samples/x.aspx", None, Place.UNKNOWN, False),
    ],
)
def test_locate(rel: str, windows_path: str | None, place: Place, known: bool) -> None:
    loc = locate(_file(rel, windows_path))
    assert loc.place is place and loc.known is known


def test_windows_path_wins_over_evidence_path() -> None:
    loc = locate(_file("C/inetpub/wwwroot/a.aspx", r"E:\Sites\intranet\a.aspx"))
    assert loc.place is Place.OTHER and loc.path == "/e:/sites/intranet/a.aspx"


@pytest.mark.parametrize(
    ("name", "imitates"),
    [
        ("RedirSuiteServerProxy.aspx", "redirsuiteserviceproxy.aspx"),
        ("OutlookEN.aspx", "outlookcn.aspx"),
        ("outlookus.aspx", "outlookcn.aspx"),
        ("logout.aspx", "logoff.aspx"),
        ("errorEE.aspx", "errorfe.aspx"),
        ("signout1.aspx", "signout.aspx"),
        ("one.aspx", None),
        ("discover.aspx", None),
        ("logon.aspx", None),  # genuine
        ("logon.ashx", None),  # another type, not a look-alike of logon.aspx
    ],
)
def test_look_alike(name: str, imitates: str | None) -> None:
    assert look_alike(name, OWA_AUTH_STOCK) == imitates


def test_auth_folder_stock_rules() -> None:
    base = r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy"
    stock = auth_stock_status(classify(base + r"\owa\auth\GetIdToken.htm", known=True))
    assert stock == (True, "stock owa\\auth file")
    assert auth_stock_status(classify(base + r"\ecp\auth\TimeoutLogout.aspx", known=True))[0]  # type: ignore[index]
    assert not auth_stock_status(classify(base + r"\ecp\auth\TimeoutLogoff.aspx", known=True))[0]  # type: ignore[index]
    assert auth_stock_status(classify(base + r"\owa\auth\15.2.858\scripts\premium\flogon.js", known=True))[0]  # type: ignore[index]
    nested = auth_stock_status(classify(base + r"\owa\auth\Current\themes\resources\logon.aspx", known=True))
    assert nested == (False, "a server page inside the static owa\\auth\\current folder")
    assert auth_stock_status(classify(base + r"\owa\web.config", known=True)) is None


def test_attack_windows() -> None:
    aspnet = classify(r"C:\inetpub\wwwroot\aspnet_client\system_web\a.aspx", known=True)
    inside = datetime(2021, 2, 27, 23, 0, tzinfo=UTC)
    signal = window(aspnet, inside)
    assert signal is not None and weight(signal, "EXH-FS-ATTACK-WINDOW") is Severity.MEDIUM
    assert signal.details["window"].startswith("ProxyLogon")
    assert signal.details["written"] == "2021-02-27T23:00:00Z"
    # last day of a window counts whole; naive and offset times are taken as UTC / converted
    assert window(aspnet, datetime(2022, 12, 31, 23, 59)) is not None
    assert window(aspnet, datetime(2021, 4, 1, 1, 0, tzinfo=timezone(timedelta(hours=3)))) is not None
    assert window(aspnet, datetime(2021, 4, 2, tzinfo=UTC)) is None
    assert window(aspnet, None) is None
    client_access = classify(r"C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\ecp\Hybrid.aspx", known=True)
    assert window(client_access, inside) is None
    proxy = classify(r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\ews\333.aspx", known=True)
    low = window(proxy, inside)
    assert low is not None and low.outcome == "hit" and weight(low, "EXH-FS-ATTACK-WINDOW") is Severity.LOW
    assert catalog()["EXH-FS-ATTACK-WINDOW"].severity is Severity.LOW
    css = classify(r"C:\inetpub\wwwroot\aspnet_client\site.css", known=True)
    assert window(css, inside) is None


def test_binary_page_signatures() -> None:
    loc = classify("x/a.aspx", known=False)
    assert binary(loc, b"\xef\xbb\xbf<%@ Page %>", b"") is None
    assert binary(loc, "\ufeff<%@ Page %>".encode("utf-16-le"), b"") is None
    assert binary(loc, b"", b"") is None
    png = binary(loc, b"\x89PNG\r\n\x1a\n...", b"\x89PNG... plain image")
    assert png is not None and png.details["container"] == "PNG image" and png.outcome == "hit"
    der = binary(loc, b"0\x82\x02\x10", b'0\x82 <%@ Page Language="C#"%>')
    assert der is not None and weight(der, "EXH-WS-BINARY-PAGE") is Severity.HIGH
    assert binary(classify("x/a.css", known=False), b"\x00\x01", b"") is None


def test_priority_puts_web_roots_first() -> None:
    web = r"C:\inetpub\wwwroot\aspnet_client\s.aspx"
    staging, other = r"C:\ProgramData\x.zip", r"C:\Users\b\a.aspx"
    order = sorted([other, staging, web], key=lambda p: classify(p, known=True).priority)
    assert order == [web, staging, other]
