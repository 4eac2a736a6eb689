"""Live explorers for the chapters, and their static twins for the book.

Each ``*_explorer()`` returns an :class:`Explorer` that displays itself in JupyterLab, Binder
or Colab; each ``*_twin()`` returns the same pictures as a scrubbable animation that needs no
kernel (the notebooks keep it; the website shows the explorer's twin grid,
:mod:`dlbasics.widgets.twin_grid`, instead). :class:`Explorer` and :func:`static_twin` hold
the pattern; every explorer module declares its explorer with an :class:`ExplorerSpec`, and
``EXPLORERS`` (``dlbasics.widgets.registry``) gathers them.
"""

from ._base import LIVE_NOTE, RUN_NOTE, Explorer, static_twin
from ._spec import ExplorerSpec
from .activations import activation_explorer, activation_twin, compute_activation
from .backprop import backprop_explorer, backprop_twin, compute_backprop
from .batch_size import batch_explorer, batch_twin, compute_batch
from .classification_loss import (
    classification_loss_explorer,
    classification_loss_twin,
    compute_classification_loss,
)
from .gradflow import compute_gradflow, gradflow_explorer, gradflow_twin
from .learning_rate import compute_learning_rate, learning_rate_explorer, learning_rate_twin
from .neuron import compute_neuron, neuron_explorer, neuron_twin
from .outlier import compute_outlier, outlier_explorer, outlier_twin
from .playground import PLAYGROUND_PRESETS, Playground, playground, playground_twin
from .race import compute_race, race_explorer, race_twin
from .registry import EXPLORERS
from .regularization import (
    compute_regularization,
    regularization_explorer,
    regularization_twin,
)

__all__ = [
    "EXPLORERS",
    "LIVE_NOTE",
    "PLAYGROUND_PRESETS",
    "RUN_NOTE",
    "Explorer",
    "ExplorerSpec",
    "Playground",
    "activation_explorer",
    "activation_twin",
    "backprop_explorer",
    "backprop_twin",
    "batch_explorer",
    "batch_twin",
    "classification_loss_explorer",
    "classification_loss_twin",
    "compute_activation",
    "compute_backprop",
    "compute_batch",
    "compute_classification_loss",
    "compute_gradflow",
    "compute_learning_rate",
    "compute_neuron",
    "compute_outlier",
    "compute_race",
    "compute_regularization",
    "gradflow_explorer",
    "gradflow_twin",
    "learning_rate_explorer",
    "learning_rate_twin",
    "neuron_explorer",
    "neuron_twin",
    "outlier_explorer",
    "outlier_twin",
    "playground",
    "playground_twin",
    "race_explorer",
    "race_twin",
    "regularization_explorer",
    "regularization_twin",
    "static_twin",
]
