"""Data sets: shapes, labels, reproducibility, the offline MNIST reader, splitting, scaling."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import urllib.request

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlbasics import datasets as ds
from dlbasics.datasets import (
    MNIST_FILES,
    MNIST_SHA256,
    Standardizer,
    load_mnist,
    one_hot,
    train_val_test_split,
)

TOY_2D = {
    "xor": lambda n, rng: ds.xor(n, noise=0.1, rng=rng),
    "moons": lambda n, rng: ds.moons(n, noise=0.1, rng=rng),
    "circles": lambda n, rng: ds.circles(n, noise=0.05, rng=rng),
    "spirals": lambda n, rng: ds.spirals(n, n_classes=3, noise=0.1, rng=rng),
    "blobs": lambda n, rng: ds.blobs(n, n_classes=4, spread=0.5, rng=rng),
}
N_CLASSES = {"xor": 2, "moons": 2, "circles": 2, "spirals": 3, "blobs": 4}


# --- toy data sets -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TOY_2D)
@pytest.mark.parametrize("n", [4, 7, 100])
def test_toy_sets_shapes_labels_and_balance(name, n):
    X, y = TOY_2D[name](n, 0)
    k = N_CLASSES[name]
    assert X.shape == (n, 2) and X.dtype == np.float64 and np.all(np.isfinite(X))
    assert y.shape == (n,) and np.issubdtype(y.dtype, np.integer)
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.max() - counts.min() <= 1  # classes as equal as n allows


@pytest.mark.parametrize("name", TOY_2D)
def test_randomness_comes_only_from_rng(name):
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (checking it stays untouched)
    X1, y1 = TOY_2D[name](50, 7)
    X2, y2 = TOY_2D[name](50, np.random.default_rng(7))
    X3, _ = TOY_2D[name](50, 8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_noise_free_geometry():
    X, y = ds.circles(40, noise=0.0, factor=0.3, rng=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(radius[y == 0], 1.0) and np.allclose(radius[y == 1], 0.3)
    X, y = ds.moons(40, noise=0.0, rng=0)
    assert np.allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0)
    assert np.allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)
    X, y = ds.xor(8, noise=0.0, rng=0)
    assert np.array_equal(y, np.logical_xor(X[:, 0], X[:, 1]))
    X, y = ds.spirals(30, n_classes=3, noise=0.0, rng=0)
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-12)


@pytest.mark.parametrize(
    ("gate", "labels"),
    [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("xor", [0, 1, 1, 0]), ("nand", [1, 1, 1, 0])],
)
def test_logic_gates(gate, labels):
    X, y = ds.logic_gate(gate)
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and X.dtype == np.float64
    assert y.tolist() == labels and np.issubdtype(y.dtype, np.integer)
    X[0, 0] = 5.0  # a copy: changing it does not change the next call
    assert ds.logic_gate(gate)[0][0, 0] == 0.0


def test_unknown_gate_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown logic gate 'nor'; choose one of: 'and', 'nand'"):
        ds.logic_gate("nor")


def test_noisy_line_recovers_its_line():
    X, y = ds.noisy_line(500, slope=-1.5, intercept=3.0, noise=0.1, x_range=(-2, 2), rng=1)
    assert X.shape == (500, 1) and y.shape == (500, 1)
    assert X.min() >= -2 and X.max() <= 2
    slope, intercept = np.polyfit(X[:, 0], y[:, 0], 1)
    assert slope == pytest.approx(-1.5, abs=0.02) and intercept == pytest.approx(3.0, abs=0.02)
    assert ds.noisy_line(rng=0)[0].shape == (50, 1)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ds.moons(100, noise=-0.1, rng=0), ValueError, "noise must be a number >= 0"),
        (lambda: ds.blobs(100, spread=np.nan, rng=0), ValueError, "spread must be a number >= 0"),
        (lambda: ds.xor(0, rng=0), ValueError, "n must be positive"),
        (lambda: ds.moons(10.5, rng=0), TypeError, "n must be a positive whole number"),
        (lambda: ds.spirals(10, n_classes=1, rng=0), ValueError, "need n_classes >= 2"),
        (lambda: ds.blobs(2, n_classes=3, rng=0), ValueError, "n >= n_classes, got n=2"),
        (lambda: ds.circles(10, factor=1.0, rng=0), ValueError, r"factor \(inner radius\)"),
        (lambda: ds.circles(10, factor=0, rng=0), ValueError, "must be > 0"),
        (lambda: ds.noisy_line(x_range=(5, 0), rng=0), ValueError, "low < high"),
    ],
)
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_load_digits_offline():
    X, y = ds.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert X.min() == 0 and X.max() == 16
    assert y.shape == (1797,) and y.dtype == np.int64 and set(np.unique(y)) == set(range(10))


def test_shipped_digits_equal_scikit_learns():
    """The shipped copy is scikit-learn's, value for value, so no chapter's output changes."""
    from sklearn.datasets import load_digits as sklearn_digits  # a development dependency

    X, y = ds.load_digits()
    reference = sklearn_digits()
    assert np.array_equal(X, reference.data) and np.array_equal(y, reference.target)


def test_damaged_digits_file_is_refused(tmp_path, monkeypatch):
    good = ds._DIGITS_FILE.read_bytes()
    assert hashlib.sha256(good).hexdigest() == ds.DIGITS_SHA256
    damaged = tmp_path / "digits.npz"
    damaged.write_bytes(good[:1000] + bytes([good[1000] ^ 1]) + good[1001:])  # one bit flipped
    monkeypatch.setattr(ds, "_DIGITS_FILE", damaged)
    with pytest.raises(ValueError, match=r"digits\.npz is damaged \(its SHA-256 is [0-9a-f]{64}"):
        ds.load_digits()
    with pytest.raises(ValueError, match=r"git checkout -- src/dlbasics/data/digits\.npz"):
        ds.load_digits()
    monkeypatch.setattr(ds, "_DIGITS_FILE", tmp_path / "gone.npz")
    with pytest.raises(FileNotFoundError, match=r"gone\.npz is missing .*reinstall the package"):
        ds.load_digits()


# --- MNIST from IDX files written by the tests ---------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: magic 0, 0, 0x08 (unsigned bytes), ndim; big-endian sizes; the values."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def tiny_mnist(n_train=5, n_test=3, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    return arrays, {name: idx_bytes(a) for name, a in arrays.items()}


def write_mnist(folder, gz=True, seed=0):
    """Write the four files; return the arrays and a checksum table for the written files."""
    arrays, raw = tiny_mnist(seed=seed)
    sums = {}
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in raw.items():
        data, fname = (gzip.compress(data), name + ".gz") if gz else (data, name)
        (folder / fname).write_bytes(data)
        sums[fname] = hashlib.sha256(data).hexdigest()
    return arrays, sums


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a URL fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("load_mnist tried to use the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_gzipped_and_raw_idx(tmp_path, no_network, gz):
    arrays, sums = write_mnist(tmp_path, gz=gz)
    X, y = load_mnist(tmp_path, checksums=sums)
    images = np.concatenate([arrays["train-images-idx3-ubyte"], arrays["t10k-images-idx3-ubyte"]])
    labels = np.concatenate([arrays["train-labels-idx1-ubyte"], arrays["t10k-labels-idx1-ubyte"]])
    assert X.shape == (8, 784) and X.dtype == np.float64
    assert np.array_equal(X, images.reshape(8, 784))  # row-major pixels, train then test
    assert np.array_equal(y, labels) and y.dtype == np.int64
    Xtr, ytr = load_mnist(tmp_path, subset="train", checksums=sums)
    Xte, yte = load_mnist(tmp_path, subset="test", dtype=np.float32, checksums=sums)
    assert Xtr.shape == (5, 784) and np.array_equal(ytr, labels[:5])
    assert Xte.shape == (3, 784) and Xte.dtype == np.float32 and np.array_equal(yte, labels[5:])


def test_mnist_checksum_mismatch_is_a_clear_error(tmp_path, no_network):
    _, sums = write_mnist(tmp_path)
    sums["train-images-idx3-ubyte.gz"] = "0" * 64
    with pytest.raises(
        ValueError,
        match=r"SHA-256 check failed for .*train-images-idx3-ubyte\.gz"
        r".*corrupt or incomplete.*download=True",
    ):
        load_mnist(tmp_path, checksums=sums)
    # by default the published checksums apply to the known file names, so fakes are refused
    with pytest.raises(ValueError, match="SHA-256 check failed"):
        load_mnist(tmp_path)
    assert load_mnist(tmp_path, checksums={})[0].shape == (8, 784)  # an empty table checks nothing


def test_mnist_known_checksums():
    assert set(MNIST_SHA256) == {f + ".gz" for f in MNIST_FILES}
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in MNIST_SHA256.values())


def test_missing_mnist_names_the_folder_and_files_without_network(tmp_path, no_network):
    folder = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(folder)
    message = str(info.value)
    assert str(folder) in message and "download=True" in message and "load_digits" in message
    for name in MNIST_FILES:
        assert name + ".gz" in message
    assert not folder.exists()  # nothing created either


def test_default_folder_comes_from_the_environment(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("DLBASICS_DATA", str(tmp_path))
    assert ds.mnist_folder() == tmp_path / "mnist"
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "mnist")):
        load_mnist()
    _, sums = write_mnist(tmp_path / "mnist")
    assert load_mnist(checksums=sums)[0].shape == (8, 784)
    monkeypatch.delenv("DLBASICS_DATA")
    assert ds.mnist_folder().parts[-3:] == (".cache", "dlbasics", "mnist")


def test_download_only_when_asked_and_verified(tmp_path, monkeypatch):
    """A fake server stands in for the network: the download path runs, nothing leaves."""
    _, raw = tiny_mnist()
    served = {name + ".gz": gzip.compress(data) for name, data in raw.items()}
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in served.items()}
    requested = []

    def fake_urlopen(url, timeout):
        requested.append(url)
        return io.BytesIO(served[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    X, _ = load_mnist(tmp_path / "mnist", download=True, checksums=sums)
    assert X.shape == (8, 784) and len(requested) == 4
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(served)
    load_mnist(tmp_path / "mnist", download=True, checksums=sums)
    assert len(requested) == 4  # present files are not fetched again


def test_failed_download_explains_what_to_do(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(
        OSError,
        match=r"could not download train-images-idx3-ubyte\.gz into "
        r".*no network.*t10k-labels-idx1-ubyte\.gz",
    ):
        load_mnist(tmp_path, download=True)
    assert not any(tmp_path.iterdir())  # no partial files left behind


def test_corrupt_downloads_are_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"junk"))
    with pytest.raises(OSError, match="SHA-256 mismatch"):
        load_mnist(tmp_path, download=True)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda b: b"\x01" + b[1:], "not an IDX file"),
        (lambda b: b[:-1], "truncated or padded"),
        (lambda b: b + b"\x00", "truncated or padded"),
    ],
)
def test_damaged_idx_files_are_refused(tmp_path, damage, match):
    write_mnist(tmp_path, gz=False)
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=match):
        load_mnist(tmp_path, checksums={})


def test_mismatched_image_and_label_counts(tmp_path):
    write_mnist(tmp_path, gz=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(2)))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte has shape \(3, 28, 28\)"):
        load_mnist(tmp_path, checksums={})
    with pytest.raises(ValueError, match=r"unknown MNIST subset 'val'; choose one of: 'all'"):
        load_mnist(tmp_path, subset="val")


def test_bad_gzip_is_refused(tmp_path):
    write_mnist(tmp_path, gz=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="not a readable gzip file"):
        load_mnist(tmp_path, checksums={})


# --- splitting -----------------------------------------------------------------------------------


@given(
    n=st.integers(20, 200),
    val=st.floats(0.0, 0.4),
    test=st.floats(0.0, 0.4),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_is_a_partition_and_keeps_class_proportions(n, val, test, seed):
    X = np.arange(2 * n, dtype=np.float64).reshape(n, 2)  # row i is (2i, 2i + 1): traceable
    y = np.arange(n) % 3
    split = train_val_test_split(X, y, val=val, test=test, rng=seed)
    rows = np.concatenate([part[0][:, 0] for part in split]) / 2
    assert sorted(rows.astype(int)) == list(range(n))  # every example exactly once
    for Xs, ys in split:
        assert np.array_equal(ys, (Xs[:, 0] / 2).astype(int) % 3)  # rows and labels stay paired
    _, (_, y_va), (_, y_te) = split
    assert abs(len(y_te) - test * n) <= 3 and abs(len(y_va) - val * n) <= 3
    for c in range(3):  # stratified: each class split in the same proportions
        assert abs(np.sum(y_te == c) - test * np.sum(y == c)) <= 0.5 + 1e-9


def test_split_regression_reproducible_and_named():
    X, y = ds.noisy_line(100, rng=0)
    a = train_val_test_split(X, y, rng=3)
    b = train_val_test_split(X, y, rng=np.random.default_rng(3))
    assert np.array_equal(a.train[0], b.train[0]) and np.array_equal(a.test[1], b.test[1])
    assert [len(part[0]) for part in a] == [70, 15, 15]
    assert a.val[1].shape == (15, 1)
    c = train_val_test_split(X, y, rng=4, stratify=False)
    assert not np.array_equal(a.train[0], c.train[0])


def test_split_errors():
    X, y = np.zeros((10, 2)), np.zeros(10, dtype=int)
    with pytest.raises(ValueError, match=r"X has shape \(10, 2\) but y has shape \(9,\)"):
        train_val_test_split(X, y[:9], rng=0)
    with pytest.raises(ValueError, match="val \\+ test must be < 1"):
        train_val_test_split(X, y, val=0.5, test=0.5, rng=0)
    with pytest.raises(ValueError, match=r"test must be in \[0.0, 1.0\)"):
        train_val_test_split(X, y, test=-0.1, rng=0)
    with pytest.raises(ValueError, match="contains 1 NaN"):
        train_val_test_split(np.where(np.eye(10, 2) > 0, np.nan, 0.0)[:, :1] + X[:, :1], y, rng=0)


# --- standardizing and one-hot -------------------------------------------------------------------


@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(2, 20), st.integers(1, 4)), elements=st.floats(-1e3, 1e3)
    )
)
def test_standardizer_roundtrip(X):
    s = Standardizer()
    Z = s.fit_transform(X)
    constant = s.std == 0
    assert np.all(constant[np.ptp(X, axis=0) == 0])
    assert np.allclose(Z.mean(axis=0), 0.0, atol=1e-9)
    assert np.allclose(Z[:, constant], 0.0)  # constant columns stay at 0, no division by 0
    assert np.allclose(Z[:, ~constant].std(axis=0), 1.0)
    assert np.allclose(s.inverse_transform(Z), X, atol=1e-9 * (1 + np.abs(X).max()))


def test_standardizer_uses_the_training_statistics_and_keeps_dtype():
    train = np.array([[0.0, 5.0], [2.0, 5.0]], dtype=np.float32)
    train.flags.writeable = False
    s = Standardizer().fit(train)
    assert s.mean.tolist() == [1.0, 5.0] and s.std.tolist() == [1.0, 0.0]
    out = s.transform(np.array([[3.0, 7.0]], dtype=np.float32))
    assert out.dtype == np.float32 and out.tolist() == [[2.0, 2.0]]
    assert s.transform(train).tolist() == [[-1.0, 0.0], [1.0, 0.0]]


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="call fit"):
        Standardizer().transform(np.zeros((2, 2)))
    s = Standardizer().fit(np.zeros((3, 2)))
    with pytest.raises(
        ValueError,
        match=r"X has shape \(3, 3\) but the standardizer was fitted "
        r"on 2 columns",
    ):
        s.transform(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"must be a 2-D array.*reshape"):
        s.transform(np.zeros(2))
    with pytest.raises(ValueError, match="contains 0 NaN and 1 infinite"):
        Standardizer().fit(np.array([[1.0], [np.inf]]))


def test_one_hot():
    assert one_hot([2, 0, 1]).tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert one_hot(np.array([1.0, 0.0]), n_classes=4).shape == (2, 4)
    assert one_hot([1], dtype=np.float32).dtype == np.float32
    with pytest.raises(
        ValueError,
        match=r"out of range: must be in 0\.\.2 \(3 classes\), got "
        r"values from 0 to 3",
    ):
        one_hot([0, 3], n_classes=3)
    with pytest.raises(ValueError, match="out of range: must be 0 or more"):
        one_hot([-1, 2])
    with pytest.raises(ValueError, match="whole numbers"):
        one_hot([0.5])
    with pytest.raises(ValueError, match=r"1-D array of class numbers, got shape \(2, 2\)"):
        one_hot(np.eye(2))
    with pytest.raises(TypeError, match="must hold class numbers"):
        one_hot(["a", "b"])
