"""Chapter 2, Activation functions: equivalent answers and typical mistakes."""

from exercise_answers import Answers, Mistake

SIGMOID = '''def stable_sigmoid(z):
    """Return 1 / (1 + exp(-z)) elementwise, without overflow for large |z|."""
'''
SOFTMAX = '''def stable_softmax(z):
    """Softmax along the last axis, computed as softmax(z - max z)."""
'''
DEAD = '''def count_dead_units(A):
    """Number of columns (units) of A that are 0 for every row (example)."""
'''

ANSWERS = {
    "ch02-sigmoid": Answers(
        equivalent=[
            SIGMOID + "    return 0.5 * (1.0 + np.tanh(np.asarray(z) / 2))  # eq-tanh-sigmoid\n",
            SIGMOID + "    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))\n",
            SIGMOID + '''    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1.0 + e)
    return out
''',
        ],
        mistakes=[
            Mistake("the textbook formula, which overflows for z = -1000",
                    SIGMOID + "    return 1.0 / (1.0 + np.exp(-z))\n",
                    r"overflow"),
            Mistake("np.where over both textbook forms: the unused one still overflows",
                    SIGMOID + '''    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))
''',
                    r"overflow"),
            Mistake("the sign of the exponent",
                    SIGMOID + "    return 1.0 / (1.0 + np.exp(z))\n",
                    r"sign of the exponent"),
            Mistake("the two stable forms swapped",
                    SIGMOID + '''    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))
''',
                    r"sign of the exponent"),
            Mistake("forgets the 1 + in the denominator",
                    SIGMOID + "    return 1.0 / np.exp(-z)\n",
                    r"1 / \(1 \+ 1\)"),
            Mistake("math.exp, which takes one number, not an array",
                    SIGMOID + '''    import math
    return 1.0 / (1.0 + math.exp(-z))
''',
                    r"TypeError: only 0-dimensional arrays|use np\.exp, not math\.exp"),
        ],
    ),
    "ch02-softmax": Answers(
        equivalent=[
            SOFTMAX + '''    z = np.asarray(z, dtype=float)
    return np.exp(z - np.logaddexp.reduce(z, axis=-1, keepdims=True))  # log-sum-exp
''',
            SOFTMAX + '''    def one(row):
        e = np.exp(row - row.max())
        return e / e.sum()
    return np.apply_along_axis(one, -1, np.asarray(z, dtype=float))
''',
        ],
        mistakes=[
            Mistake("no max shift: exp(1000) overflows",
                    SOFTMAX + '''    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
''',
                    r"exp\(1000\) overflows"),
            Mistake("divides by the sum of the whole array",
                    SOFTMAX + '''    e = np.exp(z - np.max(z))
    return e / e.sum()
''',
                    r"one softmax per row"),
            Mistake("sums down the columns (axis=0)",
                    SOFTMAX + '''    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
''',
                    r"axis=-1"),
            Mistake("sums the rows without keepdims, so the sums line up with the columns",
                    SOFTMAX + '''    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1)
''',
                    r"keepdims=True"),
            Mistake("subtracts the largest logit of the whole array",
                    SOFTMAX + '''    e = np.exp(z - z.max())
    return e / e.sum(axis=-1, keepdims=True)
''',
                    r"of each row, not of the whole array"),
            Mistake("subtracts the maximum in place, changing the caller's array",
                    SOFTMAX + '''    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
''',
                    r"changed its input array"),
        ],
    ),
    "ch02-count-dead": Answers(
        equivalent=[
            DEAD + "    return sum(1 for unit in np.asarray(A).T if not unit.any())\n",
            DEAD + "    return int(np.count_nonzero(~np.asarray(A).any(axis=0)))\n",
            DEAD + "    return int((np.asarray(A).max(axis=0) == 0).sum())  # ReLU: A >= 0\n",
        ],
        mistakes=[
            Mistake("looks along the rows (axis=1) instead of the columns",
                    DEAD + "    return int(np.all(A == 0, axis=1).sum())\n",
                    r"use axis=0"),
            Mistake("np.any instead of np.all: a unit that is sometimes 0 counts as dead",
                    DEAD + "    return int(np.any(A == 0, axis=0).sum())\n",
                    r"0 for some examples but not all is alive"),
            Mistake("counts the zero entries, not the units",
                    DEAD + "    return int((A == 0).sum())\n",
                    r"whole column is 0"),
            Mistake("returns the mask of dead units instead of their number",
                    DEAD + "    return np.all(A == 0, axis=0)\n",
                    r"returned shape \(3,\), expected shape \(\)"),
        ],
    ),
}
