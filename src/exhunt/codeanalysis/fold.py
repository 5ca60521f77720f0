"""Constant folding on the syntax tree: what a string really is once the shell stops hiding it.

Shells build the names a signature would look for at run time: concatenation, `string.Concat`,
`Join`, `Format`, char/byte/int arrays turned into strings, `Reverse`/`StrReverse`, `Replace`,
`Substring`, base64, hex and `\\u` escapes, `Encoding.*.GetString`, LINQ `Select`, `Where` and
`Aggregate` with an inline lambda over a string or array (`Enumerable.Range` too) and `Skip`,
`Take`, `ElementAt`, `First`, `Last`, `c ? a : b` with a constant condition, items of constant
arrays set at a literal index, and constants kept in local variables, fields and small lambdas or
one-line methods.
`Folder.value` evaluates such an expression without running anything: only a fixed set of pure
string and array operations is known, everything else is "not a constant" (None). Work is
bounded by depth and by size.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import time
import urllib.parse
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    called,
    dotted,
    index_parts,
    inline_parts,
    lambda_params,
    last_name,
    loop_parts,
    member_parts,
    operator,
    role,
    statement_value,
    text,
    unwrap,
)

Value = str | bytes | int | list["Value"]
MAX_VALUE = 1 << 20  # longest string or array folded (1 MiB); longer raises `TooLarge`
MAX_DEPTH = 200
MAX_ITEMS = 1 << 16  # most items a LINQ mapping or a range folds (each item costs an evaluation)
# Most items all the LINQ mappings of one folder evaluate together, and most loop turns one folded
# value runs (nested ones multiply).
MAX_MAPPED = 1 << 17
_CLOCK_EVERY = 1023  # the deadline is read once every 1,024 evaluations (a clock read costs more than one)


# Item types of the VB arrays folded (`New String() {...}`, `New Byte() {...}`).
_VB_ITEM_TYPES = frozenset({"string", "char", "byte", "integer", "int", "short", "long", "object"})


# Comparison operators of C#, JavaScript and VB on two folded values of one type.
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda p, q: p == q,
    "===": lambda p, q: p == q,
    "=": lambda p, q: p == q,
    "!=": lambda p, q: p != q,
    "!==": lambda p, q: p != q,
    "<>": lambda p, q: p != q,
    "<": lambda p, q: p < q,
    ">": lambda p, q: p > q,
    "<=": lambda p, q: p <= q,
    ">=": lambda p, q: p >= q,
}


class TooDeep(Exception):
    """An expression nested deeper than the folder follows: the caller reports it."""


class TooSlow(Exception):
    """The folder passed its deadline inside one expression: the caller stops the unit as it does
    at a deadline between nodes (a short LINQ mapping over a long range costs seconds)."""


class TooLarge(Exception):
    """A value that would be longer than `MAX_VALUE` once folded, or a mapping over more than
    `MAX_ITEMS` items: not folded, and the caller reports it (a few bytes of code can name a
    megabyte value many times over)."""


@dataclass
class Callable1:
    """A lambda or a method: parameter names and the expression it returns, after `steps`, the
    stores of a method's straight-line body before its `return` (name, operator, value; no
    value for a declaration without one), read in order."""

    params: list[str]
    body: Node
    rest: bool = False  # the last parameter takes the arguments from its place on (C# `params`, VB `ParamArray`)
    steps: tuple[tuple[str, str, Node | None], ...] = ()


def inline_lambda(node: Node) -> Callable1 | None:
    """An expression-bodied lambda written inline (`c => c ^ 5`, `(c, i) => ...`, a JavaScript
    arrow function): its parameter names and body; None for a block body or anything else."""
    node = unwrap(node)
    if role(node) is not Role.LAMBDA:
        return None
    if node.type == "lambda_expression" and node.child_by_field_name("body") is None:
        return _vb_lambda(node)  # VB's, with or without parameters (C#'s has a `body` field)
    body = node.child_by_field_name("body")
    if body is None or body.type in {"block", "statement_block"}:
        return None
    if node.child_by_field_name("parameters") is None and node.child_by_field_name("parameter") is None:
        return None
    params = lambda_params(node)
    return Callable1(params, body) if all(x.isidentifier() for x in params) else None


def _vb_lambda(node: Node) -> Callable1 | None:
    """VB's single-line `Function(a, b) a & b`: the first name of each parameter (`ByVal a As
    String` is `a`) and the expression; None for a `Sub` or a multi-line body."""
    if text(node).lstrip()[:3].lower() == "sub" or not node.named_children:
        return None
    body = node.named_children[-1]
    declared = node.named_children[:-1]
    if body.type != "expression" or any(p.type != "lambda_parameter" for p in declared):
        return None
    params = lambda_params(node)
    return Callable1(params, body) if len(params) == len(declared) else None


def _frame(fn: Callable1, item: Value, index: int) -> dict[str, Value | None]:
    """A LINQ lambda's parameters bound to one item, and to its index when it takes two."""
    frame: dict[str, Value | None] = {fn.params[0]: item}
    if len(fn.params) == 2:
        frame[fn.params[1]] = index
    return frame


@dataclass
class Folder:
    lookup: Callable[[str], Value | None]
    functions: dict[str, Callable1] = field(default_factory=dict)  # lower-case name -> body
    bound: list[dict[str, Value | None]] = field(default_factory=list)  # None: a local with no constant
    _active: list[Callable1] = field(default_factory=list)  # the functions being applied, innermost last
    _mapped: int = 0  # items the LINQ mappings have evaluated so far, against `MAX_MAPPED`
    _turns: int = 0  # loop turns run while folding the current value, against `MAX_MAPPED`
    deadline: float | None = None  # `time.monotonic()` past which folding raises `TooSlow`
    _steps: int = 0
    # VB: names are one whatever their case, and the parameters and locals bound are keyed in
    # lower case (`X` of `Function N(X As String)` is `x`).
    case_blind: bool = False
    # The text of a builder kept in a variable, read at a `ToString()` call (`builders.read`).
    held_builder: Callable[[Node, int], str | None] | None = None

    def value(self, node: Node | None, depth: int = 0) -> Value | None:
        if node is None:
            return None
        if depth > MAX_DEPTH:
            raise TooDeep
        if depth == 0:
            self._turns = 0  # a new value: the loop turns of the last one do not count against it
        self._steps += 1
        if self._steps & _CLOCK_EVERY == 0 and self.deadline is not None and time.monotonic() > self.deadline:
            raise TooSlow
        node = unwrap(node)
        r = role(node)
        if node.type == "interpolated_string_expression":
            return self._interpolated(node, depth)
        if node.type == "as_clause":  # VB `Dim s As New MemoryStream(b)`: a `New` without its keyword node
            return self._as_new(node, depth)
        if r is Role.STRING:
            return string_literal(node)
        if r is Role.CHAR:
            return char_literal(node)
        if r is Role.INT:
            return int_literal(text(node))
        if r is Role.IDENT:
            name = self._key(text(node))
            for frame in reversed(self.bound):
                if name in frame:
                    return frame[name]
            return self.lookup(name)
        if r is Role.BINARY:
            return self._binary(node, depth)
        if r is Role.CAST:
            return self._cast(node, depth)
        if r is Role.ARRAY:
            return self._array(node, depth)
        if r is Role.CALL:
            return self._call(node, depth)
        if r is Role.NEW:
            return self._new(node, depth)
        if r is Role.COND:
            return self._cond(node, depth)
        if r is Role.INDEX:
            return self._item(node, depth)
        if r is Role.MEMBER:
            return self._member(node, depth)
        if node.type in _SIGNED and node.named_child_count == 1 and text(node)[:1] in {"-", "+"}:
            inner = self.value(node.named_children[0], depth + 1)  # `-1`, VB's `Step -1`
            if isinstance(inner, int) and not isinstance(inner, bool):
                return -inner if text(node)[:1] == "-" else inner
        return None

    def _key(self, name: str) -> str:
        """A name as the frames key it: in lower case for VB, whose names are one whatever their
        case."""
        return name.lower() if self.case_blind else name

    def _member(self, node: Node, depth: int) -> Value | None:
        """`s.Length` (`Count`, `LongLength`) of a folded text or array, and `string.Empty`."""
        obj, name = member_parts(node)
        lname = name.lower()
        if obj is None:
            return None
        if lname == "empty" and text(obj).lower() in {"string", "system.string"}:
            return ""
        if lname in {"length", "count", "longlength"}:
            held = self.value(obj, depth + 1)
            return len(held) if isinstance(held, (str, bytes, list)) else None
        return None

    def _item(self, node: Node, depth: int) -> Value | None:
        """`"cmd"[0]`, `parts[2]` of a constant array: the character or item at a constant index
        (a byte array's item is its number)."""
        obj, keys = index_parts(node)
        if obj is None or len(keys) != 1:
            return None
        at = self.value(keys[0], depth + 1)
        return _item_at(self.value(obj, depth + 1), at) if isinstance(at, int) else None

    def _cond(self, node: Node, depth: int) -> Value | None:
        """`c ? a : b`: the branch a constant condition picks (`1 > 0`, `"a" == "a"`), or the
        value both branches fold to."""
        parts = [node.child_by_field_name(f) for f in ("condition", "consequence", "alternative")]
        if any(p is None for p in parts):
            parts = list(node.named_children)  # VB `If(c, a, b)`: three expressions, no field names
        if len(parts) != 3:
            return None
        return self._choose(parts[0], parts[1], parts[2], depth)

    def _choose(self, cond: Node | None, yes: Node | None, no: Node | None, depth: int) -> Value | None:
        if yes is None or no is None:
            return None
        truth = self._truth(cond, depth + 1)
        if truth is not None:
            return self.value(yes if truth else no, depth + 1)
        a = self.value(yes, depth + 1)
        return a if a is not None and a == self.value(no, depth + 1) else None

    def _truth(self, node: Node | None, depth: int) -> bool | None:
        """A condition's value when it is a constant: `true`/`false`, a comparison of two folded
        values, and `!`, `&&`, `||` over such conditions."""
        if node is None:
            return None
        node = unwrap(node)
        raw = text(node).strip().lower()
        if raw in {"true", "false"}:
            return raw == "true"
        if role(node) is Role.INT:  # JScript's and VB's `1 ? a : b`, `If(0, a, b)`: a number as a condition
            number = int_literal(raw)
            return None if number is None else number != 0
        negated = raw[:1] == "!" or (raw[:3] == "not" and not raw[3:4].isalnum())  # C#/JS `!`, VB `Not`
        if negated and role(node) is not Role.BINARY and node.named_child_count:
            inner = self._truth(node.named_children[-1], depth + 1)
            return None if inner is None else not inner
        if role(node) is Role.CALL:
            return self._char_test(node, depth)
        if role(node) is not Role.BINARY:
            return None
        op = operator(node)
        left = node.child_by_field_name("left") or node.named_children[0]
        right = node.child_by_field_name("right") or node.named_children[-1]
        if op in {"&&", "||", "AndAlso", "OrElse"}:
            a, b = self._truth(left, depth + 1), self._truth(right, depth + 1)
            if a is None or b is None:
                return None
            return (a and b) if op in {"&&", "AndAlso"} else (a or b)
        x, y = self.value(left, depth + 1), self.value(right, depth + 1)
        if isinstance(x, int) and isinstance(y, str) and len(y) == 1:
            y = ord(y)  # C#'s `c > 96`: a char compared with a number is its code
        elif isinstance(y, int) and isinstance(x, str) and len(x) == 1:
            x = ord(x)
        if x is None or y is None or type(x) is not type(y) or isinstance(x, list):
            return None
        fn = _COMPARE.get(op)
        return fn(x, y) if fn is not None else None

    def _char_test(self, node: Node, depth: int) -> bool | None:
        """`char.IsLower(c)` and its kin (`IsUpper`, `IsLetter`, `IsDigit`, `IsLetterOrDigit`)
        on a folded character."""
        callee, args = call_parts(node)
        path = dotted(callee).lower()
        name = path.rsplit(".", 1)[-1]
        test = _CHAR_TESTS.get(name)
        if test is None or path not in {f"char.{name}", f"system.char.{name}"}:
            return None
        v = self.value(args[0], depth + 1) if len(args) == 1 else None
        return test(v) if isinstance(v, str) and len(v) == 1 else None

    def _interpolated(self, node: Node, depth: int) -> Value | None:
        """C# `$"System.{name}.Process"`: the text with each hole's folded value (a hole with an
        alignment or a format is not folded)."""
        start = next((c for c in node.named_children if c.type == "interpolation_start"), None)
        verbatim = start is not None and "@" in text(start)
        out: list[str] = []
        for child in node.named_children:
            if child.type == "interpolation_start":
                continue
            if child.type == "string_content":
                piece = text(child).replace("{{", "{").replace("}}", "}")
                out.append(piece.replace('""', '"') if verbatim else _unescape(piece))
            elif child.type == "escape_sequence":
                out.append(_unescape(text(child)))
            elif child.type == "interpolation":
                inner = [c for c in child.named_children if c.type != "interpolation_brace"]
                if len(inner) != 1:
                    return None
                v = self.value(inner[0], depth + 1)
                hole = _text_of(v)
                if hole is None:
                    return None
                out.append(hole)
            else:
                return None
        return _joined(out)

    def _builder(self, node: Node, depth: int) -> str | None:
        """`new StringBuilder("a").Append(b).Insert(0, c)` written as one chain: the text built
        (a builder kept in a variable changes after it is made, so only a chain folds)."""
        appended: list[tuple[str, list[Node]]] = []
        cur = unwrap(node)
        for _ in range(MAX_DEPTH):
            r = role(cur)
            if r is Role.NEW:
                callee, args = call_parts(cur)
                if last_name(callee) != "stringbuilder" or len(args) > 1:
                    return None
                first = self.value(args[0], depth + 1) if args else ""
                built = first if isinstance(first, str) else None
                for name, call_args in reversed(appended):
                    if built is None:
                        return None
                    vals = [self.value(a, depth + 1) for a in call_args]
                    built = _builder_step(built, name, vals)
                return built
            if r is not Role.CALL:
                return None
            callee, args = call_parts(cur)
            if callee is None or role(unwrap(callee)) is not Role.MEMBER:
                return None
            receiver, name = called(unwrap(callee))
            if receiver is None or name.lower() not in {"append", "insert", "replace"}:
                return None
            appended.append((name.lower(), args))
            cur = unwrap(receiver)
        return None

    # ------------------------------------------------------------------ operators
    def _binary(self, node: Node, depth: int, numeric: bool = False) -> Value | None:
        """A chain of one operator over folded operands. A `+` adds numbers, not text, where the
        chain is `numeric` (an operand of arithmetic, or under a cast to a number type: C#'s
        `(char)(c - 'a' + 13)`), or where a char literal meets a number (`13 + 'a'`): a char is
        then its code, as C# reads it."""
        # Flatten left-nested chains of one operator (a + b + c + ...) without recursion.
        op = operator(node)
        operands: list[Node] = []
        current = node
        while role(current) is Role.BINARY and operator(current) == op:
            right = current.child_by_field_name("right") or current.named_children[-1]
            operands.append(right)
            left = current.child_by_field_name("left") or current.named_children[0]
            current = unwrap(left)
        operands.append(current)
        operands.reverse()
        inner = op in _ARITHMETIC  # `(c + 13) % 26`: the `+` inside adds numbers
        values = []
        for operand in operands:
            v = self._operand(operand, depth + 1, inner)
            if v is None:
                return None
            values.append(v)
        if op == "+" and (numeric or self._char_sum(operands, values)):
            codes = [ord(v) if isinstance(v, str) and len(v) == 1 else v for v in values]
            return combine(op, codes) if all(isinstance(v, int) for v in codes) else None
        return combine(op, values)

    def _operand(self, node: Node, depth: int, numeric: bool) -> Value | None:
        """An operand's value; a `+` chain read as numbers where the context is numeric."""
        node = unwrap(node)
        if numeric and role(node) is Role.BINARY and operator(node) == "+":
            if depth > MAX_DEPTH:
                raise TooDeep
            return self._binary(node, depth, numeric=True)
        return self.value(node, depth)

    @staticmethod
    def _char_sum(operands: list[Node], values: list[Value]) -> bool:
        """Whether a `+` chain adds a char literal to a number (no string literal among them)."""
        roles = [role(unwrap(o)) for o in operands]
        return (
            Role.CHAR in roles
            and Role.STRING not in roles
            and any(isinstance(v, int) and not isinstance(v, bool) for v in values)
            and all(isinstance(v, int) or (isinstance(v, str) and len(v) == 1) for v in values)
        )

    def _cast(self, node: Node, depth: int) -> Value | None:
        target = text(node.child_by_field_name("type")).lower()
        inner = node.child_by_field_name("value") or node.named_children[-1]
        numeric = target in _NUMBER_CASTS
        v = self._operand(inner, depth + 1, numeric) if numeric else self.value(inner, depth + 1)
        if isinstance(v, int):
            if target == "char":
                return _chr(v)
            if target in {"byte", "sbyte"}:
                return v & 0xFF
        return v

    def _array(self, node: Node, depth: int) -> Value | None:
        items = [c for c in node.named_children if c.type not in {"array_type", "comment", "type"}]
        if len(items) == 1 and items[0].type in {"initializer_expression", "object_initializers", "array_literal"}:
            items = items[0].named_children
        out: list[Value] = []
        for item in items:
            v = self.value(item.named_children[0] if item.type == "object_initializer" else item, depth + 1)
            if v is None:
                return None
            out.append(v)
        if len(out) > MAX_VALUE:
            raise TooLarge
        return out

    def _new(self, node: Node, depth: int) -> Value | None:
        callee, args = call_parts(node)
        kind = last_name(callee)
        init = next((a for a in args if a.type in {"initializer_expression", "object_initializers"}), None)
        if init is not None and len(args) == 1 and node.type == "new_expression" and kind in _VB_ITEM_TYPES:
            return self._array(init, depth + 1)  # VB `New String() {"a", "b"}`: an array of strings
        if kind in {"string"} and args:
            first = self.value(args[0], depth + 1)
            if len(args) == 2 and isinstance(first, str):
                count = self.value(args[1], depth + 1)
                if not isinstance(count, int) or count < 0:
                    return None
                if count * len(first) > MAX_VALUE:
                    raise TooLarge
                return first * count
            return as_text(first)
        if (callee is not None and callee.type in {"array_type", "type"}) or kind in {"byte", "char", "int"}:
            init = next((a for a in args if a.type in {"initializer_expression", "object_initializers"}), None)
            return self._array(init, depth + 1) if init is not None else None
        if kind in _STREAMS and args:
            return self._stream(kind, args, depth)
        return None

    def _as_new(self, clause: Node, depth: int) -> Value | None:
        """VB's `As New T(args)` clause: the streams `_stream` reads, built with their arguments."""
        kind_node = clause.child_by_field_name("type")
        arg_list = next((c for c in clause.named_children if c.type == "argument_list"), None)
        if kind_node is None or arg_list is None:
            return None
        kind = last_name(kind_node)
        args = [unwrap(a) for a in arg_list.named_children]
        return self._stream(kind, args, depth) if kind in _STREAMS and args else None

    def _stream(self, kind: str, args: list[Node], depth: int) -> Value | None:
        """A stream over constant bytes is read as those bytes: `new MemoryStream(b)`, a reader
        over such a stream (`StreamReader`, `BinaryReader`), and `GZipStream`/`DeflateStream`
        opened to decompress one, which gives the decompressed bytes (a page's embedded assembly
        or script kept compressed). A reader given a path or anything else is not folded."""
        data = as_bytes(self.value(args[0], depth + 1))
        if data is None:
            return None
        if kind == "memorystream" and len(args) == 3:  # `new MemoryStream(b, offset, count)`
            start, count = self.value(args[1], depth + 1), self.value(args[2], depth + 1)
            if not isinstance(start, int) or not isinstance(count, int) or min(start, count) < 0:
                return None
            return data[start : start + count] if start + count <= len(data) else None
        if kind in {"memorystream", "streamreader", "binaryreader", "bufferedstream"}:
            return data
        if len(args) < 2 or "decompress" not in text(args[1]).lower():
            return None  # a stream opened to compress, or a mode the folder cannot see
        return inflate(data, gzip=kind == "gzipstream")

    # ------------------------------------------------------------------ calls
    def _call(self, node: Node, depth: int) -> Value | None:
        callee, args = call_parts(node)
        if callee is None:
            return None
        callee = unwrap(callee)
        receiver, name = called(callee)
        lname = name.lower()
        path = dotted(callee).lower()
        if lname == "nameof" and receiver is None and len(args) == 1:
            named = dotted(args[0]).rsplit(".", 1)[-1]  # `nameof(Process.Start)`: "Start"
            return named if named.isidentifier() else None
        fn = self.functions.get(lname) if receiver is None else None
        if fn is not None:
            return self._apply(fn, args, depth)
        if receiver is None and len(args) == 1 and role(callee) is Role.IDENT:
            held = self.value(callee, depth + 1)  # VB's `a(0)` of an array variable (or `s(0)` of a text): its item
            if isinstance(held, (bytes, list)) or (isinstance(held, str) and self.case_blind):
                return _item_at(held, self.value(args[0], depth + 1))
        if lname == "tostring" and receiver is not None and not args:
            built = self._builder(receiver, depth + 1)
            if built is None and self.held_builder is not None and role(unwrap(receiver)) is Role.IDENT:
                built = self.held_builder(node, depth + 1)  # `sb.ToString()` of a builder variable
            if built is not None:
                return built
        if lname == "iif" and receiver is None and len(args) == 3:  # VB's IIf(c, a, b)
            return self._choose(args[0], args[1], args[2], depth)
        if lname == "select" and receiver is not None and len(args) == 1:
            return self._select(receiver, args[0], depth)
        if lname == "where" and receiver is not None and len(args) == 1:
            return self._where(receiver, args[0], depth)
        if lname == "aggregate" and receiver is not None and len(args) in {1, 2}:
            return self._aggregate(receiver, args, depth)
        vals = [self.value(a, depth + 1) for a in args]
        if path.endswith("enumerable.range") and len(vals) == 2:
            start, count = vals
            if not isinstance(start, int) or not isinstance(count, int) or count < 0:
                return None
            if count > MAX_ITEMS:
                raise TooLarge
            return list(range(start, start + count))
        if receiver is not None:
            base = self.value(receiver, depth + 1)
            if base is not None:
                return method(lname, base, vals)
        return function(lname, path, vals)

    def _select(self, receiver: Node, mapper: Node, depth: int) -> Value | None:
        """LINQ `xs.Select(c => (char)(c ^ 5))` (or `(c, i) => ...`) over a folded string or
        array: the list of what the lambda gives for each item (and its index)."""
        walk = self._walk(receiver, mapper, depth)
        if walk is None:
            return None
        fn, items = walk
        out: list[Value] = []
        for i, item in enumerate(items):
            v = self._evaluate(fn, _frame(fn, item, i), depth)
            if v is None:
                return None
            out.append(v)
        return out

    def _walk(self, receiver: Node, lambda_node: Node, depth: int) -> tuple[Callable1, str | list[Value]] | None:
        """The inline lambda of a LINQ call taking an item (and its index), and the folded string
        or array it walks, its items counted against the limits (each costs an evaluation)."""
        fn = inline_lambda(lambda_node)
        if fn is None or len(fn.params) not in {1, 2}:
            return None
        items = self._items(receiver, depth)
        return None if items is None else (fn, items)

    def _items(self, receiver: Node, depth: int) -> str | list[Value] | None:
        """The folded string or array a LINQ method walks, its items counted against the limits
        (each costs an evaluation of the method's lambda)."""
        items = self.value(receiver, depth + 1)
        if not isinstance(items, (str, list)):
            return None
        self._mapped += len(items)
        if len(items) > MAX_ITEMS or self._mapped > MAX_MAPPED:
            raise TooLarge
        return items

    def _where(self, receiver: Node, predicate: Node, depth: int) -> Value | None:
        """LINQ `xs.Where(c => c != '#')` (or `(c, i) => i % 2 == 0`): the items whose condition
        folds to true; None when any condition does not fold."""
        walk = self._walk(receiver, predicate, depth)
        if walk is None:
            return None
        fn, items = walk
        kept: list[Value] = []
        for i, item in enumerate(items):
            truth = self._bound_truth(fn, _frame(fn, item, i), depth)
            if truth is None:
                return None
            if truth:
                kept.append(item)
        return kept

    def _aggregate(self, receiver: Node, args: list[Node], depth: int) -> Value | None:
        """LINQ `xs.Aggregate((a, b) => a + b)` or `Aggregate(seed, (acc, x) => ...)`: the
        accumulated value."""
        fn = inline_lambda(args[-1])
        if fn is None or len(fn.params) != 2:
            return None
        items = self._items(receiver, depth)
        if items is None:
            return None
        acc: Value | None
        rest: Sequence[Value]
        if len(args) == 2:
            acc, rest = self.value(args[0], depth + 1), items
        elif items:
            acc, rest = items[0], items[1:]
        else:
            return None  # an empty sequence without a seed throws
        for item in rest:
            if acc is None:
                return None
            acc = self._evaluate(fn, {fn.params[0]: acc, fn.params[1]: item}, depth)
        return acc

    def _bound_truth(self, fn: Callable1, frame: dict[str, Value | None], depth: int) -> bool | None:
        """`fn`'s body read as a condition with its parameters bound as `frame` says."""
        with self._binding(fn, frame):
            return self._truth(fn.body, depth + 1)

    @contextmanager
    def _binding(self, fn: Callable1, frame: dict[str, Value | None]) -> Iterator[None]:
        """`fn`'s parameters bound as `frame` says while its body is read (and `fn` marked as
        being applied, so a call back into it is no constant)."""
        self.bound.append({k.lower(): v for k, v in frame.items()} if self.case_blind else frame)
        self._active.append(fn)
        try:
            yield
        finally:
            self._active.pop()
            self.bound.pop()

    def _apply(self, fn: Callable1, args: list[Node], depth: int) -> Value | None:
        """The value `fn` returns for `args`; None for a call with another number of arguments
        (an overload the name also covers) or one that reaches `fn` again (recursion: `F()`
        returning `F(new List<T>())` of an overload is no constant, not a bottomless one)."""
        if any(active is fn for active in self._active):
            return None
        fixed = len(fn.params) - 1 if fn.rest and fn.params else len(fn.params)
        if len(args) < fixed or (len(args) != len(fn.params) and not fn.rest):
            return None
        if len(self.bound) > 16:
            raise TooDeep
        values: list[Value] = []
        for arg in args:
            v = self.value(arg, depth + 1)
            if v is None:
                return None
            values.append(v)
        frame: dict[str, Value | None] = dict(zip(fn.params[:fixed], values[:fixed], strict=True))
        if fixed < len(fn.params):
            # `J("", "a", "b")` of `J(string sep, params string[] a)`: the rest as one array, or
            # an array passed as it is
            rest = values[fixed:]
            whole = len(rest) == 1 and isinstance(rest[0], list)
            frame[fn.params[-1]] = rest[0] if whole else rest
        return self._evaluate(fn, frame, depth)

    def _evaluate(self, fn: Callable1, frame: dict[str, Value | None], depth: int) -> Value | None:
        """`fn`'s body with its parameters bound as `frame` says, after its steps: each store
        sets its local in the frame, and one that does not fold leaves it unknown (it hides
        any constant of that name outside the method)."""
        with self._binding(fn, frame):
            local = self.bound[-1]
            for name, op, node in fn.steps:
                key = self._key(name)
                value: Value | None
                if op == "reverse":  # `Array.Reverse(a);`
                    prior = local.get(key)
                    value = prior[::-1] if isinstance(prior, (str, bytes, list)) else None
                elif op == "loop":
                    value = self._looped(node, key, local, depth) if node is not None else None
                else:
                    value = self.value(node, depth + 1) if node is not None else None
                    if value is None and node is not None and role(unwrap(node)) is Role.NEW:
                        value = self._builder(node, depth + 1)  # `var sb = new StringBuilder();`: its text
                    if op in {"+=", "&=", "append"}:  # `r += x;`, `sb.Append(x);`
                        value = _appended(local.get(key), value)
                local[key] = value
            return self.value(fn.body, depth + 1)

    def _looped(self, loop: Node, key: str, local: dict[str, Value | None], depth: int) -> Value | None:
        """What a loop of one append leaves in its accumulator (`foreach (char c in s)
        sb.Append((char)(c ^ k));`, `for (int i = 0; i < s.Length; i++) r += ...;`), the loop
        variable bound to each item or index in turn; None when the loop is not that shape or its
        bounds do not fold. A loop of more than `MAX_ITEMS` turns, or past `MAX_MAPPED` turns in
        all while one value is folded (a helper's loop calling another's multiplies them), raises
        `TooLarge`: the caller reports the value as not folded."""
        spec = loop_spec(loop)
        if spec is None or self._key(spec.accumulator) != key:
            return None
        items: Sequence[Value]
        if spec.collection is not None:
            held = self.value(spec.collection, depth + 1)
            if not isinstance(held, (str, bytes, list)):
                return None
            items = list(held)
        else:
            items_ = self._counted(spec, local, depth)
            if items_ is None:
                return None
            items = items_
        self._turns += len(items)  # each turn costs an evaluation, as a LINQ mapping's item does
        if len(items) > MAX_ITEMS or self._turns > MAX_MAPPED:
            raise TooLarge
        var = self._key(spec.variable)
        value = local.get(key)
        try:
            if spec.store not in {"append", "append-if"}:
                value = self._stored_items(spec, value, items, local, depth)
            else:
                for item in items:
                    local[var] = item
                    self._prelude(spec, local, depth)
                    if spec.store == "append-if":
                        piece = self._branch_piece(spec.appended, depth)
                    else:
                        piece = self.value(spec.appended, depth + 1)
                    value = _appended(value, piece)
                    if value is None:
                        return None
        finally:
            local.pop(var, None)
            for name, _ in spec.prelude:
                local.pop(self._key(name), None)
        if spec.outer and isinstance(items, range):
            local[var] = items.start + len(items) * items.step  # an index declared before the loop lives on
        return value

    def _stored_items(
        self, spec: LoopSpec, held: Value | None, indexes: Sequence[Value], local: dict[str, Value | None], depth: int
    ) -> Value | None:
        """An array after a loop that stores into its item at each index (`b[i] = (byte)(b[i] ^
        k)`, `b[i] ^= key[i % key.Length]`), each store seeing the ones before it; None when an
        index is out of range or a value does not fold or fit."""
        if not isinstance(held, (bytes, list)):
            return None  # (a store into an item needs an index: `_body` gives none over a collection)
        key, var = self._key(spec.accumulator), self._key(spec.variable)
        items: list[Value] = list(held)
        local[key] = items  # `b[i]` on the right reads the array as the loop has left it
        for at in indexes:
            if not isinstance(at, int) or not 0 <= at < len(items):
                return None
            local[var] = at
            self._prelude(spec, local, depth)
            v = self.value(spec.appended, depth + 1)
            if spec.store == "^=":
                prior = items[at]
                v = prior ^ v if isinstance(prior, int) and isinstance(v, int) and not isinstance(v, bool) else None
            if v is None or (isinstance(held, bytes) and (not isinstance(v, int) or not 0 <= v <= 255)):
                return None
            items[at] = v
        return bytes(x for x in items if isinstance(x, int)) if isinstance(held, bytes) else items

    def _branch_piece(self, stmt: Node, depth: int) -> Value | None:
        """What the branch an `if` chain takes this turn appends ("" where no branch is taken),
        or None when a condition does not fold."""
        for condition, statements in _branches(stmt) or ():
            if condition is not None:
                truth = self._truth(condition, depth + 1)
                if truth is None:
                    return None
                if not truth:
                    continue
            piece = _branch_append(statements)
            return self.value(piece[1], depth + 1) if piece is not None else None
        return ""

    def _prelude(self, spec: LoopSpec, local: dict[str, Value | None], depth: int) -> None:
        """The locals a loop's body declares before its append or store, for this turn."""
        for name, node in spec.prelude:
            local[self._key(name)] = self.value(node, depth + 1)

    def _counted(self, spec: LoopSpec, local: dict[str, Value | None], depth: int) -> range | None:
        """The indexes a counted loop runs through, when its start, end and step fold and the
        step goes toward the end (a loop that never ends is no constant)."""
        start = local.get(self._key(spec.variable)) if spec.start is None else self.value(spec.start, depth + 1)
        end = self.value(spec.end, depth + 1) if spec.end is not None else None
        step = 1 if spec.step is None else self.value(spec.step, depth + 1)
        if not isinstance(start, int) or not isinstance(end, int) or not isinstance(step, int) or step == 0:
            return None
        if spec.down:
            step = -step
        if step > 0:
            return range(start, end + 1 if spec.inclusive else end, step)
        return range(start, end - 1 if spec.inclusive else end, step)


# `char.Is...` tests the folder answers for one folded character (ASCII is what decoders test).
_CHAR_TESTS: dict[str, Callable[[str], bool]] = {
    "islower": str.islower,
    "isupper": str.isupper,
    "isletter": str.isalpha,
    "isdigit": str.isdigit,
    "isletterordigit": str.isalnum,
}
# Operators of arithmetic: a `+` among their operands adds numbers (`(c + 13) % 26`).
_ARITHMETIC = frozenset({"-", "*", "/", "%", "^", "|", "<<", ">>", "Mod", "Xor"})
# Casts to number types (C#): a `+` under them adds numbers (`(char)(c + 1)`).
_NUMBER_CASTS = frozenset({"char", "byte", "sbyte", "short", "ushort", "int", "uint", "long", "ulong"})
# Longest `if ... else if ...` chain a loop body may be (each branch one append).
_MAX_BRANCHES = 32
# A sign before a number: C#'s, JavaScript's and VB's unary expressions.
_SIGNED = frozenset({"prefix_unary_expression", "unary_expression"})


def _item_at(held: Value | None, at: Value | None) -> Value | None:
    """The item of a folded string or array at a folded index, when the index is in range."""
    if not isinstance(held, (str, bytes, list)) or not isinstance(at, int):
        return None
    return held[at] if 0 <= at < len(held) else None


# ---------------------------------------------------------------------- literals
_ESCAPES = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{1,4}|[0-7]{1,3}|.)", re.S)
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "uU" and len(e) > 1:
            return _chr(int(e[1:].strip("{}"), 16))
        if e[0] == "x" and len(e) > 1:
            return _chr(int(e[1:], 16))
        if e[0].isdigit() and len(e) > 1:
            return _chr(int(e, 8))
        return _SIMPLE.get(e, e)

    return _ESCAPES.sub(one, body) if "\\" in body else body


def string_literal(node: Node) -> str | None:
    raw = text(node)
    if raw[-3:] in ('"u8', '"U8'):
        raw = raw[:-2]  # C# 11's UTF-8 literal (`"cmd.exe"u8`): the bytes of the text before the suffix
    if node.type == "interpolated_string_expression":
        return None if "{" in raw.replace("{{", "") else _unescape(raw.lstrip("$@")[1:-1])
    if raw.startswith('@"'):
        return raw[2:-1].replace('""', '"')
    if node.type == "raw_string_literal":
        return raw.strip('"')
    # VB's literals sit in a `literal` node. Asked only when the two readings could differ (a
    # backslash, a doubled quote, a delimiter other than `"`: VB's `$"..."` and typographic
    # quotes): a node's parent is found by walking down from the root, so asking it of every
    # item of a long concatenation costs time in the square of its length.
    vb_differs = raw[:1] != '"' or "\\" in raw or '""' in raw[1:-1]
    if vb_differs and node.type == "string_literal" and node.parent is not None and node.parent.type == "literal":
        if raw.startswith("$"):  # VB interpolation: a constant only without holes
            return None if "{" in raw.replace("{{", "") else raw[2:-1].replace('""', '"').replace("{{", "{")
        return raw[1:-1].replace('""', '"')  # VB: "" is a quote, no backslash escapes
    if node.type == "template_string":
        return None if "${" in raw else _unescape(raw[1:-1])
    if len(raw) >= 2 and raw[0] in "\"'":
        return _unescape(raw[1:-1])
    return None


