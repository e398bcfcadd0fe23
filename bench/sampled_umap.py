"""UMAP learned from a sample with the rest placed by its transform, against UMAP fitted on
every text: time, and how well each map keeps neighbours, in one run.

    python bench/sampled_umap.py [--n 100000] [--samples 10000 20000 30000]

The texts are bench/_texts' recombined samples encoded by the default model (from the
embedding cache when it holds them). Two views of "keeps neighbours", both for the same maps:

- the page's scores (embedviz.quality: trustworthiness and kNN recall, k = 10, among a random
  3,000 of the texts, as the app shows them);
- the same two scores with neighbours found among *all* n texts, for 2,000 random texts
  (the fine-grained view: is each text's nearest 10 of 100,000 beside it on the map?).

Target (issue 10): the sampled map within 0.02 of the full fit on both scores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench._report import measure, print_table  # noqa: E402


def full_neighbourhood_scores(X, Y, queries, k: int = 10) -> tuple[float, float]:
    """Trustworthiness and kNN recall of map ``Y`` for the texts ``queries``, their
    neighbours found among all texts (cosine in ``X``, Euclidean in ``Y``).

    Trustworthiness is Venna & Kaski's, its sum taken over the queries and normalised by
    their number instead of n.
    """
    from sklearn.neighbors import NearestNeighbors

    n = X.shape[0]
    near_y = NearestNeighbors(n_neighbors=k + 1).fit(Y).kneighbors(Y[queries])[1]
    penalty, kept = 0.0, 0
    for row, i in enumerate(queries):
        sims = X @ X[i]
        sims[i] = np.inf  # itself first, then rank 1 is its nearest other text
        order = np.argsort(-sims, kind="stable")
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        ys = [j for j in near_y[row] if j != i][:k]
        kept += sum(rank[j] <= k for j in ys)
        penalty += sum(rank[j] - k for j in ys if rank[j] > k)
    m = len(queries)
    trust = 1.0 - 2.0 / (m * k * (2 * n - 3 * k - 1)) * penalty
    return float(trust), kept / (m * k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--samples", type=int, nargs="+", default=[10_000, 20_000, 30_000])
    parser.add_argument("--queries", type=int, default=2_000)
    args = parser.parse_args()
    from bench._texts import make_texts
    from embedviz._validation import check_embeddings
    from embedviz.cache import cached_encode
    from embedviz.encoders import load_encoder
    from embedviz.project import project
    from embedviz.quality import neighbourhood_scores

    X, _ = cached_encode(load_encoder(), make_texts(args.n))
    X = check_embeddings(X)
    queries = np.random.default_rng(1).choice(args.n, args.queries, replace=False)
    rows = []
    full_seconds = None
    for size in [0, *args.samples]:
        with measure() as took:
            coords = project(X, "umap", 2, fit_sample=size).coords
        page = neighbourhood_scores(X, coords)
        trust, recall = full_neighbourhood_scores(X, coords, queries)
        full_seconds = full_seconds or took.seconds
        name = "every text" if size == 0 else f"sample of {size:,}"
        rows.append(
            [name, took.seconds, full_seconds / took.seconds, took.peak_mib,
             page.trustworthiness, page.knn_recall, trust, recall]
        )  # fmt: skip
        print(rows[-1], flush=True)
    print(f"\nUMAP (2-D, defaults) of {args.n:,} texts: fit on every text or on a sample\n")
    print_table(
        ["fit on", "seconds", "faster", "memory rise MiB", "trust (page)", "recall (page)",
         f"trust (all {args.n:,})", f"recall (all {args.n:,})"],
        rows,
    )  # fmt: skip


if __name__ == "__main__":
    main()
