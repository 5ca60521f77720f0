"""Recognising a layout: where the server's drives, the Exchange install and the logs are in a tree.

A `View` is one candidate host: the entries of a listed folder or zip below some folder. `analyse`
decides what the view is (Velociraptor collection, KAPE output, disk mirror, bare Exchange
install, bare `Logging` folder, bare IIS log folder, or just files) from the folder structure
alone, and how each entry maps back to a path on the original server (README, "Evidence
layouts").
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from exhunt import boundedjson
from exhunt.evidence.base import HostProblem
from exhunt.evidence.containers import stem
from exhunt.evidence.entries import Picked, RelPaths
from exhunt.evidence.names import (
    clean_host_name,
    device_root,
    drive_of_folder,
    host_from_collection_name,
    is_server_folder_name,
    is_w3svc,
    velociraptor_decode,
)
from exhunt.evidence.tree import Tree
from exhunt.model import ProblemKind

VELOCIRAPTOR_ACCESSORS = frozenset(
    {
        "auto",
        "file",
        "ntfs",
        "mft",
        "lazy_ntfs",
        "ntfs_vss",
        "raw_ntfs",
        "reg",
        "registry",
        "raw_reg",
        "data",
        "fs",
        "zip",
        "ewf",
        "vss",
    }
)
_VOLUME_FOLDERS = frozenset(
    {"windows", "program files", "program files (x86)", "programdata", "inetpub", "users", "$extend"}
)
_NTFS_METAFILES = frozenset({"$mft", "$logfile", "$extend", "$secure_$sds", "$boot", "$usnjrnl_$j", "$j"})
_EXCHANGE_LOG_FOLDERS = frozenset({"httpproxy", "ecp", "oabgeneratorlog", "cmdletinfra"})
# Output folders collection tools and people create; never a host's name.
_TOOL_FOLDERS = frozenset(
    {
        "tdest",
        "kape",
        "kape_output",
        "output",
        "out",
        "collection",
        "collections",
        "triage",
        "export",
        "exports",
        "evidence",
        "data",
        "files",
        "extracted",
        "unzipped",
    }
)
_MAX_UNWRAP = 4
_MAX_MIRROR_DEPTH = 3
_CLIENT_INFO_BYTES = 256 * 1024


@dataclass(slots=True)
class View:
    """The entries of `tree` below `depth` leading components: one candidate host. They are
    held as their positions in the tree's listing (`at`), made only when asked (`entries`)."""

    tree: Tree
    depth: int
    at: Sequence[int]
    name: str  # the folder's or zip's name (a host-name fallback)
    rel_prefix: str = ""  # put before every rel_path: the zip's name when hosts are zips in a folder

    @property
    def entries(self) -> Picked:
        return Picked(self.tree.entries, self.at)

    def top(self) -> tuple[dict[str, array[int]], list[int]]:
        """Entries (positions) grouped by their first folder, and the loose files at the top. A
        container whose members are listed is a folder here (its members), not a loose file."""
        listing = self.tree.entries
        depth = self.depth
        folders: dict[str, array[int]] = {}
        loose: list[int] = []
        for n in self.at:
            folder = listing.folder_of(n)
            if len(folder) > depth:
                held = folders.get(folder[depth])
                if held is None:
                    held = folders[folder[depth]] = array("I")
                held.append(n)
            elif not listing.is_container(n):
                loose.append(n)
        return folders, loose

    def below(self, folder: str, at: Sequence[int]) -> View:
        """The view of one folder (or listed container, named without its suffix)."""
        return View(self.tree, self.depth + 1, at, stem(folder), self.rel_prefix)

    def paths(self, decodes: DecodeWhere, lower: bool) -> RelPaths:
        """Each entry's components below the view's root, decoded where `decodes` says, lower-case
        when asked: made when read, not held per file."""
        return RelPaths(self.entries, self.depth, velociraptor_decode, decodes, lower)


DecodeWhere = Callable[[tuple[str, ...]], bool]  # from a file's folder below the view: its names are encoded