def char_literal(node: Node) -> str | None:
    raw = text(node)
    if raw.endswith(("c", "C")) and raw.startswith('"'):
        return raw[1:-2][:1]
    body = raw[1:-1] if len(raw) >= 2 else ""
    value = _unescape(body)
    return value if len(value) == 1 else None


def int_literal(raw: str) -> int | None:
    t = raw.strip().lower().rstrip("ulsi%&")
    try:
        if t.startswith("&h"):
            return int(t[2:], 16)
        if t.startswith("0x"):
            return int(t[2:], 16)
        return int(t)
    except ValueError:
        return None


def _builder_step(built: str, name: str, vals: list[Value | None]) -> str | None:
    """One `Append(x)`, `Insert(i, x)` or `Replace(a, b)` of a StringBuilder on its text (the
    last two as the string methods of those names do)."""
    if name == "append" and len(vals) == 1:
        piece = _text_of(vals[0])
        return _joined([built, piece]) if piece is not None else None
    if name in {"insert", "replace"} and len(vals) == 2:
        out = method(name, built, vals)
        return out if isinstance(out, str) else None
    return None


def _appended(prior: Value | None, value: Value | None) -> Value | None:
    """A text with another appended, as `+=` and `StringBuilder.Append` do (a number as its
    decimal text); None when either is not text."""
    tail = _text_of(value)
    return prior + tail if isinstance(prior, str) and tail is not None else None


