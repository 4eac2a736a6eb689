"""The playground (chapter 8): every control across its range with no warnings (warnings are
errors in the test suite), training on every data set, divergence explained in words, the JSON
export and import, Play and Pause on a real event loop, Reset, the offline twin, the extra
inputs (x₁², x₁x₂, sin x₁ …) and the pictures of the inputs and hidden units."""

from __future__ import annotations

import asyncio
import itertools
import json

import ipywidgets as widgets
import numpy as np
import pytest

from dlbasics.datasets import moons
from dlbasics.widgets import (
    LIVE_NOTE,
    PLAYGROUND_PRESETS,
    Playground,
    playground,
    playground_twin,
)
from dlbasics.widgets.playground import (
    CHUNKS_WITHOUT_LOOP,
    FEATURE_CONTROLS,
    GROUPS,
    UNIT_CONTROLS,
    config_of,
    control_values,
    playground_frames,
)
from dlbasics.widgets.playground_core import (
    DEFAULTS,
    FEATURES,
    MAX_STEPS,
    STEPS_PER_CHUNK,
    Run,
    check_custom_data,
    config_from_json,
    config_to_json,
    hidden_units,
    input_features,
    validate_config,
)
from dlbasics.widgets.playground_view import (
    GRID,
    boundary_grid,
    make_frame,
    mosaic_layout,
    neuron_mosaic,
    plot_limits,
    region_image,
)

#: The controls of the panel: one per configuration key, except units (one slider per hidden
#: layer) and features (one toggle per input).
CONTROLS = [k for k in DEFAULTS if k not in ("units", "features")] + [*UNIT_CONTROLS,
                                                                      *FEATURE_CONTROLS]


def sweep_values(control) -> list:
    """Every option of a menu; five evenly spaced values of a slider (ends included); off and
    on for a toggle."""
    if isinstance(control, widgets.ToggleButton):
        return [not control.value, control.value]
    if isinstance(control, widgets.FloatLogSlider):
        return [float(control.base ** e) for e in np.linspace(control.min, control.max, 5)]
    if isinstance(control, widgets.IntSlider):
        return sorted({round(v) for v in np.linspace(control.min, control.max, 5)})
    if isinstance(control, widgets.FloatSlider):
        return [round(float(v), 6) for v in np.linspace(control.min, control.max, 5)]
    return [o[1] if isinstance(o, tuple) else o for o in control.options]


def assert_finite_picture(pg: Playground) -> None:
    f = pg.frame()
    assert f.image.shape == (GRID, GRID, 3)
    for a in (f.image, f.train_cost, f.test_cost, f.X_train, f.X_test):
        assert np.isfinite(a).all()
    assert (f.image >= 0).all() and (f.image <= 1).all()
    assert len(f.train_cost) == len(f.test_cost) == len(pg.history["train"])
    widths = hidden_units(pg.config)
    assert f.inputs.shape == (len(pg.config["features"]), GRID, GRID)
    assert [h.shape for h in f.hidden] == [(w, GRID, GRID) for w in widths]
    for a in (f.inputs, *f.hidden):
        assert np.isfinite(a).all()
    shown = pg.view.units_image.get_array()  # the pictures as drawn: RGBA bytes
    assert shown.shape == (*mosaic_layout(len(f.inputs), widths).shape, 4)
    mosaic = neuron_mosaic(f)
    assert np.isfinite(mosaic).all() and (mosaic >= 0).all() and (mosaic <= 1).all()
    np.testing.assert_array_equal(shown[..., :3], np.rint(mosaic * 255))


# --- controls ----------------------------------------------------------------------------------
def test_the_panel_has_every_control_button_and_view():
    pg = playground()
    assert sorted(pg.controls) == sorted(CONTROLS)
    assert sorted(n for names in GROUPS.values() for n in names) == sorted(pg.controls)
    assert pg.config == DEFAULTS
    assert pg.values() == control_values(DEFAULTS)
    assert validate_config(config_of(pg.values())) == DEFAULTS
    assert set(pg.buttons) == {"Play", "Pause", "Step", "Reset", "Export", "Import"}
    row = next(w for w in pg.widget.children if isinstance(w, widgets.HBox))
    assert [b.description for b in row.children] == ["Play", "Pause", "Step", "Reset"]
    json_row = pg.widget.children[-1]
    assert list(json_row.children) == [pg.json_box, pg.export_button, pg.import_button]
    assert isinstance(pg.widget, widgets.VBox)
    assert pg.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Step 0" in pg.message


@pytest.fixture(scope="module")
def sweep_panel() -> Playground:
    """One panel for the sweeps: each loads its starting configuration, a new run as a new
    panel would start (building the figure is most of what a new panel costs)."""
    return playground()


@pytest.mark.parametrize("name", CONTROLS)
def test_every_control_across_its_range_trains_without_warnings(sweep_panel, name):
    pg = sweep_panel
    pg.load_json(config_to_json(validate_config({"layers": 4 if name in UNIT_CONTROLS else 2,
                                                 "units": 4})))
    assert pg.steps == 0 and pg.config["layers"] == (4 if name in UNIT_CONTROLS else 2)
    for value in sweep_values(pg.controls[name]):
        pg.set(**{name: value})
        assert pg.steps == 0  # a new setting restarts the run
        pg.step()
        assert pg.steps == STEPS_PER_CHUNK or pg.run.diverged
        assert_finite_picture(pg)
        assert pg.message


