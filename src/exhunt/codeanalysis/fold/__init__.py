"""Constant folding over the syntax tree: what a string a shell builds at run time will be.

`folder.Folder` folds an expression; `values` holds what folding yields and its limits,
`literals` reads the compilers' literals, `loops` the loops whose effect can be computed, and
`library` the library calls computed on constants.
"""

from exhunt.codeanalysis.fold.folder import Callable1, Folder, inline_lambda
from exhunt.codeanalysis.fold.literals import decode_literal, string_literal
from exhunt.codeanalysis.fold.loops import accumulation, loop_spec
from exhunt.codeanalysis.fold.values import (
    MAX_ITEMS,
    MAX_MAPPED,
    MAX_VALUE,
    TooDeep,
    TooLarge,
    TooSlow,
    Value,
    as_bytes,
    as_text,
    decode_base64,
    replaced,
    show,
)

__all__ = [
    "MAX_ITEMS",
    "MAX_MAPPED",
    "MAX_VALUE",
    "Callable1",
    "Folder",
    "TooDeep",
    "TooLarge",
    "TooSlow",
    "Value",
    "accumulation",
    "as_bytes",
    "as_text",
    "decode_base64",
    "decode_literal",
    "inline_lambda",
    "loop_spec",
    "replaced",
    "show",
    "string_literal",
]
