"""The optimizer scenarios that tests/test_optim.py checks and that the torch reference records.

``scripts/make_torch_reference.py`` runs these same scenarios with ``torch.optim`` and writes
``tests/data/torch_reference.json``; ``tests/test_optim.py`` runs them with ``dlbasics.optim``
and compares. Only numpy is needed here, so the script can import this file in an environment
that has torch but not the course's test tools. Changing anything here (a shape, a seed, a case)
means regenerating the reference file.
"""

from __future__ import annotations

import numpy as np

SHAPES = [(3, 4), (4,), (2, 2)]
N_STEPS = 6
SEED = 0

# (optimizer class name in dlbasics.optim, keyword arguments): the same keywords work for
# dlbasics and torch (torch's RMSprop is dlbasics' RMSProp).
CASES: list[tuple[str, dict]] = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("RMSProp", {"lr": 0.01}),
    ("RMSProp", {"lr": 0.02, "alpha": 0.9, "weight_decay": 0.1}),
    ("RMSProp", {"lr": 0.01, "momentum": 0.5}),
    ("RMSProp", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.01, "eps": 1e-3}),
    ("Adam", {"lr": 0.001}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9)}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "eps": 1e-4}),
    ("Adam", {"lr": 0.01, "betas": (0.0, 0.5)}),
]

# clip_grad_norm: gradients CLIP_SCALE * initial values, clipped to a joint norm of CLIP_MAX_NORM
CLIP_SCALE = 3.0
CLIP_MAX_NORM = 1.5


def case_id(name: str, kwargs: dict) -> str:
    """The test id of a case and its key in the reference file, e.g. ``"SGD-lr=0.1"``."""
    return f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items())}"


CASE_IDS = [case_id(name, kwargs) for name, kwargs in CASES]


def initial_values(seed: int = SEED, dtype=np.float64) -> list[np.ndarray]:
    """The starting parameter values: one array per shape in SHAPES."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(dtype) for s in SHAPES]


def grad_at(values: list[np.ndarray], step: int) -> list[np.ndarray]:
    """A gradient that depends on the current values (a quadratic bowl) plus a fixed wiggle."""
    rng = np.random.default_rng(100 + step)
    return [0.5 * v + rng.normal(size=v.shape) for v in values]
