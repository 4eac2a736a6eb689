"""Mini-batch gradients on the line fit of chapter 5: their spread around the full gradient, and
the runs of mini-batch gradient descent the batch-size explorer and the chapter show."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.layers import Dense
from dlbasics.minibatch import (
    BATCH_N,
    BATCH_START,
    batch_data,
    example_gradients,
    gradient_spread,
    run_batch_gd,
)
from dlbasics.network import Network
from dlbasics.training import fit


def test_gradient_spread_shrinks_with_the_batch_and_vanishes_for_the_whole_set():
    X, y = batch_data()
    sizes = [1, 4, 16, 64]
    measured, predicted = gradient_spread(X, y, 0.0, 0.0, sizes, draws=2000)
    assert measured[-1] == pytest.approx(0.0, abs=1e-9) and predicted[-1] == 0.0
    assert np.all(np.diff(measured) < 0)
    np.testing.assert_allclose(measured[:-1], predicted[:-1], rtol=0.1)


def test_example_gradients_average_to_the_gradient_of_the_cost():
    X, y = batch_data()
    w, b = BATCH_START
    r = w * X[:, 0] + b - y[:, 0]  # J = mean r², ∂J/∂w = 2 mean(r x), ∂J/∂b = 2 mean(r)
    G = example_gradients(X, y, w, b)
    assert G.shape == (BATCH_N, 2)
    np.testing.assert_allclose(G.mean(axis=0), [2 * np.mean(r * X[:, 0]), 2 * np.mean(r)])


@pytest.mark.parametrize("batch_size", [1, 8, BATCH_N])
def test_run_batch_gd_is_fit_from_the_chapter_start(batch_size):
    X, y = batch_data()
    net = Network([Dense(1, 1, rng=0)])
    net.set_weights([np.array([[BATCH_START[0]]]), np.array([BATCH_START[1]])])
    expected = fit(net, X, y, loss="squared_error", lr=0.02, epochs=3, batch_size=batch_size,
                   rng=5, progress=False)
    h = run_batch_gd(batch_size, lr=0.02, epochs=3, seed=5)
    assert h.step_cost == expected.step_cost and h.cost == expected.cost
    assert len(h.step_cost) == 3 * -(-BATCH_N // batch_size)