@dataclass(frozen=True, slots=True)
class LoopSpec:
    """A loop whose body is one append to a text: over a collection's items, or an index from
    `start` (None: the value the index holds before a `while` loop) to `end`, by `step` (None:
    one), counting down when `down`; `outer` when the index is a local declared before the loop
    (a `while` loop's always is), which keeps its last value after it."""

    variable: str
    accumulator: str
    appended: Node
    collection: Node | None = None
    start: Node | None = None
    end: Node | None = None
    inclusive: bool = False
    step: Node | None = None
    down: bool = False
    # "append" for `acc += E`; "=" or "^=" for a store into the array's item at the index
    # (`acc[i] = E`, `acc[i] ^= E`)
    store: str = "append"
    prelude: tuple[tuple[str, Node], ...] = ()  # locals the body declares first (`char c = s[i];`)
    outer: bool = False


def loop_spec(loop: Node) -> LoopSpec | None:
    """The shape of a loop that appends one value per turn to a text, or None: C#'s `foreach (T x
    in c)`, `for (int i = a; i < b; i++)` (or `<=`, `++i`, `i += k`, `i = i + k`, and counting
    down with `>`, `>=`, `i--`, `i -= k`) and `while (i < b) { acc += E; i++; }`; VB's `For Each
    x In c`, `For i = a To b [Step k]`, `While i < b ... End While` and `Do While i < b ...
    Loop`; JScript's `for` and `while` alike. Each body is one append, `acc.Append(E)`, `acc +=
    E` or `acc &= E`, and in a `while` loop the index's step after it."""
    if loop.type in {"foreach_statement", "for_each_statement"}:
        csharp = loop.type == "foreach_statement"
        var, coll = loop_parts(loop)
        # (with no index, a body is an append: a store into an item needs one)
        body = _body(_loop_statements(loop.child_by_field_name("body") if csharp else loop), None)
        if var is None or coll is None or body is None or (csharp and var.type != "identifier"):
            return None
        return LoopSpec(text(var), body[0], body[1], collection=coll, store=body[2], prelude=body[3])
    if loop.type == "for_statement":
        return _counted_loop(loop)
    if loop.type in {"while_statement", "do_statement"}:
        return _while_loop(loop)
    return None


