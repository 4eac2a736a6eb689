"""The loss explorers (chapter 3): every control swept, the fits checked against the optimality
conditions of their costs, the plotted curves checked against dlbasics.losses, and the twins."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.activations import sigmoid
from dlbasics.losses import binary_cross_entropy, squared_error
from dlbasics.widgets import (
    Explorer,
    classification_loss_explorer,
    classification_loss_twin,
    compute_classification_loss,
    compute_outlier,
    outlier_explorer,
    outlier_twin,
)
from dlbasics.widgets.outlier import LOSS_NAMES, fit_line, outlier_data

# --- outlier explorer ----------------------------------------------------------------------


def cost_of(x, y, c, w, b, loss, delta=1.0):
    r = y - (w * x + b)
    if loss == "squared":
        per = r**2
    elif loss == "absolute":
        per = np.abs(r)
    else:
        a = np.abs(r)
        per = np.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta))
    return float(np.mean(c * per))


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("outlier_y", [-10.0, 0.0, 9.0, 25.0, 30.0])
@pytest.mark.parametrize("weight", [0.0, 1.0, 10.0])
def test_each_fit_minimizes_its_own_cost(loss, outlier_y, weight):
    r = compute_outlier(outlier_y, weight, 1.0)
    f = r.fits[loss]
    best = cost_of(r.x, r.y, r.counts, f.w, f.b, loss)
    assert f.cost == pytest.approx(best, rel=1e-12)
    # no nearby line does better (the costs are convex, so a local check is a global one)
    for dw, db in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3), (1e-3, -1e-3), (-1e-3, 1e-3)]:
        assert cost_of(r.x, r.y, r.counts, f.w + dw, f.b + db, loss) >= best - 1e-12


def test_squared_fit_is_the_least_squares_line():
    x, y, _ = outlier_data()
    w, b = fit_line(x, y, np.ones_like(x), "squared")
    np.testing.assert_allclose([w, b], np.polyfit(x, y, 1), rtol=1e-10)


def test_huber_gradient_is_zero_at_its_fit():
    r = compute_outlier(25.0, 1.0, 0.5)
    f = r.fits["huber"]
    g = np.clip(r.y - (f.w * r.x + f.b), -0.5, 0.5) * r.counts
    assert abs(g.sum()) < 1e-8 and abs((g * r.x).sum()) < 1e-8


def test_outlier_pulls_squared_error_most():
    r = compute_outlier(30.0, 1.0, 1.0)
    slope_change = {n: abs(f.w - 2.0) for n, f in r.fits.items()}
    assert slope_change["squared"] > 1.0
    assert slope_change["absolute"] < 0.2 and slope_change["huber"] < 0.2
    assert r.fits["squared"].shares[r.outlier] > 0.5


def test_weight_zero_ignores_the_outlier():
    a, b = compute_outlier(-10.0, 0.0, 1.0), compute_outlier(30.0, 0.0, 1.0)
    for name in LOSS_NAMES:
        assert a.fits[name].w == pytest.approx(b.fits[name].w)
        assert a.fits[name].shares[a.outlier] == 0.0
    assert "×0" in a.message


def test_costs_are_means_of_counted_package_losses():
    r = compute_outlier(20.0, 3.0, 1.0)
    f = r.fits["squared"]
    pred = f.w * r.x + f.b
    np.testing.assert_allclose(f.losses, squared_error(pred, r.y))
    assert f.cost == pytest.approx(np.mean(r.counts * f.losses))
    assert f.shares.sum() == pytest.approx(1.0)


def test_data_is_not_modified():
    y = outlier_data()[1]
    before = y.copy()
    compute_outlier(-10.0, 5.0, 2.0)
    np.testing.assert_array_equal(outlier_data()[1], before)


@pytest.fixture(scope="module")
def built_outlier() -> tuple[Explorer, dict]:
    """One outlier explorer for the module, and its starting values."""
    ex = outlier_explorer()
    return ex, ex.values()


@pytest.fixture
def outlier(built_outlier) -> Explorer:
    """The shared outlier explorer, set back to its starting values."""
    ex, start = built_outlier
    ex.set(**start)
    return ex


@pytest.mark.parametrize("control", ["outlier_y", "outlier_weight", "delta"])
def test_outlier_explorer_every_slider_across_its_range(outlier, control):
    ex = outlier
    slider = ex.controls[control]
    for value in np.linspace(slider.min, slider.max, 9):
        r = ex.set(**{control: float(value)})
        assert bytes(ex.image.value).startswith(b"\x89PNG")
        for name, f in r.fits.items():
            assert np.isfinite([f.w, f.b, f.cost]).all()
            np.testing.assert_allclose(ex.view.lines[name].get_ydata(), f.w * ex.view.xs + f.b)
            heights = [p.get_height() for p in ex.view.bars[name]]
            np.testing.assert_allclose(heights, f.shares)
        assert "cost J" in ex.message.value


def test_two_outlier_explorers_do_not_share_state():
    a, b = outlier_explorer(), outlier_explorer()
    a.set(outlier_y=-10.0)
    assert b.result.outlier_y == 25.0


def test_outlier_twin_is_offline_with_alt_text():
    html = outlier_twin(values=[0.0, 20.0]).data
    assert "http://" not in html and "https://" not in html
    assert 'alt="Animation, 2 frames' in html


# --- classification-loss explorer ----------------------------------------------------------


@pytest.mark.parametrize("y", [0, 1])
def test_curves_match_the_package(y):
    r = compute_classification_loss(0.3, y)
    np.testing.assert_allclose(r.ce_curve, binary_cross_entropy(r.p_grid, np.full_like(
        r.p_grid, y)))
    np.testing.assert_allclose(r.se_curve, (r.p_grid - y) ** 2)
    s = sigmoid(r.z_grid)
    np.testing.assert_allclose(r.ce_grad_curve, s - y)
    np.testing.assert_allclose(r.se_grad_curve, 2 * (s - y) * s * (1 - s))


def test_confident_wrong_prediction_gradients():
    r = compute_classification_loss(0.01, 1)
    assert r.ce_grad == pytest.approx(-0.99)
    assert r.se_grad == pytest.approx(2 * (0.01 - 1) * 0.01 * 0.99)
    assert r.ce == pytest.approx(-np.log(0.01))
    assert "confidently wrong" in r.message


@pytest.mark.parametrize("p", [0.0, 1.0])
@pytest.mark.parametrize("y", [0, 1])
def test_probabilities_of_exactly_zero_and_one_stay_finite(p, y):
    r = compute_classification_loss(p, y)
    assert np.isfinite([r.z, r.ce, r.se, r.ce_grad, r.se_grad]).all()
    assert "clips p" in r.message
    if p != y:
        assert 30 < r.ce < 40  # -log(2.2e-16) = 36.04


def test_bad_label_is_refused():
    with pytest.raises(ValueError, match="must be 0 or 1"):
        compute_classification_loss(0.5, 2)


def test_classification_explorer_sweeps_every_control():
    ex = classification_loss_explorer()
    for y in (0, 1):
        for p in np.linspace(0, 1, 11):
            r = ex.set(p=float(p), y=y)
            assert (r.p, r.y) == (pytest.approx(p), y)
            assert bytes(ex.image.value).startswith(b"\x89PNG")
            x_dot = ex.view.ce_grad_dot.get_xdata()[0]
            assert -8.0 <= x_dot <= 8.0
            np.testing.assert_allclose(ex.view.ce_line.get_ydata(), r.ce_curve)


def test_classification_twin_is_offline_with_alt_text():
    html = classification_loss_twin(values=[0.1, 0.9]).data
    assert "http://" not in html and "https://" not in html
    assert 'alt="Animation, 2 frames' in html
