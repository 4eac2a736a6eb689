"""Chapter 4 (backpropagation): equivalent answers and typical mistakes."""

from exercise_answers import Answers, Mistake

# -- neuron_backward ---------------------------------------------------------------------------

NEURON_HEAD = '''def neuron_backward(x, a, y):
    """Return [dL/dw_1, ..., dL/dw_n, dL/db] for L = (a - y)**2,
    where a = sigmoid(w.x + b)."""
'''


def neuron(body: str) -> str:
    return NEURON_HEAD + body


NEURON = Answers(
    equivalent=[
        neuron("""\
    grads = []
    dL_da = 2 * (a - y)
    dL_dz = dL_da * a * (1 - a)
    for x_i in x:                       # one weight per input
        grads.append(dL_dz * x_i)
    grads.append(dL_dz)                 # and the bias, whose input is always 1
    return np.array(grads)
"""),
        neuron("""\
    x_with_one = np.concatenate([np.asarray(x, dtype=float), [1.0]])  # the bias as a weight
    return 2 * (a - y) * a * (1 - a) * x_with_one
"""),
    ],
    mistakes=[
        Mistake("sigmoid's local gradient forgotten",
                neuron("    dL_dz = 2 * (a - y)\n    return np.append(dL_dz * x, dL_dz)\n"),
                r"a\(1 - a\) = 0\.25"),
        Mistake("sigmoid applied again to a in sigma'",
                neuron("    s = sigmoid(a)\n    dL_dz = 2 * (a - y) * s * (1 - s)\n"
                       "    return np.append(dL_dz * x, dL_dz)\n"),
                r"do not apply the sigmoid again"),
        Mistake("target minus prediction (sign)",
                neuron("    dL_dz = 2 * (y - a) * a * (1 - a)\n"
                       "    return np.append(dL_dz * x, dL_dz)\n"),
                r"prediction minus target"),
        Mistake("factor 2 of the square forgotten",
                neuron("    dL_dz = (a - y) * a * (1 - a)\n"
                       "    return np.append(dL_dz * x, dL_dz)\n"),
                r"dL/da = 2\(a - y\)"),
        Mistake("bias gradient first",
                neuron("    dL_dz = 2 * (a - y) * a * (1 - a)\n"
                       "    return np.append(dL_dz, dL_dz * x)\n"),
                r"put the bias gradient last"),
        Mistake("two inputs hard-coded",
                neuron("    dL_dz = 2 * (a - y) * a * (1 - a)\n"
                       "    return np.array([dL_dz * x[0], dL_dz * x[1], dL_dz])\n"),
                r"any number of inputs"),
    ],
)

# -- dense_backward ----------------------------------------------------------------------------

DENSE_HEAD = '''def dense_backward(X, delta):
    """dJ/dW (first n_in rows) stacked on dJ/db (last row), for Z = X W + b."""
'''


def dense(body: str) -> str:
    return DENSE_HEAD + body


DENSE = Answers(
    equivalent=[
        dense("""\
    n, n_in = X.shape
    grad = np.zeros((n_in + 1, delta.shape[1]))
    for i in range(n):                           # one example at a time: the branch rule adds
        grad[:n_in] += np.outer(X[i], delta[i])
        grad[n_in] += delta[i]
    return grad
"""),
        dense("""\
    X_one = np.hstack([X, np.ones((len(X), 1))])  # the bias as a weight on an input of 1
    return np.einsum("ij,ik->jk", X_one, delta)
"""),
    ],
    mistakes=[
        Mistake("bias gradient summed over the units (axis=1)",
                dense("    return np.vstack([X.T @ delta, delta.sum(axis=1)])\n"),
                r"summed over\s+the examples \(axis=0\)"),
        Mistake("mean instead of sum for the bias",
                dense("    return np.vstack([X.T @ delta, delta.mean(axis=0)])\n"),
                r"a sum and not a mean"),
        Mistake("transposed weight gradient (delta.T @ X)",
                dense("    return np.vstack([delta.T @ X, delta.sum(axis=0)])\n"),
                r"X\.T @ delta, shaped \(n_in, n_out\) like W"),
        Mistake("bias row left out",
                dense("    return X.T @ delta\n"),
                r"under it one bias row"),
    ],
)

# -- central_difference ------------------------------------------------------------------------

CENTRAL_HEAD = '''def central_difference(f, x, h=1e-5):
    """Numerical gradient of the scalar function f at x, entry by entry:
    (f(x + h e_i) - f(x - h e_i)) / 2h."""
'''


def central(body: str) -> str:
    return CENTRAL_HEAD + body


