"""Losses: gradients against central differences, stability, loss vs cost, teaching errors."""

from __future__ import annotations

import contextlib
import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlbasics import losses as L
from dlbasics.activations import sigmoid, softmax
from dlbasics.gradcheck import numerical_gradient, relative_error
from dlbasics.losses import LOSSES, Loss, cost, get_loss

CLASSIFICATION = ("categorical_cross_entropy", "categorical_cross_entropy_with_logits")
MULTI_CLASS = (*CLASSIFICATION, "kl_divergence")


def build(name, u, v, bits, labels, squeeze=False, delta=1.0):
    """A valid (prediction, target) pair for loss ``name`` from raw draws ``u, v`` in [0, 1].

    Predictions stay where the gradient is well away from zero (so a relative error is
    meaningful) and away from kinks: residuals of at least 0.1, probabilities in [0.05, 0.95],
    logits within ±4, Huber residuals not on |r| = δ.
    """
    sign = np.where(bits, 1.0, -1.0)
    if name in ("squared_error", "absolute_error", "huber"):
        pred = 6 * u - 3
        target = pred - sign * (0.1 + 2.9 * v) * (delta if name == "huber" else 1.0)
    elif name == "binary_cross_entropy":
        pred, target = 0.05 + 0.9 * u, bits.astype(np.int64)
    elif name == "binary_cross_entropy_with_logits":
        pred, target = 8 * u - 4, bits.astype(np.int64)
    elif name == "categorical_cross_entropy":
        pred, target = softmax(4 * u - 2), labels
    elif name == "categorical_cross_entropy_with_logits":
        pred, target = 4 * u - 2, labels
    else:  # kl_divergence: prediction q, target p
        pred, target = softmax(4 * u - 2), softmax(4 * v - 2)
    if squeeze and pred.shape[1] == 1 and name not in MULTI_CLASS:
        pred, target = pred[:, 0], target[:, 0]
    return pred, target


@st.composite
def problems(draw, name):
    n = draw(st.integers(1, 5))
    k = draw(st.integers(2 if name in MULTI_CLASS else 1, 4))
    unit = hnp.arrays(np.float64, (n, k), elements=st.floats(0, 1))
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
    delta = draw(st.floats(0.5, 2.0))
    pred, target = build(
        name,
        draw(unit),
        draw(unit),
        draw(hnp.arrays(np.bool_, (n, k))),
        labels,
        squeeze=draw(st.booleans()),
        delta=delta,
    )
    if name == "huber":
        assume(np.all(np.abs(np.abs(pred - target) - delta) > 1e-3))
    return pred, target, ({"delta": delta} if name == "huber" else {})