def _everywhere(_folder: tuple[str, ...]) -> bool:
    return True


def _nowhere(_folder: tuple[str, ...]) -> bool:
    return False


@dataclass(slots=True)
class Layout:
    """What a view is, and how its entries map to the original server."""

    view: View
    layout: str
    host: str
    decoded: RelPaths  # per entry: rel components, decoded where the layout encodes names
    lower: RelPaths  # the same, lower case, for matching
    mirror: tuple[str, ...] | None = None  # lower-case rel path of the folder holding drive folders
    assumed_drive: str | None = None  # the view root is a volume root taken as this drive
    install_rel: tuple[str, ...] | None = None
    exchange_install: str | None = None
    log_context: tuple[str, ...] = ()  # folders the view root sits in, for classifying bare log folders
    per_host: bool = False  # one host's evidence by where it lies (its own archive, its own events)
    skip: set[int] = field(default_factory=set)  # entry indexes that are collection metadata, not evidence
    notes: list[str] = field(default_factory=list)
    errors: list[HostProblem] = field(default_factory=list)

    @property
    def host_like(self) -> bool:
        return self.layout != "files" or self.install_rel is not None or self.per_host

    def server_path(self, parts: tuple[str, ...], lower: tuple[str, ...]) -> str | None:
        """The Windows path on the original server of rel components `parts`, when the layout tells it."""
        if self.layout == "velociraptor":
            if len(parts) >= 4 and lower[0] == "uploads":
                root = device_root(parts[2])
                if root is not None:
                    return root + "\\" + "\\".join(parts[3:])
            return None
        if self.assumed_drive is not None:
            return f"{self.assumed_drive}:\\" + "\\".join(parts)
        if self.mirror is not None:
            k = len(self.mirror)
            if len(parts) > k + 1 and lower[:k] == self.mirror:
                letter = drive_of_folder(parts[k])
                if letter is not None:
                    return f"{letter}:\\" + "\\".join(parts[k + 1 :])
        return None

    def context(self, lower: tuple[str, ...], windows: str | None) -> tuple[str, ...]:
        """Lower-case components used to classify an entry (`lower`, as in `Layout.lower`): its
        server path (`windows`) when known."""
        if windows is not None:
            return tuple(windows.lower().split("\\")[1:])
        return self.log_context + lower

    def under_exchange_logging(self, lower: tuple[str, ...], windows: str | None) -> bool:
        """Whether an entry lies in the Exchange install's `Logging` folder (or the bare copy of it)."""
        if self.layout == "logging-folder":
            return True
        if self.exchange_install is not None and windows is not None:
            return windows.lower().startswith(self.exchange_install.lower() + "logging\\")
        if self.install_rel is None:
            return False
        k = len(self.install_rel)
        return len(lower) > k + 1 and lower[:k] == self.install_rel and lower[k] == "logging"


def unwrap(view: View) -> View:
    """Step into lone wrapper folders (`case/EX01/...`, a zip holding one folder) that are not
    themselves part of a server's tree."""
    for _ in range(_MAX_UNWRAP):
        folders, loose = view.top()
        if loose or len(folders) != 1:
            return view
        ((name, entries),) = folders.items()
        if is_server_folder_name(name):
            return view
        inner = view.below(name, entries)
        if name.lower() in _TOOL_FOLDERS:
            inner.name = view.name  # `EX01/tdest/C/...`: the host is EX01, not the tool's output folder
        elif view.depth > 0 and inner.name != name and not host_from_collection_name(inner.name):
            inner.name = view.name  # `case/EX01/logs.zip`: the host is EX01, not the archive
        view = inner
    return view


