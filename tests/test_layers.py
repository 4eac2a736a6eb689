"""Layers: gradient checks for every layer, training vs evaluation behaviour, errors that teach."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlbasics.activations import ACTIVATIONS, get_activation
from dlbasics.gradcheck import check_layer
from dlbasics.layers import ActivationLayer, BatchNorm, Dense, Dropout, Residual

# float64 relative error between backprop and central differences. Smooth, well-scaled cases
# give 1e-8 or less; saturated tanh units or batch norm over 3 examples reach about 1e-6 from
# the finite differences alone; a wrong backward pass gives 1e-2 or more.
TOL = 1e-5
KINKED = ("relu", "leaky_relu", "step")  # not differentiable at 0
values = st.floats(-3, 3, allow_nan=False, allow_infinity=False, allow_subnormal=False)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def matrices(draw, rows=(1, 6), cols=(1, 6)):
    """A float64 (n, k) matrix with entries in [-3, 3] (moderate: no saturated tanh/sigmoid)."""
    n = draw(st.integers(*rows))
    k = draw(st.integers(*cols))
    return draw(hnp.arrays(np.float64, (n, k), elements=values))


def away_from_zero(X, gap=0.1):
    """Move every entry at least ``gap`` away from 0, the kink of ReLU and friends."""
    return np.where(X >= 0, X + gap, X - gap)


def assert_all_below(errors, tol=TOL):
    assert max(errors.values()) < tol, errors


# --- gradient checks ------------------------------------------------------------------------


@given(X=matrices(), n_out=st.integers(1, 6), seed=seeds)
def test_dense_gradients(X, n_out, seed):
    errors = check_layer(Dense(X.shape[1], n_out, rng=seed, name="d"), X, rng=seed)
    assert set(errors) == {"input", "d.W", "d.b"}
    assert_all_below(errors)


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(X=matrices(), seed=seeds)
def test_activation_layer_gradients(name, X, seed):
    if name in KINKED:
        X = away_from_zero(X)
    assert_all_below(check_layer(ActivationLayer(name), X, rng=seed))


@given(X=matrices(), slope=st.floats(0.0, 0.5), seed=seeds)
def test_leaky_relu_with_any_slope(X, slope, seed):
    layer = ActivationLayer("leaky_relu", slope=slope)
    assert_all_below(check_layer(layer, away_from_zero(X), rng=seed))


@given(X=matrices(), rate=st.floats(0.0, 0.9), seed=seeds)
def test_dropout_gradients_with_a_fixed_mask(X, rate, seed):
    layer = Dropout(rate, rng=seed)
    assert_all_below(check_layer(layer, X, rng=seed, training=True))
    assert_all_below(check_layer(layer, X, rng=seed, training=False))


@st.composite
def batches(draw, min_rows=3):
    """A well-conditioned batch for batch norm (every column has a clear spread) and a seed."""
    seed = draw(seeds)
    n, k = draw(st.integers(min_rows, 8)), draw(st.integers(1, 5))
    rng = np.random.default_rng([seed, 0])
    X = rng.normal(size=(n, k)) * rng.uniform(0.5, 2.0, k) + rng.uniform(-2, 2, k)
    assume(X.std(axis=0).min() > 0.3)
    return X, seed


def random_batch_norm(k, seed):
    rng = np.random.default_rng([seed, 1])
    layer = BatchNorm(k, name="bn")
    layer.gamma.value[...] = rng.uniform(0.5, 2.0, k)
    layer.beta.value[...] = rng.normal(size=k)
    layer.running_mean = rng.normal(size=k)
    layer.running_var = rng.uniform(0.5, 2.0, k)
    return layer


# The upstream gradient gets its own stream ([seed, 2]): drawn like X it would lie in the span of
# 1 and x̂, where the batch-norm input gradient is exactly 0 and there is nothing to compare.


@given(batch=batches())
def test_batch_norm_gradients_in_training_mode(batch):
    X, seed = batch
    errors = check_layer(random_batch_norm(X.shape[1], seed), X, rng=[seed, 2], training=True)
    assert set(errors) == {"input", "bn.gamma", "bn.beta"}
    assert_all_below(errors)


@given(batch=batches(min_rows=1))
def test_batch_norm_gradients_in_evaluation_mode(batch):
    X, seed = batch
    assert_all_below(check_layer(random_batch_norm(X.shape[1], seed), X, rng=[seed, 2]))


@given(X=matrices(), width=st.integers(1, 5), seed=seeds)
def test_residual_gradients(X, width, seed):
    k = X.shape[1]
    block = Residual(
        Dense(k, width, rng=seed, init="xavier_normal"),
        ActivationLayer("tanh"),
        Dense(width, k, rng=seed + 1, init="xavier_normal"),
        name="res",
    )
    errors = check_layer(block, X, rng=seed)
    assert set(errors) == {"input", "res.dense1.W", "res.dense1.b", "res.dense2.W", "res.dense2.b"}
    assert_all_below(errors)


def test_check_layer_leaves_the_layer_alone():
    layer = BatchNorm(3)
    X = np.random.default_rng(0).normal(size=(5, 3))
    check_layer(layer, X, rng=0, training=True)
    np.testing.assert_array_equal(layer.running_mean, 0.0)
    np.testing.assert_array_equal(layer.gamma.grad, 0.0)


# --- backward never modifies its inputs; grads are overwritten -------------------------------


def layer_cases():
    rng = np.random.default_rng(3)
    yield "dense", Dense(4, 3, rng=rng), False
    for name in ACTIVATIONS:
        yield name, ActivationLayer(name), False
    yield "dropout", Dropout(0.5, rng=rng), True
    yield "batch_norm-train", random_batch_norm(4, 1), True
    yield "batch_norm-eval", random_batch_norm(4, 2), False
    yield "residual", Residual(Dense(4, 4, rng=rng), ActivationLayer("relu")), False


def arrays_in(obj):
    if isinstance(obj, np.ndarray):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [a for item in obj for a in arrays_in(item)]
    return []


@pytest.mark.parametrize(("label", "layer", "training"), list(layer_cases()), ids=lambda x: x)
def test_forward_and_backward_do_not_modify_their_inputs(label, layer, training):
    rng = np.random.default_rng(0)
    X = away_from_zero(rng.normal(size=(6, 4)))
    X_before = X.copy()
    out, cache = layer.forward(X, training=training)
    np.testing.assert_array_equal(X, X_before)
    dout = rng.normal(size=out.shape)
    dout_before, cache_before = dout.copy(), copy.deepcopy(cache)
    dX = layer.backward(dout, cache)
    assert dX.shape == X.shape
    np.testing.assert_array_equal(dout, dout_before)
    for a, b in zip(arrays_in(cache), arrays_in(cache_before), strict=True):
        np.testing.assert_array_equal(a, b)
    grads = [p.grad.copy() for p in layer.parameters()]
    layer.backward(dout, cache)  # a second backward overwrites, it does not accumulate
    for p, g in zip(layer.parameters(), grads, strict=True):
        np.testing.assert_array_equal(p.grad, g)


# --- dtypes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_data(dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 3)).astype(dtype)
    layers = [
        Dense(3, 3, rng=0, dtype=dtype),
        *(ActivationLayer(name) for name in ACTIVATIONS),
        Dropout(0.3, rng=0),
        BatchNorm(3, dtype=dtype),
        Residual(Dense(3, 3, rng=1, dtype=dtype)),
    ]
    for layer in layers:
        out, cache = layer.forward(X, training=True)
        assert out.dtype == dtype, layer
        assert layer.backward(np.ones_like(out), cache).dtype == dtype, layer
        for p in layer.parameters():
            assert p.value.dtype == p.grad.dtype == dtype


@pytest.mark.parametrize("dtype", [int, np.int32, np.uint8, bool, "i8"])
@pytest.mark.parametrize(
    "build", [lambda dt: Dense(3, 2, rng=0, dtype=dt), lambda dt: BatchNorm(3, dtype=dt)]
)
def test_integer_dtypes_are_refused(build, dtype):
    # Dense(dtype=int) used to truncate its He-normal weights to whole numbers, mostly 0
    with pytest.raises(TypeError, match=r"layer '(dense|batch_norm)': dtype must be a floating "
                                        r"dtype such as np\.float64 \(or np\.float32\), got "
                                        r"(u?int\d+|bool); .*truncated to whole numbers"):
        build(dtype)
    with pytest.raises(TypeError, match=r"'real' is not a numpy dtype"):
        build("real")


def test_float32_data_through_a_float64_dense_layer():
    layer = Dense(3, 2, rng=0)
    X = np.ones((4, 3), dtype=np.float32)
    out, cache = layer.forward(X)
    layer.backward(np.ones_like(out), cache)
    np.testing.assert_allclose(layer.W.grad, np.full((3, 2), 4.0))


# --- dense ----------------------------------------------------------------------------------


def test_dense_computes_xw_plus_b_and_names_its_parameters():
    layer = Dense(2, 3, rng=0, name="hidden")
    layer.W.value[...] = [[1, 2, 3], [4, 5, 6]]
    layer.b.value[...] = [0.5, 0, -1]
    out, _ = layer.forward(np.array([[1.0, 1.0], [2.0, 0.0]]))
    np.testing.assert_array_equal(out, [[5.5, 7, 8], [2.5, 4, 5]])
    assert (layer.W.name, layer.b.name) == ("hidden.W", "hidden.b")
    assert layer.W.regularize and not layer.b.regularize
    assert (layer.n_in, layer.n_out) == (2, 3)
    layer.name = "renamed"
    assert [p.name for p in layer.parameters()] == ["renamed.W", "renamed.b"]


def test_dense_wrong_input_width_names_the_layer_and_both_shapes():
    layer = Dense(3, 2, rng=0, name="hidden")
    shapes = r"'hidden' expects .*\(n_examples, 3\).*\(5, 4\).*\(3, 2\)"
    with pytest.raises(ValueError, match=shapes):
        layer.forward(np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"'hidden' expects .*got shape \(3,\)"):
        layer.forward(np.ones(3))


def test_backward_before_forward_is_refused():
    for layer in (
        Dense(2, 2, rng=0), ActivationLayer("relu"), BatchNorm(2), Residual(Dense(2, 2, rng=0))
    ):
        with pytest.raises(RuntimeError, match="call forward first"):
            layer.backward(np.ones((3, 2)), None)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="n_in must be positive"):
        Dense(0, 2, rng=0)
    with pytest.raises(TypeError, match="n_out must be a positive whole number"):
        Dense(2, 1.5, rng=0)


# --- dropout --------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rate_outside_zero_one_is_refused(rate):
    with pytest.raises(ValueError, match=r"dropout rate must be in \[0.0, 1.0\)"):
        Dropout(rate, rng=0)


def test_dropout_rate_must_be_a_number():
    with pytest.raises(TypeError, match="dropout rate must be a number"):
        Dropout("0.5", rng=0)


def test_dropout_is_the_identity_in_evaluation_mode():
    X = np.random.default_rng(0).normal(size=(10, 4))
    out, cache = Dropout(0.5, rng=0).forward(X)
    np.testing.assert_array_equal(out, X)
    np.testing.assert_array_equal(Dropout(0.5, rng=0).backward(X, cache), X)
    out, _ = Dropout(0.0, rng=0).forward(X, training=True)
    np.testing.assert_array_equal(out, X)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 0.8])
def test_inverted_dropout_keeps_the_mean_and_drops_the_rate(rate):
    X = np.ones((2000, 100))
    out, mask = Dropout(rate, rng=0).forward(X, training=True)
    assert np.mean(out == 0) == pytest.approx(rate, abs=0.005)
    assert out.mean() == pytest.approx(1.0, rel=0.02)
    np.testing.assert_allclose(out[out != 0], 1 / (1 - rate))
    np.testing.assert_array_equal(out, X * mask)


def test_dropout_masks_are_reproducible_and_change_between_calls():
    X = np.ones((5, 8))
    a, _ = Dropout(0.5, rng=7).forward(X, training=True)
    layer = Dropout(0.5, rng=7)
    b, _ = layer.forward(X, training=True)
    c, _ = layer.forward(X, training=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


# --- batch normalization --------------------------------------------------------------------


def test_batch_norm_training_uses_batch_statistics_and_updates_running_ones():
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(50, 4))
    layer = BatchNorm(4, momentum=0.9)
    out, _ = layer.forward(X, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-4)  # eps = 1e-5 shrinks it a bit
    np.testing.assert_allclose(layer.running_mean, 0.1 * X.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.9 * 1.0 + 0.1 * X.var(axis=0))
    layer.forward(X, training=True)
    np.testing.assert_allclose(layer.running_mean, 0.19 * X.mean(axis=0))


def test_batch_norm_evaluation_uses_running_statistics_and_keeps_them():
    layer = random_batch_norm(3, 0)
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    X = np.random.default_rng(1).normal(size=(4, 3))
    out, _ = layer.forward(X)
    expected = layer.gamma.value * (X - mean) / np.sqrt(var + layer.eps) + layer.beta.value
    np.testing.assert_allclose(out, expected)
    np.testing.assert_array_equal(layer.running_mean, mean)
    np.testing.assert_array_equal(layer.running_var, var)
    one, _ = layer.forward(X[:1])  # one example is fine in evaluation mode
    np.testing.assert_allclose(one, expected[:1])


def test_batch_norm_refuses_a_single_example_in_training_mode():
    with pytest.raises(ValueError, match=r"'bn'.*at least 2 examples.*got 1.*batch_size"):
        BatchNorm(3, name="bn").forward(np.ones((1, 3)), training=True)


def test_batch_norm_refuses_bad_settings_and_shapes():
    with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\)"):
        BatchNorm(3, momentum=1.0)
    with pytest.raises(ValueError, match="eps must be positive"):
        BatchNorm(3, eps=0.0)
    with pytest.raises(ValueError, match=r"'bn' expects .*\(n_examples, 3\).*\(4, 2\)"):
        BatchNorm(3, name="bn").forward(np.ones((4, 2)))


# --- activation layer and residual ----------------------------------------------------------


def test_activation_layer_caches_z_and_a():
    layer = ActivationLayer("sigmoid")
    Z = np.array([[-1.0, 0.0, 2.0]])
    A, (z, a) = layer.forward(Z)
    assert z is Z
    assert a is A
    np.testing.assert_allclose(A, 1 / (1 + np.exp(-Z)))
    assert layer.name == "sigmoid"
    assert ActivationLayer(get_activation("tanh"), name="t").name == "t"


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"unknown activation 'relu6'.*'leaky_relu'"):
        ActivationLayer("relu6")


def test_residual_adds_the_input():
    inner = Dense(3, 3, rng=0)
    X = np.random.default_rng(1).normal(size=(4, 3))
    out, _ = Residual(inner).forward(X)
    np.testing.assert_allclose(out, X + inner.forward(X)[0])


def test_residual_must_keep_the_width():
    with pytest.raises(ValueError, match=r"'block'.*keep the width.*take 3 features and return 2"):
        Residual(Dense(3, 4, rng=0), Dense(4, 2, rng=0), name="block")
    with pytest.raises(ValueError, match="at least one layer"):
        Residual()