CENTRAL = Answers(
    equivalent=[
        central("""\
    x = np.array(x, dtype=float)
    grad = np.zeros(x.size)
    flat = x.reshape(-1)                      # a view: writing to it changes x
    for i in range(x.size):
        old = flat[i]
        flat[i] = old + h
        up = f(x)
        flat[i] = old - h
        down = f(x)
        flat[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad.reshape(x.shape)
"""),
        central("""\
    x = np.asarray(x, dtype=float)
    grad = np.empty(x.shape)
    for i in range(x.size):                   # basis vectors: x itself is never written to
        e = np.zeros(x.size)
        e[i] = h
        e = e.reshape(x.shape)
        grad.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad
"""),
    ],
    mistakes=[
        Mistake("divides by h instead of 2h",
                central("""\
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / h
    return grad
"""), r"by 2h.*not by h"),
        Mistake("one-sided difference",
                central("""\
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    base = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - base) / h
        x[i] = old
    return grad
"""), r"one-sided difference"),
        Mistake("one-sided difference with h fixed at 1e-5 (the argument h ignored)",
                central("""\
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + 1e-5
        up = f(x)
        x[i] = old
        grad[i] = (up - f(x)) / 1e-5
    return grad
"""), r"one-sided difference"),
        Mistake("x[i] not put back (on a copy)",
                central("""\
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        grad[i] = (up - down) / (2 * h)
    return grad
"""), r"put x\[i\] back after nudging it"),
        Mistake("caller's x modified (no copy, not put back)",
                central("""\
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        grad[i] = (up - down) / (2 * h)
    return grad
"""), r"changed its input array"),
        Mistake("1-D only (range(len(x)))",
                central("""\
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad
"""), r"any shape.*np\.ndindex"),
        Mistake("integer input not turned into floats",
                central("""\
    x = x.copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad
"""), r"float copy"),
        Mistake("all entries nudged at once",
                central("""\
    x = np.array(x, dtype=float)
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))
"""), r"nudge one entry at a time"),
    ],
)

# -- linear_backward (find the bug) ------------------------------------------------------------

LINEAR_HEAD = '''def linear_backward(X, Y, W, b):
    """Return (dJ/dW, dJ/db) for Y_hat = X @ W + b and the cost
    J = mean over the examples of sum((Y_hat - Y)**2)."""
'''


def linear(body: str) -> str:
    return LINEAR_HEAD + body


LINEAR = Answers(
    equivalent=[
        linear("""\
    r = X @ W + b - Y                          # residuals, prediction minus target
    return 2 * X.T @ r / len(X), 2 * r.mean(axis=0)
"""),
        linear("""\
    n = len(X)
    dW, db = np.zeros_like(W, dtype=float), np.zeros_like(b, dtype=float)
    for x_i, y_i in zip(X, Y):                 # one example at a time, then the mean
        r_i = x_i @ W + b - y_i
        dW += 2 * np.outer(x_i, r_i) / n
        db += 2 * r_i / n
    return dW, db
"""),
    ],
    mistakes=[
        Mistake("both bugs left (the buggy code)",
                linear("""\
    n = X.shape[0]
    Y_hat = X @ W + b
    return 2 * X.T @ (Y - Y_hat) / n, 2 * (Y_hat - Y).sum(axis=0)
"""), r"wrong sign: use prediction minus target"),
        Mistake("sign fixed, 1/n of db still missing",
                linear("""\
    n = X.shape[0]
    Y_hat = X @ W + b
    return 2 * X.T @ (Y_hat - Y) / n, 2 * (Y_hat - Y).sum(axis=0)
"""), r"db should match.*n = 4, the 1/n of the\s+mean cost is missing"),
        Mistake("1/n fixed in db but dropped from dW",
                linear("""\
    n = X.shape[0]
    Y_hat = X @ W + b
    return 2 * X.T @ (Y_hat - Y), 2 * (Y_hat - Y).sum(axis=0) / n
"""), r"dW should match.*n = 4, the 1/n"),
        Mistake("factor 2 of the square forgotten",
                linear("""\
    delta = (X @ W + b - Y) / X.shape[0]
    return X.T @ delta, delta.sum(axis=0)
"""), r"0\.5, the 2 of the square's derivative"),
        Mistake("n hard-coded to 4",
                linear("""\
    delta = 2 * (X @ W + b - Y) / 4
    return X.T @ delta, delta.sum(axis=0)
"""), r"any batch size"),
        Mistake("db summed over the outputs (axis=1)",
                linear("""\
    delta = 2 * (X @ W + b - Y) / X.shape[0]
    return X.T @ delta, delta.sum(axis=1)
"""), r"shape of b \(sum\s+over the examples, axis=0\)"),
    ],
)

# -- two_layer_grads (build and train) ---------------------------------------------------------

TWO_LAYER_HEAD = '''def two_layer_grads(X, Y, W1, b1, W2, b2):
    """Gradients of the cost J of a two-layer network with tanh hidden units
    and a sigmoid output.

    Forward: H = tanh(X @ W1 + b1), A = sigmoid(H @ W2 + b2), and J is the
    mean over the n examples of the binary cross-entropy
    -(Y log A + (1 - Y) log(1 - A)).
    Shapes: X (n, n_in), Y (n, 1) of 0s and 1s, W1 (n_in, m), b1 (m,),
    W2 (m, 1), b2 (1,).
    Returns the tuple (dW1, db1, dW2, db2) of dJ/dW1, dJ/db1, dJ/dW2, dJ/db2,
    each shaped like its parameter.
    """
'''

