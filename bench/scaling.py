"""Time and memory of every stage at 1k, 5k, 20k (and 50k, 100k on request) texts.

    python bench/scaling.py                      # 1,000 / 5,000 / 20,000 (about 6 minutes)
    python bench/scaling.py --sizes 50000        # the large end (about 6 minutes more)

Texts are the shipped samples recombined (bench/_texts.py), encoded with the default model.
Each stage reports wall seconds and how far resident memory rose above its start during it
(sampled every 20 ms). Baselines measured in the same run: scikit-learn's t-SNE next to openTSNE
(the crossover sets OPENTSNE_ABOVE), the full n x n matrix next to the blockwise pairs, and
a first UMAP (and PaCMAP) fit next to a second.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench._report import measure, peak_rss_mib, print_table  # noqa: E402


def run(n: int, rows: list, sklearn_tsne_up_to: int) -> None:
    from sklearn.manifold import TSNE

    from bench._texts import make_texts
    from embedviz.cluster import cluster_similarity
    from embedviz.export import standalone_html
    from embedviz.figures.heatmap import cluster_heatmap
    from embedviz.figures.scatter import projection_scatter
    from embedviz.pipeline import analyze
    from embedviz.project import TSNEProjector, check_embeddings, project
    from embedviz.similarity import pairs_above, top_k_neighbours

    texts = make_texts(n)

    def add(stage, m, note=""):
        rows.append([n, stage, m.seconds, m.peak_mib, note])
        print(f"  {n:>7,} {stage:<34} {m.seconds:8.2f} s {m.peak_mib:9.0f} MiB {note}", flush=True)

    said = {
        "load": "load the model (USE, default)",
        "encode": "encode (USE, default model)",
        "project": "UMAP first fit in this process",
        "cluster": "k-means, k by silhouette",
        "keywords": "keyword labels (jieba + c-TF-IDF)",
        "score": "trustworthiness + kNN recall",
    }

    def timer(stage, proceed, /, **inputs):
        """The pipeline's own run, each stage measured (the rows below add baselines)."""
        with measure() as m:
            out = proceed(**{**inputs, "use_cache": False} if stage == "encode" else inputs)
        note = {
            "encode": lambda: f"{n / max(m.seconds, 1e-9):,.0f} texts/s",
            "cluster": lambda: f"k = {out.n_clusters}",
            "score": lambda: f"sample {out.n_scored:,}",
        }.get(stage, str)()
        add(said[stage], m, note)
        return out

    a = analyze(texts, method="umap", hooks=[timer])
    X, c, names = a.embeddings, a.clusters, a.cluster_names
    with measure() as m:
        p = project(X, "pca")
    add("PCA 2-D", m)
    U = check_embeddings(X)
    if n <= sklearn_tsne_up_to:
        with measure() as m:
            TSNE(perplexity=30, metric="cosine", init="pca", random_state=0).fit_transform(U)
        add("t-SNE scikit-learn (baseline)", m)
    with measure() as m:
        TSNEProjector(perplexity=30, random_state=0)._fit_opentsne(U, 30.0)
    add("t-SNE openTSNE", m)
    for label in ("PaCMAP first fit in this process", "PaCMAP second fit"):
        with measure() as m:
            project(X, "pacmap")
        add(label, m)
    with measure() as m:
        p = project(X, "umap")
    add("UMAP second fit", m)
    if n <= 20_000:
        with measure() as m:
            S = X @ X.T
            (S >= 0.9).sum()
            del S
        add("pairs >= 0.9 via full n x n (baseline)", m)
    with measure() as m:
        pairs, total = pairs_above(X, 0.9)
    add("pairs >= 0.9 blockwise", m, f"{total:,} pairs")
    with measure() as m:
        top_k_neighbours(X, 10)
    add("top-10 neighbours blockwise", m)
    with measure() as m:
        M, ids, sizes = cluster_similarity(X, c)
        fig = cluster_heatmap(M, [names[i] for i in ids], sizes)
        scatter = projection_scatter(p.coords, texts, labels=[names[i] for i in c.tolist()])
        page = standalone_html([scatter, fig], title="bench")
    add("figures + standalone HTML", m, f"{len(page.encode()) / 2**20:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--sklearn-tsne-up-to", type=int, default=20000)
    args = parser.parse_args()
    rows: list = []
    for n in (int(s) for s in args.sizes.split(",")):
        run(n, rows, args.sklearn_tsne_up_to)
    print()
    print_table(["texts", "stage", "seconds", "RSS rise MiB", "note"], rows)
    print(f"peak RSS of the whole run: {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
