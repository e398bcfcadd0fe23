"""What the machine offers the process."""

from __future__ import annotations

import os

from .settings import THREADS_ENV, threads

__all__ = ["THREADS_ENV", "cpu_cores"]


def cpu_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count), or
    EMBEDVIZ_THREADS when set."""
    given = threads()
    if given:
        return given
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
