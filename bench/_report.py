"""Shared output of the bench scripts: an aligned table and the machine it ran on."""

from __future__ import annotations

import atexit
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path


def scratch(prefix: str) -> Path:
    """A temporary folder for a bench's inputs, caches and outputs (hundreds of MB to GBs),
    removed when the bench exits, whether it ends well or not."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def machine() -> str:
    from embedviz._system import cpu_cores

    cores = cpu_cores()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cores} cores, {mem:.0f} GiB, {platform.machine()}, python {sys.version.split()[0]}"


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for k, row in enumerate(cells):
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\nmachine: {machine()}")


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class Measure:
    seconds: float = 0.0
    peak_mib: float = 0.0


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@contextmanager
def measure(every: float = 0.02):
    """Wall seconds of a block and how far its resident memory rose above the start
    (sampled every 20 ms by a thread, so the block runs at full speed)."""
    m = Measure()
    start_rss = rss_mib()
    peak = [start_rss]
    done = threading.Event()

    def sample():
        while not done.wait(every):
            peak[0] = max(peak[0], rss_mib())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    try:
        yield m
    finally:
        m.seconds = time.perf_counter() - start
        done.set()
        thread.join()
        m.peak_mib = max(peak[0], rss_mib()) - start_rss


def peak_rss_mib(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


#: Runs `embedviz ARGS` and prints the process's own peak RSS last, on stderr.
_WRAPPER = (
    "import resource, runpy, sys\n"
    "try:\n"
    "    runpy.run_module('embedviz', run_name='__main__', alter_sys=True)\n"
    "finally:\n"
    "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "    print(f'PEAK_RSS_KIB {peak}', file=sys.stderr)\n"
)


def run_embedviz(*args: str, env: dict | None = None) -> tuple[float, float, str]:
    """`embedviz ARGS` in a new process, as a user runs it: (seconds, its own peak RSS in
    MiB, its stderr). Exits with the command's stderr when it fails."""
    import subprocess
    from pathlib import Path

    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *map(str, args)],
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        capture_output=True, text=True, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    log, _, peak = done.stderr.rpartition("PEAK_RSS_KIB ")
    return seconds, int(peak.split()[0]) / 1024, log
