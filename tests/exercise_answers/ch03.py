"""Chapter 3, Loss versus cost: equivalent answers and typical mistakes."""

from exercise_answers import Answers, Mistake

MSE = '''def mse_cost(y_pred, y_true):
    """Mean over the rows (examples) of each row's summed squared error."""
'''
SAFE_BCE = '''def safe_bce(p, y):
    """Per-example binary cross-entropy, p clipped to [1e-12, 1 - 1e-12]."""
'''
BCE_LOGITS = '''def bce_with_logits(z, y):
    """Per-example binary cross-entropy of sigmoid(z), from the logits z."""
'''

ANSWERS = {
    "ch03-mse-cost": Answers(
        equivalent=[
            MSE + '''    diff = np.atleast_1d(np.subtract(y_pred, y_true, dtype=float))
    return float(np.sum(diff**2) / diff.shape[0])  # all summed, divided by n examples
''',
            MSE + '''    diff = np.subtract(y_pred, y_true, dtype=float)
    if diff.ndim == 1:
        diff = diff[:, None]
    losses = [float(np.dot(row, row)) for row in diff]
    return sum(losses) / len(losses)
''',
        ],
        mistakes=[
            Mistake("averages over the outputs too (np.mean of the whole array)",
                    MSE + "    return float(np.mean(np.subtract(y_pred, y_true)**2))\n",
                    r"np\.mean over the whole array gives 1\.0"),
            Mistake("forgets to square",
                    MSE + "    return float(np.mean(np.asarray(y_pred) - np.asarray(y_true)))\n",
                    r"the squared errors are"),
            Mistake("sums the losses instead of averaging them",
                    MSE + "    return float(np.sum(np.subtract(y_pred, y_true)**2))\n",
                    r"their mean, 10/3, not their sum"),
            Mistake("sums along the last axis, which for one output sums over the examples",
                    MSE + '''    losses = np.sum(np.subtract(y_pred, y_true)**2, axis=-1)
    return float(np.mean(losses))
''',
                    r"a 1-D array is one output per example"),
            Mistake("with several outputs, sums down the columns (axis=0)",
                    MSE + '''    diff = np.subtract(y_pred, y_true, dtype=float)
    if diff.ndim == 1:
        return float(np.mean(diff**2))
    return float(np.mean(np.sum(diff**2, axis=0)))
''',
                    r"summing down the columns \(axis=0\) gives 3\.0"),
            Mistake("absolute instead of squared errors",
                    MSE + "    return float(np.mean(np.abs(np.subtract(y_pred, y_true))))\n",
                    r"the squared errors are"),
        ],
    ),
    "ch03-safe-bce": Answers(
        equivalent=[
            SAFE_BCE + '''    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.where(np.asarray(y) == 1, -np.log(p), -np.log1p(-p))
''',
            SAFE_BCE + '''    p = np.minimum(np.maximum(p, 1e-12), 1 - 1e-12)
    y = np.asarray(y, dtype=float)
    return -y * np.log(p) - (1 - y) * np.log(1 - p)
''',
        ],
        mistakes=[
            Mistake("no clipping: log(0)",
                    SAFE_BCE + "    return -(y * np.log(p) + (1 - y) * np.log(1 - p))\n",
                    r"divide by zero encountered in log|clip p"),
            Mistake("forgets the minus sign",
                    SAFE_BCE + '''    p = np.clip(p, 1e-12, 1 - 1e-12)
    return y * np.log(p) + (1 - y) * np.log(1 - p)
''',
                    r"for y = 1 the loss is -log p"),
            Mistake("swaps the two terms",
                    SAFE_BCE + '''    p = np.clip(p, 1e-12, 1 - 1e-12)
    return -(y * np.log(1 - p) + (1 - y) * np.log(p))
''',
                    r"for y = 1 the loss is -log p"),
            Mistake("returns the cost (the mean) instead of one loss per example",
                    SAFE_BCE + '''    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))
''',
                    r"returned shape \(\), expected shape \(2,\): one loss per example"),
            Mistake("clips only below, so p = 1 still reaches log(1 - p) = log 0",
                    SAFE_BCE + '''    p = np.maximum(p, 1e-12)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))
''',
                    r"divide by zero encountered in log|clip p"),
            Mistake("clips at Keras' 1e-7 instead of 1e-12",
                    SAFE_BCE + '''    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))
''',
                    r"clip p to \[1e-12, 1 - 1e-12\]"),
        ],
    ),
    "ch03-bce-logits": Answers(
        equivalent=[
            BCE_LOGITS + "    return np.logaddexp(0, -z) + (1 - y) * z\n",
            BCE_LOGITS + "    return np.where(y == 1, np.logaddexp(0, -z), np.logaddexp(0, z))\n",
            BCE_LOGITS + '''    import math
    losses = [max(zi, 0.0) - zi * yi + math.log1p(math.exp(-abs(zi)))
              for zi, yi in zip(z.tolist(), y.tolist())]
    return np.array(losses)
''',
            BCE_LOGITS + "    return np.maximum(z, 0) - z * y + np.log(1 + np.exp(-np.abs(z)))\n",
        ],
        mistakes=[
            Mistake("the textbook formula through the sigmoid: exp overflows",
                    BCE_LOGITS + '''    p = 1 / (1 + np.exp(-z))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))
''',
                    r"overflow"),
            Mistake("the textbook formula with a stable sigmoid: log of exactly 0",
                    BCE_LOGITS + '''    p = sigmoid(z)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))
''',
                    r"σ\(z\) rounds to exactly 0 or 1: never form σ\(z\)"),
            Mistake("log(1 + exp(-z)) without the absolute value: right for small z, overflows "
                    "at z = -1000",
                    BCE_LOGITS + "    return np.log1p(np.exp(-z)) + (1 - y) * z\n",
                    r"overflow"),
            Mistake("np.where over the two unstable forms: the unused one still overflows",
                    BCE_LOGITS + '''    return np.where(z >= 0, z * (1 - y) + np.log1p(np.exp(-z)),
                    -z * y + np.log1p(np.exp(z)))
''',
                    r"overflow"),
            Mistake("the absolute value dropped from the stable form",
                    BCE_LOGITS + "    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-z))\n",
                    r"with the absolute value of z"),
            Mistake("the sign of z * y",
                    BCE_LOGITS + "    tail = np.log1p(np.exp(-np.abs(z)))\n"
                    "    return np.maximum(z, 0) + z * y + tail\n",
                    r"for y = 1 the loss is -log σ\(z\)"),
            Mistake("the labels the wrong way round",
                    BCE_LOGITS + "    tail = np.log1p(np.exp(-np.abs(z)))\n"
                    "    return np.maximum(z, 0) - z * (1 - y) + tail\n",
                    r"for y = 1 the loss is -log σ\(z\)"),
            Mistake("forgets max(z, 0)",
                    BCE_LOGITS + "    return -z * y + np.log1p(np.exp(-np.abs(z)))\n",
                    r"never negative"),
            Mistake("returns the cost (the mean) instead of one loss per example",
                    BCE_LOGITS + "    tail = np.log1p(np.exp(-np.abs(z)))\n"
                    "    return np.mean(np.maximum(z, 0) - z * y + tail)\n",
                    r"returned shape \(\), expected shape \(2,\): one loss per example"),
        ],
    ),
}
