"""Every explorer of the course, gathered from the modules that declare them.

Each explorer module declares its explorer with an :class:`~dlbasics.widgets._spec.ExplorerSpec`
(``SPEC = ExplorerSpec(...)``); this module imports every module of :mod:`dlbasics.widgets` and
collects the specs it finds into :data:`EXPLORERS`, by name, in chapter order. Nothing here
lists the explorers by hand: a new module with a ``SPEC`` is registered by being there.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from ._spec import CHUNK_BUDGET_MS, UPDATE_BUDGET_MS, ExplorerSpec


def _gather() -> dict[str, ExplorerSpec]:
    found: list[ExplorerSpec] = []
    package = __name__.rpartition(".")[0]
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("_") or info.name == "registry":
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, ExplorerSpec) and all(value is not f for f in found):
                found.append(value)
    names = [spec.name for spec in found]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise RuntimeError(f"two explorers are declared with the name(s) {doubled}: each "
                           "ExplorerSpec needs a name of its own")
    return {spec.name: spec for spec in sorted(found, key=lambda s: s.chapter)}


#: Every explorer of the course by name, in chapter order.
EXPLORERS: dict[str, ExplorerSpec] = _gather()

__all__ = ["CHUNK_BUDGET_MS", "EXPLORERS", "UPDATE_BUDGET_MS", "ExplorerSpec"]
