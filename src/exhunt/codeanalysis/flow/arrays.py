"""Constant arrays and streams a unit fills in place: copies, XOR loops, reversal, stream writes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.flow.nodes import by_reference, copy_parts, reversed_array, uncast
from exhunt.codeanalysis.fold import Value, as_bytes
from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    called,
    index_parts,
    last_name,
    member_parts,
    operator,
    role,
    text,
    unwrap,
    vb_as_clause,
)
from exhunt.codeanalysis.vocabulary import ARRAY_COPIERS, ARRAY_READERS

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# Calls that change an array in ways followed where the call is seen (`_array_written`,
# `_array_reverse`).
_ARRAY_FOLLOWED = frozenset({"reverse", "copy", "blockcopy", "read", "readblock", "copyto", "setvalue"})


# What reads a memory stream it is given without writing into it (`_stream_written`), and the
# streams that do either by their mode (`CompressionMode.Decompress`, `CryptoStreamMode.Read`).
_STREAM_READERS_OF = frozenset(
    {"streamreader", "binaryreader", "xmltextreader", "create", "load", "fromstream", "bitmap", "deserialize"}
)


_MODED_STREAMS = frozenset({"gzipstream", "deflatestream", "brotlistream", "zlibstream", "cryptostream"})


# Bytes a unit may decode in place by XOR loops, all loops together: a page of a thousand loops over
# one large array costs what one pass over 4 MiB does, and is then left unknown.
_XOR_BUDGET = 4 * 1024 * 1024


def _vb_as_new(flow: UnitFlow, left: Node, node: Node) -> None:
    """VB's `Dim s As New MemoryStream(b)`: the object folded as its `New` would be (a stream
    over constant bytes); the declaration otherwise holds no constant."""
    clause = vb_as_clause(node)
    flow._hold(flow._n(text(left)), flow.fold(clause) if clause is not None else None)


def _element_store(flow: UnitFlow, node: Node, left: Node, right: Node) -> None:
    """A store into an item of an array the page holds as a constant. The loop that decodes
    it (`b[i] ^= k`, `b[i] = (byte)(b[i] ^ k)`, VB's `b(i) = b(i) Xor k`; `k` one constant,
    or a key array's items in turn, `key[i % key.Length]`) is applied to the whole array, as
    such loops run over it; any other store leaves the array unknown, never the constant it
    started as."""
    held = flow._held_array(left)
    if held is None:
        return  # not a constant array (a VB call's result, a string's characters): nothing to change
    key_node: Node | None = None
    op = operator(node)
    if op == "=" and flow._item_set(node, left, right, *held):
        return  # `a[0] = "cmd.exe"`: that item, the others as they were
    if op == "^=":
        key_node = right
    elif op == "=":
        inner = uncast(right)
        if role(inner) is Role.BINARY and operator(inner).lower() in {"^", "xor"} and inner.named_child_count == 2:
            a, b = (unwrap(c) for c in inner.named_children)
            key_node = b if text(uncast(a)) == text(left) else a if text(uncast(b)) == text(left) else None
    flow._decoded_in_place(node, *held, key_node)


def _item_set(flow: UnitFlow, node: Node, left: Node, right: Node, name: str, held: bytes | list[Value]) -> bool:
    """A constant stored at an index written as a number in a constant array: the array with
    that item changed (False when the index, the value or its type is not one the array can
    hold)."""
    keys = index_parts(left)[1] if role(left) is Role.INDEX else call_parts(left)[1]
    # A number written out: a loop's variable folds to its first value only (`b[i] = ...`).
    at = flow.fold(keys[0]) if len(keys) == 1 and role(unwrap(keys[0])) is Role.INT else None
    if not isinstance(at, int) or not 0 <= at < len(held):
        return False
    value = flow.fold(right)
    if value is None:
        return False
    if isinstance(held, bytes):
        if not isinstance(value, int) or not 0 <= value <= 255:
            return False
        flow._hold(name, held[:at] + bytes([value]) + held[at + 1 :], node)
        return True
    if type(value) is not type(held[at]):
        return False
    flow._hold(name, [*held[:at], value, *held[at + 1 :]], node)
    return True


def _held_array(flow: UnitFlow, item: Node) -> tuple[str, bytes | list[Value]] | None:
    """For an item of an array (`b[i]`, VB's `b(i)`): the array's name and the constant it
    holds, when it holds one."""
    base, _ = index_parts(item) if role(item) is Role.INDEX else call_parts(item)
    if base is None or role(base) is not Role.IDENT:
        return None
    name = flow._n(text(base))
    held = flow.consts.get(name)
    return (name, held) if isinstance(held, (bytes, list)) else None


def _decoded_in_place(flow: UnitFlow, node: Node, name: str, held: bytes | list[Value], key_node: Node | None) -> None:
    """The array after an XOR of each item with the key; unknown when there is no key."""
    decoded = flow._xor_all(held, key_node) if key_node is not None else None
    flow._hold(name, decoded, node)


def _array_written(flow: UnitFlow, node: Node) -> None:
    """A call that writes into a constant array: a copy (`Array.Copy`, `Buffer.BlockCopy`) of
    a constant at constant offsets is applied; any other copy, a read into it (`s.Read(buf,
    ...)`, `src.CopyTo(buf, 0)`) or `buf.SetValue(...)` leaves it unknown, never the value
    it was declared with. So does a call of the page's own method, which may change an
    array it is given (`Decode(buf)`)."""
    callee, args = call_parts(node)
    if callee is not None and flow._own_call(callee):
        for a in args:
            if role(a) is Role.IDENT and isinstance(flow.consts.get(flow._n(text(a))), (bytes, list)):
                flow.consts.pop(flow._n(text(a)), None)
        return
    if callee is None or role(callee) is not Role.MEMBER:
        return
    receiver, name = member_parts(callee)
    lname = name.lower()
    if flow._stream_filled(receiver, lname, args):
        return
    if (
        lname in {"copy", "blockcopy"}
        and receiver is not None
        and text(receiver).lower() in {"array", "buffer", "system.array", "system.buffer"}
    ):
        src, dest, offsets = copy_parts(lname, args)
    elif lname in {"read", "readblock", "copyto"} and args:
        src, dest, offsets = None, args[0], list[Node | int]()
    elif lname == "setvalue" and receiver is not None:
        src, dest, offsets = None, receiver, list[Node | int]()
    else:
        return
    if dest is None or role(dest) is not Role.IDENT:
        return
    target = flow._n(text(dest))
    held = flow.consts.get(target)
    if not isinstance(held, (bytes, list)):
        return
    flow._hold(target, flow._copied(held, src, offsets) if src is not None else None)


def _stream_filled(flow: UnitFlow, receiver: Node | None, lname: str, args: list[Node]) -> bool:
    """A memory stream the page made empty and filled from a constant stream
    (`gz.CopyTo(ms)`, a decompressed resource) holds those bytes; any write into a memory
    stream held so (`ms.Write(...)`, `WriteByte`, `SetLength`) leaves it unknown. True when
    the call was one of these."""
    if lname == "copyto" and receiver is not None and args and role(args[0]) is Role.IDENT:
        target = flow._n(text(args[0]))
        if not flow._memory_stream(args[0]):
            return False
        data = as_bytes(flow.fold(receiver))
        flow._hold(target, data if target not in flow.consts else None)  # (filled twice: unknown)
        return True
    written = lname in {"write", "writebyte", "setlength", "writeasync"}
    if written and receiver is not None and role(receiver) is Role.IDENT and flow._memory_stream(receiver):
        flow.consts.pop(flow._n(text(receiver)), None)
        return True
    return False


def _memory_stream(flow: UnitFlow, name: Node) -> bool:
    return flow._type(flow._n(text(name))) == "memorystream"


def _passed_by_reference(flow: UnitFlow, node: Node) -> None:
    """Variables a call may set: C#'s `ref` and `out` arguments, VB's arguments to the
    page's own method where it declares them `ByRef`, to a `Try...` method
    (`Integer.TryParse(s, n)`, `d.TryGetValue(k, v)`) and to a library's (`_vb_library`),
    since VB does not mark a `ByRef` argument where it is passed. What they held is
    forgotten: a planted library's `Fill(out t)` must not leave `t` the constant it was
    before."""
    callee, args = call_parts(node)
    if callee is None:
        return
    if flow.lang is Lang.VB:
        own = flow.methods.get(last_name(callee)) if flow._own_call(callee) else None
        own = flow._overload(own, len(args)) if own is not None else None
        if own is not None and own.byref:
            changed = [a for p, a in zip(own.params, args, strict=False) if p in own.byref]
        elif last_name(callee).startswith("try") or flow._vb_library(callee):
            changed = args
        else:
            changed = []
    else:
        args_node = next((c for c in node.named_children if c.type == "argument_list"), None)
        found = map(by_reference, args_node.named_children if args_node is not None else [])
        changed = [t for t in found if t is not None]
    for a in changed:
        if role(a) is Role.IDENT:
            flow._hold(flow._n(text(a)), None)


def _array_handed_out(flow: UnitFlow, node: Node) -> None:
    """A constant array given to a call of code the page does not show, which may change
    its items (`Contoso.Relay.Fill(a)`, `rng.GetBytes(b)`, `Array.Clear(b, 0, 4)`): what it
    held is forgotten, everywhere in the unit. The folder keeps one value per variable, so
    a sink before the call is unresolved too: said too often, never a command hidden behind
    the items the array started with. Framework calls known only to read what they are
    given (`string.Join`, `Encoding.GetString`, a sink given the whole array) keep it; the calls that
    copy, read or reverse into it are followed where they are seen (`_array_written`,
    `_array_reverse`); the page's own methods are `_array_written`'s."""
    callee, args = call_parts(node)
    if callee is None or flow._own_call(callee):
        return
    lname = last_name(callee)
    if (lname in ARRAY_READERS and lname != "getbytes") or lname in _ARRAY_FOLLOWED:
        return
    for name, held in flow._constant_arrays(args):
        if lname == "getbytes" and isinstance(held, list) and all(isinstance(x, str) for x in held):
            continue  # an encoding's `GetBytes(chars)` reads them; a generator's `GetBytes(b)` fills `b`
        flow._hold(name, None)


def _constant_arrays(flow: UnitFlow, args: list[Node]) -> list[tuple[str, bytes | list[Value]]]:
    """The arguments that are variables holding a constant array: (name, what it holds)."""
    found: list[tuple[str, bytes | list[Value]]] = []
    for a in args:
        if role(a) is Role.IDENT:
            name = flow._n(text(a))
            held = flow.consts.get(name)
            if isinstance(held, (bytes, list)):
                found.append((name, held))
    return found


def _array_wrapped(flow: UnitFlow, node: Node) -> None:
    """A constant array given to a constructor that may keep it rather than copy it: a
    stream over it (`new MemoryStream(buf)`), a view (`Span`, `ArraySegment`), or any
    object not known to copy what it is given. A write through the object changes the
    array's items (`Request.InputStream.CopyTo(ms)` overwrites `buf`), so what it held is
    forgotten, as for a call of code the page does not show (`_array_handed_out`). A memory
    stream kept in a variable forgets it only if the page writes through that variable
    (`_stream_written`): one only read from (an embedded assembly unpacked) keeps it."""
    callee, args = call_parts(node)
    kind = _class_named(callee) if callee is not None else ""
    if callee is None or kind in ARRAY_COPIERS:
        return
    held = flow._constant_arrays(args)
    if not held:
        return
    stream = flow._made_into(node) if kind == "memorystream" else None
    if stream is not None and not flow._stream_written(stream):
        return
    for name, _ in held:
        flow._hold(name, None)


def _made_into(flow: UnitFlow, node: Node) -> str | None:
    """The variable an object creation is stored into (`var ms = new MemoryStream(b)`,
    VB's `Dim ms As New MemoryStream(b)`), if it is one plain name."""
    up = node.parent
    for _ in range(3):
        if up is None:
            return None
        if up.type in {"variable_declarator", "assignment_expression", "dim_statement", "assignment_statement"}:
            break
        up = up.parent
    else:
        return None
    left, _right = flow._targets(up)
    if up.type == "dim_statement":
        left = next((c for c in up.named_children if role(c) is Role.IDENT), left)
    return flow._n(text(left)) if left is not None and role(unwrap(left)) is Role.IDENT else None


def _stream_written(flow: UnitFlow, stream: str) -> bool:
    """Whether the page may write through a stream variable: a `Write...`, `SetLength` or
    `BeginWrite` call on it, the variable handed to anything but a reader of it (a
    `StreamReader` or `BinaryReader`, a decompressing stream, a crypto stream in read mode,
    an image or XML loader; `Request.InputStream.CopyTo(ms)` writes into it), or stored
    into another name or returned, which may write through it unseen. The names so
    written are found in one pass over the unit, on first need."""
    if flow._written_streams is None:
        written: set[str] = set()
        for node, _method in flow.nodes:
            r = role(node)
            if r in {Role.DECL, Role.ASSIGN, Role.RETURN}:
                # `Stream s = ms;`, `return ms;`: written through another name, unseen
                value = flow._targets(node)[1] if r is not Role.RETURN else _first_named(node)
                if value is not None and role(unwrap(value)) is Role.IDENT:
                    written.add(flow._n(text(unwrap(value))))
                continue
            if r not in {Role.CALL, Role.NEW}:
                continue
            callee, args = call_parts(node)
            if callee is None:
                continue
            callee = unwrap(callee)
            if role(node) is Role.CALL:
                receiver, name = called(callee)
                lname = name.lower()
                if receiver is not None and (lname.startswith("write") or lname in {"setlength", "beginwrite"}):
                    written.add(flow._n(text(unwrap(receiver))))
            given = [flow._n(text(a)) for a in args if role(a) is Role.IDENT]
            if not given:
                continue
            target = _class_named(callee)
            if target in _STREAM_READERS_OF or (
                target in _MODED_STREAMS and re.search(r"Decompress|CryptoStreamMode\.Read", text(node))
            ):
                continue
            written.update(given)
        flow._written_streams = written
    return stream in flow._written_streams


def _copied(
    flow: UnitFlow, held: bytes | list[Value], src: Node, offsets: list[Node | int]
) -> bytes | list[Value] | None:
    """`held` with a constant source's items copied in: offsets and count all constant."""
    data = flow.fold(src)
    numbers = [o if isinstance(o, int) else flow.fold(o) for o in offsets]
    if not isinstance(data, (bytes, list)) or not all(isinstance(n, int) for n in numbers) or len(numbers) != 3:
        return None
    start, at, count = (int(n) for n in numbers if isinstance(n, int))
    if min(start, at, count) < 0 or start + count > len(data):
        return None  # what .NET would refuse (ArgumentException): not folded
    out = list(held)
    if not out and at == 0:
        out = [0] * count  # `new byte[n]` folds without its length: at least what is copied in
    if at + count > len(out):
        return None
    out[at : at + count] = list(data)[start : start + count]
    return bytes(int(x) & 0xFF for x in out if isinstance(x, int)) if isinstance(held, bytes) else out


def _vb_xor_store(flow: UnitFlow, node: Node) -> None:
    """VB's `b(i) = b(i) Xor k` as a statement: the grammar reads it `(b(i) = b(i)) Xor k`
    (Xor binds looser than `=` in an expression), so the store is rebuilt from the parts."""
    if node.named_child_count != 2:
        return
    compared, key_node = (unwrap(c) for c in node.named_children)
    if role(compared) is not Role.BINARY or operator(compared) != "=" or compared.named_child_count != 2:
        return
    target, value = (unwrap(c) for c in compared.named_children)
    held = flow._held_array(target) if role(target) in {Role.INDEX, Role.CALL} else None
    if held is not None:
        flow._decoded_in_place(node, *held, key_node if text(value) == text(target) else None)


def _xor_all(flow: UnitFlow, held: bytes | list[Value], key_node: Node) -> bytes | list[Value] | None:
    """Each item of `held` XORed with the key: one constant, or the items of a constant key
    indexed by the position modulo something (`key[i % key.Length]`)."""
    if not held or flow._xored + len(held) > _XOR_BUDGET:
        return None  # past what a unit may decode in place: unknown, as any other store
    flow._xored += len(held)
    items = list(held)
    if not all(isinstance(x, int) for x in items):
        return None
    key: list[int] | None = None
    cycled = False
    if role(key_node) in {Role.INDEX, Role.CALL}:
        # `key[i % key.Length]` first: with the loop's variable at its first value and the
        # length folded, the item would read as one constant (the key's first)
        kbase, kidx = index_parts(key_node) if role(key_node) is Role.INDEX else call_parts(key_node)
        stored = flow.consts.get(flow._n(text(kbase))) if kbase is not None and role(kbase) is Role.IDENT else None
        index_text = f" {text(kidx[0]).lower()} " if len(kidx) == 1 else ""
        if "%" in index_text or " mod " in index_text:
            cycled = True
            if isinstance(stored, str):
                key = [ord(c) for c in stored]
            elif isinstance(stored, (bytes, list)) and all(isinstance(x, int) for x in stored):
                key = [int(x) for x in stored if isinstance(x, int)]
    if not cycled:
        single = flow.fold(key_node)
        key = [single] if isinstance(single, int) else None
    if not key:
        return None
    out = [(int(x) ^ key[i % len(key)]) & 0xFF for i, x in enumerate(items) if isinstance(x, int)]
    return bytes(out) if isinstance(held, bytes) else list(out)


def _array_reverse(flow: UnitFlow, node: Node) -> None:
    reversed_ = reversed_array(node)
    if reversed_ is not None:
        name = flow._n(text(reversed_))
        v = flow.consts.get(name)
        if isinstance(v, (list, str)):
            flow.consts[name] = v[::-1]


def _first_named(node: Node) -> Node | None:
    """A node's first named child (a `return` statement's value), if it has one."""
    return node.named_children[0] if node.named_child_count else None


def _class_named(callee: Node) -> str:
    """The lower-case name a constructor or call names, without generic arguments:
    `new System.Collections.Generic.List<string>(a)` and VB's `New List(Of String)(a)` -> "list"."""
    return re.split(r"[<(]", last_name(callee), maxsplit=1)[0].strip()
