r"""Optimizers: how gradient descent turns gradients into updates (chapter 5).

Every optimizer takes a list of :class:`~dlbasics.parameter.Parameter` objects and, on each
:meth:`~Optimizer.step`, updates ``param.value`` in place from ``param.grad``. Whatever it
remembers between steps (momentum buffers, moving averages) lives in the explicit dictionary
``optimizer.state[param]``, so you can print it and watch it change.

The update rules are exactly those of PyTorch's ``torch.optim`` (with its defaults
``dampening=0``, ``maximize=False``, ``centered=False``, ``amsgrad=False``), so the numbers in the
book match what you would get there. With weight decay :math:`\lambda`, every rule starts from
:math:`g = \nabla J(p) + \lambda p` (an L2 penalty :math:`\tfrac{\lambda}{2}\lVert p\rVert^2`
folded into the gradient).

They work on any parameters, not only a network's: chapter 5 moves a single
``Parameter("w", np.array([x, y]))`` across a 2-D cost landscape with a hand-set ``.grad``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._validate import check_in_range, check_positive, unknown_name_error
from .parameter import Parameter

Array = np.ndarray


def _as_param_list(params: Parameter | Iterable[Parameter], where: str) -> list[Parameter]:
    if isinstance(params, Parameter):
        return [params]
    if hasattr(params, "parameters") and callable(params.parameters):
        raise TypeError(f"{where}: pass the parameters, e.g. {where}(network.parameters(), ...)")
    params = list(params)
    if not params:
        raise ValueError(f"{where}: got an empty list of parameters; there is nothing to update")
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"{where}: expected Parameter objects, got {type(p).__name__}")
    return params


def _check_nonnegative(value: float, name: str) -> None:
    check_in_range(value, name, 0.0, float("inf"))


def _setting(name: str, check: Callable[[Any, str, Any], Any], label: str = "") -> property:
    """An optimizer setting checked whenever it is set: at construction and after.

    ``opt.lr = -0.1`` between two steps would make the optimizer climb the cost; it is refused
    with the same message as ``SGD(params, lr=-0.1)``. ``check(optimizer, label, value)``
    raises for a bad value and returns the value to store; ``label`` names the setting in
    messages (``"SGD momentum"``, the class name first).
    """
    attr = f"_{name}"

    def get(self: Any) -> Any:
        return getattr(self, attr)

    def set_(self: Any, value: Any) -> None:
        setattr(self, attr, check(self, f"{type(self).__name__} {label or name}", value))

    return property(get, set_)


def _positive(obj: Any, label: str, value: Any) -> float:
    check_positive(value, label)
    return float(value)


def _nonnegative(obj: Any, label: str, value: Any) -> float:
    _check_nonnegative(value, label)
    return float(value)


def _fraction(obj: Any, label: str, value: Any) -> float:
    check_in_range(value, label, 0.0, 1.0)
    return float(value)


def _momentum(obj: Any, label: str, value: Any) -> float:
    """A momentum in [0, 1); a buffer per parameter is made when it first becomes non-zero."""
    value = _fraction(obj, label, value)
    if value == 0 and getattr(obj, "_nesterov", False):
        raise ValueError(
            f"{type(obj).__name__}: nesterov=True needs a momentum > 0 (e.g. momentum=0.9), "
            f"got momentum={value!r}; set nesterov=False first"
        )
    if value:
        for p in obj.params:  # b_0 = 0 makes b_1 = μ·0 + g_1 = g_1, as in torch
            obj.state[p].setdefault("momentum_buffer", np.zeros_like(p.value))
    return value


def _nesterov(obj: Any, label: str, value: Any) -> bool:
    if value and obj.momentum == 0:
        raise ValueError(
            f"{type(obj).__name__}: nesterov=True needs a momentum > 0 (e.g. momentum=0.9)"
        )
    return bool(value)


def _betas(obj: Any, label: str, value: Any) -> tuple[float, float]:
    try:
        pair = tuple(value)
    except TypeError:
        pair = (value,)
    if len(pair) != 2:
        raise ValueError(f"{label} must be a pair (beta1, beta2), got {value!r}")
    where = type(obj).__name__
    check_in_range(pair[0], f"{where} beta1 (betas[0])", 0.0, 1.0)
    check_in_range(pair[1], f"{where} beta2 (betas[1])", 0.0, 1.0)
    return float(pair[0]), float(pair[1])


class Optimizer:
    """Base class: holds the parameters, the learning rate and the per-parameter state.

    Attributes
    ----------
    params : list of Parameter
        What the optimizer updates.
    lr : float
        The learning rate :math:`\\eta` (may be changed between steps; like every setting, it
        is checked whenever it is set, so a negative or NaN value is refused then too).
    state : dict
        ``state[param]`` is a dict of arrays (and counters) remembered between steps.
    """

    lr = _setting("lr", _positive, "learning rate lr")

    def __init__(self, params: Parameter | Iterable[Parameter], lr: float) -> None:
        self.params = _as_param_list(params, type(self).__name__)
        self.state: dict[Parameter, dict[str, Any]] = {p: {} for p in self.params}
        self.lr = lr

    def step(self) -> None:  # pragma: no cover - every optimizer defines it
        """Update every parameter once from its current ``.grad``."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.params:
            p.zero_grad()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, n_params={len(self.params)})"


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum and weight decay.

    With :math:`g_t = \nabla J(p_{t-1}) + \lambda p_{t-1}` (``weight_decay`` :math:`\lambda`):

    .. math::

        b_t = \mu\, b_{t-1} + g_t \quad (b_1 = g_1), \qquad
        d_t = \begin{cases} g_t + \mu\, b_t & \text{Nesterov} \\ b_t & \text{momentum}
        \\ g_t & \mu = 0 \end{cases}, \qquad p_t = p_{t-1} - \eta\, d_t.

    The buffer :math:`b` is a running sum of past gradients, decaying by :math:`\mu` per step:
    it damps oscillation across a ravine and builds speed along it (chapter 5). Plain gradient
    descent is :math:`\mu = 0`: :math:`p \leftarrow p - \eta\, g`.

    Parameters
    ----------
    params : list of Parameter
    lr : float
        Learning rate :math:`\eta > 0`.
    momentum : float, default 0.0
        :math:`\mu \in [0, 1)`.
    nesterov : bool, default False
        Look ahead along the momentum (requires ``momentum > 0``).
    weight_decay : float, default 0.0
        :math:`\lambda \ge 0`.
    """

    momentum = _setting("momentum", _momentum)
    nesterov = _setting("nesterov", _nesterov)
    weight_decay = _setting("weight_decay", _nonnegative)

    def __init__(
        self,
        params: Parameter | Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.nesterov = nesterov

    def step(self) -> None:
        """Apply one update :math:`p \\leftarrow p - \\eta\\, d` to every parameter."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        if not (mu or wd):  # plain gradient descent, the hot path of fit: p ← p − η ∇J
            for p in self.params:
                p.value -= lr * p.grad
            return
        for p in self.params:
            g = p.grad + wd * p.value if wd else p.grad
            if mu:
                b = self.state[p]["momentum_buffer"]
                b *= mu
                b += g
                g = g + mu * b if self.nesterov else b
            p.value -= lr * g