def test_each_hidden_layer_has_its_own_width():
    pg = playground({"layers": 3, "units": [8, 4, 2]})
    assert [d.n_out for d in pg.run.dense] == [8, 4, 2, 2]
    assert [pg.controls[k].value for k in UNIT_CONTROLS[:3]] == [8, 4, 2]
    assert [pg.controls[k].disabled for k in UNIT_CONTROLS] == [False, False, False, True]
    pg.step(2)
    assert_finite_picture(pg)
    assert "2 → 8 → 4 → 2 → 2" in pg.health.value
    pg.controls["units_2"].value = 12  # one slider changes one layer
    assert pg.config["units"] == [8, 12, 2] and pg.steps == 0
    assert [d.n_out for d in pg.run.dense] == [8, 12, 2, 2]
    pg.controls["layers"].value = 4  # a new layer takes its slider's width
    assert pg.config["units"] == [8, 12, 2, pg.controls["units_4"].value]
    assert not pg.controls["units_4"].disabled
    pg.controls["layers"].value = 1
    assert pg.config["units"] == 8 and pg.to_json() == '{"layers":1,"units":8}'
    assert all(pg.controls[k].disabled for k in UNIT_CONTROLS[1:])
    pg.controls["layers"].value = 3  # the hidden sliders kept their widths
    assert pg.config["units"] == [8, 12, 2]
    pg.set(units=5)  # one number: every layer
    assert pg.config["units"] == 5 and all(pg.controls[k].value == 5 for k in UNIT_CONTROLS)
    pg.set(units_3=9, layers=4)
    assert pg.config["units"] == [5, 5, 9, 5]
    assert hidden_units(pg.config) == [5, 5, 9, 5]
    assert hidden_units(validate_config({"layers": 2, "units": 7})) == [7, 7]
    assert hidden_units(validate_config({"layers": 0})) == []


def test_per_layer_widths_train():
    pg = playground({"dataset": "moons", "layers": 2, "units": [12, 4], "lr": 0.03})
    pg.step(20)
    assert pg.history["train"][-1] < 0.5 * pg.history["train"][0]
    assert pg.run.accuracy() > 0.85


def test_ignored_controls_are_greyed_out():
    pg = playground({"dataset": "xor"})
    assert pg.controls["classes"].disabled and not pg.controls["noise"].disabled
    assert not pg.controls["classes"].readout and pg.controls["noise"].readout  # no stray "3"
    pg.controls["dataset"].value = "spirals"
    assert not pg.controls["classes"].disabled and pg.controls["classes"].readout
    pg.set(layers=0)
    assert pg.controls["dropout"].disabled and pg.controls["batch_norm"].disabled
    assert all(pg.controls[k].disabled for k in UNIT_CONTROLS)
    X, y = moons(60, noise=0.1, rng=0)
    own = playground(X=X, y=y)
    assert own.controls["noise"].disabled and own.controls["n_points"].disabled


def test_moving_a_widget_restarts_like_set():
    pg = playground()
    pg.step(2)
    pg.controls["layers"].value = 1
    assert pg.steps == 0 and pg.config["layers"] == 1
    assert len(pg.run.dense) == 2


def test_extreme_settings_are_safe():
    """The largest network with everything switched on, and the smallest possible batch."""
    pg = playground({"layers": 4, "units": 16, "dropout": 0.5, "batch_norm": True, "l1": 0.1,
                     "l2": 0.1, "batch_size": 1, "lr": 10.0, "optimizer": "sgd",
                     "activation": "sigmoid", "init": "zeros"})
    pg.step(3)
    assert_finite_picture(pg)
    assert "2 examples per batch" in pg.message or pg.run.diverged
    pg.set(init="normal", batch_norm=False, activation="relu", lr=1e-4, batch_size=256,
           n_points=40, train_fraction=0.9)
    pg.step(2)
    assert_finite_picture(pg)


# --- training ----------------------------------------------------------------------------------
SENSIBLE = {
    "xor": {"dataset": "xor", "layers": 1, "units": 4, "lr": 0.1},
    "circles": {"dataset": "circles", "layers": 1, "units": 6, "lr": 0.1},
    "moons": {"dataset": "moons", "layers": 2, "units": 8, "lr": 0.03},
    "spirals": PLAYGROUND_PRESETS["spirals_deep"][1],
    **{f"blobs{k}": {"dataset": "blobs", "classes": k, "layers": 1, "units": 8, "lr": 0.03}
       for k in (2, 3, 4, 5)},
}


@pytest.mark.parametrize("name", list(SENSIBLE))
def test_training_lowers_training_and_test_cost(name):
    pg = playground(SENSIBLE[name])
    pg.step(20)
    train, test = pg.history["train"], pg.history["test"]
    assert len(train) == pg.steps + 1 == 20 * STEPS_PER_CHUNK + 1
    assert train[-1] < 0.5 * train[0]
    assert test[-1] < 0.6 * test[0]
    assert pg.run.accuracy() > 0.85
    assert_finite_picture(pg)


