"""Texts through `embedviz plot --method umap`, as a user runs it: time, peak memory, HTML
size; then the same texts re-projected (the embedding cache skips encoding). Several sizes
in one run give the growth: time(largest) / time(smallest).

    python bench/end_to_end.py [--n 20000 ...] [--method umap] [--no-reprojection]

Targets: issue 5, 20,000 texts <= 3 minutes, <= 3 GB peak, HTML <= 15 MB, re-projection
>= 10x faster than the first run; issue 10, 100,000 texts <= 2 minutes and <= 3 GB, and
time(100,000) / time(10,000) <= 12 (`--n 10000 100000 --no-reprojection`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._report import print_table, run_embedviz, scratch  # noqa: E402


def plot(src: Path, out: Path, method: str, cache: str, *extra: str) -> tuple[float, float, str]:
    """`embedviz plot` in a new process: (seconds, its own peak RSS in MiB, its stderr)."""
    args = ["plot", src, "--out", out, "--method", method, *extra]
    return run_embedviz(*args, env={"EMBEDVIZ_CACHE_DIR": cache})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20000])
    parser.add_argument("--method", default="umap")
    parser.add_argument("--model", default="use-multilingual", help="model spec to encode with")
    parser.add_argument(
        "--no-reprojection", action="store_true", help="only the first run of each size"
    )
    args = parser.parse_args()
    from bench._texts import make_texts

    rows, firsts, logs = [], {}, {}
    model = ["--model", args.model]
    for n in args.n:
        work = scratch("embedviz-e2e-")
        src = work / "texts.txt"
        src.write_text("\n".join(make_texts(n)), encoding="utf-8")
        cache = str(work / "cache")
        out = work / "plot.html"
        seconds, peak, log = plot(src, out, args.method, cache, *model)
        firsts[n], logs[n] = seconds, log
        size = out.stat().st_size / 2**20
        rows.append([f"{n:,} texts, first run, {args.method}", seconds, peak, size, 1.0])
        print(rows[-1], flush=True)
        if args.no_reprojection:
            continue
        for method in (args.method, "pca"):
            seconds, peak, _ = plot(src, out, method, cache, *model, "--random-state", "7")
            size = out.stat().st_size / 2**20
            rows.append(
                [f"{n:,}, re-projection, {method} (cache hit)", seconds, peak, size,
                 firsts[n] / seconds]
            )  # fmt: skip
    print(f"\n`embedviz plot` end to end, model {args.model}\n")
    print_table(["run", "seconds", "peak RSS MiB", "HTML MB", "speed-up"], rows)
    if len(firsts) > 1:
        small, large = min(firsts), max(firsts)
        print(
            f"\ngrowth: {large:,} texts took {firsts[large] / firsts[small]:.1f}x the time of "
            f"{small:,} ({large / small:.0f}x the texts)"
        )
    for n, log in logs.items():
        print(
            f"\nlast lines of the first run of {n:,}:\n" + "\n".join(log.strip().splitlines()[-6:])
        )


if __name__ == "__main__":
    main()
