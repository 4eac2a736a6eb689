"""The gradient-descent explorers (chapter 5) and the landscapes they run on: every control
swept, the regimes checked against the theory of the quadratic cost, divergence reported
without warnings (warnings are errors in the test suite), the caches and the static twins."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest

from dlbasics.landscapes import (
    HUGE,
    LANDSCAPES,
    REGIMES,
    DescentPath,
    classify_run,
    descend,
    get_landscape,
    line_fit_landscape,
    run_measures,
)
from dlbasics.optim import SGD
from dlbasics.parameter import Parameter
from dlbasics.plotting import PALETTE
from dlbasics.widgets import (
    batch_explorer,
    batch_twin,
    compute_batch,
    compute_learning_rate,
    compute_race,
    learning_rate_explorer,
    learning_rate_twin,
    race_explorer,
    race_twin,
)
from dlbasics.widgets.batch_size import BatchCache
from dlbasics.widgets.descent import OPTIMIZER_NAMES, WARNING_REGIMES, DescentCache
from dlbasics.widgets.learning_rate import regime_learning_rates


# --- landscapes -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", LANDSCAPES)
def test_gradients_match_central_differences(name):
    land = get_landscape(name)
    rng = np.random.default_rng(0)
    (a1, b1), (a2, b2) = land.limits
    for _ in range(5):
        p = np.array([rng.uniform(a1, b1), rng.uniform(a2, b2)])
        h = 1e-6
        numeric = [(land.cost(*(p + h * e)) - land.cost(*(p - h * e))) / (2 * h)
                   for e in np.eye(2)]
        np.testing.assert_allclose(land.grad(p), numeric, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", LANDSCAPES)
def test_the_minimum_is_where_the_landscape_says(name):
    land = get_landscape(name)
    assert land.cost(*land.argmin) == pytest.approx(land.minimum, abs=1e-12)
    np.testing.assert_allclose(land.grad(np.array(land.argmin)), 0.0, atol=1e-9)
    _, _, J = land.grid(61)
    assert J.min() >= land.minimum - 1e-12


def test_line_fit_cost_and_hessian_match_the_data():
    land = line_fit_landscape()
    from dlbasics.datasets import noisy_line

    X, y = noisy_line(50, rng=0)
    x, t = X[:, 0], y[:, 0]
    assert land.cost(1.5, 0.3) == pytest.approx(np.mean((1.5 * x + 0.3 - t) ** 2))
    assert land.hessian[0, 0] == pytest.approx(2 * np.mean(x * x))
    assert land.curvatures()[0] > 0  # convex: a single global minimum


def test_descend_is_plain_gradient_descent_for_sgd():
    land = get_landscape("bowl")
    path = descend(land, "sgd", 0.01, 3)
    p = np.array(land.start)
    for k in range(1, 4):
        p = p - 0.01 * land.grad(p)
        np.testing.assert_allclose(path.points[k], p)
    # and the same as driving dlbasics.optim.SGD by hand
    q = Parameter("q", np.array(land.start))
    opt = SGD([q], lr=0.01)
    for _ in range(3):
        q.grad[...] = land.grad(q.value)
        opt.step()
    np.testing.assert_allclose(path.points[-1], q.value)


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_divergence_stops_cleanly_without_warnings(optimizer):
    path = descend(get_landscape("rosenbrock"), optimizer, 3.0, 300)
    assert np.isfinite(path.points).all() and np.isfinite(path.costs).all()
    assert np.abs(path.points).max() < HUGE
    if path.diverged:
        assert path.steps_taken < 300


def test_descend_refuses_bad_settings():
    with pytest.raises(ValueError, match="landscape"):
        get_landscape("valley")
    with pytest.raises(ValueError, match="steps"):
        descend(get_landscape("bowl"), "sgd", 0.1, 0)
    with pytest.raises(ValueError, match="learning rate"):
        descend(get_landscape("bowl"), "sgd", -0.1, 10)


# --- the learning-rate explorer -------------------------------------------------------------
@pytest.fixture(scope="module")
def lr_explorer():
    return learning_rate_explorer()


def test_regimes_follow_the_curvature_of_the_quadratic():
    land = line_fit_landscape()
    lam_min, lam_max = land.curvatures()
    eta_star = 2 / (lam_min + lam_max)
    cache = DescentCache()

    def regime(lr):
        return compute_learning_rate(lr, cache=cache).regime

    assert regime(1e-4) == "too small"
    assert regime(0.1 / lam_max) == "too small"
    assert regime(0.9 / lam_max) == "good"
    assert regime(1.3 / lam_max) == "overshoots but converges"
    assert regime(eta_star) == "overshoots but converges"
    assert regime(1.99 / lam_max) == "slow zig-zag"
    assert regime(2.05 / lam_max) == "diverged"  # grows without stopping in 200 steps
    assert regime(2.5 / lam_max) == "diverged"  # stops early
    r = compute_learning_rate(1.5 / lam_max, cache=cache)
    assert r.thresholds == pytest.approx((1 / lam_max, 2 / lam_max))
    assert f"{2 / lam_max:.3g}" in r.message and f"{eta_star:.3g}" in r.message


def test_steps_turn_back_exactly_above_one_over_lambda_max():
    """Plain gradient descent on a quadratic: the steepest direction overshoots, and steps
    turn back, exactly when eta > 1/lambda_max."""
    land = line_fit_landscape()
    lam_max = land.curvatures()[-1]
    for factor in (0.5, 0.9, 0.99):
        assert run_measures(land, descend(land, "sgd", factor / lam_max, 200))[1] == 0
    for factor in (1.05, 1.5, 1.9):
        assert run_measures(land, descend(land, "sgd", factor / lam_max, 200))[1] > 0


def test_overshooting_but_converging_is_not_called_bad(lr_explorer):
    """Past 1/lambda_max the steps overshoot, yet the cost ends far lower than at any rate the
    explorer calls "good": such a run must not get the warning colour."""
    land = line_fit_landscape()
    lam_min, lam_max = land.curvatures()
    cache = DescentCache()
    best_good = compute_learning_rate(0.99 / lam_max, cache=cache)
    assert best_good.regime == "good"
    for lr in (0.066, 0.09, 2 / (lam_min + lam_max)):
        r = compute_learning_rate(lr, cache=cache)
        assert r.regime == "overshoots but converges" and r.regime not in WARNING_REGIMES
        assert r.turn_backs > 0 and r.progress < best_good.progress / 10
        assert "Overshoots but converges" in r.message
        lr_explorer.set(landscape="line_fit", optimizer="sgd", lr=lr, steps=200)
        assert lr_explorer.view.banner.get_text() == "OVERSHOOTS BUT CONVERGES"
        assert lr_explorer.view.banner.get_color() == "black"
    lr_explorer.set(lr=1.99 / lam_max)
    assert lr_explorer.result.regime == "slow zig-zag"
    assert lr_explorer.view.banner.get_color() == PALETTE["vermillion"]


def test_the_regime_sweep_visits_every_regime():
    cache = DescentCache()
    regimes = [compute_learning_rate(lr, cache=cache).regime for lr in regime_learning_rates()]
    assert set(regimes) == set(REGIMES)
    order = [REGIMES.index(r) for r in regimes]
    assert order == sorted(order)  # too small → good → overshoots → slow zig-zag → diverged


def test_the_rule_in_numbers():
    """classify_run on hand-made paths: progress q = gap at the end / gap at the start, and
    the steps that turn back."""
    land = get_landscape("bowl")  # J = p1²/2 + 10 p2², minimum 0 at the origin

    def path(points, diverged=False):
        pts = np.array(points, dtype=float)
        return DescentPath(pts, np.array([land.cost(*p) for p in pts]), diverged, len(pts) - 1)

    straight = [(4.0, 0.0), (2.0, 0.0), (1.0, 0.0), (0.02, 0.0)]  # q = 2.5e-5
    assert classify_run(land, path(straight)) == "good"
    bounce = [(4.0, 0.0), (-2.0, 0.0), (1.0, 0.0), (0.02, 0.0)]  # steps turn back
    assert classify_run(land, path(bounce)) == "overshoots but converges"
    creep = [(4.0, 0.0), (3.9, 0.0), (3.8, 0.0), (3.7, 0.0)]
    assert classify_run(land, path(creep)) == "too small"
    zigzag = [(4.0, 0.0), (-3.9, 0.0), (3.8, 0.0), (-3.7, 0.0)]  # every step turns back
    assert classify_run(land, path(zigzag)) == "slow zig-zag"
    assert classify_run(land, path([(4.0, 0.0), (-5.0, 0.0)])) == "diverged"  # q > 1
    assert classify_run(land, path(straight, diverged=True)) == "diverged"
    q, turns, fraction = run_measures(land, path(zigzag))
    assert q == pytest.approx(3.7**2 / 4.0**2) and turns == 2 and fraction == 1.0


def test_overshooting_steps_cross_the_valley_floor():
    land = get_landscape("bowl")  # curvature 20 along p2
    path = descend(land, "sgd", 1.5 / 20, 200)
    signs = np.sign(path.points[:20, 1])
    assert (signs[1:] != signs[:-1]).all()  # p2 changes sign at every step
    assert classify_run(land, path) == "overshoots but converges"


@pytest.mark.parametrize("control", ["lr", "momentum", "steps"])
@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_every_slider_on_every_landscape(lr_explorer, control, landscape):
    slider = lr_explorer.controls[control]
    lr_explorer.set(landscape=landscape, lr=0.01, momentum=0.9, steps=100)
    if isinstance(slider, widgets.FloatLogSlider):
        values = [slider.base ** e for e in np.linspace(slider.min, slider.max, 6)]
    else:
        values = np.linspace(slider.min, slider.max, 5)
    for optimizer in OPTIMIZER_NAMES:
        lr_explorer.set(optimizer=optimizer)
        for value in values:
            value = int(value) if control == "steps" else float(value)
            r = lr_explorer.set(**{control: value})
            assert r.regime in REGIMES
            assert np.isfinite(r.path.points).all() and (r.gap > 0).all()
            assert r.message
            if r.regime == "diverged":
                assert "DIVERGED" in lr_explorer.view.banner.get_text()
            warn = lr_explorer.view.banner.get_color() == PALETTE["vermillion"]
            assert warn == (r.regime in WARNING_REGIMES)
    assert bytes(lr_explorer.image.value).startswith(b"\x89PNG")


def test_the_drawn_path_is_the_computed_one(lr_explorer):
    r = lr_explorer.set(landscape="line_fit", optimizer="sgd", lr=0.03, steps=50)
    np.testing.assert_array_equal(lr_explorer.view.line.get_xdata(), r.path.points[:, 0])
    assert len(r.path.points) == 51


def test_the_steps_slider_reuses_the_cached_path(lr_explorer):
    ex = lr_explorer
    n = ex.cache.n_paths
    long_run = ex.set(steps=300).path
    short_run = ex.set(steps=40).path
    assert ex.cache.n_paths == n
    np.testing.assert_array_equal(short_run.points, long_run.points[:41])


def test_two_explorers_do_not_interfere():
    a, b = learning_rate_explorer(), learning_rate_explorer()
    a.set(lr=0.5)
    assert b.result.regime == "good" and a.result.regime == "diverged"


# --- the optimizer race --------------------------------------------------------------------
@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_race_runs_all_four_from_one_start(landscape):
    r = compute_race(landscape)
    starts = {tuple(p.points[0]) for p in r.paths.values()}
    assert starts == {get_landscape(landscape).start}
    assert set(r.paths) == set(OPTIMIZER_NAMES)
    assert all(not p.diverged for p in r.paths.values())  # the default rates are sensible


def test_momentum_beats_plain_gd_in_the_rosenbrock_ravine():
    r = compute_race("rosenbrock")
    assert r.gaps["momentum"][-1] < r.gaps["sgd"][-1] / 10


def test_race_controls_across_their_ranges():
    ex = race_explorer()
    for name, control in ex.controls.items():
        if isinstance(control, widgets.Dropdown):
            values = list(control.options)
        elif isinstance(control, widgets.FloatLogSlider):
            values = [control.base ** e for e in np.linspace(control.min, control.max, 4)]
        else:
            values = np.linspace(control.min, control.max, 4)
            values = [int(v) for v in values] if name == "steps" else [float(v) for v in values]
        for value in values:
            r = ex.set(**{name: value})
            assert r.message.count(":") >= 4
            assert all(np.isfinite(p.points).all() for p in r.paths.values())
    r = ex.set(landscape="rosenbrock", lr_sgd=1.0)
    assert "diverged" in r.message


# --- the batch-size explorer ----------------------------------------------------------------
def test_batch_counts_iterations_per_epoch():
    r = compute_batch(batch_size=10, lr=0.02, epochs=3)
    assert len(r.step_cost) == 3 * 7  # ceil(64 / 10) = 7 iterations per epoch
    assert r.examples_seen[-1] == 3 * 64
    assert "7 iterations per epoch" in r.message
    full = compute_batch(batch_size=64, lr=0.02, epochs=3)
    assert len(full.step_cost) == 3


def test_batch_explorer_across_its_range_and_divergence():
    ex = batch_explorer()
    for b in (1, 2, 17, 63, 64):
        r = ex.set(batch_size=b)
        assert r.batch_size == b and r.message
    lr = ex.controls["lr"]
    for e in np.linspace(lr.min, lr.max, 4):
        r = ex.set(lr=float(lr.base ** e), batch_size=1)
        assert r.message
    assert r.diverged and r.message.startswith("Diverged")
    for epochs in (1, 15, 30):
        assert len(ex.set(epochs=epochs, lr=0.02).epoch_cost) == epochs


def test_batch_cache_trains_each_setting_once():
    cache = BatchCache()
    compute_batch(8, 0.02, 5, cache=cache)
    n = cache.n_fits
    compute_batch(8, 0.02, 5, cache=cache)
    assert cache.n_fits == n == 2  # the mini-batch run and the full-batch run


# --- static twins ---------------------------------------------------------------------------
@pytest.mark.parametrize("twin", [learning_rate_twin, race_twin, batch_twin])
def test_twins_work_offline_with_alt_text(twin):
    html = twin(values=None).data if twin is not race_twin else twin(
        values=["bowl", "saddle"]).data
    assert "http://" not in html and "https://" not in html
    assert 'alt="Animation' in html
