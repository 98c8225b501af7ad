"""Hugging Face ``Trainer`` state: ``trainer_state.json`` and its ``log_history``.

Each ``log_history`` entry is one logging call at a global ``step``: training entries carry
``loss``, ``grad_norm``, ``learning_rate``, ``epoch``; evaluation entries ``eval_*``; the last one
a summary (``train_loss``, ``train_runtime``). Every numeric key except ``step`` becomes a series.

An output folder without its own state file keeps one cumulative copy per checkpoint
(``checkpoint-500/trainer_state.json``...): they form one run, read from the latest checkpoint,
whose history is the most complete. A folder with its own state file reads that one and takes
its checkpoints' copies along, so that they are not runs of their own.
"""
from __future__ import annotations

import json
import re

import numpy as np

from ..model import InputError, is_number
from .discover import Claim, Folder
from .frame import RawRun, newest

FORMAT = "hf_trainer_state"
STATE_FILE = "trainer_state.json"
_CHECKPOINT = re.compile(r"checkpoint-(\d+)")


def claim(folder: Folder) -> list[Claim]:
    """One run for this folder's own state file or, failing that, for its checkpoints' copies."""
    copies = _checkpoint_copies(folder)
    own = (folder.join(STATE_FILE),) if STATE_FILE in folder.files else ()
    files = own + copies
    return [Claim(folder.run_name, FORMAT, files)] if files else []


def _checkpoint_copies(folder: Folder) -> tuple[str, ...]:
    """The state files of ``checkpoint-N`` sub-folders, latest checkpoint first."""
    found = []
    for name in folder.dirs:
        match = _CHECKPOINT.fullmatch(name)
        if match and STATE_FILE in folder.child(name).files:
            found.append((int(match.group(1)), folder.join(f"{name}/{STATE_FILE}")))
    return tuple(rel for _, rel in sorted(found, reverse=True))


def read(claim: Claim, tree) -> list[RawRun]:
    """The series of the claim's first state file (the folder's own, or the latest checkpoint's)."""
    rel = claim.files[0]
    state = _load(tree, rel)
    history = state.get("log_history")
    if not isinstance(history, list):
        raise InputError(f"{rel}: no log_history list; not a Trainer state file")
    tags, codes, step, value, notes = _history_points(history, rel)
    keep = newest(codes, step)
    if len(claim.files) > 1:
        notes.append(f"{rel}: read this copy; {len(claim.files) - 1} other cumulative copies not read ({claim.files[1]}...)")
    if not history:
        notes.append(f"{rel}: log_history is empty")
    wall = np.full(int(keep.sum()), np.nan)
    return [RawRun(claim.name, FORMAT, (rel,), tags, codes[keep], step[keep], value[keep], wall, _hparams(state), notes, per="step")]


def _load(tree, rel: str) -> dict:
    """The parsed state file; InputError naming the file (and line) when it is not a JSON object."""
    try:
        state = json.loads(tree.read_bytes(rel))
    except json.JSONDecodeError as exc:
        raise InputError(f"{rel}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except UnicodeDecodeError:
        raise InputError(f"{rel}: not UTF-8 text") from None
    if not isinstance(state, dict):
        raise InputError(f"{rel}: not a JSON object; not a Trainer state file")
    return state


def _history_points(history: list, rel: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(tags, codes, step, value) grouped by tag in file order, and notes on what was skipped."""
    series: dict[str, tuple[list, list]] = {}
    no_step, text_keys = 0, set()
    for entry in history:
        step = entry.get("step") if isinstance(entry, dict) else None
        if not is_number(step) or not float(step).is_integer():
            no_step += 1
            continue
        for key, value in entry.items():
            if key == "step":
                continue
            if is_number(value):
                steps, values = series.setdefault(key, ([], []))
                steps.append(int(step))
                values.append(float(value))
            else:
                text_keys.add(key)
    notes = []
    if no_step:
        notes.append(f"{rel}: {no_step} log_history entries without a whole-number step skipped")
    if text_keys:
        notes.append(f"{rel}: non-numeric values skipped (keys {', '.join(sorted(text_keys))})")
    tags = list(series)
    counts = [len(s[0]) for s in series.values()]
    codes = np.repeat(np.arange(len(tags), dtype=np.int32), counts)
    step = np.array([s for steps, _ in series.values() for s in steps], dtype=np.int64)
    value = np.array([v for _, values in series.values() for v in values], dtype=np.float64)
    return tags, codes, step, value, notes


def _hparams(state: dict) -> dict:
    """The state's top-level scalar fields (batch size, max_steps, logging and eval intervals...)."""
    return {k: v for k, v in state.items() if isinstance(v, (bool, int, float, str)) and k != "log_history"}
