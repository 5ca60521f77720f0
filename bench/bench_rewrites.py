"""Rewrites that keep a page's meaning should keep its findings: each dev shell the code analysis
finds (a finding of medium or above) is rewritten mechanically, one rewrite at a time, analysed
again, and every rewrite that loses all its medium-or-above findings is listed.

    python bench/code_corpus.py --out /work/corpora          # gather the corpora (manifest in bench/)
    python bench/bench_rewrites.py --corpora /work/corpora [--rewrites split,comments]

Only the dev halves of the manifest are read (held-out shells are never looked at), and only
shells in C# or VB (the rewrites speak those languages). The rewrites are crude text edits of the
server code (`<script runat=server>` blocks and `<% %>` blocks, or the whole of a `.cs`/`.vb`
file); one that makes code the compiler would refuse is no evidence, so a loss is read before it
is counted as a gap (attribute arguments must stay constants, for instance).
"""

from __future__ import annotations

import argparse
import base64
import re
import sys
from collections.abc import Callable
from pathlib import Path

from exhunt.codeanalysis.analysis import analyze_code
from exhunt.rules import rule

MANIFEST = Path(__file__).resolve().parent / "code_corpus_manifest.tsv"
CODE = re.compile(
    r"(<script\b[^>]*runat\s*=\s*[\"']?server[\"']?[^>]*>)(.*?)(</script>)|(<%(?![@=#:$-]))(.*?)(%>)", re.S | re.I
)
LITERAL = re.compile(r'(?<![@$\\\w"])"([A-Za-z0-9 ./:_\-]{4,60})"(?!")')
REQUEST = re.compile(r'\bRequest(?:\.(?:Form|QueryString|Params|Item))?\s*([\[(])\s*("[^"\\]{1,40}")\s*[\])]')
MEMBER_DOT = re.compile(r"(?<=[A-Za-z0-9_)\]])\.(?=[A-Z][A-Za-z]+\s*\()")
NAMESPACES = (
    "System.Security.Cryptography",
    "System.Runtime.InteropServices",
    "System.Data.SqlClient",
    "System.Net.Sockets",
    "System.Diagnostics",
    "System.Reflection",
    "System.IO.Compression",
    "System.IO",
    "System.Net",
    "System.Text",
    "Microsoft.Win32",
)
QUALIFIED = re.compile(r"(?<![\w.])(" + "|".join(re.escape(n) for n in NAMESPACES) + r")\.(?=[A-Z]\w*)")
Rewrite = Callable[[str, bool], str]


def _split(code: str, vb: bool) -> str:
    """`"cmd.exe"` as `"cmd" + ".exe"`."""
    join = " & " if vb else " + "
    return LITERAL.sub(lambda m: f'"{m[1][: len(m[1]) // 2]}"{join}"{m[1][len(m[1]) // 2 :]}"', code)


# Lines whose literals must stay constants (attributes, `const`, `case` labels): a rewrite that
# computes a literal at run time leaves them as they are.
CONSTANT_PLACE = re.compile(r"^\s*\[|\bconst\b|\bcase\b|\bDllImport\b", re.I)


def _computed(rewrite: Callable[[re.Match[str]], str]) -> Callable[[str, bool], str]:
    """A rewrite of literals into values computed at run time, on lines where that compiles."""

    def apply(code: str, vb: bool) -> str:
        return "\n".join(x if CONSTANT_PLACE.search(x) else LITERAL.sub(rewrite, x) for x in code.split("\n"))

    return apply


def _base64(m: re.Match[str]) -> str:
    """A literal as its base64, decoded at run time."""
    encoded = base64.b64encode(m[1].encode()).decode()
    return f'System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String("{encoded}"))'


def _context(code: str, vb: bool) -> str:
    """`Request` and its kin through `HttpContext.Current`."""
    return re.sub(
        r"(?<![.\w])(Request|Response|Server|Session)\b(?=\s*[.\[(])", r"System.Web.HttpContext.Current.\1", code
    )


def _lines(rewrite: Callable[[str], str]) -> Callable[[str, bool], str]:
    """A C# rewrite applied line by line, lines holding a comment left alone."""

    def apply(code: str, vb: bool) -> str:
        if vb:
            return code
        return "\n".join(x if "//" in x or "'" in x else rewrite(x) for x in code.split("\n"))

    return apply


