"""Weight penalties (values, gradients, only on weights) and the early-stopping callback."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlbasics.gradcheck import check_network, numerical_gradient, relative_error
from dlbasics.network import mlp
from dlbasics.parameter import Parameter
from dlbasics.regularization import (
    L1,
    L2,
    EarlyStopping,
    l1_penalty,
    l1_penalty_grad,
    l2_penalty,
    l2_penalty_grad,
)

TOL = 1e-6
weights = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
    elements=st.floats(-3, 3, allow_subnormal=False),
)
strengths = st.floats(0.0, 2.0)


def params():
    return [
        Parameter("d.W", np.array([[1.0, -2.0], [3.0, 0.0]])),
        Parameter("d.b", np.array([5.0, -5.0]), regularize=False),
    ]


# --- values and gradients -------------------------------------------------------------------


def test_penalty_values_by_hand_only_on_weights():
    p = params()
    assert l2_penalty(p, 0.1) == pytest.approx(0.1 / 2 * (1 + 4 + 9))
    assert l1_penalty(p, 0.1) == pytest.approx(0.1 * (1 + 2 + 3))
    assert L2(0.1).penalty(p) == l2_penalty(p, 0.1)
    assert L1(0.1).penalty(p) == l1_penalty(p, 0.1)
    np.testing.assert_array_equal(l2_penalty_grad(p, 0.1)[0], 0.1 * p[0].value)
    np.testing.assert_array_equal(l1_penalty_grad(p, 0.1)[0], [[0.1, -0.1], [0.1, 0.0]])
    for grad in (l2_penalty_grad(p, 0.1)[1], l1_penalty_grad(p, 0.1)[1]):
        np.testing.assert_array_equal(grad, 0.0)  # biases are not penalized


# Central differences are exact for quadratics (L2) and for linear pieces (L1 away from 0), so a
# large step h = 1e-3 costs no truncation error and keeps the rounding noise small.


@given(w=weights, strength=strengths)
def test_l2_gradient_matches_central_differences(w, strength):
    p = Parameter("w", w)
    numeric = numerical_gradient(lambda v: l2_penalty([Parameter("w", v)], strength), w, h=1e-3)
    assert relative_error(l2_penalty_grad([p], strength)[0], numeric, eps=1e-4) < TOL


@given(w=weights, strength=strengths)
def test_l1_gradient_matches_central_differences_away_from_zero(w, strength):
    w = np.where(w >= 0, w + 0.1, w - 0.1)  # |w| has a kink at 0
    p = Parameter("w", w)
    numeric = numerical_gradient(lambda v: l1_penalty([Parameter("w", v)], strength), w, h=1e-3)
    assert relative_error(l1_penalty_grad([p], strength)[0], numeric, eps=1e-4) < TOL


@pytest.mark.parametrize("penalty", [L1(0.3), L2(0.3)], ids=repr)
def test_add_grad_adds_into_the_weight_gradients_only(penalty):
    p = params()
    for q in p:
        q.grad[...] = 1.0
    penalty.add_grad(p)
    expected = (l1_penalty_grad if isinstance(penalty, L1) else l2_penalty_grad)(p, 0.3)[0]
    np.testing.assert_allclose(p[0].grad, 1.0 + expected)
    np.testing.assert_array_equal(p[1].grad, 1.0)


@pytest.mark.parametrize("penalty", [L1(0.05), L2(0.2)], ids=repr)
@given(n=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_penalized_network_passes_the_gradient_check(penalty, n, seed):
    rng = np.random.default_rng(seed)
    net = mlp([3, 4, 2], activation="tanh", rng=rng)
    for p in net.parameters():  # keep every weight away from the kink of |w| at 0
        p.value[...] = np.where(p.value >= 0, p.value + 0.05, p.value - 0.05)
    X, y = rng.normal(size=(n, 3)), rng.normal(size=(n, 2))
    errors = check_network(net, X, y, "squared_error", penalty=penalty)
    assert max(errors.values()) < TOL, errors


def test_zero_strength_is_no_penalty_and_bad_strengths_are_refused():
    assert l2_penalty(params(), 0.0) == 0.0
    assert repr(L2(0.5)) == "L2(0.5)"
    with pytest.raises(ValueError, match=r"strength must be >= 0, got -0\.1"):
        L2(-0.1)
    with pytest.raises(TypeError, match="strength must be a finite number"):
        L1("0.1")
    with pytest.raises(TypeError, match="strength must be a finite number"):
        l2_penalty(params(), float("nan"))


def test_penalties_do_not_modify_the_parameters():
    p = params()
    before = [q.value.copy() for q in p]
    l1_penalty_grad(p, 1.0)
    l2_penalty(p, 1.0)
    for q, b in zip(p, before, strict=True):
        np.testing.assert_array_equal(q.value, b)


# --- early stopping -------------------------------------------------------------------------


class FakeNetwork:
    """Just enough of a network: weights that get_weights/set_weights move around."""

    def __init__(self):
        self.w = np.zeros(2)

    def get_weights(self):
        return [self.w.copy()]

    def set_weights(self, weights):
        self.w[...] = weights[0]


def run(callback, values, monitor="val_cost"):
    """Feed ``values`` epoch by epoch, as fit does; the weights at epoch e are all e."""
    history = SimpleNamespace(**{monitor: []})
    net = FakeNetwork()
    stopped_at = None
    for epoch, v in enumerate(values):
        net.w[...] = epoch
        getattr(history, monitor).append(v)
        if callback.on_epoch_end(epoch, history, net):
            stopped_at = epoch
            break
    callback.on_train_end(history, net)
    return stopped_at, net


def test_stops_after_patience_epochs_without_improvement_and_restores_the_best():
    es = EarlyStopping(patience=2)
    stopped, net = run(es, [1.0, 0.8, 0.9, 0.85, 0.7, 0.6])
    assert stopped == 3
    assert (es.best, es.best_epoch, es.stopped_epoch) == (0.8, 1, 3)
    np.testing.assert_array_equal(net.w, 1.0)  # the weights of epoch 1


def test_improvement_resets_the_patience():
    stopped, net = run(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.8, 0.85, 0.7, 0.75])
    assert stopped is None
    np.testing.assert_array_equal(net.w, 5.0)


def test_restore_best_false_keeps_the_last_weights():
    stopped, net = run(EarlyStopping(patience=1, restore_best=False), [1.0, 0.5, 0.6, 0.4])
    assert stopped == 2
    np.testing.assert_array_equal(net.w, 2.0)


def test_min_delta_ignores_tiny_improvements():
    stopped, _ = run(EarlyStopping(patience=2, min_delta=0.05), [1.0, 0.99, 0.98, 0.5])
    assert stopped == 2


def test_nan_is_never_an_improvement():
    stopped, net = run(EarlyStopping(patience=1), [1.0, float("nan"), 0.5])
    assert stopped == 1
    np.testing.assert_array_equal(net.w, 0.0)


def test_accuracy_is_maximized_and_any_history_list_can_be_monitored():
    es = EarlyStopping(patience=1, monitor="val_accuracy")
    assert es.mode == "max"
    stopped, _ = run(es, [0.5, 0.7, 0.6], monitor="val_accuracy")
    assert (stopped, es.best) == (2, 0.7)
    stopped, _ = run(EarlyStopping(patience=1, monitor="cost"), [3.0, 2.0, 2.5], monitor="cost")
    assert stopped == 2
    assert EarlyStopping(monitor="val_accuracy", mode="min").mode == "min"


def test_a_reused_callback_starts_fresh():
    es = EarlyStopping(patience=1)
    run(es, [0.1, 0.2])
    stopped, net = run(es, [5.0, 4.0, 4.5])
    assert (stopped, es.best, es.best_epoch) == (2, 4.0, 1)
    np.testing.assert_array_equal(net.w, 1.0)


def test_missing_monitor_is_explained():
    es = EarlyStopping()
    with pytest.raises(ValueError, match=r"monitors 'val_cost'.*pass validation_data"):
        es.on_epoch_end(0, SimpleNamespace(cost=[1.0], val_cost=[]), FakeNetwork())
    with pytest.raises(ValueError, match="no such values"):
        EarlyStopping(monitor="val_f1").on_epoch_end(0, SimpleNamespace(), FakeNetwork())


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="patience must be >= 0"):
        EarlyStopping(patience=-1)
    with pytest.raises(TypeError, match="patience must be a whole number"):
        EarlyStopping(patience=2.5)
    with pytest.raises(ValueError, match="min_delta must be a number >= 0"):
        EarlyStopping(min_delta=-1)
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="best")


def test_early_stopping_inside_fit():
    from dlbasics.training import fit

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    net = mlp([2, 16, 2], rng=0)
    es = EarlyStopping(patience=2)
    history = fit(net, X, y, loss="categorical_cross_entropy_with_logits", lr=2.0, epochs=200,
                  rng=0, validation_data=(X[:10], y[:10]), callbacks=[es], progress=False)
    assert history.stopped_early
    assert history.epochs_run == es.stopped_epoch + 1 < 200
    assert es.best == min(history.val_cost)
    for a, b in zip(net.get_weights(), es.best_weights, strict=True):
        np.testing.assert_array_equal(a, b)