def analyse(view: View) -> Layout:
    """Decide the layout of one view from its folder structure (no file is opened but a
    Velociraptor collection's `client_info.json`)."""
    folders, _ = view.top()
    listing, depth = view.tree.entries, view.depth
    top_dirs = {name.lower() for name in folders}
    top_files = {listing.name(n).lower() for n in view.at if len(listing.folder_of(n)) == depth}
    collection_files = bool(top_files & {"client_info.json", "collection_context.json", "uploads.json"})
    # A collection of artifact results only (parsed event logs, no file uploaded) has results/
    # and its metadata but no uploads/: still a Velociraptor collection, named by its client info.
    uploads = "uploads" in top_dirs and (
        collection_files
        or any(
            len(folder := listing.folder_of(n)) >= depth + 2 and folder[depth + 1].lower() in VELOCIRAPTOR_ACCESSORS
            for n in folders.get(_original(folders, "uploads"), ())
        )
    )
    velociraptor = uploads or ("results" in top_dirs and collection_files)
    if velociraptor:
        layout = _velociraptor(view)
    elif not folders and {"metadata.json", "data.zip"} <= top_files:
        layout = _encrypted_velociraptor(view)
    else:
        layout = _structured(view, folders)
    if layout.host == view.name and is_server_folder_name(view.name):
        # `.../EX01/Logging` or `.../EX01/C`: the host is the folder above.
        layout.host = _parent_name(view) or view.name
    elif layout.host == view.name and (collected := _stem_host(view.name)):
        layout.host = collected  # `Collection-EX01-<time>` of any layout names its host
    return layout


def _original(folders: dict[str, array[int]], lower_name: str) -> str:
    for name in folders:
        if name.lower() == lower_name:
            return name
    return lower_name


def _velociraptor(view: View) -> Layout:
    lower = view.paths(_everywhere, lower=True)
    layout = Layout(view, "velociraptor", view.name, view.paths(_everywhere, lower=False), lower)
    accessors = sorted({lw[1] for lw in lower if len(lw) >= 3 and lw[0] == "uploads"})
    if accessors:
        word = "accessor" if len(accessors) == 1 else "accessors"
        layout.notes.append(f"Velociraptor collection, {word} {', '.join(accessors)}")
    else:
        layout.notes.append("Velociraptor collection")
    metadata: list[str] = []
    for i, lw in enumerate(lower):
        # Top-level files and result indexes describe the collection, not the server.
        if len(lw) == 1 or lw[-1].endswith(".index"):
            layout.skip.add(i)
            metadata.append(layout.decoded[i][-1])
    if metadata:
        shown = ", ".join(sorted(metadata)[:6]) + (", ..." if len(metadata) > 6 else "")
        layout.notes.append(f"collection metadata read, not hunted: {shown}")
    layout.host = _velociraptor_host(layout) or _stem_host(view.name) or view.name
    _find_install(layout, _folders_of(lower))
    return layout


def _velociraptor_host(layout: Layout) -> str | None:
    view = layout.view
    for i, lw in enumerate(layout.lower):
        if lw != ("client_info.json",):
            continue
        shown = view.rel_prefix + "/".join(view.entries[i].parts)
        try:
            info = boundedjson.loads(view.tree.read_prefix(view.entries[i], _CLIENT_INFO_BYTES))
        except (OSError, ValueError) as exc:
            layout.errors.append(
                HostProblem(shown, f"cannot read the collection's client info: {exc}", ProblemKind.UNREADABLE)
            )
            return None
        if not isinstance(info, dict):
            layout.errors.append(HostProblem(shown, "client info is not a JSON object", ProblemKind.UNREADABLE))
            return None
        fields = {str(k).lower(): v for k, v in info.items()}
        for key in ("hostname", "fqdn"):
            value = fields.get(key)
            if isinstance(value, str) and (name := clean_host_name(value)):
                layout.notes.append(f"host name {name!r} from the collection's client_info.json")
                return name
    return None


def _stem_host(name: str) -> str | None:
    return host_from_collection_name(stem(name))


def _encrypted_velociraptor(view: View) -> Layout:
    decoded = view.paths(_nowhere, lower=False)
    layout = Layout(view, "velociraptor", _stem_host(view.name) or view.name, decoded, view.paths(_nowhere, lower=True))
    layout.skip.update(range(len(decoded)))
    layout.errors.append(
        HostProblem(
            view.rel_prefix + view.tree.name,
            "encrypted Velociraptor collection (metadata.json and data.zip): decrypt it first, "
            "e.g. with `velociraptor unzip`, then hunt the result",
            ProblemKind.ENCRYPTED,
        )
    )
    return layout


