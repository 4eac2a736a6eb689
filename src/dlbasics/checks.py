"""Checks for the chapters' coding exercises: a wrong answer gets a message that teaches.

A check cell calls :func:`check_function` with the learner's function and a few cases. Each case
holds the arguments, the expected result and a hint for that case. The first case that fails
raises :class:`AnswerError` with what was returned, what was expected and the hint, for example::

    sigmoid(0) returned 1.0, expected 0.5: check the sign of the exponent

A function that still raises ``NotImplementedError`` (the stub) gets "not answered yet". When all
cases pass, the check returns a one-line confirmation for the cell to print.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


class AnswerError(AssertionError):
    """A coding exercise's check failed; the message says what was expected and gives a hint."""


@dataclass(frozen=True)
class Case:
    """One test of a learner's function: ``fn(*args)`` should be close to ``expected``."""

    args: tuple[Any, ...]
    expected: Any
    hint: str = ""


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=4, threshold=12, separator=", ")
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.6g}"
        return text if any(c in text for c in ".ein") else text + ".0"  # 1 -> 1.0
    return repr(value)


def _call_text(name: str, args: tuple[Any, ...]) -> str:
    return f"{name}({', '.join(_show(a) for a in args)})"


def check_function(
    fn: Callable[..., Any],
    cases: Sequence[Case],
    *,
    name: str | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> str:
    """Run ``fn`` on every case; raise :class:`AnswerError` at the first wrong answer.

    Parameters
    ----------
    fn : callable
        The learner's function.
    cases : sequence of Case
        Arguments, expected value (a number, an array or anything ``==`` compares) and hint.
    name : str, optional
        The name to show in messages; defaults to ``fn.__name__``.
    rtol, atol : float
        Tolerances for numerical answers (``numpy.allclose``).

    Returns
    -------
    str
        ``"✓ <name> passed all <k> checks"``.
    """
    name = name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        raise AnswerError(f"{name} should be a function, but it is {type(fn).__name__}")
    for case in cases:
        args = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a
                     for a in case.args)
        call = _call_text(name, case.args)
        try:
            got = fn(*args)
        except NotImplementedError:
            raise AnswerError(
                f"{name} is not answered yet: replace `raise NotImplementedError()` with your "
                "code, run that cell, then run this check again"
            ) from None
        except Exception as exc:
            raise AnswerError(f"{call} raised {type(exc).__name__}: {exc}") from exc
        for original, passed in zip(case.args, args, strict=True):
            if isinstance(original, np.ndarray) and not np.array_equal(original, passed):
                raise AnswerError(f"{call} changed its input array; work on a copy instead")
        _compare(call, got, case.expected, case.hint, rtol, atol)
    return f"✓ {name} passed all {len(cases)} checks"


def check_value(
    label: str, got: Any, expected: Any, *, hint: str = "", rtol: float = 1e-6, atol: float = 1e-9
) -> str:
    """Compare a single computed value (not a function) with the expected one."""
    if got is None or got is Ellipsis:
        raise AnswerError(f"{label} is not answered yet: replace the ... with your value")
    _compare(label, got, expected, hint, rtol, atol)
    return f"✓ {label} is right"


def _compare(call: str, got: Any, expected: Any, hint: str, rtol: float, atol: float) -> None:
    tail = f": {hint}" if hint else ""
    if got is None:
        raise AnswerError(f"{call} returned None: did you forget `return`?")
    if isinstance(expected, (bool, str)) or expected is None:
        ok = got == expected
    else:
        try:
            got_arr = np.asarray(got, dtype=float)
            exp_arr = np.asarray(expected, dtype=float)
        except (TypeError, ValueError):
            raise AnswerError(
                f"{call} returned {_show(got)} ({type(got).__name__}), expected a number or "
                f"array like {_show(expected)}{tail}"
            ) from None
        if got_arr.shape != exp_arr.shape:
            raise AnswerError(
                f"{call} returned shape {got_arr.shape}, expected shape {exp_arr.shape}{tail}"
            )
        ok = bool(np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol, equal_nan=False))
    if not ok:
        raise AnswerError(f"{call} returned {_show(got)}, expected {_show(expected)}{tail}")
