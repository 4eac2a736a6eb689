"""The fit loop: steps per epoch, reproducibility, history, callbacks, divergence, refusals;
the Trainer it drives, one step or one epoch at a time; evaluate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlbasics.layers import Dense
from dlbasics.losses import LOSSES, Loss, get_loss, squared_error, squared_error_grad
from dlbasics.metrics import accuracy
from dlbasics.network import Network, mlp
from dlbasics.optim import SGD, Adam
from dlbasics.regularization import L2, EarlyStopping
from dlbasics.training import EpochResult, History, Trainer, evaluate, fit

CE = "categorical_cross_entropy_with_logits"


def regression_data(n: int = 20, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, X @ np.array([[1.5], [-2.0]]) + 0.5


def class_data(n: int = 60, k: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    X = rng.normal(size=(n, 4)) + np.eye(k, 4)[y] * 3.0
    return X, y


def quick_fit(net=None, X=None, y=None, **kw):
    if X is None:
        X, y = class_data()
    net = net if net is not None else mlp([X.shape[1], 8, 3], rng=0)
    kw = {"loss": CE, "epochs": 3, "rng": 0, "progress": False, **kw}
    return net, fit(net, X, y, **kw)


@pytest.mark.parametrize(("batch_size", "steps"), [(1, 10), (3, 4), (4, 3), (10, 1), (None, 1),
                                                   (32, 1)])
def test_steps_per_epoch_is_ceil_n_over_batch(batch_size, steps):
    X, y = regression_data(10)
    h = fit(mlp([2, 1], rng=0), X, y, loss="squared_error", lr=0.01, epochs=3,
            batch_size=batch_size, rng=0, progress=False)
    assert len(h.step_cost) == 3 * steps
    assert h.epochs_run == 3 and len(h.cost) == 3 and h.metrics == {}


def test_one_full_batch_step_is_gradient_descent_by_hand():
    X, y = regression_data(8)
    net = Network([Dense(2, 1, rng=0)])
    W, b = net.layers[0].W.value.copy(), net.layers[0].b.value.copy()
    h = fit(net, X, y, loss="squared_error", lr=0.05, epochs=1, batch_size=None, rng=0,
            progress=False)
    r = X @ W + b - y  # J = mean (ŷ − y)², ∂J/∂W = 2 Xᵀ r / n
    assert h.cost[0] == pytest.approx(np.mean(r**2))
    np.testing.assert_allclose(net.layers[0].W.value, W - 0.05 * 2 * X.T @ r / 8)
    np.testing.assert_allclose(net.layers[0].b.value, b - 0.05 * 2 * r.sum(axis=0) / 8)


def test_same_seed_same_history_and_weights_other_seed_differs():
    runs = [quick_fit(rng=seed, batch_size=7) for seed in (5, 5, 6)]
    (n1, h1), (n2, h2), (_, h3) = runs
    assert h1.as_dict() == h2.as_dict()
    for a, b in zip(n1.get_weights(), n2.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert h1.step_cost != h3.step_cost


def test_no_shuffle_needs_no_randomness_and_is_order_deterministic():
    _, h1 = quick_fit(shuffle=False, rng=1, batch_size=7)
    _, h2 = quick_fit(shuffle=False, rng=2, batch_size=7)
    assert h1.step_cost == h2.step_cost


def test_validation_cost_and_accuracy_recorded():
    X, y = class_data(90)
    net, h = quick_fit(X=X[:60], y=y[:60], validation_data=(X[60:], y[60:]), epochs=4)
    assert len(h.val_cost) == len(h.cost) == 4
    assert set(h.metrics) == {"accuracy", "val_accuracy"}
    assert len(h.val_accuracy) == 4 and h.as_dict()["val_accuracy"] == h.val_accuracy
    out = net.predict(X[60:])
    assert h.val_cost[-1] == pytest.approx(get_loss(CE).cost(out, y[60:]))
    assert h.val_accuracy[-1] == pytest.approx(accuracy(y[60:], out))
    assert 0.0 <= h.accuracy[-1] <= 1.0


@pytest.mark.parametrize(
    ("loss", "out_act", "k"), [(CE, None, 3), ("binary_cross_entropy", "sigmoid", 1)]
)
def test_running_accuracy_counts_every_example_once(loss, out_act, k):
    X, y = class_data(50, k=max(k, 2))
    net = mlp([4, 6, k], output_activation=out_act, rng=0)
    expected = accuracy(y, net.predict(X))
    _, h = quick_fit(net, X, y, loss=loss, lr=1e-12, batch_size=7, epochs=2)  # weights stay put
    assert h.accuracy == pytest.approx([expected, expected])


def test_history_access_and_errors():
    _, h = quick_fit()
    d = h.as_dict()
    assert set(d) >= {"cost", "val_cost", "accuracy", "step_cost", "epochs_run", "diverged",
                      "diverged_at", "stopped_early"}
    assert d["cost"] == h.cost and h.accuracy == d["accuracy"] and "val_accuracy" not in d
    d["cost"].append(1.0)  # a copy
    assert len(h.cost) == 3
    with pytest.raises(AttributeError, match=r"no attribute 'val_accuracy'"):
        _ = h.val_accuracy
    assert History().epochs_run == 0


FUSED = [name for name in LOSSES if get_loss(name).fused is not None]


def test_the_training_losses_have_a_one_pass_cost_and_gradient():
    assert set(FUSED) == {CE, "binary_cross_entropy_with_logits", "binary_cross_entropy",
                          "squared_error"}


@pytest.mark.parametrize("name", FUSED)
def test_fused_cost_and_gradient_match_losses_module(name):
    rng = np.random.default_rng(3)
    z = rng.normal(size=(7, 4)) * 3
    if name == CE:
        y = rng.integers(0, 4, 7)
    elif name.startswith("binary"):
        y = rng.integers(0, 2, (7, 4)).astype(float)
        z = z if name.endswith("logits") else 1 / (1 + np.exp(-z))  # probabilities
    else:
        y = rng.normal(size=(7, 4))
    ref = get_loss(name)
    cost, grad = ref.cost_and_grad(z, y)
    assert cost == pytest.approx(ref.cost(z, y), rel=1e-12)
    np.testing.assert_allclose(grad, ref.cost_grad(z, y), rtol=1e-12, atol=1e-15)


def test_cost_and_grad_of_a_loss_of_ones_own():
    mine = Loss("se", squared_error, squared_error_grad)
    z, y = np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]])
    cost, grad = mine.cost_and_grad(z, y)
    assert cost == pytest.approx(2.5) and grad == pytest.approx(np.array([[1.0], [2.0]]))
    assert mine.cost_and_grad(np.array([[np.nan], [1.0]]), y) == (math.inf, None)


# --- the Trainer ------------------------------------------------------------------------------


def test_fit_is_epochs_of_the_trainer():
    X, y = class_data()
    _, h = quick_fit(batch_size=7, epochs=3, rng=4)
    net = mlp([4, 8, 3], rng=0)
    trainer = Trainer(net, loss=CE)
    rng = np.random.default_rng(4)
    results = [trainer.epoch(X, y, batch_size=7, rng=rng) for _ in range(3)]
    assert all(isinstance(r, EpochResult) and r.diverged_at is None for r in results)
    assert [r.cost for r in results] == h.cost
    assert [c for r in results for c in r.step_cost] == h.step_cost
    assert [r.metrics["accuracy"] for r in results] == h.accuracy


def test_a_step_is_one_update_on_one_batch():
    X, y = regression_data(8)
    net = Network([Dense(2, 1, rng=0)])
    W, b = net.layers[0].W.value.copy(), net.layers[0].b.value.copy()
    trainer = Trainer(net, loss="squared_error", lr=0.05)
    cost = trainer.step(X[:4], y[:4])
    r = X[:4] @ W + b - y[:4]
    assert cost == pytest.approx(np.mean(r**2))
    np.testing.assert_allclose(net.layers[0].W.value, W - 0.05 * 2 * X[:4].T @ r / 4)


def test_the_trainer_keeps_its_optimizer_state_between_steps():
    X, y = class_data(40)
    nets = [mlp([4, 8, 3], rng=0) for _ in range(2)]
    fit(nets[0], X, y, loss=CE, optimizer="adam", lr=0.01, epochs=1, batch_size=10, rng=0,
        shuffle=False, progress=False)
    trainer = Trainer(nets[1], loss=CE, optimizer="adam", lr=0.01)
    costs = [trainer.step(X[lo:lo + 10], y[lo:lo + 10]) for lo in range(0, 40, 10)]
    assert all(math.isfinite(c) for c in costs)
    for a, b in zip(*(n.get_weights() for n in nets), strict=True):
        np.testing.assert_array_equal(a, b)


def test_prepared_steps_skip_the_checks_and_train_the_same():
    X, y = class_data(40)
    nets = [mlp([4, 8, 3], rng=0) for _ in range(2)]
    checked, fast = Trainer(nets[0], loss=CE), Trainer(nets[1], loss=CE)
    Xp, yp = fast.prepare(X, np.eye(3)[y])  # one-hot rows become labels, once
    assert yp.shape == (40,)
    for lo in range(0, 40, 10):
        rows = slice(lo, lo + 10)
        assert checked.step(X[rows], y[rows]) == fast.step(Xp[rows], yp[rows], prepared=True)
    for a, b in zip(*(n.get_weights() for n in nets), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_diverging_step_leaves_the_weights_alone():
    X, y = regression_data(10)
    net = mlp([2, 1], rng=0)
    trainer = Trainer(net, loss="squared_error", lr=50.0)
    costs = []
    with np.errstate(all="raise"):  # the trainer silences the overflow itself
        for _ in range(400):
            costs.append(trainer.step(X, y * 1e150))
            if not math.isfinite(costs[-1]):
                break
    weights = net.get_weights()
    assert not math.isfinite(trainer.step(X, y * 1e150))
    for a, b in zip(weights, net.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_trainer_refusals_name_the_trainer():
    net = mlp([4, 8, 3], rng=0)
    X, y = class_data()
    with pytest.raises(ValueError, match=r"^Trainer: learning rate lr must be positive"):
        Trainer(net, loss=CE, lr=0.0)
    trainer = Trainer(net, loss=CE)
    with pytest.raises(ValueError, match=r"^Trainer.step: X has 2 features"):
        trainer.step(X[:5, :2], y[:5])
    with pytest.raises(ValueError, match=r"^Trainer.epoch: give rng"):
        trainer.epoch(X, y, batch_size=10)
    assert trainer.epoch(X, y, batch_size=None).diverged_at is None  # one batch: no shuffling


def test_evaluate_is_the_validation_cost_and_accuracy():
    X, y = class_data(90)
    net, h = quick_fit(X=X[:60], y=y[:60], validation_data=(X[60:], y[60:]), epochs=2,
                       penalty=L2(0.01))
    scores = evaluate(net, X[60:], y[60:], loss=CE, penalty=L2(0.01))
    assert scores == {"cost": h.val_cost[-1], "accuracy": h.val_accuracy[-1]}
    plain = evaluate(net, X[60:], y[60:], loss=CE)
    assert plain["cost"] == pytest.approx(get_loss(CE).cost(net.predict(X[60:]), y[60:]))
    assert evaluate(mlp([2, 1], rng=0), *regression_data(), loss="squared_error").keys() == {
        "cost"}


def test_one_hot_labels_train_like_int_labels():
    X, y = class_data()
    _, h1 = quick_fit(X=X, y=y)
    _, h2 = quick_fit(X=X, y=np.eye(3)[y])
    assert h1.step_cost == pytest.approx(h2.step_cost)


def test_generic_loss_path_and_binary_and_float32():
    X, y = class_data(40, k=2)
    net = mlp([4, 6, 1], rng=0, dtype=np.float32)
    h = fit(net, X.astype(np.float32), y, loss="binary_cross_entropy_with_logits", epochs=5,
            rng=0, progress=False)
    assert h.accuracy[-1] > 0.9 and all(p.value.dtype == np.float32 for p in net.parameters())
    net2 = mlp([4, 6, 1], output_activation="sigmoid", rng=0)
    h2 = fit(net2, X, y, loss="binary_cross_entropy", epochs=5, rng=0, progress=False,
             validation_data=(X, y))
    assert h2.val_accuracy[-1] > 0.9
    assert h2.val_accuracy[-1] == pytest.approx(accuracy(y, net2.predict(X)))


def test_penalty_is_part_of_the_cost():
    X, y = regression_data(10)
    net = mlp([2, 3, 1], rng=0)
    W = [p.value.copy() for p in net.parameters()]
    h = fit(net, X, y, loss="squared_error", lr=1e-3, epochs=1, batch_size=None, rng=0,
            penalty=[L2(0.5)], progress=False)
    mlp0 = mlp([2, 3, 1], rng=0)
    data_cost = get_loss("squared_error").cost(mlp0.predict(X), y)
    penalty = 0.25 * sum(float(np.sum(w**2)) for w, p in zip(W, net.parameters(), strict=True)
                         if p.regularize)
    assert h.cost[0] == pytest.approx(data_cost + penalty)


def test_clip_norm_caps_the_step():
    X, y = regression_data(10)
    net = mlp([2, 1], rng=0)
    before = np.concatenate([w.ravel() for w in net.get_weights()])
    fit(net, X, 100 * y, loss="squared_error", lr=0.1, epochs=1, batch_size=None, rng=0,
        clip_norm=0.5, progress=False)
    after = np.concatenate([w.ravel() for w in net.get_weights()])
    assert np.linalg.norm(after - before) == pytest.approx(0.1 * 0.5, rel=1e-5)


def test_optimizer_instance_is_used_and_lr_argument_ignored():
    net = mlp([4, 8, 3], rng=0)
    opt = Adam(net.parameters(), lr=0.01)
    _, h = quick_fit(net, optimizer=opt, lr=123.0, batch_size=20)
    assert not h.diverged
    assert opt.state[net.parameters()[0]]["step"] == 3 * 3


def test_inputs_are_not_modified():
    X, y = class_data()
    X0, y0 = X.copy(), y.copy()
    quick_fit(X=X, y=y, validation_data=(X, y))
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


class Recorder:
    def __init__(self, stop_at=None):
        self.epochs, self.weights, self.ended, self.stop_at = [], [], 0, stop_at

    def on_epoch_end(self, epoch, history, network):
        self.epochs.append(epoch)
        self.weights.append(network.get_weights())
        return epoch == self.stop_at

    def on_train_end(self, history, network):
        self.ended += 1


def test_callback_can_stop_training():
    rec, silent = Recorder(stop_at=2), object()  # an object without the methods is fine
    _, h = quick_fit(epochs=10, callbacks=[rec, silent])
    assert rec.epochs == [0, 1, 2] and rec.ended == 1
    assert h.epochs_run == 3 and h.stopped_early and not h.diverged


def test_early_stopping_restores_best_weights():
    X, y = regression_data(30)
    # validation targets with the opposite sign: fitting the training set makes them worse
    rec = Recorder()
    stopper = EarlyStopping(patience=2, monitor="val_cost")
    net = mlp([2, 1], rng=0)
    h = fit(net, X, y, loss="squared_error", lr=0.05, epochs=50, batch_size=None, rng=0,
            validation_data=(X, -y), callbacks=[rec, stopper], progress=False)
    best = int(np.argmin(h.val_cost))
    assert h.stopped_early and h.epochs_run == best + 3
    for a, b in zip(net.get_weights(), rec.weights[best], strict=True):
        np.testing.assert_array_equal(a, b)
    assert get_loss("squared_error").cost(net.predict(X), -y) == pytest.approx(h.val_cost[best])


@pytest.mark.parametrize("loss", ["squared_error", Loss("se", squared_error, squared_error_grad)])
def test_diverging_run_stops_cleanly(loss):
    X, y = regression_data(20)  # filterwarnings=error: any overflow warning would fail here
    rec = Recorder()
    h = fit(mlp([2, 8, 1], rng=0), X, y, loss=loss, lr=1e3, epochs=500, batch_size=4, rng=0,
            validation_data=(X, y), callbacks=[rec], progress=False)
    assert h.diverged and h.epochs_run < 500 and not h.stopped_early
    epoch, step = h.diverged_at
    assert epoch == h.epochs_run - 1 and 0 <= step < 5
    assert not math.isfinite(h.step_cost[-1]) and not math.isfinite(h.cost[-1])
    assert len(h.val_cost) == len(h.cost) and rec.ended == 1


def test_diverging_classifier_stops_cleanly():
    X, y = class_data()
    _, h = quick_fit(X=X * 1e3, y=y, lr=1e6, epochs=200, validation_data=(X, y))
    assert h.diverged and math.isnan(h.val_accuracy[-1]) and math.isnan(h.accuracy[-1])


def test_probability_loss_with_softmax_output_trains():
    net = mlp([4, 8, 3], output_activation="softmax", rng=0)
    _, h = quick_fit(net, loss="categorical_cross_entropy", epochs=10)
    assert h.cost[-1] < h.cost[0] and h.accuracy[-1] > 0.9


def test_progress_false_prints_nothing_and_true_shows_a_bar(capsys):
    quick_fit(progress=False)
    assert capsys.readouterr() == ("", "")
    quick_fit(progress=True)
    assert "cost=" in capsys.readouterr().err


X_OK, Y_OK = class_data()
X_NAN = X_OK.copy()
X_NAN[3, 1] = np.nan


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lr": 0}, ValueError, r"fit: learning rate lr must be positive, got 0"),
        ({"lr": -0.1}, ValueError, r"lr must be positive"),
        ({"batch_size": 0}, ValueError, r"fit: batch_size must be positive"),
        ({"batch_size": -4}, ValueError, r"batch_size must be positive"),
        ({"batch_size": 2.5}, TypeError, r"batch_size must be a positive whole number"),
        ({"epochs": 0}, ValueError, r"fit: epochs must be positive"),
        ({"clip_norm": 0.0}, ValueError, r"clip_norm must be positive"),
        ({"X": X_NAN}, ValueError, r"fit: X contains 1 NaN and 0 infinite value"),
        ({"X": X_OK[:, :3]}, ValueError, r"X has 3 features \(columns\) but the network takes 4"),
        ({"X": X_OK[0]}, ValueError, r"X must be a 2-D array"),
        ({"y": Y_OK[:-1]}, ValueError, r"X has 60 examples \(rows\) but y has shape \(59,\)"),
        ({"y": Y_OK + 1}, ValueError, r"out of range: must be in 0..2 \(3 classes\), got values "
                                      r"from 1 to 3"),
        ({"y": -Y_OK}, ValueError, r"out of range"),
        ({"y": Y_OK + 0.5}, ValueError, r"must be whole numbers"),
        ({"y": np.eye(4)[Y_OK]}, ValueError, r"not one-hot for 3 classes"),
        ({"validation_data": (X_OK, Y_OK + 3)}, ValueError,
         r"fit \(validation_data\): y \(class labels\) out of range"),
        ({"loss": "cross_entropy"}, ValueError, r"unknown loss 'cross_entropy'; choose one of"),
        ({"metrics": ("f1",)}, ValueError, r"unknown metric 'f1'"),
        ({"optimizer": "adamw"}, ValueError, r"unknown optimizer 'adamw'"),
        ({"optimizer": SGD(mlp([4, 3], rng=0).parameters(), lr=0.1)}, ValueError,
         r"updates none of this network's parameters"),
        ({"net": mlp([4, 3], output_activation="softmax", rng=0)}, ValueError,
         r"expects raw scores \(logits\), but the network ends with softmax; .*"
         r"'categorical_cross_entropy'"),
        ({"net": mlp([4, 3], rng=0), "loss": "categorical_cross_entropy"}, ValueError,
         r"expects probabilities, but the network does not end with softmax; add "
         r"output_activation='softmax', or use loss 'categorical_cross_entropy_with_logits'"),
    ],
)
def test_refusals(kwargs, error, match):
    kwargs = dict(kwargs)
    net = kwargs.pop("net", mlp([4, 5, 3], rng=0))
    X, y = kwargs.pop("X", X_OK), kwargs.pop("y", Y_OK)
    with pytest.raises(error, match=match):
        fit(net, X, y, **{"loss": CE, "rng": 0, "progress": False, **kwargs})


@pytest.mark.parametrize(
    ("y", "loss", "match"),
    [(np.zeros((10, 2)), "squared_error", r"y has shape \(10, 2\) but the network has 1 output"),
     (np.full(10, 2.0), "binary_cross_entropy_with_logits", r"must be in \[0, 1\]"),
     (np.zeros(10), "squared_error", None)],
)
def test_regression_and_binary_target_shapes(y, loss, match):
    X, _ = regression_data(10)
    if match is None:  # (n,) is accepted for one output
        fit(mlp([2, 1], rng=0), X, y, loss=loss, rng=0, progress=False, epochs=1)
        return
    with pytest.raises(ValueError, match=match):
        fit(mlp([2, 1], rng=0), X, y, loss=loss, rng=0, progress=False)


def test_dropout_and_batch_norm_networks_train():
    X, y = class_data(90)
    net = mlp([4, 16, 3], dropout=0.2, batch_norm=True, rng=0)
    _, h = quick_fit(net, X[:60], y[:60], validation_data=(X[60:], y[60:]), epochs=15,
                     batch_size=10)
    assert h.val_accuracy[-1] > 0.9


@pytest.mark.parametrize("batch_size", [1, 59])  # 60 = 59 + 1: the last batch holds one example
def test_batch_norm_refuses_single_example_batches(batch_size):
    with pytest.raises(ValueError, match=r"a mini-batch holds a single example, and batch norm"):
        quick_fit(mlp([4, 8, 3], batch_norm=True, rng=0), batch_size=batch_size)