class RMSProp(Optimizer):
    r"""RMSProp: divide each step by a running root-mean-square of recent gradients.

    With :math:`g_t = \nabla J(p_{t-1}) + \lambda p_{t-1}` and :math:`v_0 = 0`:

    .. math::

        v_t = \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \qquad
        p_t = p_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon}.

    With ``momentum`` :math:`\mu > 0` the scaled step is accumulated first (:math:`B_0 = 0`):
    :math:`B_t = \mu B_{t-1} + g_t / (\sqrt{v_t} + \epsilon)`, :math:`p_t = p_{t-1} - \eta B_t`.
    Directions with large gradients get smaller steps, flat directions larger ones (chapter 5).
    All operations are elementwise. There is no bias correction (unlike :class:`Adam`).

    Parameters
    ----------
    params : list of Parameter
    lr : float, default 0.01
    alpha : float, default 0.99
        Decay of the squared-gradient average, in [0, 1).
    eps : float, default 1e-8
        Added to :math:`\sqrt{v}` so the division is safe, ``>= 0``.
    weight_decay : float, default 0.0
    momentum : float, default 0.0
        In [0, 1).
    """

    alpha = _setting("alpha", _fraction)
    eps = _setting("eps", _nonnegative)
    weight_decay = _setting("weight_decay", _nonnegative)
    momentum = _setting("momentum", _momentum)

    def __init__(
        self,
        params: Parameter | Iterable[Parameter],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        for p in self.params:
            self.state[p]["square_avg"] = np.zeros_like(p.value)
        self.alpha, self.eps = alpha, eps
        self.weight_decay, self.momentum = weight_decay, momentum

    def step(self) -> None:
        """Apply one RMSProp update to every parameter."""
        lr, alpha, eps, wd, mu = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        for p in self.params:
            g = p.grad + wd * p.value if wd else p.grad
            state = self.state[p]
            v = state["square_avg"]
            v *= alpha
            v += (1.0 - alpha) * (g * g)
            scaled = g / (np.sqrt(v) + eps)
            if mu:
                buf = state["momentum_buffer"]
                buf *= mu
                buf += scaled
                scaled = buf
            p.value -= lr * scaled


class Adam(Optimizer):
    r"""Adam: momentum on the gradient plus RMSProp's scaling, both bias-corrected.

    With :math:`g_t = \nabla J(p_{t-1}) + \lambda p_{t-1}`, :math:`m_0 = v_0 = 0` and the step
    count :math:`t = 1, 2, \dots`:

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2,

        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
        p_t = p_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.

    Because :math:`m` and :math:`v` start at zero they are biased towards zero early on; dividing
    by :math:`1 - \beta^t` removes that bias (chapter 5). Adam keeps *two* arrays per parameter
    (``state[p]["m"]``, ``state[p]["v"]``): more memory than SGD, not less. Weight decay here is
    the L2 form (torch's ``Adam``), not the decoupled AdamW.

    Parameters
    ----------
    params : list of Parameter
    lr : float, default 0.001
    betas : tuple of float, default (0.9, 0.999)
        :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : float, default 1e-8
    weight_decay : float, default 0.0
    """

    betas = _setting("betas", _betas)
    eps = _setting("eps", _nonnegative)
    weight_decay = _setting("weight_decay", _nonnegative)

    def __init__(
        self,
        params: Parameter | Iterable[Parameter],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.betas = betas
        self.eps, self.weight_decay = eps, weight_decay
        for p in self.params:
            self.state[p].update(step=0, m=np.zeros_like(p.value), v=np.zeros_like(p.value))

    def step(self) -> None:
        """Apply one Adam update to every parameter."""
        (beta1, beta2), lr, eps, wd = self.betas, self.lr, self.eps, self.weight_decay
        for p in self.params:
            g = p.grad + wd * p.value if wd else p.grad
            state = self.state[p]
            state["step"] = t = state["step"] + 1
            m, v = state["m"], state["v"]
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * (g * g)
            # the same arithmetic as torch: (lr / (1-β1^t)) · m / (√v / √(1-β2^t) + ε)
            denom = np.sqrt(v) / np.sqrt(1.0 - beta2**t) + eps
            p.value -= (lr / (1.0 - beta1**t)) * (m / denom)


_OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (RMSProp, {}),
    "adam": (Adam, {}),
}

OPTIMIZERS: tuple[str, ...] = tuple(_OPTIMIZERS)
"""The names :func:`get_optimizer` accepts."""


def get_optimizer(name: str, params: Parameter | Iterable[Parameter], **kwargs: Any) -> Optimizer:
    """Build an optimizer by name.

    ``"sgd"`` is plain gradient descent, ``"momentum"`` is :class:`SGD` with ``momentum=0.9``,
    ``"nesterov"`` adds ``nesterov=True``; ``"rmsprop"`` and ``"adam"`` use their classes'
    defaults. Keyword arguments (``lr`` is required for the SGD family) override the defaults.

    Examples
    --------
    >>> import numpy as np
    >>> from dlbasics.parameter import Parameter
    >>> w = Parameter("w", np.array([1.0, 2.0]))
    >>> get_optimizer("momentum", [w], lr=0.1)
    SGD(lr=0.1, n_params=1)
    """
    if name not in _OPTIMIZERS:
        raise unknown_name_error("optimizer", name, OPTIMIZERS)
    cls, defaults = _OPTIMIZERS[name]
    if cls is SGD and "lr" not in kwargs:
        raise TypeError(
            f"optimizer {name!r} needs a learning rate: get_optimizer({name!r}, params, lr=0.1)"
        )
    return cls(params, **{**defaults, **kwargs})


def clip_grad_norm(params: Parameter | Iterable[Parameter], max_norm: float) -> float:
    r"""Rescale all gradients together so their joint L2 norm is at most ``max_norm`` (chapter 6).

    With :math:`N = \sqrt{\sum_{\text{params}} \lVert \nabla p \rVert^2}` (one norm over every
    gradient), each gradient is multiplied by :math:`c = \text{max\_norm} / (N + 10^{-6})` when
    :math:`c < 1`, and left alone otherwise (torch's ``clip_grad_norm_``). The direction of the
    step is kept; only its length is capped, which tames exploding gradients.

    Returns
    -------
    float
        The total norm :math:`N` *before* clipping. A non-finite norm is returned as it is and
        the gradients are left unchanged (a diverged run; torch would fill them with NaN).
    """
    params = _as_param_list(params, "clip_grad_norm")
    check_positive(max_norm, "clip_grad_norm max_norm")
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params)))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:  # False for NaN, and inf gives coef 0: keep grads as they are then
        if np.isfinite(total):
            for p in params:
                p.grad *= coef
    return total
