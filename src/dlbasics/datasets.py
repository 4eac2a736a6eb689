"""Data sets for the course, from four logic-gate points to MNIST, and how to prepare them.

Every loader returns ``(X, y)`` with one example per row: ``X`` is float64, shape
``(n, features)`` (``(n, 2)`` for the toy 2-D sets), ``y`` holds integer class labels ``(n,)``
for classification or floats ``(n, 1)`` for regression. Random data sets take an explicit
``rng`` (a :class:`numpy.random.Generator` or an integer seed), so a figure is reproducible.

- chapter 1: :func:`logic_gate` (AND/OR are linearly separable, XOR is not), :func:`xor`;
- chapters 3 and 5: :func:`noisy_line` (the line fit and its cost surface);
- chapters 7 and 8: :func:`moons`, :func:`circles`, :func:`spirals`, :func:`blobs`,
  :func:`load_digits` (8×8 digits, shipped with the package, works offline) and
  :func:`load_mnist` (28×28 digits, downloaded only when asked), then
  :func:`train_val_test_split`, :class:`Standardizer` and :func:`one_hot`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ._validate import (
    as_float_array,
    check_finite,
    check_in_range,
    check_labels,
    check_positive,
    is_number,
    unknown_name_error,
)

Array = np.ndarray
Seed = np.random.Generator | int | None

# --- labels (check_labels lives in dlbasics._validate; it is importable from here too) ----------


def one_hot(labels: Any, n_classes: int | None = None, *, dtype: Any = np.float64) -> Array:
    """One-hot rows ``(n, n_classes)``: row ``i`` is 1 in column ``labels[i]``, 0 elsewhere.

    ``n_classes`` defaults to ``max(labels) + 1``. Labels out of range are refused (chapter 3).
    """
    labels = check_labels(labels, n_classes, where="one_hot")
    k = n_classes if n_classes is not None else int(labels.max(initial=-1)) + 1
    out = np.zeros((labels.shape[0], k), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


# --- toy data sets -------------------------------------------------------------------------------

_GATES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0], "nand": [1, 1, 1, 0]}
_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _check_noise(value: Any, name: str = "noise") -> None:
    if (
        not is_number(value)
        or not np.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a number >= 0 (the standard deviation), got {value!r}")


def _class_sizes(n: int, n_classes: int = 2) -> Array:
    """``n`` examples shared as evenly as possible among the classes."""
    check_positive(n, "n", integer=True)
    check_positive(n_classes, "n_classes", integer=True)
    if n_classes < 2 or n < n_classes:
        raise ValueError(
            f"need n_classes >= 2 and n >= n_classes, got n={n}, n_classes={n_classes}"
        )
    return np.array([n // n_classes + (c < n % n_classes) for c in range(n_classes)])


def _shuffled(X: Array, y: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    order = rng.permutation(len(y))
    return X[order], y[order]


def logic_gate(name: str) -> tuple[Array, Array]:
    """The four inputs ``(0,0), (0,1), (1,0), (1,1)`` and the gate's output for each (chapter 1).

    ``name`` is ``"and"``, ``"or"``, ``"xor"`` or ``"nand"``. A single neuron can learn AND, OR
    and NAND (one straight line separates the classes), but not XOR.
    """
    if name not in _GATES:
        raise unknown_name_error("logic gate", name, _GATES)
    return _CORNERS.copy(), np.array(_GATES[name], dtype=np.int64)


def noisy_line(
    n: int = 50,
    *,
    slope: float = 2.0,
    intercept: float = 1.0,
    noise: float = 0.5,
    x_range: tuple[float, float] = (0, 5),
    rng: Seed,
) -> tuple[Array, Array]:
    r"""Points around a line, :math:`y = \text{slope}\cdot x + \text{intercept} + \varepsilon`,
    with Gaussian noise :math:`\varepsilon \sim \mathcal N(0, \text{noise}^2)` (chapters 3, 5).

    Returns ``X`` ``(n, 1)`` with ``x`` uniform in ``x_range`` and ``y`` ``(n, 1)``.
    """
    check_positive(n, "n", integer=True)
    _check_noise(noise)
    low, high = x_range
    if not low < high:
        raise ValueError(f"x_range must be (low, high) with low < high, got {x_range!r}")
    rng = np.random.default_rng(rng)
    x = rng.uniform(low, high, size=(n, 1))
    return x, slope * x + intercept + noise * rng.normal(size=(n, 1))


def xor(n: int = 200, *, noise: float = 0.2, rng: Seed) -> tuple[Array, Array]:
    """Noisy XOR: clouds of points around the four corners of the unit square, labelled like
    ``logic_gate("xor")``; ``noise`` is the standard deviation of each cloud."""
    _check_noise(noise)
    rng = np.random.default_rng(rng)
    corner = rng.permutation(np.repeat(np.arange(4), _class_sizes(n, 4)))
    return _CORNERS[corner] + noise * rng.normal(size=(n, 2)), np.array(_GATES["xor"])[corner]


def moons(n: int = 200, *, noise: float = 0.1, rng: Seed) -> tuple[Array, Array]:
    """Two interleaving half circles (class 0 above, class 1 below), as in scikit-learn."""
    _check_noise(noise)
    rng = np.random.default_rng(rng)
    n0, n1 = _class_sizes(n)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    y = np.repeat([0, 1], [n0, n1])
    return _shuffled(X + noise * rng.normal(size=X.shape), y, rng)


def circles(
    n: int = 200, *, noise: float = 0.05, factor: float = 0.5, rng: Seed
) -> tuple[Array, Array]:
    """A circle of radius ``factor`` (class 1) inside a circle of radius 1 (class 0)."""
    _check_noise(noise)
    check_in_range(factor, "factor (inner radius)", 0.0, 1.0)
    if factor == 0:
        raise ValueError("factor (inner radius) must be > 0")
    rng = np.random.default_rng(rng)
    sizes = _class_sizes(n)
    t = [np.linspace(0, 2 * np.pi, m, endpoint=False) for m in sizes]
    X = np.concatenate(
        [np.c_[np.cos(t[0]), np.sin(t[0])], factor * np.c_[np.cos(t[1]), np.sin(t[1])]]
    )
    return _shuffled(X + noise * rng.normal(size=X.shape), np.repeat([0, 1], sizes), rng)


def spirals(
    n: int = 300, *, n_classes: int = 2, noise: float = 0.1, rng: Seed
) -> tuple[Array, Array]:
    r"""Interleaved spiral arms, one per class: arm ``c`` is
    :math:`r(\cos\theta, \sin\theta)` with :math:`r = t \in [0, 1]`,
    :math:`\theta = 2\pi c / K + 3\pi t`, plus Gaussian noise. Needs a hidden layer or two."""
    _check_noise(noise)
    sizes = _class_sizes(n, n_classes)
    rng = np.random.default_rng(rng)
    y = np.repeat(np.arange(n_classes), sizes)
    t = np.concatenate([np.linspace(0, 1, m) for m in sizes])
    theta = 2 * np.pi * y / n_classes + 3 * np.pi * t
    X = t[:, None] * np.c_[np.cos(theta), np.sin(theta)]
    return _shuffled(X + noise * rng.normal(size=X.shape), y, rng)


def blobs(
    n: int = 300, *, n_classes: int = 3, spread: float = 0.5, rng: Seed
) -> tuple[Array, Array]:
    """Gaussian clouds (standard deviation ``spread``) around centres on a circle of radius 2."""
    _check_noise(spread, "spread")
    sizes = _class_sizes(n, n_classes)
    rng = np.random.default_rng(rng)
    angle = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 2.0 * np.c_[np.cos(angle), np.sin(angle)]
    y = np.repeat(np.arange(n_classes), sizes)
    return _shuffled(centres[y] + spread * rng.normal(size=(n, 2)), y, rng)


# --- real data -----------------------------------------------------------------------------------


_DIGITS_FILE: Any = resources.files(__package__) / "data" / "digits.npz"
"""The shipped digits (see ``data/README.md`` beside it: provenance, licence, how it was made)."""

DIGITS_SHA256 = "62dc8a24a0a5aeec79b8240ee397c1e8bf0cdcea999fd3d12fbecbb00c9076a4"
"""SHA-256 of ``data/digits.npz``, checked before the file is read."""


def load_digits() -> tuple[Array, Array]:
    """The 1,797 8×8 handwritten digits shipped with the package (offline; chapters 1, 4, 8).

    They are the UCI *Optical Recognition of Handwritten Digits* test set (E. Alpaydin and
    C. Kaynak, 1998; CC BY 4.0), the same copy that scikit-learn's ``load_digits`` returns.

    Returns ``X`` ``(1797, 64)``, float64 grey levels 0..16 (row-major pixels), and ``y``
    ``(1797,)``, the digits 0..9 as int64.
    """
    file = _DIGITS_FILE
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"load_digits: the digits file {file} is missing from the dlbasics package. Restore "
            "it: in a git clone of the course, git checkout -- src/dlbasics/data/digits.npz; "
            "otherwise reinstall the package (pip install --force-reinstall --no-deps followed "
            "by the course folder or address you installed it from)."
        ) from None
    digest = _sha256(raw)
    if digest != DIGITS_SHA256:
        raise ValueError(
            f"load_digits: the digits file {file} is damaged (its SHA-256 is {digest}, "
            f"expected {DIGITS_SHA256}), so its numbers cannot be trusted. Restore it: in a git "
            "clone of the course, git checkout -- src/dlbasics/data/digits.npz; otherwise "
            "reinstall the package (pip install --force-reinstall --no-deps followed by the "
            "course folder or address you installed it from)."
        )
    with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
        return archive["data"].astype(np.float64), archive["target"].astype(np.int64)


MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
"""The four MNIST files (each may be gzipped, with ``.gz`` added)."""

MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
"""SHA-256 of the published MNIST archives, checked before they are read."""

MNIST_MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def mnist_folder(path: str | os.PathLike[str] | None = None) -> Path:
    """Where :func:`load_mnist` looks: ``path``, else ``$DLBASICS_DATA/mnist``, else
    ``~/.cache/dlbasics/mnist``."""
    if path is not None:
        return Path(path).expanduser()
    root = os.environ.get("DLBASICS_DATA")
    return (Path(root) if root else Path.home() / ".cache" / "dlbasics").expanduser() / "mnist"


def load_mnist(
    path: str | os.PathLike[str] | None = None,
    *,
    download: bool = False,
    subset: str = "all",
    dtype: Any = np.float64,
    checksums: Mapping[str, str] | None = None,
) -> tuple[Array, Array]:
    """The MNIST handwritten digits, 28×28 grey levels 0..255, from IDX files (chapter 8).

    Parameters
    ----------
    path : path-like, optional
        The folder holding the four files of :data:`MNIST_FILES`, gzipped or not; see
        :func:`mnist_folder` for the default.
    download : bool, default False
        Fetch missing files from a mirror. Without it, nothing is ever downloaded.
    subset : {"all", "train", "test"}
        ``"all"`` is the 60,000 training images followed by the 10,000 test images.
    dtype : numpy dtype, default float64
        For ``X``; float32 halves the memory (all of MNIST in float64 takes 440 MB).
    checksums : mapping, optional
        File name → SHA-256, default :data:`MNIST_SHA256`. Files not listed (such as
        uncompressed copies) are read without a check.

    Returns
    -------
    X : ndarray (n, 784)
        One flattened image per row (divide by 255 or standardize before training).
    y : ndarray (n,)
        The digits 0..9, int64.
    """
    subsets = {"train": MNIST_FILES[:2], "test": MNIST_FILES[2:], "all": MNIST_FILES}
    if subset not in subsets:
        raise unknown_name_error("MNIST subset", subset, subsets)
    folder = mnist_folder(path)
    checksums = MNIST_SHA256 if checksums is None else checksums
    missing = [base for base in subsets[subset] if _find(folder, base) is None]
    if missing and not download:
        raise FileNotFoundError(
            f"load_mnist: {', '.join(missing)} not found in {folder}. MNIST needs these four "
            f"files (gzipped or not): {', '.join(f + '.gz' for f in MNIST_FILES)}. "
            "Call load_mnist(download=True) to fetch them (about 11 MB), copy them into that "
            "folder, or use load_digits(), which works offline."
        )
    if missing:
        _download(folder, missing, checksums)
    parts = []
    for images_name, labels_name in zip(subsets[subset][::2], subsets[subset][1::2], strict=True):
        images, labels = (
            _read_idx(_find(folder, b) or folder / (b + ".gz"), checksums)
            for b in (images_name, labels_name)
        )
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"load_mnist: {images_name} has shape {images.shape} and {labels_name} has "
                f"shape {labels.shape}; expected (n, rows, cols) images and n labels"
            )
        parts.append((images.reshape(len(images), -1).astype(dtype), labels.astype(np.int64)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _find(folder: Path, base: str) -> Path | None:
    for name in (base + ".gz", base):
        if (folder / name).is_file():
            return folder / name
    return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_idx(file: Path, checksums: Mapping[str, str]) -> Array:
    """Read one IDX file: magic ``0 0 type ndim``, ``ndim`` big-endian sizes, then the values."""
    raw = file.read_bytes()
    expected = checksums.get(file.name)
    if expected is not None and _sha256(raw) != expected.lower():
        raise ValueError(
            f"load_mnist: SHA-256 check failed for {file} (got {_sha256(raw)}, expected "
            f"{expected}); the file is corrupt or incomplete. Delete it and call "
            "load_mnist(download=True) again, or copy a good copy into the folder."
        )
    try:
        data = gzip.decompress(raw) if file.suffix == ".gz" else raw
    except (OSError, EOFError) as exc:
        raise ValueError(f"load_mnist: {file} is not a readable gzip file ({exc})") from exc
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in _IDX_TYPES:
        raise ValueError(f"load_mnist: {file} is not an IDX file (bad magic number)")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[data[2]])
    offset = 4 + 4 * ndim
    if len(data) != offset + int(np.prod(dims)) * dtype.itemsize:
        raise ValueError(f"load_mnist: {file} is truncated or padded: its header says {dims}")
    return np.frombuffer(data, dtype=dtype, offset=offset).reshape(dims)


def _download(folder: Path, missing: list[str], checksums: Mapping[str, str]) -> None:
    """Fetch the missing gzipped files, verify them, and only then move them into place."""
    import urllib.request  # the only network access in dlbasics, and only when asked for

    folder.mkdir(parents=True, exist_ok=True)
    for base in missing:
        name, errors = base + ".gz", []
        for mirror in MNIST_MIRRORS:
            try:
                with urllib.request.urlopen(mirror + name, timeout=60) as response:
                    data = response.read()
            except OSError as exc:
                errors.append(f"{mirror}: {exc}")
                continue
            if name in checksums and _sha256(data) != checksums[name].lower():
                errors.append(f"{mirror}: SHA-256 mismatch")
                continue
            (folder / (name + ".part")).write_bytes(data)
            (folder / (name + ".part")).replace(folder / name)
            break
        else:
            raise OSError(
                f"load_mnist: could not download {name} into {folder} ({'; '.join(errors)}). "
                f"Offline? Copy the four files {', '.join(f + '.gz' for f in MNIST_FILES)} "
                "into that folder by hand, or use load_digits()."
            )


# --- preparing data ------------------------------------------------------------------------------


class Split(NamedTuple):
    """Three ``(X, y)`` pairs: fit on ``train``, tune on ``val``, report ``test`` once."""

    train: tuple[Array, Array]
    val: tuple[Array, Array]
    test: tuple[Array, Array]


def train_val_test_split(
    X: Any, y: Any, *, val: float = 0.15, test: float = 0.15, rng: Seed, stratify: bool = True
) -> Split:
    """Shuffle and split into training, validation and test sets (chapter 7).

    ``val`` and ``test`` are fractions of the examples. With ``stratify`` (for integer class
    labels; ignored for regression targets) each class is split on its own, so all three sets
    keep the class proportions. Use as ``(X_tr, y_tr), (X_val, y_val), (X_te, y_te) = ...``.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"train_val_test_split: X has shape {X.shape} but y has shape {y.shape}; "
            "they need one row per example"
        )
    for arr, name in ((X, "X"), (y, "y")):
        if np.issubdtype(arr.dtype, np.floating):
            check_finite(arr, name, where="train_val_test_split")
    check_in_range(val, "val", 0.0, 1.0)
    check_in_range(test, "test", 0.0, 1.0)
    if val + test >= 1:
        raise ValueError(f"val + test must be < 1 to leave training data, got {val} + {test}")
    rng = np.random.default_rng(rng)
    by_class = stratify and y.ndim == 1 and np.issubdtype(y.dtype, np.integer)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if by_class else [np.arange(len(y))]
    parts: tuple[list[Array], list[Array], list[Array]] = ([], [], [])
    for idx in groups:
        idx = rng.permutation(idx)
        n_test, n_val = round(test * len(idx)), round(val * len(idx))
        parts[0].append(idx[n_test + n_val :])
        parts[1].append(idx[n_test : n_test + n_val])
        parts[2].append(idx[:n_test])
    train, va, te = (rng.permutation(np.concatenate(p)) for p in parts)
    if len(train) == 0:
        raise ValueError(f"no training examples left from {len(y)} with val={val}, test={test}")
    return Split((X[train], y[train]), (X[va], y[va]), (X[te], y[te]))


