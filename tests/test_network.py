"""The sequential network: whole-network gradient checks, traces, parameters, the mlp builder."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlbasics.gradcheck import check_network
from dlbasics.init import he_normal, xavier_normal
from dlbasics.layers import ActivationLayer, BatchNorm, Dense, Dropout, Residual
from dlbasics.losses import get_loss
from dlbasics.network import LayerTrace, Network, mlp

# float64 relative error between backprop and central differences. Smooth, well-scaled cases
# give 1e-8 or less; saturated tanh units or batch norm over 3 examples reach about 1e-6 from
# the finite differences alone; a wrong backward pass gives 1e-2 or more.
TOL = 1e-5
seeds = st.integers(0, 2**32 - 1)
widths = st.integers(1, 5)


def assert_all_below(errors, tol=TOL):
    assert max(errors.values()) < tol, errors


# --- whole-network gradient checks ----------------------------------------------------------


@given(
    X=hnp.arrays(np.float64, st.tuples(st.integers(1, 5), widths), elements=st.floats(-2, 2)),
    hidden=widths,
    k=st.integers(2, 4),
    seed=seeds,
)
def test_relu_residual_network_with_softmax_cross_entropy(X, hidden, k, seed):
    rng = np.random.default_rng(seed)
    net = Network(
        [
            Dense(X.shape[1], hidden, rng=rng),
            ActivationLayer("relu"),
            Residual(Dense(hidden, hidden, rng=rng, init="xavier_normal"), ActivationLayer("tanh")),
            ActivationLayer("leaky_relu", slope=0.1),
            Dense(hidden, k, rng=rng),
        ]
    )
    _, trace = net.forward(X, trace=True)
    kinks = [np.abs(r.z).min() for r in trace if r.kind in ("relu", "leaky_relu")]
    assume(min(kinks) > 1e-3)  # no pre-activation at the kink of ReLU
    y = rng.integers(0, k, len(X))
    assert_all_below(check_network(net, X, y, "categorical_cross_entropy_with_logits"))


@given(n=st.integers(3, 6), a=widths, hidden=widths, k=widths, seed=seeds)
def test_training_mode_network_with_batch_norm_dropout_and_sigmoid(n, a, hidden, k, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, a))
    net = Network(
        [
            Dense(a, hidden, rng=rng, init="xavier_normal"),
            BatchNorm(hidden),
            ActivationLayer("tanh"),
            Dropout(0.4, rng=rng),
            Dense(hidden, k, rng=rng, init="xavier_normal"),
            ActivationLayer("sigmoid"),
        ]
    )
    _, trace = net.forward(X, training=True, trace=True)
    assume(trace[1].input.std(axis=0).min() > 0.1)  # batch norm of a nearly constant column is
    # a very steep function: central differences would be inaccurate, not backprop wrong
    y = rng.integers(0, 2, (n, k)).astype(float)
    assert_all_below(check_network(net, X, y, "binary_cross_entropy", training=True))


@given(n=st.integers(1, 6), sizes=st.lists(widths, min_size=2, max_size=4), seed=seeds)
@pytest.mark.parametrize(
    ("activation", "output", "loss"),
    [
        ("tanh", None, "squared_error"),
        ("sigmoid", "softmax", "categorical_cross_entropy"),
        ("tanh", None, "huber"),
    ],
)
def test_mlp_with_every_output_kind(activation, output, loss, n, sizes, seed):
    rng = np.random.default_rng(seed)
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    net = mlp(sizes, activation=activation, output_activation=output, rng=rng)
    X = rng.normal(size=(n, sizes[0]))
    if output == "softmax":
        y = rng.integers(0, sizes[-1], n)
    else:
        y = rng.normal(size=(n, sizes[-1]))
    if loss == "huber":  # keep residuals away from the kinks at ±delta
        assume(np.abs(np.abs(net.predict(X) - y) - 1.0).min() > 1e-3)
    assert_all_below(check_network(net, X, y, loss))


def test_check_network_accepts_a_loss_object_and_leaves_the_network_alone():
    net = mlp([3, 4, 2], activation="tanh", rng=0)
    before = net.get_weights()
    X = np.random.default_rng(1).normal(size=(5, 3))
    y = np.random.default_rng(2).normal(size=(5, 2))
    assert_all_below(check_network(net, X, y, get_loss("squared_error")))
    for a, b in zip(net.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert net.caches is None


def test_check_network_catches_a_wrong_backward():
    net = mlp([3, 4, 2], activation="tanh", rng=0)
    X = np.random.default_rng(1).normal(size=(5, 3))
    y = np.random.default_rng(2).normal(size=(5, 2))
    wrong = net.layers[1].activation.__class__("tanh", np.tanh, lambda z: 1 - np.tanh(z))
    net.layers[1].activation = wrong  # forgot to square
    errors = check_network(net, X, y, "squared_error")
    assert errors["dense1.W"] > 1e-2
    assert errors["dense2.W"] < TOL  # the layer after the bug is still right


# --- forward, backward, trace ---------------------------------------------------------------


def small_net(**kw):
    return mlp([3, 4, 2], activation="tanh", rng=0, **kw)


def test_trace_records_z_and_a_per_layer():
    net = mlp([3, 4, 4, 2], activation="relu", output_activation="softmax", rng=0)
    X = np.random.default_rng(1).normal(size=(5, 3))
    out, trace = net.forward(X, trace=True)
    np.testing.assert_array_equal(out, net.forward(X))
    assert [r.name for r in trace] == [
        "dense1", "relu1", "dense2", "relu2", "dense3", "softmax1"
    ]
    assert all(isinstance(r, LayerTrace) for r in trace)
    assert trace[0].input is not None
    np.testing.assert_array_equal(trace[0].input, X)
    for before, after in itertools.pairwise(trace):
        assert after.input is before.output
    for r in trace:
        if r.kind == "dense":
            assert r.z is r.output
            assert r.a is None
        else:
            assert r.z is r.input
            assert r.a is r.output
    assert trace[1].kind == "relu"
    assert trace[-1].kind == "softmax"


def test_backward_follows_a_traced_forward_too():
    net = small_net()
    X = np.ones((2, 3))
    out, _ = net.forward(X, trace=True)
    assert net.backward(np.ones_like(out)).shape == X.shape


def test_backward_before_forward_is_refused():
    with pytest.raises(RuntimeError, match=r"'mlp'.*backward called before forward"):
        small_net().backward(np.ones((2, 2)))


def test_backward_checks_the_shape_of_dout():
    net = small_net()
    net.forward(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"shape of the last output \(5, 2\), got \(5, 3\)"):
        net.backward(np.ones((5, 3)))


def test_backward_does_not_modify_dout_and_can_skip_the_input_gradient():
    net = mlp([3, 5, 2], rng=0)
    X = np.random.default_rng(1).normal(size=(4, 3))
    out = net.forward(X, training=True)
    dout = np.random.default_rng(2).normal(size=out.shape)
    dout_copy = dout.copy()
    dX = net.backward(dout)
    np.testing.assert_array_equal(dout, dout_copy)
    grads = [p.grad.copy() for p in net.parameters()]
    assert net.backward(dout, input_grad=False) is None
    for p, g in zip(net.parameters(), grads, strict=True):
        np.testing.assert_array_equal(p.grad, g)
    assert dX.shape == X.shape


def test_predict_is_evaluation_mode_and_keeps_no_caches():
    net = mlp([3, 8, 2], rng=0, dropout=0.5, batch_norm=True)
    X = np.random.default_rng(1).normal(size=(6, 3))
    bn = net.layers[1]
    running = bn.running_mean.copy()
    assert net.caches is None
    p1, p2 = net.predict(X), net.predict(X)
    np.testing.assert_array_equal(p1, p2)  # no dropout noise
    np.testing.assert_array_equal(p1, net.forward(X))
    np.testing.assert_array_equal(bn.running_mean, running)
    caches = net.caches
    net.predict(X)
    assert net.caches is caches
    train = net.forward(X, training=True)
    assert not np.allclose(train, p1)


def test_predict_validates_its_input():
    net = small_net()
    with pytest.raises(ValueError, match=r"mlp.predict: X contains 1 NaN"):
        net.predict(np.array([[1.0, np.nan, 0.0]]))
    with pytest.raises(ValueError, match=r"mlp.predict: X must be a 2-D array.*reshape"):
        net.predict(np.ones(3))
    with pytest.raises(ValueError, match=r"mlp.predict: X must have shape \(n_examples, 3\)"):
        net.predict(np.ones((2, 4)))


def test_forward_names_the_layer_that_got_the_wrong_shape():
    with pytest.raises(ValueError, match=r"'dense1' expects .*\(n_examples, 3\).*\(2, 4\)"):
        small_net().forward(np.ones((2, 4)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_data(dtype):
    net = mlp([3, 4, 2], rng=0, batch_norm=True, dropout=0.2, dtype=dtype)
    X = np.random.default_rng(1).normal(size=(5, 3)).astype(dtype)
    out = net.forward(X, training=True)
    assert out.dtype == dtype
    assert net.backward(np.ones_like(out)).dtype == dtype
    assert all(p.grad.dtype == dtype for p in net.parameters())
    assert net.predict(X).dtype == dtype


# --- parameters, weights, summary -----------------------------------------------------------


def test_parameter_count_matches_a_hand_count():
    net = mlp([64, 128, 10], rng=0, output_activation="softmax")
    assert net.n_parameters == 64 * 128 + 128 + 128 * 10 + 10 == 9610
    assert [p.name for p in net.parameters()] == ["dense1.W", "dense1.b", "dense2.W", "dense2.b"]
    assert mlp([2, 4, 1], activation="tanh", output_activation="sigmoid", rng=0).n_parameters == 17
    assert mlp([3, 5, 2], rng=0, batch_norm=True).n_parameters == 3 * 5 + 5 + 2 * 5 + 5 * 2 + 2


def test_summary_lists_layers_shapes_and_total():
    net = mlp([64, 128, 10], rng=0, output_activation="softmax")
    text = net.summary()
    for piece in ("dense1", "relu1", "dense2", "softmax1", "(n, 128)", "(n, 10)", "8,320"):
        assert piece in text
    assert "total parameters: 9,610" in text
    assert "64 inputs -> 10 outputs" in text


def test_get_and_set_weights_round_trip():
    net = small_net()
    weights = net.get_weights()
    weights[0][...] = 99.0  # a copy: the network is not affected
    assert not np.any(net.parameters()[0].value == 99.0)
    W = net.parameters()[0].value
    other = mlp([3, 4, 2], activation="tanh", rng=1)
    net.set_weights(other.get_weights())
    assert net.parameters()[0].value is W  # updated in place
    for a, b in zip(net.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_set_weights_checks_count_shapes_and_values():
    net = small_net()
    weights = net.get_weights()
    with pytest.raises(ValueError, match=r"expected 4 arrays \(one per parameter\), got 3"):
        net.set_weights(weights[:3])
    bad = [*weights[:2], np.ones((3, 3)), weights[3]]
    with pytest.raises(ValueError, match=r"'dense2.W' has shape \(4, 2\), got .*\(3, 3\)"):
        net.set_weights(bad)
    nan = [w.copy() for w in weights]
    nan[1][0] = np.nan
    with pytest.raises(ValueError, match=r"dense1\.b contains 1 NaN"):
        net.set_weights(nan)
    for a, b in zip(net.get_weights(), weights, strict=True):  # nothing was half-applied
        np.testing.assert_array_equal(a, b)


def test_zero_grad():
    net = small_net()
    out = net.forward(np.ones((2, 3)))
    net.backward(np.ones_like(out))
    assert any(np.any(p.grad != 0) for p in net.parameters())
    net.zero_grad()
    assert all(np.all(p.grad == 0) for p in net.parameters())


# --- building networks ----------------------------------------------------------------------


def test_mlp_layers_and_default_initializers():
    net = mlp([3, 4, 4, 2], rng=0, dropout=0.5, batch_norm=True, output_activation="sigmoid")
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Dense", "BatchNorm", "ActivationLayer", "Dropout"] * 2 + [
        "Dense", "ActivationLayer"
    ]
    relu = mlp([3, 4], rng=0)
    np.testing.assert_array_equal(relu.layers[0].W.value, he_normal(3, 4, rng=0))
    tanh = mlp([3, 4], activation="tanh", rng=0)
    np.testing.assert_array_equal(tanh.layers[0].W.value, xavier_normal(3, 4, rng=0))
    assert mlp([3, 4], rng=0, init="zeros").layers[0].W.value.sum() == 0


def test_mlp_refuses_bad_arguments():
    with pytest.raises(ValueError, match="at least an input and an output size"):
        mlp([3], rng=0)
    with pytest.raises(ValueError, match="every layer size in sizes must be positive"):
        mlp([3, 0, 2], rng=0)
    with pytest.raises(ValueError, match=r"dropout rate must be in \[0.0, 1.0\)"):
        mlp([3, 2], rng=0, dropout=1.0)
    with pytest.raises(ValueError, match=r"unknown activation 'relu6'.*'relu'"):
        mlp([3, 2], activation="relu6", rng=0)
    with pytest.raises(ValueError, match="unknown activation 'softmx'"):
        mlp([3, 2], output_activation="softmx", rng=0)
    with pytest.raises(TypeError, match=r"mlp: dtype must be a floating dtype such as "
                                        r"np\.float64 \(or np\.float32\), got int64"):
        mlp([3, 2], rng=0, dtype=np.int64)  # the weights would be truncated, mostly to 0


def test_layer_names_are_numbered_and_must_be_unique():
    net = Network([Dense(2, 3, rng=0), ActivationLayer("tanh"), Dense(3, 1, rng=0, name="out")])
    assert [layer.name for layer in net.layers] == ["dense1", "tanh1", "out"]
    assert net.parameters()[0].name == "dense1.W"
    net = Network([Dense(2, 2, rng=0, name="dense1"), Dense(2, 2, rng=0)])
    assert [layer.name for layer in net.layers] == ["dense1", "dense2"]
    with pytest.raises(ValueError, match=r"layer names must be unique, got \['x'\]"):
        Network([Dense(2, 2, rng=0, name="x"), Dense(2, 2, rng=0, name="x")])


def test_consecutive_widths_must_agree():
    with pytest.raises(ValueError, match=r"'second' takes 4 features but layer 'first'.* 3"):
        Network([Dense(2, 3, rng=0, name="first"), ActivationLayer("relu"),
                 Dense(4, 1, rng=0, name="second")])
    with pytest.raises(ValueError, match="at least one layer"):
        Network([])
    with pytest.raises(TypeError, match="is not a layer"):
        Network([np.tanh])


def test_a_few_gradient_steps_lower_the_cost():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = mlp([4, 16, 2], rng=0)
    loss = get_loss("categorical_cross_entropy_with_logits")
    costs = []
    for _ in range(30):
        out = net.forward(X, training=True)
        costs.append(loss.cost(out, y))
        net.backward(loss.cost_grad(out, y), input_grad=False)
        for p in net.parameters():
            p.value -= 0.5 * p.grad
    assert costs[-1] < 0.7 * costs[0]
