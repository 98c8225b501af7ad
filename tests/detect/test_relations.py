"""Facts across series: chance level, train/val gap, gradient norm, learning-rate schedule, run."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lossrules.detect import facts
from lossrules.detect.catalogue import catalogue, fact_names, markdown
from lossrules.detect.chance import chance_facts
from lossrules.detect.curve import Curve
from lossrules.detect.gap import gap_facts
from lossrules.detect.gradients import gradient_facts
from lossrules.detect.schedule import schedule_facts
from lossrules.detect.settings import DetectorSettings
from lossrules.ingest.frame import frame_from_columns
from lossrules.ingest.roles import bind, load_table
from lossrules.model import Run

from ..conftest import ROOT

STEPS = np.arange(0, 3000, 10)
PROGRESS = STEPS / STEPS[-1]


def make_run(series: dict[str, tuple[np.ndarray, np.ndarray]], params: dict | None = None) -> Run:
    """A run from in-memory series, with roles bound by the shipped alias table."""
    tags = sorted(series)
    codes = np.concatenate([np.full(len(series[t][0]), i) for i, t in enumerate(tags)])
    steps = np.concatenate([series[t][0] for t in tags])
    values = np.concatenate([series[t][1] for t in tags])
    frame = frame_from_columns(tags, codes, steps, values, np.full(len(steps), np.nan))
    bindings = bind({t: len(series[t][0]) for t in tags}, load_table())
    return Run("r", ".", "tensorboard", (), frame, params=params or {}, metrics=bindings)


def test_a_constant_relative_gap_is_measured_exactly_and_does_not_trend():
    train = Curve(STEPS, np.exp(-2 * PROGRESS))
    val_steps = STEPS[::30]
    val = Curve(val_steps, 1.5 * np.exp(-2 * val_steps / STEPS[-1]))
    got = gap_facts(train, val)
    # the training level at an evaluation is the median over the interval before it (an epoch's
    # average, half an interval behind): exact at the first evaluation, a constant lag after
    lag = np.exp(2 * 150 / STEPS[-1])
    assert got["gap.first"] == pytest.approx(0.5, rel=1e-3)
    assert got["gap.final"] == pytest.approx(1.5 / lag - 1, rel=0.02)
    assert abs(got["gap.slope"]) < 0.2
    assert got["gap.evaluations"] == len(val_steps)


def test_training_improvement_after_the_validation_minimum_is_measured():
    train = Curve(STEPS, np.exp(-2 * PROGRESS))
    val_steps = STEPS[::15]
    vp = val_steps / STEPS[-1]
    val = Curve(val_steps, 1.0 + (vp - 0.5) ** 2)
    got = gap_facts(train, val)
    assert got["gap.train_improvement_after_val_min"] == pytest.approx(1 - math.exp(-1.0), abs=0.05)


def test_overfitting_onset_is_the_validation_minimum_when_training_keeps_falling():
    train = Curve(STEPS, np.exp(-2 * PROGRESS))
    val_steps = STEPS[::15]
    val = Curve(val_steps, 1.0 + (val_steps / STEPS[-1] - 0.5) ** 2)
    got = gap_facts(train, val)
    assert got["gap.onset_step"] == pytest.approx(STEPS[-1] / 2, abs=200)
    flat_train = Curve(STEPS, np.full(len(STEPS), 0.5) * np.exp(0.01 * np.sin(STEPS)))
    assert "gap.onset_step" not in gap_facts(flat_train, val)


def test_the_loss_response_to_learning_rate_drops_is_measured():
    from lossrules.detect.schedule import drop_response

    lr = Curve(STEPS, np.where(PROGRESS < 0.5, 1e-2, 1e-3))
    kinked = np.where(PROGRESS < 0.5, 1.0 - 0.2 * PROGRESS, 0.9 - 1.0 * (PROGRESS - 0.5))
    assert drop_response(lr, Curve(STEPS, kinked))["lr.drop_response"] > 0.01
    assert abs(drop_response(lr, Curve(STEPS, 1.0 - 0.2 * PROGRESS))["lr.drop_response"]) < 0.005


def test_losses_on_scales_a_thousand_times_apart_get_no_gap():
    train = Curve(STEPS, 0.5 * np.exp(-2 * PROGRESS))  # a loss on scaled targets
    val = Curve(STEPS[::10], 9e5 * np.exp(-0.2 * PROGRESS[::10]))  # the same model's loss in original units
    assert gap_facts(train, val) == {}
    assert gap_facts(train, Curve(STEPS[::10], 200 * 0.5 * np.exp(-PROGRESS[::10])))["gap.first"] > 100


def test_gap_abstains_for_losses_that_are_not_positive():
    assert gap_facts(Curve(STEPS, -np.exp(-PROGRESS)), Curve(STEPS, np.exp(-PROGRESS))) == {}


def test_incomparable_losses_get_no_gap_facts():
    run = make_run({"train/nll_loss": (STEPS, np.exp(-PROGRESS)), "val/rmse_loss": (STEPS[::30], np.full(10, 2.0))})
    got = facts(run)
    assert "val_loss.last" in got and not any(k.startswith("gap.") for k in got)


def test_initial_loss_at_ln_c_infers_the_class_count_when_accuracy_is_logged():
    loss = Curve(STEPS, math.log(10) * np.exp(-PROGRESS))
    acc = Curve(STEPS, 0.1 + 0.5 * PROGRESS, positive_scale=False, higher_is_better=True)
    got = chance_facts({}, {"train_loss": loss, "train_acc": acc}, DetectorSettings())
    assert got["run.classes"] == 10 and got["run.classes_source"] == "initial_loss"
    assert got["train_loss.chance_first"] == pytest.approx(1.0, rel=1e-6)
    assert got["train_loss.chance_last"] == pytest.approx(math.exp(-1), rel=0.02)
    assert got["train_acc.chance_ratio"] == pytest.approx(6.0, rel=0.02)


def test_no_class_count_is_guessed_without_an_accuracy_or_far_from_ln_c():
    loss = Curve(STEPS, math.log(10) * np.exp(-PROGRESS))
    assert chance_facts({}, {"train_loss": loss}, DetectorSettings()) == {}
    far = Curve(STEPS, 1.87 * np.exp(-PROGRESS))  # between ln 6 and ln 7, 4% from each
    acc = Curve(STEPS, 0.5 + 0 * PROGRESS, positive_scale=False, higher_is_better=True)
    assert chance_facts({}, {"train_loss": far, "train_acc": acc}, DetectorSettings()) == {}
    assert chance_facts({"num_classes": 4}, {"train_loss": far}, DetectorSettings())["run.classes"] == 4


def test_an_accuracy_at_one_over_c_and_a_loss_near_ln_c_together_infer_the_class_count():
    loss = Curve(STEPS, 1.07 * math.log(3) + 0 * PROGRESS)  # 7% above ln 3: too far on its own
    at_third = Curve(STEPS, np.full(len(STEPS), 1 / 3), positive_scale=False, higher_is_better=True)
    got = chance_facts({}, {"train_loss": loss, "val_acc": at_third}, DetectorSettings())
    assert got["run.classes"] == 3 and got["run.classes_source"] == "initial_accuracy"
    assert got["val_acc.chance_ratio"] == pytest.approx(1.0)
    learning = Curve(STEPS, 0.6 + 0.3 * PROGRESS, positive_scale=False, higher_is_better=True)  # 1/0.6 is no whole C
    assert chance_facts({}, {"train_loss": loss, "val_acc": learning}, DetectorSettings()) == {}
    far_loss = Curve(STEPS, 1.3 * math.log(3) + 0 * PROGRESS)  # the two hints disagree
    assert chance_facts({}, {"train_loss": far_loss, "val_acc": at_third}, DetectorSettings()) == {}


def test_vanishing_gradient_norm_gives_a_small_late_to_early_ratio_and_spikes_are_matched():
    norm = np.exp(-6 * PROGRESS)
    norm[150] *= 50
    grad = Curve(STEPS, norm)
    got = gradient_facts(grad, loss_spike_steps=[int(STEPS[151])])
    assert got["grad_norm.late_to_early"] < 0.01
    assert got["grad_norm.spike_loss_coincidence"] == 1.0
    assert gradient_facts(grad, loss_spike_steps=[])["grad_norm.spike_loss_coincidence"] == 0.0


@pytest.mark.parametrize(
    "values, shape, drops",
    [
        (np.full(300, 1e-3), "constant", 0),
        (1e-3 * np.minimum(1.0, PROGRESS / 0.1) * (0.5 + 0.5 * np.cos(np.pi * np.clip((PROGRESS - 0.1) / 0.9, 0, 1))) + 1e-6, "warmup_decay", 0),
        (1e-1 * 0.1 ** np.floor(PROGRESS * 2.999), "step", 2),
        (1e-2 * np.exp(-3 * PROGRESS), "decay", 0),
        (1e-3 * np.minimum(1.0, (PROGRESS + 0.01) / 0.2), "warmup", 0),
        (1e-3 * (1.5 + np.sin(PROGRESS * 12 * np.pi)), "cyclic", 0),
    ],
)
def test_learning_rate_schedules_are_recognised(values, shape, drops):
    got = schedule_facts(Curve(STEPS, values))
    assert got["lr.shape"] == shape
    assert got["lr.drops"] == drops
    assert got["lr.final_to_peak"] == pytest.approx(values[-1] / values.max())


def test_a_schedule_that_collapses_early_is_located():
    values = np.where(PROGRESS < 0.3, 1e-3, 1e-7)
    assert schedule_facts(Curve(STEPS, values))["lr.collapse_fraction"] == pytest.approx(0.3, abs=0.01)


def test_run_facts_count_epochs_and_steps_per_epoch():
    epochs = (STEPS // 300).astype(float)
    run = make_run({"train_loss": (STEPS, np.exp(-PROGRESS)), "epoch": (STEPS, epochs)}, params={"lr": 0.01, "optimizer": "sgd"})
    got = facts(run)
    assert got["run.epochs"] == 10
    assert got["run.steps_per_epoch"] == pytest.approx(300, rel=0.01)
    assert got["hparams.lr"] == 0.01 and got["hparams.optimizer"] == "sgd"
    assert got["run.has_val_loss"] is False


EPOCH_OF_STEP = (STEPS // 300).astype(float)  # 10 epochs of 30 logged steps


def test_a_loss_falling_only_when_each_epoch_begins_is_a_staircase():
    loss = 2.0 * 0.8 ** EPOCH_OF_STEP  # level within an epoch, 20% lower at each boundary
    got = facts(make_run({"train_loss": (STEPS, loss), "epoch": (STEPS, EPOCH_OF_STEP)}))
    assert got["train_loss.epoch_start_drop"] == pytest.approx(0.2)
    assert got["train_loss.within_epoch_drop"] == pytest.approx(0.0, abs=1e-12)
    assert got["train_loss.epoch_boundaries"] == 9


def test_a_loss_falling_steadily_drops_as_much_within_epochs_as_across_them():
    got = facts(make_run({"train_loss": (STEPS, np.exp(-3 * PROGRESS)), "epoch": (STEPS, EPOCH_OF_STEP)}))
    assert got["train_loss.within_epoch_drop"] > 3 * got["train_loss.epoch_start_drop"] > 0


def test_fractional_epochs_count_the_step_that_ends_an_epoch_in_that_epoch():
    progress = (STEPS + 10) / 300.0  # the HF Trainer's epoch: 1.0 at the last step of the first epoch
    loss = 2.0 * 0.8 ** np.floor(STEPS / 300)
    got = facts(make_run({"train_loss": (STEPS, loss), "epoch": (STEPS, progress)}))
    assert got["train_loss.epoch_start_drop"] == pytest.approx(0.2) and got["train_loss.within_epoch_drop"] == pytest.approx(0.0, abs=1e-12)


def test_epoch_boundary_facts_abstain_without_an_epoch_counter_or_enough_points_per_epoch():
    loss = 2.0 * 0.8 ** EPOCH_OF_STEP
    assert "train_loss.epoch_start_drop" not in facts(make_run({"train_loss": (STEPS, loss)}))
    sparse = STEPS[::4]  # 7-8 points per epoch, fewer than epoch_min_points
    assert "train_loss.epoch_start_drop" not in facts(make_run({"train_loss": (sparse, loss[::4]), "epoch": (sparse, EPOCH_OF_STEP[::4])}))


def test_a_training_loss_logged_per_epoch_for_longer_than_the_epoch_counter_counts_the_epochs():
    # TensorBoard drops the counter's later points when a test run logs it again at an earlier step
    cut = STEPS < 2000
    per_epoch = STEPS[29::30]  # the last step of each of the 10 epochs
    run = make_run({
        "train_loss_step": (STEPS, np.exp(-PROGRESS)),
        "train_loss_epoch": (per_epoch, np.exp(-per_epoch / STEPS[-1])),
        "epoch": (STEPS[cut], EPOCH_OF_STEP[cut]),
    })
    assert facts(run)["run.epochs"] == 10 and len(np.unique(EPOCH_OF_STEP[cut])) == 7


def test_every_fact_emitted_is_in_the_catalogue_and_vice_versa():
    series = {
        "train_loss": (STEPS, np.exp(-PROGRESS) * (1 + 0.05 * np.sin(STEPS))),
        "val_loss": (STEPS[::10], 1.2 * np.exp(-STEPS[::10] / STEPS[-1])),
        "train_acc": (STEPS, 0.1 + 0.8 * PROGRESS),
        "val_acc": (STEPS[::10], 0.1 + 0.7 * STEPS[::10] / STEPS[-1]),
        "reward": (STEPS, -1.0 + 2.0 * PROGRESS),
        "grad_norm": (STEPS, np.exp(-PROGRESS)),
        "lr": (STEPS, np.where(PROGRESS < 0.5, 1e-3, 1e-6)),
        "epoch": (STEPS, (STEPS // 300).astype(float)),
    }
    series["train_loss"][1][100] = 30.0
    series["grad_norm"][1][100] = 30.0
    got = facts(make_run(series, params={"lr": 1e-3, "num_classes": 3}))
    known = fact_names()
    emitted = {k for k in got if not k.startswith("hparams.")}
    assert emitted <= known, emitted - known
    missing = known - emitted - {"train_loss.first_nonfinite_step", "val_loss.first_nonfinite_step", "train_acc.first_nonfinite_step", "val_acc.first_nonfinite_step", "grad_norm.first_nonfinite_step", "hparams.<name>", "val_acc.spike_count", "gap.onset_step", "train_acc.tail_share", "val_acc.tail_share", "reward.first_nonfinite_step", "reward.tail_share"}
    assert {m for m in missing if "spike" not in m} == set()


def test_the_facts_reference_in_docs_is_generated_from_the_code():
    assert (ROOT / "docs" / "facts.md").read_text() == markdown(), "run: lossrules features --docs > docs/facts.md"
    assert len({f.names()[0] for f in catalogue()}) == len(catalogue())


def test_every_detector_setting_is_documented_with_its_default():
    from lossrules.detect.settings import DetectorSettings, settings_doc

    documented = settings_doc()
    assert [name for name, _, _ in documented] == list(DetectorSettings.__dataclass_fields__)
    assert all(meaning for _, _, meaning in documented)
    assert "| `spike_z` | 6.0 |" in markdown()


def test_gap_facts_of_a_validation_loss_logged_every_step_stay_small():
    """A per-step validation series of 50,000 points: a trend test on every point would need
    50,000^2 pairwise slopes (20 GB); the gap's trends run on equal-count bins instead."""
    steps = np.arange(50_000)
    train = Curve(steps, np.exp(-steps / 20_000) + 0.1)
    val = Curve(steps, np.exp(-steps / 30_000) + 0.2)
    out = gap_facts(train, val)
    assert out["gap.slope"] > 0 and out["gap.slope_p"] < 0.01
    assert "gap.onset_step" in out or out["gap.train_improvement_after_val_min"] == pytest.approx(0.0, abs=1e-6)