def _counted_loop(loop: Node) -> LoopSpec | None:
    """`for (int i = a; i < b; i++) acc += E;` or VB's `For i = a To b [Step k] ... Next`."""
    vb_var = loop.child_by_field_name("variable")
    if vb_var is not None:  # VB: `For i [As Integer] = start To end [Step k]`
        start, end = loop.child_by_field_name("start"), loop.child_by_field_name("end")
        acc = _body(_loop_statements(loop), text(vb_var))
        if start is None or end is None or acc is None:
            return None
        step = loop.child_by_field_name("step")
        outer = not any(c.type == "as_clause" for c in loop.named_children)  # `For i = ...` of a `Dim i` before
        return LoopSpec(
            text(vb_var),
            acc[0],
            acc[1],
            start=start,
            end=end,
            inclusive=True,
            step=step,
            store=acc[2],
            prelude=acc[3],
            outer=outer,
        )
    init, cond = loop.child_by_field_name("initializer"), loop.child_by_field_name("condition")
    update = loop.child_by_field_name("update") or loop.child_by_field_name("increment")  # C#, JavaScript
    if init is None or cond is None or update is None:
        return None
    body = _loop_statements(loop.child_by_field_name("body"))
    set_before = statement_value(init)
    if role(set_before) is Role.ASSIGN and operator(set_before) == "=":  # `for (i = 0; ...)` of an `int i;` before
        left, start = set_before.child_by_field_name("left"), set_before.child_by_field_name("right")
        if left is None or start is None or role(unwrap(left)) is not Role.IDENT:
            return None
        return _indexed(text(unwrap(left)), start, body, cond, update, outer=True)
    if init.type != "variable_declaration":
        return None
    declarators = [c for c in init.named_children if c.type == "variable_declarator"]
    if len(declarators) != 1 or declarators[0].named_child_count != 2:
        return None
    var, start = text(declarators[0].named_children[0]), declarators[0].named_children[1]
    return _indexed(var, start, body, cond, update)


