"""Chapter 8, putting it together: equivalent answers and typical mistakes."""

from exercise_answers import Answers, Mistake

CONFUSION_HEAD = '''\
def my_confusion_matrix(y_true, y_pred, n_classes):
    # Count how often true class j (row) was predicted as class k (column).
'''

PER_CLASS_HEAD = '''\
def per_class_accuracy(cm):
    # For each class (row): correct predictions / examples of that class.
'''

STANDARDIZE_HEAD = '''\
def standardize(X_train, X):
    # Standardize X with the column means and standard deviations of X_train.
'''

ANSWERS = {
    "ch08-confusion": Answers(
        equivalent=[
            CONFUSION_HEAD + '''\
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts
''',
            # each cell numbered row by row, n_classes * j + k, then counted
            CONFUSION_HEAD + '''\
    cells = n_classes * np.asarray(y_true) + np.asarray(y_pred)
    return np.bincount(cells, minlength=n_classes ** 2).reshape(n_classes, n_classes)
''',
            # one comparison per cell, counts as floats
            CONFUSION_HEAD + '''\
    return np.array([[np.sum((y_true == j) & (y_pred == k)) for k in range(n_classes)]
                     for j in range(n_classes)], dtype=float)
''',
        ],
        mistakes=[
            Mistake("rows are the predicted class (transposed)",
                    CONFUSION_HEAD + '''\
    counts = np.zeros((n_classes, n_classes), dtype=int)
    for true, pred in zip(y_true, y_pred):
        counts[pred, true] += 1
    return counts
''',
                    r"rows are the true class, columns the predicted one"),
            Mistake("fancy-index +=, which counts a repeated pair once",
                    CONFUSION_HEAD + '''\
    counts = np.zeros((n_classes, n_classes), dtype=int)
    counts[y_true, y_pred] += 1
    return counts
''',
                    r"count every example: two 0s predicted as 1"),
            Mistake("marks a pair with 1 instead of counting it",
                    CONFUSION_HEAD + '''\
    counts = np.zeros((n_classes, n_classes), dtype=int)
    for true, pred in zip(y_true, y_pred):
        counts[true, pred] = 1
    return counts
''',
                    r"count every example"),
            Mistake("sizes the matrix from the largest label, not n_classes",
                    CONFUSION_HEAD + '''\
    size = max(y_true.max(), y_pred.max()) + 1
    counts = np.zeros((size, size), dtype=int)
    for true, pred in zip(y_true, y_pred):
        counts[true, pred] += 1
    return counts
''',
                    r"expected shape \(4, 4\): the shape is \(n_classes, n_classes\)"),
        ],
    ),
    "ch08-per-class": Answers(
        equivalent=[
            PER_CLASS_HEAD + '''\
    return np.array([row[j] / sum(row) for j, row in enumerate(cm.tolist())])
''',
            PER_CLASS_HEAD + '''\
    cm = np.asarray(cm)
    return np.einsum("jj->j", cm) / np.sum(cm, axis=1, keepdims=True)[:, 0]
''',
        ],
        mistakes=[
            Mistake("integer division",
                    PER_CLASS_HEAD + '''\
    return np.diag(cm) // cm.sum(axis=1)
''',
                    r"integer division // gives 0"),
            Mistake("the overall accuracy instead of one value per class",
                    PER_CLASS_HEAD + '''\
    return np.trace(cm) / cm.sum()
''',
                    r"returned shape \(\), expected shape \(2,\): one fraction per class"),
            Mistake("divides by the number of all examples",
                    PER_CLASS_HEAD + '''\
    return np.diag(cm) / cm.sum()
''',
                    r"each class has 3 \+ 1 = 4 examples"),
            Mistake("divides by the column sums (the precision)",
                    PER_CLASS_HEAD + '''\
    return np.diag(cm) / cm.sum(axis=0)
''',
                    r"divide the diagonal by the row sums .*not the columns"),
        ],
    ),
    "ch08-standardize": Answers(
        equivalent=[
            # the package's Standardizer
            STANDARDIZE_HEAD + '''\
    return Standardizer().fit(X_train).transform(np.asarray(X, dtype=float))
''',
            # the standard deviation written out, constant columns found by their spread
            STANDARDIZE_HEAD + '''\
    mu = X_train.mean(axis=0)
    sigma = np.sqrt(((X_train - mu) ** 2).mean(axis=0))
    sigma[X_train.max(axis=0) == X_train.min(axis=0)] = 1.0
    return (X - mu) / sigma
''',
        ],
        mistakes=[
            Mistake("the statistics of X instead of X_train (leaks the other set)",
                    STANDARDIZE_HEAD + '''\
    mean, std = X.mean(axis=0), X.std(axis=0)
    return (X - mean) / np.where(std > 0, std, 1.0)
''',
                    r"another set is standardized with the mean and standard deviation of "
                    r"X_train"),
            Mistake("the sample standard deviation (ddof=1)",
                    STANDARDIZE_HEAD + '''\
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    return (X - mean) / np.where(std > 0, std, 1.0)
''',
                    r"population standard deviation \(dividing by n"),
            Mistake("the statistics of each row (axis=1)",
                    STANDARDIZE_HEAD + '''\
    mean, std = X_train.mean(axis=1, keepdims=True), X_train.std(axis=1, keepdims=True)
    return (X - mean) / np.where(std > 0, std, 1.0)
''',
                    r"each column's mean \(axis=0\)"),
            Mistake("one mean and standard deviation over the whole array",
                    STANDARDIZE_HEAD + '''\
    return (X - X_train.mean()) / X_train.std()
''',
                    r"each column's mean \(axis=0\)"),
            Mistake("no guard for a constant column (division by 0)",
                    STANDARDIZE_HEAD + '''\
    return (X - X_train.mean(axis=0)) / X_train.std(axis=0)
''',
                    r"a column constant in X_train .* divide it by 1"),
            Mistake("adds a small epsilon to the standard deviation",
                    STANDARDIZE_HEAD + '''\
    return (X - X_train.mean(axis=0)) / (X_train.std(axis=0) + 1e-8)
''',
                    r"a column constant in X_train .* divide it by 1"),
            Mistake("sets a constant column to 0 instead of centring it",
                    STANDARDIZE_HEAD + '''\
    std = X_train.std(axis=0)
    out = (X - X_train.mean(axis=0)) / np.where(std > 0, std, 1.0)
    out[:, std == 0] = 0.0
    return out
''',
                    r"is only centred"),
            Mistake("standardizes X in place",
                    STANDARDIZE_HEAD + '''\
    std = X_train.std(axis=0)
    X -= X_train.mean(axis=0)
    X /= np.where(std > 0, std, 1.0)
    return X
''',
                    r"changed its input array"),
        ],
    ),
}
