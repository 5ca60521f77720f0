"""Containers read in place: zip, tar, tar.gz, 7z and single compressed files, inside folders and
inside each other, with every container that cannot be read (or is too costly to) named."""

from __future__ import annotations

import gzip
import io
import json
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import py7zr
import pytest

from conftest import REPO
from exhunt.cli import main
from exhunt.evidence import discover
from exhunt.evidence.containers import Limits
from exhunt.model import ArtefactKind, ProblemKind

OTRF = "proxylogon_ssrf_rce_poc.zip"
EVENT = {
    "Channel": "Microsoft-Windows-Sysmon/Operational",
    "EventID": 1,
    "Hostname": "EX01.corp.local",
    "TimeCreated": "2021-03-03T05:00:00Z",
    "Image": "C:\\Windows\\System32\\cmd.exe",
    "ParentImage": "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
    "CommandLine": 'cmd /c "cd /d C:\\inetpub\\wwwroot\\aspnet_client&whoami"',
    "ParentCommandLine": "w3wp.exe -ap MSExchangeOWAAppPool",
}
EVENTS = (json.dumps(EVENT) + "\n").encode() * 3


def raw_zip(members: list[tuple[bytes, bytes, int | None]]) -> bytes:
    """A stored zip written by hand, so names and CRCs can be what no zip library would write:
    (name, data, crc or None for the right one)."""
    out = io.BytesIO()
    central = io.BytesIO()
    for name, data, crc in members:
        real = zlib.crc32(data) if crc is None else crc
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, real, len(data), len(data), len(name), 0))
        out.write(name + data)
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                0,
                0,
                0,
                real,
                len(data),
                len(data),
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
    start = out.tell()
    cd = central.getvalue()
    out.write(cd)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(cd), start, 0))
    return out.getvalue()


def write_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def write_tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, mode) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


def hunt_json(capsys: pytest.CaptureFixture[str], path: Path) -> dict:
    main(["hunt", str(path), "--json", "-"])
    return json.loads(capsys.readouterr().out)


def signature(host: dict) -> tuple[str, list[tuple[str, int | None, str]]]:
    findings = sorted(
        (f["rule_id"], f["evidence"]["line"], f["evidence"]["path"].rsplit("/", 1)[-1]) for f in host["findings"]
    )
    return host["verdict"], findings


def test_otrf_zip_gives_one_answer_wherever_it_lies(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = shared_data / "events" / OTRF
    data = original.read_bytes()
    places: dict[str, Path] = {"alone": original}
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / OTRF).write_bytes(data)
    places["in a folder"] = tmp_path / "folder"
    (tmp_path / "case" / "EX01").mkdir(parents=True)
    (tmp_path / "case" / "EX01" / OTRF).write_bytes(data)
    places["in a host folder"] = tmp_path / "case"
    velociraptor = tmp_path / "Collection-EX01.corp.local-2021-03-14T01_40_19Z.zip"
    velociraptor.write_bytes(data)
    places["named as a Velociraptor collection"] = velociraptor
    places["in a tar.gz"] = write_tar(tmp_path / "triage.tar.gz", {f"EX01/{OTRF}": data})
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr(OTRF, data)
    places["in a zip in a zip"] = write_zip(tmp_path / "outer.zip", {"EX01/evidence.zip": inner.getvalue()})

    answers = {}
    for where, path in places.items():
        (host,) = hunt_json(capsys, path)["hosts"]
        answers[where] = signature(host)
        assert not host["errors"], (where, host["errors"])
    expected = answers["alone"]
    assert expected[0] == "compromised" and len(expected[1]) >= 3
    for where, answer in answers.items():
        assert answer == expected, where


def test_tar_flavours_and_7z_list_the_same_members(tmp_path: Path) -> None:
    members = {"EX01/Logs/sysmon.json": EVENTS, "EX01/inetpub/wwwroot/aspnet_client/a.aspx": b"<% x %>"}
    paths = [
        write_tar(tmp_path / "a.tar", members, "w"),
        write_tar(tmp_path / "b.tar.gz", members, "w:gz"),
        write_tar(tmp_path / "c.tgz", members, "w:gz"),
        write_tar(tmp_path / "d.tar.bz2", members, "w:bz2"),
        write_tar(tmp_path / "e.tar.xz", members, "w:xz"),
        write_zip(tmp_path / "f.zip", members),
    ]
    with py7zr.SevenZipFile(tmp_path / "g.7z", "w") as szf:
        for name, data in members.items():
            szf.writestr(data, name)
    paths.append(tmp_path / "g.7z")
    for path in paths:
        (host,) = discover(str(path))
        kinds = {f.rel_path: f.kind for f in host.files}
        assert kinds == {
            "EX01/Logs/sysmon.json": ArtefactKind.EVENT_JSON,
            "EX01/inetpub/wwwroot/aspnet_client/a.aspx": ArtefactKind.FILE,
        }, path.name
        with next(f for f in host.files if f.rel_path.endswith(".json")).open() as fh:
            assert fh.read() == EVENTS