def _while_loop(loop: Node) -> LoopSpec | None:
    """`while (i < b) { acc += E; i++; }`, VB's `While i < b` and `Do While i < b` with the same
    two statements: the index starts at what it holds before the loop."""
    cond = loop.child_by_field_name("condition")
    if loop.type == "do_statement":  # VB's `Do While c ... Loop`; not `Do Until`, nor a test after the body
        words = text(loop).split(None, 2)
        if len(words) < 2 or words[0].lower() != "do" or words[1].lower() != "while":
            return None
        cond = next((c for c in loop.named_children if c.type == "expression"), None)
    if cond is None:
        return None
    body = loop.child_by_field_name("body")
    stmts = _loop_statements(body if body is not None else loop)
    if len(stmts) < 2:
        return None
    left = unwrap(cond)
    left = left.child_by_field_name("left") or (left.named_children[0] if left.named_child_count else left)
    return _indexed(text(unwrap(left)), None, stmts[:-1], cond, stmts[-1], outer=True)


def _indexed(
    var: str, start: Node | None, stmts: list[Node], cond: Node, step: Node, outer: bool = False
) -> LoopSpec | None:
    """A loop over the index `var` from `start` (None: what it holds before the loop) while
    `cond` holds, stepped by `step` (a `for` loop's update, or a `while` loop's last statement),
    whose body is `stmts`; `outer` when the index is declared before the loop. None unless the
    test and the step go the same way."""
    acc = _body(stmts, var)
    bound = _bound(cond, var)
    stepped = _index_step(step, var)
    if acc is None or bound is None or stepped is None or bound[2] != stepped[1] or acc[0] == var:
        return None
    return LoopSpec(
        var,
        acc[0],
        acc[1],
        start=start,
        end=bound[0],
        inclusive=bound[1],
        step=stepped[0],
        down=bound[2],
        store=acc[2],
        prelude=acc[3],
        outer=outer,
    )


def _body(stmts: list[Node], index: str | None) -> tuple[str, Node, str, tuple[tuple[str, Node], ...]] | None:
    """(target, value, store, prelude) of a loop body: locals declared with a value (at most
    four, none named as the index), then one append to a text (store "append"), or, in a loop
    over an `index`, one store into an array's item at it (`b[i] = E`, C#'s and JScript's
    `b[i] ^= E`)."""
    if not stmts or len(stmts) > 5:
        return None
    prelude: list[tuple[str, Node]] = []
    for stmt in stmts[:-1]:
        declared = _declared(stmt)
        if declared is None or any(name == index for name, _ in declared):
            return None
        prelude += declared
    acc = accumulation(stmts[-1])
    branched = _branch_target(stmts[-1]) if acc is None else None
    if acc is not None:
        body = acc[0], acc[1], "append"
    elif branched is not None:
        body = branched, stmts[-1], "append-if"  # `if (...) r += a; else r += b;`
    else:
        stored = _item_store(stmts[-1], index) if index is not None else None
        if stored is None:
            return None
        body = stored
    if any(name in {body[0], index} for name, _ in prelude):
        return None
    return body[0], body[1], body[2], tuple(prelude)


def _vb_xor_store(node: Node) -> tuple[Node, Node] | None:
    """(item, key) of VB's `b(i) = b(i) Xor k` as a statement, which the grammar reads `(b(i) =
    b(i)) Xor k` (Xor binds looser than a comparison): the store `b(i) ^= k`."""
    kids = node.named_children
    if role(node) is not Role.BINARY or operator(node).lower() != "xor" or len(kids) != 2:
        return None
    compared = unwrap(kids[0])
    pair = compared.named_children
    if role(compared) is not Role.BINARY or operator(compared) != "=" or len(pair) != 2:
        return None
    return (pair[0], kids[1]) if text(unwrap(pair[0])) == text(unwrap(pair[1])) else None


def _branch_target(stmt: Node) -> str | None:
    """The accumulator every branch of an `if` chain appends to, one append per branch (C#'s and
    JScript's `if ... else if ... else`, VB's `If ... ElseIf ... Else ... End If`; a chain
    without a final `else` appends nothing on that turn), or None."""
    targets: set[str] = set()
    for _condition, statements in _branches(stmt) or [(None, [])]:
        piece = _branch_append(statements)
        if piece is None:
            return None
        targets.add(piece[0])
    return targets.pop() if len(targets) == 1 else None


def _branches(stmt: Node) -> list[tuple[Node | None, list[Node]]] | None:
    """The branches of an `if` chain in order: (condition, or None for the final `else`; the
    branch's statements). None when `stmt` is no `if` or the chain is longer than
    `_MAX_BRANCHES`."""
    if stmt.type != "if_statement" or stmt.child_by_field_name("condition") is None:
        return None
    if stmt.child_by_field_name("consequence") is None:
        return _vb_branches(stmt)
    out: list[tuple[Node | None, list[Node]]] = []
    while len(out) < _MAX_BRANCHES:
        out.append((stmt.child_by_field_name("condition"), _loop_statements(stmt.child_by_field_name("consequence"))))
        alternative = _else_of(stmt)
        if alternative is None:
            return out
        if alternative.type != "if_statement" or alternative.child_by_field_name("condition") is None:
            out.append((None, _loop_statements(alternative)))
            return out
        stmt = alternative
    return None