def test_blobs_use_a_softmax_output_with_one_unit_per_class():
    for k in (2, 3, 4, 5):
        pg = playground({"dataset": "blobs", "classes": k})
        assert pg.run.net.n_out == k
        p = pg.run.probabilities(np.zeros((3, 2)))
        np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_custom_arrays_train():
    X, y = moons(120, noise=0.1, rng=3)
    pg = playground({"layers": 2, "units": 8}, X=X * 50 + 7, y=y)  # any scale: inputs standardized
    assert pg.config["dataset"] == "custom"
    assert "custom" in pg.controls["dataset"].options
    pg.step(15)
    assert pg.history["test"][-1] < 0.5 * pg.history["test"][0]
    f = pg.frame()
    assert f.extent[0] < (X[:, 0] * 50 + 7).min()  # drawn in the data's own coordinates
    assert len(f.X_train) + len(f.X_test) == 120


@pytest.mark.parametrize("X, y, words", [
    (np.zeros((20, 3)), np.arange(20) % 2, "exactly 2 features"),
    (np.zeros(20), np.arange(20) % 2, "exactly 2 features"),
    (np.zeros((20, 2)), (np.arange(20) % 2) * 0.5, "integer class labels"),
    (np.zeros((20, 2)), np.arange(19) % 2, "same length"),
    (np.r_[np.zeros((19, 2)), [[np.nan, 0]]], np.arange(20) % 2, "NaN"),
    (np.zeros((20, 2)), np.arange(20) % 7, "2 ≤ K ≤ 5"),
    (np.zeros((20, 2)), np.zeros(20, dtype=int), "2 ≤ K ≤ 5"),
    (np.zeros((20, 2)), np.array(["a", "b"] * 10), "integer class labels"),
    (np.zeros((5, 2)), np.arange(5) % 2, "at least 10"),
])
def test_custom_arrays_are_checked_with_teaching_errors(X, y, words):
    with pytest.raises(ValueError, match=words):
        playground(X=X, y=y)


def test_custom_needs_both_arrays():
    with pytest.raises(ValueError, match="both X"):
        playground(X=np.zeros((20, 2)))
    with pytest.raises(ValueError, match="needs your arrays"):
        playground({"dataset": "custom"})
    X, y = check_custom_data(np.ones((12, 2)), np.arange(12) % 3)
    assert y.dtype == np.int64 and X.shape == (12, 2)


def test_same_configuration_same_run_and_the_seed_changes_it():
    a, b = playground("xor_hidden"), playground("xor_hidden")
    a.step(4)
    b.step(4)
    assert a.history == b.history
    c = playground("xor_hidden")
    c.set(seed=1)
    c.step(4)
    assert c.history != a.history


def test_the_health_readout_names_every_layer():
    pg = playground({"layers": 3, "units": 5, "activation": "relu"})
    pg.step(2)
    names = [h.name for h in pg.run.health]
    assert names == ["layer 1", "layer 2", "layer 3", "output"]
    for h in pg.run.health:
        assert np.isfinite(h.grad_norm) and h.grad_norm > 0
        assert 0 < h.update_ratio < 1
    assert all(h.dead is not None and 0 <= h.dead <= 1 for h in pg.run.health[:3])
    sig = playground({"layers": 1, "activation": "sigmoid"})
    sig.step()
    assert sig.run.health[0].saturated is not None and sig.run.health[0].dead is None


def test_dead_relu_units_are_reported():
    pg = playground({"activation": "relu", "optimizer": "sgd", "lr": 10.0, "layers": 2,
                     "units": 8, "dataset": "circles"})
    pg.step(10)
    assert pg.run.diverged or any("dead" in w for h in pg.run.health for w in h.warnings())
    assert_finite_picture(pg)


# --- divergence --------------------------------------------------------------------------------
def test_divergence_is_explained_and_stops_cleanly():
    pg = playground("lr_too_high")
    pg.step(10)
    assert pg.run.diverged and pg.finished
    msg = pg.message
    assert f"at step {pg.run.diverged_at}" in msg
    assert "learning rate (now 1; try 0.1)" in msg and "adam" in msg
    assert "Reset" in msg
    at = pg.steps
    assert all(np.isfinite(pg.history["train"])) and all(np.isfinite(pg.history["test"]))
    pg.step(3)  # nothing more happens
    assert pg.steps == at
    assert_finite_picture(pg)
    assert pg.frame().diverged and "diverged" in pg.frame().title
    pg.play()  # does nothing on a finished run
    assert pg.steps == at and not pg.playing
    pg.reset()
    assert not pg.run.diverged and pg.steps == 0


def test_a_run_that_diverges_before_any_readout_reports_no_health_problem():
    pg = playground("lr_too_high")
    pg.step()  # diverges inside the first chunk, before the first health readout
    assert pg.run.diverged and pg.run.health_step == 0 and pg.frame().health_step == 0
    assert "vanished" not in pg.health.value and "before training" in pg.health.value
    assert "Health:" not in pg.message


