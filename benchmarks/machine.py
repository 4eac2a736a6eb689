"""What every benchmark prints about the machine it ran on."""

from __future__ import annotations

import os
import platform


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def describe() -> str:
    """``CPU: <model>, <n> cores, Python <version>``."""
    return f"CPU: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}"
