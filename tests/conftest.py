"""Shared fixtures and settings for the test suite."""

from __future__ import annotations

import pathlib

import pytest
from hypothesis import settings

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Property-based gradient checks: enough examples to find shape bugs, few enough to stay quick.
settings.register_profile("course", max_examples=30, deadline=None, print_blob=True)
settings.load_profile("course")


@pytest.fixture
def root() -> pathlib.Path:
    """The repository's root folder."""
    return ROOT


@pytest.fixture
def rng():
    """A fresh, seeded random generator for each test."""
    import numpy as np

    return np.random.default_rng(12345)
