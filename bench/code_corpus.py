"""Gather the code-analysis benchmark corpora from public repositories, outside this repository.

    python bench/code_corpus.py --mirrors /work/.mirror --out /work/corpora

Each source is a public GitHub repository, read from a local bare mirror (`<owner>+<name>/repo`,
as a `git clone --mirror` or a fetched snapshot leaves it) at its HEAD commit. ASP.NET web
shells (pages, handlers and their text copies whose content is ASP.NET, not classic ASP) go to
`OUT/shells/`, files of public ASP.NET WebForms projects (pages, controls, handlers, services,
code-behind, web.config) to `OUT/benign/`, one file per distinct SHA-256, named by it. The
manifest (`bench/code_corpus_manifest.tsv`) lists every repository, commit, path and SHA-256 used,
and each shell's split: `dev` (the half rules may be written from) or `held-out` (never looked
at while writing rules), by the first hex digit of its SHA-256. Nothing fetched is committed.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from pathlib import Path

# (repository, corpus, path prefix or "" for all). Reserved collections are never listed here.
SOURCES: list[tuple[str, str, str]] = [
    ("HzieeC/WebshellDetectDataset", "shells", "asp/black/"),
    ("backlion/webshell", "shells", ""),
    ("tanjiti/webshellSample", "shells", ""),
    ("xiaoxiaoleo/xiao-webshell", "shells", ""),
    ("nikicat/web-malware-collection", "shells", ""),
    ("0xAnalyst/WebShellsThreatGroups", "shells", ""),
    ("0xAnalyst/webshells", "shells", ""),
    ("TearsAchly/Webshell-Collection", "shells", ""),
    ("tutorial0/WebShell", "shells", ""),
    ("gitcuongnguyen8797/webshell-detection-using-machine", "shells", "dataset/webshell/"),
    ("gitcuongnguyen8797/webshell-detection-using-machine", "shells", "dataset/sample/asp/"),
    ("h4ckl4bm3/MoarWebshells", "shells", ""),
    ("sadc13/webshells-archive", "shells", ""),
    ("Jerr279/AllTheWebShells", "shells", ""),
    ("hqdudesec/webshells_collection", "shells", ""),
    ("flux10n/collection-webshells", "shells", ""),
    ("v4vr1n3c/RedTeam-Web-Webshells", "shells", ""),
    ("gottburgm/webshells", "shells", ""),
    ("S-Tazar/webshell-collection", "shells", ""),
    ("exploide/webshells", "shells", ""),
    ("AspxCommerce/AspxCommerce2.7", "benign", ""),
    ("BlogEngine/BlogEngine.NET", "benign", ""),
    ("DevExpress/AjaxControlToolkit", "benign", ""),
    ("TakeTopITS/TakeTopPMPWebFormSource", "benign", ""),
    ("mohammedkamranazam/OFrameCMS-WebForms", "benign", ""),
    ("webformsmvp/webformsmvp", "benign", ""),
]
RESERVED = {
    "ysrc/webshell-sample",
    "xl7dev/webshell",
    "jiaheng-dlut/webshell-samples",
    "antoniococo/sharpyshell",
    "blackarch/webshells",
    "volexity/threat-intel",
    "0x7556/webshell",
    "vickybravo/webshells",
    "mr-solo007/asp-web-shells",
    "fuzzdb-project/fuzzdb",
    "euphrat1ca/fuzzdb-collect",
    "tennc/webshell",
    "haacked/subtext",
    "dubeaud/bugnet",
    "orckestra/c1-cms-foundation",
    "n2cms/n2cms",
}
PAGE = re.compile(r"\.(aspx|ashx|asmx|asax|ascx|soap|master)$", re.I)
BENIGN_FILE = re.compile(r"(\.(aspx|ashx|asmx|asax|ascx|master|cs|vb)|(^|/)web\.config)$", re.I)
SHELL_CANDIDATE = re.compile(r"\.(aspx|ashx|asmx|asax|ascx|soap|txt|cs|config)$", re.I)
# ASP.NET, not classic ASP: a .NET directive, server script block, or .NET language.
ASPNET = re.compile(
    rb"(?i)<%@\s*(?:page|webhandler|webservice|control|application|import|assembly)\b"
    rb"|runat\s*=\s*[\"']?server|language\s*=\s*[\"']?(?:c#|csharp|jscript)|System\.(?:Diagnostics|Reflection|IO)\."
)
JSP = re.compile(rb"(?i)<%@\s*page\b[^%]*(?:language\s*=\s*[\"']?java\b|import\s*=\s*[\"']java)|<jsp:")
CLASSIC_ASP = re.compile(rb"(?i)<%@\s*language\s*=|language\s*=\s*[\"']?vbscript|server\.createobject")
DOTNET = re.compile(
    rb"(?i)<%@\s*(?:page|webhandler|webservice|control|application|assembly)\b[^%]*language\s*=\s*[\"']?(?:c#|csharp|vb|jscript)"
    rb"|System\.(?:Diagnostics|Reflection|IO|Web|Data)\."
)
MANIFEST = Path(__file__).resolve().parent / "code_corpus_manifest.tsv"


def git(mirror: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-C", str(mirror), *args], input=data, capture_output=True, check=True).stdout


def blobs(mirror: Path, commit: str, prefix: str) -> list[tuple[str, str]]:
    out = []
    for line in git(mirror, "ls-tree", "-r", "-z", commit).split(b"\0"):
        if not line:
            continue
        meta, _, path = line.partition(b"\t")
        _mode, kind, oid = meta.split()
        if kind == b"blob" and path.decode("utf-8", "replace").startswith(prefix):
            out.append((oid.decode(), path.decode("utf-8", "replace")))
    return out


def read_blobs(mirror: Path, oids: list[str]) -> dict[str, bytes]:
    raw = git(mirror, "cat-file", "--batch", data="".join(o + "\n" for o in oids).encode())
    out: dict[str, bytes] = {}
    pos = 0
    for oid in oids:
        header_end = raw.index(b"\n", pos)
        parts = raw[pos:header_end].split()
        if len(parts) < 3 or parts[1] != b"blob":
            pos = header_end + 1
            continue
        size = int(parts[2])
        out[oid] = raw[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return out


def is_shell(path: str, data: bytes) -> bool:
    if not SHELL_CANDIDATE.search(path) or len(data) > 4 * 1024 * 1024:
        return False
    lowered = path.lower()
    if "white" in lowered or "benign" in lowered or "normal" in lowered:
        return False
    head = data[:200_000]
    if JSP.search(head):
        return False
    if CLASSIC_ASP.search(head) or re.search(r"\.(asp|asa|cer)(\.txt)?$", lowered):
        return bool(DOTNET.search(head))  # classic ASP, unless it also carries .NET code
    return bool(PAGE.search(path)) or bool(ASPNET.search(head))


def page_type(data: bytes) -> str:
    head = data[:4096].lower()
    if re.search(rb"<%@\s*webhandler", head):
        return "ashx"
    if re.search(rb"<%@\s*webservice", head):
        return "asmx"
    return "aspx"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--out", type=Path, default=Path("/work/corpora"))
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = ap.parse_args()
    rows: list[str] = ["repo\tcommit\tpath\tsha256\tcorpus\tsplit"]
    seen: dict[str, set[str]] = {"shells": set(), "benign": set()}
    # The shared tennc/webshell extract (../shared/data/webshells/tennc, see its README) comes first.
    tennc = args.shared / "webshells" / "tennc"
    if tennc.is_dir():
        target = args.out / "shells"
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(tennc.iterdir()):
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen["shells"]:
                continue
            seen["shells"].add(digest)
            ext = path.suffix.lstrip(".").lower() or "aspx"
            (target / f"{digest[:16]}.{ext}").write_bytes(data)
            split = "dev" if int(digest[0], 16) % 2 == 0 else "held-out"
            rows.append(
                f"tennc/webshell (../shared/data extract)\t-\twebshells/tennc/{path.name}\t{digest}\tshells\t{split}"
            )
    for repo, corpus, prefix in SOURCES:
        if repo.lower() in RESERVED:
            raise SystemExit(f"{repo} is reserved for independent evaluation")
        mirror = args.mirrors / repo.replace("/", "+") / "repo"
        if not mirror.exists():
            print(f"missing mirror for {repo}: {mirror}", file=sys.stderr)
            continue
        commit = git(mirror, "rev-parse", "HEAD").decode().strip()
        wanted = [
            (oid, path)
            for oid, path in blobs(mirror, commit, prefix)
            if (BENIGN_FILE.search(path) if corpus == "benign" else SHELL_CANDIDATE.search(path))
        ]
        contents = read_blobs(mirror, [oid for oid, _ in wanted])
        target = args.out / corpus
        target.mkdir(parents=True, exist_ok=True)
        kept = 0
        for oid, path in wanted:
            data = contents.get(oid)
            if data is None or (corpus == "shells" and not is_shell(path, data)):
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen[corpus]:
                continue
            seen[corpus].add(digest)
            name = path.rsplit("/", 1)[-1]
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else "txt"
            if name.lower() == "web.config":
                ext = "web.config"
            elif corpus == "shells" and ext in {"txt", "cs", "config"}:
                ext = page_type(data)  # a text copy of a page: store it as the page IIS would run
            (target / f"{digest[:16]}.{ext}").write_bytes(data)
            split = ("dev" if int(digest[0], 16) % 2 == 0 else "held-out") if corpus == "shells" else "-"
            rows.append(f"{repo}\t{commit}\t{path}\t{digest}\t{corpus}\t{split}")
            kept += 1
        print(f"{repo} @ {commit[:12]} ({prefix or 'all'}): {kept} {corpus}")
    MANIFEST.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"shells {len(seen['shells'])}, benign {len(seen['benign'])}; manifest {MANIFEST}")


if __name__ == "__main__":
    main()