def test_single_gzip_file_inside_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    host = tmp_path / "EX01"
    host.mkdir()
    (host / "sysmon.json.gz").write_bytes(gzip.compress(EVENTS))
    (found,) = discover(str(host))
    member = next(f for f in found.files if f.rel_path == "sysmon.json.gz/sysmon.json")
    assert member.kind is ArtefactKind.EVENT_JSON
    (result,) = hunt_json(capsys, host)["hosts"]
    assert result["verdict"] == "compromised"


def test_folder_of_host_archives_gives_one_host_each(tmp_path: Path) -> None:
    case = tmp_path / "case"
    write_zip(case / "EX01.zip", {"Logs/sysmon.json": EVENTS, "inetpub/wwwroot/a.aspx": b"x"})
    write_tar(case / "EX02.tar.gz", {"EX02/Logs/sysmon.json": EVENTS, "EX02/inetpub/wwwroot/a.aspx": b"x"})
    hosts = discover(str(case))
    assert sorted(h.name for h in hosts) == ["EX01", "EX02"]


def test_members_of_one_zip_reuse_one_open_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A zip of many members is opened once, not once per member (the directory read was the
    cost that grew with the square of the member count)."""
    path = write_zip(tmp_path / "many.zip", {f"d{i % 10}/f{i}.txt": b"x" for i in range(2000)})
    opened = []
    real = zipfile.ZipFile.__init__

    def counting(self: zipfile.ZipFile, *args: object, **kwargs: object) -> None:
        opened.append(args[0])
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "__init__", counting)
    (host,) = discover(str(path))
    for f in host.files:
        with f.open() as fh:
            assert fh.read() == b"x"
    assert len(host.files) == 2000
    assert len(opened) <= 1


def test_zip_member_with_an_empty_name_is_named_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "EX01.zip"
    path.write_bytes(raw_zip([(b"", b"junk", None), (b"Logs/sysmon.json", EVENTS, None)]))
    (host,) = discover(str(path))
    assert [f.rel_path for f in host.files] == ["Logs/sysmon.json"]
    assert any("without a name" in message for _, message in host.errors)


def test_wrong_crc_keeps_the_records_and_names_the_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "EX01.zip"
    path.write_bytes(raw_zip([(b"Logs/sysmon.json", EVENTS, 0x12345678)]))
    (host,) = hunt_json(capsys, path)["hosts"]
    assert host["verdict"] == "compromised"
    assert host["log_coverage"]["EventLog"]["records"] == 3
    crc = [e for e in host["errors"] if "CRC mismatch" in e["message"]]
    assert crc and crc[0]["path"] == "Logs/sysmon.json"


def test_truncated_zip_among_host_zips_is_named_and_the_others_hunted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case"
    write_zip(case / "EX01.zip", {"Logs/sysmon.json": EVENTS, "inetpub/wwwroot/a.aspx": b"x"})
    write_zip(case / "EX02.zip", {"Logs/sysmon.json": EVENTS, "inetpub/wwwroot/a.aspx": b"x"})
    whole = write_zip(tmp_path / "EX03.zip", {"Logs/sysmon.json": EVENTS * 100, "inetpub/wwwroot/a.aspx": b"x"})
    (case / "EX03.zip").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    doc = hunt_json(capsys, case)
    verdicts = {h["host"]: h["verdict"] for h in doc["hosts"]}
    assert verdicts["EX01"] == verdicts["EX02"] == "compromised"
    named = [e for h in doc["hosts"] for e in h["errors"] if e["path"] == "EX03.zip"]
    assert named and all(e["kind"] == "evidence-unreadable" for e in named)


def test_an_absolute_member_does_not_change_the_layout(tmp_path: Path) -> None:
    members = {
        "EX01/C/Windows/System32/winevt/Logs/x.json": EVENTS,
        "EX01/C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030306-1.LOG": b"",
        "EX01/C/inetpub/wwwroot/aspnet_client/a.aspx": b"x",
    }
    plain = write_zip(tmp_path / "plain.zip", members)
    extra = write_zip(tmp_path / "extra.zip", {**members, "C:/Windows/Temp/x.txt": b"dropped"})
    (before,) = discover(str(plain))
    (after,) = discover(str(extra))
    assert (after.name, after.layout, after.exchange_install) == (before.name, before.layout, before.exchange_install)
    assert before.layout == "disk-mirror"
    paths = {f.rel_path: f.windows_path for f in after.files}
    assert paths["C:/Windows/Temp/x.txt"] == "C:\\Windows\\Temp\\x.txt"
    assert {f.rel_path: f.windows_path for f in before.files}.items() <= paths.items()


def test_nesting_beyond_the_bound_is_named(tmp_path: Path) -> None:
    data = EVENTS
    for level in range(4):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(f"level{level}.json" if level == 0 else f"level{level - 1}.zip", data)
        data = buf.getvalue()
    path = tmp_path / "level3.zip"
    path.write_bytes(data)
    (host,) = discover(str(path), limits=Limits(max_depth=3))
    limited = [(p, m) for p, m in host.errors if getattr((p, m), "kind", None) or "beyond the bound" in m]
    assert any("beyond the bound of 3" in m for _, m in limited)
    assert any(p.endswith("level0.zip") for p, m in limited if "beyond" in m)


def test_archive_bomb_member_is_not_decompressed(tmp_path: Path) -> None:
    """A member that claims a ratio of a thousand to one is named and left alone: the 2 GB EVTX in
    a 2 MB zip is never written to a temporary file."""
    path = tmp_path / "EX01.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("Logs/Security.evtx", "w", force_zip64=True) as member:
            block = b"ElfFile\x00" + b"\x00" * (1 << 20)
            for _ in range(80):
                member.write(block)
        z.writestr("Logs/sysmon.json", EVENTS)
    (host,) = discover(str(path), limits=Limits(ratio_floor=32 << 20))
    assert [f.rel_path for f in host.files] == ["Logs/sysmon.json"]
    (problem,) = [e for e in host.errors if e[0] == "Logs/Security.evtx"]
    assert "ratio" in problem[1] and problem.kind is ProblemKind.LIMIT  # type: ignore[attr-defined]


def test_member_count_bound(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(50)})
    (host,) = discover(str(path), limits=Limits(max_members=20))
    assert len(host.files) == 20
    assert any("more than 20 members" in m for _, m in host.errors)


def test_tree_of_unsupported_and_broken_containers_is_all_named(tmp_path: Path) -> None:
    case = tmp_path / "EX01"
    good = write_zip(tmp_path / "good.zip", {"a.json": EVENTS})
    (case / "Logs").mkdir(parents=True)
    (case / "Logs" / "sysmon.json").write_bytes(EVENTS)
    broken = {
        "truncated.zip": good.read_bytes()[:40],
        "not-a-zip.zip": b"this is text, not an archive\n" * 10,
        "cut.tar.gz": gzip.compress(write_tar(tmp_path / "t.tar", {"a.json": EVENTS}, "w").read_bytes())[:60],
        "junk.7z": b"7z\xbc\xaf\x27\x1c" + b"\x00" * 64,
        "image.E01": b"EVF\x09\x0d\x0a\xff\x00",
        "archive.rar": b"Rar!\x1a\x07\x01\x00" + b"\x00" * 32,
        "disk.vhdx": b"vhdxfile" + b"\x00" * 32,
        "bad.gz": b"\x1f\x8b\x08\x00garbage",
    }
    for name, data in broken.items():
        (case / "Logs" / name).write_bytes(data)
    encrypted = case / "Logs" / "locked.7z"
    with py7zr.SevenZipFile(encrypted, "w", password="secret") as szf:
        szf.writestr(EVENTS, "a.json")
    (host,) = discover(str(case))
    named = {p.rsplit("/", 1)[-1]: getattr((p, m), "kind", None) for p, m in host.errors}
    kinds = {p.split("/")[1] if "/" in p else p: problem.kind for problem in host.errors for p in [problem[0]]}  # type: ignore[attr-defined]
    for name in [*broken, "locked.7z"]:
        assert any(p.startswith(f"Logs/{name}") for p, _ in host.errors), name
    assert named  # every problem has a path
    by_name = {problem[0].split("/")[1]: problem.kind for problem in host.errors}  # type: ignore[attr-defined]
    assert by_name["locked.7z"] is ProblemKind.ENCRYPTED
    assert by_name["archive.rar"] is ProblemKind.UNSUPPORTED
    assert by_name["image.E01"] is ProblemKind.UNSUPPORTED
    assert by_name["not-a-zip.zip"] is ProblemKind.UNREADABLE
    assert kinds
    # the readable evidence beside them is still there
    assert any(f.rel_path == "Logs/sysmon.json" and f.kind is ArtefactKind.EVENT_JSON for f in host.files)


def _events_of(computer: str) -> bytes:
    return (json.dumps({**EVENT, "Hostname": computer}) + "\n").encode() * 2


def test_folder_of_two_hosts_event_exports_gives_two_hosts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case"
    for name, computer in (("EX01", "EX01.corp.local"), ("EX02", "EX02.corp.local")):
        (case / name).mkdir(parents=True)
        (case / name / "sysmon.json").write_bytes(_events_of(computer))
        (case / name / "security.json").write_bytes(_events_of(computer))
    doc = hunt_json(capsys, case)
    assert sorted(h["host"] for h in doc["hosts"]) == ["EX01", "EX02"]
    for host in doc["hosts"]:
        assert host["log_coverage"]["EventLog"]["records"] == 4


def test_folders_of_one_computers_events_stay_one_host(tmp_path: Path) -> None:
    case = tmp_path / "EX01"
    for name in ("Security", "Sysmon"):
        (case / name).mkdir(parents=True)
        (case / name / "events.json").write_bytes(_events_of("EX01.corp.local"))
    (host,) = discover(str(case))
    assert host.name == "EX01" and len(host.files) == 2


def _evtx_zip(path: Path, megabytes: int) -> Path:
    header = bytearray(b"ElfFile\x00" + b"\x00" * 4088)
    header[0x28:0x2A] = (4096).to_bytes(2, "little")
    header[0x2A:0x2C] = (1).to_bytes(2, "little")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("Logs/Security.evtx", "w", force_zip64=True) as member:
            member.write(bytes(header))
            for _ in range(megabytes):
                member.write(b"\x00" * (1 << 20))
        z.writestr("Logs/sysmon.json", EVENTS)
    return path


def test_evtx_bomb_writes_no_temporary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An EVTX member of 80 MB in an 80 KB zip (a thousand to one) is named and never spooled."""
    from exhunt.events import evtx_file

    path = _evtx_zip(tmp_path / "EX01.zip", 80)
    assert path.stat().st_size < 200_000
    before = evtx_file.TEMP_BYTES[0]
    main(["hunt", str(path), "--jobs", "1", "--json", "-"])
    (host,) = json.loads(capsys.readouterr().out)["hosts"]
    assert evtx_file.TEMP_BYTES[0] == before
    (bomb,) = [e for e in host["errors"] if e["path"] == "Logs/Security.evtx"]
    assert "ratio" in bomb["message"] and bomb["kind"] == "limit-exceeded"
    assert host["verdict"] == "compromised"  # the events beside it were hunted


