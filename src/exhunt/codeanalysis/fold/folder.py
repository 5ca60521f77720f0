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

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from exhunt.codeanalysis.fold.library import builder_step, function, method
from exhunt.codeanalysis.fold.literals import char_literal, int_literal, string_literal, unescape
from exhunt.codeanalysis.fold.loops import LoopSpec, branch_append, branches, loop_spec
from exhunt.codeanalysis.fold.values import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_MAPPED,
    MAX_VALUE,
    TooDeep,
    TooLarge,
    TooSlow,
    Value,
    as_bytes,
    as_text,
    char_of,
    combine,
    inflate,
    joined_text,
    text_of,
)
from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    called,
    dotted,
    index_parts,
    lambda_params,
    last_name,
    member_parts,
    operator,
    role,
    text,
    unwrap,
)

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


# A sign before a number: C#'s, JavaScript's and VB's unary expressions.
_SIGNED = frozenset({"prefix_unary_expression", "unary_expression"})


# Streams the folder reads as the constant bytes they are opened over (see `Folder._stream`).
_STREAMS = frozenset({"memorystream", "gzipstream", "deflatestream", "streamreader", "binaryreader", "bufferedstream"})


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
                out.append(piece.replace('""', '"') if verbatim else unescape(piece))
            elif child.type == "escape_sequence":
                out.append(unescape(text(child)))
            elif child.type == "interpolation":
                inner = [c for c in child.named_children if c.type != "interpolation_brace"]
                if len(inner) != 1:
                    return None
                v = self.value(inner[0], depth + 1)
                hole = text_of(v)
                if hole is None:
                    return None
                out.append(hole)
            else:
                return None
        return joined_text(out)

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
                    built = builder_step(built, name, vals)
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
                return char_of(v)
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
        for condition, statements in branches(stmt) or ():
            if condition is not None:
                truth = self._truth(condition, depth + 1)
                if truth is None:
                    return None
                if not truth:
                    continue
            piece = branch_append(statements)
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


def _item_at(held: Value | None, at: Value | None) -> Value | None:
    """The item of a folded string or array at a folded index, when the index is in range."""
    if not isinstance(held, (str, bytes, list)) or not isinstance(at, int):
        return None
    return held[at] if 0 <= at < len(held) else None


def _appended(prior: Value | None, value: Value | None) -> Value | None:
    """A text with another appended, as `+=` and `StringBuilder.Append` do (a number as its
    decimal text); None when either is not text."""
    tail = text_of(value)
    return prior + tail if isinstance(prior, str) and tail is not None else None