def _vb_branches(stmt: Node) -> list[tuple[Node | None, list[Node]]] | None:
    """VB's `If c Then ... ElseIf d Then ... Else ... End If`: the statements of each part are
    children of the `If` itself, of an `elseif_clause` and of the `else_clause`; a one-line
    `If c Then x &= a Else x &= b` holds them in its `then_branch` and `else_branch`."""
    condition = stmt.child_by_field_name("condition")
    then = stmt.child_by_field_name("then_branch")
    out: list[tuple[Node | None, list[Node]]]
    if then is not None:
        out = [(condition, _inline_statements(then))]
        otherwise = stmt.child_by_field_name("else_branch")
        return out if otherwise is None else [*out, (None, _inline_statements(otherwise))]
    out = [(condition, _statements_of(stmt))]
    for clause in stmt.named_children:
        if clause.type == "elseif_clause":
            test = clause.child_by_field_name("condition")
            if test is None:
                return None
            out.append((test, _statements_of(clause)))
        elif clause.type == "else_clause":
            out.append((None, _statements_of(clause)))
    return out if len(out) <= _MAX_BRANCHES else None


def _statements_of(part: Node) -> list[Node]:
    """The statements a VB `If`, `ElseIf` or `Else` part holds, wrappers opened."""
    kids = [c for c in part.named_children if c.type == "statement"]
    return [k.named_children[0] if k.named_child_count == 1 else k for k in kids]


def _inline_statements(part: Node) -> list[Node]:
    """The statements of a one-line VB `If`'s `Then` or `Else` part (`a = 1 : b = 2`)."""
    return [c for c in part.named_children if c.type == "inline_statement"]


def _else_of(stmt: Node) -> Node | None:
    """The statement of an `if`'s `else` (JScript wraps it in an `else_clause`)."""
    alternative = stmt.child_by_field_name("alternative")
    if alternative is not None and alternative.type == "else_clause":
        return alternative.named_children[0] if alternative.named_child_count == 1 else None
    return alternative


def _branch_append(kids: list[Node]) -> tuple[str, Node] | None:
    """The one append a branch of an `if` makes (its statements: one, or a block of one)."""
    return accumulation(kids[0]) if len(kids) == 1 else None


def _declared(stmt: Node) -> list[tuple[str, Node]] | None:
    """(name, value) of each local a declaration statement declares with a value (`char c =
    s[i];`, JScript's `var c = ...`, VB's `Dim c As Char = s(i)`), or None for another statement."""
    if stmt.type == "local_declaration_statement":
        stmt = next((c for c in stmt.named_children if c.type == "variable_declaration"), stmt)
    if stmt.type in {"variable_declaration", "lexical_declaration"}:
        out: list[tuple[str, Node]] = []
        for d in (c for c in stmt.named_children if c.type == "variable_declarator"):
            name = d.child_by_field_name("name") or (d.named_children[0] if d.named_child_count else None)
            value = d.child_by_field_name("value") or (d.named_children[-1] if d.named_child_count == 2 else None)
            if name is None or value is None or name.type != "identifier":
                return None
            out.append((text(name), value))
        return out or None
    if stmt.type == "dim_statement":
        name, value = stmt.child_by_field_name("name"), stmt.child_by_field_name("initializer")
        return [(text(name), value)] if name is not None and value is not None else None
    return None


def _item_store(stmt: Node, index: str) -> tuple[str, Node, str] | None:
    """(array, value, "=" or "^=") of `b[i] = E` or `b[i] ^= E` (VB's `b(i) = E`; VB's `^=` is a
    power, not an XOR), at the loop's index."""
    if stmt.type == "compound_assignment_statement":
        return None
    node = statement_value(stmt)
    op = operator(node)
    vb_xor = _vb_xor_store(node)
    left: Node | None
    right: Node | None
    if vb_xor is not None:
        left, right, op = vb_xor[0], vb_xor[1], "^="
    else:
        if role(node) not in {Role.ASSIGN, Role.BINARY} or op not in {"=", "^="}:
            return None
        left, right = _sides(node)
    if left is None or right is None:
        return None
    left = unwrap(left)
    base, keys = (
        index_parts(left) if role(left) is Role.INDEX else call_parts(left) if role(left) is Role.CALL else (None, [])
    )
    if base is None or role(unwrap(base)) is not Role.IDENT or len(keys) != 1 or text(unwrap(keys[0])) != index:
        return None
    return text(unwrap(base)), right, op


def _bound(cond: Node, var: str) -> tuple[Node, bool, bool] | None:
    """(end, inclusive, counting down) of a loop's test `var < end` (`<=`, `>`, `>=`)."""
    cond = unwrap(cond)
    left, end = _sides(cond)
    op = operator(cond)
    if role(cond) is not Role.BINARY or op not in {"<", "<=", ">", ">="} or left is None or end is None:
        return None
    if text(unwrap(left)) != var:
        return None
    return end, op in {"<=", ">="}, op in {">", ">="}


def _index_step(node: Node, var: str) -> tuple[Node | None, bool] | None:
    """(step, counting down) of `i++`, `++i`, `i--`, `i += k`, `i -= k`, `i = i + k` or `i = i -
    k` (a statement or a `for` loop's update; the step None for one), or None."""
    node = statement_value(node)
    flat = "".join(text(node).split()).rstrip(";")
    if flat in {f"{var}++", f"++{var}"}:
        return None, False
    if flat in {f"{var}--", f"--{var}"}:
        return None, True
    op = operator(node)
    left, right = _sides(node)
    if left is None or right is None or text(unwrap(left)) != var:
        return None
    if op in {"+=", "-="}:
        return right, op == "-="
    if op == "=":  # `i = i + k`, VB's `i = i + k` read as a comparison
        right = unwrap(right)
        kids = right.named_children
        if (
            role(right) is Role.BINARY
            and operator(right) in {"+", "-"}
            and len(kids) == 2
            and text(unwrap(kids[0])) == var
        ):
            return kids[1], operator(right) == "-"
    return None


def _sides(node: Node) -> tuple[Node | None, Node | None]:
    """The left and right operands of an assignment or a binary expression: by field, or by
    position where VB's grammar gives its two operands none."""
    left, right = inline_parts(node)
    if left is None and node.named_child_count == 2:
        left, right = node.named_children
    return left, right


def _loop_statements(body: Node | None) -> list[Node]:
    """The statements of a loop's body (a block, or VB's statements in the loop), comments left
    out and VB's `statement` wrappers opened."""
    if body is None:
        return []
    if body.type in {"block", "statement_block"}:
        kids = [c for c in body.named_children if c.type != "comment"]
    elif body.type in {"for_each_statement", "for_statement", "while_statement", "do_statement"}:
        kids = _statements_of(body)
    else:
        kids = [body]
    kids = [k.named_children[0] if k.type == "statement" and k.named_child_count == 1 else k for k in kids]
    return [k for k in kids if k.type != "empty_statement"]  # (VB's line ends after a one-line `If`)


def accumulation(stmt: Node) -> tuple[str, Node] | None:
    """(accumulator, appended value) of a statement that appends to a text held in a plain name:
    `acc.Append(E);`, `acc += E;`, `acc = acc + E;`, VB's `acc &= E`, `acc = acc & E` and
    `acc.Append(E)`."""
    stmt = statement_value(stmt)
    r = role(stmt)
    if r is Role.CALL:
        callee, args = call_parts(stmt)
        if callee is None or role(unwrap(callee)) is not Role.MEMBER or len(args) != 1:
            return None
        receiver, name = called(unwrap(callee))
        if receiver is None or role(receiver) is not Role.IDENT or name.lower() != "append":
            return None
        return text(receiver), args[0]
    if r in {Role.ASSIGN, Role.BINARY} and operator(stmt) in {"+=", "&=", "="}:
        left, right = stmt.child_by_field_name("left"), stmt.child_by_field_name("right")
        if left is None and stmt.named_child_count >= 2:
            left, right = stmt.named_children[0], stmt.named_children[-1]
        if left is None or right is None or role(unwrap(left)) is not Role.IDENT:
            return None
        if operator(stmt) != "=":
            return text(unwrap(left)), right
        # `acc = acc + E`, VB's `acc = acc & E`: the same append written out
        joined = unwrap(right)
        if role(joined) is Role.BINARY and operator(joined) in {"+", "&"} and joined.named_child_count == 2:
            first, appended = joined.named_children
            if text(unwrap(first)) == text(unwrap(left)):
                return text(unwrap(left)), appended
    return None


def _text_of(v: Value | None) -> str | None:
    """A value as the text it stands for in a string, integers in decimal."""
    return str(v) if isinstance(v, int) else as_text(v)


def _as_texts(items: Sequence[Value | None]) -> list[str] | None:
    """Strings as they are and integers in decimal; None when any item is something else."""
    out: list[str] = []
    for x in items:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, int):
            out.append(str(x))
        else:
            return None
    return out


def _joined(parts: list[str], sep: str = "") -> str:
    """`sep.join(parts)`; `TooLarge` when it would be longer than `MAX_VALUE` (measured first)."""
    if sum(len(p) for p in parts) + len(sep) * max(len(parts) - 1, 0) > MAX_VALUE:
        raise TooLarge
    return sep.join(parts)


def replaced(s: str, old: str, new: str) -> str | None:
    """`s.replace(old, new)`, or None for an empty `old`; `TooLarge` for a result longer than
    `MAX_VALUE` (a short page can replace each letter of a long string with another long one)."""
    if not old:
        return None
    if len(s) + s.count(old) * (len(new) - len(old)) > MAX_VALUE:
        raise TooLarge
    return s.replace(old, new)