def _structured(view: View, folders: dict[str, array[int]]) -> Layout:
    # Drive folders written the Velociraptor way (`C%3A`) have every name below them encoded too.
    encoded_drives = {name for name in folders if "%" in name and drive_of_folder(name) is not None}

    def encoded(folder: tuple[str, ...]) -> bool:
        return bool(folder) and folder[0] in encoded_drives

    lower = view.paths(encoded, lower=True)
    layout = Layout(view, "files", view.name, view.paths(encoded, lower=False), lower)
    dirs = _folders_of(lower)
    top = {d[0] for d in dirs if len(d) == 1}

    mirror = _mirror_root(dirs)
    if mirror is not None:
        layout.mirror = mirror
        drives = sorted(
            {
                drive_of_folder(d[len(mirror)]) or ""
                for d in dirs
                if len(d) == len(mirror) + 1 and d[: len(mirror)] == mirror and drive_of_folder(d[-1]) is not None
            }
        )
        kape = _looks_like_kape(lower, dirs, mirror)
        layout.layout = "kape" if kape else "disk-mirror"
        what = "KAPE collection" if kape else "disk mirror"
        where = f" in {'/'.join(decoded_prefix(layout, mirror))}" if mirror else ""
        layout.notes.append(
            f"{what}{where}, drive folder{'s' if len(drives) > 1 else ''} {', '.join(d + ':' for d in drives)}"
        )
        if kape:
            _skip_kape_logs(layout, mirror)
    elif "windows" in top and top & {"program files", "programdata", "inetpub", "users"}:
        # The root of a mounted system volume: its drive letter is not written anywhere.
        layout.assumed_drive = drive_of_folder(view.name) or "C"
        layout.layout = "disk-mirror"
        layout.notes.append(f"folder holds a Windows system volume; taken as drive {layout.assumed_drive}:")

    _find_install(layout, dirs)
    if layout.layout == "files":
        _bare_folders(layout, top)
    return layout


def decoded_prefix(layout: Layout, lower_prefix: tuple[str, ...]) -> tuple[str, ...]:
    """The original-case components of a lower-case folder path of the layout."""
    k = len(lower_prefix)
    for parts, lw in zip(layout.decoded, layout.lower, strict=True):
        if len(lw) > k and lw[:k] == lower_prefix:
            return parts[:k]
    return lower_prefix


def _parent_name(view: View) -> str | None:
    if view.depth > 0 and view.entries:
        return view.entries[0].parts[view.depth - 1]
    return Path(view.tree.location).parent.name or None


def _folders_of(lower: RelPaths) -> set[tuple[str, ...]]:
    """Every folder (as a lower-case component tuple) that holds a file, with all its ancestors."""
    parents = lower.folders()
    folders: set[tuple[str, ...]] = set()
    for p in parents:
        for k in range(len(p), 0, -1):
            prefix = p[:k]
            if prefix in folders:
                break
            folders.add(prefix)
    return folders