def _params(code: str, vb: bool) -> str:
    """`Request.Form["c"]` as `Request.Params["c"]`."""
    if vb:
        return re.sub(
            r'\bRequest(?:\.(?:Form|QueryString|Item))?\s*\(\s*("[^"\\]{1,40}")\s*\)', r"Request.Params(\1)", code
        )
    return re.sub(
        r'\bRequest(?:\.(?:Form|QueryString|Item))?\s*\[\s*("[^"\\]{1,40}")\s*\]', r"Request.Params[\1]", code
    )


def _dynamic(code: str, vb: bool) -> str:
    """C# locals declared `dynamic`."""
    if vb:
        return code
    return re.sub(r"(?<![\w.<,(])(?:string|object|var|[A-Z]\w*(?:\.[A-Z]\w*)*)\s+(\w+)\s*=(?!=)", r"dynamic \1 =", code)


def _chars(code: str, vb: bool) -> str:
    """A literal as a string made from a char array."""
    if vb:
        return _computed(lambda m: "New String(New Char() {" + ", ".join(f'"{c}"c' for c in m[1]) + "})")(code, vb)
    return _computed(lambda m: "new string(new char[] {" + ", ".join(f"'{c}'" for c in m[1]) + "})")(code, vb)


def _indirect(code: str, vb: bool) -> str:
    """`Page_Load` calling a second method that holds its body."""
    if vb:
        pattern = r"(?i)\bSub\s+Page_Load\s*\(([^)]*)\)"
        return re.sub(
            pattern,
            lambda m: f"Sub Page_Load({m[1]})\nPage_Load2(sender, e)\nEnd Sub\nSub Page_Load2({m[1]})",
            code,
            count=1,
        )
    pattern = r"void\s+Page_Load\s*\(([^)]*)\)\s*\{"
    return re.sub(
        pattern,
        lambda m: f"void Page_Load({m[1]}) {{ Page_Load2(sender, e); }}\nvoid Page_Load2({m[1]}) {{",
        code,
        count=1,
    )


def _get(code: str, vb: bool) -> str:
    """`Request.Form["c"]` as `Request.Form.Get("c")`, `Request["c"]` as `Request.Params.Get("c")`."""
    if vb:
        return code
    code = re.sub(r'\bRequest\.(Form|QueryString|Headers)\s*\[\s*("[^"\\]{1,40}")\s*\]', r"Request.\1.Get(\2)", code)
    return re.sub(r'\bRequest\s*\[\s*("[^"\\]{1,40}")\s*\]', r"Request.Params.Get(\1)", code)


def _ternary(code: str, vb: bool) -> str:
    """A request value through a conditional: `(x != null ? x : "")`."""
    if vb:
        return REQUEST.sub(lambda m: f'If({m[0]} IsNot Nothing, {m[0]}, "")', code)
    return REQUEST.sub(lambda m: f'({m[0]} != null ? {m[0]} : "")', code)


def _page(code: str, vb: bool) -> str:
    """`Request` and `Server` through the page: `this.Page.Request`, VB's `Me.Page.Request`."""
    me = "Me" if vb else "this"
    return re.sub(r"(?<![.\w])(Request|Server)\b(?=\s*[.\[(])", rf"{me}.Page.\1", code)


def _body_end(code: str, opening: int) -> int | None:
    """The index of the brace closing the one at `opening`, skipping strings, chars and comments
    roughly (a crude rewrite's need, not a parser)."""
    depth, i = 0, opening
    while i < len(code):
        c = code[i]
        if c == "/" and code[i : i + 2] == "//":
            i = code.find("\n", i)
            if i < 0:
                return None
        elif c == "/" and code[i : i + 2] == "/*":
            i = code.find("*/", i + 2)
            if i < 0:
                return None
            i += 1
        elif c in "\"'":
            j = i + 1
            while j < len(code) and code[j] != c and code[j] != "\n":
                j += 2 if code[j] == "\\" and code[i - 1 : i] != "@" else 1
            i = j
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _wrapped(before: str, after: str) -> Callable[[str, bool], str]:
    """C#'s `Page_Load` body put inside `before` ... `after`."""

    def apply(code: str, vb: bool) -> str:
        m = None if vb else re.search(r"void\s+Page_Load\s*\([^)]*\)\s*\{", code)
        end = _body_end(code, m.end() - 1) if m is not None else None
        if m is None or end is None:
            return code
        return code[: m.end()] + before + code[m.end() : end] + after + code[end:]

    return apply


