"""The gradient-flow explorer (chapter 6): its verdicts checked against the theory of the chapter
(deep sigmoid networks vanish, large weights explode, ReLU with He initialization is healthy,
ReLU with Xavier initialization loses its forward signal, batch normalization and skip
connections carry the gradient back), its measurements against
the package's own diagnostics, every control across its range with no warnings (warnings are
errors in the test suite), the cache and the static twin."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.diagnostics import activation_stats, gradient_norms
from dlbasics.gradflow import (
    ACTIVATIONS,
    FADE_RATIO,
    GROW_RATIO,
    INITS,
    VERDICTS,
    build_network,
    classify_gradients,
    probe_batch,
)
from dlbasics.widgets import Explorer, compute_gradflow, gradflow_explorer, gradflow_twin
from dlbasics.widgets.gradflow import MAX_DEPTH, MIN_DEPTH, N_BINS, GradflowCache


# --- verdicts ---------------------------------------------------------------------------------
@pytest.mark.parametrize("init", ["small", "xavier", "he"])
def test_deep_sigmoid_vanishes(init):
    r = compute_gradflow(depth=15, activation="sigmoid", init=init)
    assert r.verdict == "vanishing"
    assert r.ratio < 1e-6
    assert "VANISHING" in r.message


def test_small_init_vanishes_for_every_activation():
    for activation in ACTIVATIONS:
        r = compute_gradflow(depth=15, activation=activation, init="small")
        assert r.verdict == "vanishing", activation
        if activation == "sigmoid":  # every unit outputs about sigma(0) = 0.5
            assert r.act_std[-1] < 0.05 and np.all(np.abs(r.hist[-1] @ r.edges[:-1] - 0.5) < 0.05)
        else:  # the forward signal dies too
            assert r.act_std[-1] < 1e-6


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_large_init_explodes(activation):
    r = compute_gradflow(depth=15, activation=activation, init="large")
    assert r.verdict == "exploding"
    assert "EXPLODING" in r.message and "clipping" in r.message


def test_large_init_saturates_a_sigmoid_network_instead():
    r = compute_gradflow(depth=15, activation="sigmoid", init="large")
    assert r.verdict == "vanishing"
    xavier = compute_gradflow(depth=15, activation="sigmoid", init="xavier")
    assert np.mean(r.saturated) > 0.1 > np.mean(xavier.saturated)
    assert "saturated" in r.message


@pytest.mark.parametrize("activation, init", [("relu", "he"), ("tanh", "xavier")])
def test_matching_initialization_is_healthy(activation, init):
    for depth in (5, 10, 15, 20):
        r = compute_gradflow(depth=depth, activation=activation, init=init)
        assert r.verdict == "healthy", depth
        assert 1e-2 < r.ratio < 1e2
        assert "HEALTHY" in r.message


@pytest.mark.parametrize("remedy", [dict(batch_norm=True), dict(residual=True),
                                    dict(batch_norm=True, residual=True)])
def test_batch_norm_and_skip_connections_raise_the_first_layers_gradient(remedy):
    plain = compute_gradflow(depth=15, activation="sigmoid", init="xavier")
    helped = compute_gradflow(depth=15, activation="sigmoid", init="xavier", **remedy)
    assert helped.grad_norms[0] > 1e6 * plain.grad_norms[0]
    assert helped.verdict == "healthy"


def test_batch_norm_tames_large_weights():
    assert compute_gradflow(depth=15, activation="relu", init="large",
                            batch_norm=True).verdict == "healthy"


def test_shallow_networks_are_healthy_unless_tiny_weights_shrink_the_signal():
    for activation in ACTIVATIONS:
        for init in INITS:
            r = compute_gradflow(depth=2, activation=activation, init=init)
            if init == "small" and activation != "sigmoid":  # x 0.06 in one layer
                assert r.verdict == "signal fades", activation
                assert r.signal_ratio < FADE_RATIO and 1e-2 < r.ratio < 1e2
            else:
                assert r.verdict == "healthy", (activation, init)


@pytest.mark.parametrize("depth", [10, 15, 20])
def test_relu_with_xavier_weights_is_not_healthy(depth):
    """Even gradients, but a forward signal that halves its variance in every layer (He et al.
    2015): the verdict says so, and He initialization at the same depth is healthy."""
    r = compute_gradflow(depth=depth, activation="relu", init="xavier")
    assert 1e-2 < r.ratio < 1e2  # the backward test alone would pass
    assert r.signal_ratio < FADE_RATIO
    assert r.verdict == "signal fades"
    assert "SIGNAL FADES" in r.message and "He initialization" in r.message
    he = compute_gradflow(depth=depth, activation="relu", init="he")
    assert he.verdict == "healthy" and he.signal_ratio > 0.3
    assert compute_gradflow(depth=depth, activation="relu", init="xavier",
                            batch_norm=True).verdict == "healthy"


def test_the_forward_signal_is_what_the_next_layer_sees():
    """Without skip connections the signal is the activations; with them it is x + F(x), which
    tiny weights leave intact although every block's own activations are tiny."""
    plain = compute_gradflow(depth=12, activation="tanh", init="he")
    np.testing.assert_array_equal(plain.signal_std, plain.act_std)
    skip = compute_gradflow(depth=12, activation="tanh", init="small", residual=True)
    assert skip.act_std[-1] < 0.1 * skip.act_std[0]  # each block adds almost nothing …
    assert 0.5 < skip.signal_ratio < 2 and skip.verdict == "healthy"  # … to an intact signal
    X, _ = probe_batch()
    net = build_network(12, "tanh", "small", residual=True)
    _, trace = net.forward(X, training=True, trace=True)
    blocks = [t.output for t in trace if t.kind == "residual"]
    np.testing.assert_allclose(skip.signal_std[1:], [np.std(b) for b in blocks], rtol=1e-12)


