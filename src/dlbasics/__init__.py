"""Deep Learning Basics: the from-scratch numpy engine behind the course.

Each module holds one idea of the course, and each function sits beside its derivative:

========================  =========================================================
module                    what it teaches (chapter)
========================  =========================================================
:mod:`~dlbasics.neuron`          the artificial neuron (1)
:mod:`~dlbasics.activations`     activation functions and their derivatives (2)
:mod:`~dlbasics.losses`          per-example losses, and the cost that averages them (3)
:mod:`~dlbasics.gradcheck`       numerical gradients to check backpropagation (4)
:mod:`~dlbasics.layers`          dense, activation, dropout, batch-norm, residual layers (4, 6, 7)
:mod:`~dlbasics.network`         a sequential network: forward, backward, predict (4)
:mod:`~dlbasics.init`            weight initialization (4, 6)
:mod:`~dlbasics.optim`           gradient descent, momentum, RMSProp, Adam (5)
:mod:`~dlbasics.landscapes`      2-D cost landscapes, descent paths and their regimes (5)
:mod:`~dlbasics.minibatch`       mini-batch gradients and their noise (5)
:mod:`~dlbasics.diagnostics`     gradient norms, dead and saturated units (6)
:mod:`~dlbasics.gradflow`        gradient flow in a deep network, and its verdict (6)
:mod:`~dlbasics.regularization`  L1 / L2 penalties and early stopping (7)
:mod:`~dlbasics.training`        the ``fit`` loop and its steppable ``Trainer`` (5, 8)
:mod:`~dlbasics.datasets`        toy data sets, the bundled digits, MNIST (1, 8)
:mod:`~dlbasics.metrics`         accuracy and the confusion matrix (8)
========================  =========================================================

Conventions used everywhere: rows are examples (``X`` has shape ``(n_examples, n_features)``);
randomness comes only from an explicit ``rng`` (a :class:`numpy.random.Generator`); nothing
prints; no function modifies its inputs.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
