"""File paths a unit writes to: whether the site, the client or the code picks the folder and the name."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.flow.nodes import (
    CLIENT_TEXT,
    FOLDER,
    HOLE_TEXT,
    HOLES,
    INTERPOLATED,
    VB_FILE_OPENS,
    file_number,
    in_memory_reader,
    leftmost,
    request_stream,
)
from exhunt.codeanalysis.fold import as_text
from exhunt.codeanalysis.syntax import Role, call_parts, dotted, last_name, member_parts, operator, role, text, unwrap
from exhunt.codeanalysis.taint import Taint
from exhunt.codeanalysis.vocabulary import NAME_ONLY, PATH_KINDS, SITE_FOLDERS, WEB_PATH

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# `MapPath` arguments naming the page's own folder or the site's root (without a trailing slash).
_OWN_FOLDERS = frozenset({"", ".", "~", "/"})


# How sources from an uploaded file are described: the file or its own name (`Request.Files`, a
# FileUpload control's `FileName` or `PostedFile`).
_OWN_NAME = re.compile(r"uploaded file|\.(?:filename|postedfile|filebytes|filecontent)\)")


_VB_WRITE_MODE = re.compile(r"(?i)\b(?:output|append|binary|random)\b|^\s*(?:2|4|8|32)\s*$")  # (OpenMode's values)


# Variables' types and the calls or properties whose value is an open stream, not a file's path.
_STREAM_TYPES = frozenset(
    {"stream", "networkstream", "sslstream", "memorystream", "bufferedstream", "cryptostream"}
    | {"gzipstream", "deflatestream", "standardinput", "filestream", "namedpipeclientstream", "namedpipeserverstream"}
    | {"anonymouspipeclientstream", "anonymouspipeserverstream", "pipestream"}
)


# Streams to another process or host, and the writers a page may wrap them in: what the writer
# writes goes down the socket or pipe.
_RELAY_STREAMS = frozenset({"networkstream", "namedpipeclientstream", "namedpipeserverstream"})


_STREAMS_GIVEN = frozenset(
    {"getstream", "outputstream", "basestream", "getresponsestream", "getrequeststream", "openstandardoutput"}
    | {"openstandardinput", "openstandarderror"}
)


# Calls that keep a file's name from a path (an extension alone is no file name).
_FILE_NAME_ONLY = NAME_ONLY - {"getextension"}


# A path's last component written by the code after a separator: `\\config\\templates.json`.
_FILE_NAME_TAIL = re.compile(r"[\\/](?:[\w .-]*\w)?\.([A-Za-z0-9]{1,8})$")


# Extensions IIS hands to ASP.NET or classic ASP to run (and web.config), which a file of the
# site may not be given by the client's choice; any other fixed extension keeps a written file data.
_RUN_BY_SERVER = frozenset(
    {
        "aspx",
        "ashx",
        "asmx",
        "ascx",
        "asax",
        "master",
        "soap",
        "svc",
        "rem",
        "cshtml",
        "vbhtml",
        "asp",
        "asa",
        "cer",
        "cdx",
        "config",
        "axd",
        "shtml",
        "stm",
        "shtm",
        "xamlx",
        "cs",
        "vb",
        "resx",
    }
)


_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")


# Of those, the pages a request runs by their name (not configuration or source files, which a
# site's own tools write): what a writer of the client's text into a fixed file plants.
_PAGE_EXTENSIONS = _RUN_BY_SERVER - {"config", "cs", "vb", "resx"}


# What the client sends as text or a body (not an upload, whose own file a fixed name renames).
_DROPPED = frozenset({"request", "control", "webmethod", "body"})


# The site's folders whose files the server loads or compiles (the start of a path, as written).
_CODE_FOLDER = re.compile(r"(?:~|\.)?/?(?:bin|app_code)/?")


_SECRET_FILES = frozenset({"config", "pfx", "p12", "pem", "key", "dit", "hiv", "sav"})


def _in_site(flow: UnitFlow, node: Node, method: str | None) -> bool:
    """Whether a path starts at a folder of the site: `Server.MapPath(...)`, or a variable
    holding such a path."""
    node = unwrap(node)
    r = role(node)
    if r is Role.CALL:
        callee, _ = call_parts(node)
        return last_name(callee) in WEB_PATH
    if r is Role.IDENT:
        key = flow._n(text(node))
        t = flow.taints.get((method, key)) or flow.taints.get((None, key))
        if t is not None:
            return t.kinds == frozenset({"web-path"})
        return text(node).lower() in flow._site_paths
    return dotted(node).lower() in SITE_FOLDERS


def _names_file(flow: UnitFlow, node: Node) -> bool:
    """Whether a path ends in a file name the code writes after a separator (`root + skin +
    "\\config\\templates.json"`, `$"{dir}/{lang}/strings.xml"`, `Path.Combine(dir, "a.txt")`,
    or a variable only ever so assigned): whatever the request adds before it, it cannot name
    the file read. Configuration and key files are left out: a fixed `web.config` under a
    folder the client picks is how a shell reaches another site's machine key."""
    node = unwrap(node)
    r = role(node)
    tail: str | None = None
    if r is Role.IDENT:
        name = text(node).lower()
        return name in flow._named_files and name not in flow._unnamed_files
    if r is Role.MEMBER:  # `info.FullName` of such a FileInfo
        obj, member = member_parts(node)
        return member.lower() == "fullname" and obj is not None and flow._names_file(obj)
    if r is Role.NEW:  # `new FileInfo(dir + "\\a.json")`
        callee, args = call_parts(node)
        return dotted(callee).lower().endswith("fileinfo") and bool(args) and flow._names_file(args[0])
    if r is Role.BINARY and operator(node) in {"+", "&"}:
        tail = as_text(flow.fold(_last_joined(node)))
    elif r is Role.STRING and node.type in INTERPOLATED:
        parts: list[str] = []
        for part in node.named_children:
            if part.type in HOLES:
                parts = []
            elif part.type in HOLE_TEXT:
                parts.append(text(part))
        tail = "".join(parts)
    elif r is Role.CALL:
        callee, args = call_parts(node)
        if dotted(callee).lower().endswith("path.combine") and len(args) >= 2:
            last = as_text(flow.fold(args[-1]))
            tail = "/" + last if last and not FOLDER.match(last) else None
    if not tail:
        return False
    m = _FILE_NAME_TAIL.search(tail)
    return m is not None and m.group(1).lower() not in _SECRET_FILES


