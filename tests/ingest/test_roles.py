"""Metric roles: the shipped alias table binds the spellings real loggers produce."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lossrules.ingest.frame import frame_from_columns
from lossrules.ingest.roles import RoleTableError, _parse_table, bind, binding_series, load_table, split_marker
from lossrules.model import InputError, MetricBinding, Run

TABLE = load_table()


def roles_of(tags, counts=None, **kw) -> dict[str, list[tuple[str, str]]]:
    counts = counts or {t: 10 for t in tags}
    out: dict[str, list] = {}
    for b in bind(counts, TABLE, **kw):
        out.setdefault(b.role, []).append((b.tag, b.per))
    return out


@pytest.mark.parametrize(
    "tag, role",
    [
        ("loss", "train_loss"),
        ("train_loss", "train_loss"),
        ("train/loss", "train_loss"),
        ("Loss/train", "train_loss"),
        ("loss/trn", "train_loss"),  # SummaryWriter.add_scalars("loss", {"trn": ..., "val": ...})
        ("acc/trn", "train_acc"),
        ("Losses/train", "train_loss"),
        ("Losses/valid", "val_loss"),
        ("sparse_categorical_accuracy", "train_acc"),  # Keras names accuracy after its metric
        ("val_binary_accuracy", "val_acc"),
        ("validation/epoch_categorical_accuracy", "val_acc"),
        ("train/epoch_sparse_categorical_accuracy", "train_acc"),
        ("validation_accuracy", "val_acc"),
        ("acc/valid", "val_acc"),
        ("Train/GradNorm", "grad_norm"),
        ("train/loss_iter", "train_loss"),
        ("iter_loss", "train_loss"),
        ("train_loss_batch", "train_loss"),  # a Lightning module logging per batch under its own suffix
        ("TrainLoss", "train_loss"),  # camelCase column names of a custom loop's CSV
        ("valLoss", "val_loss"),
        ("ValAcc", "val_acc"),
        ("iter_grad_norm", "grad_norm"),
        ("loss_train", "train_loss"),
        ("loss_val", "val_loss"),
        ("eval_total_loss", "val_loss"),  # a multi-task model's total beside its components
        ("mean_loss", "train_loss"),
        ("fit/loss", "train_loss"),  # logged under Lightning's stage name, beside fit/pred_loss and friends
        ("validate/loss", "val_loss"),
        ("loss_total", "train_loss"),  # a semi-supervised loop's loss_total beside loss_sup, loss_unsup
        ("train_objective", "train_loss"),  # a loss named for the objective it optimises
        ("val_objective", "val_loss"),
        ("train_cross_entropy_epoch", "train_loss"),  # a loss named after its function
        ("val_cross_entropy", "val_loss"),
        ("valid_mean_squared_error", "val_loss"),
        ("acc_val", "val_acc"),
        ("val/acc1", "val_acc"),
        ("mse", "train_loss"),
        ("val_mse", "val_loss"),
        ("train/epoch_mse", "train_loss"),
        ("train_loss_epoch", "train_loss"),
        ("train_loss_step", "train_loss"),
        ("train/epoch_loss", "train_loss"),
        ("val_loss", "val_loss"),
        ("val/loss", "val_loss"),
        ("validation/epoch_loss", "val_loss"),
        ("eval_loss", "val_loss"),
        ("eval/loss", "val_loss"),
        ("valid_loss", "val_loss"),
        ("Loss/val", "val_loss"),
        ("val_acc", "val_acc"),
        ("val_accuracy", "val_acc"),
        ("validation/epoch_accuracy", "val_acc"),
        ("train_acc_epoch", "train_acc"),
        ("accuracy", "train_acc"),
        ("lr", "lr"),
        ("learning_rate", "lr"),
        ("lr-Adam", "lr"),
        ("train/learning_rate", "lr"),
        ("grad_norm", "grad_norm"),
        ("grad_2.0_norm_total", "grad_norm"),
        ("gradients/global_norm", "grad_norm"),
        ("train/grad_norm", "grad_norm"),
        ("Dice_loss", "train_loss"),  # a segmentation model's loss named for its function
        ("val_dice_loss", "val_loss"),
        ("reward", "reward"),  # TRL's GRPOTrainer
        ("train/reward", "reward"),
        ("rollout/ep_rew_mean", "reward"),  # Stable-Baselines3
        ("objective/rlhf_reward", "reward"),  # TRL's PPOTrainer
        ("avg_reward", "reward"),
        ("average/Average Return: ", "reward"),  # a hand-written PPO loop's add_scalar
        ("episode/Reward", "reward"),
    ],
)
def test_each_common_spelling_gets_its_role(tag, role):
    assert roles_of([tag]).get(role, [[None]])[0][0] == tag


@pytest.mark.parametrize("episode", ["episode reward", "total_reward", "ep_reward"])
def test_an_episode_s_return_is_the_reward_not_the_environment_s_per_step_reward(episode):
    assert roles_of(["reward", episode, "train_loss"])["reward"] == [(episode, "unknown")]


@pytest.mark.parametrize("tag", ["rewards/chosen", "rewards/margins", "rewards/accuracies", "logps/rejected", "return", "portfolio/return"])
def test_dpo_implicit_rewards_and_financial_returns_are_not_a_return(tag):
    assert "reward" not in roles_of([tag, "loss"])


@pytest.mark.parametrize("tag", ["test_loss", "test/loss", "Loss/test", "test_acc"])
def test_test_set_metrics_are_not_validation_when_validation_is_logged(tag):
    got = roles_of([tag, "val_loss", "val_acc"])
    assert tag not in [t for pairs in got.values() for t, _ in pairs]


@pytest.mark.parametrize(
    "tag, role",
    [("test_loss", "val_loss"), ("Loss/test", "val_loss"), ("test_accuracy", "val_acc"), ("test/v_loss", "val_loss"), ("test/v_accuracy", "val_acc")],
)
def test_a_test_curve_stands_in_for_a_missing_validation(tag, role):
    assert roles_of(["train_loss", tag])[role] == [(tag, "unknown")]


def test_a_final_test_score_or_a_summary_never_stands_in():
    assert roles_of(["train_loss", "test_loss", "hp_metric"], {"train_loss": 50, "test_loss": 1, "hp_metric": 1}).keys() == {"train_loss"}


def test_spaces_read_as_underscores_and_wandb_keras_prefixes_as_granularity():
    got = roles_of(["Training Loss", "Validation  Loss", "Validation Accuracy"])
    assert got["train_loss"] == [("Training Loss", "unknown")] and got["val_loss"] == [("Validation  Loss", "unknown")]
    assert got["val_acc"] == [("Validation Accuracy", "unknown")]
    got = roles_of(["batch/loss", "epoch/loss", "epoch/val_loss"], {"batch/loss": 300, "epoch/loss": 10, "epoch/val_loss": 10})
    assert got["train_loss"] == [("batch/loss", "step"), ("epoch/loss", "epoch")] and got["val_loss"] == [("epoch/val_loss", "epoch")]


def test_a_derived_component_logged_per_step_and_per_epoch_is_one_series_not_two():
    got = roles_of(["train/nll_loss", "train/nll_loss_epoch"], {"train/nll_loss": 300, "train/nll_loss_epoch": 10})
    assert got["train_loss"] == [("train/nll_loss", "unknown"), ("train/nll_loss_epoch", "epoch")]


def test_per_step_and_per_epoch_twins_are_both_bound_with_their_granularity():
    got = roles_of(["train_loss_step", "train_loss_epoch"], {"train_loss_step": 500, "train_loss_epoch": 10})
    assert got["train_loss"] == [("train_loss_step", "step"), ("train_loss_epoch", "epoch")]


def test_a_validation_logged_per_batch_gives_way_to_its_per_epoch_mean():
    counts = {"val_loss_step": 54, "val_loss_epoch": 4, "val_acc_step": 54, "val_acc_epoch": 4}
    got = roles_of(list(counts), counts)
    assert got["val_loss"] == [("val_loss_epoch", "epoch"), ("val_loss_step", "step")]
    assert got["val_acc"][0] == ("val_acc_epoch", "epoch")


def test_a_one_point_summary_is_used_only_when_nothing_longer_matches():
    got = roles_of(["train/loss", "train/train_loss"], {"train/loss": 400, "train/train_loss": 1})
    assert got["train_loss"][0][0] == "train/loss"
    got = roles_of(["train_loss_step", "train_loss_epoch"], {"train_loss_step": 1, "train_loss_epoch": 90})
    assert got["train_loss"][0] == ("train_loss_epoch", "epoch")


def test_a_loss_logged_a_few_times_gives_way_to_a_longer_curve_of_a_later_pattern():
    got = roles_of(["train_loss", "train_mean_squared_error"], {"train_loss": 2, "train_mean_squared_error": 68})
    assert got["train_loss"][0][0] == "train_mean_squared_error"


def test_a_tag_serves_one_role_and_earlier_patterns_win():
    got = roles_of(["loss", "train_loss", "val_loss"])
    assert got["train_loss"] == [("train_loss", "unknown")]
    assert "loss" not in [t for pairs in got.values() for t, _ in pairs]


@pytest.mark.parametrize(
    "tags, train, val",
    [
        (["velocity_loss"], "velocity_loss", None),
        (["model/loss", "model/acc"], "model/loss", None),
        (["phase1_loss", "phase1_val_loss", "phase1_accuracy"], "phase1_loss", "phase1_val_loss"),
        (["mask_loss", "test_loss"], "mask_loss", "test_loss"),
        (["mean_train_loss", "hp_metric"], "mean_train_loss", None),
    ],
)
def test_a_run_s_only_loss_named_for_what_it_measures_is_its_training_loss(tags, train, val):
    got = roles_of(tags)
    assert got["train_loss"] == [(train, "unknown")]
    assert got.get("val_loss") == ([(val, "unknown")] if val else None)


@pytest.mark.parametrize("tags", [["test_loss"], ["Loss/test", "test/acc"], ["loss/test"]])
def test_a_test_set_loss_never_stands_in_for_the_training_loss(tags):
    assert "train_loss" not in roles_of(tags)


def test_yolo_components_are_summed_into_a_derived_loss():
    tags = ["train/box_loss", "train/obj_loss", "train/cls_loss", "val/box_loss", "val/obj_loss", "val/cls_loss", "x/lr0"]
    got = {b.role: b for b in bind({t: 5 for t in tags}, TABLE)}
    assert got["train_loss"].components == ("train/box_loss", "train/cls_loss", "train/obj_loss")
    assert got["val_loss"].components == ("val/box_loss", "val/cls_loss", "val/obj_loss")
    assert got["lr"].tag == "x/lr0"


def test_a_multi_task_model_s_flat_loss_components_are_summed_when_no_total_is_logged():
    tags = ["train_classification_loss", "train_regression_loss", "val_classification_loss", "val_regression_loss"]
    got = {b.role: b for b in bind({t: 5 for t in tags}, TABLE)}
    assert got["train_loss"].components == ("train_classification_loss", "train_regression_loss")
    assert got["val_loss"].components == ("val_classification_loss", "val_regression_loss")


def test_loss_components_named_after_the_loss_are_summed_too():
    tags = ["train_loss_Ph", "train_loss_W", "val_loss_Ph", "val_loss_W", "train_sparsity_Ph"]
    got = {b.role: b for b in bind({t: 5 for t in tags}, TABLE)}
    assert got["train_loss"].components == ("train_loss_Ph", "train_loss_W")
    assert got["val_loss"].components == ("val_loss_Ph", "val_loss_W")


def test_a_short_loss_gives_way_to_its_longer_components():
    counts = {"train_loss": 4, "train_loss_0": 11, "valid_loss": 11}  # pytorch_tabular: a summary beside the head's loss
    got = {b.role: b for b in bind(counts, TABLE)}
    assert got["train_loss"].tag == "train_loss_0" and got["val_loss"].tag == "valid_loss"
    got = {b.role: b for b in bind({"train_loss": 9, "train_loss_0": 11}, TABLE)}
    assert got["train_loss"].tag == "train_loss"  # long enough: the named total stays


def test_default_granularity_comes_from_the_reader_when_the_name_is_silent():
    assert roles_of(["loss"], default_per="epoch")["train_loss"] == [("loss", "epoch")]


def test_user_override_wins_and_frees_the_tag():
    got = roles_of(["loss", "my_val", "val_loss"], overrides={"val_loss": "my_val"})
    assert got["val_loss"] == [("my_val", "unknown")]


def test_override_naming_a_missing_tag_is_an_input_error():
    with pytest.raises(InputError, match="no series named 'nope'"):
        bind({"loss": 3}, TABLE, {"train_loss": "nope"})


def test_granularity_markers_are_stripped_from_the_last_path_part_only():
    assert split_marker("train/epoch_loss", TABLE) == ("train/loss", "epoch")
    assert split_marker("epoch", TABLE) == ("epoch", "unknown")
    assert split_marker("Train_Loss_Step", TABLE) == ("train_loss", "step")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"roles": {"train_loss": "loss"}}, "needs a list of patterns"),
        ({"roles": {}, "aliases": {}}, "unknown section"),
        ({"roles": {}, "granularity": [{"suffix": "_s", "per": "minute"}]}, "granularity entry"),
        ({"roles": {}, "granularity": [{"around": "_s", "per": "step"}]}, "granularity entry"),
        ({"roles": {}, "derived": {"train_loss": {"sum": "x"}}}, "sum_of"),
        ({"roles": {}, "derived": {"train_loss": {"sum_of": [1]}}}, "sum_of"),
        ({"roles": {}, "short_series": "5"}, "short_series"),
        (["roles"], "expected a mapping"),
        ({"roles": {"val_loss": []}, "fallback": {"val_los": ["test_loss"]}}, "fallback for unknown role"),
        ({"roles": {"val_loss": []}, "fallback": ["test_loss"]}, "mapping of fallback roles"),
        ({"roles": {"val_loss": []}, "per_epoch_first": ["val_los"]}, "per_epoch_first names unknown role"),
        ({"roles": {"val_loss": []}, "per_epoch_first": "val_loss"}, "per_epoch_first must be a list"),
    ],
)
def test_a_malformed_table_is_refused_naming_the_file(data, message):
    with pytest.raises(RoleTableError, match=message) as err:
        _parse_table(data, "custom/roles.yaml")
    assert "custom/roles.yaml" in str(err.value)


def test_derived_series_add_up_components_on_shared_steps():
    frame = frame_from_columns(
        ["a", "b"], np.array([0, 0, 0, 1, 1]), np.array([0, 1, 2, 1, 2]), np.array([1.0, 2.0, 3.0, 10.0, 20.0]), np.full(5, np.nan)
    )
    run = Run("r", ".", "csv", (), frame)
    steps, values = binding_series(run, MetricBinding("train_loss", "sum(x)", components=("a", "b")))
    assert steps.tolist() == [1, 2] and values.tolist() == [12.0, 23.0]
    assert isinstance(frame["tag"].dtype, pd.CategoricalDtype)
