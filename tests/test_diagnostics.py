"""Diagnostics: gradient norms per layer, unit health and activation statistics, update
ratios."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.diagnostics import (
    SATURATION,
    UnitHealth,
    activation_stats,
    gradient_norms,
    unit_health,
    update_ratio,
)
from dlbasics.layers import ActivationLayer, Dense, Residual
from dlbasics.losses import get_loss
from dlbasics.network import Network, mlp


def backprop(net, X, y, loss="categorical_cross_entropy_with_logits"):
    loss = get_loss(loss)
    out = net.forward(X, training=True)
    net.backward(loss.cost_grad(out, y))


def test_gradient_norms_are_the_norms_of_each_dense_weight_gradient():
    net = Network(
        [Dense(3, 4, rng=0), ActivationLayer("tanh"), Residual(Dense(4, 4, rng=1)),
         Dense(4, 2, rng=2)]
    )
    X = np.random.default_rng(0).normal(size=(8, 3))
    backprop(net, X, np.arange(8) % 2)
    norms = gradient_norms(net)
    assert list(norms) == ["dense1", "residual1.dense1", "dense2"]
    assert norms["dense1"] == pytest.approx(np.linalg.norm(net.layers[0].W.grad))
    assert norms["residual1.dense1"] == pytest.approx(
        np.linalg.norm(net.layers[2].layers[0].W.grad)
    )
    assert all(isinstance(v, float) and v > 0 for v in norms.values())


def test_deep_sigmoid_gradients_vanish_toward_the_input():
    """Chapter 6: with sigmoid, each layer multiplies the gradient by σ' ≤ 1/4."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 10))
    y = rng.integers(0, 2, 64)
    sigmoid = mlp([10] + [32] * 8 + [2], activation="sigmoid", rng=0)
    backprop(sigmoid, X, y)
    s = list(gradient_norms(sigmoid).values())
    assert s[0] < 1e-3 * s[-2]
    relu = mlp([10] + [32] * 8 + [2], activation="relu", rng=0)
    backprop(relu, X, y)
    r = list(gradient_norms(relu).values())
    assert r[0] > 0.1 * r[-2]  # He-initialized ReLU keeps the gradient alive


def test_unit_health_by_hand():
    a = np.array([[0.0, 0.5, 0.995, 0.0], [0.0, 0.005, 0.2, 0.1]])
    assert unit_health(a, "relu") == UnitHealth(None, 0.25)  # column 0 is 0 for every example
    assert unit_health(a, "sigmoid") == UnitHealth(0.625, None)  # 5 of 8 below 0.01 or above 0.99
    t = np.array([[-0.995, 0.0], [0.5, 0.999]])
    assert unit_health(t, "tanh").saturated == 0.5 and unit_health(t, "tanh").off == 0.5
    assert unit_health(a, "identity") == UnitHealth(None, None)
    assert unit_health(a, "identity").off == 0.0 and unit_health(a, "relu").off == 0.25
    assert set(SATURATION) == {"sigmoid", "tanh"}


def test_activation_stats_by_hand():
    net = Network(
        [ActivationLayer("relu"), ActivationLayer("sigmoid", name="s"), ActivationLayer("tanh")]
    )
    X = np.array([[-1.0, 2.0, 9.0], [-3.0, 4.0, -9.0]])
    _, trace = net.forward(X, trace=True)
    relu, sig, tanh = activation_stats(trace)
    assert relu["name"] == "relu1"
    assert relu["activation"] == "relu"
    assert relu["dead"] == pytest.approx(1 / 3)  # column 0 is zero for both examples
    assert relu["saturated"] is None
    assert relu["mean"] == pytest.approx(np.mean([0, 2, 9, 0, 4, 0]))
    assert relu["std"] == pytest.approx(np.std([0, 2, 9, 0, 4, 0]))
    # sigmoid of [0, 2, 9, 0, 4, 0]: only σ(9) > 0.99
    assert sig["saturated"] == pytest.approx(1 / 6)
    assert sig["dead"] is None
    assert sig["name"] == "s"
    # tanh of those sigmoid outputs (all in (0.5, 1)): none above 0.99
    assert tanh["saturated"] == 0.0


def test_activation_stats_skip_layers_without_an_activation():
    net = mlp([3, 4, 2], activation="tanh", output_activation="softmax", rng=0)
    _, trace = net.forward(np.ones((2, 3)), trace=True)
    stats = activation_stats(trace)
    assert [s["name"] for s in stats] == ["tanh1", "softmax1"]
    assert stats[1]["saturated"] is None
    assert stats[1]["dead"] is None


def test_large_weights_saturate_a_tanh_network():
    X = np.random.default_rng(0).normal(size=(100, 20))
    small = mlp([20, 50, 2], activation="tanh", rng=0)
    large = mlp([20, 50, 2], activation="tanh", rng=0, init="normal")
    large.layers[0].W.value *= 1000  # std 10
    s_small = activation_stats(small.forward(X, trace=True)[1])[0]["saturated"]
    s_large = activation_stats(large.forward(X, trace=True)[1])[0]["saturated"]
    assert s_small < 0.05 < 0.8 < s_large


def test_update_ratio_from_lists_dicts_and_networks():
    before = [np.array([3.0, 4.0]), np.zeros(2), np.zeros(2)]
    after = [np.array([3.0, 4.5]), np.array([0.0, 1.0]), np.zeros(2)]
    ratios = update_ratio(before, after)
    assert ratios == {"0": pytest.approx(0.1), "1": np.inf, "2": 0.0}
    named = update_ratio({"w": before[0]}, {"w": after[0]})
    assert named == {"w": pytest.approx(0.1)}
    assert list(update_ratio(before, after, names=["a", "b", "c"])) == ["a", "b", "c"]

    net = mlp([2, 3, 1], rng=0)
    start = net.get_weights()
    for p in net.parameters():
        p.value += 0.01
    ratios = update_ratio(start, net)
    assert list(ratios) == ["dense1.W", "dense1.b", "dense2.W", "dense2.b"]
    W = start[0]
    assert ratios["dense1.W"] == pytest.approx(0.01 * np.sqrt(W.size) / np.linalg.norm(W))
    assert ratios["dense1.b"] == np.inf


def test_update_ratio_errors():
    with pytest.raises(ValueError, match="before has 2 arrays but after has 1"):
        update_ratio([np.ones(2), np.ones(2)], [np.ones(2)])
    with pytest.raises(ValueError, match=r"'0' has shape \(2,\) before, \(3,\) after"):
        update_ratio([np.ones(2)], [np.ones(3)])
    with pytest.raises(ValueError, match=r"name different parameters: \['a', 'b'\]"):
        update_ratio({"a": np.ones(2)}, {"b": np.ones(2)})
    with pytest.raises(TypeError, match="both as dicts or both as lists"):
        update_ratio({"a": np.ones(2)}, [np.ones(2)])