def _site_rooted(flow: UnitFlow, node: Node) -> bool:
    """A path that starts at a folder of the site: `MapPath(...)`, or that joined with more
    (`MapPath("~/up/") + name`, `Path.Combine(MapPath(...), name)`), or given another
    extension (`Path.ChangeExtension(MapPath(...), ".xml")`). A variable set to such a path
    is not followed: shells' upload and file-manager code keeps its target so, and the
    unresolved-sink rule is what reports them."""
    for _ in range(16):
        node = unwrap(node)
        r = role(node)
        if r is Role.BINARY and node.named_child_count:
            node = node.named_children[0]
            continue
        if r is Role.CALL:
            callee, args = call_parts(node)
            if dotted(callee).lower().endswith(("path.combine", "path.changeextension")) and args:
                node = args[0]  # (another extension keeps the path where it was)
                continue
        return flow._in_site(node, None)
    return False


def _relay_stream(flow: UnitFlow, node: Node) -> str | None:
    """The type of a socket's or named pipe's stream a writer is made over: a variable of
    such a type, a client's `GetStream()`, or such a stream made in place."""
    r = role(node)
    if r is Role.IDENT:
        kind = flow._type(flow._n(text(node)))
        return kind if kind in _RELAY_STREAMS else None
    if r is Role.CALL and last_name(call_parts(node)[0]) == "getstream":
        return "networkstream"
    if r is Role.NEW and last_name(call_parts(node)[0]) in _RELAY_STREAMS:
        return last_name(call_parts(node)[0])
    return None


def _stream_given(flow: UnitFlow, node: Node) -> bool:
    """Whether an argument is a stream rather than a path: a stream variable or one a call
    gives, a reader over bytes in memory, the request's or an upload's stream, or a file
    upload control's `FileContent`."""
    inner = unwrap(node)
    return (
        flow._a_stream(inner) or in_memory_reader(inner) or request_stream(inner) or last_name(inner) == "filecontent"
    )