def test_all_positive_sigmoid_outputs_pile_up_through_skip_connections():
    r = compute_gradflow(depth=20, activation="sigmoid", init="small", residual=True)
    assert r.signal_ratio > GROW_RATIO and r.verdict == "signal grows"
    assert "pile up" in r.message and "batch normalization" in r.message
    assert compute_gradflow(depth=20, activation="sigmoid", init="small", residual=True,
                            batch_norm=True).verdict == "healthy"


def test_advice_names_only_remedies_not_yet_in_use():
    sigmoid = compute_gradflow(depth=15, activation="sigmoid", init="xavier")
    assert "No initialization removes" in sigmoid.message and "ReLU" in sigmoid.message
    small = compute_gradflow(depth=15, activation="tanh", init="small")
    assert "Weights this small" in small.message and "Xavier" in small.message
    skip = compute_gradflow(depth=20, activation="relu", init="he", residual=True)
    assert skip.verdict == "exploding"
    assert "skip connection adds" in skip.message and "batch normalization" in skip.message
    assert "matched to the activation" not in skip.message  # He is already the matched one
    saturated = compute_gradflow(depth=20, activation="sigmoid", init="xavier", residual=True)
    assert saturated.verdict == "healthy" and "many outputs are saturated" in saturated.message
    relu = compute_gradflow(depth=15, activation="relu", init="he")
    assert "within a factor of 100" in relu.message and "saturated" not in relu.message


def test_classify_gradients_thresholds():
    w = np.ones(4)
    assert classify_gradients(np.array([1.0, 1.0, 1.0, 1.0]), w) == ("healthy", 1.0)
    assert classify_gradients(np.array([1e-3, 1e-1, 1.0, 1.0]), w)[0] == "vanishing"
    assert classify_gradients(np.array([1e3, 1e2, 1.0, 1.0]), w)[0] == "exploding"
    assert classify_gradients(np.array([1e-9, 1e-9, 1e-9, 1.0]), w)[0] == "vanishing"
    assert classify_gradients(np.array([500.0, 500.0, 500.0, 1.0]), w)[0] == "exploding"
    assert classify_gradients(np.array([np.inf, 1.0, 1.0, 1.0]), w)[0] == "exploding"
    even = np.array([1.0, 1.0, 1.0, 1.0])
    assert classify_gradients(even, w, np.array([1.0, 0.5, 0.2])) == ("healthy", 1.0)
    assert classify_gradients(even, w, np.array([1.0, 0.5, 0.09]))[0] == "signal fades"
    assert classify_gradients(even, w, np.array([1.0, 5.0, 11.0]))[0] == "signal grows"
    assert classify_gradients(even, w, np.array([0.0, 0.0, 0.0]))[0] == "healthy"
    # the backward tests come first
    assert classify_gradients(np.array([1e-3, 1e-1, 1.0, 1.0]), w,
                              np.array([1.0, 1e-3, 1e-6]))[0] == "vanishing"


