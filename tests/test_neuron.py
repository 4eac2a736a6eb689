"""The artificial neuron of chapter 1."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.neuron import decision_line, neuron, weighted_sum


def test_weighted_sum_one_example_by_hand():
    # z = 0.5*2 + (-1)*3 + 0.25*4 + 1 = 1 - 3 + 1 + 1 = 0
    assert weighted_sum([2.0, 3.0, 4.0], [0.5, -1.0, 0.25], 1.0) == pytest.approx(0.0)


def test_weighted_sum_rows_are_examples():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(weighted_sum(X, [2.0, -3.0], 0.5), [2.5, -2.5, -0.5])


def test_bias_lets_a_neuron_fire_with_all_inputs_zero():
    assert neuron([0.0, 0.0], [1.0, 1.0], 0.5, "step") == 1.0
    assert neuron([0.0, 0.0], [1.0, 1.0], -0.5, "step") == 0.0


def test_perceptron_computes_and_or_nand():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(neuron(X, [1, 1], -1.5), [0, 0, 0, 1])
    np.testing.assert_array_equal(neuron(X, [1, 1], -0.5), [0, 1, 1, 1])
    np.testing.assert_array_equal(neuron(X, [-1, -1], 1.5), [1, 1, 1, 0])


def test_smooth_activations_do_not_threshold():
    a = neuron(np.array([[0.1, 0.0], [0.2, 0.0]]), [1.0, 0.0], 0.0, "sigmoid")
    assert 0.5 < a[0] < a[1] < 1.0


def test_input_is_not_modified():
    x = np.array([[1.0, 2.0]])
    w = np.array([0.5, 0.5])
    neuron(x, w, 0.0, "sigmoid")
    np.testing.assert_array_equal(x, [[1.0, 2.0]])
    np.testing.assert_array_equal(w, [0.5, 0.5])


def test_shape_mismatch_teaches():
    with pytest.raises(ValueError, match=r"x has shape \(3,\) but w has shape \(2,\)"):
        weighted_sum([1.0, 2.0, 3.0], [1.0, 1.0], 0.0)


def test_nan_input_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        weighted_sum([np.nan, 1.0], [1.0, 1.0], 0.0)


def test_unknown_activation_lists_names():
    with pytest.raises(ValueError, match=r"choose one of: .*'relu'.*'sigmoid'"):
        neuron([1.0], [1.0], 0.0, "sigmoidd")


def test_decision_line_forms():
    kind, (m, c) = decision_line([1.0, 2.0], -1.0)  # x1 + 2 x2 - 1 = 0  ->  x2 = -x1/2 + 1/2
    assert kind == "y" and m == pytest.approx(-0.5) and c == pytest.approx(0.5)
    kind, (x1,) = decision_line([2.0, 0.0], -1.0)
    assert kind == "x" and x1 == pytest.approx(0.5)
    assert decision_line([0.0, 0.0], 1.0) is None