def _a_stream(flow: UnitFlow, node: Node) -> bool:
    """Whether a value is an open stream, not a path: a variable of a stream type, or a
    stream a call or property gives (`client.GetStream()`, `Response.OutputStream`)."""
    r = role(node)
    if r is Role.IDENT:
        return (flow._type(flow._n(text(node))) or "") in _STREAM_TYPES
    if r in {Role.CALL, Role.MEMBER}:
        callee = call_parts(node)[0] if r is Role.CALL else node
        return last_name(callee) in _STREAMS_GIVEN
    return False


def _write_taint(
    flow: UnitFlow, node: Node, api: str, args: list[Node], receiver: Node | None, method: str | None
) -> tuple[Taint | None, Taint | None]:
    """A writer counts when the client picks both where and what (path and content): the
    write's taint, and what it writes (whoever picks the path)."""
    if api.lower() == "scripting.filesystemobject.opentextfile" and not flow._fso_writes(args):
        return None, None  # opened for reading (the default): a read, not a write
    number: str | None = None
    if api in VB_FILE_OPENS:  # `FileOpen(1, path, OpenMode.Output)`: written through its number
        if len(args) < 3 or not _VB_WRITE_MODE.search(text(args[2])):
            return None, None
        number, args = file_number(args[0]), args[1:2]
    path_t = flow.taint(args[0], method) if args else None
    opened = False
    if api.lower().startswith("fileinfo.") and receiver is not None:
        path_t = flow.taint(receiver, method)  # `new FileInfo(path).CreateText()`: the path is the object
    if api.lower().endswith("saveas"):
        content_t = flow.taint(receiver, method) if receiver is not None else None
        if content_t is None and receiver is not None:
            content_t = flow._upload_control(receiver)
    elif api.lower() == "adodb.stream.savetofile":
        content_t = flow.taint(receiver, method) if receiver is not None else None  # what was written into it
    elif len(args) >= 2 and not api.lower().startswith(
        ("new ", "file.create", "file.openwrite", "fileinfo.", "scripting.filesystemobject.")
    ):
        content_t = flow.taint(args[1], method)
    else:
        content_t = path_t if flow.tainted_writes else None
        opened = True  # a file opened for writing: what is written into it comes later
    web_content = content_t
    holder = flow._stored_in(node) if opened and number is None else None
    if holder is not None or number is not None:  # `w = new StreamWriter(path)` then `w.Write(Request["d"])`
        web_content = flow._written_to.get(number or flow._n(text(holder)))
        # what is written into it, where that is known; VB writes a file by its number only
        content_t = web_content if number is not None else web_content or content_t
    client_text = web_content is not None and bool(web_content.kinds & CLIENT_TEXT)
    if web_content is not None and path_t is not None and "upload" in web_content.kinds:
        # an upload saved under a name a parameter gives, no part of it the file's own name
        client_text = client_text or not any(_OWN_NAME.search(source) for source in path_t.sources)
        # or under its own name, straight into the page's own folder or the site's root
        client_text = client_text or (bool(args) and flow._beside_itself(args[0]))
        # or under its own name into the bin or App_Code folder, whose files the server runs
        client_text = client_text or (bool(args) and flow._into_code_folder(args[0]))
    if web_content is not None and "body" in web_content.kinds and args and not client_text:
        # the raw body saved where the request names the whole path, not a name under a
        # folder the code keeps for uploads (`MapPath(Request["p"])`), or beside the page
        client_text = flow._client_rooted(args[0], method) or flow._beside_itself(args[0])
    if (
        path_t is not None
        and content_t is not None
        and path_t.kinds == frozenset({"web-path"})
        and client_text
        and not api.lower().startswith("fileinfo.")
        and args
        and not flow._fixes_extension(args[0])
    ):
        # `File.WriteAllText(Server.MapPath(Request["p"]), Request["d"])`: the client picks a
        # file of the site and what it holds, so it can put a page where the server runs it
        merged = path_t.merge(web_content)
        return merged if merged.kinds & PATH_KINDS else merged.only(merged.kinds | {"request"}), web_content
    if path_t is None or content_t is None or not path_t.kinds & PATH_KINDS:
        return None, web_content  # a fixed path, a file name or a path kept in the site: not the client's choice
    return path_t.merge(content_t), web_content


