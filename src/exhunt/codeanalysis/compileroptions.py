"""Files a compiler command line has ASP.NET's compiler read with a page.

A directive's `CompilerOptions` (`<%@ Page CompilerOptions="..." %>`), and the `compilerOptions`
of a `<compiler>` that web.config registers (under `system.codedom`, or `system.web/compilation`
in ASP.NET 1.x), reach the C# or VB compiler as command-line arguments. There an argument that
is not a switch is one more source file, `@name` is a response file of further arguments and
source files, and `-recurse:pattern` compiles every file the pattern matches. Code kept in a file
of any name so joins the page's assembly, where the page can inherit its class: the page itself
holds only directives. `-addmodule:` links compiled modules into that assembly the same way, and
the Roslyn compilers (the CodeDOM provider current project templates register) also take
`-analyzer:` (`-a:`), a list of assemblies whose analyzers and source generators they load and
run while compiling: code of any file name run by the compiler itself.
"""

from __future__ import annotations

import html
import re
from typing import NamedTuple

# An argument as the compilers split a command line: runs of characters other than blanks, and
# double-quoted spans, which may hold blanks (`"C:\up loads\a.jpg"`).
_ARGUMENT = re.compile(r'(?:[^\s"]++|"[^"]*+"?)++')
# `-recurse:` or `/recurse:`, whose value names the files to compile.
_RECURSE = re.compile(r"[-/]recurse:(.*)", re.I | re.S)
# Switches whose value is a list of files (`,` or `;` between) whose compiled code the compiler
# runs (`-analyzer:`, short `-a:`) or links into the assembly it builds (`-addmodule:`).
_FILE_LISTS = (
    (re.compile(r"[-/]a(?:nalyzer)?:(.*)", re.I | re.S), "and run the analyzer assembly"),
    (re.compile(r"[-/]addmodule:(.*)", re.I | re.S), "and link in the module"),
)
# A `<compiler>` element and the value of its `compilerOptions`, in either quote.
_CONFIG_COMPILER = re.compile(
    r"""<compiler\b[^<>]*?\bcompilerOptions\s*=\s*(?:"(?P<d>[^"]*)"|'(?P<s>[^']*)')""",
    re.I,
)


class CompiledFile(NamedTuple):
    path: str
    how: str  # what the compiler makes of it: a source file, a response file, the files a pattern matches


def compiled_files(options: str) -> list[CompiledFile]:
    """The files `options`, a compiler command line, has the compiler read as code or as more
    arguments; switches that only set how it compiles (`/nowarn:1659 /define:DEBUG`) name none."""
    out = []
    for m in _ARGUMENT.finditer(options):
        arg = m.group(0).replace('"', "")
        if not arg:
            continue
        if arg.startswith("@"):
            if arg[1:]:
                out.append(CompiledFile(arg[1:], "the response file"))
        elif arg.startswith(("/", "-")):
            r = _RECURSE.match(arg)
            if r and r.group(1):
                out.append(CompiledFile(r.group(1), "every file matching"))
            for switch, how in _FILE_LISTS:
                if listed := switch.match(arg):
                    out += (CompiledFile(p, how) for p in re.split(r"[,;]", listed.group(1)) if p)
        else:
            out.append(CompiledFile(arg, "the source file"))
    return out


def config_compilers(text: str) -> list[tuple[str, int]]:
    """The `compilerOptions` of each `<compiler>` element of a configuration file, with its
    line, XML's character references resolved."""
    out = []
    for m in _CONFIG_COMPILER.finditer(text):
        value = m.group("d") if m.group("d") is not None else m.group("s")
        out.append((html.unescape(value or ""), text.count("\n", 0, m.start()) + 1))
    return out
