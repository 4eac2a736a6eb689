"""Chapter 7, regularization: equivalent answers and typical mistakes."""

from exercise_answers import Answers, Mistake

DROPOUT_HEAD = '''\
def inverted_dropout(a, p, seed):
    """Training-mode inverted dropout: zero each entry with probability p,
    scale the rest by 1/(1-p)."""
'''

GRADIENT_HEAD = '''\
def regularized_gradient(w, grad, l2, l1):
    """Gradient of J + l2/2 * sum(w^2) + l1 * sum(|w|), given grad = dJ/dw."""
'''

EARLY_HEAD = '''\
def early_stopping_epochs(val_costs, patience):
    """(best epoch, stopping epoch or -1) of early stopping on a list of
    validation costs."""
'''

ANSWERS = {
    "ch07-dropout": Answers(
        equivalent=[
            # np.where, with no special case for p = 0 (every number is below 1)
            DROPOUT_HEAD + '''\
    r = np.random.default_rng(seed).random(np.shape(a))
    return np.where(r < 1 - p, a / (1 - p), 0.0)
''',
            # a float mask, scaled first, as the package's layer does
            DROPOUT_HEAD + '''\
    rng = np.random.default_rng(seed)
    mask = (rng.random(a.shape) < 1 - p).astype(float) / (1 - p)
    return a * mask
''',
        ],
        mistakes=[
            Mistake("forgot to scale the kept entries",
                    DROPOUT_HEAD + '''\
    keep = np.random.default_rng(seed).random(a.shape) < 1 - p
    return a * keep
''',
                    r"then divide the kept values by 1 - p"),
            Mistake("keeps the units above p instead of below 1 - p",
                    DROPOUT_HEAD + '''\
    keep = np.random.default_rng(seed).random(a.shape) >= p
    return a * keep / (1 - p)
''',
                    r"is below 1 - p \(not above p\)"),
            Mistake("draws with the legacy global generator np.random.rand",
                    DROPOUT_HEAD + '''\
    np.random.seed(seed)
    keep = np.random.rand(*a.shape) < 1 - p
    return a * keep / (1 - p)
''',
                    r"keep a unit where default_rng\(seed\)\.random\(a\.shape\)"),
            Mistake("keeps with probability p instead of 1 - p",
                    DROPOUT_HEAD + '''\
    keep = np.random.default_rng(seed).random(a.shape) < p
    return a * keep / (1 - p)
''',
                    r"kept, with probability 1 - p"),
            Mistake("scales by 1/p instead of 1/(1 - p)",
                    DROPOUT_HEAD + '''\
    if p == 0:
        return a.copy()
    keep = np.random.default_rng(seed).random(a.shape) < 1 - p
    return a * keep / p
''',
                    r"scales it by 1/\(1 - p\) = 4/3"),
            Mistake("scales by 1/p, dividing by 0 when p = 0",
                    DROPOUT_HEAD + '''\
    keep = np.random.default_rng(seed).random(a.shape) < 1 - p
    return a * keep / p
''',
                    r"returned \[\[inf, inf[\s\S]*nothing is scaled"),
            Mistake("zeroes the dropped entries of the input in place",
                    DROPOUT_HEAD + '''\
    keep = np.random.default_rng(seed).random(a.shape) < 1 - p
    a[~keep] = 0
    a /= 1 - p
    return a
''',
                    r"changed its input array"),
        ],
    ),
    "ch07-gradient": Answers(
        equivalent=[
            # one weight at a time, the derivative of |w| written out
            GRADIENT_HEAD + '''\
    out = []
    for wj, gj in zip(w, grad):
        d_abs = 1.0 if wj > 0 else (-1.0 if wj < 0 else 0.0)
        out.append(gj + l2 * wj + l1 * d_abs)
    return np.array(out)
''',
            # the package's penalty gradients, on a Parameter holding w
            GRADIENT_HEAD + '''\
    from dlbasics.parameter import Parameter

    p = [Parameter("w", np.asarray(w, dtype=float))]
    return grad + l2_penalty_grad(p, l2)[0] + l1_penalty_grad(p, l1)[0]
''',
        ],
        mistakes=[
            Mistake("forgot the data gradient",
                    GRADIENT_HEAD + '''\
    return l2 * w + l1 * np.sign(w)
''',
                    r"with no penalty the gradient is the data gradient"),
            Mistake("kept the 1/2 of the L2 penalty",
                    GRADIENT_HEAD + '''\
    return grad + l2 / 2 * w + l1 * np.sign(w)
''',
                    r"the 1/2 cancels the 2"),
            Mistake("subtracts the L2 term",
                    GRADIENT_HEAD + '''\
    return grad - l2 * w + l1 * np.sign(w)
''',
                    r"the L2 term adds l2 \* w"),
            Mistake("L1 term proportional to w, like L2",
                    GRADIENT_HEAD + '''\
    return grad + l2 * w + l1 * w
''',
                    r"the L1 term adds l1 \* sign\(w\)"),
            Mistake("the derivative of |w| taken as +1 at w = 0",
                    GRADIENT_HEAD + '''\
    return grad + l2 * w + l1 * np.where(w >= 0, 1.0, -1.0)
''',
                    r"at w = 0 take 0 for the derivative of \|w\|"),
            Mistake("the derivative of |w| as w / |w|, which is 0/0 at w = 0",
                    GRADIENT_HEAD + '''\
    return grad + l2 * w + l1 * w / np.abs(w)
''',
                    r"returned \[ ?0\.2, +0\. +, +nan\].*at w = 0 take 0"),
            Mistake("adds the penalties into grad in place",
                    GRADIENT_HEAD + '''\
    grad += l2 * w + l1 * np.sign(w)
    return grad
''',
                    r"changed its input array"),
        ],
    ),
    "ch07-early": Answers(
        equivalent=[
            # the running minimum with numpy; the stop is the first epoch `patience` after it
            EARLY_HEAD + '''\
    costs = np.asarray(val_costs, dtype=float)
    best_so_far = np.minimum.accumulate(costs)
    improved = np.r_[True, costs[1:] < best_so_far[:-1]]
    last_best = np.maximum.accumulate(np.where(improved, np.arange(len(costs)), 0))
    stopped = np.flatnonzero(np.arange(len(costs)) - last_best >= patience)
    if len(stopped) == 0:
        return int(last_best[-1]), -1
    return int(last_best[stopped[0]]), int(stopped[0])
''',
            # the best value instead of its epoch, and a countdown
            EARLY_HEAD + '''\
    best_value, best_epoch, left = val_costs[0], 0, patience
    for epoch, cost in enumerate(val_costs[1:], start=1):
        if cost < best_value:
            best_value, best_epoch, left = cost, epoch, patience
            continue
        left -= 1
        if left == 0:
            return best_epoch, epoch
    return best_epoch, -1
''',
        ],
        mistakes=[
            Mistake("counts epochs from 1",
                    EARLY_HEAD + '''\
    best, wait = 0, 0
    for epoch in range(1, len(val_costs)):
        if val_costs[epoch] < val_costs[best]:
            best, wait = epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best + 1, epoch + 1
    return best + 1, -1
''',
                    r"returned \(3, 5\), expected \(2, 4\): epochs count from 0"),
            Mistake("stops one epoch late (wait > patience)",
                    EARLY_HEAD + '''\
    best, wait = 0, 0
    for epoch in range(1, len(val_costs)):
        if val_costs[epoch] < val_costs[best]:
            best, wait = epoch, 0
        else:
            wait += 1
            if wait > patience:
                return best, epoch
    return best, -1
''',
                    r"returned \(2, 5\), expected \(2, 4\): .*patience 2 stops at epoch 4"),
            Mistake("returns the last epoch instead of -1 when it never stops",
                    EARLY_HEAD + '''\
    best, wait = 0, 0
    for epoch in range(1, len(val_costs)):
        if val_costs[epoch] < val_costs[best]:
            best, wait = epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best, epoch
    return best, len(val_costs) - 1
''',
                    r"never stop, return -1"),
            Mistake("does not reset the count after an improvement",
                    EARLY_HEAD + '''\
    best, wait = 0, 0
    for epoch in range(1, len(val_costs)):
        if val_costs[epoch] < val_costs[best]:
            best = epoch
        else:
            wait += 1
        if wait >= patience:
            return best, epoch
    return best, -1
''',
                    r"an improvement resets the count"),
            Mistake("compares with the previous epoch instead of the best so far",
                    EARLY_HEAD + '''\
    best, wait = 0, 0
    for epoch in range(1, len(val_costs)):
        if val_costs[epoch] < val_costs[epoch - 1]:
            best, wait = epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best, epoch
    return best, -1
''',
                    r"compare with the best cost so far, not with the previous epoch"),
            Mistake("counts an equal cost as an improvement",
                    EARLY_HEAD + '''\
    best, wait = 0, 0
    for epoch in range(1, len(val_costs)):
        if val_costs[epoch] <= val_costs[best]:
            best, wait = epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best, epoch
    return best, -1
''',
                    r"an equal cost is not an improvement"),
            Mistake("takes the best epoch over the whole list, after the stop too",
                    EARLY_HEAD + '''\
    best, wait = 0, 0
    for epoch in range(1, len(val_costs)):
        if val_costs[epoch] < val_costs[best]:
            best, wait = epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return int(np.argmin(val_costs)), epoch
    return best, -1
''',
                    r"best is the lowest cost seen before stopping"),
        ],
    ),
}