def test_following_the_advice_fixes_divergence():
    pg = playground("lr_too_high")
    pg.set(lr=0.1)
    pg.step(10)
    assert not pg.run.diverged
    assert pg.history["train"][-1] < 0.1


# --- JSON --------------------------------------------------------------------------------------
def test_json_is_short_and_round_trips_to_the_same_config_and_run():
    pg = playground("overfit_l2")
    pg.set(seed=7, batch_norm=True, noise=0.3)
    text = pg.to_json()
    assert " " not in text and "optimizer" not in text  # only non-defaults, compact
    assert json.loads(text)["l2"] == 0.03
    twin = playground(text)
    assert twin.config == pg.config and twin.to_json() == text
    other = playground()
    other.load_json(text)
    assert other.config == pg.config and other.values() == pg.values()
    widths = playground({"layers": 3, "units": [8, 4, 2]})
    assert widths.to_json() == '{"layers":3,"units":[8,4,2]}'
    assert playground(widths.to_json()).config == widths.config
    assert config_from_json('{"layers":2,"units":[5,5]}')["units"] == 5  # shortest form
    assert config_from_json('{"units":8}')["units"] == 8  # one number still works
    for p in (pg, twin, other):
        p.step(5)
    assert pg.history == twin.history == other.history
    assert playground(json.loads(text)).config == pg.config
    assert playground().to_json() == "{}"


def test_every_preset_round_trips():
    for name, (description, config) in PLAYGROUND_PRESETS.items():
        full = validate_config(config)
        assert config_from_json(config_to_json(full)) == full
        assert description.endswith(".") and description.count(". ") == 0, name
    pg = playground("overfit_l2")
    assert playground(pg.to_json()).config == pg.config


_SHARED: dict[str, Playground] = {}


def default_panel() -> Playground:
    """One default panel, built once, for the tests of refused settings: a refusal changes
    nothing (each of them checks that the configuration is still the default)."""
    if "default" not in _SHARED:
        _SHARED["default"] = playground()
    return _SHARED["default"]


@pytest.mark.parametrize("text, words", [
    ("not json", "not valid JSON"),
    ("[1, 2]", "object of settings"),
    ('{"learning_rate": 0.1}', "valid keys are: dataset, classes"),
    ('{"lr": 100}', "between 0.0001 and 10"),
    ('{"lr": "fast"}', "must be a number"),
    ('{"layers": 5}', "between 0 and 4"),
    ('{"units": 2.5}', "whole number"),
    ('{"units": [4, 8, 8]}', r"units=\[4, 8, 8\] has 3 entries but layers is 2"),
    ('{"layers": 3, "units": [4, 8]}', r"one width per hidden layer \(units=\[4, 8, 8\]\)"),
    ('{"layers": 0, "units": [4]}', "with no hidden layer, leave units out"),
    ('{"layers": 2, "units": [4, 17]}', "entry 2 = 17, out of range"),
    ('{"layers": 2, "units": [4, 1.5]}', "entry 2 = 1.5, which is not a whole number"),
    ('{"layers": 4, "units": [1, 2, 3, 4, 5]}', "at most 4 hidden layers"),
    ('{"units": [4, true]}', "not a whole number"),
    ('{"activation": "elu"}', "relu, tanh, sigmoid, leaky_relu"),
    ('{"dataset": "iris"}', "xor, circles, moons, spirals, blobs"),
    ('{"batch_size": 3}', "1, 2, 4, 8"),
    ('{"l2": 0.5}', "choose one of 0, 0.0001"),
    ('{"batch_norm": 1}', "true or false"),
    ('{"noise": NaN}', "between 0 and 0.5"),
    ('{"features": ["x1", "x3"]}', "'x3', which is not an input; the inputs are x1, x2, x1_sq"),
    ('{"features": []}', "switches every input off; the network needs at least one"),
    ('{"features": "x1"}', "must be a list of input names"),
    ('{"features": [1]}', "1, which is not an input"),
])
def test_bad_json_is_refused_with_a_helpful_message(text, words):
    with pytest.raises(ValueError, match=words):
        config_from_json(text)
    pg = default_panel()
    with pytest.raises(ValueError, match=words):
        pg.load_json(text)
    assert pg.config == DEFAULTS  # nothing changed


def test_set_refuses_unknown_controls_and_bad_values():
    pg = default_panel()
    with pytest.raises(ValueError, match="the controls are: dataset"):
        pg.set(learning_rate=0.1)
    with pytest.raises(ValueError, match="between"):
        pg.set(lr=-1)
    with pytest.raises(ValueError, match="units_3=20: the width of hidden layer 3"):
        pg.set(units_3=20)
    with pytest.raises(ValueError, match="has 3 entries but layers is 2"):
        pg.set(units=[4, 4, 4])
    assert pg.config == DEFAULTS
    with pytest.raises(ValueError, match="neither a preset nor JSON"):
        playground("no such preset")


def test_export_and_import_buttons():
    pg = playground("xor_hidden")
    pg.export_button.click()
    assert pg.json_box.value == pg.to_json()
    other = playground()
    other.json_box.value = pg.json_box.value
    other.import_button.click()
    assert other.config == pg.config
    other.json_box.value = '{"lr": 99}'
    other.import_button.click()  # a bad import is shown, not raised
    assert "between 0.0001 and 10" in other.message
    assert other.config == pg.config


