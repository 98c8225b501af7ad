"""Discovery: walk a log tree top-down and let each reader claim the runs it recognises.

Every reader module exposes ``FORMAT`` (its name), ``claim(folder) -> list[Claim]`` (which files
in this folder, or below it, form runs in its format) and ``read(claim, tree) -> list[RawRun]``.
Readers are asked in the order of ``READERS``; a data file belongs to the first run that claims
it, so a folder claimed as a whole (Keras ``train/`` + ``validation/``) is not found again below.
Adding a format means writing one reader module and listing it in ``READERS``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .tree import Listing, Tree, join


@dataclass(frozen=True)
class Claim:
    """A run a reader recognised: where it is, which files it reads, and reader options.

    ``files`` are data files read by this run only; ``extras`` are side files it also reads
    (``hparams.yaml``) which other runs may share. Paths are relative to the tree root.
    """

    name: str
    format: str
    files: tuple[str, ...]
    extras: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Folder:
    """One folder during discovery: its files that no run has claimed yet, and its sub-folders."""

    tree: Tree
    path: str
    listing: Listing
    claimed: set

    @property
    def files(self) -> list[str]:
        return [f for f in self.listing.files if join(self.path, f) not in self.claimed]

    @property
    def dirs(self) -> tuple[str, ...]:
        return self.listing.dirs

    @property
    def run_name(self) -> str:
        """The identity of a run that is this folder."""
        return self.path or "."

    def join(self, name: str) -> str:
        return join(self.path, name)

    def child(self, name: str) -> Folder:
        rel = self.join(name)
        return Folder(self.tree, rel, self.tree.listdir(rel), self.claimed)


def _readers() -> tuple:
    from . import column, csv, hf, lightning, mlflow, tensorboard, transposed, wandb

    return (tensorboard, lightning, hf, mlflow, wandb, column, transposed, csv)


def reader_for(format_name: str):
    """The reader module of a format."""
    return next(r for r in _readers() if r.FORMAT == format_name)


def discover(tree: Tree) -> list[Claim]:
    """All runs under the tree, in walk order (folders sorted by name, parents first)."""
    readers = _readers()
    claims: list[Claim] = []
    claimed: set = set()
    names: set = set()
    pending = [""]
    while pending:
        path = pending.pop()
        folder = Folder(tree, path, tree.listdir(path), claimed)
        for reader in readers:
            for claim in reader.claim(folder):
                claims.append(_unique_name(claim, names))
                claimed.update(claim.files)
        pending.extend(folder.join(d) for d in reversed(folder.dirs))
    return claims


def _unique_name(claim: Claim, names: set) -> Claim:
    """The claim, renamed after its first file if another run already has its name."""
    name = claim.name
    if name in names:
        first = claim.files[0].rsplit("/", 1)[-1]
        name = first if name == "." else f"{name}/{first}"
    names.add(name)
    return claim if name == claim.name else replace(claim, name=name)
