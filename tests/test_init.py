"""Weight initializers: shapes, dtypes, reproducibility, and the statistics each one promises."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlbasics.init import (
    INITIALIZERS,
    get_initializer,
    he_normal,
    he_uniform,
    normal,
    xavier_normal,
    xavier_uniform,
    zeros,
)
from dlbasics.layers import Dense

FAN_IN, FAN_OUT = 400, 600  # 240,000 weights: sample statistics within about 0.5 %


@pytest.mark.parametrize("name", INITIALIZERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype(name, dtype):
    w = get_initializer(name)(3, 5, rng=0, dtype=dtype)
    assert w.shape == (3, 5)
    assert w.dtype == dtype
    assert np.all(np.isfinite(w))


@given(fan_in=st.integers(1, 30), fan_out=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_any_shape_is_reproducible_from_the_seed(fan_in, fan_out, seed):
    for name in INITIALIZERS:
        init = get_initializer(name)
        a = init(fan_in, fan_out, rng=np.random.default_rng(seed))
        b = init(fan_in, fan_out, rng=seed)
        assert a.shape == (fan_in, fan_out)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", [n for n in INITIALIZERS if n != "zeros"])
def test_different_seeds_differ_and_global_state_is_not_used(name):
    init = get_initializer(name)
    np.random.seed(1)  # noqa: NPY002 -- the legacy global seed must have no effect
    a = init(4, 4, rng=1)
    np.random.seed(2)  # noqa: NPY002
    b = init(4, 4, rng=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, init(4, 4, rng=2))


def test_generator_is_advanced_not_reset():
    rng = np.random.default_rng(0)
    assert not np.array_equal(he_normal(3, 3, rng=rng), he_normal(3, 3, rng=rng))


@pytest.mark.parametrize(
    ("fn", "std"),
    [
        (xavier_normal, np.sqrt(2 / (FAN_IN + FAN_OUT))),
        (he_normal, np.sqrt(2 / FAN_IN)),
        (lambda i, o, rng: normal(i, o, rng=rng, std=0.05), 0.05),
    ],
    ids=["xavier_normal", "he_normal", "normal"],
)
def test_normal_initializers_have_the_promised_std(fn, std):
    w = fn(FAN_IN, FAN_OUT, rng=0)
    assert abs(w.mean()) < 0.01 * std
    assert w.std() == pytest.approx(std, rel=0.01)
    # Gaussian: about 68 % within one standard deviation
    assert np.mean(np.abs(w) < std) == pytest.approx(0.6827, abs=0.01)


@pytest.mark.parametrize(
    ("fn", "limit"),
    [
        (xavier_uniform, np.sqrt(6 / (FAN_IN + FAN_OUT))),
        (he_uniform, np.sqrt(6 / FAN_IN)),
    ],
    ids=["xavier_uniform", "he_uniform"],
)
def test_uniform_initializers_respect_their_limit(fn, limit):
    w = fn(FAN_IN, FAN_OUT, rng=0)
    assert np.max(np.abs(w)) <= limit
    assert np.max(np.abs(w)) > 0.99 * limit  # the whole interval is used
    assert w.std() == pytest.approx(limit / np.sqrt(3), rel=0.01)  # Var U(-L, L) = L²/3
    assert abs(w.mean()) < 0.01 * limit


def test_uniform_and_normal_variants_have_the_same_variance():
    assert xavier_uniform(FAN_IN, FAN_OUT, rng=0).var() == pytest.approx(
        xavier_normal(FAN_IN, FAN_OUT, rng=1).var(), rel=0.02
    )
    assert he_uniform(FAN_IN, FAN_OUT, rng=0).var() == pytest.approx(
        he_normal(FAN_IN, FAN_OUT, rng=1).var(), rel=0.02
    )


def test_zeros_is_all_zero_and_ignores_rng():
    np.testing.assert_array_equal(zeros(3, 2), np.zeros((3, 2)))
    np.testing.assert_array_equal(zeros(3, 2, rng=5), np.zeros((3, 2)))


def test_dense_biases_start_at_zero_and_weights_follow_the_initializer():
    layer = Dense(FAN_IN, FAN_OUT, rng=0)
    np.testing.assert_array_equal(layer.b.value, 0.0)
    assert layer.W.value.std() == pytest.approx(np.sqrt(2 / FAN_IN), rel=0.01)
    np.testing.assert_array_equal(layer.W.value, he_normal(FAN_IN, FAN_OUT, rng=0))
    layer = Dense(FAN_IN, FAN_OUT, rng=0, init="xavier_uniform")
    np.testing.assert_array_equal(layer.W.value, xavier_uniform(FAN_IN, FAN_OUT, rng=0))
    np.testing.assert_array_equal(layer.b.value, 0.0)


def test_get_initializer_names_params_and_callables():
    assert get_initializer("he_normal") is he_normal
    w = get_initializer("normal", std=2.0)(FAN_IN, FAN_OUT, rng=0)
    assert w.std() == pytest.approx(2.0, rel=0.01)

    def mine(fan_in, fan_out, *, rng, dtype=np.float64):
        return np.full((fan_in, fan_out), 0.5, dtype=dtype)

    assert get_initializer(mine) is mine
    np.testing.assert_array_equal(Dense(2, 3, rng=0, init=mine).W.value, 0.5)


def test_unknown_initializer_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"unknown initializer 'glorot'.*'he_normal'.*'zeros'"):
        get_initializer("glorot")
    with pytest.raises(ValueError, match="unknown initializer"):
        Dense(2, 2, rng=0, init="kaiming")


def test_bad_parameters_are_refused():
    with pytest.raises(TypeError, match="takes no parameters"):
        get_initializer("he_normal", std=1.0)
    with pytest.raises(TypeError, match="only 'std'"):
        get_initializer("normal", scale=1.0)
    with pytest.raises(ValueError, match="std must be positive"):
        get_initializer("normal", std=-1.0)
    with pytest.raises(ValueError, match="fan_in must be positive"):
        he_normal(0, 3, rng=0)
    with pytest.raises(TypeError, match="fan_out must be a positive whole number"):
        xavier_uniform(3, 2.5, rng=0)


@pytest.mark.parametrize("name", INITIALIZERS)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, bool, np.complex128])
def test_non_floating_dtypes_are_refused(name, dtype):
    # in an integer dtype a draw such as 0.3 would be truncated to 0
    with pytest.raises(TypeError, match=rf"{name}: dtype must be a floating dtype such as "
                                        r"np\.float64.*got (int|bool|complex)"):
        get_initializer(name)(3, 5, rng=0, dtype=dtype)
