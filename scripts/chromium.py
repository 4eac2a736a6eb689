"""Debian's Chromium and the flags it runs with, for everything that drives it through the
``playwright`` package: the browser tests (tests/test_site.py, tests/test_jupyterlab.py) and the
whole-book PDF (scripts/build_downloads.py). Never a browser of playwright's own; headless, no
sandbox, and nothing online beyond what the caller routes to 127.0.0.1."""

from __future__ import annotations

import os
import pathlib

CHROMIUM = pathlib.Path(os.environ.get("DLBASICS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
