"""`discover`: from what the user pointed at to one `HostEvidence` per host.

The path may be a folder or a zip of any layout of the README's "Evidence layouts", a folder
holding one such folder or zip per host, or one file that is not an archive (hunted as a host
of its own); with no path on Windows, the live server. Nothing in
the evidence is written, moved or extracted: zips are read in place, folders are only listed,
and files are opened read-only for a bounded prefix where their path does not tell their kind.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from pathlib import Path

from exhunt.evidence.base import EvidenceFile, HostEvidence, HostProblem
from exhunt.evidence.classify import SNIFF_BYTES, kind_from_content, kind_from_path
from exhunt.evidence.containers import LIMITS, ContainerError, Limits, stem
from exhunt.evidence.entries import Entry, Picked
from exhunt.evidence.errors import EvidenceUnavailable
from exhunt.evidence.layout import Layout, View, host_layouts, unwrap
from exhunt.evidence.names import host_from_collection_name
from exhunt.evidence.packed import PackedFiles
from exhunt.evidence.tree import (
    Budget,
    Counter,
    Progress,
    Tree,
    expand_containers,
    list_container,
    list_file,
    list_folder,
)
from exhunt.model import ArtefactKind, ProblemKind


def discover(path: str | None, *, on_progress: Progress | None = None, limits: Limits = LIMITS) -> list[HostEvidence]:
    """The hosts in the evidence at `path` (the live server when `path` is None, on Windows only).

    Containers (zip, tar, tar.gz, 7z...) are listed in place wherever they lie, nested up to
    `limits`. `on_progress` is called now and then with the number of files listed so far. Raises
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
        expand_containers(tree, counter=counter, budget=Budget(limits))
    elif is_file:
        tree = _open_container_evidence(target, counter, limits)
    else:
        raise EvidenceUnavailable(f"{path}: no such file or folder")
    if not tree.entries and tree.errors and all(kind is ProblemKind.ENCRYPTED for _p, _m, kind in tree.errors):
        return [_encrypted_host(tree, str(path))]
    if not tree.entries:
        why = f" ({tree.errors[0][1]})" if tree.errors else ""
        raise EvidenceUnavailable(f"{path}: no files to hunt{why}")
    listing = tree.entries
    placed = array("I", (n for n in range(len(listing)) if not listing.is_stray(n)))
    stray = Picked(listing, [n for n in range(len(listing)) if listing.is_stray(n)] if placed else [])
    root_view = unwrap(View(tree, 0, placed or range(len(listing)), stem(tree.name)))
    layouts = host_layouts(root_view)
    counter.done()
    hosts = [_host(layout, str(path)) for layout in layouts]
    _distinct_names(hosts, layouts)
    _attach_listing_errors(tree, hosts, layouts)
    if len(layouts) > 1 or layouts[0].view is not root_view:
        _note_loose_files(root_view, layouts, hosts)
    _place_stray(tree, stray, hosts)
    return hosts


def _encrypted_host(tree: Tree, root: str) -> HostEvidence:
    """An archive given alone with nothing in it readable without its password: a host named
    from the archive, its one problem saying so and what to do (insufficient evidence, as an
    encrypted part of a larger collection is), rather than no host at all."""
    members = [parts for parts, _message, _kind in tree.errors if parts]
    what = (
        f"encrypted archive: all {len(members)} of its members are behind a password"
        if members
        else tree.errors[0][1].split(";")[0]
    )
    name = stem(tree.name)
    return HostEvidence(
        name=host_from_collection_name(name) or name,
        root=root,
        layout="encrypted-archive",
        errors=[
            HostProblem(
                tree.name,
                f"{what}; nothing in it can be read without the password: hunt it extracted "
                "with the password, or collect the evidence again without one",
                ProblemKind.ENCRYPTED,
            )
        ],
    )


def _open_container_evidence(target: Path, counter: Counter, limits: Limits) -> Tree:
    try:
        return list_container(str(target), counter=counter, limits=limits)
    except ContainerError as exc:
        if exc.kind is ProblemKind.ENCRYPTED:
            # Encrypted as a whole (a 7z, its file list too): a host of its own, see `discover`.
            tree = Tree(name=target.name, location=str(target.resolve()), is_container=True)
            tree.error((), str(exc), exc.kind)
            return tree
        if exc.kind is ProblemKind.UNREADABLE and "not a known archive format" in str(exc):
            # One file on its own (an IIS log mailed in, an event export): hunted as a host whose
            # evidence is that file. Its kind comes from its content, as for any file.
            try:
                return list_file(str(target), counter=counter)
            except OSError as err:
                raise EvidenceUnavailable(f"{target}: cannot be read ({err.strerror or err})") from err
        raise EvidenceUnavailable(f"{target}: {exc}") from exc
    except OSError as exc:
        raise EvidenceUnavailable(f"{target}: cannot be read ({exc.strerror or exc})") from exc


