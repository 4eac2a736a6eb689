"""A sequential network: forward through the layers, backward in reverse (chapter 4).

The forward pass feeds each layer's output to the next; the backward pass walks the layers in
reverse, each turning ∂J/∂(its output) into ∂J/∂(its input) with the chain rule and writing the
gradients of its own parameters on the way. The caches the backward pass needs are kept,
visibly, in the attribute ``Network.caches``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import as_float_array, check_finite, check_in_range, check_positive, float_dtype
from .activations import Activation, get_activation
from .layers import ActivationLayer, BatchNorm, Dense, Dropout, Layer, iter_layers
from .parameter import Parameter

Array = np.ndarray


@dataclass(frozen=True)
class LayerTrace:
    """What one layer saw and produced in a traced forward pass (``forward(..., trace=True)``).

    ``z`` is filled for :class:`~dlbasics.layers.Dense` layers (``z`` = their output) and for
    activation layers (``z`` = their input, ``a`` = their output); ``kind`` is the layer's kind
    (``"dense"``, ``"relu"``, ``"sigmoid"``, ``"dropout"``...).
    """

    name: str
    input: Array
    output: Array
    z: Array | None = None
    a: Array | None = None
    kind: str | None = None


class Network:
    """A stack of layers applied one after the other (chapter 4).

    Parameters
    ----------
    layers : sequence of Layer
        Applied in order. Layers created without a name are numbered per kind
        (``dense1``, ``relu1``, ``dense2``...). Names must be unique.
    name : str, default "network"
        Shown in summaries and error messages.

    Attributes
    ----------
    caches : list or None
        The caches of the last :meth:`forward`, one per layer, used by :meth:`backward`.
        ``None`` before the first forward pass.
    """

    def __init__(self, layers: Sequence[Layer], name: str = "network") -> None:
        self.layers = list(layers)
        self.name = str(name)
        self.caches: list[Any] | None = None
        self._out_shape: tuple[int, ...] | None = None
        if not self.layers:
            raise ValueError(f"network {self.name!r} needs at least one layer")
        for layer in self.layers:
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(f"network {self.name!r}: {layer!r} is not a layer")
        self._name_layers()
        self._check_widths()

    def _name_layers(self) -> None:
        taken = {la.name for la in self.layers if not getattr(la, "auto_named", False)}
        counts: dict[str, int] = {}
        for layer in self.layers:
            if getattr(layer, "auto_named", False):
                kind = layer.kind
                while True:
                    counts[kind] = counts.get(kind, 0) + 1
                    if f"{kind}{counts[kind]}" not in taken:
                        break
                layer.name = f"{kind}{counts[kind]}"
                taken.add(layer.name)
        names = [la.name for la in iter_layers(self.layers)]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"network {self.name!r}: layer names must be unique, got {duplicates}")

    def _check_widths(self) -> None:
        width, source = None, None
        for layer in self.layers:
            n_in = getattr(layer, "n_in", None)
            if n_in is not None and width is not None and n_in != width:
                raise ValueError(
                    f"network {self.name!r}: layer {layer.name!r} takes {n_in} features but "
                    f"layer {source!r} before it produces {width}"
                )
            if getattr(layer, "n_out", None) is not None:
                width, source = layer.n_out, layer.name

    @property
    def n_in(self) -> int | None:
        """Input features, from the first layer that knows it."""
        return next((la.n_in for la in self.layers if la.n_in is not None), None)

    @property
    def n_out(self) -> int | None:
        """Output columns, from the last layer that knows it."""
        return next((la.n_out for la in reversed(self.layers) if la.n_out is not None), None)

    # -- forward and backward -------------------------------------------------------------
    def forward(self, X: Array, *, training: bool = False, trace: bool = False) -> Any:
        """Run every layer on ``X`` (rows are examples) and keep the caches for :meth:`backward`.

        Parameters
        ----------
        X : numpy.ndarray, shape (n_examples, n_in)
        training : bool, default False
            Switches dropout and batch normalization to training mode.
        trace : bool, default False
            Also return a list of :class:`LayerTrace`, one per layer.

        Returns
        -------
        output, or (output, trace) when ``trace=True``.
        """
        out = np.asarray(X)
        caches = []
        if not trace:  # the lean path used by training
            for layer in self.layers:
                out, cache = layer.forward(out, training=training)
                caches.append(cache)
            self.caches, self._out_shape = caches, out.shape
            return out
        records = []
        for layer in self.layers:
            inp = out
            out, cache = layer.forward(inp, training=training)
            caches.append(cache)
            z = a = None
            if isinstance(layer, Dense):
                z = out
            elif isinstance(layer, ActivationLayer):
                z, a = inp, out
            records.append(LayerTrace(layer.name, inp, out, z, a, getattr(layer, "kind", None)))
        self.caches, self._out_shape = caches, out.shape
        return out, records

    def backward(self, dout: Array, *, input_grad: bool = True) -> Array | None:
        """Backpropagate ``dout`` = ∂J/∂output through the layers of the last :meth:`forward`.

        Each layer writes its parameters' ``.grad``. Returns ∂J/∂X, or ``None`` with
        ``input_grad=False``, which lets a first :class:`~dlbasics.layers.Dense` layer skip
        that product (training never needs it; it costs as much as the weight gradient).
        """
        if self.caches is None:
            raise RuntimeError(
                f"network {self.name!r}: backward called before forward; run "
                "forward(X, training=True) first so that the layers have their caches"
            )
        dout = np.asarray(dout)
        if dout.shape != self._out_shape:
            raise ValueError(
                f"network {self.name!r}: dout must have the shape of the last output "
                f"{self._out_shape}, got {dout.shape}"
            )
        layers, caches = self.layers, self.caches
        for i in range(len(layers) - 1, 0, -1):
            dout = layers[i].backward(dout, caches[i])
        if not input_grad and isinstance(layers[0], Dense):
            return layers[0].backward(dout, caches[0], input_grad=False)
        dout = layers[0].backward(dout, caches[0])
        return dout if input_grad else None

    def predict(self, X: Array) -> Array:
        """Evaluation-mode output for ``X``; checks ``X`` and keeps no caches."""
        out = as_float_array(X, "X", ndim=2, where=f"{self.name}.predict")
        if self.n_in is not None and out.shape[1] != self.n_in:
            raise ValueError(
                f"{self.name}.predict: X must have shape (n_examples, {self.n_in}), "
                f"got {out.shape}"
            )
        for layer in self.layers:
            out, _ = layer.forward(out)
        return out

    # -- parameters -----------------------------------------------------------------------
    def parameters(self) -> list[Parameter]:
        """All parameters, layer by layer."""
        return [p for layer in self.layers for p in layer.parameters()]

    @property
    def n_parameters(self) -> int:
        """How many numbers the network learns."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.parameters():
            p.zero_grad()

    def get_weights(self) -> list[Array]:
        """Copies of all parameter values, in the order of :meth:`parameters`."""
        return [p.value.copy() for p in self.parameters()]

    def set_weights(self, weights: Sequence[Array]) -> None:
        """Copy ``weights`` (as returned by :meth:`get_weights`) into the parameters, in place."""
        params = self.parameters()
        if len(weights) != len(params):
            raise ValueError(
                f"{self.name}.set_weights: expected {len(params)} arrays (one per parameter), "
                f"got {len(weights)}"
            )
        arrays = []
        for p, w in zip(params, weights, strict=True):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise ValueError(
                    f"{self.name}.set_weights: parameter {p.name!r} has shape {p.shape}, "
                    f"got an array of shape {w.shape}"
                )
            check_finite(w, p.name, where=f"{self.name}.set_weights")
            arrays.append(w)
        for p, w in zip(params, arrays, strict=True):
            p.value[...] = w

    def summary(self) -> str:
        """A table of the layers: name, type, output shape and parameter count, with the total."""
        rows = [("layer", "type", "output shape", "parameters")]
        width = None
        for layer in self.layers:
            width = layer.n_out if getattr(layer, "n_out", None) is not None else width
            kind = type(layer).__name__
            if isinstance(layer, ActivationLayer):
                kind = f"Activation({layer.activation.name})"
            shape = f"(n, {width if width is not None else '?'})"
            rows.append((layer.name, kind, shape, f"{sum(p.size for p in layer.parameters()):,}"))
        cols = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [
            f"{r[0]:<{cols[0]}}  {r[1]:<{cols[1]}}  {r[2]:<{cols[2]}}  {r[3]:>{cols[3]}}"
            for r in rows
        ]
        rule = "-" * len(lines[0])
        header = f"Network {self.name!r}: {self.n_in} inputs -> {self.n_out} outputs"
        total = f"total parameters: {self.n_parameters:,}"
        return "\n".join([header, lines[0], rule, *lines[1:], rule, total])

    def __repr__(self) -> str:
        return f"Network({self.layers!r}, name={self.name!r})"