def test_features_are_checked_and_written_in_a_fixed_order():
    cfg = validate_config({"features": ["sin_x2", "x1_sq", "x1", "x1_sq"]})
    assert cfg["features"] == ("x1", "x1_sq", "sin_x2")  # FEATURES' order, each once
    assert validate_config({"features": ("x2", "x1")}) == DEFAULTS
    assert validate_config({})["features"] == ("x1", "x2")
    for bad, words in [(["X1"], "'X1', which is not an input"),
                       (["x1", "cos_x1", "x9"], "'cos_x1', 'x9', which are not an input"),
                       ([], "at least one"), (None, "must be a list"), (3, "must be a list")]:
        with pytest.raises(ValueError, match=words) as info:
            validate_config({"features": bad})
        assert "features is the list of the network's inputs" in str(info.value)
    with pytest.raises(ValueError, match="x1 \\(x₁\\), x2 \\(x₂\\), x1_sq \\(x₁²\\)"):
        validate_config({"features": ["x"]})  # the description names every input


def test_features_round_trip_through_json():
    cfg = validate_config({"dataset": "xor", "features": ["x1_x2", "x1", "x2"], "layers": 0})
    text = config_to_json(cfg)
    assert text == '{"dataset":"xor","features":["x1","x2","x1_x2"],"layers":0}'
    assert config_from_json(text) == cfg
    assert "features" not in config_to_json(validate_config({"features": ["x2", "x1"]}))
    pg = playground(text)
    assert pg.config == cfg and pg.to_json() == text
    assert [pg.controls[k].value for k in FEATURE_CONTROLS] == [True, True, False, False, True,
                                                                False, False]
    other = playground()
    other.load_json(text)
    assert other.values() == pg.values()
    pg.step(3)
    other.step(3)
    assert pg.history == other.history


def test_config_helpers_agree():
    cfg = validate_config({"dataset": "moons", "noise": 0.30000000000000004})
    assert cfg["noise"] == 0.3
    assert config_from_json(config_to_json(cfg)) == cfg


# --- inputs -----------------------------------------------------------------------------------
def test_input_features_are_computed_from_the_standardized_coordinates():
    Z = np.array([[1.0, 2.0], [-0.5, 0.0]])
    F = input_features(Z, FEATURES)
    np.testing.assert_allclose(F, [[1, 2, 1, 4, 2, np.sin(1), np.sin(2)],
                                   [-0.5, 0, 0.25, 0, 0, np.sin(-0.5), 0]])
    run = Run(validate_config({"features": ["x1", "x2", "x1_sq", "sin_x2"], "layers": 1}))
    assert run.net.n_in == 4 and run.Z_train.shape == (len(run.X_train), 4)
    np.testing.assert_allclose(run.Z_train.mean(axis=0), 0, atol=1e-12)  # standardized on
    np.testing.assert_allclose(run.Z_train.std(axis=0), 1, atol=1e-12)  # the training set
    z = (run.X_train - run.X_train.mean(axis=0)) / run.X_train.std(axis=0)
    np.testing.assert_allclose(run.Z_train[:, :2], z, atol=1e-12)  # x1, x2 as before
    sq = z[:, 0] ** 2
    np.testing.assert_allclose(run.Z_train[:, 2], (sq - sq.mean()) / sq.std(), atol=1e-12)
    assert np.allclose(run.standardize(run.X_test), run.Z_test)
    # the default inputs are the standardized coordinates, exactly as without the setting
    plain = Run(validate_config({}))
    np.testing.assert_array_equal(plain.Z_train, (plain.X_train - plain.mean) / plain.scale)


def test_every_combination_of_inputs_trains_without_warnings():
    combos = [c for k in range(1, len(FEATURES) + 1) for c in itertools.combinations(FEATURES, k)]
    assert len(combos) == 2 ** len(FEATURES) - 1
    grid = None
    for combo in combos:
        run = Run(validate_config({"dataset": "moons", "features": list(combo), "layers": 1,
                                   "units": 3, "n_points": 40}))
        assert run.advance(STEPS_PER_CHUNK) == STEPS_PER_CHUNK
        grid = grid or boundary_grid(run)
        f = make_frame(run, grid)
        assert np.isfinite(run.history["train"] + run.history["test"]).all()
        assert f.inputs.shape == (len(combo), GRID, GRID) and np.isfinite(f.inputs).all()
        assert f.hidden[0].shape == (3, GRID, GRID) and np.isfinite(f.hidden[0]).all()
        assert np.isfinite(f.image).all()
        assert f.shape.startswith(f"{len(combo)} → 3 → 2")


