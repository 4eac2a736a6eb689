"""Chapter 1, Neurons and networks: equivalent answers and typical mistakes."""

from exercise_answers import Answers, Mistake

WEIGHTED_SUM = '''def my_weighted_sum(x, w, b):
    """z = w1*x1 + w2*x2 + ... + wd*xd + b for one example x."""
'''
COUNT = '''def count_parameters(sizes):
    """Weights and biases of a dense network with the given layer widths."""
'''
DENSE = '''def dense_forward(X, W, b):
    """Z = X W + b for a batch: X (n, n_in), W (n_in, n_out), b (n_out,)."""
'''
TWO_LAYER = '''def two_layer_forward(X, W1, b1, W2, b2):
    """Output of a dense network with one hidden layer, the step after both."""
'''

ANSWERS = {
    "ch01-weighted-sum": Answers(
        equivalent=[
            WEIGHTED_SUM + '''    z = b
    for i in range(len(x)):
        z += w[i] * x[i]
    return z
''',
            WEIGHTED_SUM + "    return np.sum(np.multiply(x, w)) + b\n",
        ],
        mistakes=[
            Mistake("forgets the bias",
                    WEIGHTED_SUM + "    return sum(wi * xi for wi, xi in zip(w, x))\n",
                    r"add the bias once"),
            Mistake("adds the bias to every product",
                    WEIGHTED_SUM + "    return sum(wi * xi + b for wi, xi in zip(w, x))\n",
                    r"add the bias once"),
            Mistake("multiplies the sum of the weights by the sum of the inputs",
                    WEIGHTED_SUM + "    return sum(w) * sum(x) + b\n",
                    r"each input by its own weight"),
            Mistake("stops one input early",
                    WEIGHTED_SUM + '''    z = b
    for i in range(len(x) - 1):
        z += w[i] * x[i]
    return z
''',
                    r"multiply each input"),
            Mistake("returns the products instead of their sum",
                    WEIGHTED_SUM + "    return w * x + b\n",
                    r"returned shape \(3,\), expected shape \(\).*add them up"),
            Mistake("multiplies the input array in place",
                    WEIGHTED_SUM + '''    x *= w
    return x.sum() + b
''',
                    r"changed its input array"),
        ],
    ),
    "ch01-count": Answers(
        equivalent=[
            COUNT + "    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))\n",
            COUNT + '''    total = 0
    for layer in range(1, len(sizes)):
        total += sizes[layer - 1] * sizes[layer]  # weights
        total += sizes[layer]                     # biases
    return total
''',
        ],
        mistakes=[
            Mistake("forgets the biases",
                    COUNT + "    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))\n",
                    r"plus n_out biases"),
            Mistake("counts one bias per input instead of per neuron",
                    COUNT + "    return sum(a * b + a for a, b in zip(sizes[:-1], sizes[1:]))\n",
                    r"n_out biases \(one per neuron"),
            Mistake("gives the input layer biases too",
                    COUNT + "    pairs = zip(sizes[:-1], sizes[1:])\n"
                    "    return sum(a * b for a, b in pairs) + sum(sizes)\n",
                    r"the inputs have none"),
            Mistake("skips the last layer",
                    COUNT + "    return sum(sizes[i] * sizes[i + 1] + sizes[i + 1] "
                    "for i in range(len(sizes) - 2))\n",
                    r"every pair of neighbouring widths"),
        ],
    ),
    "ch01-dense-forward": Answers(
        equivalent=[
            DENSE + "    return np.einsum('ni,io->no', X, W) + b[np.newaxis, :]\n",
            DENSE + "    return (W.T @ X.T).T + b  # the column convention, transposed back\n",
            DENSE + '''    Z = np.empty((X.shape[0], W.shape[1]))
    for i in range(X.shape[0]):          # each example
        for k in range(W.shape[1]):      # each neuron
            Z[i, k] = np.dot(X[i], W[:, k]) + b[k]
    return Z
''',
        ],
        mistakes=[
            Mistake("multiplies in the wrong order, W X",
                    DENSE + "    return W @ X + b\n",
                    r"W @ X"),
            Mistake("uses the transposed weight matrix",
                    DENSE + "    return X @ W.T + b\n",
                    r"X @ W\.T"),
            Mistake("multiplies entry by entry",
                    DENSE + "    return X * W + b\n",
                    r"the matrix product \(not X \* W\)"),
            Mistake("returns Z transposed (one column per example)",
                    DENSE + "    return W.T @ X.T + b[:, None]\n",
                    r"transposed Z"),
            Mistake("forgets the bias",
                    DENSE + "    return X @ W\n",
                    r"every row of Z is b"),
            Mistake("adds the bias as a column, along the wrong axis",
                    DENSE + "    return X @ W + b.reshape(-1, 1)\n",
                    r"b\[:, None\] adds b\[i\] to row i"),
        ],
    ),
    "ch01-two-layer": Answers(
        equivalent=[
            TWO_LAYER + '''    H = np.heaviside(X @ W1 + b1, 1.0)  # heaviside(0, 1.0) = 1: the step
    return np.heaviside(H @ W2 + b2, 1.0)
''',
            TWO_LAYER + '''    def dense_forward(X, W, b):
        return X @ W + b

    def step(Z):
        return np.where(Z >= 0, 1.0, 0.0)

    return step(dense_forward(step(dense_forward(X, W1, b1)), W2, b2))
''',
            TWO_LAYER + '''    H = X @ W1 + b1 >= 0                    # booleans: the step
    return (H.astype(float) @ W2 + b2 >= 0).astype(int)
''',
        ],
        mistakes=[
            Mistake("no step after the hidden layer",
                    TWO_LAYER + '''    H = X @ W1 + b1
    return (H @ W2 + b2 >= 0).astype(float)
''',
                    r"without the hidden step"),
            Mistake("no step after the output layer",
                    TWO_LAYER + '''    H = (X @ W1 + b1 >= 0).astype(float)
    return H @ W2 + b2
''',
                    r"step\(H @ W2 \+ b2\)"),
            Mistake("a sigmoid in place of the step",
                    TWO_LAYER + '''    H = 1 / (1 + np.exp(-(X @ W1 + b1)))
    return 1 / (1 + np.exp(-(H @ W2 + b2)))
''',
                    r"needs the step after both layers"),
            Mistake("the step fires only where z > 0",
                    TWO_LAYER + '''    H = (X @ W1 + b1 > 0).astype(float)
    return (H @ W2 + b2 > 0).astype(float)
''',
                    r"z >= 0, not only where z > 0"),
            Mistake("returns the hidden layer's output",
                    TWO_LAYER + "    return (X @ W1 + b1 >= 0).astype(float)\n",
                    r"returned shape \(4, 2\), expected shape \(4, 1\)"),
            Mistake("flattens the output",
                    TWO_LAYER + '''    H = (X @ W1 + b1 >= 0).astype(float)
    return (H @ W2 + b2 >= 0).astype(float).ravel()
''',
                    r"returned shape \(4,\), expected shape \(4, 1\)"),
            Mistake("forgets the output layer's bias",
                    TWO_LAYER + '''    H = (X @ W1 + b1 >= 0).astype(float)
    return (H @ W2 >= 0).astype(float)
''',
                    r"step\(H @ W2 \+ b2\)"),
        ],
    ),
}
