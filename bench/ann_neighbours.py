"""Exact neighbours against the HNSW index embedviz uses above ANN_ABOVE texts: time and
recall@k, measured in one run.

    python bench/ann_neighbours.py [--n 20000] [--copies 5] [--k 14]

The texts are bench/_texts' recombined samples encoded by the default model (from the
embedding cache when it holds them). The larger set is those embeddings five times over,
each copy jittered (sd 0.02 per dimension, then back to unit length): a stand-in for a
100,000-text corpus with many near-paraphrases, which encoding would take ~3 minutes to
make. k = 14 is UMAP's default n_neighbors - 1, the graph it is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench._report import measure, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--k", type=int, default=14)
    args = parser.parse_args()
    from bench._texts import make_texts
    from embedviz._validation import check_embeddings
    from embedviz.cache import cached_encode
    from embedviz.encoders import load_encoder
    from embedviz.similarity import ANN_ABOVE, top_k_neighbours

    X, _ = cached_encode(load_encoder(), make_texts(args.n))
    U = check_embeddings(X)
    rng = np.random.default_rng(0)
    big = check_embeddings(
        np.vstack(
            [
                U + rng.normal(scale=0.02, size=U.shape).astype(np.float32)
                for _ in range(args.copies)
            ]
        )
    )
    rows = []
    for name, V in ((f"{len(U):,} texts", U), (f"{len(big):,} (jittered copies)", big)):
        with measure() as exact:
            truth, _ = top_k_neighbours(V, args.k, exact=True)
        with measure() as ann:
            found, _ = top_k_neighbours(V, args.k, exact=False)
        recall = float(np.mean((found[:, :, None] == truth[:, None, :]).any(axis=2)))
        rows.append([name, exact.seconds, ann.seconds, exact.seconds / ann.seconds, recall])
        print(rows[-1], flush=True)
    print()
    print_table(
        ["set", "exact (s)", "HNSW (s)", "faster", f"recall@{args.k}"], rows
    )  # fmt: skip
    print(f"embedviz uses the index above {ANN_ABOVE:,} texts")


if __name__ == "__main__":
    main()
