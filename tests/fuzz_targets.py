"""The readers under fuzzing: each reader's analyzer, its artefact kind, and seed evidence.

Shared by the property tests (`test_hostile_readers.py`) and the coverage-guided harness
(`fuzz/fuzz_readers.py`): `hunt_bytes` hunts one file holding any bytes with one reader, the
way the engine would, and returns its result. It must never raise.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, ProblemKind, UnitResult

REPO = Path(__file__).resolve().parent.parent
EX01 = REPO / "examples" / "EX01-compromised"
LOGGING = EX01 / "C" / "Program Files" / "Microsoft" / "Exchange Server" / "V15" / "Logging"
EVTX_SAMPLES = REPO.parent / "shared" / "data" / "evtx"
INSTALL = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\"


@dataclass(frozen=True)
class Reader:
    analyzer: str
    kind: ArtefactKind
    rel_path: str  # where the file sits in the evidence (some readers look at the name)
    seeds: Callable[[], list[Path]]


def _glob(folder: Path, pattern: str) -> Callable[[], list[Path]]:
    return lambda: sorted(folder.glob(pattern))


def _rps_seed() -> list[Path]:
    from test_log_samples import rps_log

    path = Path(tempfile.gettempdir()) / "exhunt-fuzz-rps-seed.LOG"
    if not path.exists():
        rows = [{"UrlStem": "/powershell", "AuthenticatedUser": f"CORP\\u{i}"} for i in range(5)]
        rows.append({"UrlStem": "/autodiscover/autodiscover.json", "UrlQuery": "?@evil.com/powershell"})
        path.write_text(rps_log(rows))
    return [path]


def _page_seeds() -> list[Path]:
    pages = sorted((EX01 / "C" / "inetpub").rglob("*.aspx"))
    return pages + sorted((REPO.parent / "shared" / "data" / "webshells" / "tennc").glob("*.as?x"))


READERS: dict[str, Reader] = {
    "httpproxy": Reader(
        "httpproxy-log",
        ArtefactKind.HTTPPROXY,
        "Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG",
        _glob(LOGGING / "HttpProxy", "*/HttpProxy_*.LOG"),
    ),
    "ecp": Reader(
        "ecp-server-log",
        ArtefactKind.ECP_SERVER,
        "Logging/ECP/Server/ECPServer20210303-1.LOG",
        _glob(LOGGING / "ECP", "*/*.LOG"),
    ),
    "oab": Reader(
        "oab-generator-log",
        ArtefactKind.OAB_GENERATOR,
        "Logging/OABGeneratorLog/OABGeneratorLog_20210303-1.LOG",
        _glob(LOGGING / "OABGeneratorLog", "*.LOG"),
    ),
    "iis": Reader(
        "iis-log",
        ArtefactKind.IIS,
        "W3SVC1/u_ex210303.log",
        _glob(EX01 / "C" / "inetpub" / "logs" / "LogFiles", "*/*.log"),
    ),
    "rps": Reader("rps-http-log", ArtefactKind.RPS_HTTP, "Logging/CmdletInfra/Rps_Http_2022120110-1.LOG", _rps_seed),
    "events-json": Reader(
        "events", ArtefactKind.EVENT_JSON, "events/Security.jsonl", _glob(EX01 / "events", "*.jsonl")
    ),
    "evtx": Reader("events", ArtefactKind.EVTX, "events/Security.evtx", _glob(EVTX_SAMPLES, "*/*.evtx")),
    # A page in a web root, read by the file hunt's content rules and the code analysis (parser,
    # folding, flows): seeded with the example's web shell and the shared tennc shells.
    "pages": Reader("files", ArtefactKind.FILE, "C/inetpub/wwwroot/aspnet_client/x.aspx", _page_seeds),
}


def hunt_bytes(reader: Reader, data: bytes, folder: Path) -> UnitResult:
    """Hunt one file holding `data` with `reader`'s analyzer, as the engine would."""
    path = folder / reader.rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    file = EvidenceFile(FileRef(str(path)), reader.rel_path, reader.kind, len(data))
    analyzer = registry()[reader.analyzer]
    return analyzer.analyze(file, HostContext("EX01", INSTALL, HuntOptions()))  # type: ignore[union-attr]


def found(result: UnitResult) -> dict[str, int]:
    """Findings per rule: what must survive a bad record among good ones."""
    out: dict[str, int] = {}
    for f in result.findings:
        out[f.rule_id] = out.get(f.rule_id, 0) + 1
    return out


def parts_agree(data: bytes, folder: Path, count: int = 3, name: str = "evtx") -> None:
    """Hunt `data` as a file on disk of reader `name` (`evtx` or `events-json`) read whole and
    read in `count` parts (as the engine does for a large one), and raise AssertionError where
    the parts together do not give what the whole gives: the events read, each span's reach,
    the host names, and per rule the hits (listed or counted as suppressed: each part caps its
    listing as a file does). An export the whole reading gives up on as not events (its first
    lines are other JSON, or junk) is left out: its first part gives up on its share as the
    whole does, and the later parts read theirs, so the parts may read lines the whole skipped,
    never fewer."""
    reader = READERS[name]
    path = folder / reader.rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    file = EvidenceFile(FileRef(str(path)), reader.rel_path, reader.kind, len(data))
    analyzer = registry()[reader.analyzer]
    ctx = HostContext("EX01", INSTALL, HuntOptions())
    whole = analyzer.analyze(file, ctx)  # type: ignore[union-attr]
    whole.close_parts()
    if name != "evtx" and any(e.kind is ProblemKind.UNSUPPORTED for e in whole.errors):
        return
    merged = UnitResult()
    for k in range(count):
        merged.merge(analyzer.analyze_part(file, ctx, (k, count)))  # type: ignore[union-attr]
    merged.close_parts()
    assert _facts(merged) == _facts(whole), (_facts(merged), _facts(whole))


def _facts(result: UnitResult) -> tuple[object, ...]:
    hits = found(result)
    for (rule_id, _reason), n in result.suppressed.items():
        hits[rule_id] = hits.get(rule_id, 0) + n
    spans = {k: (s.first, s.last, s.files, s.records) for k, s in result.coverage.items()}
    hosts = sorted((o.value, o.timestamp, o.note) for o in result.observations if o.kind == "hostname")
    return hits, spans, hosts