def _page_write(
    flow: UnitFlow, node: Node, api: str, args: list[Node], receiver: Node | None, method: str | None
) -> tuple[Taint | None, str | None]:
    """A write of the client's text (or of what a URL the client names serves) to a path the
    code fixes, whose file the server runs as a page (`File.WriteAllText(Server.MapPath(
    "x.aspx"), Request["c"])`): the taint of what is written, and the file's name. A path
    the client picks is the file-write rule's."""
    download = api.lower().endswith(("downloadfile", "downloadfileasync", "downloadfiletaskasync"))
    if download:
        if len(args) < 2:
            return None, None
        path, content = args[1], flow.taint(args[0], method)
        if content is not None:
            content = content.step("fetches the URL it names", flow.line(node))
    else:
        target = receiver if api.lower().startswith("fileinfo.") else (args[0] if args else None)
        if api in VB_FILE_OPENS:
            target = args[1] if len(args) > 1 else None
        if target is None:
            return None, None
        path = target
        content = flow._write_taint(node, api, args, receiver, method)[1]
    if content is None or not content.kinds & _DROPPED or flow.taint(path, method) is not None:
        return None, None
    tail = flow._path_tail(path)
    m = _EXTENSION.search(tail.strip()) if tail else None
    if tail is None or m is None:
        return None, None
    shown = tail.strip().replace("\\", "/").split("/")
    where = [segment.lower() for segment in shown]
    code = _runs_as_code(where, m.group(1).lower())
    if m.group(1).lower() not in _PAGE_EXTENSIONS and not code:
        return None, None
    if where[-1] == "web.config" and content.joined:
        return None, None  # an installer putting the settings it was given into its web.config
    in_folder = code and where[-1] != "web.config" and len(shown) > 1
    return content, "/".join(shown[-2:]) if in_folder else shown[-1]  # `bin/x.dll`, `x.aspx`


def _path_tail(flow: UnitFlow, node: Node) -> str | None:
    """The fixed text a path ends with (`MapPath("~/x/" + "a.aspx")`, `Path.Combine(dir,
    "a.aspx")`, an interpolation's last text), if the code spells it."""
    node = unwrap(node)
    if role(node) in {Role.CALL, Role.NEW}:
        callee, args = call_parts(node)
        name = last_name(callee)
        if role(node) is Role.NEW:  # `new FileInfo(path)`: the file it stands for
            return flow._path_tail(args[0]) if name == "fileinfo" and args else None
        if name in WEB_PATH and args:
            return flow._path_tail(args[0])
        if name == "combine" and args:
            return flow._path_tail(args[-1])
        return None
    if role(node) is Role.BINARY and operator(node) in {"+", "&"}:
        return as_text(flow.fold(_last_joined(node)))
    if node.type in INTERPOLATED and node.named_child_count:
        last = node.named_children[-1]
        return text(last) if last.type in HOLE_TEXT else None
    if role(node) in {Role.STRING, Role.IDENT}:
        return as_text(flow.fold(node))
    return None


def _into_code_folder(flow: UnitFlow, node: Node) -> bool:
    """Whether a path starts in the site's bin or App_Code folder (`MapPath("~/bin/" +
    name)`, `Path.Combine(MapPath("~/App_Code"), name)`), whose files the server loads or
    compiles."""
    node = unwrap(node)
    if role(node) is Role.BINARY and operator(node) in {"+", "&"}:
        return flow._into_code_folder(leftmost(node))
    if role(node) is Role.CALL:
        callee, args = call_parts(node)
        name = last_name(callee)
        if (name in WEB_PATH and len(args) == 1) or (name == "combine" and len(args) == 2):
            return flow._into_code_folder(args[0])
        return False
    folded = as_text(flow.fold(node))
    return folded is not None and _CODE_FOLDER.fullmatch(folded.strip().replace("\\", "/").lower()) is not None


