"""Metrics: accuracy from labels or scores, and the confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlbasics.metrics import accuracy, confusion_matrix, predicted_labels


def test_accuracy_from_labels_probabilities_and_logits():
    y = np.array([0, 1, 2, 1])
    assert accuracy(y, [0, 1, 1, 1]) == 0.75
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]])
    assert accuracy(y, probs) == 0.75  # argmax of each row
    assert accuracy(y, np.log(probs)) == 0.75  # logits rank the classes the same way
    assert accuracy(np.eye(3)[y], probs) == 0.75  # one-hot truth
    assert isinstance(accuracy(y, y), float) and accuracy(y, y) == 1.0


def test_binary_scores_use_a_threshold():
    y = np.array([0, 1, 1, 0])
    p = np.array([[0.2], [0.9], [0.4], [0.6]])  # sigmoid probabilities, one column
    assert accuracy(y, p) == 0.5
    assert accuracy(y, p[:, 0]) == 0.5  # a flat vector of scores
    assert accuracy(y, p, threshold=0.3) == 0.75
    assert accuracy(y[:, None], p) == 0.5  # binary targets as a column, like the output
    logits = np.log(p / (1 - p))
    assert accuracy(y, logits, threshold=0.0) == 0.5  # logits: threshold at 0
    assert predicted_labels(np.array([1.0, 0.0, 1.0])).tolist() == [1, 0, 1]  # labels as floats


def test_accuracy_errors():
    with pytest.raises(ValueError, match="y_true has 3 examples and y_pred has 2"):
        accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="non-zero number"):
        accuracy([], [])
    with pytest.raises(ValueError, match=r"contains 1 NaN"):
        accuracy([0, 1], np.array([[0.5, np.nan], [0.2, 0.8]]))
    with pytest.raises(ValueError, match="y_true out of range"):
        accuracy([-1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"labels \(n,\) or scores \(n, k\)"):
        accuracy([0], np.zeros((1, 2, 2)))


def test_confusion_matrix_rows_are_truth_columns_predictions():
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 2, 0, 2]
    cm = confusion_matrix(y_true, y_pred)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert cm.dtype == np.int64
    assert confusion_matrix(y_true, y_pred, n_classes=4).shape == (4, 4)
    scores = np.eye(3)[y_pred] * 0.9 + 0.05
    assert np.array_equal(confusion_matrix(y_true, scores), cm)


def test_confusion_matrix_refuses_labels_out_of_range():
    with pytest.raises(ValueError, match=r"y_pred out of range: must be in 0\.\.1 \(2 classes\)"):
        confusion_matrix([0, 1], [0, 2], n_classes=2)
    with pytest.raises(ValueError, match="y_true has 2 examples and y_pred has 1"):
        confusion_matrix([0, 1], [0])


@given(
    st.integers(2, 6).flatmap(
        lambda k: st.tuples(
            st.just(k),
            hnp.arrays(
                np.int64, st.integers(1, 40).map(lambda n: (n,)), elements=st.integers(0, k - 1)
            ),
            st.integers(0, 2**32 - 1),
        )
    )
)
def test_confusion_matrix_agrees_with_accuracy(case):
    k, y_true, seed = case
    y_pred = np.random.default_rng(seed).integers(0, k, y_true.size)
    cm = confusion_matrix(y_true, y_pred, n_classes=k)
    assert cm.sum() == y_true.size
    assert np.array_equal(cm.sum(axis=1), np.bincount(y_true, minlength=k))  # rows: truth
    assert np.array_equal(cm.sum(axis=0), np.bincount(y_pred, minlength=k))  # columns: predicted
    assert np.trace(cm) / y_true.size == pytest.approx(accuracy(y_true, y_pred))


def test_inputs_are_not_modified():
    y = np.array([0, 1, 1])
    scores = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]])
    for a in (y, scores):
        a.flags.writeable = False
    accuracy(y, scores), confusion_matrix(y, scores), predicted_labels(scores)
    assert scores.tolist() == [[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]]
