"""Exact neighbours against the HNSW index embedviz uses above ANN_ABOVE texts: time and
recall@k for the settings in use and the ones around them, measured in one run.

    python bench/ann_neighbours.py [--n 20000 100000] [--copies 0] [--k 14]

The texts are bench/_texts' recombined samples encoded by the default model (from the
embedding cache when it holds them). With ``--copies C`` a further set is the first size's
embeddings C times over, each copy jittered (sd 0.02 per dimension, then back to unit
length): a corpus with many near-paraphrases. k = 14 is UMAP's default n_neighbors - 1,
the graph it is given. Exact neighbours of every text are the baseline (timed); HNSW's
time includes building its index. "(in use)" marks the index for a fit from scratch and, from
HNSW_LEAN_FROM rows, the lean one a sampled UMAP's refinement gets.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench._report import measure, print_table  # noqa: E402

#: (M, efConstruction, efSearch, rows): the index in use below HNSW_LEAN_FROM rows and for
#: a UMAP fit from scratch; searched 40 wide; the lean one (a sampled UMAP's graph of all
#: texts from HNSW_LEAN_FROM rows) with its rows in float32 and in float16; a sparser one.
SETTINGS = [
    (32, 64, 64, "float32"),
    (32, 64, 40, "float32"),
    (24, 48, 40, "float32"),
    (24, 48, 40, "float16"),
    (16, 40, 32, "float16"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--copies", type=int, default=0)
    parser.add_argument("--k", type=int, default=14)
    args = parser.parse_args()
    from bench._texts import make_texts
    from embedviz import similarity
    from embedviz._validation import check_embeddings
    from embedviz.cache import cached_encode
    from embedviz.encoders import load_encoder

    encoder = load_encoder()
    sets = []
    for n in args.n:
        X, _ = cached_encode(encoder, make_texts(n))
        sets.append((f"{n:,} texts", check_embeddings(X)))
    if args.copies:
        rng = np.random.default_rng(0)
        U = sets[0][1]
        copies = [
            U + rng.normal(scale=0.02, size=U.shape).astype(np.float32) for _ in range(args.copies)
        ]
        big = check_embeddings(np.vstack(copies))
        sets.append((f"{len(big):,} ({args.copies} jittered copies)", big))
    in_use_for = similarity.hnsw_settings
    rows = []
    for name, V in sets:
        in_use = {in_use_for(len(V)), in_use_for(len(V), lean=True)}
        with measure() as exact:
            truth, _ = similarity.top_k_neighbours(V, args.k, exact=True)
        rows.append([name, "exact (baseline)", exact.seconds, 1.0, 1.0])
        print(rows[-1], flush=True)
        for setting in SETTINGS:
            similarity.hnsw_settings = lambda n, lean=False, setting=setting: setting
            with measure() as ann:
                found, _ = similarity.top_k_neighbours(V, args.k, exact=False)
            recall = float(np.mean((found[:, :, None] == truth[:, None, :]).any(axis=2)))
            label = "HNSW M {} efC {} efS {}, {} rows".format(*setting) + (
                " (in use)" if setting in in_use else ""
            )
            rows.append([name, label, ann.seconds, exact.seconds / ann.seconds, recall])
            print(rows[-1], flush=True)
    print()
    print_table(["set", "search", "seconds", "faster", f"recall@{args.k}"], rows)
    print(f"embedviz uses the index above {similarity.ANN_ABOVE:,} texts")


if __name__ == "__main__":
    main()