def example(name, dtype=np.float64, n=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    u, v = rng.uniform(size=(n, k)), rng.uniform(size=(n, k))
    pred, target = build(name, u, v, rng.uniform(size=(n, k)) < 0.5, rng.integers(0, k, n))
    target = target.astype(dtype) if np.issubdtype(target.dtype, np.floating) else target
    return pred.astype(dtype), target


@contextlib.contextmanager
def row_sums_unchecked():
    """Let probability rows leave the simplex while central differences run.

    Moving one probability by ±h makes its row sum 1 ± h, which the losses refuse. The gradient
    formulas (``-y/p``, ``-p/q``) treat every entry as an independent number, so that is where
    they are checked, entry by entry, with the row-sum check switched off.
    """
    with mock.patch.object(L, "_check_sums_to_one", lambda *args, **kwargs: None):
        yield


def numeric_grad(fn, pred, target):
    """Central differences of Σ loss; subtracting the losses at ``pred`` first removes most
    of the rounding noise (only the perturbed example's loss changes)."""
    base = fn(pred, target)
    with row_sums_unchecked():
        return numerical_gradient(lambda p: np.sum(fn(p, target) - base), pred)


# --- gradient checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOSSES)
@given(data=st.data())
def test_gradient_matches_central_differences(name, data):
    pred, target, params = data.draw(problems(name))
    loss = get_loss(name, **params)
    values = loss(pred, target)
    assert values.shape == (pred.shape[0],)
    grad = loss.grad(pred, target)
    assert grad.shape == pred.shape
    assert relative_error(grad, numeric_grad(loss.loss, pred, target)) < 1e-6


@pytest.mark.parametrize("name", LOSSES)
@settings(max_examples=10)  # the same gradients as above, divided by n: fewer examples suffice
@given(data=st.data())
def test_cost_gradient_is_loss_gradient_over_n(name, data):
    pred, target, params = data.draw(problems(name))
    loss = get_loss(name, **params)
    c0 = loss.cost(pred, target)
    with row_sums_unchecked():
        numeric = numerical_gradient(lambda p: loss.cost(p, target) - c0, pred)
    assert relative_error(loss.cost_grad(pred, target), numeric) < 1e-6
    assert np.allclose(loss.cost_grad(pred, target) * pred.shape[0], loss.grad(pred, target))


@given(data=st.data())
def test_kl_gradient_with_respect_to_q(data):
    q, p, _ = data.draw(problems("kl_divergence"))
    assert (
        relative_error(
            L.kl_divergence_grad(p, q), numeric_grad(lambda qq, pp: L.kl_divergence(pp, qq), q, p)
        )
        < 1e-6
    )


# --- relations between losses --------------------------------------------------------------------


@given(data=st.data())
def test_kl_is_cross_entropy_minus_entropy(data):
    q, p, _ = data.draw(problems("kl_divergence"))
    cross_entropy = L.categorical_cross_entropy(q, p)  # H(p, q), soft targets p
    entropy = L.categorical_cross_entropy(p, p)  # H(p)
    kl = L.kl_divergence(p, q)
    assert np.allclose(kl, cross_entropy - entropy)
    assert np.all(kl >= -1e-12)
    assert np.allclose(L.kl_divergence(p, p), 0.0)


def test_kl_counts_zero_probabilities_as_zero():
    p = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    q = np.array([[0.0, 0.25, 0.75], [0.5, 0.5, 0.0]])  # q = 0 where p = 0 is fine
    assert np.allclose(L.kl_divergence(p, q), [0.5 * np.log(2) + 0.5 * np.log(2 / 3), np.log(2)])
    assert L.kl_divergence([0.5, 0.5], [0.5, 0.5]).shape == ()  # one distribution, one value
    assert np.all(np.isfinite(L.kl_divergence(q, p)))  # q = 0 where p > 0: large but finite


@given(hnp.arrays(np.float64, (6, 1), elements=st.floats(-15, 15)), hnp.arrays(np.bool_, (6, 1)))
def test_bce_with_logits_is_bce_of_sigmoid(z, y):
    assert np.allclose(
        L.binary_cross_entropy_with_logits(z, y),
        L.binary_cross_entropy(sigmoid(z), y),
        rtol=1e-6,
        atol=1e-6,
    )
    assert np.allclose(L.binary_cross_entropy_with_logits_grad(z, y), sigmoid(z) - y)


def test_logits_keep_precision_where_probabilities_saturate():
    z, y = np.array([[40.0]]), np.array([0])
    assert L.binary_cross_entropy_with_logits(z, y)[0] == pytest.approx(40.0)
    # sigmoid(40) rounds to 1.0; clipping keeps the loss finite but caps it at -log(eps)
    assert L.binary_cross_entropy(sigmoid(z), y)[0] == pytest.approx(-np.log(np.finfo(float).eps))


@given(
    hnp.arrays(np.float64, (5, 4), elements=st.floats(-8, 8)),
    hnp.arrays(np.int64, (5,), elements=st.integers(0, 3)),
)
def test_categorical_from_logits_is_softmax_minus_one_hot(z, labels):
    one_hot = np.eye(4)[labels]
    assert np.allclose(
        L.categorical_cross_entropy_with_logits_grad(z, labels), softmax(z) - one_hot
    )
    assert np.allclose(
        L.categorical_cross_entropy_with_logits(z, labels),
        L.categorical_cross_entropy(softmax(z), labels),
        atol=1e-6,
    )
    assert np.allclose(
        L.categorical_cross_entropy_with_logits(z, one_hot),
        L.categorical_cross_entropy_with_logits(z, labels),
    )


def test_squared_and_absolute_error_values():
    pred = np.array([[1.0, 2.0], [0.0, 0.0]])
    true = np.array([[0.0, 0.0], [0.0, -3.0]])
    assert np.array_equal(L.squared_error(pred, true), [5.0, 9.0])  # summed over columns, no ½
    assert np.array_equal(L.absolute_error(pred, true), [3.0, 3.0])
    assert np.array_equal(L.squared_error_grad(pred, true), 2 * (pred - true))
    assert np.array_equal(L.absolute_error_grad(pred, true), [[1, 1], [0, 1]])


@given(st.floats(0.1, 5), st.floats(-20, 20))
def test_huber_is_half_squared_error_inside_delta_and_linear_outside(delta, r):
    value = L.huber([r], [0.0], delta=delta)[0]
    grad = L.huber_grad([r], [0.0], delta=delta)[0]
    if abs(r) <= delta:
        assert value == pytest.approx(0.5 * L.squared_error([r], [0.0])[0])
        assert grad == pytest.approx(r)
    else:
        assert value == pytest.approx(delta * (abs(r) - delta / 2))
        assert grad == pytest.approx(np.sign(r) * delta)
    # continuous at |r| = δ, and below the squared error everywhere
    assert L.huber([delta], [0.0], delta=delta)[0] == pytest.approx(delta**2 / 2)
    assert value <= 0.5 * r * r + 1e-12


def test_huber_sums_over_columns_and_resists_outliers():
    pred, true = np.array([[0.5, 10.0]]), np.zeros((1, 2))
    assert L.huber(pred, true)[0] == pytest.approx(0.125 + 9.5)
    assert L.huber_grad(pred, true).tolist() == [[0.5, 1.0]]  # the outlier pulls with force δ
    assert L.squared_error_grad(pred, true).tolist() == [[1.0, 20.0]]


# --- loss versus cost ----------------------------------------------------------------------------


def test_loss_is_per_example_cost_is_one_number():
    pred, true = np.array([[1.0], [2.0], [4.0]]), np.array([[1.0], [1.0], [1.0]])
    losses = L.squared_error(pred, true)
    assert losses.shape == (3,)
    assert cost(losses) == pytest.approx(10 / 3)  # the mean squared error is a cost
    assert cost(losses, penalty=0.5) == pytest.approx(10 / 3 + 0.5)
    assert isinstance(cost(losses), float)
    assert get_loss("squared_error").cost(pred, true, penalty=0.5) == pytest.approx(10 / 3 + 0.5)


def test_cost_refuses_what_is_not_a_list_of_losses():
    with pytest.raises(ValueError, match=r"per-example losses.*got shape \(3, 1\)"):
        cost(np.ones((3, 1)))
    with pytest.raises(ValueError, match="non-empty"):
        cost(np.array([]))
    with pytest.raises(TypeError, match="penalty must be a number"):
        cost(np.ones(3), penalty="0.1")


def test_cost_of_a_diverged_run_is_nan_not_an_error():
    assert np.isnan(cost(np.array([1.0, np.nan])))
    assert cost(np.array([1.0, np.inf])) == np.inf


# --- stability and dtypes ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extremes_are_finite_without_warnings(dtype):
    p = np.array([[0.0], [1.0], [0.0], [1.0]], dtype=dtype)
    y = np.array([0, 1, 1, 0])
    z = np.array([[-1000.0], [1000.0], [-1000.0], [1000.0]], dtype=dtype)
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], dtype=dtype)
    probs = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bce, bce_grad = L.binary_cross_entropy(p, y), L.binary_cross_entropy_grad(p, y)
        bcel = L.binary_cross_entropy_with_logits(z, y)
        cce = L.categorical_cross_entropy(probs, [1, 0])  # p of the true class is 0
        ccel = L.categorical_cross_entropy_with_logits(logits, [0, 2])
        kl = L.kl_divergence(probs[::-1], probs)
        rest = [
            L.binary_cross_entropy_with_logits_grad(z, y),
            L.categorical_cross_entropy_grad(probs, [1, 0]),
            L.categorical_cross_entropy_with_logits_grad(logits, [0, 2]),
            kl,
        ]
    for out in [bce, bce_grad, bcel, cce, ccel, *rest]:
        assert np.all(np.isfinite(out)) and out.dtype == dtype
    assert np.allclose(bce[:2], 0.0, atol=1e-6)  # right and sure: (almost) no loss
    assert bce[2] > 15  # confidently wrong: -log(eps), large but finite
    assert np.allclose(bcel, [0.0, 0.0, 1000.0, 1000.0])
    assert np.allclose(ccel, [0.0, 1.0 + np.log1p(np.exp(-1.0))], rtol=1e-6)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_prediction(name, dtype):
    pred, target = example(name, dtype)
    loss = get_loss(name)
    assert loss(pred, target).dtype == dtype
    assert loss.grad(pred, target).dtype == dtype
    assert loss.cost_grad(pred, target).dtype == dtype
    p64, t64 = example(name, np.float64)
    assert np.allclose(loss(pred, target), loss(p64, t64), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", LOSSES)
def test_nothing_modifies_its_inputs(name):
    pred, target = example(name)
    before = (pred.copy(), np.copy(target))
    for a in (pred, target):
        a.flags.writeable = False  # an in-place write would raise
    loss = get_loss(name)
    loss(pred, target), loss.grad(pred, target), loss.cost_grad(pred, target)
    assert np.array_equal(pred, before[0]) and np.array_equal(target, before[1])
    loss.grad(pred, target)[...] = 0.0  # the gradient is a new array, not a view
    assert np.array_equal(pred, before[0])


# --- shapes and teaching errors ------------------------------------------------------------------


def test_column_and_flat_targets_mix_without_broadcasting():
    pred, flat = np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 1.0, 1.0])
    assert np.array_equal(L.squared_error(pred, flat), [0.0, 1.0, 4.0])  # not a (3, 3) table
    assert L.squared_error_grad(pred, flat).shape == (3, 1)
    assert L.squared_error_grad(flat, pred).shape == (3,)
    assert L.binary_cross_entropy_with_logits(np.zeros((3, 1)), [0, 1, 1]).shape == (3,)


