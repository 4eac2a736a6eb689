"""Equivalent answers and typical mistakes for every coding exercise (see tests/test_exercises.py).

One module per chapter, ``chNN.py``, defines ``ANSWERS``: exercise id (the answer cell's
grade_id without ``-answer``) -> :class:`Answers`. Each answer is the code a learner would put in
the answer cell (the whole ``def``); each mistake names what is wrong and a regular expression
that the check's message must match (case-insensitive), so the message points at the mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mistake:
    what: str  # the mistake, in a few words
    code: str  # the answer cell with the mistake
    points_at: str  # regex the check's message must match


@dataclass(frozen=True)
class Answers:
    equivalent: list[str] = field(default_factory=list)
    mistakes: list[Mistake] = field(default_factory=list)