def _client_rooted(flow: UnitFlow, node: Node, method: str | None, depth: int = 0) -> bool:
    """Whether a path starts with what the client sent (`MapPath(Request["p"])`,
    `Path.Combine(Request["dir"], name)`, `Request["d"] + "/" + name`, or a variable set only
    to such a path), so no folder of the code's holds what is written."""
    node = unwrap(node)
    r = role(node)
    if r is Role.CALL:
        callee, args = call_parts(node)
        name = last_name(callee)
        if (name in WEB_PATH and len(args) == 1) or (name == "combine" and args):
            return flow._client_rooted(args[0], method, depth)
    if r is Role.BINARY and operator(node) in {"+", "&"}:
        return flow._client_rooted(leftmost(node), method, depth)
    if r is Role.IDENT and depth < 2:
        values = flow._values_of(node)
        if len(values) == 1:
            return flow._client_rooted(values[0], method, depth + 1)
    if as_text(flow.fold(node)) is not None:
        return False
    t = flow.taint(node, method)
    return t is not None and bool(t.kinds & CLIENT_TEXT)


def _beside_itself(flow: UnitFlow, node: Node) -> bool:
    """Whether a path starts at the page's own folder or the site's root (`MapPath(".")`,
    `MapPath("~/")`, `Request.PhysicalApplicationPath`), not at a folder kept for uploads."""
    node = unwrap(node)
    if role(node) is Role.CALL:
        callee, args = call_parts(node)
        name = last_name(callee)
        if name == "combine" and args:
            return flow._beside_itself(args[0])
        if name in WEB_PATH and len(args) == 1:
            if _bare_file_name(args[0]):
                return True  # `MapPath(f.FileName)`: a name alone maps into the page's own folder
            folded = as_text(flow.fold(args[0]))
            return folded is not None and folded.strip().replace("\\", "/").rstrip("/") in _OWN_FOLDERS
        return False
    if role(node) is Role.BINARY and operator(node) in {"+", "&"}:
        return flow._beside_itself(leftmost(node))
    return dotted(node).lower() in SITE_FOLDERS


def _fixes_extension(flow: UnitFlow, node: Node) -> bool:
    """Whether the code ends a path with a fixed extension that the server does not run
    (`MapPath("~/App_Data/" + id + ".txt")`): the client may pick the name, not a page."""
    node = unwrap(node)
    if role(node) is Role.CALL:
        callee, args = call_parts(node)
        name = last_name(callee)
        if name in WEB_PATH and args:
            return flow._fixes_extension(args[0])
        if name == "changeextension" and len(args) == 2:
            tail = as_text(flow.fold(args[1]))
            return tail is not None and _safe_extension("." + tail.lstrip("."))
        if name == "combine" and args:
            return flow._fixes_extension(args[-1])
        return False
    tail = flow._path_tail(node)
    return tail is not None and _safe_extension(tail)


def _fso_writes(flow: UnitFlow, args: list[Node]) -> bool:
    """`fso.OpenTextFile(path, mode)` opens for writing or appending (IOMode 2 or 8)."""
    if len(args) < 2:
        return False
    raw = text(unwrap(args[1])).strip().lower()
    return raw in {"2", "8", "forwriting", "forappending"} or as_text(flow.fold(args[1])) in {"2", "8"}


def _bare_file_name(node: Node) -> bool:
    """Whether a path is a file's name alone: an upload's own `FileName`, or what
    `Path.GetFileName(...)` keeps of any path."""
    node = unwrap(node)
    if role(node) is Role.CALL:
        return last_name(call_parts(node)[0]) in _FILE_NAME_ONLY
    return role(node) is Role.MEMBER and member_parts(node)[1].lower() == "filename"


def _runs_as_code(where: list[str], extension: str) -> bool:
    """Whether a file of a fixed path (its lower-case segments) runs on the server though it is
    no page: a DLL in the site's bin folder (picked up for the next requests), a code file
    under App_Code (compiled), or web.config (which can hand any extension to the page
    compiler)."""
    folders = where[:-1]
    if extension == "dll":
        return "bin" in folders
    if extension in {"cs", "vb"}:
        return "app_code" in folders
    return where[-1] == "web.config"


def _safe_extension(tail: str) -> bool:
    m = _EXTENSION.search(tail.strip())
    return m is not None and m.group(1).lower() not in _RUN_BY_SERVER


def _last_joined(node: Node) -> Node:
    """The last operand of a chain of `+` or `&` (`a + b + "\\x.json"` -> `"\\x.json"`)."""
    right = node
    while role(right) is Role.BINARY and operator(right) in {"+", "&"} and right.named_child_count:
        right = unwrap(right.named_children[-1])
    return right