@pytest.mark.parametrize(
    ("fn", "pred", "target", "match"),
    [
        (
            L.squared_error,
            np.ones((3, 2)),
            np.ones(3),
            r"squared_error: y_pred has shape \(3, 2\) "
            r"and y_true has shape \(3,\)",
        ),
        (L.huber, np.ones(4), np.ones(3), r"huber: y_pred has shape \(4,\) and y_true has shape"),
        (
            L.categorical_cross_entropy_with_logits,
            np.zeros((2, 3)),
            np.zeros((2, 4)),
            r"shape \(2, 3\) and y_true has shape \(2, 4\)",
        ),
        (L.categorical_cross_entropy, np.full(3, 1 / 3), [0], r"must be a 2-D array.*reshape"),
        (
            L.kl_divergence,
            np.full(3, 1 / 3),
            np.full(2, 0.5),
            r"p has shape \(3,\) and q has shape",
        ),
    ],
)
def test_shape_errors_name_the_function_and_both_shapes(fn, pred, target, match):
    with pytest.raises(ValueError, match=match):
        fn(pred, target)


@pytest.mark.parametrize(
    "fn",
    [
        L.categorical_cross_entropy_with_logits,
        L.categorical_cross_entropy_with_logits_grad,
        L.categorical_cross_entropy,
    ],
)
@pytest.mark.parametrize("labels", [[0, 3], [-1, 0]])
def test_labels_out_of_range_are_refused(fn, labels):
    with pytest.raises(ValueError, match=r"out of range: must be in 0\.\.2 \(3 classes\)"):
        fn(np.full((2, 3), 1 / 3), labels)


