"""Checks for the chapters' coding exercises: a wrong answer gets a message that teaches.

A check cell calls :func:`check_function` with the learner's function and a few cases. Each case
holds the arguments, the expected result and a hint for that case. The first case that fails
raises :class:`AnswerError` with what was returned, what was expected and the hint, for example::

    sigmoid(0) returned 1.0, expected 0.5: check the sign of the exponent

A function that still raises ``NotImplementedError`` (the stub every exercise starts from) is
*not answered yet*: the check returns a note saying so, with the first cases it will try and
their expected results, so that running a whole chapter never stops and never shows a ✓ nobody
earned. Under nbgrader (``nbgrader validate`` and ``nbgrader autograde`` set the environment
variable ``NBGRADER_EXECUTION``) an unanswered exercise raises :class:`AnswerError` instead, so it
scores no points. When all cases pass, the check returns a one-line confirmation.

The checks compare with the numpy functions as they were when this module was imported: if a
notebook replaces one of them (``np.allclose = lambda *a, **k: True``), every check refuses to
run and says which one changed. Check cells import :func:`check_function` themselves, so
redefining it in an answer cell changes nothing either.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# The numpy functions the checks rely on, as imported: a notebook that replaces one cannot fool
# a check (see _machinery_problem).
_NUMPY = {name: getattr(np, name) for name in (
    "allclose", "isclose", "asarray", "array", "array_equal", "array2string", "all", "abs",
    "isfinite", "shape", "ndarray", "floating")}
_MAX_SHOWN_CASES = 3


class AnswerError(AssertionError):
    """A coding exercise's check failed; the message says what was expected and gives a hint."""


def grading() -> bool:
    """True while nbgrader validates or autogrades a notebook (it sets ``NBGRADER_EXECUTION``)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def _machinery_problem() -> str | None:
    """A sentence naming the numpy function a notebook replaced, or None if all are intact."""
    changed = [name for name, original in _NUMPY.items() if getattr(np, name, None) is not original]
    if not changed:
        return None
    names = ", ".join(f"numpy.{name}" for name in changed)
    return (f"this notebook replaced {names}, which the checks use, so no check can be trusted "
            "here: remove the line that assigns to it, restart the kernel and run the cells "
            "again")


@dataclass(frozen=True)
class Case:
    """One test of a learner's function: ``fn(*args)`` should be close to ``expected``."""

    args: tuple[Any, ...]
    expected: Any
    hint: str = ""


def _show(value: Any) -> str:
    if isinstance(value, list) and any(isinstance(v, (float, list)) for v in value):
        try:
            value = _NUMPY["asarray"](value, dtype=float)
        except (TypeError, ValueError):
            return repr(value)
    if isinstance(value, _NUMPY["ndarray"]):
        text = _NUMPY["array2string"](value, precision=4, threshold=12, separator=", ",
                                      max_line_width=10_000)
        return " ".join(text.split()).replace("[ ", "[")  # one line, rows side by side
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
        ``"✓ <name> passed all <k> checks"``; or, while ``fn`` still raises
        ``NotImplementedError``, a note that it is not answered yet with the first cases it will
        be checked on (under nbgrader that note is raised as :class:`AnswerError` instead).
    """
    name = name or str(getattr(fn, "__name__", "your function"))
    problem = _machinery_problem()
    if problem:
        raise AnswerError(problem)
    if not callable(fn):
        raise AnswerError(f"{name} should be a function, but it is {type(fn).__name__}")
    for case in cases:
        args = tuple(_NUMPY["array"](a, copy=True) if isinstance(a, _NUMPY["ndarray"]) else a
                     for a in case.args)
        call = _call_text(name, case.args)
        try:
            got = fn(*args)
        except NotImplementedError:
            return _not_answered(name, cases)
        except KeyboardInterrupt:  # the cell's time limit while grading, or Kernel → Interrupt
            raise AnswerError(f"{call} was stopped before it returned (the time limit of a cell "
                              "while grading, or an interrupt): does it loop forever?") from None
        except Exception as exc:
            tail = f": {case.hint}" if case.hint else ""
            raise AnswerError(f"{call} raised {type(exc).__name__}: {exc}{tail}") from exc
        for original, passed in zip(case.args, args, strict=True):
            if (isinstance(original, _NUMPY["ndarray"])
                    and not _NUMPY["array_equal"](original, passed)):
                raise AnswerError(f"{call} changed its input array; work on a copy instead")
        _compare(call, got, case.expected, case.hint, rtol, atol)
    return f"✓ {name} passed all {len(cases)} checks"


def _not_answered(name: str, cases: Sequence[Case]) -> str:
    note = (f"○ {name} is not answered yet: write it in the cell above in place of\n"
            "  `raise NotImplementedError()`, run that cell, then run this check again.")
    if grading():
        raise AnswerError(note.replace("\n ", ""))
    shown = [f"  {_call_text(name, c.args)}\n    should return {_show(c.expected)}"
             for c in cases[:_MAX_SHOWN_CASES]]
    more = len(cases) - len(shown)
    tail = [f"  ... and {more} more case{'s' if more > 1 else ''}"] if more > 0 else []
    lines = [note, f"It will be checked on {len(cases)} case{'s' if len(cases) > 1 else ''}:",
             *shown, *tail]
    return "\n".join(lines)


def check_value(
    label: str, got: Any, expected: Any, *, hint: str = "", rtol: float = 1e-6, atol: float = 1e-9
) -> str:
    """Compare a single computed value (not a function) with the expected one."""
    problem = _machinery_problem()
    if problem:
        raise AnswerError(problem)
    if got is None or got is Ellipsis:
        note = f"○ {label} is not answered yet: replace the ... with your value"
        if grading():
            raise AnswerError(note)
        return note
    _compare(label, got, expected, hint, rtol, atol)
    return f"✓ {label} is right"


def _compare(call: str, got: Any, expected: Any, hint: str, rtol: float, atol: float) -> None:
    tail = f": {hint}" if hint else ""
    got_arr = exp_arr = None
    if got is None:
        raise AnswerError(f"{call} returned None: did you forget `return`?{tail}")
    if isinstance(expected, (bool, str)) or expected is None:
        ok = got == expected
    else:
        try:
            got_arr = _NUMPY["asarray"](got, dtype=float)
            exp_arr = _NUMPY["asarray"](expected, dtype=float)
        except (TypeError, ValueError):
            raise AnswerError(
                f"{call} returned {_show(got)} ({type(got).__name__}), expected a number or "
                f"array like {_show(expected)}{tail}"
            ) from None
        if got_arr.shape != exp_arr.shape:
            raise AnswerError(
                f"{call} returned shape {got_arr.shape}, expected shape {exp_arr.shape}{tail}"
            )
        ok = bool(_NUMPY["allclose"](got_arr, exp_arr, rtol=rtol, atol=atol, equal_nan=False))
    if not ok:
        shown_got, shown_expected = _show(got), _show(expected)
        if shown_got == shown_expected and got_arr is not None:  # differ beyond shown digits
            worst = float(_NUMPY["abs"](got_arr - exp_arr).max())
            shown_got += f" (differs from the expected value by up to {worst:.2g})"
        raise AnswerError(f"{call} returned {shown_got}, expected {shown_expected}{tail}")