def _alias(code: str, vb: bool) -> str:
    """C#'s `Page_Load` reading the request through a local: `HttpRequest r = Request; r["c"]`."""
    m = None if vb else re.search(r"void\s+Page_Load\s*\([^)]*\)\s*\{", code)
    end = _body_end(code, m.end() - 1) if m is not None else None
    if m is None or end is None:
        return code
    body = re.sub(r"(?<![.\w])Request\b(?=\s*[.\[])", "__r", code[m.end() : end])
    return code[: m.end()] + " System.Web.HttpRequest __r = Request; " + body + code[end:]


# C#'s strings, characters and comments: the name rewrites below leave them as written.
CS_TEXT = re.compile(r'@"(?:[^"]|"")*"|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])\'|//[^\n]*|/\*.*?\*/', re.S)
ESCAPED = re.compile(
    r"(?<![\w.@])(Process|Request|Response|Server|File|Directory|Assembly|Convert|Encoding|Activator|Environment)\b"
)
GLOBAL = re.compile(r"(?<![\w.:@])System\.(?=[A-Z])")


def _outside_text(rewrite: Callable[[str], str]) -> Rewrite:
    """A C# rewrite of the code between strings, characters and comments."""

    def apply(code: str, vb: bool) -> str:
        if vb:
            return code
        out, at = [], 0
        for m in CS_TEXT.finditer(code):
            out += [rewrite(code[at : m.start()]), m[0]]
            at = m.end()
        return "".join([*out, rewrite(code[at:])])

    return apply


# A VB line that is one call (`Process.Start(...)`, `Response.Write(x)`), keywords aside.
VB_CALL_LINE = re.compile(
    r"(?im)^([ \t]*)(?!(?:if|for|while|do|loop|next|dim|sub|function|end|return|call|exit|else|elseif|select|case|with|try|catch|finally|using|throw|set|get|property|class|module|imports|namespace|private|public|protected|friend|shared|redim|on|goto|resume)\b)([A-Za-z_][\w.]*[ \t]*\([^'\n]*\))[ \t]*$"
)


def _nested_if(code: str, vb: bool) -> str:
    """VB: each one-call line as the statement of a one-line `If` nested in another's `Else`."""
    if not vb:
        return code
    return VB_CALL_LINE.sub(r'\1If False Then Response.Write("") Else If True Then \2', code)


REWRITES: dict[str, Rewrite] = {
    "split": _split,
    "base64": _computed(_base64),
    "context": _context,
    "one-call-a-line": _lines(lambda x: MEMBER_DOT.sub("\n        .", x)),
    "comments": _lines(lambda x: MEMBER_DOT.sub("/*x*/./*y*/", x)),
    "params": _params,
    "dynamic": _dynamic,
    "chars": _chars,
    "indirect": _indirect,
    "verbatim": lambda code, vb: code if vb else LITERAL.sub(lambda m: f'@"{m[1]}"', code),
    "try": _wrapped(" try { ", " } catch (Exception) { } "),
    "task": _wrapped(" System.Threading.Tasks.Task.Run(() => { ", " }).Wait(); "),
    "alias": _alias,
    "get": _get,
    "ternary": _ternary,
    "page": _page,
    # `\u0050rocess`: a Unicode escape in a name is the letter itself to C#.
    "escaped": _outside_text(lambda x: ESCAPED.sub(lambda m: f"\\u{ord(m[1][0]):04X}{m[1][1:]}", x)),
    "global": _outside_text(lambda x: GLOBAL.sub("global::System.", x)),
    "nested-if": _nested_if,
}
# Whole-file rewrites: the bytes as saved, not the code.
SAVED: dict[str, Callable[[str], bytes]] = {
    "crlf": lambda t: t.replace("\r\n", "\n").replace("\n", "\r\n").encode(),
    "cr": lambda t: t.replace("\r\n", "\n").replace("\n", "\r").encode(),
    "utf-16": lambda t: b"\xff\xfe" + t.encode("utf-16-le"),
}


