"""How good is a classifier? Accuracy and the confusion matrix (chapter 8).

A metric is what we *report*; the cost is what gradient descent *minimizes*. Accuracy is not
differentiable (a tiny change of a weight rarely changes a prediction), which is why networks
are trained on cross-entropy and judged on accuracy.

Predictions may be given as class labels ``(n,)`` or as scores: a matrix ``(n, k)`` of
probabilities or logits (the predicted class is the largest entry of each row), or, for two
classes, one score per example, ``(n,)`` or ``(n, 1)``, compared with a ``threshold``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import check_finite, check_labels

Array = np.ndarray


def predicted_labels(
    y_pred: Any, *, threshold: float = 0.5, where: str = "predicted_labels"
) -> Array:
    """Turn labels or scores into class labels ``(n,)``.

    - ``(n, k)`` with ``k > 1``: the column of the largest score, :math:`\\arg\\max_k`;
    - ``(n, 1)``, or ``(n,)`` holding non-whole numbers: 1 where the score is above
      ``threshold``, else 0. Use ``threshold=0.5`` for sigmoid probabilities and ``0.0`` for
      logits;
    - ``(n,)`` of whole numbers: already labels.
    """
    y_pred = np.asarray(y_pred)
    if y_pred.dtype != np.bool_ and np.issubdtype(y_pred.dtype, np.floating):
        check_finite(y_pred, "y_pred", where=where)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        return np.argmax(y_pred, axis=1)
    if y_pred.ndim == 2 and y_pred.shape[1] == 1:
        return (y_pred[:, 0] > threshold).astype(np.int64)
    if y_pred.ndim == 1 and np.issubdtype(y_pred.dtype, np.floating):
        if np.any(y_pred != np.round(y_pred)):
            return (y_pred > threshold).astype(np.int64)
    if y_pred.ndim != 1:
        raise ValueError(
            f"{where}: y_pred must be labels (n,) or scores (n, k), got shape {y_pred.shape}"
        )
    return check_labels(y_pred, name="y_pred", where=where)


def _true_labels(y_true: Any, where: str) -> Array:
    y_true = np.asarray(y_true)
    if y_true.ndim == 2 and y_true.shape[1] == 1:  # a column of labels, e.g. 0/1 targets
        y_true = y_true[:, 0]
    elif y_true.ndim == 2:  # one-hot rows
        return np.argmax(y_true, axis=1)
    return check_labels(y_true, name="y_true", where=where)


def accuracy(y_true: Any, y_pred: Any, *, threshold: float = 0.5) -> float:
    r"""The fraction of examples whose predicted class is the true one:
    :math:`\frac1n \sum_i [\hat c_i = c_i]`.

    ``y_true`` holds labels ``(n,)`` or ``(n, 1)``, or one-hot rows ``(n, k)``; ``y_pred`` labels
    or scores (see :func:`predicted_labels`, which also explains ``threshold``).
    """
    true = _true_labels(y_true, "accuracy")
    pred = predicted_labels(y_pred, threshold=threshold, where="accuracy")
    if true.shape != pred.shape or true.size == 0:
        raise ValueError(
            f"accuracy: y_true has {true.size} examples and y_pred has {pred.size}; "
            "need the same, non-zero number"
        )
    return float(np.mean(true == pred))


def confusion_matrix(
    y_true: Any, y_pred: Any, n_classes: int | None = None, *, threshold: float = 0.5
) -> Array:
    """Count how often class ``i`` (row, the truth) was predicted as class ``j`` (column).

    The diagonal holds the correct predictions; row ``i`` sums to the number of examples of
    class ``i``. ``n_classes`` defaults to the largest label seen plus one; labels outside
    ``0 .. n_classes − 1`` are refused. Returns an int64 array ``(n_classes, n_classes)``.
    """
    true = _true_labels(y_true, "confusion_matrix")
    pred = predicted_labels(y_pred, threshold=threshold, where="confusion_matrix")
    if true.shape != pred.shape:
        raise ValueError(
            f"confusion_matrix: y_true has {true.size} examples and y_pred has {pred.size}"
        )
    if n_classes is None:
        n_classes = int(max(true.max(initial=0), pred.max(initial=0))) + 1
    true = check_labels(true, n_classes, name="y_true", where="confusion_matrix")
    pred = check_labels(pred, n_classes, name="y_pred", where="confusion_matrix")
    counts = np.bincount(n_classes * true + pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)