def _chr(code: int) -> str:
    return chr(code) if 0 <= code <= 0x10FFFF else "?"


# ---------------------------------------------------------------------- operations
def as_text(v: Value | None) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, list) and v and all(isinstance(x, (str, int)) for x in v):
        return "".join(x if isinstance(x, str) else _chr(x) if isinstance(x, int) else "" for x in v)
    return None


# Streams the folder reads as the constant bytes they are opened over (see `Folder._stream`).
_STREAMS = frozenset({"memorystream", "gzipstream", "deflatestream", "streamreader", "binaryreader", "bufferedstream"})


def inflate(data: bytes, gzip: bool) -> bytes | None:
    """GZip or raw deflate data decompressed, as .NET's GZipStream and DeflateStream read it;
    None when it is not such data. Output is bounded by `MAX_VALUE` (`TooLarge` past it): a few
    bytes of a page can decompress to gigabytes."""
    inflater = zlib.decompressobj(31 if gzip else -15)
    try:
        out = inflater.decompress(data, MAX_VALUE + 1)
    except zlib.error:
        return None
    if len(out) > MAX_VALUE:
        raise TooLarge
    return out


def as_bytes(v: Value | None) -> bytes | None:
    if isinstance(v, bytes):
        return v
    if isinstance(v, list) and all(isinstance(x, int) for x in v):
        return bytes(x & 0xFF for x in v if isinstance(x, int))
    return None


def combine(op: str, values: list[Value]) -> Value | None:
    if op in {"+", "&"} and any(isinstance(v, str) for v in values):
        parts = _as_texts(values)
        return _joined(parts) if parts is not None else None
    if op not in {"+", "&"}:
        # A char in arithmetic is its code (`c ^ 5`, `c - 1`): a string supports none of these.
        values = [ord(v) if isinstance(v, str) and len(v) == 1 else v for v in values]
    if all(isinstance(v, int) for v in values):
        ints = [v for v in values if isinstance(v, int)]
        acc = ints[0]
        for v in ints[1:]:
            if op == "+":
                acc += v
            elif op == "-":
                acc -= v
            elif op == "*":
                acc *= v
            elif op in {"^", "Xor"}:
                acc ^= v
            elif op in {"|", "Or"}:
                acc |= v
            elif op in {"&", "And"}:
                acc &= v
            elif op in {"%", "Mod"} and v != 0:
                acc = abs(acc) % abs(v) * (-1 if acc < 0 else 1)  # the sign of the dividend, as C# and JS give it
            else:
                return None
            if abs(acc) > 1 << 32:
                return None
        return acc
    return None


