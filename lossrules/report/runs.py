"""A plain-text table of loaded runs: what was found, in which format, with which roles."""
from __future__ import annotations

from collections.abc import Sequence

from ..model import Run

_ROLES_SHOWN = ("train_loss", "val_loss")


def runs_table(runs: Sequence[Run]) -> str:
    """One line per run: name, format, points, series, bound losses, and problems."""
    header = ("run", "format", "points", "series", *_ROLES_SHOWN, "notes")
    rows = [header]
    for run in runs:
        if not run.ok:
            rows.append((run.name, run.source, "-", "-", "-", "-", f"ERROR: {run.error}"))
            continue
        roles = run.roles
        rows.append(
            (
                run.name,
                run.source,
                f"{len(run.scalars):,}",
                str(len(run.tags)),
                *(roles.get(r, "-") for r in _ROLES_SHOWN),
                f"{len(run.notes)} note(s): {run.notes[0]}" if run.notes else "",
            )
        )
    return format_table(rows)


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces; the last column is not padded."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [str(c).ljust(w) for c, w in zip(row, widths)] + [str(row[-1])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
