"""Series facts on small arrays with known answers, and properties that must hold for any input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lossrules.detect.curve import Curve
from lossrules.detect.series import CURVE_ROLES, coverage, divergence, level, noise, plateau, series_facts, spikes, trend
from lossrules.detect.settings import DetectorSettings

STEPS = np.arange(0, 2000, 10)


def decay(rate: float = 3.0, floor: float = 0.0) -> np.ndarray:
    """A clean exponential decay over the run: exp(-rate * progress)."""
    progress = STEPS / STEPS[-1]
    return np.exp(-rate * progress) + floor


def test_pure_exponential_decay_has_the_known_slope_and_no_noise_or_spikes():
    curve = Curve(STEPS, decay(3.0))
    facts = {**trend(curve), **noise(curve), **spikes(curve), **level(curve), **divergence(curve)}
    assert facts["slope"] == pytest.approx(-3.0, rel=1e-3)
    assert facts["tail_slope"] == pytest.approx(-3.0, rel=1e-3)
    assert facts["slope_p"] < 1e-10 and facts["tau"] == pytest.approx(-1.0)
    assert facts["noise"] < 1e-3
    assert facts["spike_count"] == 0
    assert facts["improvement"] == pytest.approx(1 - math.exp(-3.0), abs=0.02)
    assert facts["rise_from_min"] == pytest.approx(0.0, abs=1e-9)
    assert facts["argmin_fraction"] == 1.0 and facts["last_to_min"] == pytest.approx(1.0)


def test_three_planted_spikes_are_found_at_their_steps():
    rng = np.random.default_rng(0)
    values = decay(2.0) * np.exp(0.02 * rng.standard_normal(len(STEPS)))
    planted = [40, 90, 150]
    values[planted] *= 4.0
    found = spikes(Curve(STEPS, values))
    assert found["spike_count"] == 3
    assert found["spike_steps"] == [int(STEPS[i]) for i in planted]
    assert found["spike_first_step"] == int(STEPS[40]) and found["spike_max_z"] > 20


LONG = np.arange(1, 3001)  # a fine-tune's steps: the start spans a sliver of the smoother's window


def _norm_with_start(start: list[float]) -> np.ndarray:
    """A gradient norm scattered around 0.1 over LONG whose first points are ``start``."""
    rng = np.random.default_rng(3)
    values = 0.1 * np.exp(0.2 * rng.standard_normal(len(LONG)))
    values[: len(start)] = start
    return values


def test_a_start_that_settles_is_not_spikes_but_a_start_that_climbs_is():
    settling = _norm_with_start([3.0, 2.9, 2.2, 1.4, 0.9, 0.5, 0.3])  # a fine-tune's norm at steps 1-7
    assert spikes(Curve(LONG, settling))["spike_count"] == 0
    every_point = DetectorSettings().with_overrides({"transient_max_rise": 0})
    assert spikes(Curve(LONG, settling, every_point))["spike_count"] >= 3
    climbing = _norm_with_start([2000.0, 5300.0, 7800.0, 1000.0, 1.0])  # blows up from where it started
    found = spikes(Curve(LONG, climbing))
    assert found["spike_first_step"] == 1 and found["spike_max"] == 7800.0


def test_the_highest_spike_after_a_start_that_settles_is_reported_with_its_value():
    values = _norm_with_start([3.0, 2.0, 1.0, 0.5])
    values[1200] = 0.9
    found = spikes(Curve(LONG, values))
    assert found["spike_steps"] == [1201] and found["spike_max"] == pytest.approx(0.9)


def test_a_noisy_constant_has_no_significant_trend_and_one_long_plateau():
    rng = np.random.default_rng(1)
    values = 2.0 * np.exp(0.05 * rng.standard_normal(len(STEPS)))
    curve = Curve(STEPS, values)
    facts = {**trend(curve), **plateau(curve), **noise(curve)}
    assert facts["slope_p"] > 0.05
    assert facts["plateau_fraction"] > 0.9 and facts["plateau_start_fraction"] < 0.1
    assert facts["noise"] == pytest.approx(0.05, rel=0.25)


def test_a_u_shaped_validation_curve_reports_its_minimum_and_rise():
    progress = np.linspace(0, 1, 41)
    values = 1.0 + (progress - 0.4) ** 2  # minimum 1.0 at 40% of the run, ends at 1.36
    curve = Curve(np.arange(41) * 100, values)
    facts = {**level(curve), **divergence(curve)}
    assert facts["argmin_fraction"] == pytest.approx(0.4, abs=0.05)
    assert facts["argmin_step"] == pytest.approx(1600, abs=200)
    assert facts["rise_from_min"] == pytest.approx(0.36, abs=0.03)
    assert facts["rise_duration"] == pytest.approx(0.55, abs=0.1)


def test_nan_from_step_k_is_located_and_the_rest_abstains_honestly():
    values = decay(1.0)
    values[120:] = np.nan
    facts = coverage(Curve(STEPS, values))
    assert facts["first_nonfinite_step"] == int(STEPS[120])
    assert facts["ends_nonfinite"] is True
    assert facts["nonfinite_fraction"] == pytest.approx(80 / 200)
    assert facts["last"] == pytest.approx(values[119])


def test_a_plateau_in_the_middle_is_found_where_it_starts():
    values = np.concatenate([np.linspace(2.0, 1.0, 50), np.full(100, 1.0), np.linspace(1.0, 0.2, 50)])
    facts = plateau(Curve(STEPS, values))
    assert facts["plateau_start_fraction"] == pytest.approx(0.25, abs=0.03)
    assert facts["plateau_fraction"] == pytest.approx(0.5, abs=0.05)


def test_features_abstain_below_the_minimum_number_of_points():
    curve = Curve(np.arange(3), np.array([1.0, 0.9, 0.8]))
    assert set(level(curve)) == {"improvement", "tail_improvement"}  # a short run still fell or did not
    assert trend(curve) == {} and noise(curve) == {} and plateau(curve) == {}
    assert coverage(curve)["points"] == 3


def test_negative_losses_stay_linear_and_relative_facts_use_their_level():
    curve = Curve(STEPS, -decay(2.0) - 1.0)
    assert curve.log is False
    facts = {**level(curve), **trend(curve)}
    assert facts["slope"] > 0  # a negative loss that rises towards -1 is getting worse
    assert "last_to_min" not in facts


def test_a_converged_loss_rounded_to_zero_stays_on_the_log_scale_and_does_not_rise():
    logged = np.round(9.0 * decay(14.0), 4)  # the HF Trainer logs 4 decimals: the tail reads 0.0
    assert (logged == 0).sum() > 10
    curve = Curve(STEPS, logged)
    facts = {**level(curve), **divergence(curve)}
    assert curve.log is True
    assert facts["rise_from_min"] < 0.5 and facts["argmin_fraction"] > 0.5


def test_a_linear_curve_s_smoothed_ends_stay_within_the_values_they_fit():
    values = 5.0 * decay(12.0) - 0.01  # a fast decay, slightly negative: analysed linearly
    curve = Curve(STEPS, values)
    assert curve.log is False
    assert curve.smooth.min() >= values.min() - 1e-12


def test_a_steep_first_drop_does_not_put_the_smoothed_minimum_at_the_start():
    epochs = np.arange(45)
    values = np.r_[200.0, 0.4 + 2.0 * np.exp(-epochs[1:] / 8.0)]  # 200 -> 2.4, then a slow decay to 0.4
    curve = Curve(epochs, values)
    facts = {**level(curve), **divergence(curve)}
    assert curve.log is True
    assert facts["argmin_fraction"] > 0.9 and facts["rise_from_min"] < 0.05


finite_or_not = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(0, 120), elements=finite_or_not))
def test_no_feature_raises_on_any_input(values):
    steps = np.arange(len(values)) * 3
    for role in CURVE_ROLES:
        facts = series_facts(role, Curve(steps, values, positive_scale=True)) if len(values) else {}
        for name, value in facts.items():
            assert name.startswith(role + ".")
            if isinstance(value, float):
                assert math.isfinite(value), name


positive = arrays(np.float64, st.integers(8, 120), elements=st.floats(1e-3, 1e3))


@settings(max_examples=100, deadline=None)
@given(positive, st.floats(1e-3, 1e3))
def test_relative_features_do_not_change_when_the_loss_is_scaled(values, factor):
    steps = np.arange(len(values)) * 5
    base = series_facts("train_loss", Curve(steps, values))
    scaled = series_facts("train_loss", Curve(steps, values * factor))
    scale_dependent = {"first", "last", "min", "max", "spike_max", "smoothed_first", "smoothed_last"}
    for name, value in base.items():
        if name.split(".", 1)[1] in scale_dependent:
            assert scaled[name] == pytest.approx(value * factor, rel=1e-9)
        elif isinstance(value, float):
            assert scaled[name] == pytest.approx(value, rel=1e-6, abs=1e-6), name
        else:
            assert scaled[name] == value, name


def test_settings_overrides_are_checked():
    assert DetectorSettings().with_overrides({"spike_z": "4"}).spike_z == 4.0
    with pytest.raises(Exception, match="unknown detector setting"):
        DetectorSettings().with_overrides({"spikez": 4})