def decode_base64(s: str) -> bytes | None:
    try:
        return base64.b64decode(s.strip() + "=" * (-len(s.strip()) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None


def _decode(data: bytes, encoding_path: str) -> str:
    if "unicode" in encoding_path or "utf16" in encoding_path or "utf-16" in encoding_path:
        return data.decode("utf-16-le", "replace")
    if "utf32" in encoding_path:
        return data.decode("utf-32-le", "replace")
    return data.decode("utf-8", "replace")


# The integer types whose `Parse` folds, by the names C# and VB give them: their ranges.
_NUMBER_TYPES = {
    "byte": (0, 255),
    "sbyte": (-128, 127),
    "short": (-(2**15), 2**15 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "ushort": (0, 2**16 - 1),
    "uint16": (0, 2**16 - 1),
    "int": (-(2**31), 2**31 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "uint": (0, 2**32 - 1),
    "uint32": (0, 2**32 - 1),
    "long": (-(2**63), 2**63 - 1),
    "int64": (-(2**63), 2**63 - 1),
}


# Which type a static function must be called on (its last segment before the name, "" when
# called bare): an instance method of a value the folder cannot see, as `now.ToString("N")` or
# `list.Concat(more)`, is not the static function of that name and folds to nothing.
_OWNERS = {
    "tostring": frozenset({"", "convert", "conversions"}),
    "cstr": frozenset({""}),
    "concat": frozenset({"string"}),
    "join": frozenset({"", "string", "strings", "visualbasic"}),
    "format": frozenset({"string"}),
}


def function(name: str, path: str, vals: list[Value | None]) -> Value | None:
    """Static and global functions over folded arguments."""
    owners = _OWNERS.get(name)
    if owners is not None and path.removesuffix(name).rstrip(".").rsplit(".", 1)[-1] not in owners:
        return None
    if any(v is None for v in vals) and name not in {"concat"}:
        return None
    first = vals[0] if vals else None
    if name == "concat":
        if any(v is None for v in vals):
            return None
        flat: list[Value | None] = []
        for v in vals:
            flat.extend(v if isinstance(v, list) else [v])
        parts = [_text_of(v) for v in flat]
        return _joined([p for p in parts if p is not None]) if all(p is not None for p in parts) else None
    if name == "join" and len(vals) in {1, 2} and isinstance(first, list):  # VB's Join(array[, separator])
        sep = vals[1] if len(vals) == 2 else " "
        texts = _as_texts(first)
        return _joined(texts, sep) if texts is not None and isinstance(sep, str) else None
    if name == "join" and len(vals) >= 2 and isinstance(first, str):
        items = vals[1] if len(vals) == 2 and isinstance(vals[1], list) else vals[1:]
        texts = _as_texts(items)
        return _joined(texts, first) if texts is not None else None
    if name == "format" and isinstance(first, str):
        args = vals[1:] if not (len(vals) == 2 and isinstance(vals[1], list)) else vals[1]
        out = first
        for i, a in enumerate(args):
            hole = re.compile(r"\{" + str(i) + r"(?:[,:][^}]*)?\}")
            if len(out) + len(hole.findall(out)) * len(str(a)) > MAX_VALUE:
                raise TooLarge
            out = hole.sub(lambda _m, a=a: str(a), out)  # type: ignore[misc]
        return out.replace("{{", "{").replace("}}", "}")
    if name == "frombase64string" and isinstance(first, str):
        return decode_base64(first)
    if name == "fromhexstring" and isinstance(first, str):
        try:
            return bytes.fromhex(first)
        except ValueError:
            return None
    if name in {"chr", "chrw", "tochar", "fromcharcode", "convertfromutf32"}:
        if all(isinstance(v, int) for v in vals):
            return "".join(_chr(v) for v in vals if isinstance(v, int))
        return None
    if name in {"toint32", "toint16", "tobyte", "touint16"} and len(vals) == 2 and isinstance(first, str):
        base = vals[1]
        if base not in {2, 8, 16}:
            return None
        try:
            parsed = int(first.strip(), base) if isinstance(base, int) else None
        except ValueError:
            return None
        return parsed & 0xFF if name == "tobyte" and parsed is not None else parsed
    owner = path.removesuffix(f".{name}").rsplit(".", 1)[-1]
    if name == "parse" and owner in _NUMBER_TYPES and isinstance(first, str) and len(vals) == 1:
        try:
            number = int(first.strip())  # `int.Parse("83")`: decimal, with a sign and spaces around
        except ValueError:
            return None
        low, high = _NUMBER_TYPES[owner]
        return number if low <= number <= high else None
    if name == "cbyte" and isinstance(first, int) and not isinstance(first, bool):
        return first if 0 <= first <= 255 else None  # VB's CByte: out of range it throws
    if name in {"toint32", "toint16", "tobyte", "asc", "ascw", "cint"} and isinstance(first, (int, str)):
        if isinstance(first, int):
            return first
        if len(first) == 1:
            return ord(first)
        return int_literal(first)
    if name == "strreverse" and isinstance(first, str):
        return first[::-1]
    if name == "replace" and path.endswith("regex.replace") and len(vals) == 3:
        pattern, replacement = vals[1], vals[2]
        plain = isinstance(pattern, str) and pattern and not _REGEX_SPECIAL.search(pattern)
        if isinstance(first, str) and plain and isinstance(replacement, str) and "$" not in replacement:
            return replaced(first, str(pattern), replacement)  # a pattern without metacharacters is plain text
        return None
    if isinstance(first, str) and path in _vb_paths(name) and (vb := _vb_string(name, first, vals[1:])) is not None:
        return vb
    if name == "len" and len(vals) == 1 and isinstance(first, str) and path in _vb_paths(name):
        return len(first)  # VB's `Len(s)`
    if name == "split" and isinstance(first, str) and path in _vb_paths(name) and 1 <= len(vals) <= 3:
        return _vb_split(first, vals[1:])  # VB's `Split(s[, delimiter[, limit]])`
    if name == "space" and len(vals) == 1 and isinstance(first, int) and path in _vb_paths(name):
        return " " * first if 0 <= first <= _MAX_SPACE else None  # VB's `Space(n)`
    if name == "reverse" and path.startswith("array.") and isinstance(first, list):
        return first[::-1]
    if name == "htmldecode" and isinstance(first, str):
        return html.unescape(first)
    if name == "unescape" and path.endswith("regex.unescape"):
        return _regex_unescaped(first) if isinstance(first, str) else None
    if name in {
        "unescape",
        "decodeuricomponent",
        "decodeuri",
        "urldecode",
        "unescapedatastring",
        "unescapeuristring",
    } and isinstance(first, str):
        text_ = re.sub(r"%u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), first)
        return urllib.parse.unquote(text_)
    if name in {"getstring"} and (data := as_bytes(first)) is not None:
        return _decode(data, path)
    if name == "getbytes" and isinstance(first, str):
        return first.encode("utf-16-le" if "unicode" in path else "utf-8", "replace")
    if name in {"cstr", "tostring"} and isinstance(first, (str, int)):
        return str(first)
    return None


_REGEX_SPECIAL = re.compile(r"[\\^$.|?*+()\[\]{}]")
# .NET's `Regex.Unescape`: `\xHH`, `\uHHHH`, octal `\0`-`\777`, `\cX` and the letter escapes; a
# backslash before any other character stands for that character.
_REGEX_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|([0-7]{1,3})|c([A-Za-z])|(.))", re.S)
_REGEX_LETTERS = {"a": "\a", "b": "\b", "t": "\t", "r": "\r", "v": "\v", "f": "\f", "n": "\n", "e": "\x1b"}


def _regex_unescaped(text_: str) -> str | None:
    """What `Regex.Unescape` gives for a text, or None for a backslash at its end (an error)."""
    if text_.endswith("\\") and (len(text_) - len(text_.rstrip("\\"))) % 2:
        return None

    def one(m: re.Match[str]) -> str:
        hex2, hex4, octal, control, other = m.groups()
        if hex2 or hex4:
            return chr(int(hex2 or hex4, 16))
        if octal:
            return chr(int(octal, 8) & 0xFF)
        if control:
            return chr(ord(control.upper()) - 64)
        return _REGEX_LETTERS.get(other, other)

    return _REGEX_ESCAPE.sub(one, text_)


_MAX_SPACE = 4096  # VB's `Space(n)` folded up to this many spaces (names and commands are short)


def _vb_split(s: str, rest: list[Value | None]) -> list[Value] | None:
    """VB's `Split(s, delimiter, limit)`: the delimiter is a space when left out, and a whole
    string (not a set of characters); an empty one gives the string whole; a limit of -1 is none."""
    delimiter = rest[0] if rest else " "
    limit = rest[1] if len(rest) > 1 else -1
    if not isinstance(delimiter, str) or not isinstance(limit, int) or isinstance(limit, bool):
        return None
    if limit == 0:
        return []
    if delimiter == "":
        return [s]
    parts = s.split(delimiter, limit - 1) if limit > 0 else s.split(delimiter)
    return list(parts)


def _vb_paths(name: str) -> tuple[str, ...]:
    """How a VB string function is written: bare, or through its module."""
    return (name, f"strings.{name}", f"microsoft.visualbasic.strings.{name}", f"microsoft.visualbasic.{name}")


def _vb_string(name: str, s: str, rest: list[Value | None]) -> str | None:
    """VB's string functions (`Mid`, `Left`, `Right`, `Replace`, `LCase`, `UCase`, `Trim`),
    whose positions count from 1."""
    a = rest[0] if rest else None
    b = rest[1] if len(rest) > 1 else None
    if name == "mid" and isinstance(a, int) and a >= 1:
        return s[a - 1 : a - 1 + b] if isinstance(b, int) and b >= 0 else s[a - 1 :]
    if name == "left" and isinstance(a, int) and len(rest) == 1:
        return s[: max(a, 0)]
    if name == "right" and isinstance(a, int) and len(rest) == 1:
        return s[len(s) - a :] if 0 < a <= len(s) else s if a > len(s) else ""
    if name == "replace" and len(rest) == 2 and isinstance(a, str) and isinstance(b, str):
        return replaced(s, a, b)
    if rest:
        return None
    if name == "lcase":
        return s.lower()
    if name == "ucase":
        return s.upper()
    if name == "trim":
        return s.strip(" ")
    if name == "ltrim":
        return s.lstrip(" ")
    if name == "rtrim":
        return s.rstrip(" ")
    return None


def method(name: str, base: Value, vals: list[Value | None]) -> Value | None:
    """Instance methods on a folded receiver."""
    if any(v is None for v in vals):
        return None
    s = as_text(base) if not isinstance(base, bytes) else None
    a = vals[0] if vals else None
    b = vals[1] if len(vals) > 1 else None
    if name in {"tostring", "toarray", "tochararray", "tolist", "valueof", "clone"}:
        if name == "tochararray" and isinstance(base, str):
            return list(base)
        return base
    if isinstance(base, bytes) and name in {"readtoend", "getbuffer", "readbytes"}:
        # a constant stream read to its end (`StreamReader.ReadToEnd` as text, UTF-8 as its
        # default), its buffer, or its first bytes (`BinaryReader.ReadBytes(n)`)
        if name == "readtoend":
            wide = base.startswith((b"\xff\xfe", b"\xfe\xff"))
            return base.decode("utf-16" if wide else "utf-8-sig", "replace")
        if name == "readbytes":
            return base[:a] if isinstance(a, int) and a >= 0 else None
        return base
    if name == "reverse":
        if isinstance(base, (str, list)):
            return base[::-1]
        return None
    if isinstance(base, (str, list)) and (picked := _picked(name, base, vals)) is not None:
        return picked
    if name == "join" and isinstance(base, list):
        sep = a if isinstance(a, str) else ","
        texts = _as_texts(base)
        return _joined(texts, sep) if texts is not None else None
    if name == "concat" and isinstance(base, str):
        return _joined([base, *(x if isinstance(x, str) else str(x) for x in vals if isinstance(x, (str, int)))])
    if s is None:
        return None
    if name == "replace" and isinstance(a, str) and isinstance(b, str):
        return replaced(s, a, b)
    if name in {"substring", "substr"} and isinstance(a, int):
        if isinstance(b, int):
            return s[a : a + b]
        return s[a:]
    if name == "slice" and isinstance(a, int):
        return s[a : b if isinstance(b, int) else None]
    if name == "remove" and isinstance(a, int):
        return s[:a] + (s[a + b :] if isinstance(b, int) else "")
    if name == "insert" and isinstance(a, int) and isinstance(b, str):
        return _joined([s[:a], b, s[a:]])
    if name in {"tolower", "tolowerinvariant", "tolowercase"}:
        return s.lower()
    if name in {"toupper", "toupperinvariant", "touppercase"}:
        return s.upper()
    if name in {"trim", "trimstart", "trimend"}:
        # `Trim('x')`, `Trim('x', 'y')`, `TrimStart(chars)`: the characters given, else white space
        chars: list[str] = []
        for v in vals:
            if isinstance(v, str):
                chars.append(v)
            elif isinstance(v, list) and all(isinstance(x, str) for x in v):
                chars.extend(x for x in v if isinstance(x, str))
            else:
                return None
        strip = {"trim": s.strip, "trimstart": s.lstrip, "trimend": s.rstrip}[name]
        return strip("".join(chars)) if chars else strip()
    if name in {"padleft", "padright"} and isinstance(a, int) and (b is None or (isinstance(b, str) and len(b) == 1)):
        if a > MAX_VALUE:
            raise TooLarge
        fill = b if isinstance(b, str) else " "
        return s.rjust(a, fill) if name == "padleft" else s.ljust(a, fill)
    if name == "split":
        pieces: list[Value] = list(s) if a == "" else list(s.split(a if isinstance(a, str) else None))
        return pieces
    if name == "charat" and isinstance(a, int):
        return s[a : a + 1]
    if name == "charcodeat" and (a is None or isinstance(a, int)):  # JavaScript: the code of one character
        at = a or 0
        return ord(s[at]) if 0 <= at < len(s) else None
    return None


def _picked(name: str, base: str | list[Value], vals: list[Value | None]) -> Value | None:
    """LINQ's `Skip(n)`, `Take(n)`, `ElementAt(i)`, `First()`, `Last()` on a folded string or
    array (a string's items are its characters, as LINQ walks them)."""
    items: list[Value] = list(base) if isinstance(base, str) else base
    n = vals[0] if len(vals) == 1 else None
    if name in {"skip", "take"} and isinstance(n, int):
        return items[max(n, 0) :] if name == "skip" else items[: max(n, 0)]
    if name == "elementat" and isinstance(n, int) and 0 <= n < len(items):
        return items[n]
    if name in {"first", "last"} and not vals and items:
        return items[0] if name == "first" else items[-1]
    return None


_B64 = re.compile(r"^[A-Za-z0-9+/]{16,}={0,2}$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2}){8,}$")


def decode_literal(s: str) -> str | None:
    """A base64 or hex literal's text, when it decodes to printable text (else None)."""
    data: bytes | None = None
    if _HEX.match(s):
        data = bytes.fromhex(s)
    elif _B64.match(s) and len(s) % 4 == 0:
        data = decode_base64(s)
    if not data:
        return None
    if data[1:2] == b"\0":
        t = data.decode("utf-16-le", "replace")
    else:
        t = data.decode("utf-8", "replace")
    printable = sum(1 for ch in t if ch.isprintable() or ch in "\r\n\t")
    return t if printable >= 0.95 * len(t) else None


def show(v: Value, limit: int = 200) -> str:
    """A folded value as shown in a finding."""
    if isinstance(v, bytes):
        if v[:2] == b"MZ":
            return f"<{len(v)} bytes: a Windows executable (MZ)>"
        decoded = v.decode("utf-8", "replace")
        if sum(ch.isprintable() for ch in decoded) >= 0.9 * max(1, len(decoded)):
            return decoded[:limit]
        return f"<{len(v)} bytes>"
    t: str | None = as_text(v) if isinstance(v, list) else str(v) if isinstance(v, int) else v
    if t is None:
        return f"<array of {len(v) if isinstance(v, list) else 0}>"
    return t[:limit] + ("..." if len(t) > limit else "")
