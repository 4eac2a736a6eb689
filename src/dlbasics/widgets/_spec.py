"""What an explorer declares about itself: one :class:`ExplorerSpec` per explorer module.

Each explorer module ends with ``SPEC = ExplorerSpec(...)``; :mod:`dlbasics.widgets.registry`
gathers them in ``EXPLORERS``. The contract test (``tests/test_widgets_contract.py``), the
latency benchmark (``benchmarks/bench_explorers.py``) and the check that the book names every
explorer all read the registry, so adding an explorer needs no list to be edited by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from IPython.display import HTML

from .twin_grid import TwinGrid, slug

#: Latency budgets (95th percentile of the wall time, in milliseconds) of one update: a redraw
#: after a control moves, and a chunk of training (an explorer whose ``cache.n_fits`` grows).
UPDATE_BUDGET_MS = 100.0
CHUNK_BUDGET_MS = 250.0


@dataclass(frozen=True)
class ExplorerSpec:
    """One explorer of the course, as its module declares it.

    Attributes
    ----------
    name : str
        Short name, unique in the registry (``"learning rate"``).
    chapter : int
        The chapter whose *Explore* section shows it.
    factory : callable
        ``factory()`` builds the live explorer with its starting values, as the chapter does
        (``learning_rate_explorer``); it has ``controls``, ``values()``, ``set(**values)``,
        ``image`` and ``widget``.
    compute : callable
        The pure ``compute(**settings) -> result`` behind the pictures.
    view : callable
        ``view(figure) -> view`` whose ``update(result)`` redraws the figure.
    twin : callable
        The static twin: ``twin(values=...) -> HTML``, a scrubbable animation with one frame
        per value of ``sweep``.
    sweep : str
        The setting the twin sweeps (a control's name, or ``"step"`` for a run in time).
    values : tuple or None
        The values of ``sweep`` the chapter's twin shows; None when the twin works them out
        (the learning rates of every regime, say).
    budget_ms, chunk_budget_ms : float
        Latency budgets of one update and of one chunk of training
        (``benchmarks/bench_explorers.py`` measures them).
    grid : TwinGrid or None
        The website's twin: up to three of the explorer's controls and the values each
        offers, every combination precomputed (:mod:`dlbasics.widgets.twin_grid`). The
        notebook keeps ``twin``, which is light enough to be saved in it.
    """

    name: str
    chapter: int
    factory: Callable[[], Any]
    compute: Callable[..., Any]
    view: Callable[..., Any]
    twin: Callable[..., HTML]
    sweep: str
    values: tuple[Any, ...] | None = None
    budget_ms: float = UPDATE_BUDGET_MS
    chunk_budget_ms: float = CHUNK_BUDGET_MS
    grid: TwinGrid | None = None

    @property
    def label(self) -> str:
        """The name with its chapter, ``"learning rate (ch. 5)"``."""
        return f"{self.name} (ch. {self.chapter})"

    @property
    def slug(self) -> str:
        """The name in a notebook cell's tag, ``twin-<slug>`` (``"learning-rate"``)."""
        return slug(self.name)

    def build_twin(self, values: Sequence[Any] | None = None) -> HTML:
        """The static twin over ``values`` (by default the chapter's)."""
        if values is None:
            return self.twin() if self.values is None else self.twin(values=list(self.values))
        return self.twin(values=list(values))
