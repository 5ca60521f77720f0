"""What request data looks like in ASP.NET code, what transforms it, and sink matching.

Sources and transforms are the platform's vocabulary (they do not change per rule); sinks are
rule data (`apis` in `exhunt/data/rules/code.toml`), matched by `SinkPattern`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Request members that carry client data, and how a finding names them.
SOURCE_MEMBERS: dict[str, tuple[str, str]] = {
    # member (lower case): (kind, description)
    "form": ("request", "form field"),
    "querystring": ("request", "query parameter"),
    "params": ("request", "request parameter"),
    "item": ("request", "request parameter"),
    "headers": ("request", "request header"),
    "cookies": ("request", "cookie"),
    "servervariables": ("request", "server variable"),
    "inputstream": ("body", "the request body"),
    "binaryread": ("body", "the request body"),
    "getbufferlessinputstream": ("body", "the request body"),
    "getbufferedinputstream": ("body", "the request body"),
    "body": ("body", "the request body"),
    # The stream the request's body is read through when a filter is set (`Request.Filter`).
    "filter": ("body", "the request body"),
    "files": ("upload", "an uploaded file"),
    "rawurl": ("request", "the URL"),
    "url": ("request", "the URL"),
    "pathinfo": ("request", "the URL path"),
    "path": ("request", "the URL path"),
    "filepath": ("request", "the URL path"),
    "currentexecutionfilepath": ("request", "the URL path"),
    "apprelativecurrentexecutionfilepath": ("request", "the URL path"),
    "query": ("request", "query parameter"),  # ASP.NET Core's HttpRequest.Query
    "routevalues": ("request", "route value"),  # ASP.NET Core's HttpRequest.RouteValues: the URL's segments
    "readformasync": ("request", "form field"),  # ASP.NET Core: the posted form, read on demand
    "readfromjsonasync": ("body", "the request body"),  # ASP.NET Core: the body as JSON
    # Web API's request (HttpRequestMessage): its content is the body, its URI the URL.
    "content": ("body", "the request body"),
    "requesturi": ("request", "the URL"),
    "useragent": ("client", "the user agent"),
    "urlreferrer": ("client", "the referer"),
    # The Accept-Language and Accept headers as HttpRequest parses them (string arrays).
    "userlanguages": ("client", "Accept-Language value"),
    "accepttypes": ("client", "Accept value"),
    # The Content-Type header as HttpRequest gives it, and the fields of the client's certificate.
    "contenttype": ("request", "the Content-Type header"),
    "clientcertificate": ("client", "client certificate field"),
}
# The raw request under HttpRequest (`HttpWorkerRequest`, from the context's service provider):
# everything read from it (the body, headers, the query string, the URL) is the client's.
WORKER_REQUEST = "httpworkerrequest"
# Kinds of taint that put the path a file operation works on in the client's hands.
PATH_KINDS = frozenset({"request", "body", "webmethod", "session", "client", "control"})

# Server controls a page declares in its markup whose values the client posts back: tag (lower
# case) -> the control class a finding names. `<input>` is HtmlInputText, or HtmlInputFile
# for type="file".
INPUT_CONTROLS: dict[str, str] = {
    "asp:textbox": "TextBox",
    "asp:dropdownlist": "DropDownList",
    "asp:listbox": "ListBox",
    "asp:hiddenfield": "HiddenField",
    "asp:fileupload": "FileUpload",
    "asp:radiobuttonlist": "RadioButtonList",
    "asp:checkboxlist": "CheckBoxList",
    "input": "HtmlInputText",
    "textarea": "HtmlTextArea",
    "select": "HtmlSelect",
}
# Members of such a control that carry what the client posted (lower case) -> taint kind.
CONTROL_MEMBERS: dict[str, str] = {
    "text": "control",
    "value": "control",
    "selectedvalue": "control",
    "selecteditem": "control",
    "items": "control",
    # A server `<textarea>` (HtmlTextArea) holds what was posted as its inner text as well.
    "innertext": "control",
    "innerhtml": "control",
    "postedfile": "upload",
    "filebytes": "upload",
    "filecontent": "upload",
    "filename": "name",
}

# Members a page or user control inherits (`System.Web.UI.Page`, `Control`, `TemplateControl`,
# `UserControl`, `MasterPage`): a code-behind names them without declaring them, as it names the
# controls its markup declares.
PAGE_MEMBERS = frozenset(
    {
        "application",
        "base",
        "mybase",
        "cache",
        "clientscript",
        "context",
        "controls",
        "form",
        "header",
        "items",
        "master",
        "namingcontainer",
        "page",
        "parent",
        "previouspage",
        "request",
        "response",
        "routedata",
        "server",
        "session",
        "site",
        "title",
        "trace",
        "user",
        "viewstate",
    }
)

CIPHERS = (
    ("rijndael", "AES (Rijndael)"),
    ("aes", "AES"),
    ("tripledes", "3DES"),
    ("des", "DES"),
    ("rc4", "RC4"),
    ("rc2", "RC2"),
)


def cipher_name(context: str) -> str:
    low = context.lower()
    for marker, name in CIPHERS:
        if marker in low:
            return name
    return "a symmetric cipher"


# Transforms by the called name (lower case): the step as the chain says it.
TRANSFORMS: dict[str, str] = {
    "frombase64string": "base64-decodes it",
    "base64decode": "base64-decodes it",
    "fromhexstring": "hex-decodes it",
    "urldecode": "URL-decodes it",
    "urltokendecode": "base64-decodes it",
    "decompress": "decompresses it",
    "gzipstream": "decompresses it",
    "deflatestream": "decompresses it",
    "frombase64transform": "base64-decodes it",
}
CIPHER_CALLS = frozenset({"transformfinalblock", "createdecryptor", "decrypt", "cryptostream", "transformblock"})

# Methods that read from their receiver into an argument (stream.Read(buffer, ...),
# socket.ReceiveAsync(buffer, ...)).
READ_INTO = frozenset(
    {
        "read",
        "readblock",
        "copyto",
        "copytoasync",
        "blockcopy",
        "copy",
        "readbytes",
        "receive",
        "receiveasync",
        "readentitybody",
    }
)
# Methods that write arguments into their receiver (ms.Write(data, ...)).
WRITE_INTO = frozenset(
    {"write", "writeline", "add", "append", "appendline", "appendformat", "appendjoin", "writebyte", "load", "loadxml"}
    | {"insert", "addrange", "tryadd", "enqueue", "push"}  # collections: `list.Insert(0, x)`, `q.Enqueue(x)`
)
# Calls whose result keeps only a file name from a path: a path no longer steers the folder.
NAME_ONLY = frozenset({"getfilename", "getextension", "getfilenamewithoutextension"})
# Calls that put a client path inside the web site (MapPath), so it cannot leave it freely.
WEB_PATH = frozenset({"mappath"})
# Expressions that name a folder of the site itself (lower case, as written).
SITE_FOLDERS = frozenset(
    {
        "request.physicalapplicationpath",
        "httpruntime.appdomainapppath",
        "appdomain.currentdomain.basedirectory",
        "httpcontext.current.request.physicalapplicationpath",
    }
)

# Calls whose result a later call is made on, by the type of what they return ((type, method) in
# lower case -> type; for a call returning an array, the type of each item, as a loop over it
# gives them): `AppDomain.CreateDomain(...)` then `.Load(bytes)`, `EventLog.GetEventLogs()` then
# `.Clear()` on each.
CALL_RETURNS: dict[tuple[str, str], str] = {
    ("appdomain", "createdomain"): "appdomain",
    ("thread", "getdomain"): "appdomain",
    ("userprincipal", "findbyidentity"): "userprincipal",
    ("groupprincipal", "findbyidentity"): "groupprincipal",
    # An ADSI entry's children: the user or group `Children.Add(name, "user")` made or
    # `Children.Find(name, "group")` found (`DirectoryEntries` returns a `DirectoryEntry`).
    ("children", "add"): "directoryentry",
    ("children", "find"): "directoryentry",
    ("eventlog", "geteventlogs"): "eventlog",
    ("process", "getprocessbyid"): "process",
    ("process", "getprocessesbyname"): "process",
    ("process", "getprocesses"): "process",
    ("servicecontroller", "getservices"): "servicecontroller",
    # ADO.NET's provider-neutral classes: a factory by provider name, then its connection.
    ("dbproviderfactories", "getfactory"): "dbproviderfactory",
    ("dbproviderfactory", "createconnection"): "dbconnection",
    # A listener's accepted connection, and a client's stream: what is read from them is the far
    # end's (a bind shell's `var c = l.AcceptTcpClient()`).
    ("tcplistener", "accepttcpclient"): "tcpclient",
    ("tcplistener", "acceptsocket"): "socket",
    ("tcplistener", "accepttcpclientasync"): "tcpclient",
    ("tcplistener", "acceptsocketasync"): "socket",
    ("socket", "accept"): "socket",
    ("socket", "acceptasync"): "socket",
    ("tcpclient", "getstream"): "networkstream",
    # A site's or the machine's configuration, opened to be changed and saved.
    ("webconfigurationmanager", "openwebconfiguration"): "configuration",
    ("webconfigurationmanager", "openmachineconfiguration"): "configuration",
    ("webconfigurationmanager", "openmappedwebconfiguration"): "configuration",
    ("configurationmanager", "openexeconfiguration"): "configuration",
    ("configurationmanager", "openmachineconfiguration"): "configuration",
    ("configurationmanager", "openmappedexeconfiguration"): "configuration",
    # The Dynamic Language Runtime's hosts (IronPython, IronRuby) hand out their script engine.
    ("python", "createengine"): "scriptengine",
    ("ruby", "createengine"): "scriptengine",
    ("scriptruntime", "getengine"): "scriptengine",
    ("python", "createruntime"): "scriptruntime",
    ("ruby", "createruntime"): "scriptruntime",
    ("scriptruntime", "createfromconfiguration"): "scriptruntime",
}

# The same by the method alone, whatever it is called on (`typeof(T).GetProperty("P")`).
METHOD_RETURNS: dict[str, str] = {
    "getproperty": "propertyinfo",
    "getfield": "fieldinfo",
    # each item of what they return, as a loop over them gives it
    "getproperties": "propertyinfo",
    "getfields": "fieldinfo",
    "getmembers": "memberinfo",
}

# Folded strings that are names a shell hides from string signatures.
DANGEROUS_TEXT = re.compile(
    r"\b(?:cmd(?:\.exe)?\s*/c|cmd\.exe|powershell(?:\.exe)?|system\.diagnostics\.process|processstartinfo"
    r"|wscript\.shell|jscriptevaluate|mscriptcontrol|system\.reflection\.assembly|assembly\.load"
    r"|compileassemblyfromsource|frombase64string|createdecryptor|win32_process)\b"
    r"|^(?:eval|unsafe|load|start|process|exec|invoke|createinstance|shell)$",
    re.I,
)


@dataclass(frozen=True, slots=True)
class SinkPattern:
    """One entry of a rule's `apis`: "new Type", "Type.Method", ".Method" or "function", with
    "#N" when only argument N (from 0) is what the call acts on (`argument`), or "...Member[]"
    for an indexer (`indexer`: C#'s `x.Member[key]`, which VB writes as a call)."""

    label: str
    new: bool
    parts: tuple[str, ...]
    any_receiver: bool
    argument: int | None = None
    indexer: bool = False

    @classmethod
    def parse(cls, spec: str) -> SinkPattern:
        s, _, index = spec.strip().partition("#")
        s = s.strip()
        at = int(index) if index.strip().isdigit() else None
        indexer = s.endswith("[]")
        body = s.removesuffix("[]")
        if body.lower().startswith("new "):
            return cls(s, True, (body[4:].strip().lower(),), False, at)
        if body.startswith("."):
            return cls(s, False, (body[1:].lower(),), True, at, indexer)
        return cls(s, False, tuple(body.lower().split(".")), False, at, indexer)

    def matches(self, path: tuple[str, ...], is_new: bool, has_receiver: bool, indexed: bool = False) -> bool:
        if self.new != is_new or (indexed and not self.indexer):
            return False
        if is_new:
            return bool(path) and path[-1] == self.parts[0]
        if self.any_receiver:
            return has_receiver and bool(path) and path[-1] == self.parts[0]
        if len(self.parts) == 1:
            return not has_receiver and path == self.parts
        n = len(self.parts)
        return len(path) >= n and path[-n:] == self.parts


# COM classes a page can start by CLSID instead of by name (`GetObject("new:{CLSID}")`,
# `Type.GetTypeFromCLSID(...)`): the registered class identifiers of the scripting and shell
# automation objects, as Windows registers them under HKEY_CLASSES_ROOT\CLSID.
COM_CLSIDS = {
    "72c24dd5-d70a-438b-8a42-98424b88afb8": "wscript.shell",
    "f935dc22-1cf0-11d0-adb9-00c04fd58a0b": "wscript.shell",
    "13709620-c279-11ce-a49e-444553540000": "shell.application",
    "0d43fe01-f093-11cf-8940-00a0c9054228": "scripting.filesystemobject",
    "093ff999-1ea0-4079-9525-9614c3504b74": "wscript.network",
    "49b2791a-b1ae-4c90-9b8e-e860ba07f889": "mmc20.application",
    "0f87369f-a4e5-4cfc-bd3e-73e6154572dd": "schedule.service",
}
# Calls that give a COM object or its type from a ProgID or CLSID (last name, lower case).
COM_FACTORIES = frozenset(
    {"createobject", "activexobject", "getobject", "gettypefromprogid", "gettypefromclsid", "createinstance"}
)


# The first names of the framework's calls a VB page makes on a namespace or a type, not on a
# variable (`System.IO.File.Exists(p)`, `IO.File.Exists(p)`, `Strings.Left(s, 2)`): none of
# their parameters that a page passes a string or an array to is `ByRef`, except the `Try...`
# methods (`_passed_by_reference`).
FRAMEWORK_ROOTS = frozenset(
    {
        "system",
        "microsoft",
        "my",
        "me",
        "mybase",
        "myclass",
        "io",
        "text",
        "diagnostics",
        "net",
        "web",
        "data",
        "xml",
        "security",
        "reflection",
        "runtime",
        "globalization",
        "collections",
        "threading",
        "configuration",
        "drawing",
        "management",
        "directoryservices",
        "linq",
        "response",
        "request",
        "server",
        "session",
        "application",
        "context",
        "httpcontext",
        "page",
        "cache",
        "viewstate",
        "trace",
        "debug",
        "clientscript",
        "scriptmanager",
        "console",
        "math",
        "convert",
        "string",
        "strings",
        "path",
        "file",
        "directory",
        "environment",
        "array",
        "encoding",
        "process",
        "interaction",
        "conversion",
        "filesystem",
        "information",
        "dateandtime",
        "vbmath",
        "financial",
        "err",
        "datetime",
        "timespan",
        "guid",
        "bitconverter",
        "marshal",
        "activator",
        "assembly",
        "type",
        "char",
        "integer",
        "int16",
        "int32",
        "int64",
        "long",
        "short",
        "byte",
        "boolean",
        "double",
        "single",
        "decimal",
        "object",
        "enum",
        "regex",
        "httputility",
        "configurationmanager",
        "webconfigurationmanager",
        "configurationsettings",
        "formsauthentication",
        "membership",
        "roles",
        "uri",
        "dns",
        "gc",
        "buffer",
        "thread",
        "task",
        "parallel",
        "enumerable",
        "registry",
        "eventlog",
        "color",
        "image",
        "stringcomparer",
        "comparer",
        "webrequest",
        "httpwebrequest",
        "cryptoconfig",
        "rijndael",
        "aes",
        "des",
        "tripledes",
        "md5",
        "sha1",
        "sha256",
        "hashalgorithm",
        "randomnumbergenerator",
        "xmlconvert",
        "hostingenvironment",
        "virtualpathutility",
        "appdomain",
        "user",
    }
)


# Classes whose constructors copy or only read an array they are given (a string of its chars,
# a list of its items, a certificate or a number of its bytes): the array keeps what it held.
# Any other constructor may keep the array itself (a stream or a view over it), and the array is
# then forgotten (`UnitFlow._array_wrapped`).
ARRAY_COPIERS = frozenset(
    {
        "string",
        "list",
        "hashset",
        "sortedset",
        "queue",
        "stack",
        "linkedlist",
        "bitarray",
        "guid",
        "biginteger",
        "decimal",
        "x509certificate",
        "x509certificate2",
        "securestring",
    }
)

# Framework calls that only read the arrays they are given: text made of the items, code and
# commands run from them, comparisons and lookups, a cipher's key. Any other call of code the
# page does not show may change an array's items (`_array_handed_out`).
ARRAY_READERS = frozenset(
    {
        "join",
        "concat",
        "format",
        "getstring",
        "getchars",
        "getcharcount",
        "getbytecount",
        "getbytes",
        "tobase64string",
        "tostring",
        "tohexstring",
        "append",
        "appendformat",
        "appendline",
        "insert",
        "write",
        "writeline",
        "binarywrite",
        "equals",
        "sequenceequal",
        "indexof",
        "lastindexof",
        "contains",
        "exists",
        "find",
        "findall",
        "findindex",
        "trueforall",
        "aslist",
        "tolist",
        "toarray",
        "count",
        "any",
        "all",
        "first",
        "firstordefault",
        "last",
        "select",
        "where",
        "combine",
        "createdecryptor",
        "createencryptor",
        "transformfinalblock",
        "computehash",
        "hashdata",
        "ubound",
        "lbound",
        "len",
        "getlength",
        "getupperbound",
        "getlowerbound",
        "load",
        "writeallbytes",
        "writealllines",
        "appendalllines",
        "invoke",
        "dynamicinvoke",
        "createinstance",
        "compileassemblyfromsource",
        "start",
    }
)
