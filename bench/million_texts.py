"""A million texts end to end on one 2-core machine, stage by stage: seconds and memory.

    python bench/million_texts.py [--n 1000000] [--skip-encode FOLDER]

1. `embedviz embed texts.txt --out FOLDER` in a new process: the texts read as a stream,
   the embeddings written as Parquet shards (its own peak RSS);
2. then, in this process, the pipeline's stages on those embeddings, each timed, with the
   resident memory after it and the process's peak: read the texts, gather the embeddings,
   UMAP (learned from a sample), clusters, keywords, neighbourhood scores, the lean HTML.

Target (issue 10): completes, peak memory <= 8 GB; each stage reported.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._report import print_table, rss_mib, run_embedviz, scratch  # noqa: E402


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def anon_gib() -> float:
    """Anonymous resident memory (heap, arrays): what a memory-mapped file does not add to.
    Mapped .npy pages count in RSS but are the page cache's, dropped under pressure."""
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("RssAnon:"))
    return kib / 2**20


class AnonPeak:
    """The highest anonymous RSS since the last reset, polled every 50 ms by a thread."""

    def __init__(self) -> None:
        self.peak = anon_gib()
        threading.Thread(target=self._poll, daemon=True).start()

    def _poll(self) -> None:
        while True:
            self.peak = max(self.peak, anon_gib())
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument(
        "--skip-encode",
        help="a shard folder written by `embedviz embed TEXTS --out FOLDER` "
        "(the shards this bench writes itself are removed when it ends)",
    )
    args = parser.parse_args()
    from bench._texts import make_texts

    work = scratch("embedviz-million-")
    src = work / "texts.txt"
    src.write_text("\n".join(make_texts(args.n)), encoding="utf-8")
    rows = []
    folder = Path(args.skip_encode) if args.skip_encode else work / "shards"
    if not args.skip_encode:
        seconds, peak_mib, _ = run_embedviz("embed", src, "--out", folder)
        peak = peak_mib / 1024
        rows.append(["encode to shards (its own process)", seconds, f"{args.n / seconds:,.0f}/s",
                     "-", "-", "-", peak])  # fmt: skip
        print(rows[-1], flush=True)

    from embedviz.inputs import read_path, texts_from_table
    from embedviz.pipeline import RunSpec, analyze
    from embedviz.vectors import read_npy

    anon = AnonPeak()
    names = {
        "project": "UMAP 2-D",
        "cluster": "k-means, k by silhouette",
        "keywords": "cluster keywords",
        "score": "neighbourhood scores",
    }

    def record(name, start):
        rows.append([name, time.perf_counter() - start, "", rss_mib() / 1024, anon_gib(),
                     anon.peak, peak_gib()])  # fmt: skip
        print(rows[-1], flush=True)

    def stage(name, fn):
        start = time.perf_counter()
        out = fn()
        record(name, start)
        return out

    def timer(stage_name, proceed, /, **inputs):
        """The bench's hook: each stage of the one pipeline, timed with its memory."""
        start = time.perf_counter()
        out = proceed(**inputs)
        record(names.get(stage_name, stage_name), start)
        return out

    os.environ.setdefault("EMBEDVIZ_MAX_INPUT_MB", "1000")
    batch = stage("read the texts", lambda: texts_from_table(read_path(src)))
    X = stage("gather the embeddings from the shards", lambda: read_npy(folder))
    spec = RunSpec(model="use-multilingual", method="umap", cluster="kmeans")
    analysis = analyze(batch, spec, embeddings=X, hooks=[timer])
    out = work / "map.html"
    stage("the HTML (lean map, heatmap of cluster means)", lambda: analysis.to_html(out))
    total = sum(r[1] for r in rows)
    print(f"\n{args.n:,} texts end to end, stage by stage (USE; 2 cores)\n")
    print_table(
        ["stage", "seconds", "rate", "RSS after GiB", "anon after", "anon peak", "RSS peak GiB"],
        rows,
    )
    print(f"\ntotal {total:,.0f} s; HTML {out.stat().st_size / 2**20:.0f} MB")
    print(f"notes: {' | '.join(analysis.warnings)}")
    print(f"map: {analysis.map_scores_text()}")


if __name__ == "__main__":
    main()
