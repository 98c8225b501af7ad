"""TensorBoard runs: every layout reads back exactly what was written; damage is reported, not raised."""
from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

import lossrules

from ..conftest import FIXTURES, assert_case_read_back

TB_CASES = ["tb_scalars", "tb_keras_split", "tb_add_scalars", "tb_multi_file", "tb_truncated", "tb_tf2_tensor", "lightning_tb"]


@pytest.mark.parametrize("case", TB_CASES)
def test_each_tensorboard_layout_reads_back_what_was_written(case):
    assert_case_read_back(case)


def test_split_and_add_scalars_folders_belong_to_their_parent_run():
    (split,) = lossrules.load(FIXTURES / "tb_keras_split")
    assert split.name == "run1" and {"train/epoch_loss", "validation/epoch_loss"} <= set(split.tags)
    assert split.roles["train_loss"] == "train/epoch_loss" and split.roles["val_loss"] == "validation/epoch_loss"
    (scalars,) = lossrules.load(FIXTURES / "tb_add_scalars")
    assert {"Loss/train", "Loss/val"} <= set(scalars.tags)
    assert scalars.roles["train_loss"] == "Loss/train" and scalars.roles["val_loss"] == "Loss/val"


def test_a_resumed_run_keeps_the_newest_points_and_merges_its_files():
    (run,) = lossrules.load(FIXTURES / "tb_multi_file")
    assert len(run.files) == 2
    for tag in run.tags:
        steps, _ = run.series(tag)
        assert (np.diff(steps) > 0).all(), tag


def test_a_truncated_last_record_is_reported_and_the_rest_kept():
    (run,) = lossrules.load(FIXTURES / "tb_truncated")
    assert run.ok and any("cut short" in note for note in run.notes)


def test_lightning_tensorboard_folder_gives_hparams_and_hp_metric():
    (run,) = lossrules.load(FIXTURES / "lightning_tb")
    assert "hp_metric" in run.tags and "hp_metric" not in run.roles.values()
    assert run.params["lr"] > 0 and run.params["optimizer"]


def _flip_in_record(path, record: int, offset_in_payload: int) -> None:
    data = bytearray(path.read_bytes())
    pos = 0
    for _ in range(record):
        pos += struct.unpack_from("<Q", data, pos)[0] + 16
    data[pos + 12 + offset_in_payload] ^= 0x40
    path.write_bytes(bytes(data))


def test_a_corrupt_record_in_a_real_file_is_skipped_and_reported(tmp_path):
    shutil.copytree(FIXTURES / "tb_scalars", tmp_path / "run")
    (events,) = (tmp_path / "run").glob("events.out.tfevents*")
    (clean,) = lossrules.load(FIXTURES / "tb_scalars")
    _flip_in_record(events, record=30, offset_in_payload=20)
    (damaged,) = lossrules.load(tmp_path / "run")
    assert damaged.ok and any("CRC" in note for note in damaged.notes)
    assert len(damaged.scalars) == len(clean.scalars) - 1


@pytest.mark.parametrize("content, message", [(b"", "empty file"), (np.random.default_rng(3).bytes(4000), "corrupt record header")])
def test_unreadable_event_files_make_a_broken_run_with_a_clear_error(tmp_path, content, message):
    (tmp_path / "events.out.tfevents.1700000000.host.1.0").write_bytes(content)
    (run,) = lossrules.load(tmp_path)
    assert not run.ok and "events.out.tfevents.1700000000.host.1.0" in run.error and message in run.error
