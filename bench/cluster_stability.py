"""Do the clusters change with the seed? ARI against the topics over ten seeds, on the
shipped labelled sets, for the default k-means (a consensus of runs up to
CONSENSUS_UP_TO texts) against the single k-means run it replaced and agglomerative.

    python bench/cluster_stability.py [--seeds 10] [--models use-multilingual,FOLDER]

For each set, model and k (auto by silhouette, or the number of topics): the ARI's mean,
spread (standard deviation) and range over the seeds, how alike the seeds' clusterings are
to each other (mean ARI of every pair of seeds: 1.00 means the seed changes nothing) and
milliseconds per clustering. Then the cost at more texts (random vectors in 8 groups).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._report import print_table  # noqa: E402

SETS = ("zh_topics", "mixed_topics")


def single_kmeans(X, k, seed):
    """The default before the consensus: one k-means (3 restarts), k by silhouette."""
    from sklearn.cluster import KMeans

    from embedviz.cluster import _auto_k_range, _silhouette

    def fit(kk):
        return KMeans(n_clusters=kk, n_init=3, random_state=seed).fit_predict(X)

    if k != "auto":
        return fit(k)
    tried = {kk: fit(kk) for kk in _auto_k_range(len(X))}
    return max(tried.values(), key=lambda labels: _silhouette(X, labels, seed))


def row(name, topics, runs, seconds):
    from sklearn.metrics import adjusted_rand_score as ari

    scores = np.array([ari(topics, labels) for labels in runs])
    alike = [ari(a, b) for a, b in itertools.combinations(runs, 2)] or [1.0]
    ks = sorted({len(set(np.asarray(r).tolist())) for r in runs})
    return [
        name,
        float(scores.mean()),
        float(scores.std()),
        f"{scores.min():.2f}-{scores.max():.2f}",
        float(np.mean(alike)),
        ",".join(map(str, ks)),
        seconds * 1000 / len(runs),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--models", default="use-multilingual")
    args = parser.parse_args()
    import pandas as pd

    from embedviz._validation import check_embeddings
    from embedviz.cluster import CONSENSUS_RUNS, CONSENSUS_UP_TO, cluster
    from embedviz.encoders import load_encoder

    warnings.filterwarnings("ignore")
    seeds = range(args.seeds)
    rows = []
    for spec in args.models.split(","):
        encoder = load_encoder(spec)
        for name in SETS:
            frame = pd.read_csv(ROOT / "data" / f"{name}.csv")
            X = check_embeddings(encoder.encode(list(frame.text)))
            topics = list(frame.topic)
            for k in ("auto", frame.topic.nunique()):
                where = f"{encoder.name[:14]} {name} k={k}"
                t = time.perf_counter()
                runs = [single_kmeans(X, k, s) for s in seeds]
                rows.append(row(f"{where} k-means, one run", topics, runs, time.perf_counter() - t))
                t = time.perf_counter()
                runs = [cluster(X, "kmeans", k, random_state=s).labels for s in seeds]
                took = time.perf_counter() - t
                rows.append(row(f"{where} k-means, consensus (default)", topics, runs, took))
                t = time.perf_counter()
                runs = [cluster(X, "agglomerative", k).labels]
                took = time.perf_counter() - t
                rows.append(row(f"{where} agglomerative", topics, runs, took))
                print(*rows[-3:], sep="\n", flush=True)
    print()
    print_table(
        ["set, k, clusterer", "ARI mean", "ARI sd", "range", "seed vs seed", "k found", "ms each"],
        rows,
    )
    print(f"\nconsensus: {CONSENSUS_RUNS} runs up to {CONSENSUS_UP_TO:,} texts")

    cost = []
    rng = np.random.default_rng(0)
    for n in (200, 500, 1000, 2000):
        centres = rng.normal(size=(8, 384))
        X = check_embeddings(
            (centres[rng.integers(0, 8, n)] + rng.normal(scale=0.8, size=(n, 384))).astype(
                np.float32
            )
        )
        t = time.perf_counter()
        single_kmeans(X, "auto", 0)
        old = time.perf_counter() - t
        t = time.perf_counter()
        cluster(X, "kmeans", "auto", random_state=0)
        new = time.perf_counter() - t
        cost.append([n, old, new, new / old])
        print(cost[-1], flush=True)
    print()
    print_table(["texts", "one run, auto k (s)", "default, auto k (s)", "ratio"], cost)


if __name__ == "__main__":
    main()
