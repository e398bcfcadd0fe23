"""What the machine offers the process."""

from __future__ import annotations

import os

#: Set to a whole number, the threads the encoders use (a Ray worker given one CPU sets 1).
THREADS_ENV = "EMBEDVIZ_THREADS"


def cpu_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count), or
    :data:`THREADS_ENV` when set."""
    given = os.environ.get(THREADS_ENV, "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
