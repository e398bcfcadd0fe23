"""Time to first plot, and the core stages on 1,000 texts.

    python bench/first_plot.py [--n 1000] [--skip-browser]

1. Cold start as a user meets it: `streamlit run` in a new process, Debian's chromium opens
   the page, and the clock stops when both plots of the four default sentences are drawn.
   A second page load on the same server is the warm baseline.
2. 1,000 texts: encode with the default model, then PCA, t-SNE and UMAP (2-D), each timed in
   this one process; UMAP's first fit (numba compilation) and a second fit are both shown.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))


def browser_first_plot() -> list[tuple[str, float]]:
    from playwright.sync_api import sync_playwright

    from tests.test_browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        free_port,
        start_streamlit,
        wait_for_port,
    )

    port = free_port()
    start = time.perf_counter()
    proc = start_streamlit(port)
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            wait_for_port(port, timeout=300)
            rows.append(("server accepting connections", time.perf_counter() - start))
            # The first load is timed from the server's start; the second from its own start.
            clock = start
            for label in (
                "first plot, cold start (server start -> both plots drawn)",
                "page load on the warm server -> both plots drawn",
            ):
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}")
                page.locator(".js-plotly-plot").nth(1).wait_for(timeout=300_000)
                rows.append((label, time.perf_counter() - clock))
                page.close()
                clock = time.perf_counter()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return rows


def stages(n: int) -> list[tuple[str, float]]:
    from bench._texts import make_texts
    from embedviz.encoders import load_encoder
    from embedviz.project import project
    from embedviz.similarity import cosine_matrix, similarity_order

    texts = make_texts(n)
    rows = []
    t0 = time.perf_counter()
    encoder = load_encoder()
    rows.append(("load default model (its weights load on first encode)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    X = encoder.encode(texts)
    took = time.perf_counter() - t0
    rows.append((f"encode {n} texts ({n / took:.0f} texts/s)", took))
    t0 = time.perf_counter()
    S = cosine_matrix(X)
    similarity_order(S)
    rows.append((f"cosine matrix + similarity order, {n} texts", time.perf_counter() - t0))
    for method, label in (
        ("pca", "PCA"),
        ("tsne", "t-SNE"),
        ("umap", "UMAP, first fit"),
        ("umap", "UMAP, second fit"),
    ):
        t0 = time.perf_counter()
        project(X, method, 2)
        rows.append((f"{label} 2-D, {n} texts", time.perf_counter() - t0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    rows = [] if args.skip_browser else browser_first_plot()
    rows += stages(args.n)
    width = max(len(r[0]) for r in rows)
    print(f"{'stage'.ljust(width)}  seconds")
    for name, seconds in rows:
        print(f"{name.ljust(width)}  {seconds:7.2f}")
    print(f"\nmachine: {os.cpu_count()} cores, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