def test_other_bad_targets_are_refused():
    with pytest.raises(ValueError, match="whole numbers"):
        L.categorical_cross_entropy_with_logits(np.zeros((2, 3)), [0.5, 1.0])
    with pytest.raises(ValueError, match=r"2 predictions but 3 labels"):
        L.categorical_cross_entropy_with_logits(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"y_true \(labels 0/1 or probabilities\) must lie in"):
        L.binary_cross_entropy_with_logits(np.zeros(2), [0, 2])
    with pytest.raises(ValueError, match=r"y_true \(one-hot or probability rows\) must lie in"):
        L.categorical_cross_entropy(np.full((1, 2), 0.5), [[2.0, -1.0]])


@pytest.mark.parametrize("fn", [L.binary_cross_entropy, L.categorical_cross_entropy])
def test_probabilities_outside_zero_one_suggest_the_logits_version(fn):
    with pytest.raises(ValueError, match=r"probabilities\) must lie in \[0, 1\].*with_logits"):
        fn(np.array([[2.5, -1.0]]), np.array([[1, 0]]))


@pytest.mark.parametrize("fn", [L.categorical_cross_entropy, L.categorical_cross_entropy_grad])
def test_probability_rows_must_sum_to_one(fn):
    # one sigmoid per class: every entry in [0, 1], but the rows are not distributions
    p = sigmoid(np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]]))
    with pytest.raises(
        ValueError,
        match=rf"{fn.__name__}: y_pred \(probabilities\) must sum to 1 in every row \(a "
        r"probability distribution over 3 classes\), but row 0 sums to 1\.7\d+ \(2 rows are "
        r"off\); apply softmax .* categorical_cross_entropy_with_logits",
    ):
        fn(p, [0, 2])
    with pytest.raises(ValueError, match=r"but row 1 sums to 1\.000000001;"):
        fn(np.array([[0.25, 0.75], [0.5, 0.5 + 1e-9]]), [0, 1])  # beyond rounding in float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [2, 10, 1000])
