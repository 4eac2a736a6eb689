"""End to end: the package actually learns (chapters 1, 5 and 8). Fixed seeds, a few seconds."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.datasets import (
    Standardizer,
    load_digits,
    logic_gate,
    noisy_line,
    train_val_test_split,
)
from dlbasics.metrics import accuracy
from dlbasics.network import mlp
from dlbasics.optim import Adam
from dlbasics.training import fit

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_is_learned_by_a_2_4_1_network(seed):
    X, y = logic_gate("xor")
    net = mlp([2, 4, 1], activation="tanh", output_activation="sigmoid", rng=seed)
    h = fit(net, X, y, loss="binary_cross_entropy", lr=0.5, epochs=2000, batch_size=None,
            rng=seed, progress=False)
    assert accuracy(y, net.predict(X)) == 1.0
    assert h.accuracy[-1] == 1.0 and h.cost[-1] < 0.1 and not h.diverged


def test_xor_with_logits_and_adam():
    X, y = logic_gate("xor")
    net = mlp([2, 4, 1], activation="tanh", rng=0)
    fit(net, X, y, loss="binary_cross_entropy_with_logits", optimizer="adam", lr=0.05,
        epochs=500, batch_size=None, rng=0, progress=False)
    assert accuracy(y, net.predict(X), threshold=0.0) == 1.0


def test_gradient_descent_finds_the_least_squares_line():
    X, y = noisy_line(50, rng=0)
    net = mlp([1, 1], rng=0)
    fit(net, X, y, loss="squared_error", lr=0.05, epochs=3000, batch_size=None, rng=0,
        progress=False)
    A = np.hstack([X, np.ones_like(X)])
    (slope, intercept), *_ = np.linalg.lstsq(A, y[:, 0], rcond=None)
    W, b = (p.value for p in net.parameters())
    np.testing.assert_allclose([W[0, 0], b[0]], [slope, intercept], rtol=1e-6)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    (X_tr, y_tr), _, (X_te, y_te) = train_val_test_split(X, y, val=0.0, test=0.25, rng=0)
    scaler = Standardizer().fit(X_tr)  # training statistics only
    return scaler.transform(X_tr), y_tr, scaler.transform(X_te), y_te


def test_digits_reach_95_percent_test_accuracy_in_20_epochs(digits):
    X_tr, y_tr, X_te, y_te = digits
    net = mlp([64, 64, 10], rng=0)
    h = fit(net, X_tr, y_tr, loss="categorical_cross_entropy_with_logits", lr=0.1, epochs=20,
            batch_size=32, rng=0, progress=False)
    assert h.epochs_run == 20 and h.cost[-1] < h.cost[0]
    assert accuracy(y_te, net.predict(X_te)) >= 0.95


def test_digits_with_adam_and_float32(digits):
    X_tr, y_tr, X_te, y_te = (a.astype(np.float32) if a.dtype.kind == "f" else a for a in digits)
    net = mlp([64, 64, 10], rng=1, dtype=np.float32)
    fit(net, X_tr, y_tr, loss="categorical_cross_entropy_with_logits",
        optimizer=Adam(net.parameters(), lr=5e-3), epochs=10, batch_size=64, rng=1,
        progress=False)
    out = net.predict(X_te)
    assert out.dtype == np.float32 and accuracy(y_te, out) >= 0.95