def _mirror_root(dirs: set[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The shallowest folder holding a drive folder that looks like a Windows volume."""
    best: tuple[str, ...] | None = None
    for d in dirs:
        if len(d) < 2 or len(d) - 2 > _MAX_MIRROR_DEPTH:
            continue
        if d[-1] in _VOLUME_FOLDERS and drive_of_folder(d[-2]) is not None:
            root = d[:-2]
            if best is None or (len(root), root) < (len(best), best):
                best = root
    if best is None:
        # A drive holding only an Exchange install on a non-system volume (D:\Exchange\...).
        for d in dirs:
            if len(d) >= 3 and d[-1] == "httpproxy" and d[-2] in ("logging", "frontend"):
                for k in range(min(len(d) - 2, _MAX_MIRROR_DEPTH + 1)):
                    if drive_of_folder(d[k]) is not None:
                        if best is None or (k, d[:k]) < (len(best), best):
                            best = d[:k]
                        break
    return best


def _looks_like_kape(lower: RelPaths, dirs: set[tuple[str, ...]], mirror: tuple[str, ...]) -> bool:
    """KAPE leaves NTFS metafiles at a drive root and its own copy/skip logs beside the drives."""
    k = len(mirror)
    for lw in lower:
        if lw[:k] != mirror:
            continue
        rest = lw[k:]
        if len(rest) == 2 and drive_of_folder(rest[0]) is not None and rest[1] in _NTFS_METAFILES:
            return True
        if len(rest) == 1 and rest[0].endswith(".csv") and ("copylog" in rest[0] or "skiplog" in rest[0]):
            return True
    return any(len(d) == k + 2 and d[:k] == mirror and d[-1] == "$extend" for d in dirs)


def _skip_kape_logs(layout: Layout, mirror: tuple[str, ...]) -> None:
    k = len(mirror)
    skipped = [
        i
        for i, lw in enumerate(layout.lower)
        if len(lw) == k + 1 and lw[:k] == mirror and lw[-1].endswith((".csv", ".txt", ".log"))
    ]
    layout.skip.update(skipped)
    if skipped:
        names = sorted(layout.decoded[i][-1] for i in skipped)
        shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
        layout.notes.append(f"{len(skipped)} KAPE log file(s) beside the drive folders not hunted: {shown}")


def _find_install(layout: Layout, dirs: set[tuple[str, ...]]) -> None:
    """Find the Exchange install by its structure (docs/logs.md#where-the-logs-are: any drive, any path)."""
    markers: dict[tuple[str, ...], set[str]] = {}
    for d in dirs:
        if len(d) >= 2 and d[-1] == "httpproxy" and d[-2] in ("logging", "frontend"):
            markers.setdefault(d[:-2], set()).add(d[-2])
    for lw in layout.lower:
        if len(lw) >= 2 and lw[-1] == "exsetup.exe" and lw[-2] == "bin":
            markers.setdefault(lw[:-2], set()).add("bin")
    if not markers:
        return
    # One install reached twice (Velociraptor's `auto` and `ntfs` accessors) is one install.
    by_server: dict[str, tuple[tuple[str, ...], set[str]]] = {}
    for rel, found in markers.items():
        original = decoded_prefix(layout, rel)
        server = layout.server_path((*original, "x"), (*rel, "x"))
        key = server.lower() if server is not None else "/".join(rel)
        kept = by_server.get(key)
        if kept is None or (len(rel), rel) < (len(kept[0]), kept[0]):
            by_server[key] = (rel, found | (kept[1] if kept else set()))
        else:
            kept[1].update(found)
    ranked = sorted(by_server.values(), key=lambda item: (-len(item[1]), len(item[0]), item[0]))
    install, found = ranked[0]
    layout.install_rel = install
    original = decoded_prefix(layout, install)
    windows = layout.server_path((*original, "x"), (*install, "x"))
    if windows is not None:
        layout.exchange_install = windows[:-1]
        layout.notes.append(f"Exchange install found at {layout.exchange_install}")
    elif install:
        layout.notes.append(f"Exchange install found at {'/'.join(original)} (its path on the server is not known)")
    else:
        layout.notes.append("the folder is an Exchange install (its path on the server is not known)")
    for other, _ in ranked[1:]:
        layout.notes.append(f"another Exchange install tree at {'/'.join(decoded_prefix(layout, other))}")
    if layout.layout == "files" and install == () and found == {"logging"}:
        # Only the Logging folder's parent: a bare copy of logs, not an install.
        layout.install_rel = None
        layout.notes.pop()
        layout.layout = "logging-folder"
        layout.notes.append("Exchange logs (a folder holding Logging)")
    elif layout.layout == "files" and install == ():
        layout.layout = "exchange-install"


def _bare_folders(layout: Layout, top: set[str]) -> None:
    """A bare Exchange `Logging` folder (or one of its log folders), or a bare IIS log folder."""
    name = stem(layout.view.name).lower()
    top_names = {lw[0] for lw in layout.lower if len(lw) == 1}
    if name == "logging" or (top & _EXCHANGE_LOG_FOLDERS and _logging_children(layout)):
        layout.layout = "logging-folder"
        layout.log_context = ("logging",)
        layout.notes.append("bare Exchange Logging folder")
    elif name in _EXCHANGE_LOG_FOLDERS:
        layout.layout = "logging-folder"
        layout.log_context = ("logging", name)
        layout.notes.append(f"bare Exchange {layout.view.name} log folder")
    elif is_w3svc(name) or name == "httperr":
        layout.layout = "iis-logs"
        layout.log_context = (name,)
        layout.notes.append(f"bare IIS log folder {layout.view.name}")
    elif any(is_w3svc(t) for t in top) or (name == "logfiles" and "httperr" in top):
        layout.layout = "iis-logs"
        layout.notes.append("bare IIS log folder (W3SVC site folders)")
    elif any(n.startswith("u_ex") and n.endswith(".log") for n in top_names):
        layout.layout = "iis-logs"
        layout.notes.append("bare IIS log folder")


def _logging_children(layout: Layout) -> bool:
    """The top folders really are Exchange log folders, not web folders of the same names."""
    for lw in layout.lower:
        if len(lw) < 2 or lw[0] not in _EXCHANGE_LOG_FOLDERS:
            continue
        if lw[0] == "ecp" and len(lw) >= 3 and lw[1] in ("server", "activity"):
            return True
        if lw[0] in ("httpproxy", "oabgeneratorlog", "cmdletinfra") and lw[-1].endswith(".log"):
            return True
    return False


def host_layouts(view: View) -> list[Layout]:
    """One layout per host: several when `view` is a folder of hosts, else the view's own.

    A folder is a folder of hosts when it is not itself a server layout, none of its folders is
    part of a server's tree (`Logging`, `W3SVC1`, `C`...), and its sub-folders (or zips) look like
    evidence of a host each: one such child alone, or at least two and no fewer than the
    children that do not. A single host's layout is never split.
    """
    own = analyse(view)
    if own.layout != "files" and not own.mirror:  # a server layout at the top, not further down
        return [own]
    folders, _ = view.top()
    if any(is_server_folder_name(name) for name in folders):
        return [own]
    children = [analyse(unwrap(view.below(name, entries))) for name, entries in sorted(folders.items())]
    _mark_hosts_by_place(view, sorted(folders), children)
    hosts = [c for c in children if c.host_like]
    others = len(children) - len(hosts)
    if (len(hosts) == 1 and others == 0) or (len(hosts) >= 2 and len(hosts) >= others):
        return children
    return [own]


def _mark_hosts_by_place(view: View, names: list[str], children: list[Layout]) -> None:
    """Children that are one host's evidence whatever their inner layout: an archive of its own
    beside others (`case/EX01.zip`, `case/EX02.tar.gz`), or a folder of event exports whose events
    name another computer than its siblings' (`case/EX01/*.evtx`, `case/EX02/*.evtx`)."""
    from exhunt.evidence.computers import first_computer  # reads a prefix of a few files only

    listing = view.tree.entries
    archives = {listing.name(n) for n in view.at if listing.is_container(n) and len(listing.folder_of(n)) == view.depth}
    for name, child in zip(names, children, strict=True):
        if name in archives and len(names) > 1:
            child.per_host = True
    computers: dict[int, str] = {}
    for i, child in enumerate(children):
        if not child.host_like:
            found = first_computer(view.tree, child.view.entries)
            if found:
                computers[i] = found.lower()
    if len(computers) >= 2 and len(set(computers.values())) == len(computers):
        for i, computer in computers.items():
            children[i].per_host = True
            children[i].notes.append(f"events of computer {computer!r}: hunted as a host of its own")