def test_evtx_spool_is_bounded_and_counted(tmp_path: Path) -> None:
    from exhunt.events import evtx_file
    from exhunt.model import Problem

    (host,) = discover(str(_evtx_zip(tmp_path / "EX01.zip", 3)))
    (evtx,) = [f for f in host.files if f.kind is ArtefactKind.EVTX]
    before = evtx_file.TEMP_BYTES[0]
    errors: list[Problem] = []
    list(evtx_file.read_evtx(evtx, errors, memory_bound=512 * 1024, spool_bound=1 << 20))
    assert 0 < evtx_file.TEMP_BYTES[0] - before <= 1 << 20
    assert any(e.kind is ProblemKind.LIMIT and "evtx_spool_bound" in e.message for e in errors)


def test_event_export_oddities_lose_no_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A metadata object first, a line longer than the old sniffing prefix, an event nested 990
    deep, a lone surrogate escape: the events around each are all read."""
    host = tmp_path / "EX01"
    host.mkdir()
    metadata = json.dumps({"export": "SIEM", "query": "index=wineventlog", "fields": ["x"] * 2000})
    deep = json.dumps({**EVENT, "EventID": 4624})[:-1] + ', "Nested": ' + "[" * 990 + "]" * 990 + "}"
    lone = json.dumps({**EVENT, "CommandLine": "PLACEHOLDER"}).replace("PLACEHOLDER", "cmd /c whoami \\ud800")
    lines = [metadata, json.dumps({**EVENT, "Padding": "x" * 6000}), deep, lone, json.dumps(EVENT)]
    (host / "export.json").write_text("\n".join(lines) + "\n")
    (found,) = discover(str(host))
    assert found.files[0].kind is ArtefactKind.EVENT_JSON
    (result,) = hunt_json(capsys, host)["hosts"]
    assert result["log_coverage"]["EventLog"]["records"] == 4
    shells = [f for f in result["findings"] if f["rule_id"] == "EXH-EVT-W3WP-SHELL"]
    assert {f["evidence"]["line"] for f in shells} == {2, 4, 5}
    assert any("surrogate" in e["message"] for e in result["errors"])


def _two_computers(tmp_path: Path, *, readme: bool = False) -> Path:
    """A folder of event exports from EX01 and EX02 (and a note that is not evidence)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.json").write_bytes(_events_of("EX01.corp.local"))
    (folder / "b.json").write_bytes(_events_of("EX02.corp.local"))
    if readme:
        (folder / "readme.txt").write_text("exported from the SIEM\n")
    return folder


