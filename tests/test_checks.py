"""The exercise checks: right answers pass, wrong ones get a message that teaches."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.checks import AnswerError, Case, check_function, check_value

SIGMOID_CASES = [
    Case((0.0,), 0.5, "check the sign of the exponent"),
    Case((np.array([-2.0, 2.0]),), [0.11920292, 0.88079708], "apply it to every entry"),
]


def good_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z)))


def test_right_answer_passes():
    assert check_function(good_sigmoid, SIGMOID_CASES) == "✓ good_sigmoid passed all 2 checks"


def test_wrong_answer_says_got_expected_and_hint():
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(np.asarray(z) * 0.0 - 100))  # ≈ 1 everywhere

    with pytest.raises(
        AnswerError, match=r"sigmoid\(0\.0\) returned 1\.0, expected 0\.5: check the sign"
    ):
        check_function(sigmoid, SIGMOID_CASES)


def test_stub_is_reported_as_not_answered():
    def sigmoid(z):
        raise NotImplementedError()

    with pytest.raises(AnswerError, match="not answered yet"):
        check_function(sigmoid, SIGMOID_CASES)


def test_missing_return_is_named():
    def sigmoid(z):
        1.0 / (1.0 + np.exp(-z))

    with pytest.raises(AnswerError, match="forget `return`"):
        check_function(sigmoid, SIGMOID_CASES)


def test_wrong_shape_is_named():
    with pytest.raises(AnswerError, match=r"returned shape \(\), expected shape \(2,\)"):
        check_function(lambda z: 0.5, SIGMOID_CASES[1:], name="sigmoid")


def test_an_exception_in_the_answer_is_reported():
    def sigmoid(z):
        return undefined_name  # noqa: F821

    with pytest.raises(AnswerError, match="raised NameError"):
        check_function(sigmoid, SIGMOID_CASES)


def test_mutating_the_input_is_caught():
    def relu(z):
        z[z < 0] = 0
        return z

    with pytest.raises(AnswerError, match="changed its input"):
        check_function(relu, [Case((np.array([-1.0, 2.0]),), [0.0, 2.0])])


def test_check_value():
    assert check_value("the parameter count", 9610, 9610) == "✓ the parameter count is right"
    with pytest.raises(AnswerError, match="not answered yet"):
        check_value("the parameter count", ..., 9610)
    with pytest.raises(AnswerError, match=r"returned 9600, expected 9610: count the biases"):
        check_value("the parameter count", 9600, 9610, hint="count the biases")
