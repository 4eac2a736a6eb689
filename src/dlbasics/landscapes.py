r"""Cost landscapes in two dimensions, and gradient descent across them (chapter 5).

A :class:`Landscape` is a function :math:`J(p)` of a point :math:`p = (p_1, p_2)` with its
gradient, a starting point, axis limits for drawing and its lowest value. :func:`descend` moves
a single :class:`~dlbasics.parameter.Parameter` across it with any optimizer of
:mod:`dlbasics.optim`, setting ``.grad`` by hand at every step, and records the path.

The landscapes of the chapter:

``line_fit``
    :math:`J(w, b) = \frac1n \sum_i (w x_i + b - y_i)^2` on points around a line
    (:func:`dlbasics.datasets.noisy_line`): a quadratic bowl, elongated because the two
    directions have very different curvatures.
``bowl``
    :math:`J = \tfrac12 p_1^2 + 10\, p_2^2`: an axis-aligned elongated bowl (curvatures 1 and 20).
``rosenbrock``
    :math:`J = (1 - p_1)^2 + 100\,(p_2 - p_1^2)^2`: a curved, narrow ravine with its minimum at
    :math:`(1, 1)`.
``saddle``
    :math:`J = p_1^2 + \tfrac14 p_2^4 - \tfrac12 p_2^2`: a saddle point at the origin between two
    minima at :math:`(0, \pm 1)`.

Divergence never floods the output with warnings: :func:`descend` computes under
``np.errstate`` and stops at the first non-finite or huge value, saying so in the result.
:func:`classify_run` names the regime of a run (too small, good, overshoots but converges, slow
zig-zag, diverged) from how close it ends to the minimum and whether its steps turn back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import check_positive, unknown_name_error
from .datasets import noisy_line
from .optim import get_optimizer
from .parameter import Parameter

Array = np.ndarray

#: A run counts as diverged once a coordinate exceeds this size or the cost is not finite.
HUGE = 1e6
#: The regimes of a run, in the order plain gradient descent on a quadratic meets them as the
#: learning rate grows (:func:`classify_run` states the rule).
REGIMES = ("too small", "good", "overshoots but converges", "slow zig-zag", "diverged")
#: A run has converged once its cost gap J − J_min is at most this fraction of the gap at the
#: start, J(p₀) − J_min.
GOOD_TOL = 1e-4
#: A run that has not converged is a "slow zig-zag" if more than this fraction of its steps
#: turn back (reverse the previous step); otherwise it is "too small".
ZIGZAG_FRACTION = 0.5


@dataclass(frozen=True)
class Landscape:
    """A 2-D cost function with its gradient and what is needed to draw it.

    Attributes
    ----------
    name : str
    title : str
        A readable name for plots.
    cost : callable
        ``cost(p1, p2)`` for numbers or arrays of the same shape (so it can fill a grid).
    grad : callable
        ``grad(p)`` for a point ``p`` of shape ``(2,)``: the gradient, shape ``(2,)``.
    start : (float, float)
        The default starting point.
    limits : ((float, float), (float, float))
        The ranges of :math:`p_1` and :math:`p_2` to draw.
    minimum : float
        The lowest value of the cost (what ``cost - minimum`` is measured against).
    argmin : (float, float)
        A point where it is reached.
    labels : (str, str)
        Axis labels of the two coordinates.
    hessian : array (2, 2) or None
        The constant Hessian of a quadratic landscape; ``None`` for the others.
    """

    name: str
    title: str
    cost: Callable[[Any, Any], Any]
    grad: Callable[[Array], Array]
    start: tuple[float, float]
    limits: tuple[tuple[float, float], tuple[float, float]]
    minimum: float
    argmin: tuple[float, float]
    labels: tuple[str, str] = ("$p_1$", "$p_2$")
    hessian: Array | None = None

    def curvatures(self) -> Array | None:
        """Eigenvalues of the Hessian (smallest first) for a quadratic landscape, else None."""
        return None if self.hessian is None else np.linalg.eigvalsh(self.hessian)

    def grid(self, size: int = 121) -> tuple[Array, Array, Array]:
        """``(P1, P2, J)`` on a ``size × size`` grid over :attr:`limits`, for contour plots."""
        (a1, b1), (a2, b2) = self.limits
        P1, P2 = np.meshgrid(np.linspace(a1, b1, size), np.linspace(a2, b2, size))
        return P1, P2, self.cost(P1, P2)


def line_fit_landscape(n: int = 50, *, rng: Any = 0) -> Landscape:
    r"""The cost :math:`J(w, b) = \frac1n\sum_i (w x_i + b - y_i)^2` of fitting a line to
    ``noisy_line(n, rng=rng)`` (slope 2, intercept 1).

    Its Hessian is constant, :math:`H = \frac2n \begin{pmatrix} \sum x_i^2 & \sum x_i \\
    \sum x_i & n \end{pmatrix}`, so the landscape is an exact quadratic bowl.
    """
    X, y = noisy_line(n, rng=rng)
    x, t = X[:, 0], y[:, 0]
    sx, sxx, sy, sxy, syy = x.sum(), x @ x, t.sum(), x @ t, t @ t

    def cost(w: Any, b: Any) -> Any:  # the mean of (w x + b - y)² from the sums: grid-friendly
        return (w * w * sxx + 2 * w * b * sx + n * b * b - 2 * w * sxy - 2 * b * sy + syy) / n

    def grad(p: Array) -> Array:
        r = p[0] * x + p[1] - t
        return np.array([2 * (r @ x) / n, 2 * r.sum() / n])

    hessian = 2.0 / n * np.array([[sxx, sx], [sx, n]])
    (w_best, b_best), *_ = np.linalg.lstsq(np.column_stack([x, np.ones(n)]), t, rcond=None)
    return Landscape("line_fit", "line fit $J(w, b)$", cost, grad, (-0.5, -3.0),
                     ((-1.5, 5.0), (-5.0, 6.0)), float(cost(w_best, b_best)),
                     (float(w_best), float(b_best)), ("slope $w$", "intercept $b$"), hessian)


def _bowl() -> Landscape:
    return Landscape(
        "bowl", "elongated bowl", lambda a, b: 0.5 * a * a + 10.0 * b * b,
        lambda p: np.array([p[0], 20.0 * p[1]]), (-4.5, 1.2), ((-5.0, 5.0), (-1.6, 1.6)),
        0.0, (0.0, 0.0), hessian=np.diag([1.0, 20.0]),
    )


def _rosenbrock() -> Landscape:
    return Landscape(
        "rosenbrock", "Rosenbrock ravine",
        lambda a, b: (1 - a) ** 2 + 100.0 * (b - a * a) ** 2,
        lambda p: np.array([-2 * (1 - p[0]) - 400.0 * p[0] * (p[1] - p[0] ** 2),
                            200.0 * (p[1] - p[0] ** 2)]),
        (-1.2, 1.0), ((-2.0, 2.0), (-1.0, 3.0)), 0.0, (1.0, 1.0),
    )


def _saddle() -> Landscape:
    return Landscape(
        "saddle", "saddle between two minima",
        lambda a, b: a * a + 0.25 * b**4 - 0.5 * b * b,
        lambda p: np.array([2.0 * p[0], p[1] ** 3 - p[1]]),
        (-1.8, 0.01), ((-2.0, 2.0), (-1.6, 1.6)), -0.25, (0.0, 1.0),
    )


_BUILDERS: dict[str, Callable[[], Landscape]] = {
    "line_fit": line_fit_landscape,
    "bowl": _bowl,
    "rosenbrock": _rosenbrock,
    "saddle": _saddle,
}

LANDSCAPES: tuple[str, ...] = tuple(_BUILDERS)
"""The names :func:`get_landscape` accepts."""


def get_landscape(name: str) -> Landscape:
    """Build a landscape by name (one of :data:`LANDSCAPES`)."""
    if name not in _BUILDERS:
        raise unknown_name_error("landscape", name, LANDSCAPES)
    return _BUILDERS[name]()


@dataclass(frozen=True)
class DescentPath:
    """Where an optimizer went on a landscape.

    Attributes
    ----------
    points : array (k + 1, 2)
        The start and the point after each of the ``k`` steps taken.
    costs : array (k + 1,)
        The cost at each point.
    diverged : bool
        True if the run stopped because the cost or a coordinate became non-finite or larger
        than :data:`HUGE`; the offending point is not recorded.
    steps_requested : int
    """

    points: Array
    costs: Array
    diverged: bool
    steps_requested: int

    @property
    def steps_taken(self) -> int:
        """How many steps are in :attr:`points` (fewer than requested after a divergence)."""
        return len(self.points) - 1


def descend(landscape: Landscape, optimizer: str = "sgd", lr: float = 0.01, steps: int = 100,
            *, start: Any = None, **optimizer_kwargs: Any) -> DescentPath:
    r"""Run ``steps`` updates of ``optimizer`` (a name from :data:`dlbasics.optim.OPTIMIZERS`)
    from ``start`` (default ``landscape.start``) and record the path.

    Every step sets the parameter's gradient by hand, ``p.grad = landscape.grad(p.value)``,
    then calls ``optimizer.step()``: for ``"sgd"`` that is :math:`p \leftarrow p - \eta\,
    \nabla J(p)`. Extra keywords (``momentum``, ``betas``, ``alpha``, …) go to the optimizer.
    A run that blows up stops early with ``diverged=True`` and raises no warning.
    """
    check_positive(steps, "descend: steps", integer=True)
    p = Parameter("p", np.array(landscape.start if start is None else start, dtype=float))
    opt = get_optimizer(optimizer, [p], lr=lr, **optimizer_kwargs)
    points = np.empty((steps + 1, 2))
    points[0] = p.value
    diverged, k = False, 0
    value, grad = p.value, p.grad
    with np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            grad[...] = landscape.grad(value)
            opt.step()
            a, b = value
            if not (-HUGE < a < HUGE and -HUGE < b < HUGE):  # False for NaN too
                diverged, k = True, k - 1
                break
            points[k] = value
        points = points[: k + 1].copy()
        costs = np.asarray(landscape.cost(points[:, 0], points[:, 1]), dtype=float)
    bad = ~(np.isfinite(costs) & (np.abs(costs) < HUGE**2))
    if bad.any():  # the coordinates stayed below HUGE but the cost overflowed first
        k = int(np.argmax(bad)) - 1
        diverged, points, costs = True, points[: k + 1], costs[: k + 1]
    return DescentPath(points, costs, diverged, steps)


# --- the regime of a run ------------------------------------------------------------------------


def _turn_backs(points: Array) -> tuple[int, int]:
    """``(turning, moving)``: how many consecutive pairs of steps reverse direction (negative
    dot product), among the ``moving`` pairs in which a step is longer than about 1e-12."""
    d = np.diff(points, axis=0)
    if len(d) < 2:
        return 0, 0
    with np.errstate(all="ignore"):
        dots = np.einsum("ij,ij->i", d[1:], d[:-1])
        scale = np.einsum("ij,ij->i", d[1:], d[1:]) + np.einsum("ij,ij->i", d[:-1], d[:-1])
    moving = scale > 1e-24
    return int(np.sum(dots[moving] < 0)), int(np.sum(moving))


def run_measures(landscape: Landscape, path: DescentPath) -> tuple[float, int, float]:
    r"""The two measurements :func:`classify_run` uses: ``(progress, turn_backs, fraction)``.

    ``progress`` is :math:`(J_T - J_{\min}) / (J_0 - J_{\min})`, the cost gap at the end of
    the run over the gap at the start (1: no progress, 0: at the minimum; ``inf`` for a run
    that blew up). ``turn_backs`` counts the steps that reverse the previous one (negative dot
    product of successive steps) and ``fraction`` is their share of the steps that move.
    """
    gap0 = path.costs[0] - landscape.minimum
    gap = path.costs[-1] - landscape.minimum
    if path.diverged:
        progress = math.inf
    elif gap0 > 0:
        progress = max(float(gap / gap0), 0.0)
    else:  # started at the minimum
        progress = 0.0 if gap <= 0 else math.inf
    turning, moving = _turn_backs(path.points)
    return progress, turning, (turning / moving if moving else 0.0)


def classify_run(landscape: Landscape, path: DescentPath) -> str:
    """Name the regime of a run from two measurements (:func:`run_measures`): how close it
    ends to the minimum, and whether its steps turn back.

    With :math:`q = (J_T - J_{\\min}) / (J_0 - J_{\\min})` the cost gap at the end over the gap
    at the start, and a step said to *turn back* when it points against the previous one
    (negative dot product):

    - ``"diverged"``: the run blew up (a coordinate or the cost became huge and it stopped),
      or :math:`q > 1`: it ended further from the minimum than it started.
    - ``"good"``: :math:`q \\le` ``GOOD_TOL`` (:math:`10^{-4}`), and no step turned back.
    - ``"overshoots but converges"``: :math:`q \\le 10^{-4}`, and at least one step turned
      back: the path zig-zags across the valley (or swings past the minimum) and still gets
      there. Not a problem: on an ill-conditioned cost the fastest learning rates are here.
    - ``"slow zig-zag"``: :math:`10^{-4} < q \\le 1`, and more than ``ZIGZAG_FRACTION`` (half)
      of the steps turned back: the run bounces across the valley and hardly gets closer.
    - ``"too small"``: :math:`10^{-4} < q \\le 1` otherwise: still on its way, not there yet.

    For plain gradient descent on a quadratic this follows the theory of chapter 5: steps turn
    back exactly when :math:`\\eta > 1/\\lambda_{\\max}` (the steepest direction overshoots), the
    run converges fastest near :math:`\\eta^\\star = 2/(\\lambda_{\\min} + \\lambda_{\\max})`,
    and it is a slow zig-zag just below :math:`2/\\lambda_{\\max}` and diverges above it.
    """
    progress, turning, fraction = run_measures(landscape, path)
    if path.diverged or progress > 1.0:
        return "diverged"
    if progress <= GOOD_TOL:
        return "overshoots but converges" if turning > 0 else "good"
    return "slow zig-zag" if fraction > ZIGZAG_FRACTION else "too small"
