"""Embeddings memory-mapped from disk against read into memory: `embedviz plot
--embeddings X.npy --method umap` in a new process each way, on the same files, with the
process's peak memory split into what it holds itself (anonymous) and what are pages of
files the OS may drop and read again (file-backed, here mostly the mapped embeddings).

    python bench/out_of_core.py [--n 100000] [--copies 3]

The embeddings are bench/_texts' recombined samples encoded by the default model (from the
embedding cache when it holds them); with ``--copies C`` they are C jittered copies of
those (sd 0.02 per dimension, then unit length) beside C numbered copies of the texts, for
sizes beyond what is worth encoding for a bench. The baseline reads the file into memory
(EMBEDVIZ_MEMMAP_ABOVE_MB set past its size); embedviz maps files above 100 MiB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._report import print_table, scratch  # noqa: E402


def run_polled(args: list[str], env: dict) -> tuple[float, dict]:
    """`embedviz ARGS` in a new process: (seconds, peak MiB of VmRSS, RssAnon, RssFile),
    read from /proc every 0.1 s."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "embedviz", *args],
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    peaks = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                key, _, value = line.partition(":")
                if key in peaks:
                    peaks[key] = max(peaks[key], int(value.split()[0]) // 1024)
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.1)
    err = proc.stderr.read()
    if proc.wait():
        raise SystemExit(err[-3000:])
    return time.perf_counter() - start, peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--copies", type=int, default=1)
    args = parser.parse_args()
    from bench._texts import make_texts
    from embedviz._validation import check_embeddings
    from embedviz.cache import cached_encode
    from embedviz.encoders import load_encoder

    texts = make_texts(args.n)
    X = check_embeddings(cached_encode(load_encoder(), texts)[0])
    work = scratch("embedviz-ooc-")
    rng = np.random.default_rng(0)
    npy = work / "embeddings.npy"
    out = np.lib.format.open_memmap(
        npy, mode="w+", dtype=np.float32, shape=(args.n * args.copies, X.shape[1])
    )
    with open(work / "texts.txt", "w", encoding="utf-8") as f:
        for copy in range(args.copies):
            block = X if copy == 0 else X + rng.normal(scale=0.02, size=X.shape).astype(np.float32)
            out[copy * args.n : (copy + 1) * args.n] = check_embeddings(block)
            suffix = "" if copy == 0 else f" ({copy})"
            f.writelines(t.replace("\n", " ") + suffix + "\n" for t in texts)
    out.flush()
    del out
    size_mib = npy.stat().st_size / 2**20
    n = args.n * args.copies
    print(f"{n:,} texts, embeddings {size_mib:,.0f} MiB in {work}", flush=True)
    rows = []
    for name, env in [
        ("read into memory (baseline)", {"EMBEDVIZ_MEMMAP_ABOVE_MB": str(int(size_mib) + 1)}),
        ("memory-mapped (embedviz)", {}),
    ]:
        seconds, peak = run_polled(
            ["plot", str(work / "texts.txt"), "--embeddings", str(npy), "--method", "umap",
             "--out", str(work / "plot.html")],
            env,
        )  # fmt: skip
        rows.append([name, seconds, peak["VmRSS"], peak["RssAnon"], peak["RssFile"]])
        print(rows[-1], flush=True)
    print(f"\n`embedviz plot --embeddings` of {n:,} texts ({size_mib:,.0f} MiB of embeddings)\n")
    print_table(
        ["embeddings", "seconds", "peak RSS MiB", "peak anonymous MiB", "peak file-backed MiB"],
        rows,
    )


if __name__ == "__main__":
    main()
