"""The app with many texts: the first full run, then changing the projection, which reuses
the embeddings, clusters and keyword labels (Streamlit caches and the disk cache).

    python bench/app_reprojection.py [--n 20000]

Runs the real app script through streamlit.testing.v1.AppTest (no browser), in a new
embedding cache folder, so the first run encodes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
from bench._report import print_table, scratch  # noqa: E402

os.environ["EMBEDVIZ_CACHE_DIR"] = str(scratch("embedviz-bench-"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    from bench._texts import make_texts

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=1800).run()
    at.text_area(key="texts").set_value("\n".join(make_texts(args.n)))
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    rows = [[f"first run: encode, PCA, k-means, keywords, scores ({args.n:,} texts)", first, 1.0]]
    for method in ("umap", "pca"):
        at.sidebar.radio(key="method").set_value(method)
        start = time.perf_counter()
        at.run()
        took = time.perf_counter() - start
        rows.append([f"switch the projection to {method.upper()}", took, first / took])
    assert not at.exception, [e.value for e in at.exception]
    print_table(["step", "seconds", "first / this"], rows)


if __name__ == "__main__":
    main()
