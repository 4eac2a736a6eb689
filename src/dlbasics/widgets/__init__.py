"""Live explorers for the chapters, and their static twins for the book.

Each ``*_explorer()`` returns an :class:`Explorer` that displays itself in JupyterLab, Binder
or Colab; each ``*_twin()`` returns the same pictures as a scrubbable animation for the static
website. :class:`Explorer` and :func:`static_twin` hold the pattern.
"""

from ._base import LIVE_NOTE, Explorer, static_twin
from .activations import activation_explorer, activation_twin, compute_activation
from .neuron import compute_neuron, neuron_explorer, neuron_twin

__all__ = [
    "LIVE_NOTE",
    "Explorer",
    "activation_explorer",
    "activation_twin",
    "compute_activation",
    "compute_neuron",
    "neuron_explorer",
    "neuron_twin",
    "static_twin",
]
