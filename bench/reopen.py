"""What a saved analysis saves: reopening one against running it again, and its size.

    python bench/reopen.py                   # 1,000 / 5,000 / 20,000 texts (about 3 minutes)
    python bench/reopen.py --sizes 50000

For each size, in one process: analyze() with UMAP (embeddings from the disk cache after the
first size's warm-up, as a second run would have them), then save(), then load() and drawing
both figures, which is what reopening costs; the baseline is a second analyze() of the same
texts (cache hit, so it pays projection, clustering, keywords and scores again). Prints the
seconds, the ratio and the folder's size on disk.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench._report import measure, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--method", default="umap")
    args = parser.parse_args()

    import embedviz
    from bench._texts import make_texts
    from embedviz.project import warm_up

    warm_up()  # numba's compile is paid once per process, not by either side
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        texts = make_texts(n)
        embedviz.analyze(texts, method="pca")  # fills the embedding cache
        with measure() as run:
            a = embedviz.analyze(texts, method=args.method)
        with tempfile.TemporaryDirectory() as folder:
            with measure() as save:
                a.save(folder)
            size = sum(p.stat().st_size for p in Path(folder).iterdir()) / 2**20
            with measure() as reopen:
                b = embedviz.load(folder)
                b.figures()
        same = bool((b.coords == a.coords).all() and (b.clusters == a.clusters).all())
        rows.append(
            [
                n,
                run.seconds,
                save.seconds,
                reopen.seconds,
                run.seconds / reopen.seconds,
                f"{size:.1f}",
                "yes" if same else "NO",
            ]
        )
        print(rows[-1], flush=True)
    print()
    print_table(
        [
            "texts",
            f"analyze ({args.method}) s",
            "save s",
            "load + figures s",
            "ratio",
            "folder MiB",
            "same map",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