# --- measurements -----------------------------------------------------------------------------
def test_norms_and_statistics_match_the_package_diagnostics():
    X, Y = probe_batch()
    net = build_network(12, "tanh", "xavier")
    out, trace = net.forward(X, training=True, trace=True)
    net.backward(2 * (out - Y) / len(X))
    r = compute_gradflow(depth=12, activation="tanh", init="xavier")
    np.testing.assert_allclose(r.grad_norms, list(gradient_norms(net).values()), rtol=1e-12)
    stats = activation_stats(trace)
    assert len(stats) == r.depth
    np.testing.assert_allclose(r.act_std, [s["std"] for s in stats], rtol=1e-12)
    np.testing.assert_allclose(r.saturated, [s["saturated"] for s in stats], atol=1e-12)


def test_shapes_and_histograms():
    for residual in (False, True):
        r = compute_gradflow(depth=9, activation="relu", init="he", residual=residual)
        assert r.grad_norms.shape == r.weight_norms.shape == (10,)
        assert r.act_std.shape == r.saturated.shape == (9,)
        assert r.hist.shape == (9, N_BINS)
        np.testing.assert_allclose(r.hist.sum(axis=1), 1.0)  # every output lands in a bin


def test_depth_is_clipped_and_results_are_cached():
    assert compute_gradflow(depth=1).depth == MIN_DEPTH
    assert compute_gradflow(depth=99).depth == MAX_DEPTH
    cache = GradflowCache()
    first = compute_gradflow(depth=6, cache=cache)
    again = compute_gradflow(depth=6, cache=cache)
    assert again is first and cache.n_builds == 1


def test_same_settings_give_the_same_numbers():
    a = compute_gradflow(depth=10, activation="relu", init="he")
    b = compute_gradflow(depth=10, activation="relu", init="he")
    np.testing.assert_array_equal(a.grad_norms, b.grad_norms)


def test_unknown_names_are_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="activation must be one of"):
        build_network(3, "softsign", "he")
    with pytest.raises(ValueError, match="init must be one of"):
        build_network(3, "relu", "kaiming")


# --- the explorer -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return gradflow_explorer()


def _check_drawn(explorer: Explorer, r) -> None:
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert r.verdict in VERDICTS
    assert r.verdict.upper() in explorer.view.ax.title.get_text()
    assert r.verdict.upper() in explorer.message.value
    assert np.all(np.isfinite(explorer.view.grad_line.get_ydata()))


def test_depth_across_its_whole_range(explorer):
    slider = explorer.controls["depth"]
    for depth in range(slider.min, slider.max + 1):
        r = explorer.set(depth=depth)
        assert r.depth == depth and len(explorer.view.grad_line.get_xdata()) == depth + 1
        _check_drawn(explorer, r)
    explorer.set(depth=15)


@pytest.mark.parametrize("control", ["activation", "init", "batch_norm", "residual"])
def test_every_menu_entry_in_every_combination(explorer, control):
    options = [o[1] if isinstance(o, tuple) else o for o in explorer.controls[control].options]
    for depth in (MIN_DEPTH, MAX_DEPTH):
        for value in options:
            for activation in ACTIVATIONS:
                r = explorer.set(**{control: value, "activation": activation, "depth": depth})
                _check_drawn(explorer, r)
    explorer.set(depth=15, activation="sigmoid", init="xavier", batch_norm=False,
                 residual=False)


def test_explorer_cache_counts_builds():
    e = gradflow_explorer(depth=4)
    built = e.cache.n_builds
    e.set(depth=5)
    e.set(depth=4)
    assert e.cache.n_builds == built + 1


# --- the static twin --------------------------------------------------------------------------
def test_static_twin_is_offline_and_has_a_frame_per_initialization():
    html = gradflow_twin().data
    assert "http" not in html.replace("http://www.w3.org", "")
    assert html.count('] = "data:image/png;base64') == len(INITS)
    assert "gradient norm of every layer" in html


def test_static_twin_over_depth():
    html = gradflow_twin(sweep="depth", values=[2, 10, 20], activation="sigmoid").data
    assert html.count('] = "data:image/png;base64') == 3