def test_the_input_toggles_set_the_features():
    pg = playground()
    assert all(k in GROUPS["Data"] for k in FEATURE_CONTROLS)
    assert [pg.controls[k].value for k in FEATURE_CONTROLS] == [True, True] + [False] * 5
    pg.step()
    pg.controls["feature_x1_sq"].value = True  # as a learner presses the toggle
    assert pg.config["features"] == ("x1", "x2", "x1_sq") and pg.steps == 0
    assert pg.run.net.n_in == 3 and "3 → 6 → 6 → 2" in pg.health.value
    pg.set(feature_x1=False, feature_x2=False)
    assert pg.config["features"] == ("x1_sq",) and pg.to_json() == '{"features":["x1_sq"]}'
    assert pg.controls["feature_x1_sq"].disabled  # the only input left stays on
    assert not pg.controls["feature_x1"].disabled
    with pytest.raises(ValueError, match="at least one"):
        pg.set(feature_x1_sq=False)
    with pytest.raises(ValueError, match="switched on \\(True\\) or off"):
        pg.set(feature_x1="yes")
    pg.set(features=["sin_x1", "sin_x2"])
    assert [pg.controls[k].value for k in FEATURE_CONTROLS] == [False] * 5 + [True, True]
    assert not any(pg.controls[k].disabled for k in FEATURE_CONTROLS)
    pg.set(feature_x1=True, layers=1)
    assert pg.config["features"] == ("x1", "sin_x1", "sin_x2") and pg.config["layers"] == 1
    pg.step()
    assert_finite_picture(pg)
    with pytest.raises(ValueError, match="or features, a list of inputs"):
        pg.set(feature_x3=True)


def test_circles_need_the_squares_without_a_hidden_layer():
    squares = playground("circles_squares")
    assert squares.config["layers"] == 0 and len(squares.run.dense) == 1
    squares.step(30)
    plain = playground("circles_squares")
    plain.set(feature_x1_sq=False, feature_x2_sq=False)  # the same network, x₁ and x₂ only
    plain.step(30)
    assert squares.run.accuracy() > 0.95 and squares.history["test"][-1] < 0.15
    assert plain.run.accuracy() < 0.65 and plain.history["test"][-1] > 0.65  # chance: log 2
    # the boundary is a closed curve around the centre: the middle of the plane is one class,
    # the four corners the other
    _, (x0, x1, y0, y1) = boundary_grid(squares.run)
    probe = np.array([[0.0, 0.0], [x0, y0], [x0, y1], [x1, y0], [x1, y1]])
    predicted = squares.run.probabilities(probe).argmax(axis=1)
    assert len(set(predicted[1:])) == 1 and predicted[0] != predicted[1]


def test_xor_is_one_product_away_from_a_line():
    """Try-this 7's answer: x₁x₂ alone separates XOR with no hidden layer."""
    pg = playground("xor_no_hidden")
    pg.set(features=["x1_x2"])
    pg.step(30)
    assert pg.run.accuracy() > 0.95


# --- pictures of the inputs and hidden units ------------------------------------------------------
def test_one_picture_per_hidden_unit_laid_out_by_layer():
    pg = playground({"layers": 3, "units": [16, 9, 2], "features": ["x1", "x2", "x1_x2"]})
    f = pg.frame()
    assert [h.shape for h in f.hidden] == [(16, GRID, GRID), (9, GRID, GRID), (2, GRID, GRID)]
    assert f.input_names == ("x₁", "x₂", "x₁x₂")
    layout = mosaic_layout(3, [16, 9, 2])
    assert len(layout.tiles) == 3 + 16 + 9 + 2
    assert [h for _, h in layout.heads] == ["inputs", "layer 1", "layer 2", "layer 3"]
    tops = {}
    for (top, left), group in zip(layout.tiles, [0] * 3 + [1] * 16 + [2] * 9 + [3] * 2,
                                  strict=True):
        assert 0 <= top and top + GRID <= layout.shape[0]
        assert 0 <= left and left + GRID <= layout.shape[1]
        tops.setdefault(group, set()).add(left)
    assert [len(tops[g]) for g in range(4)] == [1, 2, 2, 1]  # one column; two beyond 8 units
    lefts = [min(tops[g]) for g in range(4)]
    assert lefts == sorted(lefts)  # left to right: inputs, then layer after layer
    corners = {(t, left) for t, left in layout.tiles}
    assert len(corners) == len(layout.tiles)  # no two tiles in one place
    largest = mosaic_layout(7, [16] * 4)
    assert len(largest.tiles) == 7 + 64
    assert mosaic_layout(2, []).heads == ((largest.heads[0][0], "inputs"),)