def test_several_computers_in_one_folder_are_said_and_can_be_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _two_computers(tmp_path, readme=True)
    (host,) = hunt_json(capsys, folder)["hosts"]
    assert host["notes"][0].startswith("SEVERAL COMPUTERS") and "--split-by-computer" in host["notes"][0]
    main(["hunt", str(folder), "--split-by-computer", "--json", "-"])
    hosts = json.loads(capsys.readouterr().out)["hosts"]
    assert sorted(h["host"] for h in hosts) == ["EX01.corp.local", "EX02.corp.local", "exports"]
    split = {h["host"]: h for h in hosts}
    assert split["EX01.corp.local"]["log_coverage"]["EventLog"]["records"] == 2
    assert not any(n.startswith("SEVERAL COMPUTERS") for h in hosts for n in h["notes"])


def test_computers_split_from_one_folder_are_each_stored_and_resumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hosts split from one folder share its files' folder: each is still a host of its own in
    the hunt store (`exhunt fleet`), in --out-dir and for --resume, not one row for all."""
    folder = _two_computers(tmp_path, readme=True)
    db, out = tmp_path / "hunts.sqlite", tmp_path / "out"
    main(["hunt", str(folder), "--split-by-computer", "--db", str(db), "--out-dir", str(out), "-q"])
    capsys.readouterr()
    main(["fleet", "--db", str(db), "--json", "-"])
    stored = json.loads(capsys.readouterr().out)["hosts"]
    assert sorted(h["host"] for h in stored) == ["EX01.corp.local", "EX02.corp.local", "exports"]
    assert len(list(out.glob("*.json"))) == 3
    main(["fleet", "hunts", "--db", str(db), "--json", "-"])
    listed = json.loads(capsys.readouterr().out)
    assert listed["schema"] == "exhunt.fleet-hunts/1"
    (hunt,) = listed["hunts"]
    assert hunt["hosts_done"] == hunt["hosts_total"] == 3
    # resuming the finished hunt finds every host done: each is given back as stored, none hunted twice
    main(["hunt", str(folder), "--split-by-computer", "--db", str(db), "--resume", str(hunt["id"]), "--json", "-"])
    captured = capsys.readouterr()
    assert "3 of 3 hosts already done" in captured.err
    # a split-off computer's findings are named from its folder, as any host's, for `fleet diff`
    from exhunt.fleet.diff import within_host

    assert within_host(f"{folder}#computer=EX01.corp.local", "exports/a.json") == "a.json"
    assert within_host(f"{folder}#computer=EX01.corp.local", "a.json") == "a.json"
    assert sorted(h["host"] for h in json.loads(captured.out)["hosts"]) == [
        h["host"] for h in sorted(stored, key=lambda h: h["host"])
    ]


def test_computers_split_from_one_folder_run_on_a_dask_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The workers are asked to read each host's folder, not its key (which names the computer)."""
    folder = _two_computers(tmp_path)
    args = ["hunt", str(folder), "--split-by-computer", "--no-db", "--scheduler", "local:1", "--json", "-"]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "cannot read" not in captured.err
    assert sorted(h["host"] for h in json.loads(captured.out)["hosts"]) == ["EX01.corp.local", "EX02.corp.local"]