def mlp(
    sizes: Sequence[int],
    *,
    activation: str | Activation = "relu",
    output_activation: str | None = None,
    rng: Any,
    init: Any = None,
    dropout: float = 0.0,
    batch_norm: bool = False,
    name: str = "mlp",
    dtype: Any = np.float64,
) -> Network:
    """Build a multi-layer perceptron: ``Dense → [BatchNorm] → activation → [Dropout]`` per hidden
    layer, then a last ``Dense`` and the optional ``output_activation`` (chapters 4 and 8).

    Parameters
    ----------
    sizes : sequence of int
        Widths from the input to the output, e.g. ``[64, 128, 10]``.
    activation : str or Activation, default "relu"
        Hidden-layer activation (a name, or an activation such as
        ``get_activation("leaky_relu", slope=0.2)``).
    output_activation : str, optional
        E.g. ``"sigmoid"`` or ``"softmax"``; ``None`` leaves the outputs as logits (pair them
        with a ``..._with_logits`` loss).
    rng : numpy.random.Generator or int
        Source of the initial weights and the dropout masks.
    init : str or callable, optional
        Defaults to ``"he_normal"`` for the ReLU family and ``"xavier_normal"`` otherwise.
    dropout : float, default 0.0
        Dropout rate after each hidden activation (0 adds no dropout layers).
    batch_norm : bool, default False
        Put a :class:`~dlbasics.layers.BatchNorm` after each hidden ``Dense``.
    dtype : numpy dtype, default float64
        A floating dtype (``np.float32`` halves the memory); integers are refused.

    Examples
    --------
    >>> net = mlp([2, 4, 1], activation="tanh", output_activation="sigmoid", rng=0)
    >>> net.n_parameters
    17
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got sizes={sizes}")
    for s in sizes:
        check_positive(s, "every layer size in sizes", integer=True)
    check_in_range(dropout, "dropout rate", 0.0, 1.0)
    dtype = float_dtype(dtype, "mlp")
    act = get_activation(activation)
    if output_activation is not None:
        get_activation(output_activation)
    if init is None:
        init = "he_normal" if act.name in ("relu", "leaky_relu") else "xavier_normal"
    rng = np.random.default_rng(rng)
    layers: list[Layer] = []
    for i in range(len(sizes) - 1):
        n_out = sizes[i + 1]
        layers.append(Dense(sizes[i], n_out, rng=rng, init=init, dtype=dtype))
        if i == len(sizes) - 2:
            break
        if batch_norm:
            layers.append(BatchNorm(n_out, dtype=dtype))
        layers.append(ActivationLayer(act))
        if dropout > 0:
            layers.append(Dropout(dropout, rng=rng))
    if output_activation is not None:
        layers.append(ActivationLayer(output_activation))
    return Network(layers, name=name)
