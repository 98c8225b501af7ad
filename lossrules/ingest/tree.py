"""A read-only view of a log directory: list folders, open files, stay inside the tree.

Readers and discovery reach files only through a tree, so lossrules never writes into a user's
log directory, never follows a symbolic link out of it and never loops on one. Paths inside a
tree are POSIX strings relative to its root (``""`` is the root itself). :class:`Tree` is the
local disk; :class:`RemoteTree` is any fsspec filesystem (``s3://``, ``gs://``, ``memory://``)
whose protocol package is installed.
"""
from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from typing import BinaryIO

from ..model import InputError


@dataclass(frozen=True)
class Listing:
    """The readable files and sub-folders of one folder, sorted by name."""

    files: tuple[str, ...]
    dirs: tuple[str, ...]


def join(folder: str, name: str) -> str:
    """Join a tree-relative folder and a name."""
    return posixpath.join(folder, name) if folder else name


@dataclass
class Tree:
    """A directory tree on the local disk, read-only.

    ``only`` restricts the root folder to one file, for a path that names a single log file.
    ``notes`` collects what was skipped (links leaving the tree, unreadable folders).
    """

    root: str
    only: str | None = None
    notes: list[str] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def at(cls, path: str | os.PathLike) -> Tree:
        """The tree rooted at ``path`` (a folder, or a single file seen from its folder)."""
        path = os.fspath(path)
        if is_url(path):
            return RemoteTree.at(path)
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file or directory")
        if os.path.isfile(path):
            return cls(os.path.dirname(os.path.abspath(path)), only=os.path.basename(path))
        if not os.access(path, os.R_OK | os.X_OK):
            raise InputError(f"{path}: permission denied")
        return cls(os.path.abspath(path))

    def __post_init__(self) -> None:
        self._real_root = os.path.realpath(self.root)

    def local_path(self, rel: str) -> str:
        """The absolute path of a tree-relative path."""
        return os.path.join(self.root, *rel.split("/")) if rel else self.root

    def listdir(self, rel: str) -> Listing:
        """Files and folders directly inside ``rel`` that lossrules may read."""
        if rel not in self._cache:
            self._cache[rel] = self._scan(rel)
        return self._cache[rel]

    def _scan(self, rel: str) -> Listing:
        try:
            entries = sorted(os.scandir(self.local_path(rel)), key=lambda e: e.name)
        except OSError as exc:
            self.notes.append(f"{rel or '.'}: cannot list folder ({exc.strerror or exc})")
            return Listing((), ())
        files, dirs = [], []
        for entry in entries:
            if rel == "" and self.only is not None and entry.name != self.only:
                continue
            kind = self._kind(entry, join(rel, entry.name))
            if kind == "file":
                files.append(entry.name)
            elif kind == "dir":
                dirs.append(entry.name)
        return Listing(tuple(files), tuple(dirs))

    def _kind(self, entry: os.DirEntry, rel: str) -> str | None:
        """'file', 'dir', or None for what must not be read.

        A link to a folder is never followed: inside the tree its target is read under its own
        path (so nothing is read twice and no link can loop), outside the tree it is off limits.
        A link to a file is read only if the file lies inside the tree.
        """
        try:
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                inside = os.path.commonpath([target, self._real_root]) == self._real_root
                if not inside:
                    self.notes.append(f"{rel}: symbolic link out of the tree, not followed")
                    return None
                return "file" if os.path.isfile(target) else None
            if entry.is_dir(follow_symlinks=False):
                return "dir"
            return "file" if entry.is_file(follow_symlinks=False) else None
        except OSError:
            return None

    def open(self, rel: str) -> BinaryIO:
        """Open a file for reading in binary mode."""
        try:
            return open(self.local_path(rel), "rb")
        except OSError as exc:
            raise InputError(f"{rel}: cannot open ({exc.strerror or exc})") from None

    def read_bytes(self, rel: str, limit: int | None = None) -> bytes:
        """The bytes of a file (the first ``limit`` bytes if given)."""
        with self.open(rel) as fh:
            try:
                return fh.read() if limit is None else fh.read(limit)
            except OSError as exc:
                raise InputError(f"{rel}: cannot read ({exc.strerror or exc})") from None

    def size(self, rel: str) -> int:
        """Size of a file in bytes."""
        return os.path.getsize(self.local_path(rel))


def is_url(path: str) -> bool:
    """True for ``protocol://...`` paths, which go through fsspec."""
    head, sep, _ = path.partition("://")
    return bool(sep) and head.isidentifier() and len(head) > 1


class RemoteTree(Tree):
    """A tree on an fsspec filesystem. Links do not exist there; everything else is the same."""

    @classmethod
    def at(cls, path: str) -> RemoteTree:
        try:
            import fsspec
        except ImportError:
            raise InputError(f"{path}: reading remote logs needs fsspec (pip install fsspec and the protocol's package)") from None
        try:
            fs, root = fsspec.core.url_to_fs(path)
            info = fs.info(root)
        except (ImportError, ValueError) as exc:
            raise InputError(f"{path}: {exc}") from None
        except (FileNotFoundError, OSError):
            raise InputError(f"{path}: no such file or directory") from None
        tree = cls(root.rstrip("/") if info["type"] == "directory" else root.rsplit("/", 1)[0])
        tree._fs = fs
        if info["type"] != "directory":
            tree.only = root.rsplit("/", 1)[-1]
        return tree

    def __post_init__(self) -> None:
        self._real_root = self.root

    def local_path(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def _scan(self, rel: str) -> Listing:
        try:
            entries = sorted(self._fs.ls(self.local_path(rel), detail=True), key=lambda e: e["name"])
        except OSError as exc:
            self.notes.append(f"{rel or '.'}: cannot list folder ({exc})")
            return Listing((), ())
        files, dirs = [], []
        for entry in entries:
            name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
            if rel == "" and self.only is not None and name != self.only:
                continue
            (dirs if entry["type"] == "directory" else files).append(name)
        return Listing(tuple(files), tuple(dirs))

    def open(self, rel: str) -> BinaryIO:
        try:
            return self._fs.open(self.local_path(rel), "rb")
        except OSError as exc:
            raise InputError(f"{rel}: cannot open ({exc})") from None

    def size(self, rel: str) -> int:
        return int(self._fs.size(self.local_path(rel)))