def test_sniffing_deeply_nested_json_is_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    host = tmp_path / "EX01"
    host.mkdir()
    for name in ("x.json", "x.jsonl", "x.txt", "x.log", "x.csv"):
        (host / name).write_text("[" * 2048)
    (host / "events.json").write_bytes(EVENTS)
    (result,) = hunt_json(capsys, host)["hosts"]
    assert result["verdict"] == "compromised"
    assert result["log_coverage"]["EventLog"]["records"] == 3


def test_a_servers_short_and_full_name_are_one_computer(capsys: pytest.CaptureFixture[str]) -> None:
    # The bundled examples: HttpProxy and ECP logs name EX01, the events EX01.corp.example.net.
    # Both were counted as computers, and every such server was told it held two (SEVERAL
    # COMPUTERS, hunt again with --split-by-computer, which then found one).
    hosts = hunt_json(capsys, REPO / "examples")["hosts"]
    assert len(hosts) == 2
    assert not any(n.startswith("SEVERAL COMPUTERS") for h in hosts for n in h["notes"])


def test_a_short_name_of_another_computer_is_still_another_computer() -> None:
    from exhunt.assess import several_computers
    from exhunt.model import Observation, ObservationKind

    def seen(*names: str) -> list[Observation]:
        return [Observation(ObservationKind.HOSTNAME, n, "x.log") for n in names]

    assert several_computers(seen("EX01", "ex01.corp.example.net", "EX01.corp.example.net.")) == []
    (note,) = several_computers(seen("EX02", "ex01.corp.example.net"))
    assert "2 computers (ex01.corp.example.net, ex02)" in note


