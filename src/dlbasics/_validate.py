"""Input checks shared by the public entry points.

Each error says what was wrong and how to fix it.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np


def as_float_array(a: Any, name: str, *, ndim: int | None = None, where: str = "") -> np.ndarray:
    """Return ``a`` as a floating-point array, refusing NaN, infinity and the wrong rank.

    Floating arrays keep their dtype (float32 stays float32); integers and booleans become float64.
    The input is never modified; a copy is made only when a conversion is needed.
    """
    prefix = f"{where}: " if where else ""
    try:
        arr = np.asarray(a)
    except Exception as exc:  # pragma: no cover - numpy's own message is kept
        raise TypeError(f"{prefix}{name} must be array-like, got {type(a).__name__}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{prefix}{name} must hold numbers, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        hint = ""
        if ndim == 2 and arr.ndim == 1:
            hint = (
                " Rows are examples: reshape one example with x.reshape(1, -1), "
                "or a column of single-feature examples with x.reshape(-1, 1)."
            )
        raise ValueError(
            f"{prefix}{name} must be a {ndim}-D array, got shape {arr.shape} ({arr.ndim}-D).{hint}"
        )
    check_finite(arr, name, where=where)
    return arr


def check_finite(arr: np.ndarray, name: str, *, where: str = "") -> None:
    """Refuse arrays holding NaN or ±inf, saying how many entries are bad."""
    if not np.all(np.isfinite(arr)):
        prefix = f"{where}: " if where else ""
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(
            f"{prefix}{name} contains {n_nan} NaN and {n_inf} infinite value(s); "
            "clean or standardize the data first (a diverged training run also produces these)"
        )


def float_dtype(dtype: Any, where: str) -> np.dtype:
    """Return ``dtype`` as a numpy dtype, refusing anything but floating point.

    Weights must hold fractions: in an integer dtype a He or Xavier draw such as 0.3 is truncated
    to 0, and the optimizer's small steps could not change it.
    """
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(
            f"{where}: dtype {dtype!r} is not a numpy dtype; "
            "use a floating dtype such as np.float64"
        ) from exc
    if not np.issubdtype(dt, np.floating):
        raise TypeError(
            f"{where}: dtype must be a floating dtype such as np.float64 (or np.float32), got "
            f"{dt.name}; in {dt.name} the initial weights would be truncated to whole numbers "
            "(mostly 0) and gradient steps could not change them"
        )
    return dt


def is_number(value: object) -> bool:
    """True for a real number (``int``, ``float``, a numpy scalar, a ``Fraction``), False for a
    bool or anything else."""
    return not isinstance(value, bool) and isinstance(value, Real)


def check_positive(value: Any, name: str, *, integer: bool = False) -> None:
    """Refuse a non-positive (or, with ``integer=True``, non-integer) hyper-parameter."""
    if integer:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a positive whole number, got {value!r}")
    elif not is_number(value):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


def check_labels(
    labels: Any, n_classes: int | None = None, *, name: str = "labels", where: str = ""
) -> np.ndarray:
    """Return class labels as an int64 array ``(n,)``, refusing anything that is not a class number.

    Whole-number floats (``2.0``) are accepted. With ``n_classes`` every label must lie in
    ``0 .. n_classes − 1``; without it, labels must not be negative.
    """
    prefix = f"{where}: " if where else ""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(
            f"{prefix}{name} must be a 1-D array of class numbers, got shape {arr.shape}"
        )
    if np.issubdtype(arr.dtype, np.floating):
        check_finite(arr, name, where=where)
        if np.any(arr != np.round(arr)):
            raise ValueError(
                f"{prefix}{name} must be whole numbers (class 0, 1, 2, ...); probabilities or "
                "one-hot rows go in a 2-D array of shape (n, n_classes)"
            )
    elif not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
        raise TypeError(f"{prefix}{name} must hold class numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if n_classes is not None:
        check_positive(n_classes, "n_classes", integer=True)
    if arr.size and (arr.min() < 0 or (n_classes is not None and arr.max() >= n_classes)):
        valid = f"in 0..{n_classes - 1} ({n_classes} classes)" if n_classes else "0 or more"
        raise ValueError(
            f"{prefix}{name} out of range: must be {valid}, "
            f"got values from {arr.min()} to {arr.max()}"
        )
    return arr


def check_in_range(
    value: Any, name: str, low: float, high: float, *, include_high: bool = False
) -> None:
    """Refuse a number outside ``[low, high)`` (or ``[low, high]`` with ``include_high``)."""
    if not is_number(value):
        raise TypeError(f"{name} must be a number, got {value!r}")
    ok = low <= value <= high if include_high else low <= value < high
    if not ok or not np.isfinite(value):
        bracket = "]" if include_high else ")"
        raise ValueError(f"{name} must be in [{low}, {high}{bracket}, got {value!r}")


def unknown_name_error(kind: str, name: Any, valid: Any) -> ValueError:
    """The error for an unknown registry name, listing the valid choices."""
    choices = ", ".join(repr(v) for v in sorted(valid))
    return ValueError(f"unknown {kind} {name!r}; choose one of: {choices}")
