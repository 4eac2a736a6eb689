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


def stub_sigmoid(z):
    raise NotImplementedError()


def test_stub_is_reported_as_not_answered_without_stopping_the_notebook(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    note = check_function(stub_sigmoid, SIGMOID_CASES, name="sigmoid")
    assert note.startswith("○ sigmoid is not answered yet")
    assert "✓" not in note
    assert "It will be checked on 2 cases:" in note
    assert "sigmoid(0.0)\n    should return 0.5" in note
    assert "sigmoid([-2., 2.])\n    should return [0.1192, 0.8808]" in note


def test_not_answered_lists_at_most_three_cases(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    cases = [Case((float(k),), float(k)) for k in range(5)]
    note = check_function(stub_sigmoid, cases, name="f")
    assert note.count("should return") == 3
    assert note.endswith("... and 2 more cases")


@pytest.mark.parametrize("mode", ["autograde", "validate"])
def test_stub_fails_under_nbgrader(monkeypatch, mode):
    monkeypatch.setenv("NBGRADER_EXECUTION", mode)
    with pytest.raises(AnswerError, match="not answered yet"):
        check_function(stub_sigmoid, SIGMOID_CASES)
    with pytest.raises(AnswerError, match="not answered yet"):
        check_value("the parameter count", ..., 9610)


def test_a_replaced_numpy_function_is_refused(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)

    def sigmoid(z):
        return 0.0 * np.asarray(z)

    with pytest.raises(AnswerError, match=r"replaced numpy\.allclose.*restart the kernel"):
        check_function(sigmoid, SIGMOID_CASES)
    with pytest.raises(AnswerError, match=r"replaced numpy\.allclose"):
        check_value("the parameter count", 1, 9610)


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


def test_an_answer_stopped_by_the_time_limit_is_named():
    """Grading interrupts a cell at its time limit (a KeyboardInterrupt in the kernel): the
    student reads which call never returned, not a bare traceback."""
    def forever(x):
        raise KeyboardInterrupt  # what the interrupt raises inside an endless loop

    with pytest.raises(AnswerError, match=r"forever\(3\) was stopped before it returned.*loop"):
        check_function(forever, [Case((3,), 3)])


def test_mutating_the_input_is_caught():
    def relu(z):
        z[z < 0] = 0
        return z

    with pytest.raises(AnswerError, match="changed its input"):
        check_function(relu, [Case((np.array([-1.0, 2.0]),), [0.0, 2.0])])


def test_check_value(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert check_value("the parameter count", 9610, 9610) == "✓ the parameter count is right"
    assert "not answered yet" in check_value("the parameter count", ..., 9610)
    with pytest.raises(AnswerError, match=r"returned 9600, expected 9610: count the biases"):
        check_value("the parameter count", 9600, 9610, hint="count the biases")


def test_a_difference_below_the_shown_digits_is_stated():
    with pytest.raises(AnswerError, match=r"differs from the expected value by up to 1e-05"):
        check_function(lambda v: v + 1e-5, [Case((np.array([2.0, -4.0]),), [2.0, -4.0])],
                       name="f", rtol=1e-9, atol=1e-9)
