"""Chapter 5, gradient descent: equivalent answers and typical mistakes."""

from exercise_answers import Answers, Mistake

STEPS_HEAD = '''\
def gd_steps(x, y, lr, w0, tol, max_steps=10_000):
    """Number of gradient-descent updates on J(w) = mean((w x - y)^2) until
    |J'(w)| < tol; -1 if |J'(w)| exceeds 1e12 (divergence), max_steps if not
    reached by then."""
'''


def steps(body: str) -> str:
    return STEPS_HEAD + body


THRESHOLD_HEAD = '''\
def divergence_threshold(x):
    """The learning rate 2 / J'' above which gradient descent on
    mean((w x - y)^2) diverges."""
'''

MOMENTUM_HEAD = '''\
def momentum_step(w, v, grad, lr, mu):
    """One step of gradient descent with momentum: returns (w_new, v_new)."""
'''

ANSWERS = {
    "ch05-steps": Answers(
        equivalent=[
            # a while loop, the slope in closed form from sums computed once
            steps('''\
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    a, b = 2 * np.mean(x * x), 2 * np.mean(x * y)   # J'(w) = a w - b
    w, n = w0, 0
    while abs(a * w - b) >= tol:
        if abs(a * w - b) > 1e12:
            return -1
        if n == max_steps:
            return max_steps
        w -= lr * (a * w - b)
        n += 1
    return n
'''),
            # plain Python lists, no numpy
            steps('''\
    pairs = list(zip(list(x), list(y)))
    w = w0
    for n in range(max_steps + 1):
        slope = 2 * sum((w * xi - yi) * xi for xi, yi in pairs) / len(pairs)
        if abs(slope) < tol:
            return n
        if abs(slope) > 1e12:
            return -1
        if n < max_steps:
            w = w - lr * slope
    return max_steps
'''),
        ],
        mistakes=[
            Mistake(
                "tests divergence on |w| instead of the slope |J'(w)|",
                steps('''\
    w = w0
    for n in range(max_steps + 1):
        slope = 2 * np.mean((w * x - y) * x)
        if abs(slope) < tol:
            return n
        if abs(w) > 1e12:
            return -1
        if n < max_steps:
            w = w - lr * slope
    return max_steps
'''),
                r"returned 30, expected -1: .*test the slope"),
            Mistake(
                "updates before testing, so a start at the minimum counts one update",
                steps('''\
    w = w0
    for n in range(1, max_steps + 1):
        w = w - lr * 2 * np.mean((w * x - y) * x)
        slope = 2 * np.mean((w * x - y) * x)
        if abs(slope) < tol:
            return n
        if abs(slope) > 1e12:
            return -1
    return max_steps
'''),
                r"returned 1, expected 0: .*test \|J'\(w\)\| < tol before updating"),
            Mistake(
                "counts from 0 after updating: one update too few",
                steps('''\
    w = w0
    if abs(2 * np.mean((w * x - y) * x)) < tol:
        return 0
    for n in range(max_steps):
        w = w - lr * 2 * np.mean((w * x - y) * x)
        slope = 2 * np.mean((w * x - y) * x)
        if abs(slope) < tol:
            return n
        if abs(slope) > 1e12:
            return -1
    return max_steps
'''),
                r"returned 0, expected 1: .*0: that update was not counted"),
            Mistake(
                "sums instead of averaging (forgot the 1/n of the mean)",
                steps('''\
    w = w0
    for n in range(max_steps + 1):
        slope = 2 * np.sum((w * x - y) * x)
        if abs(slope) < tol:
            return n
        if abs(slope) > 1e12:
            return -1
        if n < max_steps:
            w = w - lr * slope
    return max_steps
'''),
                r"returned -1, expected 1: .*the update is wrong.*the mean included"),
            Mistake(
                "forgot the 2 of the slope",
                steps('''\
    w = w0
    for n in range(max_steps + 1):
        slope = np.mean((w * x - y) * x)
        if abs(slope) < tol:
            return n
        if abs(slope) > 1e12:
            return -1
        if n < max_steps:
            w = w - lr * slope
    return max_steps
'''),
                r"returned 2\d, expected 1: .*J'\(w\) = 2 \* mean.*the 2 and the mean included"),
            Mistake(
                "steps uphill: w + lr * slope",
                steps('''\
    w = w0
    for n in range(max_steps + 1):
        slope = 2 * np.mean((w * x - y) * x)
        if abs(slope) < tol:
            return n
        if abs(slope) > 1e12:
            return -1
        if n < max_steps:
            w = w + lr * slope
    return max_steps
'''),
                r"returned -1, expected 1: .*w <- w - lr \* J'\(w\)"),
            Mistake(
                "no divergence test: a diverging run ends at max_steps",
                steps('''\
    w = w0
    for n in range(max_steps + 1):
        slope = 2 * np.mean((w * x - y) * x)
        if abs(slope) < tol:
            return n
        if n < max_steps:
            w = w - lr * slope
    return max_steps
'''),
                r"expected -1: .*diverges: return -1 as soon as \|J'\(w\)\| > 1e12"),
            Mistake(
                "returns -1 when max_steps runs out, as if the run diverged",
                steps('''\
    w = w0
    for n in range(max_steps + 1):
        slope = 2 * np.mean((w * x - y) * x)
        if abs(slope) < tol:
            return n
        if abs(slope) > 1e12:
            return -1
        w = w - lr * slope
    return -1
'''),
                r"returned -1, expected 50: .*return max_steps"),
        ],
    ),
    "ch05-threshold": Answers(
        equivalent=[
            THRESHOLD_HEAD + "    return len(x) / (x @ x)\n",
            THRESHOLD_HEAD + "    return 1 / np.mean(np.square(x))\n",
            THRESHOLD_HEAD + '''\
    total = 0.0
    for xi in x:
        total += xi ** 2
    second_derivative = 2 * total / len(x)
    return 2 / second_derivative
''',
        ],
        mistakes=[
            Mistake("forgot the 2 of J'' = 2 mean(x^2)",
                    THRESHOLD_HEAD + "    return 2 / np.mean(x ** 2)\n",
                    r"returned 0.5, expected 0.25: .*the 2 comes from differentiating"),
            Mistake("returns 1 / J'' instead of 2 / J''",
                    THRESHOLD_HEAD + "    return 1 / (2 * np.mean(x ** 2))\n",
                    r"returned 0.125, expected 0.25: .*the threshold is 2 / J''"),
            Mistake("returns the curvature J'' itself",
                    THRESHOLD_HEAD + "    return 2 * np.mean(x ** 2)\n",
                    r"returned 8.0, expected 0.25: .*the threshold is 2 / J''"),
            Mistake("sums the squares instead of averaging them (forgot 1/n)",
                    THRESHOLD_HEAD + "    return 2 / (2 * np.sum(x ** 2))\n",
                    r"returned 0.0625, expected 0.25: .*divide the sum by n"),
            Mistake("squares the mean instead of averaging the squares",
                    THRESHOLD_HEAD + "    return 2 / (2 * np.mean(x) ** 2)\n",
                    r"returned 1.0, expected 0.2: .*mean of the squares, not the square of the"),
        ],
    ),
    "ch05-momentum": Answers(
        equivalent=[
            MOMENTUM_HEAD + '''\
    v_new = [mu * vi + gi for vi, gi in zip(v, grad)]
    w_new = [wi - lr * vi for wi, vi in zip(w, v_new)]
    return np.array(w_new), np.array(v_new)
''',
            # the step expanded: w - lr mu v - lr grad
            MOMENTUM_HEAD + '''\
    w_new = w - lr * mu * v - lr * grad
    return w_new, mu * v + grad
''',
        ],
        mistakes=[
            Mistake("steps with the old velocity",
                    MOMENTUM_HEAD + '''\
    w_new = w - lr * v
    v_new = mu * v + grad
    return w_new, v_new
''',
                    r"the step w - lr \* v_new"),
            Mistake("returns the pair in the wrong order",
                    MOMENTUM_HEAD + '''\
    v_new = mu * v + grad
    return v_new, w - lr * v_new
''',
                    r"return the pair \(w_new, v_new\) in this order"),
            Mistake("the other sign convention for the velocity (v <- mu v - grad)",
                    MOMENTUM_HEAD + '''\
    v_new = mu * v - grad
    return w + lr * v_new, v_new
''',
                    r"the new velocity mu \* v \+ grad is the gradient itself"),
            Mistake("an exponential moving average (1 - mu) grad instead of grad",
                    MOMENTUM_HEAD + '''\
    v_new = mu * v + (1 - mu) * grad
    return w - lr * v_new, v_new
''',
                    r"the new velocity mu \* v \+ grad is the gradient itself"),
            Mistake("forgot mu: v <- v + grad",
                    MOMENTUM_HEAD + '''\
    v_new = v + grad
    return w - lr * v_new, v_new
''',
                    r"the old velocity multiplied by mu"),
            Mistake("updates the input arrays in place",
                    MOMENTUM_HEAD + '''\
    v *= mu
    v += grad
    w -= lr * v
    return w, v
''',
                    r"changed its input array"),
        ],
    ),
}