def test_softmax_rows_pass_the_row_sum_check(dtype, k):
    # the tolerance (4 k eps of the dtype) covers rounding, computed in float32 or cast to it
    z = np.random.default_rng(k).normal(scale=5.0, size=(200, k))
    labels = np.arange(200) % k
    for p in (softmax(z.astype(dtype)), softmax(z).astype(dtype)):
        assert np.all(np.isfinite(L.categorical_cross_entropy(p, labels)))
        assert L.categorical_cross_entropy_grad(p, labels).shape == p.shape
        assert np.all(np.isfinite(L.kl_divergence(p, p[::-1])))
    typed = [[0.7, 0.2, 0.1], [0.1] * 10, [1 / 3] * 3]  # decimals: 0.7 + 0.2 + 0.1 != 1.0 in floats
    for row in typed:
        L.categorical_cross_entropy([row], [0]), L.kl_divergence(row, row)


@pytest.mark.parametrize("fn", [L.kl_divergence, L.kl_divergence_grad])
@pytest.mark.parametrize("which", ["p", "q"])
def test_kl_refuses_what_is_not_a_distribution(fn, which):
    good = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
    unnormalized = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.1]])
    negative = np.array([[0.2, 0.3, 0.5], [0.6, 0.6, -0.2]])  # sums to 1
    args = {"p": good, "q": good}
    with pytest.raises(
        ValueError,
        match=rf"{fn.__name__}: {which} \(probabilities\) must sum to 1 in every row \(a "
        r"probability distribution over 3 outcomes\), but row 1 sums to 0\.9\d*; divide each "
        r"row by its sum, or apply softmax",
    ):
        fn(**{**args, which: unnormalized})
    with pytest.raises(ValueError, match=rf"{which} \(probabilities\) must lie in \[0, 1\], got "
                                         r"values from -0\.2"):
        fn(**{**args, which: negative})
    with pytest.raises(ValueError, match=rf"{which} \(probabilities\) must sum to 1 \(a .*, "
                                         r"but it sums to 1\.5;"):
        fn(**{"p": good[0], "q": good[0], which: np.array([0.5, 0.5, 0.5])})
    loss = get_loss("kl_divergence")  # (prediction q, target p)
    with pytest.raises(ValueError, match=rf"kl_divergence: {which} \(probabilities\) must sum"):
        loss(*({"q": good, "p": good, which: unnormalized}[k] for k in ("q", "p")))


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_refused(name, bad):
    pred, target = example(name)
    pred[0, 0] = bad
    with pytest.raises(ValueError, match=r"contains \d NaN and \d infinite value"):
        get_loss(name)(pred, target)
    pred, target = example(name)
    target = target.astype(np.float64)
    target[0] = bad
    with pytest.raises(ValueError, match=r"(contains \d NaN and \d infinite)"):
        get_loss(name).grad(pred, target)


# --- the registry --------------------------------------------------------------------------------


def test_registry():
    assert set(LOSSES) == {
        "squared_error",
        "absolute_error",
        "huber",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "categorical_cross_entropy",
        "categorical_cross_entropy_with_logits",
        "kl_divergence",
    }
    for name in LOSSES:
        loss = get_loss(name)
        assert isinstance(loss, Loss) and loss.name == name
        assert loss.from_logits == name.endswith("_with_logits")
    huber = get_loss("huber", delta=2.0)
    assert huber.params == {"delta": 2.0} and get_loss(huber) is huber
    assert huber([5.0], [0.0])[0] == pytest.approx(2.0 * (5.0 - 1.0))


def test_unknown_loss_lists_the_valid_names():
    with pytest.raises(
        ValueError,
        match=r"unknown loss 'mse'; choose one of: 'absolute_error'.*"
        r"'huber'.*'squared_error'",
    ):
        get_loss("mse")


def test_bad_loss_parameters():
    with pytest.raises(ValueError, match="huber delta must be positive"):
        get_loss("huber", delta=0.0)
    with pytest.raises(ValueError, match="huber delta must be positive"):
        L.huber([1.0], [0.0], delta=-1.0)
    with pytest.raises(TypeError, match="huber takes only 'delta'"):
        get_loss("huber", delta=1.0, beta=2.0)
    with pytest.raises(TypeError, match=r"'squared_error' takes no parameters, got \['delta'\]"):
        get_loss("squared_error", delta=1.0)
