"""Gradient checking itself: central differences, Jacobian-vector products, relative error."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlbasics.gradcheck import numerical_gradient, numerical_jacobian_vector, relative_error

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
values = st.floats(-3, 3)


@given(data=st.data())
def test_gradient_of_a_polynomial(data):
    x = data.draw(hnp.arrays(np.float64, data.draw(shapes), elements=values))

    def f(v):  # f(x) = Σ x³/3 + x² + 5: gradient x² + 2x
        return np.sum(v**3 / 3 + v**2) + 5.0

    numeric = numerical_gradient(f, x)
    assert numeric.shape == x.shape and numeric.dtype == np.float64
    assert np.allclose(numeric, x**2 + 2 * x, rtol=1e-7, atol=1e-7)


@given(hnp.arrays(np.float64, st.integers(1, 5), elements=values))
def test_gradient_of_a_quadratic_form(x):
    a = np.arange(x.size**2, dtype=np.float64).reshape(x.size, x.size) / 10 - 1
    numeric = numerical_gradient(lambda v: v @ a @ v, x)
    assert np.allclose(numeric, (a + a.T) @ x, atol=1e-6)


@given(data=st.data())
def test_jacobian_vector_product_of_a_linear_map(data):
    n, d, k = (data.draw(st.integers(1, 4)) for _ in range(3))
    x = data.draw(hnp.arrays(np.float64, (n, d), elements=values))
    w = data.draw(hnp.arrays(np.float64, (d, k), elements=values))
    upstream = data.draw(hnp.arrays(np.float64, (n, k), elements=values))
    numeric = numerical_jacobian_vector(lambda v: v @ w, x, upstream)
    assert np.allclose(numeric, upstream @ w.T, atol=1e-7)  # backprop of a dense layer: u Wᵀ


def test_error_shrinks_like_h_squared():
    x = np.array([0.7])
    exact = np.cos(0.7)
    errors = [
        abs(numerical_gradient(lambda v: np.sin(v[0]), x, h)[0] - exact) for h in (1e-2, 1e-3)
    ]
    assert errors[1] < errors[0] / 50  # O(h²): ten times smaller h, about 100 times smaller error


def test_input_is_not_modified_even_when_f_writes_to_it():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = x.copy()
    x.flags.writeable = False  # numerical_gradient perturbs its own copy, never x
    numerical_gradient(lambda v: np.sum(v**2), x)
    numerical_jacobian_vector(lambda v: 2 * v, x, np.ones_like(x))
    assert np.array_equal(x, before)


@pytest.mark.parametrize(
    "x",
    [
        np.arange(6.0).reshape(2, 3).T,  # Fortran order (a transposed weight matrix)
        np.arange(12.0).reshape(3, 4)[:, ::2],  # a strided view
        np.arange(6, dtype=np.float32).reshape(2, 3),  # float32 is checked in float64
        np.arange(6).reshape(3, 2),  # integers too
        np.float64(1.5),  # a scalar
    ],
)
def test_any_memory_layout_and_dtype(x):
    numeric = numerical_gradient(lambda v: np.sum(v**2), x)
    assert numeric.dtype == np.float64
    assert np.allclose(numeric, 2 * np.asarray(x, dtype=np.float64), atol=1e-6)


def test_relative_error_values():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 4.2)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0  # both exactly 0: agree
    assert relative_error([1.0], [-1.0]) == 1.0  # opposite signs: the worst possible
    assert relative_error(np.empty((0, 3)), np.empty((0, 3))) == 0.0
    assert relative_error(1e-13, 0.0) == pytest.approx(0.1)  # below eps: compared to eps
    assert relative_error(1e-13, 0.0, eps=1e-6) == pytest.approx(1e-7)


@given(hnp.arrays(np.float64, shapes, elements=st.floats(-1e6, 1e6)), st.floats(0.5, 2.0))
def test_relative_error_is_symmetric_and_scale_free(a, scale):
    b = a * 1.001 + 1e-3
    assert relative_error(a, b) == pytest.approx(relative_error(b, a))
    assert relative_error(scale * a, scale * b) == pytest.approx(relative_error(a, b), rel=1e-6)
    assert 0.0 <= relative_error(a, b) <= 1.0


def test_relative_error_refuses_different_shapes():
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(3, 1\)"):
        relative_error(np.zeros(3), np.zeros((3, 1)))


def test_a_wrong_gradient_is_caught():
    x = np.array([0.5, -1.0, 2.0])
    numeric = numerical_gradient(lambda v: np.sum(np.tanh(v)), x)
    right = 1 - np.tanh(x) ** 2
    wrong = 1 - np.tanh(x)  # a typical slip: forgot the square
    assert relative_error(right, numeric) < 1e-8
    assert relative_error(wrong, numeric) > 1e-2