def _place_stray(tree: Tree, stray: Iterable[Entry], hosts: list[HostEvidence]) -> None:
    """Members stored under absolute names (`C:/Windows/Temp/x.txt`) name their own place on the
    server: they go to the one host as such, and are named as a problem when hosts are several."""
    stray = list(stray)  # a few members at most
    if not stray:
        return
    if len(hosts) > 1:
        for host in hosts:
            for entry in stray:
                host.errors.append(
                    HostProblem(
                        "/".join(entry.parts),
                        "member stored under an absolute name beside several hosts' collections: "
                        "not attributable to one host, not hunted",
                        ProblemKind.NOT_ANALYZED,
                    )
                )
        return
    (host,) = hosts
    for entry in stray:
        rel_path = "/".join(entry.parts)
        parts = entry.parts
        windows = None
        if len(parts[0]) == 2 and parts[0][1] == ":":
            windows = parts[0].upper() + "\\" + "\\".join(parts[1:])
        context = tuple(p.lower() for p in parts[1:]) if windows else tuple(p.lower() for p in parts)
        add_file(host, tree, entry, rel_path, windows, context)


def add_file(
    host: HostEvidence,
    tree: Tree,
    entry: Entry,
    rel_path: str,
    windows: str | None,
    context: tuple[str, ...],
    exchange_logging: bool = False,
) -> None:
    """List one file of `host`: its kind from its path, else from its first bytes; a file whose
    first bytes cannot be read is hunted as a plain file, and the failed read is the host's
    problem."""
    kind = kind_from_path(context, exchange_logging=exchange_logging)
    if kind is None:
        try:
            kind = kind_from_content(tree.read_prefix(entry, SNIFF_BYTES), context[-1])
        except OSError as exc:
            host.errors.append(
                HostProblem(rel_path, f"cannot read file: {exc.strerror or exc}", ProblemKind.UNREADABLE)
            )
            kind = ArtefactKind.FILE
    files = host.files
    if not isinstance(files, PackedFiles | list):
        files = host.files = list(files)
    files.append(EvidenceFile(entry.ref, rel_path, kind, entry.size, entry.mtime, windows))


def _host(layout: Layout, root: str) -> HostEvidence:
    view = layout.view
    host = HostEvidence(
        name=layout.host,
        root=root,
        layout=layout.layout,
        files=PackedFiles(),  # packed as listed: the host never holds its files as objects
        exchange_install=layout.exchange_install,
        notes=list(layout.notes),
        errors=list(layout.errors),
    )
    above = view.depth
    skip = layout.skip
    for i, (entry, parts, lower) in enumerate(zip(view.entries, layout.decoded, layout.lower, strict=True)):
        if i in skip or entry.container:
            continue
        rel_path = view.rel_prefix + "/".join((*entry.parts[:above], *parts))
        windows = layout.server_path(parts, lower)
        context = layout.context(lower, windows)
        add_file(host, view.tree, entry, rel_path, windows, context, layout.under_exchange_logging(lower, windows))
    if not host.files and not host.errors:
        host.errors.append(
            HostProblem(view.rel_prefix or ".", "no files to hunt for this host", ProblemKind.UNREADABLE)
        )
    return host


def _attach_listing_errors(tree: Tree, hosts: list[HostEvidence], layouts: list[Layout]) -> None:
    """Give each problem met while listing to the host whose folder it lies in (all hosts when none)."""
    for parts, message, kind in tree.errors:
        shown = "/".join(parts) or "."
        owners = [
            h
            for h, lay in zip(hosts, layouts, strict=True)
            if not lay.view.rel_prefix and parts[: lay.view.depth] == _view_base(lay.view)
        ]
        for host in owners or hosts:
            host.errors.append(HostProblem(shown, message, kind))


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
    listing = root.tree.entries
    loose = [
        name
        for n in root.at
        if len(folder := listing.folder_of(n)) == root.depth
        and not listing.is_container(n)
        and "/".join((*folder, name := listing.name(n))) + "/" not in host_zips
    ]
    if loose:
        shown = ", ".join(sorted(loose)[:5]) + (", ..." if len(loose) > 5 else "")
        for host in hosts:
            host.notes.append(f"{len(loose)} file(s) beside the host folders not hunted: {shown}")


def _view_base(view: View) -> tuple[str, ...]:
    return view.entries[0].parts[: view.depth] if view.entries else ()
