"""The regularization explorer (chapter 7): the compute function checked against what the
chapter teaches (strong L2 shrinks the weights and the generalization gap, L1 makes weights
near zero, dropout is off in evaluation, early stopping restores the best validation epoch),
the chunked training and its cache, every control across its range without warnings (warnings
are errors in the test suite), the Train button, and the static twin offline."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.widgets import compute_regularization, regularization_explorer, regularization_twin
from dlbasics.widgets.regularization import L1_STRENGTHS, L2_STRENGTHS, TRAIN_CHUNKS
from dlbasics.widgets.regularization_run import (
    CHUNK_EPOCHS,
    MAX_EPOCHS,
    PATIENCE,
    RegularizationCache,
    RegularizationRun,
    regularization_data,
)


@pytest.fixture(scope="module")
def plain():
    """The unregularized network, trained for every epoch: it memorizes the training set."""
    return compute_regularization()


def test_the_data_is_split_into_three_disjoint_sets():
    (X, _), (Xv, _), (Xt, _) = regularization_data()
    assert (len(X), len(Xv), len(Xt)) == (62, 44, 44)
    rows = {tuple(r) for r in np.concatenate([X, Xv, Xt])}
    assert len(rows) == 150  # no example in two sets


def test_without_regularization_the_network_memorizes_and_overfits(plain):
    assert plain.epochs == MAX_EPOCHS and plain.finished
    assert plain.train_accuracy == 1.0 and plain.final_train_loss < 0.01
    assert plain.gap > 0.4  # validation loss far above training loss
    best = int(np.argmin(plain.val_loss))
    assert 20 < best < 300 and plain.val_loss[-1] > 1.5 * plain.val_loss[best]
    assert "generalization gap" in plain.message


def test_strong_l2_shrinks_the_weights_and_the_gap(plain):
    strong = compute_regularization(l2=0.03)
    assert strong.weight_norm < 0.3 * plain.weight_norm
    assert strong.gap < 0.2 * plain.gap
    assert strong.final_val_loss < plain.final_val_loss
    assert strong.final_train_loss > plain.final_train_loss  # the price: a worse fit


def test_l1_drives_weights_to_zero(plain):
    sparse = compute_regularization(l1=0.003)
    assert sparse.near_zero > 0.9 > plain.near_zero
    assert sparse.weight_norm < plain.weight_norm


def test_early_stopping_restores_the_best_validation_epoch():
    r = compute_regularization(early_stopping=True)
    assert r.stopped_epoch is not None and r.finished
    assert r.best_epoch == int(np.argmin(r.val_loss))
    assert r.stopped_epoch == r.best_epoch + PATIENCE
    # the weights the network holds now are those of the best epoch
    assert r.final_val_loss == pytest.approx(r.val_loss[r.best_epoch], rel=1e-12)
    assert r.final_train_loss == pytest.approx(r.train_loss[r.best_epoch], rel=1e-12)
    assert f"restored the weights of epoch {r.best_epoch + 1}" in r.message


def test_dropout_is_on_in_training_and_off_in_evaluation():
    run = RegularizationRun(dropout=0.5)
    (X, _), _, _ = regularization_data()
    a = run.net.forward(X, training=True)
    b = run.net.forward(X, training=True)
    assert not np.allclose(a, b)  # a new random mask every training pass
    np.testing.assert_array_equal(run.net.predict(X), run.net.predict(X))  # evaluation: fixed
    none = RegularizationRun(dropout=0.0)
    assert "dropout" not in [layer.kind for layer in none.net.layers]
    np.testing.assert_array_equal(none.net.forward(X, training=True), none.net.predict(X))


def test_dropout_changes_the_run(plain):
    r = compute_regularization(dropout=0.5)
    assert r.final_val_loss < plain.final_val_loss
    assert not np.allclose(r.train_loss, plain.train_loss)


def test_chunks_resume_exactly_as_one_run():
    cache = RegularizationCache()
    for epochs in range(CHUNK_EPOCHS, 4 * CHUNK_EPOCHS + 1, CHUNK_EPOCHS):
        chunked = compute_regularization(l2=0.001, dropout=0.3, epochs=epochs, cache=cache)
    assert cache.n_fits == 4  # one chunk per call
    whole = compute_regularization(l2=0.001, dropout=0.3, epochs=4 * CHUNK_EPOCHS)
    np.testing.assert_allclose(chunked.val_loss, whole.val_loss, rtol=1e-12)
    np.testing.assert_allclose(chunked.weights, whole.weights, rtol=1e-12)
    again = compute_regularization(l2=0.001, dropout=0.3, epochs=4 * CHUNK_EPOCHS, cache=cache)
    assert again is chunked and cache.n_fits == 4  # nothing trained twice
    fewer = compute_regularization(l2=0.001, dropout=0.3, epochs=CHUNK_EPOCHS, cache=cache)
    assert fewer.epochs == CHUNK_EPOCHS  # fewer epochs: a fresh run


def test_the_same_settings_give_the_same_result():
    a = compute_regularization(l1=0.001, dropout=0.2, epochs=60)
    b = compute_regularization(l1=0.001, dropout=0.2, epochs=60)
    np.testing.assert_array_equal(a.val_loss, b.val_loss)
    assert a.message == b.message


@pytest.mark.parametrize("control", ["l2", "l1", "dropout", "early_stopping"])
def test_every_control_across_its_range(control):
    ex = regularization_explorer()
    widget = ex.controls[control]
    if control == "dropout":
        values = [float(v) for v in np.linspace(widget.min, widget.max, 9)]
    else:
        values = [opt[1] for opt in widget.options]
    for value in values:
        fits = ex.cache.n_fits
        r = ex.set(**{control: value})
        assert ex.cache.n_fits <= fits + 1  # at most one chunk per move
        assert r.epochs == CHUNK_EPOCHS and r.message and not r.diverged
        assert np.isfinite(r.train_loss).all() and np.isfinite(r.val_loss).all()
        assert np.isfinite(r.probability).all() and np.isfinite(r.gap)
    assert bytes(ex.image.value).startswith(b"\x89PNG")


@pytest.mark.parametrize("l2, l1", [(L2_STRENGTHS[-1], L1_STRENGTHS[-1]), (L2_STRENGTHS[-1], 0.0)])
def test_the_strongest_penalties_train_to_the_end_without_warnings(l2, l1):
    r = compute_regularization(l2=l2, l1=l1, dropout=0.8)
    assert r.finished and not r.diverged and np.isfinite(r.weights).all()
    assert r.train_accuracy < 1.0  # so strong that it underfits


def test_compute_clips_values_outside_the_controls():
    r = compute_regularization(l2=-1.0, l1=float("nan"), dropout=2.0, epochs=0)
    assert (r.l2, r.l1, r.dropout, r.epochs) == (0.0, 0.0, 0.8, 1)


def test_train_button_grows_the_curves_chunk_by_chunk():
    ex = regularization_explorer()
    lengths = []
    ex.view.update = (lambda update: lambda r: (lengths.append(len(r.train_loss)), update(r)))(
        ex.view.update)
    fits = ex.cache.n_fits
    ex.train_button.click()
    assert lengths == [CHUNK_EPOCHS * (k + 2) for k in range(TRAIN_CHUNKS)]  # redrawn each time
    assert ex.cache.n_fits == fits + TRAIN_CHUNKS
    assert ex.view.train.get_xdata()[-1] == CHUNK_EPOCHS * (TRAIN_CHUNKS + 1)
    assert not ex.train_button.disabled
    while not ex.result.finished:
        ex.train()
    assert ex.result.epochs == MAX_EPOCHS and "Trained all" in ex.result.message
    assert ex.train_button.disabled and "Train is greyed out" in ex.result.message
    n = ex.cache.n_fits
    ex.train()  # finished: nothing more to train
    assert ex.cache.n_fits == n
    r = ex.set(l2=0.01)  # a control starts a new run
    assert r.epochs == CHUNK_EPOCHS and "press Train" in r.message
    assert not ex.train_button.disabled


def test_two_explorers_do_not_interfere():
    a, b = regularization_explorer(), regularization_explorer()
    a.train(2)
    assert b.result.epochs == CHUNK_EPOCHS and a.result.epochs == 3 * CHUNK_EPOCHS


def test_the_figure_shows_the_gap():
    ex = regularization_explorer(early_stopping=True)
    r = ex.train(100)
    assert f"gap {r.gap:+.3f}" in ex.view.summary.get_text()
    assert ex.view.best.get_xdata()[0] == r.best_epoch + 1


def test_twin_works_offline_with_frames():
    html = regularization_twin(values=[0.0, 0.03]).data
    assert "http://" not in html and "https://" not in html
    assert 'alt="Animation' in html
    assert html.count('] = "data:image/png;base64') >= 2 or html.count("frames[") >= 2


def test_moving_back_to_trained_settings_resumes_their_run():
    ex = regularization_explorer()
    ex.train()  # 180 epochs without early stopping
    on = ex.set(early_stopping=True)  # new settings: a new run, one chunk
    assert on.epochs == CHUNK_EPOCHS and "press Train" in on.message
    off = ex.set(early_stopping=False)  # back: the 180-epoch run, nothing retrained
    assert off.epochs == CHUNK_EPOCHS * (TRAIN_CHUNKS + 1)
    assert ex.view.train.get_xdata()[-1] == off.epochs


def test_a_finished_run_says_what_to_do_next():
    ex = regularization_explorer(early_stopping=True)
    r = ex.train(100)
    assert r.finished and "change a control" in r.message
    n = ex.cache.n_fits
    assert ex.train() is r and ex.cache.n_fits == n  # pressing Train again changes nothing