class Standardizer:
    r"""Standardize each column: :math:`x' = (x - \mu) / \sigma` (chapters 6, 8).

    Fit on the training set only, then transform every set with the *training* mean and
    standard deviation. A constant column (σ = 0) is only centred, so it becomes 0.

    Attributes
    ----------
    mean, std : ndarray (features,) or None
        Set by :meth:`fit` (population standard deviation; 0 for constant columns).
    """

    def __init__(self) -> None:
        self.mean: Array | None = None
        self.std: Array | None = None

    def fit(self, X: Any) -> Standardizer:
        """Learn each column's mean and standard deviation; returns ``self``."""
        X = as_float_array(X, "X", ndim=2, where="Standardizer.fit").astype(np.float64)
        if len(X) == 0:
            raise ValueError("Standardizer.fit: X has no rows")
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(np.ptp(X, axis=0) == 0, 0.0, std)  # exactly 0 for constant columns
        return self

    def _checked(self, X: Any, where: str) -> tuple[Array, Array, Array]:
        if self.mean is None or self.std is None:
            raise RuntimeError(f"Standardizer.{where}: call fit(X_train) first")
        X = as_float_array(X, "X", ndim=2, where=f"Standardizer.{where}")
        if X.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"Standardizer.{where}: X has shape {X.shape} but the standardizer "
                f"was fitted on {self.mean.shape[0]} columns"
            )
        return X, self.mean, np.where(self.std > 0, self.std, 1.0)

    def transform(self, X: Any) -> Array:
        """Return :math:`(X - \\mu) / \\sigma`, in the dtype of ``X``."""
        X, mean, scale = self._checked(X, "transform")
        return ((X - mean) / scale).astype(X.dtype, copy=False)

    def fit_transform(self, X: Any) -> Array:
        """:meth:`fit` then :meth:`transform` on the same data."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> Array:
        """Undo :meth:`transform`: :math:`X' \\sigma + \\mu`."""
        X, mean, scale = self._checked(X, "inverse_transform")
        return (X * scale + mean).astype(X.dtype, copy=False)