def test_unit_pictures_show_what_each_unit_computes():
    pg = playground({"layers": 1, "units": 3, "activation": "tanh"})
    f = pg.frame()
    run = pg.run
    points, _ = boundary_grid(run)
    a = np.tanh(run.standardize(points) @ run.dense[0].W.value + run.dense[0].b.value)
    np.testing.assert_allclose(f.hidden[0], a.T.reshape(3, GRID, GRID), atol=1e-12)
    np.testing.assert_allclose(f.inputs[0], run.standardize(points)[:, 0].reshape(GRID, GRID))
    mosaic = neuron_mosaic(f)
    layout = mosaic_layout(2, [3])
    (t1, l1), (t2, l2) = layout.tiles[:2]
    red, blue = mosaic[t1 + GRID // 2, l1 + GRID - 2], mosaic[t1 + GRID // 2, l1 + 1]
    assert red[0] > red[2] and blue[2] > blue[0]  # x₁ grows to the right: blue → red
    top, bottom = mosaic[t2 + 1, l2 + GRID // 2], mosaic[t2 + GRID - 2, l2 + GRID // 2]
    assert top[0] > top[2] and bottom[2] > bottom[0]  # x₂ grows upwards
    assert pg.view.units_image.get_array().shape == (*layout.shape, 4)


def test_unit_pictures_change_as_the_network_trains():
    pg = playground({"dataset": "moons", "layers": 2, "units": [5, 4], "activation": "relu"})
    before = pg.frame()
    mosaic = np.array(pg.view.units_image.get_array())
    pg.step(5)
    after = pg.frame()
    for b, a in zip(before.hidden, after.hidden, strict=True):
        assert a.shape == b.shape
        assert all(np.abs(a[k] - b[k]).max() > 1e-3 for k in range(len(a)))  # every unit moved
    np.testing.assert_array_equal(before.inputs, after.inputs)  # the inputs do not train
    assert not np.array_equal(np.asarray(pg.view.units_image.get_array()), mosaic)
    assert all(h.min() >= 0 for h in after.hidden)  # ReLU outputs
    for activation, low, high in [("sigmoid", 0, 1), ("tanh", -1, 1)]:
        f = playground({"activation": activation, "layers": 1}).frame()
        assert low <= f.hidden[0].min() and f.hidden[0].max() <= high


def test_dead_relu_units_show_as_white_pictures():
    """Try-this 8: with ReLU, some units of spirals_deep's second layer die, and their pictures
    are white everywhere; the health readout counts them among the dead."""
    pg = playground("spirals_deep")
    pg.set(activation="relu")
    pg.step(30)
    white = [sum(np.abs(h[k]).max() == 0 for k in range(len(h))) for h in pg.frame().hidden]
    dead = [round(h.dead * h.units) for h in pg.run.health[:3]]
    assert white[1] >= 2 and all(w <= d for w, d in zip(white, dead, strict=True))
    mosaic, layout = neuron_mosaic(pg.frame()), mosaic_layout(2, [16, 16, 16])
    # a white picture: one colour all over, the diverging map's nearly white middle
    whites = [np.ptp(mosaic[t:t + GRID, c:c + GRID], axis=(0, 1)).max() == 0
              and mosaic[t, c].min() > 0.95 for t, c in layout.tiles[2:]]
    assert sum(whites) == sum(white)


def test_the_unit_pictures_follow_the_network_on_one_figure():
    pg = playground()
    axes = list(pg.figure.axes)
    for config in ({"layers": 4, "units": 16, "features": list(FEATURES)}, {"layers": 0},
                   {"layers": 1, "units": 1, "features": ["sin_x1"]}):
        pg.set(**config)
        pg.step()
        assert_finite_picture(pg)
        heads = [t.get_text() for t in pg.view.unit_heads if t.get_text()]
        assert heads == ["inputs", *(f"layer {i}" for i in range(1, pg.config["layers"] + 1))]
        names = [t.get_text() for t in pg.view.input_labels if t.get_text()]
        assert len(names) == len(pg.config["features"])
    assert pg.figure.axes == axes  # the same axes, redrawn


# --- Play, Pause, Step, Reset ---------------------------------------------------------------------
def test_play_and_pause_on_a_running_event_loop():
    pg = playground("spirals_deep")

    async def session():
        pg.play()
        assert pg.playing and pg.task is not None and pg.buttons["Play"].disabled
        await asyncio.sleep(0.4)  # the loop stays free between chunks
        running = pg.steps
        pg.buttons["Pause"].click()
        await pg.task
        return running

    running = asyncio.run(session())
    assert running >= STEPS_PER_CHUNK  # chunks ran while the loop was awaited
    assert not pg.playing and pg.task.done() and not pg.buttons["Play"].disabled
    assert pg.steps in (running, running + STEPS_PER_CHUNK)  # stopped after the current chunk
    paused = pg.steps
    assert pg.steps == paused  # nothing runs after the pause


def test_pause_then_play_again_runs_a_single_task():
    pg = playground("xor_hidden")

    async def session():
        pg.play()
        first = pg.task
        await asyncio.sleep(0.05)
        pg.pause()
        pg.play()  # before the first task noticed the pause
        second = pg.task
        await asyncio.sleep(0.3)
        pg.pause()
        await asyncio.gather(first, second)
        return first, second

    first, second = asyncio.run(session())
    assert first is not second and first.done() and second.done()
    assert not pg.playing
    assert pg.steps % STEPS_PER_CHUNK == 0 and pg.steps >= STEPS_PER_CHUNK


def test_play_stops_by_itself_when_the_run_diverges():
    pg = playground("lr_too_high")

    async def session():
        pg.play()
        await asyncio.wait_for(pg.task, timeout=30)

    asyncio.run(session())
    assert pg.run.diverged and not pg.playing


def test_play_without_an_event_loop_runs_a_bounded_number_of_chunks():
    pg = playground("xor_hidden")
    pg.play()
    assert pg.steps == CHUNKS_WITHOUT_LOOP * STEPS_PER_CHUNK
    assert not pg.playing and "step()" in pg.message


def test_step_and_reset_buttons():
    pg = playground("xor_hidden")
    first = pg.history["train"][0]
    pg.buttons["Step"].click()
    assert pg.steps == STEPS_PER_CHUNK
    pg.step(3)
    assert pg.steps == 4 * STEPS_PER_CHUNK
    pg.buttons["Reset"].click()
    assert pg.steps == 0 and pg.history["train"] == [first]
    with pytest.raises(ValueError, match="at least 1"):
        pg.step(0)


def test_the_run_stops_at_the_step_limit():
    run = Run(validate_config({"dataset": "xor", "layers": 0, "n_points": 40}))
    run.step = MAX_STEPS - 5
    assert run.advance(20) == 5 and run.advance(20) == 0
    assert f"limit of {MAX_STEPS} steps" in run.message


# --- display and twin --------------------------------------------------------------------------
def test_the_panel_displays_itself_with_the_live_note():
    bundle = playground()._repr_mimebundle_()
    assert LIVE_NOTE in bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_presets_are_described_and_show_what_they_say():
    assert len(PLAYGROUND_PRESETS) >= 4
    results = {}
    for name in PLAYGROUND_PRESETS:
        pg = playground(name)
        pg.step(30)
        results[name] = pg
        assert_finite_picture(pg)
    assert results["linear"].run.accuracy() > 0.95  # a line is enough
    assert results["linear"].run.net.n_out == 2 and len(results["linear"].run.dense) == 1
    assert results["xor_no_hidden"].history["test"][-1] > 0.6  # a line cannot split XOR
    assert results["xor_hidden"].history["test"][-1] < 0.2
    assert results["lr_too_high"].run.diverged
    over, l2 = results["overfit"].history, results["overfit_l2"].history
    assert over["test"][-1] > 2 * over["train"][-1]  # overfitting: the gap opens
    assert l2["test"][-1] < over["test"][-1]  # L2 closes it
    deep = results["spirals_deep"]
    shallow = playground("spirals_deep")
    shallow.set(layers=1)
    shallow.step(30)
    assert deep.run.accuracy() > 0.9 and shallow.run.accuracy() < deep.run.accuracy() - 0.05
    assert deep.history["test"][-1] < 0.5 * shallow.history["test"][-1]
    assert results["circles_squares"].run.accuracy() > 0.95  # see also the test below
    sines, plain = results["spirals_sin"], playground("spirals_sin")
    plain.set(features=["x1", "x2"])
    plain.step(30)
    assert sines.run.accuracy() > 0.8 and plain.run.accuracy() < 0.7  # "about 85 %, 60 %"
    five = results["blobs_five"].run
    points, _ = boundary_grid(five)
    assert five.net.n_out == 5  # one softmax output per class …
    assert set(five.probabilities(points).argmax(axis=1)) == set(range(5))  # … five regions


def test_twin_is_offline_with_several_frames_of_falling_cost():
    shots = playground_frames("xor_hidden", frames=5, steps=400)
    assert [s.step for s in shots] == [0, 100, 200, 300, 400]
    costs = [s.test_cost[-1] for s in shots]
    assert costs[-1] < 0.2 * costs[0] and costs[2] < costs[0]
    html = playground_twin("xor_hidden", frames=5, steps=400).data
    assert "http://" not in html and "https://" not in html
    assert html.count('] = "data:image/png;base64') == 5
    assert 'alt="Animation, 5 frames' in html
    with pytest.raises(ValueError, match="xor_hidden"):
        playground_twin("nope")


def test_regions_fade_to_white_where_the_network_is_unsure():
    n = GRID * GRID
    unsure = region_image(np.full((n, 3), 1 / 3), 3)
    sure = region_image(np.tile([0.0, 1.0, 0.0], (n, 1)), 3)
    assert unsure.shape == sure.shape == (GRID, GRID, 3)
    assert unsure.min() > 0.85  # nearly white
    assert not np.allclose(sure, sure[..., :1])  # a colour, not a grey
    assert sure.min() < 0.7


def test_plot_limits_hold_every_point():
    X = np.array([[-3.2, 0.1], [4.9, 7.3], [0.0, -1.0]])
    x0, x1, y0, y1 = plot_limits(X)
    assert x0 < -3.2 and x1 > 4.9 and y0 < -1.0 and y1 > 7.3


def test_a_training_setting_changed_at_step_0_is_named_in_the_status_line():
    pg = playground()
    picture = bytes(pg.image.value)
    pg.controls["optimizer"].value = "sgd"  # as a learner picks it from the menu
    assert "Optimizer set to sgd: press Play or Step to train with it." in pg.message
    assert pg.message.count("press Play or Step") + pg.message.count("Press Play or Step") == 1
    assert bytes(pg.image.value) == picture  # the untrained network does not depend on it
    pg.controls["lr"].value = 0.1
    assert "Learning rate set to 0.1: press Play or Step" in pg.message
    pg.step()
    assert "press Play or Step" not in pg.message
    pg.controls["noise"].value = 0.3  # the data change: the picture shows it, no note needed
    assert "set to" not in pg.message
