"""Encoding throughput on Ray with 1 and 2 workers, against one process, in one run.

    python bench/ray_encode.py [--n 10000]

A two-node Ray cluster on loopback (bench/_ray_cluster.py), one CPU per node, each worker
told to use one thread; then the same texts by `embedviz embed --out FOLDER` in one process
(both cores). Each run is `embedviz embed` in a new process, as a user runs it, so the times
include reading, staging and writing the shards (and, for Ray, joining the cluster and starting
the workers). The shard folders are compared row by row (cosine).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._ray_cluster import loopback_cluster  # noqa: E402
from bench._report import print_table, scratch  # noqa: E402


def embed(src: Path, out: Path, env: dict, *extra: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "embedviz", "embed", str(src), "--out", str(out), *extra],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    from bench._texts import make_texts
    from embedviz.shards import ShardStore

    work = scratch("embedviz-ray-bench-")
    src = work / "texts.txt"
    src.write_text("\n".join(make_texts(args.n)), encoding="utf-8")
    rows, outs = [], {}
    with loopback_cluster((1, 1)) as cluster:
        env = {**cluster["env"], "EMBEDVIZ_CACHE_DIR": str(work / "cache")}
        seconds = embed(src, work / "local", env, "--shard-rows", "1024")
        outs["one process (2 threads)"] = work / "local"
        rows.append(["one process (2 threads)", seconds, args.n / seconds])
        for workers in (1, 2):
            out = work / f"ray{workers}"
            seconds = embed(src, out, env, "--engine", "ray", "--address", cluster["address"],
                            "--workers", str(workers), "--shard-rows", "1024")  # fmt: skip
            name = f"Ray, {workers} worker{'s' * (workers > 1)} (1 thread each)"
            outs[name] = out
            rows.append([name, seconds, args.n / seconds])
            print(rows[-1], flush=True)
    base = ShardStore(outs["one process (2 threads)"]).gather()
    for row, out in zip(rows, outs.values(), strict=True):
        X = ShardStore(out).gather()
        row.append(float(np.min(np.sum(X * base, axis=1))))
    print(f"\n{args.n:,} texts encoded by `embedviz embed` (USE), each run a new process\n")
    print_table(["engine", "seconds", "texts/s", "min cosine to one process"], rows)


if __name__ == "__main__":
    main()
