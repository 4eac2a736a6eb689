"""Activations: derivatives against central differences, ranges, stability, the registry."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlbasics import activations as act
from dlbasics.activations import ACTIVATIONS, Activation, get_activation
from dlbasics.gradcheck import numerical_jacobian_vector, relative_error

# Where each elementwise activation is checked: away from kinks (ReLU family and step at 0)
# and from the flat tails, where the derivative is so small that a central difference measures
# rounding noise rather than the slope.
DOMAIN = {
    "identity": (0.01, 10.0),
    "step": (0.01, 10.0),
    "sigmoid": (0.0, 4.0),
    "tanh": (0.0, 3.0),
    "relu": (0.01, 10.0),
    "leaky_relu": (0.01, 10.0),
}
ELEMENTWISE = [name for name in ACTIVATIONS if name != "softmax"]


def signed(shape, low: float, high: float):
    """Arrays of the given shape with magnitudes in [low, high] and random signs."""
    magnitude = hnp.arrays(np.float64, shape, elements=st.floats(low, high))
    return st.builds(lambda m, s: np.where(s, m, -m), magnitude, hnp.arrays(np.bool_, shape))


shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def read_only(*arrays: np.ndarray) -> list[np.ndarray]:
    """Copies that raise on any in-place write, to prove a function leaves its inputs alone."""
    out = []
    for a in arrays:
        a = np.array(a, copy=True)
        a.flags.writeable = False
        out.append(a)
    return out


# --- gradient checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(data=st.data())
def test_elementwise_derivative_matches_central_differences(name, data):
    shape = data.draw(shapes)
    z = data.draw(signed(shape, *DOMAIN[name]))
    upstream = data.draw(signed(shape, 0.5, 2.0))
    a = get_activation(name)
    numeric = numerical_jacobian_vector(a.fn, z, upstream)
    assert relative_error(a.backward(upstream, z, a(z)), numeric) < 1e-6
    assert relative_error(upstream * a.grad(z), numeric) < 1e-6


@given(data=st.data(), slope=st.just(0.0) | st.floats(0.01, 0.9))
def test_leaky_relu_derivative_for_any_slope(data, slope):
    z = data.draw(signed(data.draw(shapes), 0.01, 10.0))
    a = get_activation("leaky_relu", slope=slope)
    numeric = numerical_jacobian_vector(a.fn, z, np.ones_like(z))
    assert relative_error(a.grad(z), numeric) < 1e-6


@given(data=st.data())
def test_softmax_backward_matches_central_differences(data):
    n, k = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 5))
    z = data.draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-3, 3)))
    upstream = data.draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-2, 2)))
    analytic = get_activation("softmax").backward(upstream, z, act.softmax(z))
    # An entry that is nearly zero by cancellation has no meaningful relative error.
    assume(np.min(np.abs(analytic)) > 1e-3)
    assert relative_error(analytic, numerical_jacobian_vector(act.softmax, z, upstream)) < 1e-6


@given(hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-5, 5)))
def test_softmax_jacobian_is_the_backward_pass(z):
    s = act.softmax(z)
    jac = act.softmax_jacobian(z)
    upstream = np.linspace(-1, 1, z.size)
    assert np.allclose(act.softmax_backward(upstream, s), upstream @ jac)
    assert np.allclose(jac, jac.T)  # s_i(δ_ij − s_j) is symmetric
    assert np.allclose(jac.sum(axis=0), 0.0)  # shifting all logits changes nothing


# --- ranges and maxima ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ranges(dtype):
    z = np.linspace(-5, 5, 1001, dtype=dtype)
    s, t = act.sigmoid(z), act.tanh(z)
    assert np.all((s > 0) & (s < 1))
    assert np.all((t > -1) & (t < 1))
    assert np.all(act.relu(z) >= 0)
    assert set(np.unique(act.step(z))) == {0.0, 1.0}
    assert np.allclose(t, 2 * act.sigmoid(2 * z) - 1, atol=1e-6)  # tanh is a rescaled sigmoid


def test_maximum_derivatives_sigmoid_quarter_and_tanh_one():
    z = np.linspace(-10, 10, 20001)  # contains 0 exactly
    assert act.sigmoid_grad(0.0) == 0.25
    assert act.tanh_grad(0.0) == 1.0
    assert np.max(act.sigmoid_grad(z)) == pytest.approx(0.25)
    assert z[np.argmax(act.sigmoid_grad(z))] == 0.0
    assert np.max(act.tanh_grad(z)) == pytest.approx(1.0)
    assert z[np.argmax(act.tanh_grad(z))] == 0.0
    assert np.all(act.sigmoid_grad(z) <= 0.25)
    assert np.all(act.tanh_grad(z) <= 1.0)
    # saturation: far from 0 the derivatives all but vanish (chapter 6)
    assert act.sigmoid_grad(10.0) < 1e-4
    assert act.tanh_grad(10.0) < 1e-8


def test_relu_family_derivatives():
    z = np.array([-2.0, -0.5, 0.5, 2.0])
    assert np.array_equal(act.relu_grad(z), [0, 0, 1, 1])
    assert np.array_equal(act.relu_grad(0.0), 0.0)  # taken as 0 at the kink
    assert np.allclose(act.leaky_relu_grad(z, slope=0.1), [0.1, 0.1, 1, 1])
    assert np.allclose(act.leaky_relu(z, slope=0.1), [-0.2, -0.05, 0.5, 2.0])
    assert np.array_equal(act.step_grad(z), np.zeros(4))  # why step units cannot be trained
    assert np.array_equal(act.identity_grad(z), np.ones(4))


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=3, max_side=5),
        elements=st.floats(-50, 50),
    )
)
def test_softmax_rows_are_distributions(z):
    s = act.softmax(z)
    assert np.all(s >= 0)
    assert np.allclose(s.sum(axis=-1), 1.0)
    assert np.allclose(act.softmax(z + 7.0), s)  # shift invariance


# --- stability and dtypes ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_are_finite_without_warnings(dtype):
    z = np.array([[-1000.0, 0.0, 1000.0], [1000.0, 999.0, -1000.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = act.sigmoid(z)
        sm = act.softmax(z)
        outs = [s, act.sigmoid_grad(z), act.tanh(z), act.tanh_grad(z), sm]
    for out in outs:
        assert np.all(np.isfinite(out))
    assert s[0, 0] == 0.0 and s[0, 2] == 1.0 and s[0, 1] == 0.5
    assert np.allclose(sm.sum(axis=1), 1.0)
    assert sm[0, 2] == pytest.approx(1.0)
    assert sm[1, 0] == pytest.approx(1 / (1 + np.exp(-1.0)), rel=1e-6)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_data(name, dtype):
    a = get_activation(name)
    z = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    out = a(z)
    assert out.dtype == dtype and out.shape == z.shape
    assert a.backward(np.ones_like(z), z, out).dtype == dtype
    if a.grad is not None:
        assert a.grad(z).dtype == dtype


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_integer_input_gives_float64(name):
    assert get_activation(name)(np.array([[-2, 0, 3]])).dtype == np.float64


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_nothing_modifies_its_inputs(name):
    a = get_activation(name)
    z, upstream = read_only(np.array([[-1.5, 0.3, 2.0], [0.7, -0.2, -3.0]]), np.ones((2, 3)))
    z_copy = z.copy()
    out = a(z)
    (out_ro,) = read_only(out)
    a.backward(upstream, z, out_ro)  # would raise ValueError on an in-place write
    if a.grad is not None:
        a.grad(z)
    assert np.array_equal(z, z_copy)
    out[...] = 0.0  # the output is a new array, not a view of z
    assert np.array_equal(z, z_copy)


# --- the registry --------------------------------------------------------------------------------


def test_registry_names_and_lookup():
    assert set(ACTIVATIONS) == {
        "identity",
        "step",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "softmax",
    }
    for name in ACTIVATIONS:
        a = get_activation(name)
        assert isinstance(a, Activation) and a.name == name
        assert a.elementwise == (name != "softmax")
    relu = get_activation("relu")
    assert get_activation(relu) is relu


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(
        ValueError, match=r"unknown activation 'Relu'.*'leaky_relu'.*'relu'.*'tanh'"
    ):
        get_activation("Relu")


@pytest.mark.parametrize("slope", [-0.1, 1.0, 1.5, float("nan")])
def test_leaky_relu_slope_must_be_in_zero_one(slope):
    with pytest.raises(ValueError, match=r"leaky_relu slope must be in \[0.0, 1.0\)"):
        get_activation("leaky_relu", slope=slope)


def test_leaky_relu_slope_setting():
    a = get_activation("leaky_relu", slope=0.2)
    assert a.params == {"slope": 0.2}
    assert a(np.array([-1.0]))[0] == pytest.approx(-0.2)
    assert get_activation("leaky_relu").params == {"slope": 0.01}
    with pytest.raises(TypeError, match="must be a number"):
        get_activation("leaky_relu", slope="0.1")
    with pytest.raises(TypeError, match="takes only 'slope'"):
        get_activation("leaky_relu", slope=0.1, alpha=0.2)
    with pytest.raises(TypeError, match=r"'relu' takes no parameters, got \['slope'\]"):
        get_activation("relu", slope=0.1)