# The reference, with one line replaced by a mistake.
TWO_LAYER_BODY = """\
    n = X.shape[0]
    H = np.tanh(X @ W1 + b1)
    A = sigmoid(H @ W2 + b2)
    delta2 = (A - Y) / n
    dW2, db2 = H.T @ delta2, delta2.sum(axis=0)
    delta1 = (delta2 @ W2.T) * (1 - H**2)
    dW1, db1 = X.T @ delta1, delta1.sum(axis=0)
    return dW1, db1, dW2, db2
"""


def two_layer(old: str = "", new: str = "") -> str:
    assert not old or TWO_LAYER_BODY.count(old) == 1, old
    return TWO_LAYER_HEAD + TWO_LAYER_BODY.replace(old, new)


TWO_LAYER = Answers(
    equivalent=[
        TWO_LAYER_HEAD + """\
    Z1 = X @ W1 + b1
    H = np.tanh(Z1)
    Z2 = H @ W2 + b2
    A = 1 / (1 + np.exp(-Z2))
    dA = (A - Y) / (A * (1 - A)) / len(X)      # the long way: dJ/dA, then the sigmoid's a(1 - a)
    dZ2 = dA * A * (1 - A)
    dZ1 = np.einsum("nk,jk->nj", dZ2, W2) / np.cosh(Z1) ** 2   # tanh'(z) = 1 / cosh(z)**2
    return (np.einsum("ni,nj->ij", X, dZ1), np.einsum("nj->j", dZ1),
            np.einsum("nj,nk->jk", H, dZ2), np.einsum("nk->k", dZ2))
""",
        TWO_LAYER_HEAD + """\
    n = len(X)
    grads = [np.zeros_like(p, dtype=float) for p in (W1, b1, W2, b2)]
    for x, y in zip(X, Y):                      # one example at a time, as on paper
        h = np.tanh(x @ W1 + b1)
        a = sigmoid(h @ W2 + b2)
        d2 = (a - y) / n
        d1 = (W2 @ d2) * (1 - h**2)
        for g, step in zip(grads, (np.outer(x, d1), d1, np.outer(h, d2), d2)):
            g += step
    return tuple(grads)
""",
    ],
    mistakes=[
        Mistake("the 1/n of the mean forgotten",
                two_layer("delta2 = (A - Y) / n", "delta2 = A - Y"),
                r"4 times the checker's, the 1/n is missing"),
        Mistake("sigmoid's a(1 - a) used again with the cross-entropy",
                two_layer("delta2 = (A - Y) / n", "delta2 = (A - Y) * A * (1 - A) / n"),
                r"do not multiply by it again"),
        Mistake("target minus prediction (sign)",
                two_layer("delta2 = (A - Y) / n", "delta2 = (Y - A) / n"),
                r"prediction minus target"),
        Mistake("tanh' written as 1 - h",
                two_layer("(1 - H**2)", "(1 - H)"),
                r"1 - h\*\*2 \(not 1 - h\)"),
        Mistake("tanh' forgotten",
                two_layer("delta1 = (delta2 @ W2.T) * (1 - H**2)", "delta1 = delta2 @ W2.T"),
                r"back through W2 and the tanh"),
        Mistake("db1 summed over the hidden units (axis=1)",
                two_layer("delta1.sum(axis=0)", "delta1.sum(axis=1)"),
                r"db1 = delta1 summed over the examples \(axis=0\)"),
        Mistake("db2 summed over the outputs of each example (axis=1)",
                two_layer("delta2.sum(axis=0)", "delta2.sum(axis=1)"),
                r"sum delta2 over the examples \(axis=0\)"),
        Mistake("transposed dW1 (delta1.T @ X)",
                two_layer("X.T @ delta1", "delta1.T @ X"),
                r"dW1 = X\.T @ delta1, shaped\s+\(2, 3\) like W1"),
        Mistake("pre-activation Z1 used in dW2 instead of H",
                two_layer("dW2, db2 = H.T @ delta2", "dW2, db2 = (X @ W1 + b1).T @ delta2"),
                r"H = tanh\(Z1\) the hidden outputs \(not Z1\)"),
        Mistake("gradients returned in the wrong order",
                two_layer("return dW1, db1, dW2, db2", "return dW2, db2, dW1, db1"),
                r"Return the\s+tuple \(dW1, db1, dW2, db2\), in this order"),
    ],
)

ANSWERS = {
    "ch04-neuron-backward": NEURON,
    "ch04-dense-backward": DENSE,
    "ch04-central-diff": CENTRAL,
    "ch04-find-bug": LINEAR,
    "ch04-two-layer-grads": TWO_LAYER,
}
