"""Chapter 6, vanishing gradients: equivalent answers and typical mistakes."""

from exercise_answers import Answers, Mistake

CHAIN_HEAD = '''\
def sigmoid_chain_gradient(weights, z):
    # dJ/dz_1 of a chain of sigmoid units, eq-chain-product, with dJ/dz_L = 1
'''

CLIP_HEAD = '''\
def clip_by_norm(g, max_norm):
    # g rescaled to norm max_norm if its norm is larger, else as it is (eq-clip)
'''

ANSWERS = {
    "ch06-chain": Answers(
        equivalent=[
            # a loop over the layers, sigma from tanh: sigma(z) = (1 + tanh(z/2)) / 2
            CHAIN_HEAD + '''\
    product = 1.0
    for w, zl in zip(weights, z):
        s = 0.5 * (1 + np.tanh(zl / 2))
        product *= w * s * (1 - s)
    return product
''',
            # the weights and the slopes multiplied separately
            CHAIN_HEAD + '''\
    s = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    return np.prod(weights) * np.prod(s * (1 - s))
''',
        ],
        mistakes=[
            Mistake("multiplies sigma(z) instead of its slope sigma'(z)",
                    CHAIN_HEAD + '''\
    return np.prod(weights / (1 + np.exp(-z)))
''',
                    r"returned 0.5, expected 0.25: .*sigma\(z\) \(1 - sigma\(z\)\).*not sigma\(z\) "
                    r"itself"),
            Mistake("applies the derivative formula to z: z (1 - z)",
                    CHAIN_HEAD + '''\
    return np.prod(weights * z * (1 - z))
''',
                    r"returned 0.0, expected 0.25: .*sigma'\(z\) = sigma\(z\) \(1 - sigma\(z\)\)"),
            Mistake("returns the factors, not their product",
                    CHAIN_HEAD + '''\
    s = 1 / (1 + np.exp(-z))
    return weights * s * (1 - s)
''',
                    r"returned shape \(1,\), expected shape \(\): one layer gives one number"),
            Mistake("forgot the weights",
                    CHAIN_HEAD + '''\
    s = 1 / (1 + np.exp(-z))
    return np.prod(s * (1 - s))
''',
                    r"returned 0.25, expected 0.5: each factor includes its weight"),
            Mistake("adds the factors instead of multiplying them",
                    CHAIN_HEAD + '''\
    s = 1 / (1 + np.exp(-z))
    return np.sum(weights * s * (1 - s))
''',
                    r"expected 3.8147e-06: multiply the factors .*do not add them"),
            Mistake("takes the size of the weights, losing their signs",
                    CHAIN_HEAD + '''\
    s = 1 / (1 + np.exp(-z))
    return np.prod(np.abs(weights) * s * (1 - s))
''',
                    r"keep the signs of the weights"),
        ],
    ),
    "ch06-clip": Answers(
        equivalent=[
            # one factor, min(1, max_norm / norm), guarded against norm 0
            CLIP_HEAD + '''\
    norm = np.sqrt(np.sum(g ** 2))
    factor = 1.0 if norm == 0 else min(1.0, max_norm / norm)
    return g * factor
''',
            # a Python loop over the entries
            CLIP_HEAD + '''\
    norm = sum(float(gi) ** 2 for gi in g) ** 0.5
    if norm <= max_norm:
        return np.array(g, dtype=float)
    return np.array([gi * max_norm / norm for gi in g])
''',
        ],
        mistakes=[
            Mistake("always rescales, even a short gradient",
                    CLIP_HEAD + '''\
    return g * max_norm / np.linalg.norm(g)
''',
                    r"returned \[6\., 8\.\], expected \[3\., 4\.\]: .*return the gradient "
                    r"unchanged"),
            Mistake("clips each entry to [-max_norm, max_norm]",
                    CLIP_HEAD + '''\
    return np.clip(g, -max_norm, max_norm)
''',
                    r"returned \[1\., 1\.\], expected \[0\.6, 0\.8\]: .*clipping each entry "
                    r"would not"),
            Mistake("inverts the factor: norm / max_norm",
                    CLIP_HEAD + '''\
    norm = np.linalg.norm(g)
    return g * (norm / max_norm) if norm > max_norm else g.copy()
''',
                    r"multiply every entry by max_norm / norm = 0.2"),
            Mistake("uses the sum of absolute values as the norm",
                    CLIP_HEAD + '''\
    norm = np.sum(np.abs(g))
    return g * (max_norm / norm) if norm > max_norm else g.copy()
''',
                    r"the norm sqrt\(3\^2 \+ 4\^2\) = 5"),
            Mistake("rescales to norm 1 instead of max_norm",
                    CLIP_HEAD + '''\
    norm = np.linalg.norm(g)
    return g / norm if norm > max_norm else g.copy()
''',
                    r"returned \[-0\.6, +0\.8, +0\. *\], expected \[-3\., +4\., +0\.\]: the "
                    r"result has norm max_norm = 5"),
            Mistake("divides by the norm even when it is 0",
                    CLIP_HEAD + '''\
    norm = np.linalg.norm(g)
    return g / norm * min(norm, max_norm)
''',
                    r"all-zero gradient .*no division"),
            Mistake("rescales g in place",
                    CLIP_HEAD + '''\
    norm = np.linalg.norm(g)
    if norm > max_norm:
        g *= max_norm / norm
    return g
''',
                    r"changed its input array"),
        ],
    ),
}
