"""Layers: each forward pass beside its backward pass (chapters 4, 6 and 7).

Every layer has the same small interface:

- ``out, cache = layer.forward(X, training=False)``: compute the output and return, in
  ``cache``, everything the backward pass will need. Nothing is hidden in the layer between the
  two calls (only :class:`BatchNorm` keeps running statistics, which it documents).
- ``dX = layer.backward(dout, cache)``: given ``dout`` = ∂J/∂out, return ∂J/∂X and *write*
  (overwrite, not add to) ``param.grad`` for each parameter. It never modifies ``dout`` or
  ``cache``.
- ``layer.parameters()``: the list of :class:`~dlbasics.parameter.Parameter` objects.

Rows are examples: ``X`` has shape ``(n_examples, n_features)``. ``training=True`` switches
dropout and batch normalization to their training behaviour; other layers ignore it.

A layer created without a ``name`` gets a provisional one (``"dense"``, ``"relu"``...);
:class:`~dlbasics.network.Network` numbers such layers (``"dense1"``, ``"dense2"``...), and the
parameter names follow (``"dense1.W"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, overload

import numpy as np

from ._validate import check_in_range, check_positive, float_dtype
from .activations import Activation, get_activation
from .init import get_initializer
from .parameter import Parameter

Array = np.ndarray


class Layer:
    """Base class: a name, no parameters, and the forward/backward interface.

    Attributes
    ----------
    name : str
    kind : str
        What the automatic names are made of (``"dense"``, ``"relu"``, ``"dropout"``...).
    auto_named : bool
        True if no name was given, so a :class:`~dlbasics.network.Network` may number it.
    n_in, n_out : int or None
        Input and output widths, where the layer knows them.
    """

    kind = "layer"
    n_in: int | None = None
    n_out: int | None = None

    def __init__(self, name: str | None = None) -> None:
        self.auto_named = name is None
        self._params: dict[str, Parameter] = {}
        self._name = self.kind if name is None else str(name)

    @property
    def name(self) -> str:
        """The layer's name; renaming it renames its parameters (``"<name>.W"``)."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)
        for short, param in self._params.items():
            param.name = f"{value}.{short}"

    def _add_param(self, short: str, value: Array, *, regularize: bool) -> Parameter:
        param = Parameter(f"{self._name}.{short}", value, regularize=regularize)
        self._params[short] = param
        return param

    def forward(self, X: Array, *, training: bool = False) -> tuple[Array, Any]:
        """Return the output for ``X`` and the cache that :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, dout: Array, cache: Any) -> Array:
        """Return ∂J/∂X from ``dout`` = ∂J/∂output; write each parameter's ``.grad``."""
        raise NotImplementedError

    def parameters(self) -> list[Parameter]:
        """The layer's learnable parameters (an empty list for most layers)."""
        return list(self._params.values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _backward_before_forward(layer: Layer) -> RuntimeError:
    return RuntimeError(
        f"layer {layer.name!r}: backward needs the cache returned by forward; "
        "call forward first and pass its cache"
    )


class Dense(Layer):
    r"""Fully connected layer: :math:`Z = X W + b` (chapters 1 and 4).

    ``W`` has shape ``(n_in, n_out)`` and ``b`` shape ``(n_out,)``, broadcast over the rows.
    Backward, with :math:`\delta = \partial J/\partial Z`:

    .. math::
        \frac{\partial J}{\partial W} = X^\top \delta,\qquad
        \frac{\partial J}{\partial b} = \textstyle\sum_{\text{rows}} \delta,\qquad
        \frac{\partial J}{\partial X} = \delta\, W^\top.

    Parameters
    ----------
    n_in, n_out : int
        Inputs per example and units in the layer.
    rng : numpy.random.Generator or int
        Source of the initial weights.
    init : str or callable, default "he_normal"
        A name from :data:`dlbasics.init.INITIALIZERS` or an initializer function.
        Biases always start at zero.
    name : str, optional
        Names the layer and its parameters ``"<name>.W"`` (L1/L2 penalties apply) and
        ``"<name>.b"`` (not penalized).
    dtype : numpy dtype, default float64
        The dtype of ``W`` and ``b``, a floating one (integers are refused); feed data of the
        same dtype.
    """

    kind = "dense"
    n_in: int
    n_out: int

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        rng: Any,
        init: Any = "he_normal",
        name: str | None = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(name)
        check_positive(n_in, "n_in", integer=True)
        check_positive(n_out, "n_out", integer=True)
        self.n_in, self.n_out = int(n_in), int(n_out)
        dtype = float_dtype(dtype, f"layer {self.name!r}")
        initializer = get_initializer(init)
        W = initializer(self.n_in, self.n_out, rng=np.random.default_rng(rng), dtype=dtype)
        self.W = self._add_param("W", W, regularize=True)
        self.b = self._add_param("b", np.zeros(self.n_out, dtype=dtype), regularize=False)

    def forward(self, X: Array, *, training: bool = False) -> tuple[Array, Array]:
        """Return ``Z = X W + b`` and the cache ``X``."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_in:
            raise ValueError(
                f"layer {self.name!r} expects input of shape (n_examples, {self.n_in}), "
                f"got shape {X.shape}; W has shape {self.W.shape}"
            )
        Z = X @ self.W.value
        Z += self.b.value  # in place on the fresh array Z
        return Z, X

    @overload
    def backward(self, dout: Array, cache: Array, *, input_grad: Literal[True] = ...) -> Array: ...

    @overload
    def backward(self, dout: Array, cache: Array, *, input_grad: bool) -> Array | None: ...

    def backward(self, dout: Array, cache: Array, *, input_grad: bool = True) -> Array | None:
        """Write ``W.grad = Xᵀ δ`` and ``b.grad = Σ δ``; return ``δ Wᵀ``.

        ``input_grad=False`` skips ∂J/∂X and returns ``None``: the first layer of a network does
        not need it, and it costs as much as the weight gradient.
        """
        X = cache
        if X is None:
            raise _backward_before_forward(self)
        gW, gb = self.W.grad, self.b.grad
        if X.dtype == dout.dtype == gW.dtype:  # write straight into the gradient arrays
            np.dot(X.T, dout, out=gW)
            dout.sum(axis=0, out=gb)
        else:
            gW[...] = X.T @ dout
            gb[...] = dout.sum(axis=0)
        return dout @ self.W.value.T if input_grad else None

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, name={self.name!r})"


class ActivationLayer(Layer):
    r"""Applies an activation elementwise: :math:`A = g(Z)` (chapter 2).

    Backward: :math:`\partial J/\partial Z = \partial J/\partial A \odot g'(Z)` (softmax uses its
    Jacobian-vector product instead). The cache keeps ``(Z, A)``, so a trace can show both.

    Parameters
    ----------
    activation : str or Activation
        A name from :data:`dlbasics.activations.ACTIVATIONS`.
    name : str, optional
        Defaults to the activation's name.
    **params
        Passed to :func:`~dlbasics.activations.get_activation` (``slope`` for leaky ReLU).
    """

    def __init__(self, activation: str | Activation, name: str | None = None, **params: float):
        self.activation = get_activation(activation, **params)
        self.kind = self.activation.name
        self._relu = self.activation.name == "relu"
        super().__init__(name)

    def forward(self, X: Array, *, training: bool = False) -> tuple[Array, tuple[Array, Array]]:
        """Return ``A = g(X)`` and the cache ``(X, A)``."""
        A = np.maximum(X, 0) if self._relu else self.activation.fn(X)
        return A, (X, A)

    def backward(self, dout: Array, cache: tuple[Array, Array]) -> Array:
        """Return ``dout ⊙ g'(Z)``."""
        if cache is None:
            raise _backward_before_forward(self)
        Z, A = cache
        if self._relu:  # ReLU'(z) = 1 where z > 0, else 0
            return dout * (Z > 0)
        return self.activation.backward(dout, Z, A)

    def __repr__(self) -> str:
        return f"ActivationLayer({self.activation.name!r}, name={self.name!r})"


class Dropout(Layer):
    r"""Inverted dropout (chapter 7).

    In training, each unit is kept with probability :math:`1-p` (``p`` = ``rate``) and the kept
    ones are scaled by :math:`1/(1-p)`:

    .. math:: \text{out} = X \odot M,\qquad M_{ij} = \frac{\text{Bernoulli}(1-p)}{1-p},

    so :math:`E[\text{out}] = X` and nothing needs rescaling at evaluation time, where the layer is
    the identity. Backward: :math:`\partial J/\partial X = \partial J/\partial\text{out} \odot M`
    with the same mask ``M`` (kept in the cache).

    Parameters
    ----------
    rate : float
        The fraction ``p`` of units dropped, in [0, 1).
    rng : numpy.random.Generator or int
        Source of the masks.
    """

    kind = "dropout"

    def __init__(self, rate: float, *, rng: Any, name: str | None = None) -> None:
        super().__init__(name)
        check_in_range(rate, "dropout rate", 0.0, 1.0)
        self.rate = float(rate)
        self.rng = np.random.default_rng(rng)

    def forward(self, X: Array, *, training: bool = False) -> tuple[Array, Array | None]:
        """Training: return ``X ⊙ M`` and the mask ``M``; evaluation: ``X`` and ``None``."""
        if not training or self.rate == 0.0:
            return X, None
        keep = 1.0 - self.rate
        mask = (self.rng.random(X.shape) < keep).astype(X.dtype)
        mask /= keep
        return X * mask, mask

    def backward(self, dout: Array, cache: Array | None) -> Array:
        """Return ``dout ⊙ M`` (``dout`` itself after an evaluation-mode forward)."""
        return dout if cache is None else dout * cache

    def __repr__(self) -> str:
        return f"Dropout({self.rate}, name={self.name!r})"


class BatchNorm(Layer):
    r"""Batch normalization over the examples of a batch (chapter 6).

    Training mode normalizes each feature with the batch mean :math:`\mu` and variance
    :math:`\sigma^2` (the biased one, dividing by ``n``), then scales and shifts:

    .. math:: \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}},\qquad
              y = \gamma \odot \hat x + \beta,

    and updates the running statistics, :math:`\text{running} \leftarrow m\cdot\text{running} +
    (1-m)\cdot\text{batch}` with ``m`` = ``momentum`` (the same biased variance is used; PyTorch
    stores an ``n/(n-1)``-corrected one). Evaluation mode uses the running statistics and leaves
    them unchanged. Backward in training mode (the batch statistics depend on every row):

    .. math:: \frac{\partial J}{\partial x} = \frac{1}{n\sqrt{\sigma^2+\epsilon}}
              \Big(n\,g - \textstyle\sum g - \hat x \sum (g \odot \hat x)\Big),
              \quad g = \gamma \odot \frac{\partial J}{\partial y}.

    Parameters
    ----------
    n_features : int
        Columns of the input.
    momentum : float, default 0.9
        Weight of the old running statistics, in [0, 1).
    eps : float, default 1e-5
        Added to the variance before the square root.
    """

    kind = "batch_norm"

    def __init__(
        self,
        n_features: int,
        *,
        momentum: float = 0.9,
        eps: float = 1e-5,
        name: str | None = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(name)
        check_positive(n_features, "n_features", integer=True)
        check_in_range(momentum, "momentum", 0.0, 1.0)
        check_positive(eps, "eps")
        dtype = float_dtype(dtype, f"layer {self.name!r}")
        self.n_in = self.n_out = int(n_features)
        self.momentum, self.eps = float(momentum), float(eps)
        self.gamma = self._add_param("gamma", np.ones(self.n_in, dtype=dtype), regularize=False)
        self.beta = self._add_param("beta", np.zeros(self.n_in, dtype=dtype), regularize=False)
        self.running_mean = np.zeros(self.n_in, dtype=dtype)
        self.running_var = np.ones(self.n_in, dtype=dtype)

    def forward(self, X: Array, *, training: bool = False) -> tuple[Array, tuple]:
        """Return ``γ x̂ + β`` and the cache ``(x̂, 1/√(σ²+ε), training)``."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_in:
            raise ValueError(
                f"layer {self.name!r} expects input of shape (n_examples, {self.n_in}), "
                f"got shape {X.shape}"
            )
        if training:
            if X.shape[0] < 2:
                raise ValueError(
                    f"layer {self.name!r}: batch normalization in training mode needs at least "
                    f"2 examples per batch (got {X.shape[0]}): the variance of one example is 0; "
                    "use a larger batch_size, or training=False"
                )
            mean = X.mean(axis=0)
            var = X.var(axis=0)
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * mean
            self.running_var = m * self.running_var + (1 - m) * var
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (X - mean) * inv_std
        return self.gamma.value * x_hat + self.beta.value, (x_hat, inv_std, training)

    def backward(self, dout: Array, cache: tuple) -> Array:
        """Write ``γ.grad = Σ dout ⊙ x̂``, ``β.grad = Σ dout``; return ∂J/∂x."""
        if cache is None:
            raise _backward_before_forward(self)
        x_hat, inv_std, training = cache
        self.gamma.grad[...] = (dout * x_hat).sum(axis=0)
        self.beta.grad[...] = dout.sum(axis=0)
        g = dout * self.gamma.value
        if not training:  # the running statistics are constants
            return g * inv_std
        n = dout.shape[0]
        return (inv_std / n) * (n * g - g.sum(axis=0) - x_hat * np.sum(g * x_hat, axis=0))

    def __repr__(self) -> str:
        return f"BatchNorm({self.n_in}, name={self.name!r})"


class Residual(Layer):
    r"""A skip connection around a sequence of layers ``F``: :math:`\text{out} = X + F(X)` (ch. 6).

    Backward adds the two paths: :math:`\partial J/\partial X = \delta + \partial J/\partial X
    \big|_F`, so the gradient reaches earlier layers through the identity path even when ``F``'s
    gradient vanishes. ``F`` must keep the shape of its input.
    """

    kind = "residual"

    def __init__(self, *layers: Layer, name: str | None = None) -> None:
        if not layers:
            raise ValueError("Residual needs at least one layer inside the skip connection")
        self.layers = list(layers)
        super().__init__(name)
        self.name = self._name  # names the auto-named inner layers "<name>.dense1" ...
        n_in = next((layer.n_in for layer in self.layers if layer.n_in is not None), None)
        n_out = next((la.n_out for la in reversed(self.layers) if la.n_out is not None), None)
        if n_in is not None and n_out is not None and n_in != n_out:
            raise ValueError(
                f"layer {self.name!r}: the layers inside a residual block must keep the width "
                f"(out = X + F(X)); they take {n_in} features and return {n_out}"
            )
        self.n_in = self.n_out = n_in if n_in is not None else n_out

    @Layer.name.setter  # type: ignore[attr-defined]
    def name(self, value: str) -> None:
        self._name = str(value)
        counts: dict[str, int] = {}
        for layer in self.layers:
            if layer.auto_named:
                counts[layer.kind] = counts.get(layer.kind, 0) + 1
                layer.name = f"{value}.{layer.kind}{counts[layer.kind]}"

    def forward(self, X: Array, *, training: bool = False) -> tuple[Array, list]:
        """Return ``X + F(X)`` and the caches of the inner layers."""
        out, caches = X, []
        for layer in self.layers:
            out, cache = layer.forward(out, training=training)
            caches.append(cache)
        if out.shape != np.shape(X):
            raise ValueError(
                f"layer {self.name!r}: F(X) has shape {out.shape} but X has shape "
                f"{np.shape(X)}; a residual block must keep the shape"
            )
        return X + out, caches

    def backward(self, dout: Array, cache: list) -> Array:
        """Return ``dout + ∂J/∂X`` through ``F``."""
        if cache is None:
            raise _backward_before_forward(self)
        d = dout
        for layer, c in zip(reversed(self.layers), reversed(cache), strict=True):
            d = layer.backward(d, c)
        return dout + d

    def parameters(self) -> list[Parameter]:
        """The parameters of the inner layers."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Residual({inner}, name={self.name!r})"


def iter_layers(layers: Sequence[Layer]) -> list[Layer]:
    """All layers in order, with the layers inside :class:`Residual` blocks listed after them."""
    out: list[Layer] = []
    for layer in layers:
        out.append(layer)
        out.extend(iter_layers(getattr(layer, "layers", [])))
    return out