def _code_regions(text: str, rewrite: Callable[[str], str]) -> str:
    out, at = [], 0
    for m in CODE.finditer(text):
        group = 2 if m[1] else 5
        out += [text[at : m.start(group)], rewrite(m[group])]
        at = m.end(group)
    return "".join([*out, text[at:]])


def _unqualified(text: str) -> str:
    """Namespaces dropped from qualified names and imported by directive instead."""
    found: set[str] = set()

    def drop(m: re.Match[str]) -> str:
        found.add(m[1])
        return ""

    out = _code_regions(text, lambda code: QUALIFIED.sub(drop, code))
    directive = re.search(r"<%@\s*(?:Page|WebHandler|WebService|Control|Master|Application)[^%]*%>", out, re.I)
    if not found or directive is None:
        return text
    imports = "".join(f'<%@ Import Namespace="{n}" %>' for n in sorted(found))
    return out[: directive.end()] + imports + out[directive.end() :]


def _through_helper(text: str, vb: bool, whole: bool) -> str:
    """Request values read through a helper method of the page (`__G("c")`)."""
    new = (
        REQUEST.sub(lambda m: f"__G({m[2]})", text)
        if whole
        else _code_regions(text, lambda code: REQUEST.sub(lambda m: f"__G({m[2]})", code))
    )
    if new == text:
        return text
    helper = (
        "\nFunction __G(k As String) As String\nReturn Request(k)\nEnd Function\n"
        if vb
        else "\nstring __G(string k) { return Request[k]; }\n"
    )
    if whole:
        end = new.lower().rfind("end class") if vb else new.rfind("}")
        return new[:end] + helper + new[end:] if end > 0 else text
    script = re.search(r"<script\b[^>]*runat\s*=\s*[\"']?server[\"']?[^>]*>", new, re.I)
    if script is not None:
        return new[: script.end()] + helper + new[script.end() :]
    return new + f'\n<script runat="server">{helper}</script>\n'


def _medium(data: bytes, name: str) -> bool:
    report = analyze_code(data, name)
    return any(rule(c.rule_id).severity.rank >= 2 for c in report.capabilities)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, required=True)
    every = [*REWRITES, "unqualified", "helper", *SAVED]
    ap.add_argument("--rewrites", default=",".join(every), help=f"comma-separated, of: {', '.join(every)}")
    args = ap.parse_args()
    chosen = [r.strip() for r in args.rewrites.split(",") if r.strip()]
    unknown = [r for r in chosen if r not in every]
    if unknown:
        ap.error(f"unknown rewrite: {', '.join(unknown)}")
    dev = set()
    for line in MANIFEST.read_text(encoding="utf-8").splitlines()[1:]:
        _repo, _commit, _path, digest, corpus, split = line.split("\t")
        if corpus == "shells" and split.endswith("dev"):
            dev.add(digest[:16])
    tried = dict.fromkeys(chosen, 0)
    lost: dict[str, list[str]] = {r: [] for r in chosen}
    shells = 0
    for path in sorted((args.corpora / "shells").iterdir()):
        if path.name[:16] not in dev:
            continue
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        if re.search(r"language\s*=\s*[\"']?(?:jscript|javascript|js)\b", text, re.I) or not _medium(raw, path.name):
            continue
        shells += 1
        vb = path.suffix.lower() == ".vb" or re.search(r"language\s*=\s*[\"']?vb", text, re.I) is not None
        whole = path.suffix.lower() in {".cs", ".vb"}
        for name in chosen:
            if name in SAVED:
                data = SAVED[name](text)
            else:
                if name == "unqualified":
                    new = text if whole else _unqualified(text)
                elif name == "helper":
                    new = _through_helper(text, vb, whole)
                else:
                    rewrite = REWRITES[name]
                    new = rewrite(text, vb) if whole else _code_regions(text, lambda code, r=rewrite, v=vb: r(code, v))
                if new == text:
                    continue
                data = new.encode("utf-8")
            tried[name] += 1
            if not _medium(data, path.name):
                lost[name].append(path.name)
        print(f"\r{shells} shells", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"dev shells found and rewritten: {shells}")
    print("| rewrite | shells it changed | lost every medium-or-above finding |")
    print("|---|---|---|")
    for name in chosen:
        print(f"| {name} | {tried[name]} | {len(lost[name])} |")
    for name in chosen:
        if lost[name]:
            print(f"{name}: {' '.join(lost[name])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
