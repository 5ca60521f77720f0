"""`discover`: from what the user pointed at to one `HostEvidence` per host.

The path may be a folder or a zip of any layout in DESIGN.md "Evidence layouts", or a folder
holding one such folder or zip per host; with no path on Windows, the live server. Nothing in
the evidence is written, moved or extracted: zips are read in place, folders are only listed,
and files are opened read-only for a bounded prefix where their path does not tell their kind.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.evidence.classify import SNIFF_BYTES, kind_from_content, kind_from_path
from exhunt.evidence.errors import EvidenceUnavailable
from exhunt.evidence.layout import Layout, View, analyse, host_layouts, unwrap
from exhunt.evidence.tree import Counter, Progress, Tree, list_folder, list_zip
from exhunt.model import ArtefactKind


def discover(path: str | None, *, on_progress: Progress | None = None) -> list[HostEvidence]:
    """The hosts in the evidence at `path` (the live server when `path` is None, on Windows only).

    `on_progress` is called now and then with the number of files listed so far. Raises
    `EvidenceUnavailable` with a one-line reason when nothing can be hunted at all.
    """
    if path is None:
        if sys.platform != "win32":
            raise EvidenceUnavailable(
                "no evidence path given: the live server can only be hunted on "
                "Windows; point exhunt at a folder or .zip of the server's evidence"
            )
        from exhunt.evidence.live import live_host

        return [live_host(on_progress=on_progress)]
    target = Path(path)
    counter = Counter(on_progress)
    try:
        is_dir = target.is_dir()
        is_file = target.is_file()
    except OSError as exc:
        raise EvidenceUnavailable(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if is_dir:
        tree = list_folder(str(target), counter=counter)
    elif is_file:
        tree = _open_zip_evidence(target, counter)
    else:
        raise EvidenceUnavailable(f"{path}: no such file or folder")
    opened: list[Tree] = [tree]
    try:
        if not tree.entries:
            why = f" ({tree.errors[0][1]})" if tree.errors else ""
            raise EvidenceUnavailable(f"{path}: no files to hunt{why}")
        root_view = unwrap(View(tree, 0, tree.entries, _stem(tree.name)))
        layouts = host_layouts(root_view, lambda: _zip_hosts(root_view, counter, opened))
        counter.done()
        hosts = [_host(layout, str(path)) for layout in layouts]
        _distinct_names(hosts, layouts)
        _attach_listing_errors(tree, hosts, layouts)
        if len(layouts) > 1 or layouts[0].view is not root_view:
            _note_loose_files(root_view, layouts, hosts)
        return hosts
    finally:
        for each in opened:
            each.close()


def _stem(name: str) -> str:
    return name[:-4] if name.lower().endswith(".zip") else name


def _open_zip_evidence(target: Path, counter: Counter) -> Tree:
    try:
        is_zip = zipfile.is_zipfile(target)
    except OSError as exc:
        raise EvidenceUnavailable(f"{target}: cannot be read ({exc.strerror or exc})") from exc
    if not is_zip:
        raise EvidenceUnavailable(
            f"{target}: not a folder or a .zip archive; point exhunt at the folder or zip that holds the evidence"
        )
    try:
        return list_zip(str(target), counter=counter)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise EvidenceUnavailable(f"{target}: not a readable zip archive ({exc})") from exc


def _zip_hosts(view: View, counter: Counter, opened: list[Tree]) -> list[Layout]:
    """Zips lying beside host folders: each may be one host's collection (read in place)."""
    if view.tree.is_zip:
        return []  # a zip inside a zip is evidence (a file), never a container of hosts
    layouts: list[Layout] = []
    for entry in view.entries:
        rel = view.rel(entry)
        if len(rel) != 1 or not rel[0].lower().endswith(".zip"):
            continue
        shown = "/".join(entry.parts)
        try:
            if not zipfile.is_zipfile(entry.ref.path):
                continue
            tree = list_zip(entry.ref.path, counter=counter)
            opened.append(tree)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            view.tree.errors.append((entry.parts, f"not a readable zip archive ({exc})"))
            continue
        own = View(tree, 0, tree.entries, _stem(rel[0]), rel_prefix=shown + "/")
        layouts.append(analyse(unwrap(own) if tree.entries else own))
    return layouts


def _host(layout: Layout, root: str) -> HostEvidence:
    view = layout.view
    host = HostEvidence(
        name=layout.host,
        root=root,
        layout=layout.layout,
        exchange_install=layout.exchange_install,
        notes=list(layout.notes),
        errors=list(layout.errors),
    )
    above = view.depth
    for i, entry in enumerate(view.entries):
        if i in layout.skip:
            continue
        rel_path = view.rel_prefix + "/".join((*entry.parts[:above], *layout.decoded[i]))
        windows = layout.windows_path(i)
        context = layout.context(i, windows)
        kind = kind_from_path(context, exchange_logging=layout.under_exchange_logging(i, windows))
        if kind is None:
            try:
                kind = kind_from_content(view.tree.read_prefix(entry, SNIFF_BYTES), context[-1])
            except OSError as exc:
                host.errors.append((rel_path, f"cannot read file: {exc.strerror or exc}"))
                kind = ArtefactKind.FILE
        host.files.append(EvidenceFile(entry.ref, rel_path, kind, entry.size, entry.mtime, windows))
    if view.rel_prefix:  # a host's own zip beside others: its listing problems are its own
        host.errors.extend((view.rel_prefix + "/".join(parts), why) for parts, why in view.tree.errors)
    if not host.files and not host.errors:
        host.errors.append((view.rel_prefix or ".", "no files to hunt for this host"))
    return host


def _attach_listing_errors(tree: Tree, hosts: list[HostEvidence], layouts: list[Layout]) -> None:
    """Give each problem met while listing to the host whose folder it lies in (all hosts when none)."""
    for parts, message in tree.errors:
        shown = "/".join(parts) or "."
        owners = [
            h
            for h, lay in zip(hosts, layouts, strict=True)
            if not lay.view.rel_prefix and parts[: lay.view.depth] == _view_base(lay.view)
        ]
        for host in owners or hosts:
            host.errors.append((shown, message))


def _distinct_names(hosts: list[HostEvidence], layouts: list[Layout]) -> None:
    """Two collections of one server (taken on different days) stay two hosts, told apart by where
    they came from."""
    counts: dict[str, int] = {}
    for host in hosts:
        counts[host.name.lower()] = counts.get(host.name.lower(), 0) + 1
    for host, layout in zip(hosts, layouts, strict=True):
        if counts[host.name.lower()] > 1:
            view = layout.view
            where = view.rel_prefix.rstrip("/") or "/".join(_view_base(view)) or view.name
            if where != host.name:
                host.name = f"{host.name} ({where})"


def _note_loose_files(root: View, layouts: list[Layout], hosts: list[HostEvidence]) -> None:
    """Files lying beside the host folders belong to no host: say so rather than drop them silently."""
    host_zips = {lay.view.rel_prefix for lay in layouts if lay.view.rel_prefix}
    loose = [e.parts[-1] for e in root.entries if len(root.rel(e)) == 1 and "/".join(e.parts) + "/" not in host_zips]
    if loose:
        shown = ", ".join(sorted(loose)[:5]) + (", ..." if len(loose) > 5 else "")
        for host in hosts:
            host.notes.append(f"{len(loose)} file(s) beside the host folders not hunted: {shown}")


def _view_base(view: View) -> tuple[str, ...]:
    return view.entries[0].parts[: view.depth] if view.entries else ()
