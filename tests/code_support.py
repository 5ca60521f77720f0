"""What the code-analysis tests share: analyse a snippet, read a chain, list medium-or-above rules,
and check a shell is found with the words its chain must name."""

from __future__ import annotations

import base64

from exhunt.codeanalysis import CodeReport, analyze_code
from exhunt.filehunt import codehunt
from exhunt.filehunt.locations import Location, Place
from exhunt.rules import rule

# The start of a Windows executable, as a page would embed a .NET assembly's bytes.
PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode.\r\r\n$"
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def run(name: str, code: str) -> CodeReport:
    return analyze_code(code.encode(), name)


def chain_of(report: CodeReport, rule_id: str) -> str:
    return next(c.chain for c in report.capabilities if c.rule_id == rule_id)


def medium_or_above(report: CodeReport) -> list[str]:
    return [c.rule_id for c in report.capabilities if rule(c.rule_id).severity.rank >= 2]


def assert_found(name: str, code: str, rule_id: str, words: list[str]) -> CodeReport:
    """The snippet fires `rule_id` at medium or above, its chain naming each of `words`, and the
    file hunt's prefilter would hand the file to the analysis at all."""
    report = run(name, code)
    chain = chain_of(report, rule_id)
    for w in words:
        assert w in chain, chain
    assert rule_id in medium_or_above(report)
    assert prefilter_reads(name, code), f"the file hunt's prefilter skips {name}"
    return report


def prefilter_reads(name: str, code: str) -> bool:
    """Whether the file hunt reads the file's code (`codehunt.wants`), placed in the web root."""
    return codehunt.wants(Location(f"c:/inetpub/wwwroot/{name}", Place.IIS_WEBROOT, True), code.encode())


def cs_page(body: str, attributes: str = "", imports: tuple[str, ...] = (), members: str = "") -> str:
    """A C# page whose Page_Load runs `body`: the Page directive (with `attributes`), an Import
    directive per namespace of `imports`, and the server script, with `members` (methods,
    classes) after Page_Load."""
    directive = '<%@ Page Language="C#"' + (f" {attributes}" if attributes else "") + " %>\n"
    imported = "".join(f'<%@ Import Namespace="{name}" %>\n' for name in imports)
    return (
        directive
        + imported
        + '<script runat="server">\nprotected void Page_Load(object sender, EventArgs e) {\n'
        + body
        + "\n}\n"
        + (members + "\n" if members else "")
        + "</script>"
    )


def cmd_page(line: str) -> str:
    """A C# page that runs `cmd /c line` once, with the line as C# source text."""
    return cs_page('System.Diagnostics.Process.Start("cmd.exe", "/c ' + line + '");')


def vb_page(body: str, attributes: str = "", members: str = "") -> str:
    """The same in VB, with `members` after Page_Load."""
    directive = '<%@ Page Language="VB"' + (f" {attributes}" if attributes else "") + " %>\n"
    return (
        directive
        + '<script runat="server">\nSub Page_Load(sender As Object, e As EventArgs)\n'
        + body
        + "\nEnd Sub\n"
        + (members + "\n" if members else "")
        + "</script>"
    )


def assert_benign(name: str, code: str) -> CodeReport:
    """The snippet raises no rule at medium or above (the chains found are shown if it does)."""
    report = run(name, code)
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]
    return report