def test_a_7z_with_its_file_list_encrypted_is_said_in_words(tmp_path: Path) -> None:
    # 7z -mhe encrypts the list of files too: py7zr's error was shown as its Python repr
    # ("PasswordRequired: ([{'method': b'\\x06\\xf1...'}], ...)").
    case = tmp_path / "case"
    case.mkdir()
    with py7zr.SevenZipFile(case / "locked.7z", "w", password="secret", header_encryption=True) as szf:
        szf.writestr(EVENTS, "a.json")
    (case / "sysmon.json").write_bytes(EVENTS)
    (host,) = discover(str(case))
    (problem,) = [p for p in host.errors if p[0].startswith("locked.7z")]
    assert problem.kind is ProblemKind.ENCRYPTED  # type: ignore[attr-defined]
    assert problem[1] == "encrypted 7z archive (its file list too); cannot be read without the password"


def _encrypted_zip(path: Path) -> Path:
    """Every member's 'encrypted' flag set in its local and central headers."""
    write_zip(path, {"Logs/sysmon.json": EVENTS, "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": b"#Fields: x\n"})
    data = bytearray(path.read_bytes())
    for signature_, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature_)
        while at != -1:
            data[at + flag_at] |= 0x1
            at = data.find(signature_, at + 4)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("fmt", ["zip", "7z", "7z-header"])
def test_a_wholly_encrypted_archive_alone_is_a_host_with_insufficient_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    # `exhunt hunt secret.zip` with every member behind a password ended with exit 2 and a
    # message, where the same archive beside others gave a host with an encrypted problem.
    if fmt == "zip":
        path = _encrypted_zip(tmp_path / "EX07.zip")
    else:
        path = tmp_path / "EX07.7z"
        with py7zr.SevenZipFile(path, "w", password="secret", header_encryption=fmt == "7z-header") as szf:
            szf.writestr(EVENTS, "Logs/sysmon.json")
    assert main(["hunt", str(path), "--no-db", "--json", "-"]) == 3
    (host,) = json.loads(capsys.readouterr().out)["hosts"]
    assert host["host"] == "EX07"
    assert host["verdict"] == "insufficient-evidence"
    (problem,) = [e for e in host["errors"] if e["kind"] == "evidence-encrypted"]
    assert problem["path"] == path.name
    assert "password" in problem["message"] and "collect" in problem["message"]


def test_a_damaged_archive_alone_is_still_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = write_zip(tmp_path / "whole.zip", {"Logs/sysmon.json": EVENTS * 100})
    cut = tmp_path / "EX08.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert main(["hunt", str(cut), "--no-db", "--json", "-"]) == 2
    assert "EX08.zip" in capsys.readouterr().err
